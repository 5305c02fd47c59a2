#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One-off requests (`nam extract URL`, `nam robots URL`) go through the same
//! polite path as the crawl: robots.txt is read and obeyed, and nothing is
//! left behind on disk.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::Request;

/// Serves a tiny site on loopback; returns its base URL and the paths asked.
fn serve() -> (tokio::runtime::Runtime, String, Arc<Mutex<Vec<String>>>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let seen = seen.clone();
        async move {
            let path = req.uri().path().to_string();
            seen.lock().unwrap().push(path.clone());
            match path.as_str() {
                "/robots.txt" => "User-agent: *\nDisallow: /private/\n".to_string(),
                _ => std::fs::read_to_string(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/extract/table.html"
                ))
                .unwrap(),
            }
        }
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rt, base, log)
}

fn nam(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nam"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn extract_url_obeys_robots_and_leaves_nothing_behind() {
    let (_rt, base, log) = serve();
    let home = tempfile::tempdir().unwrap();

    let out = nam(home.path(), &["extract", &format!("{base}/members/")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(records >= 3, "{records} records");
    assert_eq!(
        log.lock().unwrap().first().map(String::as_str),
        Some("/robots.txt"),
        "robots.txt is read before the page"
    );

    let out = nam(home.path(), &["extract", &format!("{base}/private/list")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("robots.txt does not allow"), "{err}");
    assert!(err.contains("Disallow: /private/"), "{err}");
    assert!(
        !log.lock()
            .unwrap()
            .iter()
            .any(|p| p.starts_with("/private")),
        "a disallowed page was requested"
    );
    // No database, data directory or config file appeared.
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|n| n != "data" && n != "config"),
        "{left:?}"
    );
}

#[test]
fn robots_url_reads_the_site_file_once_through_the_polite_path() {
    let (_rt, base, log) = serve();
    let home = tempfile::tempdir().unwrap();
    let out = nam(
        home.path(),
        &[
            "robots",
            &format!("{base}/"),
            &format!("{base}/private/x"),
            &format!("{base}/public"),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DISALLOWED"), "{text}");
    assert!(text.contains("allowed    "), "{text}");
    assert_eq!(
        log.lock().unwrap().as_slice(),
        ["/robots.txt"],
        "only robots.txt is fetched"
    );
}
