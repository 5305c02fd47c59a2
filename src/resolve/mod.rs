//! RESOLUTION: which source records are one firm.
//!
//! Extraction and import attach each listing to a company on hard keys only
//! (the listing's earlier company, else the same registrable domain). This
//! phase compares the companies that are new since the last run with
//! everything in the store: candidates come from a tantivy index and exact
//! blocks on the phone and on the name key with misspellings corrected
//! ([`crate::search`], [`engine`]), pairs are scored by a
//! calibrated model over strsim field similarities ([`compare`], [`model`]),
//! and clustering merges only what matches a whole cluster ([`engine`]).
//! Uncertain pairs go to `merge_candidates` for the analyst ([`review`]).
//! Merges keep the older company's id and are recorded with what undo needs.
//!
//! The phase writes its plan in one transaction: killed midway, it leaves
//! nothing behind and runs again from the start on resume (the plan is a
//! pure function of the store, so the result is the same).

pub mod compare;
pub mod engine;
pub mod model;
pub mod review;
pub mod survivorship;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::model::{
    CompanyRow, DecisionKind, EventSender, Phase, PipelineEvent, RunControl, now_string,
};
use crate::store::{MergeRecord, PairWrite, Store, Writer};
pub use engine::{Plan, PlanStats};
pub use model::Model;

/// What RESOLUTION needs.
pub struct ResolveRun<'a> {
    pub reader: &'a Store,
    pub writer: &'a Writer,
    pub job_id: Option<i64>,
    pub events: &'a EventSender,
    pub control: &'a RunControl,
    /// Compare every active company again (decisions still hold).
    pub force_full: bool,
}

/// Outcome of the phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolutionReport {
    #[serde(flatten)]
    pub stats: PlanStats,
    /// Analyst answers the model learned from.
    pub learned_from: usize,
    pub active_companies: i64,
    pub pending_review: usize,
    pub cancelled: bool,
    /// Milliseconds reading the store and writing the plan.
    pub load_ms: u64,
    pub write_ms: u64,
}

impl ResolutionReport {
    pub fn summary(&self) -> String {
        format!(
            "{} records compared ({} new), {} merged automatically ({} on hard keys), {} pairs for review ({} pending in all), {} canonical companies",
            self.stats.records,
            self.stats.queried,
            self.stats.auto_merges + self.stats.hard_key_merges,
            self.stats.hard_key_merges,
            self.stats.candidates,
            self.pending_review,
            self.active_companies
        )
    }
}

struct Progress<'a> {
    events: &'a EventSender,
    control: &'a RunControl,
    job_id: Option<i64>,
}

impl engine::Observer for Progress<'_> {
    fn progress(&self, done: u64, total: u64) {
        if let Some(job_id) = self.job_id {
            self.events.emit(PipelineEvent::Progress {
                job_id,
                phase: Phase::Resolution,
                done,
                total: Some(total),
                message: Some("records searched for matches".into()),
            });
        }
    }

    fn cancelled(&self) -> bool {
        self.control.is_cancelled()
    }
}

/// The model for this run: the shipped one refitted on the analyst's answers.
pub fn current_model(store: &Store) -> Result<(Model, usize)> {
    let decisions = store.analyst_decisions()?;
    Ok((Model::shipped()?.learned(&decisions), decisions.len()))
}

/// Loads the store, plans, and writes the plan in one transaction.
pub fn run_resolution(run: &ResolveRun<'_>) -> Result<ResolutionReport> {
    let store = run.reader;
    let (model, learned_from) = current_model(store)?;
    let mut apart = std::collections::HashSet::new();
    for d in store.decisions()? {
        if matches!(d.decision, DecisionKind::KeepApart | DecisionKind::Skip) {
            apart.insert((d.left_id, d.right_id));
        }
    }
    let clock = std::time::Instant::now();
    let input = engine::Input {
        rows: store.match_rows()?,
        settled: store.settled_pairs()?,
        apart,
        force_full: run.force_full,
        now: now_string(),
    };
    let load_ms = clock.elapsed().as_millis() as u64;
    let progress = Progress {
        events: run.events,
        control: run.control,
        job_id: run.job_id,
    };
    let Some(plan) = engine::plan(input, &model, &progress)? else {
        return Ok(ResolutionReport {
            cancelled: true,
            learned_from,
            ..Default::default()
        });
    };
    let stats = plan.stats.clone();
    let job_id = run.job_id;
    let clock = std::time::Instant::now();
    run.writer
        .call_blocking(move |s| apply_plan(s, &plan, job_id))
        .context("writing the resolution")?;
    run.writer.flush_blocking()?;
    let write_ms = clock.elapsed().as_millis() as u64;
    Ok(ResolutionReport {
        stats,
        load_ms,
        write_ms,
        learned_from,
        active_companies: store.company_count()?,
        pending_review: store.pending_candidates(None)?.len(),
        cancelled: false,
    })
}

/// Writes a plan: each cluster's merges in order (the rows read and merged
/// here, one cluster at a time), the survivors' final rows, the review
/// candidates, and the resolved marks.
pub fn apply_plan(s: &Store, plan: &Plan, job_id: Option<i64>) -> Result<()> {
    let tables = s.link_tables()?;
    // The current rows of the cluster being written, by id.
    let mut rows: HashMap<i64, CompanyRow> = HashMap::new();
    let mut cluster = None;
    for m in &plan.merges {
        if cluster != Some(m.cluster_id) {
            write_survivors(s, &mut rows, &plan.now)?;
            cluster = Some(m.cluster_id);
        }
        let survivor = take_row(s, &mut rows, m.survivor_id)?;
        // A loser the plan merged into earlier has changes not yet written.
        let loser_stored = !rows.contains_key(&m.loser_id);
        let loser = take_row(s, &mut rows, m.loser_id)?;
        let (s_after, mut l_after) = survivorship::merge_rows(&survivor, &loser, &plan.now);
        // Resolved by this plan (written now, so the closing mark has one
        // row fewer to rewrite; in the snapshot, so undo restores it).
        l_after.resolved_at = Some(plan.now.clone());
        let mut snapshot = s.linked_ids(m.loser_id, tables)?;
        snapshot.survivor_before = survivor.patch_from(&s_after);
        snapshot.loser_before = loser.patch_from(&l_after);
        s.record_merge(&MergeRecord {
            survivor_id: m.survivor_id,
            loser_after: &l_after,
            snapshot: &snapshot,
            decided_by: m.decided_by,
            evidence: Some(&m.evidence()),
            job_id,
            loser_stored,
        })?;
        rows.insert(m.survivor_id, s_after);
    }
    write_survivors(s, &mut rows, &plan.now)?;
    for c in &plan.candidates {
        s.upsert_candidate(&PairWrite {
            left_id: c.left_id,
            right_id: c.right_id,
            evidence: &c.evidence(),
            job_id,
        })?;
    }
    s.mark_resolved(plan.resolved_upto, &now_string())?;
    Ok(())
}

/// Company `id` as the plan has left it so far: from `rows` if a merge of
/// this cluster changed it, else from the store.
fn take_row(s: &Store, rows: &mut HashMap<i64, CompanyRow>, id: i64) -> Result<CompanyRow> {
    match rows.remove(&id) {
        Some(r) => Ok(r),
        None => s
            .company_row(id)?
            .with_context(|| format!("company {id} vanished while resolving")),
    }
}

/// Writes the surviving rows of a finished cluster, marked resolved.
fn write_survivors(s: &Store, rows: &mut HashMap<i64, CompanyRow>, now: &str) -> Result<()> {
    let mut done: Vec<CompanyRow> = rows.drain().map(|(_, r)| r).collect();
    done.sort_by_key(|r| r.id);
    for mut r in done {
        r.resolved_at = Some(now.to_owned());
        s.write_company_row(&r)?;
    }
    Ok(())
}

/// Opens a writer on `db`, resolves everything pending, and closes it: the
/// whole phase for tests, benchmarks and one-off use.
pub fn resolve_pending(db: &Path, force_full: bool) -> Result<ResolutionReport> {
    let writer = Writer::open(db)?;
    let reader = Store::open_readonly(db)?;
    let report = run_resolution(&ResolveRun {
        reader: &reader,
        writer: &writer,
        job_id: None,
        events: &EventSender::none(),
        control: &RunControl::new(),
        force_full,
    })?;
    writer.flush_blocking()?;
    Ok(report)
}
