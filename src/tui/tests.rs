//! Headless TUI tests: the app driven by key events with its work run
//! synchronously against a real store, one snapshot per pane state (empty,
//! typical, error), and the sequence rule that drops stale answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Effect, Msg};
use super::effect::{Work, WorkEnv, run_work};
use super::keymap::KeyMap;
use super::panes::PaneId;
use super::panes::companies::CompaniesPane;
use super::panes::jobs::JobsPane;
use super::panes::profiles::ProfilesPane;
use super::panes::review::ReviewPane;
use crate::enrich::analysis::{Analysis, AnalysisMethod};
use crate::icp::IcpProfile;
use crate::model::{JobMode, MemberRecord, PairEvidence, PipelineEvent};
use crate::secrets::Secrets;
use crate::store::crawl::DeadLetterWrite;
use crate::store::{NewJob, NewSignal, PairWrite, Store};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

struct Harness {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// The config file's directory: ICP profiles are in its `profiles/`.
    config_dir: PathBuf,
    env: WorkEnv,
    app: App,
    /// Jobs the app asked to start (the loop would start them).
    started: Vec<Work>,
}

fn member(assoc: &str, name: &str, domain: Option<&str>, city: &str, state: &str) -> MemberRecord {
    MemberRecord {
        association: assoc.into(),
        name: name.into(),
        website: domain.map(|d| format!("http://www.{d}/")),
        domain: domain.map(Into::into),
        city: Some(city.into()),
        state: Some(state.into()),
        source_url: format!("http://{}.example/members", assoc.to_lowercase()),
        extractor: "generic".into(),
        confidence: 0.92,
        ..Default::default()
    }
}

fn add(store: &Store, rec: &MemberRecord) -> i64 {
    store.list_for_test(rec).unwrap()
}

/// A store with companies, one merge candidate, a dead letter, a signal and a job.
fn seed(store: &Store) {
    add(
        store,
        &member(
            "PMA",
            "Acme Stamping & Mfg., Inc.",
            Some("acme-stamping.example"),
            "Cleveland",
            "OH",
        ),
    );
    add(
        store,
        &member(
            "NTMA",
            "Acme Stamping and Manufacturing",
            Some("acme-stamping.example"),
            "Cleveland",
            "OH",
        ),
    );
    let gear = add(
        store,
        &member(
            "AGMA",
            "Brightline Gear Works",
            Some("brightline-gear.example"),
            "Rockford",
            "IL",
        ),
    );
    let gear2 = add(
        store,
        &member("PMA", "Brightline Gear", None, "Rockford", "IL"),
    );
    add(
        store,
        &member(
            "FIA",
            "Northern Forge Ltd.",
            Some("northern-forge.example"),
            "Hamilton",
            "ON",
        ),
    );
    let evidence = PairEvidence {
        features: Vec::new(),
        score: 0.62,
        agreed: vec!["same city".into(), "rare name word".into()],
        conflicted: vec!["one has no website".into()],
        hard_conflict: false,
    };
    store
        .upsert_candidate(&PairWrite {
            left_id: gear,
            right_id: gear2,
            evidence: &evidence,
            job_id: None,
        })
        .unwrap();
    store
        .add_dead_letter(&DeadLetterWrite {
            url: "http://pma.example/members?page=9".into(),
            domain: Some("pma.example".into()),
            phase: "crawl".into(),
            job_id: None,
            status_code: Some(503),
            error: "HTTP 503 after 4 attempts".into(),
            attempts: 4,
            history: vec![serde_json::json!({"at": "2026-12-01T10:00:00Z", "status": 503, "error": "Service Unavailable"})],
        })
        .unwrap();
    store
        .record_analysis(
            gear,
            &Analysis {
                method: AnalysisMethod::Rules,
                business_type: Some("manufacturer".into()),
                naics: Some("333612".into()),
                products: vec!["spur gears".into(), "gearboxes".into()],
                value_propositions: vec![
                    "AGMA Q12 tolerances".into(),
                    "two-week lead times".into(),
                ],
                target_market: Some("industrial OEMs".into()),
                confidence: 0.7,
                model: Some("llama3.1".into()),
                prompt: Some("{\"messages\": []}".into()),
                response: Some("I cannot help with that.".into()),
                fallback_reason: Some("the answer was not JSON".into()),
            },
        )
        .unwrap();
    store
        .add_competitor_signal(&NewSignal {
            company_id: gear,
            vendor: "Epicor".into(),
            product: Some("Kinetic".into()),
            category: "erp".into(),
            signal_type: "uses".into(),
            evidence_kind: "text".into(),
            evidence: Some("Our plant runs Epicor Kinetic for scheduling.".into()),
            source_url: "http://brightline-gear.example/about".into(),
            strength: 0.6,
            confidence: 0.7,
        })
        .unwrap();
    let job = store
        .create_job(&NewJob {
            kind: "demo",
            mode: JobMode::Full,
            params_json: "{}",
        })
        .unwrap();
    store
        .finish_job(job, crate::model::JobStatus::Failed, Some("network down"))
        .unwrap();
}

/// The seeded ICP profiles: `gears` (every company scored against it) and
/// `tools` (none scored yet).
fn gears_profile() -> IcpProfile {
    IcpProfile {
        name: "gears".into(),
        description: "Gear makers that outgrew their ERP".into(),
        product: "Manufacturing ERP".into(),
        value_proposition: "job costing a shop floor can trust".into(),
        ideal_customer: "Owner-led gear shops with 20-500 employees".into(),
        target_market: "power transmission".into(),
        industries: vec!["gear".into()],
        employees_min: Some(20),
        employees_max: Some(500),
        locations: vec!["IL".into(), "OH".into()],
        competitors: vec!["Epicor".into()],
        pain_points: vec!["spreadsheet scheduling".into()],
        ..Default::default()
    }
}

fn seed_profiles(store: &Store, config_dir: &std::path::Path) {
    let gears = gears_profile();
    gears.save(config_dir).unwrap();
    crate::icp::score_store(store, &gears, None).unwrap();
    IcpProfile {
        name: "tools".into(),
        industries: vec!["tooling".into()],
        locations: vec!["ON".into()],
        ..Default::default()
    }
    .save(config_dir)
    .unwrap();
}

impl Harness {
    fn with(seeded: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nam.db");
        let config_dir = dir.path().join("config");
        let store = Store::open(&db).unwrap();
        if seeded {
            seed(&store);
            seed_profiles(&store, &config_dir);
        }
        drop(store);
        let env = WorkEnv::new(
            &db,
            &dir.path().join("exports"),
            Arc::new(Secrets::mock().unwrap()),
        )
        .with_config_dir(&config_dir);
        let mut app = App::new("test.db".into(), KeyMap::default());
        app.update(Msg::Resize {
            width: 100,
            height: 24,
        });
        let mut h = Self {
            _dir: dir,
            db,
            config_dir,
            env,
            app,
            started: Vec::new(),
        };
        let effects = h.app.start();
        h.run(effects);
        h
    }

    fn new() -> Self {
        Self::with(true)
    }

    fn empty() -> Self {
        Self::with(false)
    }

    /// Runs effects (and the effects their answers ask for) to completion.
    fn run(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for e in queue {
                if let Work::StartJob(_) = &e.work {
                    self.started.push(e.work.clone());
                    continue;
                }
                let result = run_work(&self.env, e.work.clone()).map_err(|e| format!("{e:#}"));
                next.extend(self.app.update(Msg::Done {
                    target: e.target,
                    slot: e.slot,
                    seq: e.seq,
                    result,
                }));
            }
            queue = next;
        }
    }

    fn send(&mut self, msg: Msg) {
        let effects = self.app.update(msg);
        self.run(effects);
    }

    fn press(&mut self, c: KeyCode) {
        self.send(Msg::Key(key(c)));
    }

    fn chars(&mut self, s: &str) {
        for c in s.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    fn screen(&self) -> String {
        self.screen_sized(100, 24)
    }

    fn screen_sized(&self, width: u16, height: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
        t.draw(|f| self.app.render(f)).unwrap();
        t.backend().to_string()
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn profiles(&self) -> &ProfilesPane {
        self.app.pane_as::<ProfilesPane>(PaneId::Profiles).unwrap()
    }

    fn companies(&self) -> &CompaniesPane {
        self.app
            .pane_as::<CompaniesPane>(PaneId::Companies)
            .unwrap()
    }
}

/// Snapshots with times and temporary paths masked.
macro_rules! snap {
    ($name:expr, $screen:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\.\d+)?Z?", "[time]"),
            (r"/tmp/\S+", "[path]"),
        ]}, {
            insta::assert_snapshot!($name, $screen);
        });
    };
}

/// A harness whose work fails: the database file is not a database.
fn broken() -> Harness {
    let mut h = Harness::empty();
    std::fs::write(&h.db, b"this is not a database").unwrap();
    let _ = std::fs::remove_file(h.db.with_extension("db-wal"));
    h.env = WorkEnv::new(&h.db, &h.env.export_dir, h.env.secrets.clone())
        .with_config_dir(&h.config_dir);
    h
}

#[test]
fn digits_switch_through_all_nine_panes() {
    let mut h = Harness::new();
    for (i, pane) in PaneId::ALL.iter().enumerate() {
        h.press(KeyCode::Char(char::from_digit(i as u32 + 1, 10).unwrap()));
        assert_eq!(h.app.active, *pane);
        assert!(h.screen().contains(pane.title()), "{}", h.screen());
    }
    h.press(KeyCode::Tab);
    assert_eq!(h.app.active, PaneId::Jobs);
    h.press(KeyCode::BackTab);
    assert_eq!(h.app.active, PaneId::Profiles);
}

#[test]
fn companies_typical_empty_and_error() {
    let h = Harness::new();
    assert_eq!(h.companies().count, Some(4));
    assert_eq!(h.companies().rows[0].name, "Acme Stamping & Mfg., Inc.");
    snap!("companies_typical", h.screen());
    snap!("companies_empty", Harness::empty().screen());
    let mut b = broken();
    b.press(KeyCode::Char('r'));
    let screen = b.screen();
    assert!(screen.contains("Could not load companies"), "{screen}");
    snap!("companies_error", screen);
}

#[test]
fn search_as_you_type_sort_and_filters() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('/'));
    h.chars("gea");
    assert_eq!(h.companies().rows.len(), 2);
    assert!(h.companies().rows.iter().all(|r| r.name.contains("Gear")));
    // While typing, letters are text: `q` does not quit.
    h.press(KeyCode::Char('q'));
    assert!(!h.app.should_quit);
    assert!(h.companies().rows.is_empty());
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Enter);
    assert_eq!(h.companies().query.search, "gea");
    snap!("companies_search", h.screen());
    h.press(KeyCode::Char('x'));
    assert_eq!(h.companies().rows.len(), 4);
    // Filter by association: typed and applied on enter.
    h.press(KeyCode::Char('a'));
    h.chars("agma");
    h.press(KeyCode::Enter);
    assert_eq!(h.companies().rows.len(), 1);
    assert_eq!(
        h.companies().query.filter.association.as_deref(),
        Some("AGMA")
    );
    h.press(KeyCode::Char('x'));
    // Reverse the name sort.
    h.press(KeyCode::Char('S'));
    assert_eq!(h.companies().rows[0].name, "Northern Forge Ltd.");
}

#[test]
fn detail_shows_provenance_listings_and_history() {
    let mut h = Harness::new();
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Company #"), "{screen}");
    assert!(screen.contains("Listings (2)"), "{screen}");
    assert!(screen.contains("generic · 92%"), "{screen}");
    snap!("company_detail", screen);
    h.press(KeyCode::Esc);
    assert!(h.companies().detail.is_none());
}

#[test]
fn review_merge_undo_keep_apart_and_states() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('3'));
    let screen = h.screen();
    assert!(
        screen.contains("Brightline Gear Works") && screen.contains("score 0.62"),
        "{screen}"
    );
    assert!(screen.contains("rare name word"), "{screen}");
    snap!("review_typical", screen);
    h.press(KeyCode::Char('m'));
    let decisions = h.store().decisions().unwrap();
    assert_eq!(decisions.len(), 1);
    assert!(h.screen().contains("No pair waits"), "{}", h.screen());
    snap!("review_empty", h.screen());
    // Undo puts the pair back in the queue.
    h.press(KeyCode::Char('u'));
    assert!(h.store().decisions().unwrap().is_empty());
    let review = h.app.pane_as::<ReviewPane>(PaneId::Review).unwrap();
    assert!(review.current().is_some());
    // Keep apart is stored and never asked again.
    h.press(KeyCode::Char('n'));
    let d = h.store().decisions().unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].decision, crate::model::DecisionKind::KeepApart);
    h.press(KeyCode::Char('r'));
    let review = h.app.pane_as::<ReviewPane>(PaneId::Review).unwrap();
    assert!(review.current().is_none());
    let mut b = broken();
    b.press(KeyCode::Char('3'));
    snap!("review_error", b.screen());
}

#[test]
fn review_accept_above_takes_a_score() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('3'));
    h.press(KeyCode::Char('A'));
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Backspace);
    h.chars("0.7");
    h.press(KeyCode::Enter);
    // 0.62 is below 0.7: nothing merged.
    assert!(h.store().decisions().unwrap().is_empty());
    h.press(KeyCode::Char('A'));
    h.press(KeyCode::Char('u' /* typed into the line */));
    h.press(KeyCode::Enter);
    assert!(h.app.status.as_deref().unwrap().contains("not a score"));
    h.press(KeyCode::Char('A'));
    for _ in 0..3 {
        h.press(KeyCode::Backspace);
    }
    h.chars("0.6");
    h.press(KeyCode::Enter);
    assert_eq!(h.store().decisions().unwrap().len(), 1);
}

#[test]
fn a_stale_answer_is_dropped() {
    let mut h = Harness::new();
    // Type "gear" without running the loads: each keystroke asks again.
    h.press(KeyCode::Char('/'));
    let mut loads = Vec::new();
    for c in "gear".chars() {
        loads.extend(h.app.update(Msg::Key(key(KeyCode::Char(c)))));
    }
    let lists: Vec<&Effect> = loads
        .iter()
        .filter(|e| matches!(e.work, Work::Companies { .. }))
        .collect();
    assert_eq!(lists.len(), 4);
    let answer = |e: &Effect| Msg::Done {
        target: e.target,
        slot: e.slot,
        seq: e.seq,
        result: run_work(&h.env, e.work.clone()).map_err(|e| e.to_string()),
    };
    // The newest answer arrives first, then the slow answer to "g".
    let (newest, oldest) = (answer(lists[3]), answer(lists[0]));
    h.app.update(newest);
    assert_eq!(h.companies().rows.len(), 2);
    h.app.update(oldest);
    assert_eq!(
        h.companies().rows.len(),
        2,
        "the stale answer replaced the newer one"
    );
    assert!(h.companies().rows.iter().all(|r| r.name.contains("Gear")));
}

#[test]
fn dead_letters_inspect_retry_discard() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('4'));
    assert_eq!(h.app.counts.dead_letters, 1);
    snap!("dead_letters_typical", h.screen());
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Service Unavailable"), "{screen}");
    snap!("dead_letters_inspect", screen);
    h.press(KeyCode::Char('t'));
    assert!(h.store().dead_letter_rows(false).unwrap().is_empty());
    assert_eq!(h.store().dead_letter_count().unwrap(), 0);
    assert_eq!(h.app.counts.dead_letters, 0);
    assert!(h.screen().contains("No dead letters"));
    snap!("dead_letters_empty", h.screen());
    let all = h.store().dead_letter_rows(true).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].requeued_at.is_some());
    let mut b = broken();
    b.press(KeyCode::Char('4'));
    snap!("dead_letters_error", b.screen());
}

#[test]
fn dead_letter_discard_removes_the_row() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('4'));
    h.press(KeyCode::Char('D'));
    assert!(h.store().dead_letter_rows(true).unwrap().is_empty());
}

#[test]
fn signals_group_highlight_and_jump() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('5'));
    let screen = h.screen();
    assert!(
        screen.contains("Epicor") && screen.contains("Kinetic"),
        "{screen}"
    );
    snap!("signals_typical", screen);
    h.press(KeyCode::Char('b'));
    assert!(h.screen().contains("Signals by company"), "{}", h.screen());
    h.press(KeyCode::Char('o'));
    assert_eq!(h.app.active, PaneId::Companies);
    let detail = h.companies().detail.as_ref().unwrap();
    assert_eq!(
        detail.detail.as_ref().unwrap().company.name,
        "Brightline Gear Works"
    );
    let mut e = Harness::empty();
    e.press(KeyCode::Char('5'));
    snap!("signals_empty", e.screen());
    let mut b = broken();
    b.press(KeyCode::Char('5'));
    snap!("signals_error", b.screen());
}

/// The detail view lists the company's signals and its edges in the
/// relationship graph, each with what it rests on.
#[test]
fn detail_shows_signals_and_relationships() {
    let mut h = Harness::new();
    h.store().rebuild_relationships().unwrap();
    h.press(KeyCode::Char('5'));
    h.press(KeyCode::Char('o'));
    // Scroll until the last section is in view.
    let mut screen = h.screen();
    for _ in 0..40 {
        if screen.contains("vendor_signal") {
            break;
        }
        h.press(KeyCode::Char('j'));
        screen = h.screen();
    }
    assert!(
        screen.contains("Epicor Kinetic — uses (text, strength 60%)"),
        "{screen}"
    );
    assert!(screen.contains("Relationships (3)"), "{screen}");
    assert!(screen.contains("member_of association"), "{screen}");
    assert!(
        screen.contains("uses_technology technology Epicor Kinetic · 60% · text: Our plant runs"),
        "{screen}"
    );
    assert!(screen.contains("vendor_signal vendor Epicor"), "{screen}");
}

#[test]
fn highlight_marks_every_mention() {
    let style = ratatui::style::Style::default().bold();
    let line = super::panes::signals::highlight("SAP and sap, not Sapphire", "sap", style);
    let marked: Vec<String> = line
        .spans
        .iter()
        .filter(|s| s.style == style)
        .map(|s| s.content.to_string())
        .collect();
    assert_eq!(marked, ["SAP", "sap", "Sap"]);
}

#[test]
fn quality_states() {
    let mut h = Harness::new();
    h.store()
        .add_provider_usage(&crate::store::NewProviderUsage {
            provider: "clearbit".into(),
            day: "2026-12-01".into(),
            requests: 10,
            errors: 2,
            credits: 10.0,
            ..Default::default()
        })
        .unwrap();
    h.press(KeyCode::Char('6'));
    let screen = h.screen();
    assert!(
        screen.contains("Field completeness") && screen.contains("clearbit"),
        "{screen}"
    );
    snap!("quality_typical", screen);
    let mut e = Harness::empty();
    e.press(KeyCode::Char('6'));
    snap!("quality_empty", e.screen());
    let mut b = broken();
    b.press(KeyCode::Char('6'));
    snap!("quality_error", b.screen());
}

#[test]
fn keys_set_without_echo_and_delete_with_confirmation() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('7'));
    snap!("keys_empty", h.screen());
    h.press(KeyCode::Char('s'));
    h.chars("sk_live_supersecret42");
    let typing = h.screen();
    assert!(!typing.contains("supersecret"), "{typing}");
    h.press(KeyCode::Enter);
    let provider = crate::secrets::PROVIDERS[0].0;
    let (stored, _) = h.env.secrets.get(provider).unwrap().unwrap();
    assert_eq!(stored, "sk_live_supersecret42");
    let screen = h.screen();
    assert!(!screen.contains("supersecret"), "{screen}");
    snap!("keys_typical", screen);
    h.press(KeyCode::Char('D'));
    assert!(
        h.env.secrets.get(provider).unwrap().is_some(),
        "one press must not delete"
    );
    h.press(KeyCode::Char('D'));
    assert!(h.env.secrets.get(provider).unwrap().is_none());
}

#[test]
fn export_key_writes_the_filtered_view_in_a_profile() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('8'));
    snap!("exports_empty", h.screen());
    h.press(KeyCode::Char('p'));
    assert_eq!(h.app.profile, crate::export::Profile::Hubspot);
    h.press(KeyCode::Char('2'));
    h.press(KeyCode::Char('/'));
    h.chars("gear");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('e'));
    let status = h.app.status.clone().unwrap();
    assert!(status.starts_with("Exported 2 rows (hubspot)"), "{status}");
    let runs = h.store().export_runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].rows, 2);
    let csv = runs[0].files.iter().find(|f| f.ends_with(".csv")).unwrap();
    let text = std::fs::read_to_string(csv).unwrap();
    assert!(text.starts_with("Company Domain Name,Name,"), "{text}");
    assert_eq!(text.lines().count(), 3);
    h.press(KeyCode::Char('8'));
    let screen = h.screen();
    assert!(screen.contains("hubspot"), "{screen}");
    snap!("exports_typical", screen);
    let mut b = broken();
    b.press(KeyCode::Char('8'));
    snap!("exports_error", b.screen());
}

#[test]
fn jobs_form_starts_a_job_and_controls_check_the_status() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('1'));
    snap!("jobs_typical", h.screen());
    // The seeded job failed: pause makes no sense, resume starts it again.
    h.press(KeyCode::Char('p'));
    assert!(h.app.status.as_deref().unwrap().contains("cannot pause"));
    h.press(KeyCode::Char('R'));
    assert!(matches!(&h.started[..], [Work::StartJob(s)] if s.resume.is_some()));
    h.press(KeyCode::Char('n'));
    snap!("jobs_form", h.screen());
    h.press(KeyCode::Char(' ')); // mode: full -> extract
    h.press(KeyCode::Down);
    h.chars("pma, nema");
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char(' ')); // force full: yes
    h.press(KeyCode::Tab);
    h.chars("x");
    h.press(KeyCode::Enter);
    assert!(h.app.status.as_deref().unwrap().contains("not a number"));
    h.press(KeyCode::Backspace);
    h.chars("50");
    h.press(KeyCode::Enter);
    let Work::StartJob(spec) = h.started.last().unwrap() else {
        panic!()
    };
    assert_eq!(spec.mode, JobMode::Extract);
    assert_eq!(spec.associations, ["PMA", "NEMA"]);
    assert!(spec.force_full);
    assert_eq!(spec.max_pages, Some(50));
    // Mode domains without a list file says what is missing.
    h.press(KeyCode::Char('n'));
    for _ in 0..7 {
        h.press(KeyCode::Char(' ')); // mode: full -> ... -> domains
    }
    h.press(KeyCode::Enter);
    let status = h.app.status.clone().unwrap();
    assert!(status.contains("give its file"), "{status}");
    for _ in 0..4 {
        h.press(KeyCode::Tab);
    }
    h.chars("/tmp/prospects.csv");
    h.press(KeyCode::Tab);
    h.chars("gears");
    h.press(KeyCode::Enter);
    let Work::StartJob(spec) = h.started.last().unwrap() else {
        panic!()
    };
    assert_eq!(spec.mode, JobMode::Domains);
    assert_eq!(
        spec.domains_file.as_deref(),
        Some(std::path::Path::new("/tmp/prospects.csv"))
    );
    assert_eq!(spec.profile.as_deref(), Some("gears"));
    let mut e = Harness::empty();
    e.press(KeyCode::Char('1'));
    snap!("jobs_empty", e.screen());
    let mut b = broken();
    b.press(KeyCode::Char('1'));
    snap!("jobs_error", b.screen());
}

#[test]
fn pipeline_events_update_the_jobs_pane_and_refresh_on_tick() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('1'));
    let job_id = h
        .app
        .pane_as::<JobsPane>(PaneId::Jobs)
        .unwrap()
        .data
        .as_ref()
        .unwrap()
        .jobs[0]
        .id;
    h.send(Msg::Event(PipelineEvent::JobStarted {
        job_id,
        kind: "demo".into(),
        mode: JobMode::Full,
        resumed: false,
    }));
    for i in 0..5 {
        h.send(Msg::Event(PipelineEvent::PageFetched {
            job_id,
            url: format!("http://pma.example/members?page={i}"),
            status: 200,
            delta: crate::model::Delta::New,
        }));
    }
    h.send(Msg::Tick);
    let live = h
        .app
        .pane_as::<JobsPane>(PaneId::Jobs)
        .unwrap()
        .live
        .clone()
        .unwrap();
    assert_eq!(live.pages, 5);
    assert_eq!(live.per_site.get("pma.example"), Some(&5));
    assert_eq!(live.throughput.back(), Some(&5));
    assert_eq!(h.app.running_job.as_ref().map(|j| j.0), Some(job_id));
    let screen = h.screen();
    assert!(
        screen.contains("pages 5") && screen.contains("pma.example 5"),
        "{screen}"
    );
}

#[test]
fn palette_help_and_mouse() {
    let mut h = Harness::new();
    h.press(KeyCode::Char(':'));
    h.chars("review");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.active, PaneId::Review);
    h.press(KeyCode::Char(':'));
    h.chars("profile salesforce");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.profile, crate::export::Profile::Salesforce);
    h.press(KeyCode::Char(':'));
    h.chars("frobnicate");
    h.press(KeyCode::Enter);
    assert!(h.app.status.as_deref().unwrap().contains("unknown command"));
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    assert!(
        screen.contains("merge the pair") && screen.contains("keep apart"),
        "{screen}"
    );
    snap!("help_review", screen);
    h.press(KeyCode::Esc);
    assert!(!h.app.show_help);
    // A click on the third tab's label, then the wheel.
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    h.send(click(1, 1));
    assert_eq!(h.app.active, PaneId::Jobs);
    h.send(click(12, 1));
    assert_eq!(h.app.active, PaneId::Companies);
    h.send(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 6,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(h.companies().selected, 1);
}

#[test]
fn quit_keys() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('q'));
    assert!(h.app.should_quit);
    let mut h = Harness::new();
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(h.app.should_quit);
}

#[test]
fn keys_without_an_os_store_say_where_keys_go() {
    let mut h = Harness::new();
    h.env = WorkEnv::new(&h.db, &h.env.export_dir, Arc::new(Secrets::env_only()));
    h.press(KeyCode::Char('7'));
    h.press(KeyCode::Char('r'));
    h.press(KeyCode::Char('s'));
    h.chars("k-123");
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Error: no OS keyring"), "{screen}");
    assert!(!screen.contains("k-123"), "{screen}");
    snap!("keys_error", screen);
}

#[test]
fn counts_are_cached_per_view_until_refresh() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('/'));
    h.chars("gear");
    h.press(KeyCode::Enter);
    assert_eq!(h.companies().count, Some(2));
    // Back to the whole list: its count is known, no counting work is asked.
    let effects = h.app.update(Msg::Key(key(KeyCode::Char('x'))));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e.work, Work::CompanyCount(_)))
    );
    h.run(effects);
    assert_eq!(h.companies().count, Some(4));
    // A refresh counts again.
    let effects = h.app.update(Msg::Key(key(KeyCode::Char('r'))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e.work, Work::CompanyCount(_)))
    );
}

#[test]
fn the_next_pair_shows_before_the_decision_is_written() {
    let mut h = Harness::new();
    {
        let store = h.store();
        let a = add(
            &store,
            &member("NEMA", "Harbor Lighting Co", None, "Tacoma", "WA"),
        );
        let b = add(
            &store,
            &member("AIA", "Harbor Lighting Company", None, "Seattle", "WA"),
        );
        let evidence = PairEvidence {
            features: Vec::new(),
            score: 0.45,
            agreed: vec!["same name".into()],
            conflicted: vec!["different city".into()],
            hard_conflict: false,
        };
        store
            .upsert_candidate(&PairWrite {
                left_id: a,
                right_id: b,
                evidence: &evidence,
                job_id: None,
            })
            .unwrap();
    }
    h.press(KeyCode::Char('3'));
    let first = h
        .app
        .pane_as::<ReviewPane>(PaneId::Review)
        .unwrap()
        .current()
        .unwrap()
        .left
        .name
        .clone();
    // `s` without running its write: the other pair is on screen at once.
    let effects = h.app.update(Msg::Key(key(KeyCode::Char('s'))));
    assert!(matches!(
        effects.as_slice(),
        [Effect {
            work: Work::Decide { .. },
            ..
        }]
    ));
    let review = h.app.pane_as::<ReviewPane>(PaneId::Review).unwrap();
    let next = review.current().unwrap().left.name.clone();
    assert_ne!(first, next);
    assert_eq!(review.data.as_ref().unwrap().decided, 1);
    // The write lands and the queue is read again: the skipped pair is gone.
    h.run(effects);
    assert_eq!(h.store().decisions().unwrap().len(), 1);
    let review = h.app.pane_as::<ReviewPane>(PaneId::Review).unwrap();
    assert_eq!(review.data.as_ref().unwrap().items.len(), 1);
    assert_eq!(review.current().unwrap().left.name, next);
}

#[test]
fn slash_anywhere_searches_companies() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('5'));
    h.press(KeyCode::Char('/'));
    assert_eq!(h.app.active, PaneId::Companies);
    h.chars("forge");
    assert_eq!(h.companies().rows.len(), 1);
    assert_eq!(h.companies().rows[0].name, "Northern Forge Ltd.");
}

#[test]
fn a_job_from_the_form_reuses_the_newest_jobs_parameters() {
    use super::panes::jobs::JobSpec;
    use super::{TuiOptions, job_request};
    use crate::pipeline::JobParams;
    let h = Harness::empty();
    let opts = TuiOptions {
        config: crate::config::Config::default(),
        config_path: None,
        secrets: h.env.secrets.clone(),
    };
    let spec = |codes: &[&str]| JobSpec {
        mode: JobMode::Full,
        associations: codes.iter().map(|c| c.to_string()).collect(),
        force_full: true,
        max_pages: Some(10),
        resume: None,
        domains_file: None,
        profile: None,
    };
    // A fresh database: the configured associations, narrowed by the form.
    let req = job_request(&h.db, &opts, &spec(&["pma", "NEMA"])).unwrap();
    let codes: Vec<&str> = req
        .params
        .associations
        .iter()
        .map(|a| a.code.as_str())
        .collect();
    assert_eq!(codes, ["PMA", "NEMA"]);
    assert!(req.params.force_full);
    assert_eq!(req.params.max_pages, Some(10));
    assert!(req.params.demo.is_none());
    // After a demo job: its loopback world comes along.
    let demo = crate::pipeline::demo::demo_params(
        crate::pipeline::params::DemoWorld {
            seed: 7,
            members: 30,
            with_selectors: false,
        },
        false,
    );
    h.store()
        .create_job(&NewJob {
            kind: "demo",
            mode: JobMode::Full,
            params_json: &demo.to_json(),
        })
        .unwrap();
    let req = job_request(&h.db, &opts, &spec(&[])).unwrap();
    assert!(req.params.demo.is_some());
    assert_eq!(
        req.params.associations.len(),
        JobParams::from_json(&demo.to_json())
            .unwrap()
            .associations
            .len()
    );
    let err = job_request(&h.db, &opts, &spec(&["XYZ"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no association matches XYZ"), "{err}");
    // Mode domains: the list is read first; the associations go.
    let list = h.db.with_file_name("list.txt");
    std::fs::write(&list, "acme.example\n").unwrap();
    let domains = |file: &std::path::Path| JobSpec {
        mode: JobMode::Domains,
        domains_file: Some(file.to_path_buf()),
        profile: Some("gears".into()),
        ..spec(&[])
    };
    let req = job_request(&h.db, &opts, &domains(&list)).unwrap();
    assert!(req.params.associations.is_empty());
    assert!(
        req.params
            .domains_file
            .as_deref()
            .unwrap()
            .ends_with("list.txt")
    );
    assert_eq!(req.params.profile.as_deref(), Some("gears"));
    let err = job_request(&h.db, &opts, &domains(&h.db.with_file_name("none.txt")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("none.txt"), "{err}");
}

#[test]
fn clicks_select_rows_and_a_second_click_opens() {
    let mut h = Harness::new();
    let click = |row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Screen line 2 is the pane's border, 3 the header, 4 the first row.
    h.send(click(6));
    assert_eq!(h.companies().selected, 2);
    h.send(click(6));
    assert!(h.companies().detail.is_some());
    h.press(KeyCode::Char('6'));
    h.send(click(5));
    let q = h
        .app
        .pane_as::<super::panes::quality::QualityPane>(PaneId::Quality)
        .unwrap();
    assert_eq!(q.selected, 1);
}

#[test]
fn a_failed_export_is_reported_without_hiding_the_pane() {
    let mut h = Harness::new();
    // The export directory cannot be created: a file is in the way.
    let blocked = h.db.with_file_name("not-a-dir");
    std::fs::write(&blocked, b"x").unwrap();
    h.env.export_dir = blocked.join("exports");
    for pane in ['8', '6', '5'] {
        h.press(KeyCode::Char(pane));
        h.press(KeyCode::Char('e'));
        assert!(
            h.app.status.as_deref().unwrap().starts_with("Error:"),
            "{:?}",
            h.app.status
        );
        let screen = h.screen();
        assert!(!screen.contains("Could not"), "pane {pane}:\n{screen}");
    }
}

#[test]
fn profiles_typical_empty_and_error() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('9'));
    let data = h.profiles().data.as_ref().unwrap();
    assert_eq!(
        data.profiles,
        vec![("gears".to_string(), 4), ("tools".to_string(), 0)]
    );
    let chosen = data.selected.as_ref().unwrap();
    assert_eq!(chosen.name, "gears");
    assert_eq!(chosen.top[0].company_name, "Brightline Gear Works");
    let screen = h.screen();
    assert!(
        screen.contains("Gear makers that outgrew their ERP")
            && screen.contains("Brightline Gear Works")
            && screen.contains("competitor 20/20"),
        "{screen}"
    );
    // `e` edits here: the hints do not offer it as export.
    assert!(!screen.contains("export this view"), "{screen}");
    snap!("profiles_typical", screen);
    // The other profile has no scores yet and says how to get them.
    h.press(KeyCode::Char('j'));
    let screen = h.screen();
    assert!(screen.contains("s scores them all"), "{screen}");
    // Enter on gears opens its best prospect in the company detail.
    h.press(KeyCode::Char('k'));
    h.press(KeyCode::Enter);
    assert_eq!(h.app.active, PaneId::Companies);
    let detail = h.companies().detail.as_ref().unwrap();
    assert_eq!(
        detail.detail.as_ref().unwrap().company.name,
        "Brightline Gear Works"
    );

    let mut e = Harness::empty();
    e.press(KeyCode::Char('9'));
    let screen = e.screen();
    assert!(
        screen.contains("No ICP profiles yet") && screen.contains("nam icp new NAME"),
        "{screen}"
    );
    snap!("profiles_empty", screen);
    let mut b = broken();
    b.press(KeyCode::Char('9'));
    let screen = b.screen();
    assert!(screen.contains("Could not load ICP profiles"), "{screen}");
    snap!("profiles_error", screen);
}

/// Moves the form's focus to field `n` (0 is the description).
fn to_field(h: &mut Harness, n: usize) {
    for _ in 0..n {
        h.press(KeyCode::Tab);
    }
}

fn clear_line(h: &mut Harness) {
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
}

#[test]
fn the_profile_form_saves_the_file_and_keeps_bad_numbers_open() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('9'));
    h.press(KeyCode::Char('e'));
    let screen = h.screen();
    assert!(screen.contains("Edit profile gears"), "{screen}");
    snap!("profiles_form", screen);
    clear_line(&mut h);
    h.chars("Gear shops in the Midwest");
    to_field(&mut h, 5);
    h.chars(", gearbox");
    // Employees min (field 12): not a number.
    to_field(&mut h, 7);
    clear_line(&mut h);
    h.chars("about fifty");
    h.press(KeyCode::Enter);
    let status = h.app.status.clone().unwrap();
    assert!(
        status.starts_with("Error") && status.contains("not a whole number"),
        "{status}"
    );
    assert!(
        h.profiles().form.is_some(),
        "the form closed on a bad number"
    );
    assert_eq!(
        IcpProfile::load(&h.config_dir, "gears").unwrap(),
        gears_profile(),
        "a refused form must not write the file"
    );
    // A number the profile refuses (above the maximum): the save fails,
    // the form stays open with the reason.
    clear_line(&mut h);
    h.chars("900");
    h.press(KeyCode::Enter);
    let status = h.app.status.clone().unwrap();
    assert!(status.contains("above employees_max"), "{status}");
    assert!(h.profiles().form.is_some());
    clear_line(&mut h);
    h.chars("40");
    h.press(KeyCode::Enter);
    assert!(h.profiles().form.is_none(), "{:?}", h.app.status);
    let saved = IcpProfile::load(&h.config_dir, "gears").unwrap();
    let mut expected = gears_profile();
    expected.description = "Gear shops in the Midwest".into();
    expected.industries = vec!["gear".into(), "gearbox".into()];
    expected.employees_min = Some(40);
    assert_eq!(saved, expected);
    assert!(h.app.status.as_deref().unwrap().starts_with("saved "));
    assert!(h.screen().contains("Gear shops in the Midwest"));
    // Esc leaves the file alone.
    h.press(KeyCode::Char('e'));
    h.chars(" and beyond");
    h.press(KeyCode::Esc);
    assert!(h.profiles().form.is_none());
    assert_eq!(IcpProfile::load(&h.config_dir, "gears").unwrap(), expected);
}

#[test]
fn s_scores_every_company_against_the_selected_profile() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('9'));
    h.press(KeyCode::Char('j'));
    assert!(h.store().icp_scores("tools", 10).unwrap().is_empty());
    h.press(KeyCode::Char('s'));
    let scores = h.store().icp_scores("tools", 10).unwrap();
    assert_eq!(scores.len(), 4);
    // The Canadian forge is the one in the profile's location.
    assert_eq!(scores[0].company_name, "Northern Forge Ltd.");
    let status = h.app.status.clone().unwrap();
    assert!(
        status.starts_with("4 companies scored against ICP profile tools"),
        "{status}"
    );
    let data = h.profiles().data.as_ref().unwrap();
    assert_eq!(data.profiles[1], ("tools".to_string(), 4));
    assert_eq!(data.selected.as_ref().unwrap().name, "tools");
    assert_eq!(data.selected.as_ref().unwrap().top.len(), 4);
}

#[test]
fn a_new_profile_is_written_and_a_bad_name_refused() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('9'));
    h.press(KeyCode::Char('n'));
    h.chars("my gears!");
    h.press(KeyCode::Enter);
    let status = h.app.status.clone().unwrap();
    assert!(
        status.starts_with("Error") && status.contains("letters, digits"),
        "{status}"
    );
    assert!(h.profiles().naming.is_some(), "the name line stays open");
    assert_eq!(
        crate::icp::list_profiles(&h.config_dir).unwrap(),
        ["gears", "tools"]
    );
    clear_line(&mut h);
    h.chars("gears");
    h.press(KeyCode::Enter);
    assert!(h.app.status.as_deref().unwrap().contains("exists"));
    assert_eq!(
        IcpProfile::load(&h.config_dir, "gears").unwrap(),
        gears_profile()
    );
    clear_line(&mut h);
    h.chars("castings");
    h.press(KeyCode::Enter);
    assert!(h.profiles().naming.is_none());
    let written = IcpProfile::load(&h.config_dir, "castings").unwrap();
    assert_eq!(
        written,
        IcpProfile::parse(&IcpProfile::template("castings")).unwrap()
    );
    let data = h.profiles().data.as_ref().unwrap();
    assert_eq!(data.selected.as_ref().unwrap().name, "castings");
    assert_eq!(data.profiles[h.profiles().selected].0, "castings");
}

#[test]
fn detail_shows_icp_reasons_and_the_analysis() {
    let mut h = Harness::new();
    h.press(KeyCode::Char('9'));
    h.press(KeyCode::Enter);
    // Scroll past the fields and listings to the ICP and analysis sections.
    for _ in 0..18 {
        h.press(KeyCode::Char('j'));
    }
    let screen = h.screen_sized(100, 30);
    for want in [
        "ICP fit (1)",
        "gears   fit",
        "competitor  20.0/20  ",
        "location    15.0/15  ",
        "reach",
        "Analysis (rules · 70% · model llama3.1)",
        "the answer was not JSON",
        "AGMA Q12 tolerances; two-week lead times",
        "333612",
    ] {
        assert!(screen.contains(want), "{want:?} in\n{screen}");
    }
    snap!("company_detail_icp", screen);
}
