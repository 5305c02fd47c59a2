//! EXPORT: every table (`--what all`) in the configured formats and profile
//! to `export.out_dir`, recorded in the export log the TUI's exports pane
//! shows. A relative `out_dir` is taken from the database's directory: a
//! job has no meaningful working directory (the TUI starts them too).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::config::ExportSettings;
use crate::export::{ExportRequest, ExportedFile, What};
use crate::model::{EventSender, Phase, PipelineEvent};
use crate::store::{NewExportRun, Store, Writer};

/// What the EXPORT phase wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub out_dir: PathBuf,
    pub files: Vec<ExportedFile>,
    pub rows: usize,
}

impl ExportReport {
    pub fn summary(&self) -> String {
        format!(
            "{} files, {} rows written to {}",
            self.files.len(),
            self.rows,
            self.out_dir.display()
        )
    }
}

/// Where a job's exports go.
pub fn export_dir(settings: &ExportSettings, db: &Path) -> PathBuf {
    if settings.out_dir.is_absolute() {
        return settings.out_dir.clone();
    }
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join(&settings.out_dir)
}

/// What the phase works with.
pub struct ExportRun<'a> {
    pub reader: &'a Store,
    pub writer: &'a Writer,
    pub job_id: i64,
    pub events: &'a EventSender,
    pub settings: &'a ExportSettings,
    pub db: &'a Path,
    /// A domain-list or prospecting run's companies: only they are
    /// written, as a companies file and a leads file.
    pub scope: Option<Vec<i64>>,
}

/// Runs the phase: writes the files, one progress event per file, and
/// records the export.
pub fn run_export(run: &ExportRun<'_>) -> Result<ExportReport> {
    let out_dir = export_dir(run.settings, run.db);
    let mut req = ExportRequest {
        formats: run.settings.formats.clone(),
        what: What::All,
        profile: run.settings.profile,
        stamp: Some(crate::export::stamp_now()),
        ..ExportRequest::new(&out_dir)
    };
    let whats = match &run.scope {
        Some(ids) => {
            req.filter.company_ids = Some(ids.clone());
            vec![What::Companies, What::Leads]
        }
        None => vec![What::All],
    };
    let mut done = 0;
    let mut summary = crate::export::ExportSummary::default();
    for what in whats {
        req.what = what;
        let part = crate::export::export_with(run.reader, &req, &mut |f| {
            done += 1;
            run.events.emit(PipelineEvent::Progress {
                job_id: run.job_id,
                phase: Phase::Export,
                done,
                total: None,
                message: Some(format!("{} rows  {}", f.rows, f.path.display())),
            });
        })?;
        summary.files.extend(part.files);
    }
    let rows = summary.rows();
    let record = NewExportRun {
        view: format!("job {}", run.job_id),
        profile: req.profile.name().to_owned(),
        filters: match &run.scope {
            Some(ids) => format!("the job's {} companies", ids.len()),
            None => String::new(),
        },
        rows: i64::try_from(rows)?,
        files: summary
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
    };
    run.writer
        .call_blocking(move |s| s.record_export(&record))?;
    Ok(ExportReport {
        out_dir,
        files: summary.files,
        rows,
    })
}
