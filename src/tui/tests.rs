//! Headless TUI tests: keys -> messages, the app driven by messages, and one
//! snapshot per pane state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Effect, Msg};
use super::keymap::Mode;
use super::run_effect;
use crate::model::MemberRecord;
use crate::store::Store;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

struct Harness {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    app: App,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nam.db");
        let store = Store::open(&db).unwrap();
        for (assoc, name, domain, city, state) in [
            (
                "PMA",
                "Acme Stamping & Mfg., Inc.",
                "acme-stamping.example",
                "Cleveland",
                "OH",
            ),
            (
                "NTMA",
                "Acme Stamping and Manufacturing",
                "acme-stamping.example",
                "Cleveland",
                "OH",
            ),
            (
                "AGMA",
                "Brightline Gear Works",
                "brightline-gear.example",
                "Rockford",
                "IL",
            ),
            (
                "FIA",
                "Northern Forge Ltd.",
                "northern-forge.example",
                "Hamilton",
                "ON",
            ),
        ] {
            let rec = MemberRecord {
                association: assoc.into(),
                name: name.into(),
                website: Some(format!("http://www.{domain}/")),
                domain: Some(domain.into()),
                city: Some(city.into()),
                state: Some(state.into()),
                source_url: format!("http://{}.example/members", assoc.to_lowercase()),
                extractor: "generic".into(),
                confidence: 0.92,
                ..Default::default()
            };
            let key = crate::normalize::name_key(name);
            let id = store.upsert_company_from_member(&rec, &key).unwrap();
            store.upsert_membership(&rec, &key, Some(id), None).unwrap();
        }
        let app = App::new("test.db".into(), dir.path().join("exports"));
        Self { _dir: dir, db, app }
    }

    /// Applies a message and runs the effects it asks for, synchronously.
    fn send(&mut self, msg: Msg) {
        let mut queue = vec![msg];
        while let Some(m) = queue.pop() {
            for effect in self.app.update(m) {
                queue.push(run_effect(&self.db, &self.app.export_dir, effect));
            }
        }
    }

    fn press(&mut self, c: KeyCode) {
        if let Some(msg) = self.app.key_to_msg(&key(c)) {
            self.send(msg);
        }
    }

    fn start(&mut self) {
        for e in self.app.start() {
            let m = run_effect(&self.db, &self.app.export_dir, e);
            self.send(m);
        }
    }

    fn screen(&self) -> String {
        let mut t = Terminal::new(TestBackend::new(90, 16)).unwrap();
        t.draw(|f| self.app.render(f)).unwrap();
        t.backend().to_string()
    }
}

#[test]
fn list_shows_companies_sorted_and_merged_by_domain() {
    let mut h = Harness::new();
    h.start();
    let names: Vec<_> = h
        .app
        .companies
        .items
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Acme Stamping & Mfg., Inc.",
            "Brightline Gear Works",
            "Northern Forge Ltd."
        ]
    );
    assert_eq!(h.app.companies.items[0].associations, ["NTMA", "PMA"]);
    insta::assert_snapshot!("list", h.screen());
}

#[test]
fn open_detail_and_back() {
    let mut h = Harness::new();
    h.start();
    h.press(KeyCode::Enter);
    assert_eq!(h.app.mode, Mode::Detail);
    assert_eq!(h.app.detail.memberships.len(), 2);
    insta::assert_snapshot!("detail", h.screen());
    h.press(KeyCode::Esc);
    assert_eq!(h.app.mode, Mode::List);
}

#[test]
fn navigation_is_clamped() {
    let mut h = Harness::new();
    h.start();
    h.press(KeyCode::Up);
    assert_eq!(h.app.companies.selected, 0);
    for _ in 0..10 {
        h.press(KeyCode::Char('j'));
    }
    assert_eq!(h.app.companies.selected, 2);
    h.press(KeyCode::Char('g'));
    assert_eq!(h.app.companies.selected, 0);
}

#[test]
fn filter_narrows_and_escape_clears() {
    let mut h = Harness::new();
    h.start();
    h.press(KeyCode::Char('/'));
    for c in "forge".chars() {
        h.press(KeyCode::Char(c));
    }
    assert_eq!(h.app.companies.items.len(), 1);
    assert_eq!(h.app.companies.items[0].name, "Northern Forge Ltd.");
    insta::assert_snapshot!("filter", h.screen());
    // 'q' while typing is text, not quit.
    h.press(KeyCode::Char('q'));
    assert!(!h.app.should_quit);
    assert!(h.app.companies.items.is_empty());
    insta::assert_snapshot!("filter_empty", h.screen());
    h.press(KeyCode::Esc);
    assert_eq!(h.app.companies.items.len(), 3);
}

#[test]
fn help_popup_lists_bindings() {
    let mut h = Harness::new();
    h.start();
    h.press(KeyCode::Char('?'));
    assert!(h.app.show_help);
    let screen = h.screen();
    assert!(screen.contains("filter") && screen.contains("export"));
    insta::assert_snapshot!("help", screen);
    h.press(KeyCode::Esc);
    assert!(!h.app.show_help);
}

#[test]
fn export_key_writes_files() {
    let mut h = Harness::new();
    h.start();
    h.press(KeyCode::Char('e'));
    let out = h.app.export_dir.clone();
    assert!(out.join("companies.csv").exists());
    assert!(out.join("companies.parquet").exists());
    assert!(h.app.status.as_deref().unwrap().contains("3 companies"));
}

#[test]
fn failures_show_in_status_line() {
    let mut h = Harness::new();
    let msg = run_effect(
        std::path::Path::new("/nonexistent/nam.db"),
        &h.app.export_dir,
        Effect::LoadDetail(1),
    );
    h.send(msg);
    assert!(h.app.status.as_deref().unwrap().starts_with("Error:"));
}

#[test]
fn quit_key() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('q'));
    assert!(h.app.should_quit);
}

#[test]
fn empty_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    drop(Store::open(&db).unwrap());
    let mut app = App::new("empty.db".into(), dir.path().join("x"));
    for effect in app.start() {
        let msg = run_effect(&db, dir.path(), effect);
        app.update(msg);
    }
    let mut t = Terminal::new(TestBackend::new(100, 8)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    assert!(t.backend().to_string().contains("nam demo"));
}

#[test]
fn a_stale_list_answer_is_dropped() {
    let mut h = Harness::new();
    h.start();
    // Type "gear" without running the loads: each keystroke asks for a new list.
    h.press(KeyCode::Char('/'));
    let mut loads = Vec::new();
    for c in "gear".chars() {
        let msg = h.app.key_to_msg(&key(KeyCode::Char(c))).unwrap();
        loads.extend(h.app.update(msg));
    }
    assert_eq!(loads.len(), 4);
    // The answer to "gear" arrives first, then the slow answer to "g".
    let newest = run_effect(&h.db, &h.app.export_dir, loads[3].clone());
    let oldest = run_effect(&h.db, &h.app.export_dir, loads[0].clone());
    h.app.update(newest);
    assert_eq!(h.app.companies.items.len(), 1);
    h.app.update(oldest);
    assert_eq!(
        h.app.companies.items.len(),
        1,
        "the stale answer replaced the newer one"
    );
    assert_eq!(h.app.companies.items[0].name, "Brightline Gear Works");
}
