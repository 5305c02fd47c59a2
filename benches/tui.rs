//! `cargo bench -- tui`: the workbench at a million companies, as the
//! analyst feels it. On the benches' company database
//! (`NAM_BENCH_TUI_COMPANIES`, default 1,000,000, built once under
//! `target/bench-data/`) with 20,000 merge candidates waiting, it reports:
//! time to the first frame that shows rows (store opened, app started,
//! first page read, drawn), search-as-you-type latency per keystroke (query
//! through the tantivy index, page, draw) as p50/p95, time from a review
//! decision to the next pair on screen, and peak memory.
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
        let mut follow = Vec::new();
        for e in queue {
            // Counts arrive after the first frame in the real loop.
            if skip_counts && matches!(e.work, Work::CompanyCount(_) | Work::StatusCounts) {
                continue;
            }
            let result = run_work(env, e.work.clone()).map_err(|e| e.to_string());
            follow.extend(app.update(Msg::Done {
                target: e.target,
                slot: e.slot,
                seq: e.seq,
                result,
            }));
        }
        queue = follow;
    }
}

/// A fresh app on a 120x40 test terminal.
fn screen() -> (App, Terminal<TestBackend>) {
    let mut app = App::new("bench.db".into(), KeyMap::default());
    app.update(Msg::Resize {
        width: 120,
        height: 40,
    });
    (app, Terminal::new(TestBackend::new(120, 40)).unwrap())
}

fn draw(term: &mut Terminal<TestBackend>, app: &App) -> String {
    term.draw(|f| app.render(f)).unwrap();
    term.backend().to_string()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// 20,000 pending pairs of neighbouring companies, scores spread over the band.
fn seed_candidates(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    let have: i64 = c
        .query_row(
            "SELECT count(*) FROM merge_candidates WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if have >= 10_000 {
        return;
    }
    c.execute_batch(
        "BEGIN;
         INSERT OR IGNORE INTO merge_candidates (left_id, right_id, score, features, status, created_at, updated_at)
            SELECT a.id, a.id + 1, 0.3 + ((a.id * 2654435761) % 4294967291 % 500) / 1000.0,
                   '{\"features\":[],\"score\":0.5,\"agreed\":[\"same city\"],\"conflicted\":[\"different phone\"],\"hard_conflict\":false}',
                   'pending', 'now', 'now'
            FROM companies a JOIN companies b ON b.id = a.id + 1
            WHERE a.status = 'active' AND b.status = 'active' AND a.id % 7 = 3
            LIMIT 20000;
         COMMIT;",
    )
    .unwrap();
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !(filter.is_empty() || filter.iter().any(|f| "tui".contains(f.as_str()))) {
        return;
    }
    let companies = env_usize("NAM_BENCH_TUI_COMPANIES", 1_000_000);
    let db = common::database(companies);
    seed_candidates(&db);
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(Secrets::mock().unwrap());

    // First frame with rows, five times (the first with a cold page cache).
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        drop(Store::open(&db).unwrap());
        let env = WorkEnv::new(&db, dir.path(), secrets.clone());
        let (mut app, mut term) = screen();
        let effects = app.start();
        settle(&env, &mut app, effects, true);
        let screen = draw(&mut term, &app);
        firsts.push(ms(t.elapsed()));
        assert!(
            screen.contains("▶ "),
            "no rows on the first frame:\n{screen}"
        );
    }
    let warm = sorted(firsts[1..].to_vec());
    println!(
        "tui: first frame with rows: {:.1} ms (first run {:.1} ms, worst warm {:.1} ms)",
        warm[warm.len() / 2],
        firsts[0],
        warm[warm.len() - 1]
    );

    // Search as you type: every keystroke of several names, through the index.
    let env = WorkEnv::new(&db, dir.path(), secrets.clone());
    let t = Instant::now();
    env.refresh_search().unwrap();
    println!(
        "tui: search index caught up with the store in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (mut app, mut term) = screen();
    let effects = app.start();
    settle(&env, &mut app, effects, false);
    let mut lat = Vec::new();
    for text in [
        "keller stamping",
        "acme",
        "northern forge",
        "eagle gear works",
        "pitts",
        "zz",
    ] {
        let effects = app.update(key('/'));
        settle(&env, &mut app, effects, false);
        for c in text.chars() {
            let t = Instant::now();
            let effects = app.update(key(c));
            settle(&env, &mut app, effects, true);
            draw(&mut term, &app);
            lat.push(ms(t.elapsed()));
        }
        let effects = app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        settle(&env, &mut app, effects, false);
    }
    let lat = sorted(lat);
    println!(
        "tui: search-as-you-type over {} keystrokes (query, page, draw): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        lat[lat.len() - 1]
    );

    // Review: from the key to the next pair on screen.
    let effects = app.update(key('3'));
    settle(&env, &mut app, effects, false);
    let mut next = Vec::new();
    let mut written = Vec::new();
    for _ in 0..30 {
        // The read-ahead pair is drawn while the decision is written...
        let t = Instant::now();
        let effects = app.update(key('s'));
        let screen = draw(&mut term, &app);
        next.push(ms(t.elapsed()));
        assert!(screen.contains(" vs #"), "no pair on screen:\n{screen}");
        // ...then the decision is written and the queue read again.
        let t = Instant::now();
        settle(&env, &mut app, effects, true);
        written.push(ms(t.elapsed()));
    }
    let (next, written) = (sorted(next), sorted(written));
    println!(
        "tui: next review pair on screen after a decision: p50 {:.2} ms, p95 {:.2} ms (decision written and queue read again behind it: p50 {:.1} ms, p95 {:.1} ms)",
        percentile(&next, 0.5),
        percentile(&next, 0.95),
        percentile(&written, 0.5),
        percentile(&written, 0.95)
    );
    let reads = sorted(
        (0..30)
            .map(|_| {
                let t = Instant::now();
                run_work(&env, Work::ReviewNext).unwrap();
                ms(t.elapsed())
            })
            .collect(),
    );
    println!(
        "tui: review queue read (next pairs and counts): p50 {:.2} ms, p95 {:.2} ms",
        percentile(&reads, 0.5),
        percentile(&reads, 0.95)
    );
    println!("tui: peak memory {:.0} MB", peak_rss_mb());
}
