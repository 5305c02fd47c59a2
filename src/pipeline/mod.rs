//! Phases, jobs and the event stream. A job runs the phases of DESIGN.md in
//! order, records each in `job_phases`, and publishes `PipelineEvent`s.

pub mod demo;
pub mod monitor;
pub mod progress;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::{AssociationConfig, Config};
use crate::crawl::{CrawlOptions, CrawlReport};
use crate::extract::ExtractReport;
use crate::model::{EventSender, Phase, PipelineEvent, emit};
use crate::store::Store;

/// What `nam run` (and the demo) asks the pipeline to do.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub db: PathBuf,
    /// `run`, `demo`, ...: recorded on the job.
    pub kind: String,
    /// Associations, seeds and crawl switches.
    pub crawl: CrawlOptions,
}

/// What a run did, phase by phase.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub job_id: i64,
    pub crawl: CrawlReport,
    pub extract: Option<ExtractReport>,
    pub companies: i64,
    pub memberships: i64,
    /// Phases a later release fills in, recorded as skipped.
    pub skipped_phases: Vec<&'static str>,
}

/// Phases this build does not implement yet; they are recorded as `skipped`
/// so a job never claims work it did not do.
const NOT_YET: [Phase; 6] = [
    Phase::Enrichment,
    Phase::Validation,
    Phase::Resolution,
    Phase::Graph,
    Phase::Export,
    Phase::Monitor,
];

/// Runs INIT, the crawl phases and EXTRACTION for one job.
pub async fn run(cfg: &Config, req: RunRequest, events: EventSender) -> Result<RunSummary> {
    let c = &req.crawl;
    let params = serde_json::json!({
        "associations": c.associations.iter().map(|a| &a.code).collect::<Vec<_>>(),
        "seed_urls": c.seed_urls,
        "max_pages": c.max_pages,
        "dry_run": c.dry_run,
        "force_full": c.force_full,
        "retry_dead_letters": c.retry_dead_letters,
    });
    let job_id = {
        let store = Store::open(&req.db)?;
        let id = store.create_job(&req.kind, &params.to_string())?;
        store.start_phase(id, Phase::Init)?;
        store.finish_phase(id, Phase::Init, "completed", "{}")?;
        id
    };
    emit(
        &events,
        PipelineEvent::JobStarted {
            job_id,
            kind: req.kind.clone(),
        },
    );
    let result = run_phases(cfg, &req, job_id, &events).await;
    let store = Store::open(&req.db)?;
    match result {
        Ok(mut summary) => {
            for phase in NOT_YET {
                store.start_phase(job_id, phase)?;
                store.finish_phase(
                    job_id,
                    phase,
                    "skipped",
                    r#"{"reason":"not implemented in this release"}"#,
                )?;
                summary.skipped_phases.push(phase.as_str());
            }
            store.finish_job(job_id, "completed", None)?;
            summary.companies = store.company_count()?;
            summary.memberships = store.membership_count()?;
            emit(
                &events,
                PipelineEvent::JobFinished {
                    job_id,
                    status: "completed".into(),
                },
            );
            Ok(summary)
        }
        Err(e) => {
            store.finish_job(job_id, "failed", Some(&format!("{e:#}")))?;
            emit(
                &events,
                PipelineEvent::JobFinished {
                    job_id,
                    status: "failed".into(),
                },
            );
            Err(e)
        }
    }
}

async fn run_phases(
    cfg: &Config,
    req: &RunRequest,
    job_id: i64,
    events: &EventSender,
) -> Result<RunSummary> {
    let crawl = crate::crawl::run_crawl(
        &req.db,
        Some(job_id),
        &cfg.crawl,
        req.crawl.clone(),
        events.clone(),
    )
    .await
    .context("crawl")?;
    let extract = if req.crawl.dry_run {
        None
    } else {
        let db = req.db.clone();
        let associations = req.crawl.associations.clone();
        let events = events.clone();
        let report = tokio::task::spawn_blocking(move || -> Result<ExtractReport> {
            let mut store = Store::open(&db)?;
            store.start_phase(job_id, Phase::Extraction)?;
            let report =
                crate::extract::run_extraction(&mut store, Some(job_id), &associations, &events)?;
            store.finish_phase(
                job_id,
                Phase::Extraction,
                "completed",
                &serde_json::to_string(&report)?,
            )?;
            Ok(report)
        })
        .await?
        .context("extraction")?;
        Some(report)
    };
    Ok(RunSummary {
        job_id,
        crawl,
        extract,
        companies: 0,
        memberships: 0,
        skipped_phases: Vec::new(),
    })
}

/// The associations a run covers: the named codes (all when empty), from the
/// bundled list plus the config's extra files.
pub fn select_associations(cfg: &Config, codes: &[String]) -> Result<Vec<AssociationConfig>> {
    let mut all = crate::config::AssociationsFile::bundled()?.associations;
    for path in &cfg.associations_files {
        all.extend(crate::config::AssociationsFile::load(path)?.associations);
    }
    if codes.is_empty() {
        return Ok(all);
    }
    codes
        .iter()
        .map(|code| {
            all.iter()
                .find(|a| a.code.eq_ignore_ascii_case(code))
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = all.iter().map(|a| a.code.as_str()).collect();
                    anyhow::anyhow!("unknown association {code:?}; known: {}", known.join(", "))
                })
        })
        .collect()
}

/// The default demo database: next to the real one, never the real one.
pub fn demo_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo.db")
}
