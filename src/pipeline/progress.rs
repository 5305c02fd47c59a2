//! Shows pipeline events outside the TUI: sentences and counts on stderr
//! (a spinner line on a terminal), or JSON lines on stdout for scripts
//! (`--events jsonl`).

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

use crate::model::{EventReceiver, PipelineEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// Human progress on stderr.
    Human,
    /// One JSON object per event on stdout.
    Jsonl,
}

/// Consumes events until every sender is gone.
pub fn spawn_reporter(mut rx: EventReceiver, format: EventFormat) -> JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let bar = (format == EventFormat::Human && tty).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {prefix:>14} {wide_msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        while let Some(ev) = rx.recv().await {
            match format {
                EventFormat::Jsonl => {
                    if let Ok(line) = serde_json::to_string(&ev) {
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "{line}");
                        let _ = out.flush();
                    }
                }
                EventFormat::Human => {
                    if let Some(b) = &bar {
                        update_bar(&ev, b);
                    }
                    if let Some(line) = sentence(&ev, bar.is_some()) {
                        match &bar {
                            Some(b) => b.println(line),
                            None => eprintln!("{line}"),
                        }
                    }
                }
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    })
}

fn update_bar(ev: &PipelineEvent, b: &ProgressBar) {
    match ev {
        PipelineEvent::PhaseStarted { phase, .. } => b.set_prefix(phase.as_str().to_owned()),
        PipelineEvent::Progress {
            phase,
            done,
            total,
            message,
            ..
        } => {
            b.set_prefix(phase.as_str().to_owned());
            let msg = message.as_deref().unwrap_or("");
            b.set_message(match total {
                Some(t) => format!("{done} of {t} {msg}"),
                None => format!("{done} {msg}"),
            });
        }
        PipelineEvent::PageFetched {
            url, status, delta, ..
        } => b.set_message(format!("{status} {delta:<9} {url}")),
        _ => {}
    }
}

/// The line a person reads for an event (`None`: shown on the bar only).
/// Progress is printed every 50 items when there is no bar to update.
pub fn sentence(ev: &PipelineEvent, has_bar: bool) -> Option<String> {
    Some(match ev {
        PipelineEvent::JobStarted {
            job_id,
            kind,
            mode,
            resumed,
        } => {
            if *resumed {
                format!("job {job_id} ({kind}, mode {mode}) resumed where it stopped")
            } else {
                format!("job {job_id} ({kind}, mode {mode}) started")
            }
        }
        PipelineEvent::PhaseStarted { phase, .. } => format!("{phase}: started"),
        PipelineEvent::Progress {
            phase,
            done,
            total,
            message,
            ..
        } => {
            if has_bar || !done.is_multiple_of(50) {
                return None;
            }
            let msg = message.as_deref().unwrap_or("done");
            match total {
                Some(t) => format!("{phase}: {done} of {t} {msg}"),
                None => format!("{phase}: {done} {msg}"),
            }
        }
        PipelineEvent::PageFetched { .. } => return None,
        PipelineEvent::DeadLetter {
            url, status, error, ..
        } => {
            if matches!(status, Some(404 | 410)) {
                return None; // a broken link: recorded, not worth a line
            }
            format!("gave up on {url}: {error}")
        }
        PipelineEvent::DriftAlert {
            association,
            url,
            summary,
            ..
        } => format!(
            "drift: {} changed its listing at {url}: {summary}",
            association.as_deref().unwrap_or("a site")
        ),
        PipelineEvent::Warning { message, .. } => format!("warning: {message}"),
        PipelineEvent::PhaseFinished { phase, summary, .. } => format!("{phase}: {summary}"),
        PipelineEvent::JobPaused { job_id } => {
            format!("job {job_id} paused (resume with `nam jobs resume {job_id}`)")
        }
        PipelineEvent::JobResumed { job_id } => format!("job {job_id} running again"),
        PipelineEvent::JobFinished {
            job_id,
            status,
            error,
        } => match error {
            Some(e) => format!("job {job_id} {status}: {e}"),
            None => format!("job {job_id} {status}"),
        },
        PipelineEvent::LeadGenerated {
            domain,
            name,
            query,
            ..
        } => match query {
            Some(q) => format!("lead: {name} ({domain}) from search {q:?}"),
            // A domain list's sites are counted by the progress line.
            None => return None,
        },
        PipelineEvent::LeadEnrichmentStart { .. } => return None,
        PipelineEvent::LeadEnrichmentEnd { .. } => return None,
        PipelineEvent::StatusUpdate { message, .. } => message.clone(),
        PipelineEvent::PipelineEnd { .. } => return None,
        PipelineEvent::PipelineError { error, .. } => format!("pipeline error: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Phase, PhaseStatus};

    #[test]
    fn sentences_never_dump_json() {
        let ev = PipelineEvent::PhaseFinished {
            job_id: 1,
            phase: Phase::Discovery,
            status: PhaseStatus::Completed,
            summary: "12 pages fetched".into(),
            stats: serde_json::json!({"requests": 12}),
        };
        let s = sentence(&ev, false).unwrap();
        assert_eq!(s, "discovery: 12 pages fetched");
        assert!(!s.contains('{'));
        let p = PipelineEvent::Progress {
            job_id: 1,
            phase: Phase::Extraction,
            done: 49,
            total: Some(100),
            message: None,
        };
        assert_eq!(sentence(&p, false), None);
    }
}
