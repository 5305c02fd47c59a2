//! The terminal UI: input -> `Msg` -> `App::update` -> effects run off the UI
//! thread -> results as `Msg` -> render. One `tokio::select!`, no timed sleeps.

pub mod action;
pub mod app;
pub mod keymap;
pub mod panes;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use app::{App, Effect, Msg};

use crate::store::Store;

/// Runs one effect against the database (blocking: call from `spawn_blocking`).
pub fn run_effect(db: &Path, export_dir: &Path, effect: Effect) -> Msg {
    let result = (|| -> Result<Msg> {
        match effect {
            Effect::LoadCompanies { seq, text } => {
                let store = Store::open_readonly(db)?;
                Ok(Msg::CompaniesLoaded {
                    seq,
                    items: store.companies(&app::filter_for(&text))?,
                })
            }
            Effect::LoadDetail(id) => {
                let store = Store::open_readonly(db)?;
                Ok(Msg::DetailLoaded(
                    Box::new(store.company(id)?),
                    store.memberships_of(id)?,
                ))
            }
            Effect::Export => {
                let store = Store::open_readonly(db)?;
                let files = crate::export::export_all(
                    &store,
                    &[crate::export::Format::Csv, crate::export::Format::Parquet],
                    export_dir,
                )?;
                Ok(Msg::Exported(files))
            }
        }
    })();
    result.unwrap_or_else(|e| Msg::Failed(format!("{e:#}")))
}

/// Restores the terminal when dropped, on every exit path.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Opens the TUI on `db` until the user quits.
pub async fn run(db: &Path, export_dir: PathBuf) -> Result<()> {
    // Create/migrate first so readers find the schema.
    drop(Store::open(db)?);
    let mut terminal = ratatui::try_init().context("starting the terminal UI")?;
    let _guard = TerminalGuard;
    let mut app = App::new(db.display().to_string(), export_dir.clone());
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let spawn = |effects: Vec<Effect>| {
        for effect in effects {
            let tx = tx.clone();
            let db = db.to_path_buf();
            let out = export_dir.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(run_effect(&db, &out, effect));
            });
        }
    };
    spawn(app.start());
    let size = terminal.size()?;
    app.update(Msg::Resized { rows: size.height });
    let mut input = EventStream::new();
    loop {
        terminal.draw(|f| app.render(f))?;
        let msg = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => app.key_to_msg(&key),
                Some(Ok(Event::Resize(_, rows))) => Some(Msg::Resized { rows }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            Some(msg) = rx.recv() => Some(msg),
        };
        if let Some(msg) = msg {
            let effects = app.update(msg);
            spawn(effects);
        }
        if app.should_quit {
            break;
        }
    }
    Ok(())
}
