#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A domain-list run (`nam run --domains FILE`) over 200 fixture company
//! domains with bad lines mixed in: every bad line is reported with its
//! line number, the companies and leads CSVs are written, and a second run
//! of the same list does no network work at all (the fixture server's
//! request log stays empty).

mod common;

use common::query;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use nam::fixture_site::{FixtureServer, World, WorldConfig};

fn run(home: &Path, list: &Path, addr: &str, extra: &[&str]) -> Output {
    let mut cmd = common::nam_in(home);
    cmd.arg("run")
        .arg("--domains")
        .arg(list)
        .args([
            "--resolve",
            &format!("example={addr}"),
            "--allow-private-sites",
            "--no-politeness",
        ])
        .args(extra);
    cmd.output().unwrap()
}

/// The newest export file whose name starts with `stem-` and ends `.csv`.
fn csv_rows(dir: &Path, stem: &str) -> Vec<csv::StringRecord> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.starts_with(&format!("{stem}-")) && n.ends_with(".csv")
        })
        .collect();
    files.sort();
    let f = files
        .last()
        .unwrap_or_else(|| panic!("no {stem} CSV in {dir:?}"));
    let mut r = csv::Reader::from_path(f).unwrap();
    let headers = r.headers().unwrap().clone();
    let mut rows = vec![headers];
    rows.extend(r.records().map(Result::unwrap));
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_list_is_read_once_reported_line_by_line_and_exported() {
    let world = Arc::new(World::new(WorldConfig {
        seed: 5,
        members: 230,
        ..Default::default()
    }));
    let truth = world.ground_truth();
    let server = FixtureServer::start(world.clone(), 0).await.unwrap();
    let addr = server.addr().to_string();
    let home = tempfile::tempdir().unwrap();

    // 200 domains in several spellings, with bad lines among them.
    let mut lines = vec!["# prospects from the trade show".to_string()];
    let mut want_bad: Vec<(usize, &str)> = Vec::new();
    for (i, c) in truth.companies.iter().take(200).enumerate() {
        lines.push(match i % 4 {
            0 => c.domain.clone(),
            1 => format!("www.{}", c.domain),
            2 => c.website.clone(),
            _ => format!("https://{}/about-us/", c.domain),
        });
        match i {
            10 => {
                lines.push(String::new());
            }
            40 => {
                lines.push("not a domain at all".into());
                want_bad.push((lines.len(), "spaces"));
            }
            80 => {
                lines.push(truth.companies[3].domain.to_uppercase());
                want_bad.push((lines.len(), "repeats line 5"));
            }
            120 => {
                lines.push("sales@acme.com".into());
                want_bad.push((lines.len(), "email"));
            }
            160 => {
                lines.push("ftp://files.example.org/".into());
                want_bad.push((lines.len(), "ftp"));
            }
            _ => {}
        }
    }
    // A domain nothing answers for: a dead letter, not a retry loop.
    lines.push("no-such-company-anywhere.example".into());
    let list = home.path().join("domains.txt");
    std::fs::write(&list, lines.join("\n") + "\n").unwrap();

    let (h, l, a) = (home.path().to_path_buf(), list.clone(), addr.clone());
    let out = tokio::task::spawn_blocking(move || run(&h, &l, &a, &[]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "the run failed: {stderr}");
    for (line, why) in &want_bad {
        let said = stderr
            .lines()
            .find(|l| l.contains(&format!("line {line}:")))
            .unwrap_or_else(|| panic!("line {line} ({why}) not reported:\n{stderr}"));
        assert!(said.contains(why), "line {line}: {said}");
    }

    let db = home.path().join("nam.db");
    let targets = query(
        &db,
        "SELECT count(*), sum(status = 'done'), sum(status = 'failed') FROM domain_targets",
    );
    assert_eq!(targets[0], ["201", "200", "1"], "every listed domain read");
    let dead = query(
        &db,
        "SELECT url, error FROM dead_letter WHERE phase = 'discovery'",
    );
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0][0].contains("no-such-company-anywhere.example"));
    // Bare domains reached the site that answers (http, www).
    let websites = query(
        &db,
        "SELECT count(*) FROM domain_targets WHERE website LIKE 'http://www.%' AND status = 'done'",
    );
    assert_eq!(websites[0][0], "200");

    // Companies carry the names and places their sites give.
    let mut named = 0;
    for c in truth.companies.iter().take(200) {
        let got = query(
            &db,
            &format!(
                "SELECT c.name, c.state FROM companies c JOIN domain_targets t ON t.company_id = c.id
                 WHERE t.domain = '{}'",
                c.domain
            ),
        );
        assert_eq!(got.len(), 1, "{}", c.domain);
        named += usize::from(got[0][0] == c.name && got[0][1] == c.state);
    }
    assert!(named >= 190, "name and state right for {named} of 200");

    // The CSVs: one company row per company read, leads with persona and score.
    let exports = home.path().join("exports");
    let companies = csv_rows(&exports, "companies");
    assert_eq!(companies.len() - 1, 200, "company rows");
    let leads = csv_rows(&exports, "leads");
    let head = &leads[0];
    for col in [
        "full_name",
        "title",
        "persona",
        "lead_score_adjustment",
        "lead_score",
        "email",
        "email_source",
        "company_domain",
    ] {
        assert!(head.iter().any(|h| h == col), "leads lack {col}: {head:?}");
    }
    let at = |name: &str| head.iter().position(|h| h == name).unwrap();
    assert!(leads.len() > 200, "leads: {}", leads.len() - 1);
    let with_persona = leads[1..]
        .iter()
        .filter(|r| !r[at("persona")].is_empty())
        .count();
    assert!(
        with_persona * 10 >= (leads.len() - 1) * 9,
        "personas: {with_persona}"
    );
    let with_email = leads[1..]
        .iter()
        .filter(|r| r[at("email")].contains('@'))
        .count();
    assert!(
        with_email * 10 >= (leads.len() - 1) * 9,
        "emails: {with_email}"
    );

    // The second run: nothing goes over the network.
    server.clear_log();
    let (h, l, a) = (home.path().to_path_buf(), list.clone(), addr.clone());
    let out = tokio::task::spawn_blocking(move || run(&h, &l, &a, &[]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = server.request_log();
    assert!(
        log.is_empty(),
        "a re-run fetched {} URLs, e.g. {:?}",
        log.len(),
        log.first()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("200 done and 1 failed in earlier runs"),
        "{stderr}"
    );

    // `--status` shows the run's gaps.
    let h = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::nam_in(&h)
            .args(["run", "--status", "1"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("gaps: 200 companies:"), "{stdout}");
    assert!(stdout.contains("0 lack contacts"), "{stdout}");
    server.shutdown().await;
}
