//! `nam doctor` through the real binary: the exit code is what scripts and
//! the INIT phase rely on, so each blocking case is checked end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `nam doctor` with a private HOME/XDG and explicit `--db` / `--config`.
fn doctor(home: &Path, db: &Path, config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nam"))
        .args(["doctor", "--db"])
        .arg(db)
        .arg("--config")
        .arg(config)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG")
        .output()
        .expect("running nam")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn doctor_passes_on_a_fresh_setup() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("db/nam.db");
    let config = home.path().join("nam.toml");
    let out = doctor(home.path(), &db, &config);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    for name in ["config", "disk", "database", "keys", "associations"] {
        assert!(
            all.lines().any(|l| l.starts_with(name) && l.contains(": ")),
            "no {name} line:\n{all}"
        );
    }
    assert!(!all.contains("BLOCKING"), "{all}");
    // Doctor only looks: it creates neither the config nor the database.
    assert!(!config.exists());
    assert!(!db.exists());
}

#[test]
fn doctor_fails_with_the_line_of_a_config_syntax_error() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("nam.db");
    let config = home.path().join("nam.toml");
    std::fs::write(
        &config,
        "[crawl]\nmax_retries = 2\nuser_agent = \"unterminated\n",
    )
    .unwrap();
    let out = doctor(home.path(), &db, &config);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(&format!("{}:3:", config.display())),
        "no line number:\n{all}"
    );
    assert!(all.contains("blocking problem(s): config"), "{all}");
}

#[test]
fn doctor_fails_on_a_garbage_database() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("nam.db");
    let config = home.path().join("nam.toml");
    std::fs::write(&db, b"this is not a database, just some bytes\x00\xff").unwrap();
    let out = doctor(home.path(), &db, &config);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("not a SQLite database"), "{all}");
    assert!(all.contains("blocking problem(s): database"), "{all}");
}
