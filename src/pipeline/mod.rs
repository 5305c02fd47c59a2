//! Phases, jobs and the event stream. A job runs the phases of DESIGN.md in
//! order (its mode picks which), records each in `job_phases` with a
//! checkpoint per batch, and publishes `PipelineEvent`s. A job killed,
//! failed or cancelled resumes with `--resume ID` where it stopped.

pub mod demo;
pub mod export;
pub mod health;
mod job;
pub mod monitor;
pub mod params;
pub mod progress;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

pub use job::{control_job, run};
pub use params::JobParams;

use crate::config::{AssociationConfig, Config};
use crate::crawl::CrawlReport;
use crate::extract::ExtractReport;
use crate::model::{JobMode, JobStatus, Phase, PhaseStatus};

/// What `nam run` (and the demo) asks the pipeline to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub db: PathBuf,
    /// `run`, `demo`, ...: recorded on the job.
    pub kind: String,
    pub mode: JobMode,
    /// Everything needed to run (and later resume) the job.
    pub params: JobParams,
    /// Fetch robots.txt only, plan, and write nothing.
    pub dry_run: bool,
    /// Continue this job instead of starting a new one.
    pub resume: Option<i64>,
    /// The config file, for INIT's health check (default: the OS location).
    pub config_path: Option<PathBuf>,
}

/// One phase as a run left it.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseOutcome {
    pub phase: Phase,
    pub status: PhaseStatus,
    pub summary: String,
}

/// What a run did, phase by phase.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// `None` for a dry run (it creates no job).
    pub job_id: Option<i64>,
    pub status: JobStatus,
    pub resumed: bool,
    /// `--resume` of a job that had already completed: nothing was done.
    pub already_finished: bool,
    pub phases: Vec<PhaseOutcome>,
    pub crawl: Option<CrawlReport>,
    pub extract: Option<ExtractReport>,
    pub companies: i64,
    pub memberships: i64,
}

impl RunSummary {
    /// A summary with nothing done yet.
    pub fn empty(job_id: Option<i64>, status: JobStatus) -> Self {
        RunSummary {
            job_id,
            status,
            resumed: false,
            already_finished: false,
            phases: Vec::new(),
            crawl: None,
            extract: None,
            companies: 0,
            memberships: 0,
        }
    }
}

/// The phases a mode runs, in order.
pub fn phases_of(mode: JobMode) -> &'static [Phase] {
    use Phase::*;
    match mode {
        JobMode::Full => &Phase::ALL,
        JobMode::Extract => &[Init, Extraction, Monitor],
        JobMode::Enrich => &[Init, Enrichment],
        JobMode::Validate => &[Init, Validation],
        JobMode::Resolve => &[Init, Validation, Resolution],
        JobMode::Graph => &[Init, Graph],
        JobMode::Export => &[Init, Export],
        // DISCOVERY reads the listed (or searched-for) sites; GRAPH ends
        // with the ICP scores.
        JobMode::Domains | JobMode::Prospect => &[
            Init, Discovery, Enrichment, Validation, Resolution, Graph, Export,
        ],
    }
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
