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

/// A key planted in the environment, as a user would export it.
const PLANTED: &str = "sk_test_SECRET123456789";

/// Runs nam with `args`, the planted hunter key in the environment and no
/// session bus (so no desktop keyring of the developer's is read).
fn nam_with_planted_key(home: &Path, args: &[&str]) -> Output {
    let runtime = home.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nam"));
    cmd.args(args)
        .arg("--db")
        .arg(home.join("nam.db"))
        .arg("--config")
        .arg(home.join("nam.toml"))
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG");
    for var in [
        "NAM_CLEARBIT_API_KEY",
        "NAM_APOLLO_API_KEY",
        "NAM_BUILTWITH_API_KEY",
        "NAM_ZOOMINFO_API_KEY",
        "NAM_GOOGLE_PLACES_API_KEY",
        "NAM_PEOPLEDATALABS_API_KEY",
        "NAM_TAVILY_API_KEY",
        "NAM_OPENAI_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NAM_HUNTER_API_KEY", PLANTED)
        .output()
        .expect("running nam")
}

/// The planted key, or any 6 characters of its secret part, in `out`.
fn assert_no_key(out: &str) {
    assert!(!out.contains(PLANTED), "the key is printed:\n{out}");
    let secret = &PLANTED[8..];
    for start in 0..=secret.len() - 6 {
        let piece = &secret[start..start + 6];
        assert!(!out.contains(piece), "output leaks {piece:?}:\n{out}");
    }
}

#[test]
fn keys_list_shows_an_env_key_masked_with_its_store() {
    let home = tempfile::tempdir().unwrap();
    let out = nam_with_planted_key(home.path(), &["keys", "list"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_no_key(&all);
    assert!(
        all.lines()
            .next()
            .is_some_and(|l| l.starts_with("key store: ") && l.contains("survives reboot: ")),
        "{all}"
    );
    let hunter = all
        .lines()
        .find(|l| l.starts_with("hunter "))
        .unwrap_or_else(|| panic!("no hunter line:\n{all}"));
    let masked = "sk********89";
    assert!(hunter.contains(masked), "{hunter}");
    assert!(
        hunter.contains("environment ($NAM_HUNTER_API_KEY)"),
        "{hunter}"
    );
    assert!(hunter.ends_with("as the shell sets it"), "{hunter}");
    assert!(
        all.contains("PROVIDER") && all.contains("SURVIVES REBOOT"),
        "{all}"
    );
    for provider in ["clearbit", "zoominfo", "google_places", "tavily", "openai"] {
        assert!(
            all.lines().any(|l| l.starts_with(provider)),
            "no {provider} line:\n{all}"
        );
    }
}

#[test]
fn doctor_names_the_key_store_and_masks_keys() {
    let home = tempfile::tempdir().unwrap();
    let out = nam_with_planted_key(home.path(), &["doctor"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_no_key(&all);
    assert!(
        all.lines()
            .any(|l| l.starts_with("key store    chosen: ") && l.contains("survives reboot: ")),
        "{all}"
    );
    // There is no session bus in this environment, and doctor says so.
    assert!(
        all.contains(
            "key store    not chosen: Secret Service: no session bus (DBUS_SESSION_BUS_ADDRESS unset)"
        ),
        "{all}"
    );
    let hunter_rows: Vec<&str> = all.lines().filter(|l| l.starts_with("hunter ")).collect();
    assert_eq!(hunter_rows.len(), 1, "{all}");
    assert!(hunter_rows[0].contains("sk********89"), "{all}");
    assert!(
        hunter_rows[0].contains("environment ($NAM_HUNTER_API_KEY)"),
        "{all}"
    );
    // The health line (stored with jobs) names the provider and store only.
    let keys = all
        .lines()
        .find(|l| l.starts_with("keys "))
        .unwrap_or_else(|| panic!("no keys line:\n{all}"));
    assert!(
        keys.contains("hunter (environment ($NAM_HUNTER_API_KEY)"),
        "{keys}"
    );
    assert!(!keys.contains("sk****"), "{keys}");
}
