//! Survivorship: which values the canonical company keeps when two merge.
//!
//! Per field, the value whose provenance is most trusted wins (higher
//! confidence), then the most recent, then the more complete (longer) one;
//! a field only one side has is filled from it. The postal address moves as
//! one block, so a street from one listing never meets a city from another.
//! The survivor keeps its id (the older company), so identities are stable.

use crate::model::{CompanyRow, FieldProvenance, Provenance};

fn provenance(row: &CompanyRow) -> Provenance {
    crate::store::provenance::decode(&row.provenance)
}

/// Orders two provenances: trusted first, then recent.
fn better(a: Option<&FieldProvenance>, b: Option<&FieldProvenance>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(x), Some(y)) => x
            .confidence
            .partial_cmp(&y.confidence)
            .unwrap_or(Ordering::Equal)
            // Recency by day: values read minutes apart in one crawl are
            // equally recent (and the choice must not depend on timing).
            .then(x.at.date_naive().cmp(&y.at.date_naive())),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

fn text_len<T: ToString>(v: &Option<T>) -> usize {
    v.as_ref().map_or(0, |s| s.to_string().len())
}

/// True when the loser's value should replace the survivor's.
fn loser_wins<T: PartialEq + ToString>(
    field: &str,
    s: &Option<T>,
    l: &Option<T>,
    sp: &Provenance,
    lp: &Provenance,
) -> bool {
    match (s, l) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) if a == b => false,
        _ => match better(lp.get(field), sp.get(field)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => text_len(l) > text_len(s),
        },
    }
}

/// The survivor and the absorbed company after merging `loser` into
/// `survivor` at time `now`.
pub fn merge_rows(
    survivor: &CompanyRow,
    loser: &CompanyRow,
    now: &str,
) -> (CompanyRow, CompanyRow) {
    let sp = provenance(survivor);
    let lp = provenance(loser);
    let mut s = survivor.clone();
    let mut prov = sp.clone();
    let mut l = loser.clone();
    let take = |field: &str, prov: &mut Provenance| {
        if let Some(p) = lp.get(field) {
            prov.insert(field.to_owned(), p.clone());
        }
    };
    macro_rules! field {
        ($f:ident, $name:literal) => {
            if loser_wins($name, &s.$f, &loser.$f, &sp, &lp) {
                s.$f = loser.$f.clone();
                take($name, &mut prov);
            }
        };
    }
    if loser_wins("name", &Some(&s.name), &Some(&loser.name), &sp, &lp) {
        s.name = loser.name.clone();
        s.name_key = loser.name_key.clone();
        take("name", &mut prov);
    }
    field!(website, "website");
    field!(phone, "phone");
    field!(employee_count, "employee_count");
    field!(employee_range, "employee_range");
    field!(revenue_range, "revenue_range");
    field!(founded_year, "founded_year");
    field!(industry, "industry");
    field!(naics, "naics");
    field!(description, "description");
    // The address as one block: the loser's wins when the survivor has none,
    // or when it is better sourced and at least as complete.
    let filled = |r: &CompanyRow| {
        [&r.street, &r.city, &r.state, &r.postal_code, &r.country]
            .iter()
            .filter(|v| v.is_some())
            .count()
    };
    let (fs, fl) = (filled(survivor), filled(loser));
    let address_key = |p: &Provenance| p.get("street").or_else(|| p.get("city")).cloned();
    let loser_address = fl > 0
        && (fs == 0
            || (fl >= fs
                && better(address_key(&lp).as_ref(), address_key(&sp).as_ref())
                    == std::cmp::Ordering::Greater));
    if loser_address {
        s.street = loser.street.clone();
        s.city = loser.city.clone();
        s.state = loser.state.clone();
        s.postal_code = loser.postal_code.clone();
        s.country = loser.country.clone();
        for f in ["street", "city", "state", "postal_code", "country"] {
            prov.remove(f);
            take(f, &mut prov);
        }
    }
    // Domains are unique: the survivor takes the loser's only when it has none.
    if s.domain.is_none() && loser.domain.is_some() {
        s.domain = loser.domain.clone();
        l.domain = None;
        take("domain", &mut prov);
    }
    s.provenance =
        crate::store::provenance::encode(&prov).unwrap_or_else(|_| survivor.provenance.clone());
    s.updated_at = now.to_owned();
    l.status = "merged".into();
    l.merged_into = Some(survivor.id);
    l.updated_at = now.to_owned();
    (s, l)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, conf: f32, at: &str) -> CompanyRow {
        let p = FieldProvenance {
            source_url: format!("http://src{id}.example/"),
            extractor: "generic".into(),
            at: at.parse().unwrap(),
            confidence: conf,
        };
        let prov: Provenance = ["name", "phone", "city", "street"]
            .iter()
            .map(|f| (f.to_string(), p.clone()))
            .collect();
        CompanyRow {
            id,
            name: name.into(),
            name_key: crate::normalize::name_key(name),
            status: "active".into(),
            provenance: serde_json::to_string(&prov).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn trusted_values_win_and_gaps_are_filled() {
        let mut a = row(1, "KELLER STAMPING", 0.5, "2026-01-01T00:00:00Z");
        a.phone = Some("+13305550101".into());
        let mut b = row(2, "Keller Stamping, Inc.", 0.9, "2025-01-01T00:00:00Z");
        b.phone = Some("+13305550199".into());
        b.domain = Some("keller.example".into());
        b.street = Some("12 Main St".into());
        b.city = Some("Akron".into());
        let (s, l) = merge_rows(&a, &b, "2026-12-02T00:00:00Z");
        assert_eq!(s.id, 1, "the survivor keeps its id");
        assert_eq!(s.name, "Keller Stamping, Inc.", "more trusted name wins");
        assert_eq!(s.phone.as_deref(), Some("+13305550199"));
        assert_eq!(s.city.as_deref(), Some("Akron"));
        assert_eq!(s.domain.as_deref(), Some("keller.example"));
        assert_eq!(l.domain, None, "the domain moved");
        assert_eq!((l.status.as_str(), l.merged_into), ("merged", Some(1)));
        let prov = crate::store::provenance::decode(&s.provenance);
        assert!(
            s.provenance.starts_with("{\"sources\":"),
            "{}",
            s.provenance
        );
        assert_eq!(prov["phone"].source_url, "http://src2.example/");
        // Undo data: patching the after-rows gives the before-rows back.
        let back = s.patched(&a.patch_from(&s)).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn equal_trust_prefers_recent_then_complete() {
        let mut a = row(1, "Keller", 0.8, "2026-01-01T00:00:00Z");
        a.city = Some("Akron".into());
        let mut b = row(2, "Keller Precision Stamping", 0.8, "2026-01-01T00:00:00Z");
        b.city = Some("Akron".into());
        let (s, _) = merge_rows(&a, &b, "2026-12-02T00:00:00Z");
        assert_eq!(s.name, "Keller Precision Stamping");
        let newer = row(3, "Keller Co", 0.8, "2026-06-01T00:00:00Z");
        let (s, _) = merge_rows(&a, &newer, "2026-12-02T00:00:00Z");
        assert_eq!(s.name, "Keller Co");
    }
}
