//! Search-as-you-type over active companies: an on-disk tantivy index kept
//! next to the database (`nam.db` -> `nam.db.search/`), caught up from the
//! store's change feed ([`Store::search_feed`]) instead of rebuilt.
//!
//! Every word typed must match a word of the company's name, domain or
//! city; the last word only as a prefix, since the user is still typing it.
//! Words are folded to ASCII lower case (`deunicode`) on both sides, so
//! "zur" finds Zürich and "MONTRE" Montréal. Prefixes are indexed (each
//! word's first 1 to [`MAX_PREFIX`] letters), so the last word is one term
//! lookup however short it is; a longer one falls back to a prefix scan of
//! the term dictionary, which is short for a long prefix. Name matches rank
//! above city and domain matches, and a last word typed in full above one
//! that is only a prefix.
//!
//! # Concurrency
//!
//! - [`CompanySearch`] is the index's one writer. [`CompanySearch::refresh`]
//!   takes `&mut self` and can take seconds (the first build of a million
//!   companies): run it off the UI thread, with its own [`Store`] (a
//!   read-only one will do; the feed only reads).
//! - Searches go through a [`SearchHandle`] ([`CompanySearch::handle`]):
//!   cheap to clone, `Send + Sync`, never blocked by a refresh. A handle
//!   searches the last committed state; a refresh's changes reach every
//!   handle at once when it commits (and within a second in other
//!   processes, whose readers watch the index directory).
//! - One refresh at a time per index directory, across processes (tantivy's
//!   writer lock, held only while a refresh runs). A refresh that finds the
//!   lock taken changes nothing and says so ([`RefreshReport::busy`]); a
//!   refresh that fails leaves the index at its last commit. The watermark
//!   is stored in the commit itself, so the index and what it has read
//!   never disagree.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use crate::store::{SearchFeedItem, SearchRow, SearchWatermark, Store};

/// Prefixes up to this many letters are indexed; a longer last word is
/// matched by scanning the term dictionary.
pub const MAX_PREFIX: usize = 12;

/// Bumped whenever the schema or the folding changes: an index written
/// under another format is wiped and rebuilt.
const FORMAT: u32 = 1;

/// How much a match in the name counts against one in the city or domain.
const NAME_BOOST: f32 = 2.0;
/// How much a last word typed in full adds over a prefix match.
const WHOLE_WORD_BOOST: f32 = 1.0;

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    /// Whole words of the name.
    name: Field,
    /// Prefixes of the name's words.
    name_prefix: Field,
    /// Whole words of the city and domain.
    place: Field,
    place_prefix: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // The words are folded here, not by a tantivy analyzer, and joined with
    // spaces: the whitespace tokenizer splits them back exactly. Term
    // frequencies and field norms feed BM25; positions are never needed.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | FAST),
        name: b.add_text_field("name", words.clone()),
        name_prefix: b.add_text_field("name_prefix", words.clone()),
        place: b.add_text_field("place", words.clone()),
        place_prefix: b.add_text_field("place_prefix", words),
    };
    (b.build(), fields)
}

/// What the index's commit remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Payload {
    format: u32,
    watermark: SearchWatermark,
}

/// The words of `text`, folded to ASCII lower case; anything not a letter
/// or digit separates words.
pub fn fold_words(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The words of a registrable domain without its last label: "com" or
/// "example" would match every company.
fn domain_words(domain: &str) -> Vec<String> {
    let labels = match domain.rsplit_once('.') {
        Some((head, _tld)) => head,
        None => domain,
    };
    fold_words(labels)
}

/// Each word's first 1 to [`MAX_PREFIX`] letters, each once.
fn prefixes(words: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = words
        .iter()
        .flat_map(|w| (1..=w.len().min(MAX_PREFIX)).map(move |n| &w[..n]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Everything was indexed again (first build, or the database was
    /// replaced).
    pub rebuilt: bool,
    /// Companies (re)indexed.
    pub upserted: u64,
    /// Companies taken out.
    pub removed: u64,
    /// Another refresh held the index; nothing was done.
    pub busy: bool,
    /// Companies in the index afterwards.
    pub docs: u64,
}

/// The index of active companies next to one database.
pub struct CompanySearch {
    index: Index,
    handle: SearchHandle,
    dir: PathBuf,
}

/// Searches the index; clone it into whatever thread needs to search.
#[derive(Clone)]
pub struct SearchHandle {
    reader: IndexReader,
    fields: Fields,
}

/// `nam.db` -> `nam.db.search`, beside it.
pub fn index_dir(db_path: &Path) -> PathBuf {
    let mut name = db_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "nam.db".into());
    name.push(".search");
    db_path.with_file_name(name)
}

impl CompanySearch {
    /// Opens the index beside `db_path`, creating it if missing. An index
    /// that cannot be read or was written by another format is wiped and
    /// started afresh (the next [`refresh`](Self::refresh) rebuilds it):
    /// the index is a cache of the database, never worth an error.
    pub fn open(db_path: &Path) -> Result<Self> {
        let dir = index_dir(db_path);
        match Self::open_dir(&dir) {
            Ok(Some(search)) => return Ok(search),
            Ok(None) => tracing::warn!(
                dir = %dir.display(),
                "company search index has an old format; rebuilding it"
            ),
            Err(e) => tracing::warn!(
                dir = %dir.display(),
                error = %format!("{e:#}"),
                "company search index unreadable; rebuilding it"
            ),
        }
        let removed = if dir.is_dir() {
            std::fs::remove_dir_all(&dir)
        } else if dir.exists() {
            std::fs::remove_file(&dir)
        } else {
            Ok(())
        };
        removed.with_context(|| format!("removing the search index {}", dir.display()))?;
        Self::open_dir(&dir)?.with_context(|| {
            format!(
                "the new search index {} has the wrong format",
                dir.display()
            )
        })
    }

    /// `None`: an index of another format.
    fn open_dir(dir: &Path) -> Result<Option<Self>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the search index {}", dir.display()))?;
        let (schema, fields) = schema();
        let index = if dir.join("meta.json").exists() {
            let index = Index::open_in_dir(dir)?;
            if index.schema() != schema {
                return Ok(None);
            }
            if let Some(p) = payload(&index)?
                && p.format != FORMAT
            {
                return Ok(None);
            }
            index
        } else {
            Index::create_in_dir(dir, schema)?
        };
        // Opening the reader opens every segment: a missing or damaged
        // file shows here rather than at the first search.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Some(CompanySearch {
            index,
            handle: SearchHandle { reader, fields },
            dir: dir.to_path_buf(),
        }))
    }

    /// Where the index lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A handle to search with while this index is refreshed.
    pub fn handle(&self) -> SearchHandle {
        self.handle.clone()
    }

    /// See [`SearchHandle::search`].
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<i64>> {
        self.handle.search(text, limit)
    }

    /// Number of companies indexed.
    pub fn len(&self) -> u64 {
        self.handle.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the index up to date with `store`: new and changed active
    /// companies indexed, merged, rejected and deleted ones taken out;
    /// everything when the index is new or belonged to another database.
    pub fn refresh(&mut self, store: &Store) -> Result<RefreshReport> {
        let mut report = RefreshReport::default();
        // A first build gets every core and a large buffer; an update, one
        // thread and the minimum. Only a hint: the watermark that counts is
        // read again under the writer lock, since another process may have
        // refreshed in between.
        let first_build = payload(&self.index)?.is_none_or(|p| p.format != FORMAT);
        let threads =
            first_build.then(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)));
        let mut writer = match self.writer(threads) {
            Ok(w) => w,
            Err(TantivyError::LockFailure(..)) => {
                report.busy = true;
                report.docs = self.len();
                return Ok(report);
            }
            Err(e) => return Err(e).context("opening the search index writer"),
        };
        let since = payload(&self.index)?
            .filter(|p| p.format == FORMAT)
            .map(|p| p.watermark);
        let fields = self.handle.fields;
        // After a reset the index is empty: deleting ids first is wasted work
        // (a million queued deletes at commit).
        let mut fresh = false;
        let watermark = store.search_feed(since, &mut |item| {
            match item {
                SearchFeedItem::Reset => {
                    writer.delete_all_documents()?;
                    fresh = true;
                    report.rebuilt = true;
                }
                SearchFeedItem::Upsert(row) => {
                    if !fresh {
                        writer.delete_term(Term::from_field_i64(fields.id, row.id));
                    }
                    writer.add_document(document(fields, &row))?;
                    report.upserted += 1;
                }
                SearchFeedItem::Remove(id) => {
                    writer.delete_term(Term::from_field_i64(fields.id, id));
                    report.removed += 1;
                }
            }
            Ok(())
        })?;
        if since == Some(watermark) && !report.rebuilt {
            // Nothing new; dropping the writer leaves the index as it was.
            report.docs = self.len();
            return Ok(report);
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&serde_json::to_string(&Payload {
            format: FORMAT,
            watermark,
        })?);
        commit.commit().context("committing the search index")?;
        writer
            .wait_merging_threads()
            .context("finishing search index merges")?;
        self.handle.reader.reload()?;
        report.docs = self.len();
        Ok(report)
    }

    /// A writer: `threads` threads with 100 MB each for a build, else one
    /// with tantivy's minimum buffer.
    fn writer(&self, threads: Option<usize>) -> tantivy::Result<IndexWriter<TantivyDocument>> {
        match threads {
            Some(n) => self.index.writer_with_num_threads(n, n * 100 * 1024 * 1024),
            None => self.index.writer_with_num_threads(1, 15 * 1024 * 1024),
        }
    }
}

fn payload(index: &Index) -> Result<Option<Payload>> {
    let meta = index.load_metas()?;
    Ok(meta
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok()))
}

fn document(f: Fields, row: &SearchRow) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_i64(f.id, row.id);
    let name = fold_words(&row.name);
    if !name.is_empty() {
        doc.add_text(f.name, name.join(" "));
        doc.add_text(f.name_prefix, prefixes(&name).join(" "));
    }
    let mut place = row.city.as_deref().map(fold_words).unwrap_or_default();
    place.extend(row.domain.as_deref().map(domain_words).unwrap_or_default());
    if !place.is_empty() {
        doc.add_text(f.place, place.join(" "));
        doc.add_text(f.place_prefix, prefixes(&place).join(" "));
    }
    doc
}

fn term(field: Field, word: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, word),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

/// A word in the name (counting more) or in the city or domain.
fn either(name: Box<dyn Query>, place: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, boosted(name, NAME_BOOST)),
        (Occur::Should, place),
    ]))
}

impl SearchHandle {
    /// Ids of the active companies matching `text`, best first, at most
    /// `limit`. Empty for text without a letter or digit.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<i64>> {
        let words = fold_words(text);
        let Some((last, done)) = words.split_last() else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let f = self.fields;
        let last_word: Box<dyn Query> = if last.len() <= MAX_PREFIX {
            either(term(f.name_prefix, last), term(f.place_prefix, last))
        } else {
            // Folded words are ASCII letters and digits: nothing to escape.
            let pattern = format!("{last}.*");
            either(
                Box::new(RegexQuery::from_pattern(&pattern, f.name)?),
                Box::new(RegexQuery::from_pattern(&pattern, f.place)?),
            )
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = done
            .iter()
            .map(|w| (Occur::Must, either(term(f.name, w), term(f.place, w))))
            .collect();
        clauses.push((Occur::Must, last_word));
        // "gear" typed in full ranks Gear Co above Gearbox Inc.
        clauses.push((Occur::Should, boosted(term(f.name, last), WHOLE_WORD_BOOST)));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let hits = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let ids = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().i64("id"))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(hits
            .into_iter()
            .filter_map(|(_, addr)| {
                ids.get(addr.segment_ord as usize)
                    .and_then(|c| c.first(addr.doc_id))
            })
            .collect())
    }

    /// Picks up a commit at once instead of within the second (after a
    /// refresh in another process).
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }
}

#[cfg(test)]
#[path = "browse_tests.rs"]
mod tests;
