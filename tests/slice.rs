//! The thin slice end to end through the real binary: demo crawl of the
//! loopback world -> SQLite -> export; database safety commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `nam` with a private HOME/XDG so nothing touches the user's files.
fn nam(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nam"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG")
        .output()
        .expect("running nam")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "nam failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn demo_is_idempotent_and_exports() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("x.db");
    let db_s = db.to_str().unwrap();
    let demo = [
        "demo",
        "--no-tui",
        "--no-politeness",
        "--db",
        db_s,
        "--members",
        "30",
    ];
    ok(&nam(home.path(), &demo));
    let companies = count(
        &db,
        "SELECT count(*) FROM companies WHERE status = 'active'",
    );
    let listings = count(&db, "SELECT count(*) FROM association_memberships");
    assert!(companies >= 20, "only {companies} companies");
    assert!(
        listings >= companies,
        "{listings} listings for {companies} companies"
    );
    // Every listing has provenance and a resolved company.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM association_memberships WHERE company_id IS NULL OR source_url = ''"
        ),
        0
    );
    // The config was written with comments on first run.
    let cfg = std::fs::read_to_string(home.path().join("config/nam/config.toml")).unwrap();
    assert!(cfg.starts_with('#'));

    ok(&nam(home.path(), &demo));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM companies WHERE status = 'active'"
        ),
        companies
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM association_memberships"),
        listings
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM extraction_jobs WHERE status = 'completed'"
        ),
        2
    );

    let out_dir = home.path().join("out");
    ok(&nam(
        home.path(),
        &[
            "export",
            "--db",
            db_s,
            "--format",
            "csv",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    // File names carry the export's timestamp.
    let written = |dir: &std::path::Path, prefix: &str, ext: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_str().unwrap();
                name.starts_with(prefix) && name.ends_with(ext)
            })
            .collect()
    };
    let files = written(&out_dir, "companies-", ".csv");
    assert_eq!(files.len(), 1, "{files:?}");
    let csv = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(csv.lines().count() as i64, companies + 1);
    assert!(written(&out_dir, "companies-", ".parquet").is_empty());
    // The demo's EXPORT phase wrote next to its database and logged it, once
    // per run (two runs in one second write the same names).
    let phase_dir = db.parent().unwrap().join("exports");
    assert!(!written(&phase_dir, "companies-", ".parquet").is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM export_runs"), 2);

    // Logs are JSON lines in the state directory, not on the terminal.
    let logs = std::fs::read_dir(home.path().join("state/nam/logs"))
        .unwrap()
        .count();
    assert!(logs >= 1);
}

#[test]
fn db_check_refuses_garbage_without_touching_it() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("notes.db");
    std::fs::write(&bad, b"this is a shopping list, not a database\n").unwrap();
    let out = nam(home.path(), &["db", "check", "--db", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notes.db") && err.contains("not a SQLite database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&bad).unwrap(),
        b"this is a shopping list, not a database\n"
    );
    // Opening it for work is refused the same way.
    let out = nam(home.path(), &["db", "stats", "--db", bad.to_str().unwrap()]);
    assert!(!out.status.success());
}

#[test]
fn db_backup_restore_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("nam.db");
    let csv = home.path().join("c.csv");
    std::fs::write(
        &csv,
        "name,website\nAcme Stamping Inc.,acme.com\nGearco,gearco.com\n",
    )
    .unwrap();
    let db_s = db.to_str().unwrap();
    ok(&nam(
        home.path(),
        &["import", csv.to_str().unwrap(), "--db", db_s],
    ));
    let backup = home.path().join("backup.db");
    ok(&nam(
        home.path(),
        &["db", "backup", backup.to_str().unwrap(), "--db", db_s],
    ));
    std::fs::write(&csv, "name\nThird Co\n").unwrap();
    ok(&nam(
        home.path(),
        &["import", csv.to_str().unwrap(), "--db", db_s],
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM companies"), 3);
    ok(&nam(
        home.path(),
        &["db", "restore", backup.to_str().unwrap(), "--db", db_s],
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM companies"), 2);
    ok(&nam(home.path(), &["db", "check", "--db", db_s]));
}

/// A fixture world served on loopback by this test, and an associations
/// file naming `codes` of it (written into `dir`).
struct Served {
    rt: tokio::runtime::Runtime,
    world: std::sync::Arc<nam::fixture_site::World>,
    server: nam::fixture_site::FixtureServer,
    assoc: std::path::PathBuf,
}

fn serve_world(members: usize, codes: &[&str], dir: &Path) -> Served {
    use nam::fixture_site::{FixtureServer, World, WorldConfig};

    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = std::sync::Arc::new(World::new(WorldConfig {
        members,
        ..Default::default()
    }));
    let server = rt.block_on(FixtureServer::start(world.clone(), 0)).unwrap();
    let assoc = dir.join("assoc.toml");
    let mut file = world.associations_file(false);
    file.associations
        .retain(|a| codes.contains(&a.code.as_str()));
    std::fs::write(&assoc, toml::to_string(&file).unwrap()).unwrap();
    Served {
        rt,
        world,
        server,
        assoc,
    }
}

/// `nam run` against a fixture server this test starts: a dry run asks for
/// robots.txt only and explains skips; a capped run stops and resumes; the
/// dead-letter and robots commands answer.
#[test]
fn run_dry_run_max_pages_and_robots_through_the_binary() {
    let home = tempfile::tempdir().unwrap();
    let Served {
        rt,
        world,
        server,
        assoc,
    } = serve_world(20, &["PMA", "NEMA"], home.path());
    let db = home.path().join("run.db");
    let db_s = db.to_str().unwrap();
    // Loopback rates so the test is quick; robots.txt still rules.
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[crawl.association_rate]\nper_second = 50.0\ndaily_cap = 1000\n",
    )
    .unwrap();
    let resolve = format!("example={}", server.addr());
    let base = [
        "run",
        "--db",
        db_s,
        "--config",
        cfg.to_str().unwrap(),
        "--associations-file",
        assoc.to_str().unwrap(),
        "--resolve",
        &resolve,
    ];

    let mut dry = base.to_vec();
    dry.extend([
        "--seed-url",
        "http://pma.example/members-only/roster",
        "--dry-run",
    ]);
    let out = ok(&nam(home.path(), &dry));
    assert!(
        out.contains("would get  http://pma.example/directory/"),
        "{out}"
    );
    assert!(
        out.contains("would skip http://pma.example/members-only/roster"),
        "{out}"
    );
    assert!(out.contains("Disallow: /members-only/"), "{out}");
    assert!(
        !db.exists(),
        "a dry run writes nothing, not even a new database"
    );
    let log = server.request_log();
    assert!(
        log.iter().all(|r| r.path_and_query == "/robots.txt"),
        "{log:?}"
    );

    // NEMA only from here: no Crawl-delay, so the run is quick.
    let nema: Vec<&str> = base.iter().copied().chain(["-a", "NEMA"]).collect();
    let mut capped = nema.clone();
    capped.extend(["--max-pages", "5"]);
    let out = ok(&nam(home.path(), &capped));
    assert!(out.contains("stopped at --max-pages"), "{out}");
    assert_eq!(count(&db, "SELECT count(*) FROM pages"), 5);
    let pending = count(
        &db,
        "SELECT count(*) FROM url_queue WHERE status = 'pending' AND domain = 'nema.example'",
    );
    assert!(pending > 0);

    let out = ok(&nam(home.path(), &nema));
    assert!(!out.contains("stopped at --max-pages"), "{out}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM url_queue WHERE status = 'pending' AND domain = 'nema.example'"
        ),
        0
    );
    let listed = world
        .ground_truth()
        .listings
        .iter()
        .filter(|l| l.association == "NEMA")
        .count() as i64;
    let stored = count(
        &db,
        "SELECT count(*) FROM association_memberships WHERE association_code = 'NEMA'",
    );
    assert!(
        listed > 0 && stored * 100 >= listed * 95,
        "{stored} of {listed}"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM extraction_jobs WHERE status = 'completed'"
        ),
        2,
        "the two runs are jobs; the dry run is not"
    );

    let out = ok(&nam(home.path(), &["dead-letters", "--db", db_s]));
    assert!(
        out.contains("no dead letters") || out.contains("tries"),
        "{out}"
    );

    let robots = home.path().join("robots.txt");
    std::fs::write(&robots, "User-agent: *\nDisallow: /private/\n").unwrap();
    let out = ok(&nam(
        home.path(),
        &[
            "robots",
            robots.to_str().unwrap(),
            "http://a.example/private/x",
            "http://a.example/open",
        ],
    ));
    assert!(
        out.contains("DISALLOWED http://a.example/private/x"),
        "{out}"
    );
    assert!(out.contains("line 2: Disallow: /private/"), "{out}");
    assert!(out.contains("allowed    http://a.example/open"), "{out}");
    rt.block_on(server.shutdown());
}

/// A crawl killed mid-way (SIGKILL) resumes from the persisted frontier:
/// the next run finishes the work without fetching finished pages again.
#[test]
fn a_killed_crawl_resumes_from_the_frontier() {
    use std::time::{Duration, Instant};

    let home = tempfile::tempdir().unwrap();
    let Served {
        rt, server, assoc, ..
    } = serve_world(40, &["NEMA"], home.path());
    let db = home.path().join("kill.db");
    let slow = home.path().join("slow.toml");
    std::fs::write(&slow, "[crawl.association_rate]\nper_second = 10.0\n").unwrap();
    let fast = home.path().join("fast.toml");
    std::fs::write(&fast, "[crawl.association_rate]\nper_second = 100.0\n").unwrap();
    let resolve = format!("example={}", server.addr());
    let args = |cfg: &Path| -> Vec<String> {
        [
            "run",
            "--db",
            db.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--associations-file",
            assoc.to_str().unwrap(),
            "--resolve",
            &resolve,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_nam"))
        .args(args(&slow))
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let pages = if db.exists() {
            rusqlite::Connection::open(&db)
                .and_then(|c| c.query_row("SELECT count(*) FROM pages", [], |r| r.get::<_, i64>(0)))
                .unwrap_or(0)
        } else {
            0
        };
        if pages >= 4 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "crawl never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = count(&db, "SELECT count(*) FROM pages");
    let left = count(
        &db,
        "SELECT count(*) FROM url_queue WHERE status IN ('pending', 'in_progress')",
    );
    assert!(left > 0, "the kill came too late to test anything");

    let out = ok(&nam(
        home.path(),
        &args(&fast).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(out.contains("discovery"), "{out}");
    assert!(count(&db, "SELECT count(*) FROM pages") > before);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM url_queue WHERE status IN ('pending', 'in_progress')"
        ),
        0
    );
    // Only the request in flight at the kill may have been made twice.
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for r in server.request_log() {
        if r.path_and_query != "/robots.txt" {
            *seen.entry(r.path_and_query).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 1, "refetched after resume: {twice:?}");
    rt.block_on(server.shutdown());
}
