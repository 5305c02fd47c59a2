#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Jobs survive their process: SIGKILL at many points of every phase, then
//! `nam run --resume`, gives the same data as a run nobody interrupted;
//! Ctrl-C (SIGINT) and `nam jobs cancel` leave resumable jobs; pause and
//! resume work from another process; a job whose process died reads as
//! interrupted.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Small world: the test runs the demo job many times.
const MEMBERS: &str = "40";

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_nam"));
        c.args(args)
            .arg("--db")
            .arg(db)
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .stdin(Stdio::null());
        c
    }

    fn demo(&self, db: &Path) -> Child {
        self.cmd(
            db,
            &[
                "demo",
                "--no-tui",
                "--no-politeness",
                "--members",
                MEMBERS,
                "--events",
                "jsonl",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
    }

    fn resume(&self, db: &Path, job: i64) -> Child {
        self.cmd(
            db,
            &["run", "--resume", &job.to_string(), "--events", "jsonl"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
    }

    fn output(&self, db: &Path, args: &[&str]) -> std::process::Output {
        self.cmd(db, args).output().unwrap()
    }
}

/// Event names of a JSON-lines stream, read until the process ends or
/// `stop(count, event)` says to kill it (then SIGKILL).
fn follow(
    mut child: Child,
    mut stop: impl FnMut(usize, &serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        let Ok(ev) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        seen.push(ev.clone());
        if stop(seen.len(), &ev) {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    child.wait().unwrap();
    seen
}

fn kind(ev: &serde_json::Value) -> &str {
    ev["event"].as_str().unwrap_or("")
}

/// The data a job produces, without ids, timestamps or job numbers:
/// companies, listings, events, participants and contacts.
fn content(db: &Path) -> BTreeSet<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let company = "(SELECT coalesce(name_key, '') || '|' || coalesce(domain, '') FROM companies k WHERE k.id = {t}.company_id)";
    let queries = [
        "SELECT 'company', name, name_key, domain, website, phone, street, city, state, postal_code, country, status,
            (SELECT coalesce(s.name_key, '') || '|' || coalesce(s.domain, '') FROM companies s WHERE s.id = c.merged_into)
         FROM companies c".to_string(),
        format!(
            "SELECT 'membership', association_code, record_key, raw_name, name_key, website, domain, phone, email, street, city, state, postal_code, country, membership_type, profile_url, source_url, extractor, confidence, {} FROM association_memberships m",
            company.replace("{t}", "m")
        ),
        "SELECT 'event', name, name_key, association_code, start_date, end_date, venue, city, state, country, url FROM events".to_string(),
        format!(
            "SELECT 'participant', (SELECT url FROM events e WHERE e.id = p.event_id), role, participant_key, company_name, company_domain, sponsor_tier, booth, person_name, person_title, source_url, {} FROM event_participants p",
            company.replace("{t}", "p")
        ),
        format!(
            "SELECT 'contact', full_name, title, email, phone, source_url, {} FROM contacts t",
            company.replace("{t}", "t")
        ),
    ];
    let mut rows = BTreeSet::new();
    for q in &queries {
        let mut st = c.prepare(q).unwrap();
        let cols = st.column_count();
        let got = st
            .query_map([], |r| {
                let vals: Vec<String> = (0..cols)
                    .map(|i| {
                        r.get::<_, Option<rusqlite::types::Value>>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<rusqlite::Result<_>>()?;
                Ok(vals.join("\u{1f}"))
            })
            .unwrap();
        for row in got {
            // Rows may repeat (two listings merged into one firm can leave
            // identical absorbed rows): number the repeats, so a resume that
            // duplicated data still shows as extra rows.
            let row = row.unwrap();
            let mut k = 1;
            while !rows.insert(if k == 1 {
                row.clone()
            } else {
                format!("{row}#{k}")
            }) {
                k += 1;
            }
        }
    }
    rows
}

fn scalar(db: &Path, sql: &str) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| match v {
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
}

fn diff(a: &BTreeSet<String>, b: &BTreeSet<String>) -> String {
    let missing: Vec<_> = a.difference(b).take(5).collect();
    let extra: Vec<_> = b.difference(a).take(5).collect();
    format!(
        "{} missing, {} extra; e.g. missing {missing:?} extra {extra:?}",
        a.difference(b).count(),
        b.difference(a).count()
    )
}

/// Resumes job 1 until it completes, SIGKILLing each attempt at the event
/// counts in `kills` first (one per attempt).
fn resume_until_done(home: &Home, db: &Path, kills: &[usize]) {
    for &k in kills {
        follow(home.resume(db, 1), |n, _| n >= k);
    }
    let status = || scalar(db, "SELECT status FROM extraction_jobs WHERE id = 1");
    // A resume with little left to do may have finished before its kill
    // point came; then there is nothing left to resume.
    if status() != "completed" {
        let events = follow(home.resume(db, 1), |_, _| false);
        let last = events
            .last()
            .map(|e| kind(e).to_string())
            .unwrap_or_default();
        assert_eq!(last, "job_finished", "{events:?}");
    }
    assert_eq!(status(), "completed");
}

/// A kill point: after the `nth` event of a kind (0 = the first), plus a
/// delay so kills also land between events.
#[derive(Debug, Clone, Copy)]
struct Point {
    event: &'static str,
    phase: Option<&'static str>,
    nth: usize,
    delay_ms: u64,
}

fn matches(p: &Point, ev: &serde_json::Value) -> bool {
    kind(ev) == p.event && p.phase.is_none_or(|ph| ev["phase"].as_str() == Some(ph))
}

#[test]
fn sigkill_anywhere_then_resume_gives_the_uninterrupted_result() {
    let home = Home::new();
    let reference = home.db("reference.db");
    let events = follow(home.demo(&reference), |_, _| false);
    assert_eq!(kind(events.last().unwrap()), "job_finished");
    let want = content(&reference);
    assert!(want.len() > 100, "the reference run produced too little");
    let pages = events.iter().filter(|e| kind(e) == "page_fetched").count();
    assert!(pages > 40, "{pages} pages");

    let at = |event, phase, nth, delay_ms| Point {
        event,
        phase,
        nth,
        delay_ms,
    };
    let mut points = vec![
        at("job_started", None, 0, 0),
        at("phase_started", Some("init"), 0, 0),
        at("phase_finished", Some("init"), 0, 0),
        at("phase_started", Some("gatekeeper"), 0, 0),
        at("phase_started", Some("gatekeeper"), 0, 5),
        at("phase_finished", Some("gatekeeper"), 0, 0),
        at("phase_started", Some("discovery"), 0, 0),
        at("phase_started", Some("classification"), 0, 0),
        at("phase_finished", Some("classification"), 0, 0),
        at("phase_started", Some("extraction"), 0, 0),
        at("phase_started", Some("extraction"), 0, 30),
        at("progress", Some("extraction"), 0, 0),
        at("phase_finished", Some("extraction"), 0, 0),
        at("phase_started", Some("monitor"), 0, 0),
        at("phase_started", Some("monitor"), 0, 40),
        at("phase_finished", Some("monitor"), 0, 0),
    ];
    // Spread over the crawl: after every eighth page.
    for i in (1..pages).step_by(pages / 8) {
        points.push(at("page_fetched", None, i, 0));
    }
    assert!(points.len() >= 20, "{} kill points", points.len());

    let mut phases_hit = BTreeSet::new();
    for (i, p) in points.iter().enumerate() {
        let db = home.db(&format!("kill{i}.db"));
        let mut count = 0;
        let mut fire_at: Option<Instant> = None;
        let mut last_phase = String::new();
        let seen = follow(home.demo(&db), |_, ev| {
            if kind(ev) == "phase_started" {
                last_phase = ev["phase"].as_str().unwrap_or("").to_string();
            }
            if fire_at.is_none() && matches(p, ev) {
                if count == p.nth {
                    fire_at = Some(Instant::now() + Duration::from_millis(p.delay_ms));
                }
                count += 1;
            }
            match fire_at {
                Some(t) => {
                    while Instant::now() < t {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    true
                }
                None => false,
            }
        });
        let finished = seen.last().is_some_and(|e| kind(e) == "job_finished");
        if !finished {
            phases_hit.insert(last_phase.clone());
            // The next open of the database shows the dead job as interrupted.
            let out = home.output(&db, &["jobs"]);
            let text = String::from_utf8_lossy(&out.stdout);
            // (A kill that landed after the last write finds it completed.)
            assert!(
                ["interrupted", "no jobs yet", "completed"]
                    .iter()
                    .any(|s| text.contains(s)),
                "point {i} {p:?}: {text}"
            );
            if !text.contains("no jobs yet") {
                let status = scalar(&db, "SELECT status FROM extraction_jobs WHERE id = 1");
                assert!(
                    status == "interrupted" || status == "completed",
                    "point {i} {p:?}: {status}"
                );
            }
        }
        // Half the points are killed a second time during the resume.
        let again: Vec<usize> = if i % 2 == 0 { vec![3 + i % 7] } else { vec![] };
        if scalar_or(&db, "SELECT count(*) FROM extraction_jobs", "0") == "0" {
            // Killed before the job row was written: a new run starts over.
            follow(home.demo(&db), |_, _| false);
        } else {
            resume_until_done(&home, &db, &again);
        }
        let got = content(&db);
        assert!(
            got == want,
            "kill point {i} {p:?} (phase {last_phase}): {}",
            diff(&want, &got)
        );
    }
    for phase in [
        "init",
        "gatekeeper",
        "classification",
        "extraction",
        "monitor",
    ] {
        assert!(
            phases_hit.contains(phase),
            "no kill landed in {phase}: {phases_hit:?}"
        );
    }
}

fn scalar_or(db: &Path, sql: &str, default: &str) -> String {
    if !db.exists() {
        return default.to_string();
    }
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get::<_, i64>(0))
        .map(|n| n.to_string())
        .unwrap_or_else(|_| default.to_string())
}

#[test]
fn a_finished_job_resumed_is_a_no_op_that_says_so() {
    let home = Home::new();
    let db = home.db("done.db");
    follow(home.demo(&db), |_, _| false);
    let before = content(&db);
    let out = home.output(&db, &["run", "--resume", "1"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("already finished"), "{text}");
    assert_eq!(content(&db), before);
    let out = home.output(&db, &["run", "--resume", "99"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no job 99"));
}

#[test]
fn sigint_cancels_cleanly_and_leaves_a_resumable_job() {
    let home = Home::new();
    let reference = home.db("reference.db");
    follow(home.demo(&reference), |_, _| false);
    let want = content(&reference);

    let db = home.db("int.db");
    let mut child = home.demo(&db);
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut pages = 0;
    for line in lines.by_ref() {
        if line.unwrap().contains("\"page_fetched\"") {
            pages += 1;
            if pages == 10 {
                break;
            }
        }
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(!status.success(), "a cancelled job exits non-zero");
    let last = rest.last().cloned().unwrap_or_default();
    assert!(
        last.contains("\"job_finished\"") && last.contains("\"cancelled\""),
        "{last}"
    );
    assert_eq!(
        scalar(&db, "SELECT status FROM extraction_jobs WHERE id = 1"),
        "cancelled"
    );
    // Nothing was left claimed: the checkpoint is clean.
    assert_eq!(
        scalar_or(
            &db,
            "SELECT count(*) FROM url_queue WHERE status = 'in_progress'",
            "x"
        ),
        "0"
    );
    resume_until_done(&home, &db, &[]);
    let got = content(&db);
    assert!(got == want, "{}", diff(&want, &got));
}

#[test]
fn pause_resume_and_cancel_from_another_process() {
    let home = Home::new();
    let db = home.db("ctl.db");
    // Politeness on: the world's Crawl-delay keeps the job running a while.
    let mut child = home
        .cmd(
            &db,
            &[
                "demo",
                "--no-tui",
                "--members",
                MEMBERS,
                "--events",
                "jsonl",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut wait_for = |what: &str| {
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.contains(what) {
                return line;
            }
        }
        panic!("the job ended before {what}");
    };
    wait_for("\"page_fetched\"");
    let ctl = |verb: &str| {
        let out = home.output(&db, &["jobs", verb, "1"]);
        assert!(
            out.status.success(),
            "jobs {verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ctl("pause");
    wait_for("\"job_paused\"");
    assert_eq!(
        scalar(&db, "SELECT status FROM extraction_jobs WHERE id = 1"),
        "paused"
    );
    // A second job on the same database is refused while this one lives.
    let out = home.output(
        &db,
        &["demo", "--no-tui", "--no-politeness", "--members", MEMBERS],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("job 1 is running on this database"), "{err}");
    // While paused, no page is fetched: requests already in flight (at most
    // one per domain, behind a Crawl-delay of up to 2 s) land, then nothing.
    std::thread::sleep(Duration::from_millis(2500));
    let fetched = scalar(&db, "SELECT count(*) FROM pages");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(scalar(&db, "SELECT count(*) FROM pages"), fetched);
    ctl("resume");
    wait_for("\"job_resumed\"");
    wait_for("\"page_fetched\"");
    ctl("cancel");
    let last = wait_for("\"job_finished\"");
    assert!(last.contains("\"cancelled\""), "{last}");
    child.wait().unwrap();
    assert_eq!(
        scalar(&db, "SELECT status FROM extraction_jobs WHERE id = 1"),
        "cancelled"
    );
    // A job that is not running cannot be paused; it says how to continue.
    let out = home.output(&db, &["jobs", "pause", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume 1"));
}
