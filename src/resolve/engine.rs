//! The resolver's core, in memory and without I/O: blocking, comparison,
//! decisions and clustering over the loaded company rows, giving a
//! [`Plan`] of merges and review candidates for the store to apply.
//!
//! Clustering never chains: pairs are taken best first, and two clusters
//! join only when every member of one scores at least the cluster floor with
//! every member of the other, no hard evidence conflicts between any of
//! them, and the analyst never said to keep any of them apart.

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use anyhow::Result;
use rayon::prelude::*;

use super::compare::{
    Features, Prepared, Rarity, evidence, feature, features, hard_key_match, logit_bound,
};
use super::model::Model;
use crate::model::{DecidedBy, MatchRow, PairEvidence};
use crate::search::{CompanyIndex, IndexDoc, IndexQuery, deletions, local_term, trigrams};

/// Candidates retrieved from the index per record.
const TOP_K: usize = 10;
/// Exact-key blocks larger than this are left to the index (a name shared
/// by hundreds of firms is no evidence of anything).
const MAX_BLOCK: usize = 50;
/// Words and trigrams in more records than this are not searched on.
const MAX_WORD_DF: u32 = 5000;
const MAX_GRAM_DF: u32 = 500;
const MAX_GRAMS: usize = 8;
const MAX_WORDS: usize = 3;
const MAX_PLACE_DF: u32 = 500;
/// Words searched by their one-letter deletions: long enough for a typo to
/// be told from another word, rare enough for short posting lists.
const MIN_VARIANT_LEN: usize = 5;
const MAX_VARIANT_DF: u32 = 2000;

/// A word this rare is likely a misspelling: its record searches by its
/// deletion variants (the right spelling, however common, is indexed with
/// its variants, so one direction of the pair finds the other).
const MAX_TYPO_DF: u32 = 3;

/// Deletion variants of the longer words of a name rarer than `max_df`.
fn variants(p: &Prepared, rarity: &Rarity, max_df: u32) -> Vec<String> {
    let mut out: Vec<String> = p
        .words
        .iter()
        .filter(|w| w.len() >= MIN_VARIANT_LEN && rarity.doc_freq(w) <= max_df)
        .flat_map(|w| deletions(w))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A word used by at least this many records is a spelling others are
/// corrected to (see [`Corrector`]).
const MIN_CORRECT_DF: u32 = 4;

/// Place-qualified words ([`local_term`]) shared by more records than this
/// are not searched on.
const MAX_LOCAL_DF: u32 = 200;

/// A word is taken for a misspelling of a word one typing error away that
/// at least this many times as many records use.
const CORRECT_RATIO: u32 = 10;

/// Corrects a misspelled word to the common word one typing error away
/// ("chemiacl" to "chemical"), found through the deletion variants of the
/// vocabulary's words. Blocking then finds a misspelled name by its
/// corrected name key, however common its words are. A misspelling of a
/// common word is itself not rare in a large data set (the same slip recurs),
/// so a word is corrected when its neighbour is much more common, not when it
/// is rare.
struct Corrector<'a> {
    fixes: FxHashMap<&'a str, &'a str>,
}

impl<'a> Corrector<'a> {
    fn new(rarity: &'a Rarity) -> Corrector<'a> {
        let long_enough = |w: &str| w.len() >= MIN_VARIANT_LEN - 1;
        // Deletion variant -> the most used word giving it.
        let mut by_variant: FxHashMap<String, (u32, &'a str)> = FxHashMap::default();
        for (w, df) in rarity.vocabulary() {
            if df < MIN_CORRECT_DF || !long_enough(w) {
                continue;
            }
            for v in deletions(w) {
                let slot = by_variant.entry(v).or_insert((df, w));
                if (df, w) > *slot {
                    *slot = (df, w);
                }
            }
        }
        let mut fixes = FxHashMap::default();
        for (w, df) in rarity.vocabulary() {
            if !long_enough(w) {
                continue;
            }
            let best = deletions(w)
                .iter()
                .filter_map(|v| by_variant.get(v))
                .filter(|(n, c)| {
                    *n >= MIN_CORRECT_DF.max(df.saturating_mul(CORRECT_RATIO))
                        && strsim::osa_distance(w, c) <= 1
                })
                .max()
                .map(|(_, c)| *c);
            if let Some(c) = best {
                fixes.insert(w, c);
            }
        }
        Corrector { fixes }
    }

    /// `word`, or the common word it misspells.
    fn correct<'w>(&'w self, word: &'w str) -> &'w str {
        self.fixes.get(word).copied().unwrap_or(word)
    }

    /// The name without spaces, misspellings corrected: "Heartland Chemiacl"
    /// and "HeartlandChemical" both give "heartlandchemical".
    fn key(&self, p: &Prepared) -> String {
        p.words.iter().map(|w| self.correct(w)).collect()
    }
}

/// A cluster never grows past this many records by automatic merges.
const MAX_CLUSTER: usize = 64;

/// What the resolver starts from.
#[derive(Debug, Default)]
pub struct Input {
    /// Active and merged companies, what matching reads of them.
    pub rows: Vec<MatchRow>,
    /// Pairs (ordered company ids) already candidates or decided.
    pub settled: HashSet<(i64, i64)>,
    /// Pairs the analyst kept apart or skipped: never merged automatically.
    pub apart: HashSet<(i64, i64)>,
    /// Compare every active company again, not only unresolved ones.
    pub force_full: bool,
    pub now: String,
}

/// One merge the store should record. The rows themselves are read and
/// merged when the plan is written, so a plan for a million companies holds
/// none of their rows.
#[derive(Debug, Clone)]
pub struct PlannedMerge {
    pub survivor_id: i64,
    pub loser_id: i64,
    /// The company the whole cluster ends in: merges come grouped by it,
    /// in the order they were decided within each cluster.
    pub cluster_id: i64,
    pub decided_by: DecidedBy,
    pub score: f64,
    pub features: Features,
}

impl PlannedMerge {
    pub fn evidence(&self) -> PairEvidence {
        evidence(&self.features, self.score)
    }
}

/// A pair for the analyst: the two clusters' survivors and the evidence of
/// their best-scoring pair of records.
#[derive(Debug, Clone)]
pub struct PlannedCandidate {
    pub left_id: i64,
    pub right_id: i64,
    pub score: f64,
    pub features: Features,
}

impl PlannedCandidate {
    pub fn evidence(&self) -> PairEvidence {
        evidence(&self.features, self.score)
    }
}

/// Counts of a planning run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PlanStats {
    pub records: usize,
    pub queried: usize,
    pub pairs_compared: usize,
    pub auto_merges: usize,
    pub hard_key_merges: usize,
    pub blocked_by_conflict: usize,
    pub blocked_by_cluster: usize,
    pub blocked_by_analyst: usize,
    pub candidates: usize,
    /// Milliseconds spent preparing records, in blocking (index build and
    /// searches), scoring pairs and clustering.
    pub prepare_ms: u64,
    pub blocking_ms: u64,
    pub scoring_ms: u64,
    pub clustering_ms: u64,
}

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Grouped by cluster (see [`PlannedMerge::cluster_id`]).
    pub merges: Vec<PlannedMerge>,
    pub candidates: Vec<PlannedCandidate>,
    /// Every company with an id up to this was resolved by this plan.
    pub resolved_upto: i64,
    /// The time merges and resolved marks are stamped with.
    pub now: String,
    pub stats: PlanStats,
}

/// Progress and cancellation hooks.
pub trait Observer: Sync {
    fn progress(&self, done: u64, total: u64);
    fn cancelled(&self) -> bool;
}

fn key(a: i64, b: i64) -> (i64, i64) {
    if a < b { (a, b) } else { (b, a) }
}

struct Clusters {
    parent: Vec<usize>,
    members: FxHashMap<usize, Vec<usize>>,
}

impl Clusters {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
}

/// A scored pair, compact: millions of these may be held at once.
#[derive(Debug, Clone, Copy)]
struct Scored {
    a: u32,
    b: u32,
    score: f32,
    hard_conflict: bool,
    /// Worth the analyst's time below the automatic threshold (see
    /// [`worth_review`]).
    worth: bool,
}

struct Engine<'a> {
    model: &'a Model,
    rarity: Rarity,
    prepared: Vec<Prepared>,
    /// (score, hard conflict) of pairs scored so far.
    scores: FxHashMap<(u32, u32), (f32, bool)>,
}

/// Scores a pair (positions), the hard-key rule included.
fn score_pair(
    p: &[Prepared],
    rarity: &Rarity,
    model: &Model,
    a: usize,
    b: usize,
) -> (f64, Features) {
    let f = features(&p[a], &p[b], rarity);
    let mut score = model.probability(&f.values);
    if hard_key_match(&p[a], &p[b]) {
        score = score.max(0.999);
    }
    (score, f)
}

/// The same distinctive name (a word at most [`DISTINCTIVE_DF`] records
/// use) with no website or state in conflict, but a different phone or
/// place: one firm's plant, or two firms of one name. The model scores these
/// low (a different phone is strong evidence), yet an analyst should look,
/// so they go to review whatever the score. Common names (shared surnames
/// and trade words) stay out: there a different phone means a different firm.
fn same_name_elsewhere(f: &Features, a: &Prepared, rarity: &Rarity) -> bool {
    let v = &f.values;
    v[feature::SAME_NAME_KEY] >= 1.0
        && v[feature::DOMAIN] >= 0.0
        && v[feature::STATE] >= 0.0
        && a.words.iter().any(|w| rarity.doc_freq(w) <= DISTINCTIVE_DF)
}

/// Whether a pair the model is unsure of is worth asking about: the names
/// agree (by weighted words or spelled together), or something that
/// identifies a firm does (domain, phone, street). Two differently named
/// firms that merely share a city and postal code (many do, in an
/// industrial district) are not a question for the analyst.
fn worth_review(f: &Features) -> bool {
    let v = &f.values;
    v[feature::NAME_TOKENS] >= 0.6
        || v[feature::COMPACT] >= 0.85
        || v[feature::DOMAIN] > 0.0
        || v[feature::PHONE] > 0.0
        || v[feature::STREET] > 0.6
}

/// See [`same_name_elsewhere`].
const DISTINCTIVE_DF: u32 = 3;

impl Engine<'_> {
    /// (score, hard conflict) of a pair, computed once.
    fn score(&mut self, a: usize, b: usize) -> (f32, bool) {
        let k = if a < b { (a, b) } else { (b, a) };
        let key = (k.0 as u32, k.1 as u32);
        if let Some(v) = self.scores.get(&key) {
            return *v;
        }
        let (score, f) = score_pair(&self.prepared, &self.rarity, self.model, k.0, k.1);
        let v = (score as f32, f.hard_conflict);
        self.scores.insert(key, v);
        v
    }

    /// The score and features of a pair (for what gets stored).
    fn scored(&self, a: usize, b: usize) -> (f64, Features) {
        score_pair(&self.prepared, &self.rarity, self.model, a, b)
    }
}

/// Plans resolution. `None` when cancelled (nothing to write).
pub fn plan(input: Input, model: &Model, obs: &dyn Observer) -> Result<Option<Plan>> {
    let Input {
        rows,
        settled,
        apart,
        force_full,
        now,
    } = input;
    let pos: FxHashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    // Existing clusters: every merged row under its surviving root.
    let mut clusters = Clusters {
        parent: (0..rows.len()).collect(),
        members: FxHashMap::default(),
    };
    for i in 0..rows.len() {
        let mut cur = i;
        for _ in 0..64 {
            match rows[cur].merged_into.and_then(|m| pos.get(&m)) {
                Some(&next) if rows[cur].merged => cur = next,
                _ => break,
            }
        }
        clusters.parent[i] = cur;
        clusters.members.entry(cur).or_default().push(i);
    }
    drop(pos);

    let clock = std::time::Instant::now();
    let mut prepared: Vec<Prepared> = rows.par_iter().map(Prepared::from_row).collect();
    let rarity = Rarity::new(prepared.iter());
    prepared.par_iter_mut().for_each(|p| rarity.annotate(p));
    let queries: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.merged && (force_full || !r.resolved))
        .map(|(i, _)| i)
        .collect();
    let resolved_upto = rows.iter().map(|r| r.id).max().unwrap_or(0);
    // From here on a record is its position; the ids are all that is kept.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    drop(rows);
    let mut stats = PlanStats {
        records: ids.len(),
        queried: queries.len(),
        ..Default::default()
    };
    if queries.is_empty() {
        return Ok(Some(Plan {
            resolved_upto,
            now,
            stats,
            ..Default::default()
        }));
    }

    stats.prepare_ms = clock.elapsed().as_millis() as u64;
    let clock = std::time::Instant::now();
    let Some(pairs) = blocked_pairs(
        &Blocking {
            prepared: &prepared,
            rarity: &rarity,
            queries: &queries,
            roots: &clusters.parent,
        },
        obs,
    )?
    else {
        return Ok(None);
    };
    drop(queries);
    stats.pairs_compared = pairs.len();
    stats.blocking_ms = clock.elapsed().as_millis() as u64;
    let clock = std::time::Instant::now();

    // Comparison, in parallel. A pair whose fields alone keep it below the
    // review floor however alike the names are is not compared at all
    // (unless the names are one: see `same_name_elsewhere`).
    let floor_logit = (model.review_floor / (1.0 - model.review_floor)).ln();
    let mut scored: Vec<Scored> = pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a as usize, b as usize);
            let (pa, pb) = (&prepared[a], &prepared[b]);
            if pa.compact != pb.compact && logit_bound(pa, pb, &model.weights) < floor_logit {
                return None;
            }
            let (score, f) = score_pair(&prepared, &rarity, model, a, b);
            let review =
                score >= model.review_floor || same_name_elsewhere(&f, &prepared[a], &rarity);
            review.then_some(Scored {
                a: a as u32,
                b: b as u32,
                score: score as f32,
                hard_conflict: f.hard_conflict,
                worth: worth_review(&f),
            })
        })
        .collect();
    drop(pairs);
    scored.sort_by(|x, y| {
        y.score
            .partial_cmp(&x.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    stats.scoring_ms = clock.elapsed().as_millis() as u64;
    let clock = std::time::Instant::now();
    let mut engine = Engine {
        model,
        rarity,
        prepared,
        scores: scored
            .iter()
            .map(|s| ((s.a, s.b), (s.score, s.hard_conflict)))
            .collect(),
    };
    let auto = model.auto_merge as f32;
    let floor = model.cluster_floor as f32;

    // Decisions and clustering, best pair first.
    let mut merges: Vec<PlannedMerge> = Vec::new();
    // The survivor's position of each merge.
    let mut merged_into: Vec<usize> = Vec::new();
    let mut review: Vec<(usize, usize, f32)> = Vec::new();
    for sp in &scored {
        let (a, b) = (sp.a as usize, sp.b as usize);
        let (ra, rb) = (clusters.find(a), clusters.find(b));
        if ra == rb {
            continue;
        }
        if settled.contains(&key(ids[a], ids[b])) || settled.contains(&key(ids[ra], ids[rb])) {
            continue;
        }
        if sp.score < auto || sp.hard_conflict {
            if sp.hard_conflict && sp.score >= auto {
                stats.blocked_by_conflict += 1;
            }
            if sp.worth || sp.score >= auto {
                review.push((a, b, sp.score));
            }
            continue;
        }
        let ma = clusters.members.get(&ra).cloned().unwrap_or_default();
        let mb = clusters.members.get(&rb).cloned().unwrap_or_default();
        let analyst_apart = ma
            .iter()
            .any(|x| mb.iter().any(|y| apart.contains(&key(ids[*x], ids[*y]))));
        if analyst_apart {
            stats.blocked_by_analyst += 1;
            continue;
        }
        let mut linked = ma.len() + mb.len() <= MAX_CLUSTER;
        if linked {
            'all: for x in &ma {
                for y in &mb {
                    let (score, hard) = engine.score(*x, *y);
                    if hard || score < floor {
                        linked = false;
                        break 'all;
                    }
                }
            }
        }
        if !linked {
            stats.blocked_by_cluster += 1;
            review.push((a, b, sp.score));
            continue;
        }
        // The older company survives, so canonical ids stay stable.
        let (s, l) = if ids[ra] < ids[rb] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let decided_by = if hard_key_match(&engine.prepared[a], &engine.prepared[b]) {
            stats.hard_key_merges += 1;
            DecidedBy::HardKey
        } else {
            stats.auto_merges += 1;
            DecidedBy::Auto
        };
        let (score, features) = engine.scored(a, b);
        merges.push(PlannedMerge {
            survivor_id: ids[s],
            loser_id: ids[l],
            cluster_id: 0,
            decided_by,
            score,
            features,
        });
        merged_into.push(s);
        clusters.parent[l] = s;
        let mut all = clusters.members.remove(&l).unwrap_or_default();
        clusters.members.entry(s).or_default().append(&mut all);
    }
    // Each cluster's merges together, in the order they were decided: the
    // writer then holds one cluster's rows at a time.
    for (m, s) in merges.iter_mut().zip(merged_into) {
        m.cluster_id = ids[clusters.find(s)];
    }
    merges.sort_by_key(|m| m.cluster_id);

    // Review: one candidate per pair of clusters, the best-scoring pair.
    let mut best: FxHashMap<(i64, i64), (usize, usize, f32)> = FxHashMap::default();
    for (a, b, score) in review {
        let (ra, rb) = (clusters.find(a), clusters.find(b));
        if ra == rb {
            continue;
        }
        let k = key(ids[ra], ids[rb]);
        if settled.contains(&k) || settled.contains(&key(ids[a], ids[b])) {
            continue;
        }
        let ma = clusters.members.get(&ra).cloned().unwrap_or_default();
        let mb = clusters.members.get(&rb).cloned().unwrap_or_default();
        if ma
            .iter()
            .any(|x| mb.iter().any(|y| apart.contains(&key(ids[*x], ids[*y]))))
        {
            continue;
        }
        match best.get(&k) {
            Some(cur) if cur.2 >= score => {}
            _ => {
                best.insert(k, (a, b, score));
            }
        }
    }
    let mut candidates: Vec<PlannedCandidate> = best
        .into_iter()
        .map(|((left_id, right_id), (a, b, _))| {
            let (score, features) = engine.scored(a, b);
            PlannedCandidate {
                left_id,
                right_id,
                score,
                features,
            }
        })
        .collect();
    candidates.sort_by_key(|c| (c.left_id, c.right_id));
    stats.candidates = candidates.len();
    stats.clustering_ms = clock.elapsed().as_millis() as u64;
    Ok(Some(Plan {
        merges,
        candidates,
        resolved_upto,
        now,
        stats,
    }))
}

/// What blocking works on.
pub struct Blocking<'a> {
    pub prepared: &'a [Prepared],
    pub rarity: &'a Rarity,
    /// Positions of the records to find matches for.
    pub queries: &'a [usize],
    /// Cluster root of each position: pairs inside a cluster are skipped.
    pub roots: &'a [usize],
}

/// Candidate pairs (positions, smaller first) for the query records: the
/// index's top hits plus exact blocks on the phone and on the name key with
/// misspellings corrected ([`Corrector`]). `None` when cancelled.
pub fn blocked_pairs(b: &Blocking<'_>, obs: &dyn Observer) -> Result<Option<Vec<(u32, u32)>>> {
    let mut gram_df: FxHashMap<String, u32> = FxHashMap::default();
    let mut place_df: FxHashMap<String, u32> = FxHashMap::default();
    // Place-qualified words, counted by hash (there are millions).
    let mut local_df: FxHashMap<u64, u32> = FxHashMap::default();
    for p in b.prepared {
        if let Some(pl) = p.place() {
            let mut words: Vec<&str> = p.words.iter().map(String::as_str).collect();
            words.sort_unstable();
            words.dedup();
            for w in words {
                *local_df.entry(local_hash(w, &pl)).or_default() += 1;
            }
            *place_df.entry(pl).or_default() += 1;
        }
        let mut grams: Vec<String> = p.words.iter().flat_map(|w| trigrams(w)).collect();
        grams.sort_unstable();
        grams.dedup();
        for g in grams {
            *gram_df.entry(g).or_default() += 1;
        }
    }
    let docs = b.prepared.iter().enumerate().map(|(i, p)| IndexDoc {
        handle: i as u64,
        words: p.words.clone(),
        domain: p.domain.clone(),
        phone: p.phone.clone(),
        place: p.place(),
        variants: variants(p, b.rarity, MAX_VARIANT_DF),
    });
    // One indexing thread below 100,000 records: document order, and so the
    // order of equal-scoring hits, is then the same on every run.
    let threads = if b.prepared.len() < 100_000 {
        1
    } else {
        rayon::current_num_threads()
    };
    let index = CompanyIndex::build(docs, threads)?;
    let corrector = Corrector::new(b.rarity);
    let keys: Vec<String> = b.prepared.par_iter().map(|p| corrector.key(p)).collect();
    drop(corrector);
    let mut by_key: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut by_phone: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, p) in b.prepared.iter().enumerate() {
        by_key.entry(keys[i].as_str()).or_default().push(i);
        if let Some(ph) = &p.phone {
            by_phone.entry(ph.as_str()).or_default().push(i);
        }
    }
    let total = b.queries.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let chunks: Vec<&[usize]> = b.queries.chunks(2048).collect();
    let found: Vec<Option<Vec<(u32, u32)>>> = chunks
        .par_iter()
        .map(|chunk| -> Result<Option<Vec<(u32, u32)>>> {
            if obs.cancelled() {
                return Ok(None);
            }
            let searcher = index.searcher()?;
            let mut out = Vec::new();
            for &q in chunk.iter() {
                let p = &b.prepared[q];
                let mut words: Vec<&str> = p
                    .words
                    .iter()
                    .map(String::as_str)
                    .filter(|w| b.rarity.doc_freq(w) <= MAX_WORD_DF)
                    .collect();
                // The rarest few words carry the evidence; the others only
                // lengthen the posting lists to scan.
                words.sort_by_key(|w| b.rarity.doc_freq(w));
                words.truncate(MAX_WORDS);
                if words.is_empty() {
                    // Only common words: search on the rarest of them.
                    if let Some(w) = p.words.iter().min_by_key(|w| b.rarity.doc_freq(w)) {
                        words.push(w.as_str());
                    }
                }
                let mut grams: Vec<(u32, String)> = p
                    .words
                    .iter()
                    .flat_map(|w| trigrams(w))
                    .map(|g| (gram_df.get(&g).copied().unwrap_or(0), g))
                    .filter(|(df, _)| *df > 1 && *df <= MAX_GRAM_DF)
                    .collect();
                grams.sort();
                grams.dedup();
                grams.truncate(MAX_GRAMS);
                let grams: Vec<&str> = grams.iter().map(|(_, g)| g.as_str()).collect();
                // A city holds thousands of firms: as a search term it costs a
                // long posting list for little, so only small places count.
                let record_place = p.place();
                let place = record_place
                    .as_deref()
                    .filter(|pl| place_df.get(*pl).copied().unwrap_or(0) <= MAX_PLACE_DF);
                let vars = variants(p, b.rarity, MAX_TYPO_DF);
                let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
                let local: Vec<String> = match record_place.as_deref() {
                    Some(pl) => p
                        .words
                        .iter()
                        .filter(|w| {
                            local_df.get(&local_hash(w, pl)).copied().unwrap_or(0) <= MAX_LOCAL_DF
                        })
                        .map(|w| local_term(w, pl))
                        .collect(),
                    None => Vec::new(),
                };
                let local: Vec<&str> = local.iter().map(String::as_str).collect();
                let hits = searcher.top(
                    &IndexQuery {
                        words: &words,
                        grams: &grams,
                        domain: p.domain.as_deref(),
                        phone: p.phone.as_deref(),
                        place,
                        variants: &vars,
                        local: &local,
                    },
                    TOP_K + 1,
                )?;
                let mut cands: Vec<usize> = hits.into_iter().map(|(h, _)| h as usize).collect();
                for block in [
                    by_key.get(keys[q].as_str()),
                    p.phone.as_deref().and_then(|ph| by_phone.get(ph)),
                ]
                .into_iter()
                .flatten()
                {
                    if block.len() <= MAX_BLOCK {
                        cands.extend(block.iter().copied());
                    }
                }
                cands.sort_unstable();
                cands.dedup();
                for c in cands {
                    if c != q && b.roots[c] != b.roots[q] {
                        let (x, y) = if q < c { (q, c) } else { (c, q) };
                        out.push((x as u32, y as u32));
                    }
                }
            }
            out.sort_unstable();
            out.dedup();
            let d = done.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
            obs.progress(d + chunk.len() as u64, total);
            Ok(Some(out))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(found.iter().flatten().map(Vec::len).sum());
    for f in found {
        match f {
            Some(v) => pairs.extend(v),
            None => return Ok(None),
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    Ok(Some(pairs))
}

/// Hash of a [`local_term`], for counting without building the strings.
fn local_hash(word: &str, place: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    word.hash(&mut h);
    place.hash(&mut h);
    h.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct Quiet;
    impl Observer for Quiet {
        fn progress(&self, _: u64, _: u64) {}
        fn cancelled(&self) -> bool {
            false
        }
    }

    fn row(id: i64, name: &str, city: Option<&str>) -> MatchRow {
        MatchRow {
            id,
            name: name.into(),
            name_key: crate::normalize::name_key(name),
            city: city.map(Into::into),
            state: city.map(|_| "TN".into()),
            ..Default::default()
        }
    }

    /// Pairs blocking finds among `rows` (positions).
    fn blocked(rows: &[MatchRow]) -> Vec<(u32, u32)> {
        let mut prepared: Vec<Prepared> = rows.iter().map(Prepared::from_row).collect();
        let rarity = Rarity::new(prepared.iter());
        for p in &mut prepared {
            rarity.annotate(p);
        }
        let all: Vec<usize> = (0..rows.len()).collect();
        blocked_pairs(
            &Blocking {
                prepared: &prepared,
                rarity: &rarity,
                queries: &all,
                roots: &all,
            },
            &Quiet,
        )
        .unwrap()
        .unwrap()
    }

    /// `n` firms named by `name_of`, in the city `city_of` gives.
    fn firms(
        first_id: i64,
        n: usize,
        name_of: impl Fn(usize) -> String,
        city_of: impl Fn(usize) -> Option<&'static str>,
    ) -> Vec<MatchRow> {
        (0..n)
            .map(|i| row(first_id + i as i64, &name_of(i), city_of(i)))
            .collect()
    }

    #[test]
    fn a_misspelled_common_word_is_found_by_the_corrected_name() {
        // Sixty firms share every other word of the name; "chemical" is too
        // common to be indexed with its spelling variants.
        let mut rows = firms(
            100,
            60,
            |i| format!("Dalton T{i}x Works Valley 2"),
            |_| Some("Memphis"),
        );
        rows.extend(firms(
            1000,
            (MAX_VARIANT_DF + 1) as usize,
            |i| format!("A{i}q Chemical"),
            |_| None,
        ));
        rows.push(row(
            1,
            "Dalton Chemical Works Valley 2 Incorporated",
            Some("Nashville"),
        ));
        rows.push(row(2, "Dalton Cheimcal Works Valley 2 Inc.", None));
        let (a, b) = (rows.len() as u32 - 2, rows.len() as u32 - 1);
        assert!(blocked(&rows).contains(&(a, b)));
    }

    #[test]
    fn a_shared_word_in_the_same_place_ranks_first_among_look_alikes() {
        // Sixty firms elsewhere whose names share more words with each of
        // the two than they share with each other, and a city too crowded to
        // search on.
        let mut rows = firms(
            100,
            60,
            |i| format!("Heartland Vxq Pacific Qvx T{i}x"),
            |i| Some(["Akron", "Dayton", "Toledo", "Canton", "Parma"][i % 5]),
        );
        rows.extend(firms(
            1000,
            (MAX_PLACE_DF + 1) as usize,
            |i| format!("Z{i}v Tooling"),
            |_| Some("Milwaukee"),
        ));
        rows.push(row(1, "Heartland Vxq Pacific", Some("Milwaukee")));
        rows.push(row(2, "Heartland Pacific Qvx", Some("Milwaukee")));
        let (a, b) = (rows.len() as u32 - 2, rows.len() as u32 - 1);
        assert!(blocked(&rows).contains(&(a, b)));
    }
}
