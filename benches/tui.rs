//! `cargo bench -- tui`: the workbench at a million companies, as the
//! analyst feels it. On the browse bench's database
//! (`NAM_BENCH_TUI_COMPANIES`, default 1,000,000, built once under
//! `target/bench-data/`) with 20,000 merge candidates waiting, it reports:
//! time to the first frame that shows rows (store opened and migrated, app
//! started, first page read, drawn), search-as-you-type latency per
//! keystroke (query through the tantivy index, page, draw) as p50/p95, time
//! to the next review pair after a decision, and peak memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nam::secrets::Secrets;
use nam::store::Store;
use nam::tui::app::{App, Effect, Msg};
use nam::tui::effect::{Work, WorkEnv, run_work};
use nam::tui::keymap::KeyMap;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::{env_usize, ms, peak_rss_mb, percentile};

/// Runs effects (and what their answers ask for) to completion, as the
/// loop would, but on this thread.
fn settle(env: &WorkEnv, app: &mut App, effects: Vec<Effect>, skip_counts: bool) {
    let mut queue = effects;
    while !queue.is_empty() {
        let mut next = Vec::new();
    let mut written = Vec::new();
    for _ in 0..30 {
        // Key to the next pair on screen (the read-ahead pair, drawn while
        // the decision is written)...
        let t = Instant::now();
        let effects = app.update(key('s'));
        let screen = draw(&mut term, &app);
        next.push(ms(t.elapsed()));
        assert!(screen.contains(" vs #"), "no pair on screen:\n{screen}");
        // ...then the decision written and the queue read again.
        let t = Instant::now();
        settle(&env, &mut app, effects, true);
        written.push(ms(t.elapsed()));
    }
    next.sort_by(f64::total_cmp);
    written.sort_by(f64::total_cmp);
    println!(
        "tui: next review pair on screen after a decision: p50 {:.2} ms, p95 {:.2} ms (decision written and queue re-read in the background: p50 {:.1} ms, p95 {:.1} ms)",
        percentile(&next, 0.5),
        percentile(&next, 0.95),
        percentile(&written, 0.5),
        percentile(&written, 0.95)
    );
    let reads: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            run_work(&env, Work::ReviewNext).unwrap();
            ms(t.elapsed())
        })
        .collect();
    let mut reads = reads;
    reads.sort_by(f64::total_cmp);
    println!(
        "tui: next review pair read alone: p50 {:.2} ms, p95 {:.2} ms",
        percentile(&reads, 0.5),
        percentile(&reads, 0.95)
    );
    println!("tui: peak memory {:.0} MB", peak_rss_mb());
}
