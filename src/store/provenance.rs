//! How provenance is stored in a row's `provenance` column.
//!
//! A company's fields come from one source or a few: a company created from
//! an imported row takes every field from that row, a crawled listing
//! stamps every field with its page. Stored one entry per field, the same
//! entry was repeated up to ten times, 60% of a company row. So each
//! distinct entry is stored once and each field names its entry:
//!
//! ```json
//! {"sources":[{"source_url":"…","extractor":"import","at":"…","confidence":1.0}],
//!  "fields":{"city":0,"name":0,"website":0}}
//! ```
//!
//! The older form, one entry per field (`{"city":{…},"name":{…}}`), is still
//! read; a row takes the new form when its provenance next changes. Entries are
//! kept whole, with any keys beyond [`FieldProvenance`]'s (enrichment adds
//! `evidence` to a NAICS code's entry).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{FieldProvenance, Provenance};

/// The stored form as written: entries borrowed from the map being stored.
#[derive(Serialize)]
struct Stored<'a, E> {
    sources: Vec<&'a E>,
    fields: BTreeMap<&'a str, usize>,
}

/// The stored form as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredOwned<E> {
    sources: Vec<E>,
    fields: BTreeMap<String, usize>,
}

/// Each distinct entry once, in the order first met (fields in key order).
fn compact<'a, E: PartialEq>(map: impl Iterator<Item = (&'a String, &'a E)>) -> Stored<'a, E> {
    let mut out = Stored {
        sources: Vec::new(),
        fields: BTreeMap::new(),
    };
    for (field, entry) in map {
        // A company has a handful of distinct sources: a linear scan beats hashing.
        let at = match out.sources.iter().position(|e| *e == entry) {
            Some(i) => i,
            None => {
                out.sources.push(entry);
                out.sources.len() - 1
            }
        };
        out.fields.insert(field, at);
    }
    out
}

/// `p` in the stored form.
pub(crate) fn encode(p: &Provenance) -> serde_json::Result<String> {
    serde_json::to_string(&compact(p.iter()))
}

/// Field -> entry JSON objects (the form enrichment edits) in the stored form.
pub(crate) fn encode_map(map: &Map<String, Value>) -> serde_json::Result<String> {
    serde_json::to_string(&compact(map.iter()))
}

/// Field -> entry from either stored form; `None` when `s` is neither.
fn decode_as<E: DeserializeOwned + Clone>(s: &str) -> Option<BTreeMap<String, E>> {
    if let Ok(stored) = serde_json::from_str::<StoredOwned<E>>(s) {
        // A field naming an entry that is not there is dropped, not invented.
        return Some(
            stored
                .fields
                .into_iter()
                .filter_map(|(f, i)| Some((f, stored.sources.get(i)?.clone())))
                .collect(),
        );
    }
    serde_json::from_str(s).ok()
}

/// The provenance stored in `s`. Unreadable provenance reads as none, as it
/// always has: the values are still there, only their sources are unknown.
pub fn decode(s: &str) -> Provenance {
    decode_as::<FieldProvenance>(s).unwrap_or_default()
}

/// The provenance stored in `s` as field -> entry JSON objects, every key of
/// an entry kept; empty when unreadable.
pub(crate) fn decode_map(s: &str) -> Map<String, Value> {
    decode_as::<Value>(s)
        .map(|m| m.into_iter().filter(|(_, v)| v.is_object()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(url: &str, extractor: &str, secs: i64, confidence: f32) -> FieldProvenance {
        FieldProvenance {
            source_url: url.into(),
            extractor: extractor.into(),
            at: chrono::DateTime::from_timestamp(secs, 0).unwrap(),
            confidence,
        }
    }

    #[test]
    fn a_shared_entry_is_stored_once_and_read_back_for_every_field() {
        let row = entry("file:///tmp/list.csv#line=2", "import", 1_700_000_000, 1.0);
        let later = entry("https://pma.example/m/7", "generic", 1_700_000_900, 0.7);
        let mut p = Provenance::new();
        for f in ["name", "website", "phone", "domain", "state"] {
            p.insert(f.into(), row.clone());
        }
        p.insert("city".into(), later.clone());
        let s = encode(&p).unwrap();
        assert_eq!(s.matches("list.csv").count(), 1, "{s}");
        assert_eq!(s.matches("pma.example").count(), 1, "{s}");
        assert_eq!(decode(&s), p);
        // Six entries written out in full, two of them distinct: more than
        // twice the size.
        let legacy = serde_json::to_string(&p).unwrap();
        assert!(
            s.len() * 2 < legacy.len(),
            "{} vs {}",
            s.len(),
            legacy.len()
        );
    }

    #[test]
    fn the_older_one_entry_per_field_form_still_reads() {
        let mut p = Provenance::new();
        p.insert(
            "name".into(),
            entry("https://a.example/", "generic", 5, 0.5),
        );
        p.insert(
            "city".into(),
            entry("https://b.example/", "profile", 9, 0.9),
        );
        let legacy = serde_json::to_string(&p).unwrap();
        assert_eq!(decode(&legacy), p);
        assert_eq!(decode_map(&legacy).len(), 2);
    }

    #[test]
    fn unreadable_provenance_reads_as_none_and_a_dangling_field_is_dropped() {
        for bad in ["", "not json", "[1,2]", "{\"name\":3}", "null"] {
            assert!(decode(bad).is_empty(), "{bad}");
            assert!(decode_map(bad).is_empty(), "{bad}");
        }
        let s = r#"{"sources":[{"source_url":"u","extractor":"x","at":"2026-01-01T00:00:00Z","confidence":1.0}],"fields":{"name":0,"city":4}}"#;
        let p = decode(s);
        assert_eq!(p.keys().collect::<Vec<_>>(), ["name"]);
    }

    #[test]
    fn extra_keys_of_an_entry_survive_a_round_trip_through_the_map_form() {
        let mut map = Map::new();
        map.insert(
            "naics".into(),
            serde_json::json!({"source_url": "", "extractor": "enrich:pdl", "at": "2026-01-01T00:00:00Z", "confidence": 0.8, "evidence": "SIC 3469"}),
        );
        map.insert(
            "industry".into(),
            serde_json::json!({"source_url": "", "extractor": "enrich:pdl", "at": "2026-01-01T00:00:00Z", "confidence": 0.8}),
        );
        let s = encode_map(&map).unwrap();
        let back = decode_map(&s);
        assert_eq!(back, map);
        assert_eq!(back["naics"]["evidence"], "SIC 3469");
        // The typed reader sees the same two fields.
        assert_eq!(decode(&s).len(), 2);
    }

    fn any_entry() -> impl Strategy<Value = FieldProvenance> {
        (0..3usize, 0..2usize, 0..3i64, 0..2u8).prop_map(|(u, x, t, c)| {
            entry(
                ["https://a.example/", "file:///x.csv#line=9", ""][u],
                ["generic", "import"][x],
                1_700_000_000 + t,
                f32::from(c) / 2.0,
            )
        })
    }

    proptest! {
        #[test]
        fn any_provenance_round_trips(
            fields in proptest::collection::btree_map("[a-z_]{1,12}", any_entry(), 0..12)
        ) {
            let s = encode(&fields).unwrap();
            prop_assert_eq!(decode(&s), fields.clone());
            let as_map: Map<String, Value> = serde_json::from_str(&serde_json::to_string(&fields).unwrap()).unwrap();
            prop_assert_eq!(decode(&encode_map(&as_map).unwrap()), fields);
        }
    }
}
