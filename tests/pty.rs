//! The real binary in a real terminal (tmux): on a demo database with merge
//! candidates, switch through all nine panes, search a company, approve a
//! merge with `m`, export the view with `e`, quit with `q`, and check the
//! store, the export directory and the restored terminal. Every wait is for
//! screen content, never a fixed sleep. Skips with a message where tmux is
//! missing (.ci/run installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nam::store::Store;

fn tmux(socket: &Path, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .output()
        .expect("running tmux")
}

fn screen(socket: &Path) -> String {
    String::from_utf8_lossy(&tmux(socket, &["capture-pane", "-p", "-t", "nam"]).stdout).into_owned()
}

/// Polls the pane until `needle` shows (bounded), returning the screen.
fn wait_for(socket: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let s = screen(socket);
        if s.contains(needle) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {needle:?}; screen:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn keys(socket: &Path, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", "nam"];
    args.extend_from_slice(keys);
    tmux(socket, &args);
}

#[test]
fn workbench_runs_in_a_real_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let db = h.join("demo.db");
    let bin = env!("CARGO_BIN_EXE_nam");
    let envs = [
        ("HOME", h.to_path_buf()),
        ("XDG_CONFIG_HOME", h.join("config")),
        ("XDG_DATA_HOME", h.join("data")),
        ("XDG_STATE_HOME", h.join("state")),
    ];
    let out = Command::new(bin)
        .args([
            "--db",
            db.to_str().unwrap(),
            "demo",
            "--no-tui",
            "--no-politeness",
            "--members",
            "80",
        ])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_os_str())))
        .current_dir(h)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (pending, name) = {
        let store = Store::open(&db).unwrap();
        let pending = nam::resolve::review::queue(&store, None).unwrap();
        assert!(
            !pending.is_empty(),
            "the demo database has no merge candidates"
        );
        let name = pending[0].left.name.clone();
        (pending.len(), name)
    };
    let decisions_before = Store::open(&db).unwrap().decisions().unwrap().len();

    let socket = h.join("tmux.sock");
    let marker = h.join("exited");
    let cmd = format!(
        "cd {h} && HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state {bin} --db {db} ; echo $? > {m}; sleep 30",
        h = h.display(),
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
            "120",
            "-y",
            "32",
            &cmd,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(&socket, "Companies (");
    // All nine panes, by number.
    for (key, needle) in [
        ("1", " Jobs "),
        ("2", "Companies ("),
        ("3", " Queue "),
        ("4", "Dead letters ("),
        ("5", "Signals by vendor"),
        ("6", "Quality by association"),
        ("7", " Keys"),
        ("8", " Exports · "),
        ("9", "ICP profiles ("),
    ] {
        keys(&socket, &[key]);
        wait_for(&socket, needle);
    }
    // Search a company of the first pending pair.
    keys(&socket, &["2", "/"]);
    let word = name.split_whitespace().next().unwrap().to_string();
    keys(&socket, &["-l", &word]);
    wait_for(&socket, &format!("matching \"{word}\""));
    keys(&socket, &["Enter"]);
    // Approve the next merge with `m`.
    keys(&socket, &["3"]);
    wait_for(&socket, "score ");
    keys(&socket, &["m"]);
    wait_for(&socket, "merged #");
    let store = Store::open(&db).unwrap();
    assert_eq!(store.decisions().unwrap().len(), decisions_before + 1);
    // The approved pair leaves the queue, and with it any other pair of
    // the company that was merged away.
    let left = nam::resolve::review::queue(&store, None).unwrap().len();
    assert!(left < pending, "{left} of {pending} still pending");
    drop(store);
    // Export the companies view (with its search) with `e`.
    keys(&socket, &["2", "e"]);
    wait_for(&socket, "Exported ");
    let exports: Vec<_> = std::fs::read_dir(h.join("exports"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        exports
            .iter()
            .any(|e| e.file_name().to_string_lossy().ends_with(".csv"))
    );
    assert!(
        exports
            .iter()
            .any(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
    );
    keys(&socket, &["8"]);
    wait_for(&socket, "companies");
    keys(&socket, &["q"]);
    let start = Instant::now();
    while !marker.exists() || std::fs::read_to_string(&marker).unwrap().trim().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nam did not quit:\n{}",
            screen(&socket)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "0");
    // The terminal was restored: the alternate screen is gone.
    let s = screen(&socket);
    assert!(
        !s.contains("Companies ("),
        "alternate screen not left:\n{s}"
    );
    tmux(&socket, &["kill-server"]);
}
