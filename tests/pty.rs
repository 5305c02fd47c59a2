//! The real binary in a real terminal (tmux): the TUI draws, takes keys and
//! quits cleanly. Skips with a message where tmux is missing (.ci/run installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(socket: &Path, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .output()
        .expect("running tmux")
}

/// Polls the pane until `needle` shows (bounded), returning the screen.
fn wait_for(socket: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let out = tmux(socket, &["capture-pane", "-p", "-t", "nam"]);
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.contains(needle) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {needle:?}; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tui_runs_in_a_real_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("nam.db");
    let csv = home.path().join("c.csv");
    std::fs::write(&csv, "name,website,city,state\nAcme Stamping Inc.,acme.com,Cleveland,OH\nGearco,gearco.com,Rockford,IL\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_nam");
    let status = Command::new(bin)
        .args([
            "import",
            csv.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .status()
        .unwrap();
    assert!(status.success());
    let socket = home.path().join("tmux.sock");
    let marker = home.path().join("exited");
    let cmd = format!(
        "HOME={h} XDG_CONFIG_HOME={h}/config XDG_STATE_HOME={h}/state {bin} --db {db} ; echo $? > {m}; sleep 30",
        h = home.path().display(),
        db = db.display(),
        m = marker.display()
    );
    let out = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "nam",
            "-x",
            "100",
            "-y",
            "24",
            &cmd,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screen = wait_for(&socket, "Gearco");
    assert!(screen.contains("Companies (2)"), "{screen}");
    tmux(
        &socket,
        &["send-keys", "-t", "nam", "/", "g", "e", "a", "r"],
    );
    let screen = wait_for(&socket, "Companies (1)");
    assert!(!screen.contains("Acme Stamping"), "{screen}");
    tmux(&socket, &["send-keys", "-t", "nam", "Enter", "Enter"]);
    wait_for(&socket, "Company #");
    tmux(&socket, &["send-keys", "-t", "nam", "q"]);
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nam did not quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "0");
    // The terminal was restored: the shell's own output is visible again on the main screen.
    let screen =
        String::from_utf8_lossy(&tmux(&socket, &["capture-pane", "-p", "-t", "nam"]).stdout)
            .into_owned();
    assert!(
        !screen.contains("Companies ("),
        "alternate screen not left:\n{screen}"
    );
    tmux(&socket, &["kill-server"]);
}
