//! The terminal UI: the workbench's nine panes over one store.
//!
//! One `tokio::select!` loop takes terminal input, answers of work run off
//! the UI thread, pipeline events from a job this TUI started, and a
//! throttle tick; `App::update` turns each into state changes and effects.

pub mod action;
pub mod app;
pub mod effect;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod theme;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use app::{App, Effect, Msg};
use effect::{Work, WorkEnv, run_work};

use crate::config::Config;
use crate::model::{EventReceiver, PipelineEvent, RunControl, event_channel};
use crate::pipeline::{JobParams, RunRequest};
use crate::secrets::Secrets;
use crate::store::Store;

/// Restores the terminal when dropped, on every exit path.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Everything `run` needs besides the database.
pub struct TuiOptions {
    pub config: Config,
    pub config_path: Option<PathBuf>,
    pub secrets: Arc<Secrets>,
}

/// The directory of the config file `config_path` (the default one when
/// none is given): ICP profiles live in its `profiles/`, as for `nam icp`.
pub fn config_dir(config_path: Option<&Path>) -> PathBuf {
    let file = match config_path {
        Some(p) => Some(p.to_path_buf()),
        None => crate::config::Paths::resolve(None, None)
            .ok()
            .map(|p| p.config),
    };
    file.as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The request a `StartJob` effect turns into: a new job takes the
/// parameters of the newest job on this database (so a demo database keeps
/// crawling its loopback world) or, on a fresh one, the configured
/// associations; the form's choices go over them.
pub fn job_request(
    db: &Path,
    opts: &TuiOptions,
    spec: &panes::jobs::JobSpec,
) -> Result<RunRequest> {
    let store = Store::open_readonly(db)?;
    let mut params = match store.jobs(1)?.into_iter().next() {
        Some(job) => JobParams::from_json(&job.params)?,
        None => JobParams {
            associations: crate::pipeline::select_associations(&opts.config, &[])?,
            ..Default::default()
        },
    };
    if spec.resume.is_none() {
        if !spec.associations.is_empty() {
            let known: Vec<String> = params.associations.iter().map(|a| a.code.clone()).collect();
            params.associations.retain(|a| {
                spec.associations
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&a.code))
            });
            if params.associations.is_empty() {
                anyhow::bail!(
                    "no association matches {}; the job's list has {}",
                    spec.associations.join(", "),
                    known.join(", ")
                );
            }
        }
        params.force_full = spec.force_full;
        params.max_pages = spec.max_pages;
        if spec.profile.is_some() {
            params.profile = spec.profile.clone();
        }
        match spec.mode {
            crate::model::JobMode::Domains => {
                let Some(file) = &spec.domains_file else {
                    anyhow::bail!("mode domains reads a list: give its file");
                };
                // Read now: a missing or empty list says so before a job exists.
                crate::prospect::read_list(file)?;
                params.associations.clear();
                params.seed_urls.clear();
                params.domains_file =
                    Some(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone()));
            }
            crate::model::JobMode::Prospect => {
                params.associations.clear();
                params.seed_urls.clear();
                params.domains_file = None;
            }
            _ => params.domains_file = None,
        }
    }
    Ok(RunRequest {
        db: db.to_path_buf(),
        kind: "tui".into(),
        mode: spec.mode,
        params,
        dry_run: false,
        resume: spec.resume,
        config_path: opts.config_path.clone(),
    })
}

/// Opens the TUI on `db` until the user quits.
pub async fn run(db: &Path, opts: TuiOptions) -> Result<()> {
    // Create/migrate first so readers find the schema; mark jobs whose
    // process died as interrupted so one key resumes them.
    {
        let store = Store::open(db)?;
        store.mark_interrupted_jobs()?;
    }
    let keymap = keymap::KeyMap::with_overrides(&opts.config.keys)?;
    let env = WorkEnv::new(db, &opts.config.export.out_dir, opts.secrets.clone())
        .with_config_dir(&config_dir(opts.config_path.as_deref()));
    // The search index catches up in the background; searches wait for it.

    let mut terminal = ratatui::try_init().context("starting the terminal UI")?;
    let _guard = TerminalGuard;
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    // ratatui's hook restores the screen on a panic; mouse capture goes first.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let mut app = App::new(db.display().to_string(), keymap);
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    {
        let env = env.clone();
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || match env.refresh_search() {
            Ok(()) => {
                let _ = tx.send(Msg::SearchReady);
            }
            Err(e) => tracing::warn!("search index: {e:#}"),
        });
    }
    let mut events: Option<EventReceiver> = None;
    let mut job_tasks = tokio::task::JoinSet::new();
    let size = terminal.size()?;
    app.update(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    let mut pending = app.start();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        for effect in std::mem::take(&mut pending) {
            if let Work::StartJob(spec) = &effect.work {
                match job_request(db, &opts, spec) {
                    Ok(req) => {
                        let (etx, erx) = event_channel(1024);
                        events = Some(erx);
                        let cfg = opts.config.clone();
                        let env = env.clone();
                        let tx = tx.clone();
                        job_tasks.spawn(async move {
                            let r = crate::pipeline::run(&cfg, req, etx, RunControl::new()).await;
                            // New companies become searchable.
                            let indexed =
                                tokio::task::spawn_blocking(move || env.refresh_search()).await;
                            if matches!(indexed, Ok(Ok(()))) {
                                let _ = tx.send(Msg::SearchReady);
                            }
                            r.map(|s| s.job_id)
                        });
                    }
                    Err(e) => pending.extend(app.update(done(&effect, Err(format!("{e:#}"))))),
                }
                continue;
            }
            spawn_work(&env, &tx, effect);
        }
        terminal.draw(|f| app.render(f))?;
        if app.should_quit {
            break;
        }
        let msg = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Some(Msg::Key(key)),
                Some(Ok(Event::Mouse(m))) => Some(Msg::Mouse(m)),
                Some(Ok(Event::Resize(width, height))) => Some(Msg::Resize { width, height }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            Some(msg) = rx.recv() => Some(msg),
            ev = next_event(&mut events) => match ev {
                Some(ev) => Some(Msg::Event(ev)),
                None => { events = None; None }
            },
            Some(joined) = job_tasks.join_next() => match joined {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(Msg::Event(PipelineEvent::Warning { job_id: None, message: format!("job failed: {e:#}") })),
                Err(e) => Some(Msg::Event(PipelineEvent::Warning { job_id: None, message: format!("job task: {e}") })),
            },
            _ = tick.tick() => Some(Msg::Tick),
        };
        if let Some(msg) = msg {
            pending.extend(app.update(msg));
        }
    }
    // A job this TUI started is asked to stop at its next checkpoint; it
    // resumes with `nam run --resume ID` or `R` in the Jobs pane.
    if let Some((id, _)) = app.running_job {
        app.status = Some(format!(
            "Stopping job {id} at its next checkpoint; R in the Jobs pane (or nam run --resume {id}) continues it…"
        ));
        let _ = terminal.draw(|f| app.render(f));
        let _ = crate::pipeline::control_job(db, id, crate::store::JobControl::Cancel);
        while job_tasks.join_next().await.is_some() {}
    }
    Ok(())
}

async fn next_event(rx: &mut Option<EventReceiver>) -> Option<PipelineEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn done(effect: &Effect, result: Result<effect::Loaded, String>) -> Msg {
    Msg::Done {
        target: effect.target,
        slot: effect.slot,
        seq: effect.seq,
        result,
    }
}

fn spawn_work(env: &WorkEnv, tx: &mpsc::UnboundedSender<Msg>, effect: Effect) {
    let env = env.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = run_work(&env, effect.work.clone()).map_err(|e| format!("{e:#}"));
        let _ = tx.send(done(&effect, result));
    });
}
