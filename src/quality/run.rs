//! The VALIDATION phase over the store: companies due for validation are
//! read a batch at a time on a read connection, checked and scored off the
//! writer's thread, and handed to the one writer as one operation per batch
//! together with the phase's checkpoint.

use std::collections::BTreeMap;
use std::sync::mpsc;

use anyhow::{Result, bail};
use serde::Serialize;

use super::checks::{
    CHECKS, CheckResult, DUPLICATE_DOMAIN, DUPLICATE_PHONE_NAME, Outcome, run_checks,
};
use super::score::{Grade, Score, score};
use crate::model::{EventSender, Phase, PipelineEvent, RunControl, now_string};
use crate::store::{
    AuditRow, Checkpoint, QualityBatch, QualityCandidate, QualityWrite, QualityWriteOutcome, Store,
    Twin, Writer,
};

/// Companies per batch: one read of four statements and one transaction.
const BATCH: usize = 1000;

/// Score and grade changes are logged under these names.
pub const QUALITY_SCORE: &str = "quality_score";
pub const QUALITY_GRADE: &str = "quality_grade";

/// Where validation reads, writes and reports.
pub struct ValidateRun<'a> {
    /// Read connection (the writer's own connection is busy).
    pub reader: &'a Store,
    pub writer: &'a Writer,
    pub job_id: Option<i64>,
    pub events: &'a EventSender,
    pub control: &'a RunControl,
}

/// Pass, warn and fail counts of one check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    pub pass: u64,
    pub warn: u64,
    pub fail: u64,
}

impl OutcomeCounts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Fail => self.fail += 1,
        }
    }
}

/// What one validation run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationReport {
    /// Companies scored and written.
    pub validated: u64,
    /// Grades given in this run, by grade (of the companies assessed,
    /// `stale` ones included).
    pub grades: BTreeMap<String, u64>,
    /// Outcomes of this run, by check (as for `grades`).
    pub checks: BTreeMap<String, OutcomeCounts>,
    /// Companies whose score or grade changed (first scores included).
    pub score_changes: u64,
    pub audit_rows: u64,
    /// Companies changed between read and write, left due for the next run.
    pub stale: u64,
    /// Companies validated earlier that a new twin sent back for validation.
    pub rechecked: u64,
    /// Stopped early because the job was cancelled.
    pub cancelled: bool,
}

impl ValidationReport {
    /// One sentence for people.
    pub fn summary(&self) -> String {
        let grades = Grade::ALL
            .iter()
            .map(|g| {
                let n = self.grades.get(g.as_str()).copied().unwrap_or(0);
                format!("{n} {}", g.as_str())
            })
            .collect::<Vec<_>>()
            .join(", ");
        let (warn, fail) = self
            .checks
            .values()
            .fold((0, 0), |(w, f), c| (w + c.warn, f + c.fail));
        let mut s = format!(
            "{} companies validated (grades {grades}); {fail} checks failed and {warn} warned; {} scores changed, {} audit rows",
            self.validated, self.score_changes, self.audit_rows
        );
        if self.stale > 0 {
            s.push_str(&format!(
                "; {} changed meanwhile and wait for the next run",
                self.stale
            ));
        }
        if self.cancelled {
            s.push_str(" (cancelled)");
        }
        s
    }
}

/// Opens a writer on `db`, validates every company due, and closes it: the
/// whole phase for tests and one-off use.
pub fn validate_pending(db: &std::path::Path) -> Result<ValidationReport> {
    let writer = Writer::open(db)?;
    let reader = Store::open_readonly(db)?;
    let report = run_validation(&ValidateRun {
        reader: &reader,
        writer: &writer,
        job_id: None,
        events: &EventSender::none(),
        control: &RunControl::new(),
    })?;
    writer.flush_blocking()?;
    Ok(report)
}

/// A stored check record: check name -> "outcome:hash of the detail".
type CheckRecord = BTreeMap<String, String>;

/// FNV-1a: a stable 32-bit hash (std's hasher may change between Rust
/// releases, which would re-log every outcome once).
fn detail_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn record_entry(r: &CheckResult) -> String {
    format!("{}:{:08x}", r.outcome.as_str(), detail_hash(&r.detail))
}

/// A stored record; an unreadable one reads as empty, so every outcome is
/// logged again once rather than the phase stopping.
fn parse_record(s: Option<&str>) -> CheckRecord {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// The stored outcome of one check, if any.
fn recorded_outcome(record: &CheckRecord, check: &str) -> Option<Outcome> {
    record
        .get(check)
        .and_then(|e| Outcome::parse(e.split(':').next().unwrap_or_default()))
}

/// One company's assessment: its checks, score and what to write.
struct Assessed {
    write: QualityWrite,
    checks: Vec<CheckResult>,
    score: Score,
    changed_score: bool,
}

fn assess(c: &QualityCandidate) -> Result<Assessed> {
    let checks = run_checks(c);
    let s = score(c, &checks);
    let old = parse_record(c.quality_checks.as_deref());
    let mut audit: Vec<AuditRow> = checks
        .iter()
        .filter(|r| old.get(r.name) != Some(&record_entry(r)))
        .map(|r| AuditRow {
            check_name: r.name.to_owned(),
            outcome: r.outcome.as_str(),
            detail: r.detail.clone(),
            score: None,
        })
        .collect();
    let verdict = s.grade.outcome().as_str();
    let score_changed = c
        .quality_score
        .is_none_or(|old| (old - s.score).abs() > 1e-6);
    if score_changed {
        let old = c
            .quality_score
            .map_or_else(|| "none".to_owned(), |v| format!("{v:.1}"));
        audit.push(AuditRow {
            check_name: QUALITY_SCORE.to_owned(),
            outcome: verdict,
            detail: format!("{old} -> {:.1}", s.score),
            score: Some(s.score),
        });
    }
    let grade_changed = c.quality_grade.as_deref() != Some(s.grade.as_str());
    if grade_changed {
        audit.push(AuditRow {
            check_name: QUALITY_GRADE.to_owned(),
            outcome: verdict,
            detail: format!(
                "{} -> {}",
                c.quality_grade.as_deref().unwrap_or("none"),
                s.grade.as_str()
            ),
            score: Some(s.score),
        });
    }
    let record: CheckRecord = checks
        .iter()
        .map(|r| (r.name.to_owned(), record_entry(r)))
        .collect();
    Ok(Assessed {
        write: QualityWrite {
            company_id: c.id,
            seen_updated_at: c.updated_at.clone(),
            score: s.score,
            grade: s.grade.as_str().to_owned(),
            checks: serde_json::to_string(&record)?,
            audit,
        },
        checks,
        score: s,
        changed_score: score_changed || grade_changed,
    })
}

/// Twins whose own record still says the key is unique: this company is a
/// new duplicate of theirs, so they must be validated again to say so.
fn stale_twins<'a>(twins: &'a [Twin], check: &'a str) -> impl Iterator<Item = i64> + 'a {
    twins
        .iter()
        .filter(move |t| {
            recorded_outcome(&parse_record(t.checks.as_deref()), check) == Some(Outcome::Pass)
        })
        .map(|t| t.id)
}

/// The batch loop's state.
struct RunState<'r, 'a> {
    run: &'r ValidateRun<'a>,
    report: ValidationReport,
    total: u64,
    /// Companies handed to the writer so far (a sweep may validate one
    /// twice; progress never reads above the total).
    done: u64,
    /// The outcome of the batch handed to the writer and not settled yet.
    in_flight: Option<mpsc::Receiver<QualityWriteOutcome>>,
}

impl RunState<'_, '_> {
    /// Waits for the batch in flight to commit its writes and counts them.
    fn settle(&mut self) -> Result<()> {
        let Some(outcome) = self.in_flight.take() else {
            return Ok(());
        };
        let Ok(out) = outcome.recv() else {
            // The batch failed: the writer says why.
            self.run.writer.flush_blocking()?;
            bail!("a validation batch was not written");
        };
        self.report.validated += out.applied;
        self.report.stale += out.stale;
        self.report.audit_rows += out.audit_rows;
        self.report.rechecked += out.rechecks;
        if let Some(job_id) = self.run.job_id {
            self.run.events.emit(PipelineEvent::Progress {
                job_id,
                phase: Phase::Validation,
                done: self.done.min(self.total),
                total: Some(self.total),
                message: Some(format!("companies ({} audit rows)", self.report.audit_rows)),
            });
        }
        Ok(())
    }
}

/// Runs validation over every company due. Stops early (with `cancelled`
/// set) at a batch boundary when the job is cancelled; a job resumed later
/// starts after the last company its checkpoint recorded.
///
/// Reading and scoring the next batch overlaps with the writer committing
/// the last one (they use different connections): one batch in flight, so
/// memory stays bounded whatever the store's size.
pub fn run_validation(run: &ValidateRun<'_>) -> Result<ValidationReport> {
    let store = run.reader;
    let job_id = run.job_id;
    let mut p = RunState {
        run,
        report: ValidationReport::default(),
        total: store.quality_due_count()?.max(0) as u64,
        done: 0,
        in_flight: None,
    };
    for c in CHECKS {
        p.report
            .checks
            .insert(c.to_owned(), OutcomeCounts::default());
    }
    for g in Grade::ALL {
        p.report.grades.insert(g.as_str().to_owned(), 0);
    }
    let mut after: i64 = match job_id {
        Some(j) => store
            .phase_cursor(j, Phase::Validation)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        None => 0,
    };
    // Companies due behind the cursor (on a resumed job, whatever the
    // interrupted run left due; twins sent back for validation, which the
    // read of the next batch may not see yet): one more pass from the start
    // up to the last of them picks them up. It stops there, since companies
    // validated in this run may still read as due (same-second timestamps),
    // and there is one such pass at most; anything left is due next run.
    let mut sweep_to: Option<i64> = (after > 0).then_some(after);
    let mut up_to = i64::MAX;
    let mut swept = false;
    loop {
        if !run.control.proceed_blocking() {
            p.report.cancelled = true;
            break;
        }
        let read_at = now_string();
        let batch = store.quality_candidates(after.saturating_add(1)..=up_to, BATCH)?;
        let Some(last) = batch.last().map(|c| c.id) else {
            match sweep_to {
                Some(to) if !swept => {
                    // The sweep must see every write of the first pass.
                    p.settle()?;
                    run.writer.flush_blocking()?;
                    swept = true;
                    after = 0;
                    up_to = to;
                    continue;
                }
                _ => break,
            }
        };
        let mut writes = Vec::with_capacity(batch.len());
        let mut recheck: Vec<i64> = Vec::new();
        for c in &batch {
            let a = assess(c)?;
            recheck.extend(stale_twins(&c.phone_name_twins, DUPLICATE_PHONE_NAME));
            recheck.extend(stale_twins(&c.domain_twins, DUPLICATE_DOMAIN));
            for r in &a.checks {
                if let Some(n) = p.report.checks.get_mut(r.name) {
                    n.add(r.outcome);
                }
            }
            *p.report
                .grades
                .entry(a.score.grade.as_str().to_owned())
                .or_default() += 1;
            p.report.score_changes += u64::from(a.changed_score);
            writes.push(a.write);
        }
        recheck.sort_unstable();
        recheck.dedup();
        // Those in this batch are being validated right now.
        recheck.retain(|id| batch.binary_search_by_key(id, |c| c.id).is_err());
        if !swept && let Some(&max) = recheck.last() {
            sweep_to = Some(sweep_to.map_or(max, |t| t.max(max)));
        }
        p.settle()?;
        p.done += batch.len() as u64;
        let cursor = last.to_string();
        let done_so_far = p.done.min(p.total) as i64;
        let total = p.total as i64;
        let (tx, rx) = mpsc::sync_channel(1);
        run.writer.submit_blocking(move |s| {
            let out = s.write_quality_batch(&QualityBatch {
                writes: &writes,
                recheck: &recheck,
                job_id,
                validated_at: &read_at,
            })?;
            if let Some(j) = job_id {
                s.checkpoint(
                    j,
                    Phase::Validation,
                    &Checkpoint {
                        done: done_so_far,
                        total: Some(total),
                        cursor: Some(&cursor),
                    },
                )?;
            }
            // The run may have stopped waiting (an error elsewhere).
            let _ = tx.send(out);
            Ok(())
        })?;
        p.in_flight = Some(rx);
        after = last;
    }
    p.settle()?;
    run.writer.flush_blocking()?;
    Ok(p.report)
}
