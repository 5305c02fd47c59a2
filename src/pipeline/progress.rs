//! Shows pipeline events outside the TUI: a progress bar on a terminal, plain
//! lines otherwise, or JSON lines on stdout for scripts (`--events jsonl`).

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::model::PipelineEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// Human progress on stderr.
    Human,
    /// One JSON object per event on stdout.
    Jsonl,
}

/// Consumes events until the sender side closes.
pub fn spawn_reporter(
    mut rx: UnboundedReceiver<PipelineEvent>,
    format: EventFormat,
) -> JoinHandle<()> {
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
                    }
                }
                EventFormat::Human => human(&ev, bar.as_ref()),
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    })
}

fn human(ev: &PipelineEvent, bar: Option<&ProgressBar>) {
    let line = match ev {
        PipelineEvent::PhaseStarted { phase, .. } => {
            if let Some(b) = bar {
                b.set_prefix(phase.as_str().to_owned());
            }
            Some(format!("phase {} started", phase.as_str()))
        }
        PipelineEvent::Progress {
            phase,
            done,
            total,
            message,
            ..
        } => {
            let text = match total {
                Some(t) => format!("{done}/{t} {}", message.as_deref().unwrap_or("")),
                None => format!("{done} {}", message.as_deref().unwrap_or("")),
            };
            if let Some(b) = bar {
                b.set_prefix(phase.as_str().to_owned());
                b.set_message(text);
                None
            } else if done % 50 == 0 {
                Some(format!("{}: {text}", phase.as_str()))
            } else {
                None
            }
        }
        PipelineEvent::PageFetched { url, status, delta } => {
            if let Some(b) = bar {
                b.set_message(format!("{status} {delta:<9} {url}"));
            }
            None
        }
        PipelineEvent::Warning { message } => Some(format!("warning: {message}")),
        PipelineEvent::PhaseFinished { phase, stats, .. } => {
            Some(format!("phase {} finished {stats}", phase.as_str()))
        }
        PipelineEvent::JobStarted { job_id, kind } => {
            Some(format!("job {job_id} ({kind}) started"))
        }
        PipelineEvent::JobFinished { job_id, status } => Some(format!("job {job_id} {status}")),
    };
    if let Some(line) = line {
        match bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}
