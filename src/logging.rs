//! Structured JSON logs to rolling files. Never to the terminal: the TUI owns it.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts daily-rolling JSON logs in `log_dir` (`nam.log.YYYY-MM-DD`). The
/// level comes from `NAM_LOG` (e.g. `debug`, `nam=trace`), default `info`.
/// Keep the guard alive for the life of the program: dropping it flushes.
pub fn init(log_dir: &Path) -> Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)
        .with_context(|| format!("creating log directory {}", log_dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("nam")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)
        .with_context(|| format!("opening log file in {}", log_dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("NAM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))?;
    Ok(guard)
}
