//! The real OS key stores, not the mock: a Secret Service (gnome-keyring)
//! and kernel keyutils, each in a private session so no test reads or writes
//! the developer's own keyring.
//!
//! The `#[ignore]`d tests do the work and must run inside such a session;
//! the plain tests start that session (`dbus-run-session` + an unlocked
//! `gnome-keyring-daemon`, or `keyctl session -`) and run the ignored test in
//! it, so `cargo test` exercises the real stores wherever the tools are
//! installed (`.ci/run` installs them) and says why it skipped where not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nam::secrets::{Backend, KeySource, Persistence, Secrets, mask};

/// Set by the wrapper tests: the ignored tests refuse to touch a keyring
/// they were not given.
const PRIVATE_MARK: &str = "NAM_TEST_PRIVATE_KEYRING";
/// Printed by an ignored test that really ran its checks (not its guard).
const DONE_MARK: &str = "real keyring round trip: done";
/// Printed by an ignored test that found a key it must not overwrite.
const SKIP_MARK: &str = "SKIP real keyring round trip";
/// A child session that takes longer than this is killed and fails the test.
const SESSION_TIMEOUT: Duration = Duration::from_secs(120);

/// `set`, `get`, `report`, `nam keys list` and `delete` through the store
/// [`Secrets::detect`] chooses, which must be `expected`.
fn round_trip(expected: Backend, provider: &str, key: &str) {
    if std::env::var(PRIVATE_MARK).as_deref() != Ok(expected.store_name()) {
        eprintln!(
            "not in a private {} session (run the non-ignored wrapper test): not touching this keyring",
            expected.store_name()
        );
        return;
    }
    let secrets = Secrets::detect();
    assert_eq!(
        secrets.backend(),
        expected,
        "passed over: {:?}",
        secrets.rejected()
    );
    // keyutils links keys into the user's persistent keyring, which a new
    // session keyring still sees: a key already there is someone's, keep it.
    if secrets.get(provider).unwrap().is_some() {
        eprintln!(
            "{SKIP_MARK}: a {provider} key already exists in this keyring; not overwriting it"
        );
        return;
    }

    secrets.set(provider, key).unwrap();
    assert_eq!(
        secrets.get(provider).unwrap(),
        Some((key.to_string(), KeySource::Keyring))
    );
    let reports = secrets.report().unwrap();
    let found = reports
        .iter()
        .find(|r| r.provider == provider)
        .and_then(|r| r.found.clone())
        .unwrap();
    assert_eq!(found.store(), expected);
    assert_eq!(found.masked(), mask(key));

    let out = Command::new(env!("CARGO_BIN_EXE_nam"))
        .args(["keys", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let delete_result = secrets.delete(provider);
    assert!(out.status.success(), "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(provider))
        .unwrap_or_else(|| panic!("no {provider} line:\n{stdout}"));
    assert!(line.contains(&mask(key)), "{line}");
    assert!(line.contains(expected.store_name()), "{line}");
    assert!(line.contains(expected.persistence().label()), "{line}");
    if expected == Backend::SecretService {
        assert!(line.ends_with("yes (on disk, encrypted)"), "{line}");
    }
    assert!(!stdout.contains(key) && !stderr.contains(key));
    eprintln!("nam keys list: {line}");

    assert!(delete_result.unwrap());
    assert_eq!(secrets.get(provider).unwrap(), None);
    assert!(!secrets.delete(provider).unwrap());
    eprintln!("{DONE_MARK}");
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by secret_service_in_a_private_session"]
fn secret_service_round_trip() {
    round_trip(
        Backend::SecretService,
        "hunter",
        "sk_test_REAL_SECRET_SERVICE_0123456789",
    );
    assert_eq!(
        Backend::SecretService.persistence(),
        Persistence::OnDisk,
        "the Secret Service keeps keys on disk"
    );
}

#[test]
#[ignore = "needs a private session keyring; run by keyutils_in_a_private_session"]
fn keyutils_round_trip() {
    round_trip(
        Backend::KeyUtils,
        "tavily",
        "tvly_test_REAL_KEYUTILS_0123456789",
    );
}

/// The first of `tools` not on PATH.
fn missing_tool<'a>(tools: &[&'a str]) -> Option<&'a str> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    tools.iter().copied().find(|tool| {
        !std::env::split_paths(&path).any(|dir| {
            let p = dir.join(tool);
            p.is_file()
        })
    })
}

/// A private HOME and XDG dirs, no session bus inherited, no provider key
/// in the environment: the child sees only the store the wrapper made.
fn private_env(cmd: &mut Command, home: &Path, store: Backend) {
    let runtime = home.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG")
        .env("TEST_BIN", std::env::current_exe().unwrap())
        .env(PRIVATE_MARK, store.store_name());
    for (_, var) in nam::secrets::PROVIDERS {
        cmd.env_remove(var);
    }
}

/// Runs `cmd` to completion, killing it after [`SESSION_TIMEOUT`].
fn run_bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > SESSION_TIMEOUT {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the private keyring session hung for {SESSION_TIMEOUT:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn assert_ran(out: &Output, test: &str) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    if let Some(line) = all.lines().find(|l| l.contains(SKIP_MARK)) {
        eprintln!("{line}");
        return;
    }
    assert!(all.contains(&format!("test {test} ... ok")), "{all}");
    assert!(all.contains("1 passed"), "{all}");
    assert!(
        all.contains(DONE_MARK),
        "the round trip did not run:\n{all}"
    );
    // Show in the log that the real store was used, and how it was listed.
    for l in all.lines().filter(|l| l.starts_with("nam keys list: ")) {
        eprintln!("{test}: {l}");
    }
}

#[test]
fn secret_service_in_a_private_session() {
    if let Some(tool) = missing_tool(&["dbus-run-session", "gnome-keyring-daemon"]) {
        eprintln!(
            "SKIP secret_service_in_a_private_session: {tool} is not installed \
             (Debian: apt-get install dbus gnome-keyring)"
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("dbus-run-session");
    // The daemon's own stderr (fd limits, no PAM) is noise; its answer to
    // --unlock comes on stdout and sets GNOME_KEYRING_CONTROL for the test.
    cmd.args([
        "--",
        "sh",
        "-c",
        "eval \"$(printf pass | gnome-keyring-daemon --components=secrets --daemonize --unlock 2>/dev/null)\"; \
         exec \"$TEST_BIN\" --ignored --exact secret_service_round_trip --test-threads=1 --nocapture",
    ]);
    private_env(&mut cmd, home.path(), Backend::SecretService);
    let out = run_bounded(cmd);
    assert_ran(&out, "secret_service_round_trip");
}

#[test]
fn keyutils_in_a_private_session() {
    if let Some(tool) = missing_tool(&["keyctl"]) {
        eprintln!(
            "SKIP keyutils_in_a_private_session: {tool} is not installed \
             (Debian: apt-get install keyutils)"
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("keyctl");
    // No session bus in the child: the Secret Service is passed over and
    // keyutils, in the new anonymous session keyring, is chosen.
    cmd.args([
        "session",
        "-",
        "sh",
        "-c",
        "exec \"$TEST_BIN\" --ignored --exact keyutils_round_trip --test-threads=1 --nocapture",
    ]);
    private_env(&mut cmd, home.path(), Backend::KeyUtils);
    let probe = Command::new("keyctl")
        .args(["session", "-", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    if !probe.status.success() {
        // Containers often forbid the keyctl syscalls (seccomp): that is the
        // machine, not nam.
        eprintln!(
            "SKIP keyutils_in_a_private_session: `keyctl session` is refused here: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let out = run_bounded(cmd);
    assert_ran(&out, "keyutils_round_trip");
}
