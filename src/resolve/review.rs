//! The analyst's side of resolution: the review queue and the three answers
//! (merge, keep apart, skip), undo, and bulk acceptance. `nam review` and the
//! TUI's review pane both call these.

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::compare::{Prepared, Rarity, compare};
use super::survivorship::merge_rows;
use crate::model::{CandidateRow, Company, DecidedBy, DecisionKind, PairEvidence, now_string};
use crate::store::{MergeRecord, PairWrite, Store};

/// A candidate with both companies, for display.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub candidate: CandidateRow,
    pub left: Company,
    pub right: Company,
}

/// The review queue, most uncertain first.
pub fn queue(store: &Store, limit: Option<usize>) -> Result<Vec<ReviewItem>> {
    let mut out = Vec::new();
    for c in store.pending_candidates(limit)? {
        let left = store.company(c.left_id)?;
        let right = store.company(c.right_id)?;
        if let (Some(left), Some(right)) = (left, right) {
            out.push(ReviewItem {
                candidate: c,
                left,
                right,
            });
        }
    }
    Ok(out)
}

/// The two companies as they stand (following merges), refusing a pair
/// that is already one company.
fn current_pair(store: &Store, a: i64, b: i64) -> Result<(i64, i64)> {
    for id in [a, b] {
        if store.company_row(id)?.is_none() {
            bail!("there is no company {id}");
        }
    }
    let (sa, sb) = (store.surviving_company(a)?, store.surviving_company(b)?);
    if sa == sb {
        bail!("companies {a} and {b} are already one company ({sa})");
    }
    Ok((sa, sb))
}

/// The evidence for a pair, scored by the current model (stored with the
/// answer so later runs can learn from it).
fn evidence(store: &Store, a: i64, b: i64) -> Result<PairEvidence> {
    let ra = store
        .company_row(a)?
        .with_context(|| format!("company {a}"))?;
    let rb = store
        .company_row(b)?
        .with_context(|| format!("company {b}"))?;
    let (pa, pb) = (
        Prepared::from_row(&(&ra).into()),
        Prepared::from_row(&(&rb).into()),
    );
    // Rarity over the whole store is what the resolver uses; for one pair
    // the stored candidate's evidence is preferred when there is one.
    if let Some(c) = store.candidate(a, b)?
        && c.evidence.features.len() == super::compare::FEATURES.len()
        && !(c.evidence.agreed.is_empty() && c.evidence.conflicted.is_empty())
    {
        return Ok(c.evidence);
    }
    let rarity = Rarity::new([&pa, &pb].into_iter());
    let (model, _) = super::current_model(store)?;
    let mut e = compare(&pa, &pb, &rarity);
    model.score(&mut e);
    Ok(e)
}

/// Merges `b` into `a` (or the other way: the older company survives), as
/// the analyst's decision. Returns the decision id.
pub fn merge(store: &mut Store, a: i64, b: i64) -> Result<i64> {
    store.transaction(|s| merge_in(s, a, b))
}

fn merge_in(s: &Store, a: i64, b: i64) -> Result<i64> {
    let (a, b) = current_pair(s, a, b)?;
    let (survivor, loser) = if a < b { (a, b) } else { (b, a) };
    let e = evidence(s, survivor, loser)?;
    let srow = s.company_row(survivor)?.context("survivor vanished")?;
    let lrow = s.company_row(loser)?.context("company vanished")?;
    let (s_after, l_after) = merge_rows(&srow, &lrow, &now_string());
    let mut snapshot = s.linked_ids(loser, s.link_tables()?)?;
    snapshot.survivor_before = srow.patch_from(&s_after);
    snapshot.loser_before = lrow.patch_from(&l_after);
    let id = s.record_merge(&MergeRecord {
        survivor_id: survivor,
        loser_after: &l_after,
        snapshot: &snapshot,
        decided_by: DecidedBy::Analyst,
        evidence: Some(&e),
        job_id: None,
        loser_stored: true,
    })?;
    s.write_company_row(&s_after)?;
    Ok(id)
}

/// Records "keep apart" or "skip" for a pair. Returns the decision id.
pub fn answer(store: &mut Store, kind: DecisionKind, a: i64, b: i64) -> Result<i64> {
    if kind == DecisionKind::Merge {
        return merge(store, a, b);
    }
    store.transaction(|s| {
        let (a, b) = current_pair(s, a, b)?;
        let e = evidence(s, a, b)?;
        s.record_answer(
            kind,
            &PairWrite {
                left_id: a,
                right_id: b,
                evidence: &e,
                job_id: None,
            },
        )
    })
}

/// Undoes a decision. A merge can be undone only when no later merge
/// involves its companies (those must be undone first, latest first), so the
/// rows come back exactly as they were.
pub fn undo(store: &mut Store, decision_id: i64) -> Result<()> {
    store.transaction(|s| {
        let d = s
            .decision(decision_id)?
            .with_context(|| format!("there is no decision {decision_id}"))?;
        if d.undone_at.is_some() {
            bail!("decision {decision_id} is already undone");
        }
        if d.decision == DecisionKind::Merge {
            let later = s.later_merges(d.id, &[d.left_id, d.right_id])?;
            if !later.is_empty() {
                let ids: Vec<String> = later.iter().map(|i| i.to_string()).collect();
                bail!(
                    "decision {decision_id} has later merges of the same companies; undo them first (latest first): {}",
                    ids.join(", ")
                );
            }
        }
        s.undo_decision(&d)?;
        // Back in the queue with its reasons, scored by the current model.
        let e = evidence(s, d.left_id, d.right_id)?;
        s.upsert_candidate(&PairWrite {
            left_id: d.left_id,
            right_id: d.right_id,
            evidence: &e,
            job_id: None,
        })
    })
}

/// Merges every pending candidate scoring at least `min_score`, best first.
/// Returns the decision ids.
pub fn accept_above(store: &mut Store, min_score: f64) -> Result<Vec<i64>> {
    if !(0.0..=1.0).contains(&min_score) {
        bail!("--accept-above takes a score between 0 and 1, got {min_score}");
    }
    let mut pending: Vec<CandidateRow> = store
        .pending_candidates(None)?
        .into_iter()
        .filter(|c| c.score >= min_score)
        .collect();
    pending.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    store.transaction(|s| {
        let mut ids = Vec::new();
        for c in &pending {
            // An earlier merge in this batch may have joined the pair already.
            if s.surviving_company(c.left_id)? == s.surviving_company(c.right_id)? {
                s.set_candidate_status(c.left_id, c.right_id, "approved")?;
                continue;
            }
            ids.push(merge_in(s, c.left_id, c.right_id)?);
        }
        Ok(ids)
    })
}
