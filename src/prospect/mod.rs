//! Domain-list and prospecting runs: lists of company domains (or the
//! sites a web search turns up for an ICP profile) read politely, each
//! domain once, each becoming a company the rest of the pipeline enriches,
//! scores and exports like any directory member.

pub mod domains;
pub mod intake;
pub mod search;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;

use crate::crawl::PoliteFetcher;
use crate::model::{EventSender, Phase, PipelineEvent, RunControl};
use crate::store::{TargetRow, Writer};

pub use domains::{DomainList, ListedDomain, SkippedLine, read_list};

/// What reading a run's domains needs.
pub struct IntakeRun {
    pub writer: Writer,
    pub job_id: i64,
    pub events: EventSender,
    pub control: RunControl,
    pub fetcher: Arc<PoliteFetcher>,
    /// Sites read at once (each domain is still paced on its own).
    pub concurrency: usize,
    /// The search query that found each domain (prospecting).
    pub queries: HashMap<String, String>,
}

/// What reading the domains did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntakeReport {
    /// Targets in the run.
    pub targets: usize,
    /// Read now.
    pub read: usize,
    /// Could not be read now (dead letters).
    pub failed: usize,
    /// Done in an earlier run: not read again.
    pub already_done: usize,
    /// Failed in an earlier run: not tried again without `--retry-dead-letters`.
    pub already_failed: usize,
    /// Companies the run covers.
    pub companies: usize,
    pub first_error: Option<String>,
    pub cancelled: bool,
}

impl IntakeReport {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} of {} sites read, {} failed",
            self.read, self.targets, self.failed
        );
        if self.already_done + self.already_failed > 0 {
            s.push_str(&format!(
                "; {} done and {} failed in earlier runs (not fetched again)",
                self.already_done, self.already_failed
            ));
        }
        if let Some(e) = &self.first_error {
            s.push_str(&format!("; e.g. {e}"));
        }
        s
    }
}

/// Reads every pending target of the job: its company found or created,
/// or its error filed as a dead letter. Targets done or failed before are
/// left alone.
pub async fn run_intake(run: IntakeRun) -> Result<IntakeReport> {
    let job_id = run.job_id;
    let targets = run
        .writer
        .call(move |s| s.job_targets(job_id))
        .await
        .context("listing the run's domains")?;
    let mut report = IntakeReport {
        targets: targets.len(),
        ..Default::default()
    };
    let mut pending: Vec<TargetRow> = Vec::new();
    for t in targets {
        match t.status.as_str() {
            "done" => report.already_done += 1,
            "failed" => report.already_failed += 1,
            _ => pending.push(t),
        }
    }
    let total = pending.len() as u64;
    let progress = |done: u64, r: &IntakeReport| PipelineEvent::Progress {
        job_id,
        phase: Phase::Discovery,
        done,
        total: Some(total),
        message: Some(format!("sites ({} read, {} failed)", r.read, r.failed)),
    };
    let control = run.control.clone();
    let fetcher = run.fetcher.clone();
    let mut reads = futures::stream::iter(pending)
        .map(|t| {
            let (fetcher, control) = (fetcher.clone(), control.clone());
            async move {
                if !control.proceed().await {
                    return None;
                }
                // An address given in full (a list's URL, a search hit) is
                // tried before the domain's bare forms.
                let given = t.input.contains("://").then_some(t.input.as_str());
                let got = intake::read_site(&fetcher, &t.domain, given).await;
                Some((t, got))
            }
        })
        .buffer_unordered(run.concurrency.max(1));
    let (mut done, mut last_event) = (0u64, Instant::now());
    while let Some(item) = reads.next().await {
        let Some((t, got)) = item else {
            report.cancelled = true;
            continue;
        };
        done += 1;
        match got {
            Ok(site) => {
                let (id, s) = (t.id, site.clone());
                let company = run.writer.call(move |st| st.target_done(id, &s)).await?;
                report.read += 1;
                run.events.emit(PipelineEvent::LeadGenerated {
                    job_id,
                    company_id: company,
                    domain: t.domain.clone(),
                    name: site.name.clone(),
                    source: t.source.clone(),
                    query: run.queries.get(&t.domain).cloned(),
                });
            }
            Err(why) => {
                report.failed += 1;
                report
                    .first_error
                    .get_or_insert_with(|| format!("{}: {why}", t.domain));
                run.events.emit(PipelineEvent::DeadLetter {
                    job_id,
                    url: crate::store::targets::dead_letter_url(&t.domain),
                    status: None,
                    error: why.clone(),
                });
                let id = t.id;
                run.writer
                    .submit(move |st| st.target_failed(id, Some(job_id), &why))
                    .await?;
            }
        }
        if last_event.elapsed() >= Duration::from_millis(250) {
            last_event = Instant::now();
            run.events.emit(progress(done, &report));
        }
    }
    report.cancelled |= run.control.is_cancelled();
    run.writer.flush().await?;
    report.companies = run
        .writer
        .call(move |s| s.job_companies(job_id))
        .await?
        .len();
    if !report.cancelled && total > 0 {
        run.events.emit(progress(done, &report));
    }
    Ok(report)
}
