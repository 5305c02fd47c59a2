//! A tantivy index over company records, used by RESOLUTION to find the
//! few records worth comparing with each record (blocking) without ever
//! comparing all pairs.
//!
//! Each document carries the name key's words, character trigrams of those
//! words (so a typo still shares most of its trigrams), the registrable
//! domain, the phone, a city/state key and each word qualified by that
//! place ([`local_term`]). A query is a disjunction of the
//! record's own terms; BM25 ranks the hits, so a shared rare word outweighs a
//! shared "manufacturing", and the top few are the candidates. The caller
//! leaves out terms that are too common to block on (see
//! [`CompanyIndex::doc_freq`]), which also keeps every query's posting lists
//! short: candidate generation stays linear in the number of records.
//!
//! [`browse`] is the other index: on disk, over active companies, for the
//! TUI's search-as-you-type.

pub mod browse;

use anyhow::{Context, Result};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, Searcher, TantivyDocument, Term};

/// What is indexed for one record.
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    /// The caller's handle for the record (its position in the caller's table).
    pub handle: u64,
    /// Words of the name key.
    pub words: Vec<String>,
    pub domain: Option<String>,
    pub phone: Option<String>,
    /// `city|state`, lower case.
    pub place: Option<String>,
    /// One-letter-deleted variants of the name's words: two spellings one
    /// typing error apart share at least one (see [`deletions`]).
    pub variants: Vec<String>,
}

/// A name word in a place ([`local_term`]): "keller" is shared by hundreds
/// of firms, "keller in Cleveland" by a few, so where many firms share
/// surnames and trade words the place-qualified word still ranks the same
/// firm's other listings first.
pub fn local_term(word: &str, place: &str) -> String {
    let mut t = String::with_capacity(word.len() + place.len() + 1);
    t.push_str(word);
    t.push('@');
    // One token for the whitespace tokenizer.
    t.extend(
        place
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c }),
    );
    t
}

/// A candidate query: the terms to look for and how much each kind counts.
#[derive(Debug, Clone, Default)]
pub struct IndexQuery<'a> {
    pub words: &'a [&'a str],
    pub grams: &'a [&'a str],
    pub domain: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub place: Option<&'a str>,
    pub variants: &'a [&'a str],
    /// [`local_term`]s of the record's words.
    pub local: &'a [&'a str],
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    words: Field,
    grams: Field,
    domain: Field,
    phone: Field,
    place: Field,
    variants: Field,
    local: Field,
    handle: Field,
}

/// An in-memory index of company records.
pub struct CompanyIndex {
    /// The reader keeps the in-memory index alive.
    reader: IndexReader,
    fields: Fields,
}

/// A searcher with the handle column of each segment opened once.
pub struct IndexSearcher {
    searcher: Searcher,
    handles: Vec<Column<u64>>,
    fields: Fields,
}

/// The word with each one letter deleted in turn (the symmetric-deletion
/// trick): "harmon" and its misspelling "harmno" both give "harmo" and
/// "harmn", so a transposition, a dropped, doubled or wrong letter still
/// shares a term with the right spelling.
pub fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect()
        })
        .collect();
    out.push(word.to_owned());
    out.sort_unstable();
    out.dedup();
    out
}

/// Character trigrams of a word, with boundary marks so that a word's start
/// and end count (`^ke`, `er$`). Short words are one gram.
pub fn trigrams(word: &str) -> Vec<String> {
    let padded: Vec<char> = std::iter::once('^')
        .chain(word.chars())
        .chain(std::iter::once('$'))
        .collect();
    if padded.len() <= 3 {
        return vec![padded.into_iter().collect()];
    }
    padded.windows(3).map(|w| w.iter().collect()).collect()
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Terms are prepared by the caller and joined with spaces, so the
    // whitespace tokenizer splits them back exactly; frequencies feed BM25,
    // positions are never needed.
    let terms = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        words: b.add_text_field("words", terms.clone()),
        grams: b.add_text_field("grams", terms.clone()),
        variants: b.add_text_field("variants", terms.clone()),
        local: b.add_text_field("local", terms),
        domain: b.add_text_field("domain", STRING),
        phone: b.add_text_field("phone", STRING),
        place: b.add_text_field("place", STRING),
        handle: b.add_u64_field("handle", INDEXED | FAST),
    };
    (b.build(), fields)
}

impl CompanyIndex {
    /// Builds the index from `docs` in memory, on `threads` indexing threads.
    /// The documents are consumed one at a time, so a million of them never
    /// need to exist at once.
    pub fn build(docs: impl IntoIterator<Item = IndexDoc>, threads: usize) -> Result<CompanyIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let threads = threads.clamp(1, 8);
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(threads, threads * 64 * 1024 * 1024)
            .context("opening the search index writer")?;
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.handle, d.handle);
            if !d.words.is_empty() {
                doc.add_text(fields.words, d.words.join(" "));
                let grams: Vec<String> = d.words.iter().flat_map(|w| trigrams(w)).collect();
                doc.add_text(fields.grams, grams.join(" "));
            }
            if !d.variants.is_empty() {
                doc.add_text(fields.variants, d.variants.join(" "));
            }
            if let Some(v) = &d.domain {
                doc.add_text(fields.domain, v);
            }
            if let Some(v) = &d.phone {
                doc.add_text(fields.phone, v);
            }
            if let Some(v) = &d.place {
                doc.add_text(fields.place, v);
                if !d.words.is_empty() {
                    let local: Vec<String> = d.words.iter().map(|w| local_term(w, v)).collect();
                    doc.add_text(fields.local, local.join(" "));
                }
            }
            writer.add_document(doc)?;
        }
        writer.commit().context("committing the search index")?;
        writer
            .wait_merging_threads()
            .context("finishing index merges")?;
        let reader = index.reader().context("opening the search index")?;
        Ok(CompanyIndex { reader, fields })
    }

    /// A searcher for one thread (searchers are cheap; make one per worker).
    pub fn searcher(&self) -> Result<IndexSearcher> {
        let searcher = self.reader.searcher();
        let handles = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64("handle"))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(IndexSearcher {
            searcher,
            handles,
            fields: self.fields,
        })
    }

    /// Number of documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl IndexSearcher {
    /// The handles of the `limit` best-matching records, best first, with
    /// their BM25 scores.
    pub fn top(&self, q: &IndexQuery<'_>, limit: usize) -> Result<Vec<(u64, f32)>> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut add = |field: Field, text: &str, boost: f32| {
            let term = Term::from_field_text(field, text);
            let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
            let q: Box<dyn Query> = if (boost - 1.0).abs() > f32::EPSILON {
                Box::new(BoostQuery::new(q, boost))
            } else {
                q
            };
            clauses.push((Occur::Should, q));
        };
        for w in q.words {
            add(f.words, w, 2.0);
        }
        for g in q.grams {
            add(f.grams, g, 0.5);
        }
        for v in q.variants {
            add(f.variants, v, 1.5);
        }
        if let Some(d) = q.domain {
            add(f.domain, d, 6.0);
        }
        if let Some(p) = q.phone {
            add(f.phone, p, 5.0);
        }
        if let Some(p) = q.place {
            add(f.place, p, 1.0);
        }
        for l in q.local {
            add(f.local, l, 1.5);
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let hits = self
            .searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        Ok(hits
            .into_iter()
            .filter_map(|(score, addr)| {
                self.handles
                    .get(addr.segment_ord as usize)
                    .and_then(|c| c.first(addr.doc_id))
                    .map(|h| (h, score))
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn doc(handle: u64, name: &str, phone: Option<&str>) -> IndexDoc {
        IndexDoc {
            handle,
            words: name.split(' ').map(str::to_owned).collect(),
            phone: phone.map(str::to_owned),
            place: Some("cleveland|oh".into()),
            ..Default::default()
        }
    }

    #[test]
    fn typo_and_rare_words_find_the_right_record() {
        let docs = vec![
            doc(10, "keller precision stamping", Some("+12165550101")),
            doc(11, "brightline gear", None),
            doc(12, "keller gear", None),
            doc(13, "acme precision stamping", None),
        ];
        let index = CompanyIndex::build(docs, 1).unwrap();
        assert_eq!(index.len(), 4);
        let s = index.searcher().unwrap();
        // "kellre" (a typo) shares no word with "keller" but most trigrams.
        let grams: Vec<String> = ["kellre", "stamping"]
            .iter()
            .flat_map(|w| trigrams(w))
            .collect();
        let grams: Vec<&str> = grams.iter().map(String::as_str).collect();
        let hits = s
            .top(
                &IndexQuery {
                    words: &["kellre", "stamping"],
                    grams: &grams,
                    ..Default::default()
                },
                2,
            )
            .unwrap();
        assert_eq!(hits[0].0, 10, "{hits:?}");
        // A shared phone alone is enough to retrieve a record.
        let hits = s
            .top(
                &IndexQuery {
                    phone: Some("+12165550101"),
                    ..Default::default()
                },
                3,
            )
            .unwrap();
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [10]);
        // An empty query finds nothing rather than everything.
        assert!(s.top(&IndexQuery::default(), 3).unwrap().is_empty());
    }

    #[test]
    fn one_typing_error_shares_a_deletion_variant() {
        let shared = |a: &str, b: &str| {
            let x = deletions(a);
            deletions(b).iter().any(|v| x.contains(v))
        };
        assert!(shared("harmon", "harmno"), "transposition");
        assert!(shared("becker", "bekcer"), "transposition inside");
        assert!(shared("stamping", "stampng"), "dropped letter");
        assert!(shared("gear", "gear"));
        assert!(!shared("gear", "bolt"));
    }

    #[test]
    fn trigrams_mark_word_boundaries() {
        assert_eq!(trigrams("gear"), ["^ge", "gea", "ear", "ar$"]);
        assert_eq!(trigrams("a"), ["^a$"]);
    }
}
