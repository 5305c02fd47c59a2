#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Enrichment inside a real job (`nam demo`), with keys set for four paid
//! providers served by loopback fakes: one answers, one is down, one
//! refuses its key (and echoes it back), one rate-limits. The chains fall
//! back to the company websites, the job completes, and no key appears in
//! any file the run left (database, logs, exports) or in its output.

mod common;

use common::query;
use std::path::{Path, PathBuf};
use std::process::Command;

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS: &[(&str, &str)] = &[
    ("NAM_CLEARBIT_API_KEY", "sk_clearbit_PLANTED_7f3a9c1e5b"),
    ("NAM_BUILTWITH_API_KEY", "bw-PLANTED-4d2e8a6c0f"),
    ("NAM_HUNTER_API_KEY", "hunterPLANTED93b1d7e2a4"),
    ("NAM_APOLLO_API_KEY", "apolloPLANTED5c8e2f1a07"),
];

async fn fakes() -> MockServer {
    let server = MockServer::start().await;
    // Clearbit answers with a revenue figure only, so the website must
    // fill the rest of the firmographics.
    Mock::given(method("GET"))
        .and(path("/v2/companies/find"))
        .and(header("authorization", format!("Bearer {}", KEYS[0].1)))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "name": "Whatever", "domain": "x.example",
            "metrics": { "estimatedAnnualRevenue": "$10M-$50M" }
        })))
        .mount(&server)
        .await;
    // BuiltWith is down.
    Mock::given(method("GET"))
        .and(path("/v21/api.json"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&server)
        .await;
    // Hunter refuses the key and quotes it back.
    Mock::given(method("GET"))
        .and(path("/v2/domain-search"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!(
            "{{\"errors\":[{{\"details\":\"invalid api_key {}\"}}]}}",
            KEYS[2].1
        )))
        .mount(&server)
        .await;
    // Apollo rate-limits every request.
    Mock::given(method("GET"))
        .and(path("/api/v1/organizations/enrich"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/api_search"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    server
}

fn config(dir: &Path, base: &str) -> PathBuf {
    let provider = |name: &str, extra: &str| {
        format!(
            "[enrich.providers.{name}]\nbase_url = \"{base}\"\nper_second = 0.0\nbackoff_ms = 10\n{extra}\n"
        )
    };
    let text = [
        "[enrich]\nconcurrent_sites = 4\n".to_string(),
        provider("clearbit", "retries = 0"),
        provider(
            "builtwith",
            "retries = 0\nbreaker_failures = 2\nbreaker_cooldown_secs = 3600.0",
        ),
        provider("hunter", "retries = 0"),
        provider(
            "apollo",
            "retries = 1\nbreaker_failures = 3\nbreaker_cooldown_secs = 3600.0",
        ),
    ]
    .concat();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_outages_fall_back_to_websites_and_no_key_leaks() {
    let server = fakes().await;
    let home = tempfile::tempdir().unwrap();
    let cfg = config(home.path(), &server.uri());
    let db = home.path().join("demo.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nam"));
    cmd.args([
        "demo",
        "--no-tui",
        "--no-politeness",
        "--members",
        "30",
        "--events",
        "jsonl",
    ])
    .arg("--db")
    .arg(&db)
    .arg("--config")
    .arg(&cfg)
    .current_dir(home.path())
    .env("HOME", home.path())
    .env("XDG_DATA_HOME", home.path().join("data"))
    .env("XDG_STATE_HOME", home.path().join("state"))
    .env("XDG_CONFIG_HOME", home.path().join("config"))
    .env("XDG_RUNTIME_DIR", home.path().join("run"))
    .env_remove("DBUS_SESSION_BUS_ADDRESS")
    .env_remove("NAM_DB")
    .env_remove("NAM_CONFIG");
    for (var, key) in KEYS {
        cmd.env(var, key);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "demo failed: {stderr}");

    // The phase completed despite the outages.
    let phase = query(
        &db,
        "SELECT status FROM job_phases WHERE phase = 'enrichment'",
    );
    assert_eq!(phase[0][0], "completed", "{:?}", phase);

    // Chain order and gap filling: Clearbit's revenue first, the website's
    // founding year and employees after it.
    let firm = query(
        &db,
        "SELECT count(*), sum(revenue_range = '$10M-$50M'), sum(founded_year IS NOT NULL),
                sum(employee_range IS NOT NULL)
         FROM companies WHERE enriched_at IS NOT NULL AND status = 'active'",
    );
    let n: i64 = firm[0][0].parse().unwrap();
    assert!(n >= 20, "companies enriched: {n}");
    for (i, what) in [(1, "revenue"), (2, "founding year"), (3, "employees")] {
        let k: i64 = firm[0][i].parse().unwrap();
        assert!(k * 10 >= n * 8, "{what}: {k} of {n}");
    }
    let providers = query(
        &db,
        "SELECT providers FROM company_enrichment WHERE kind = 'firmographic' AND status = 'found'
         GROUP BY providers ORDER BY count(*) DESC LIMIT 1",
    );
    assert_eq!(providers[0][0], "clearbit,website");
    // BuiltWith down: its breaker opened after two failures and the tech
    // stack came from the sites.
    let builtwith_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v21/api.json")
        .count();
    // Two failures open the breaker; calls already in flight on the other
    // three concurrent companies may still land.
    assert!(
        (2..=5).contains(&builtwith_calls),
        "the breaker stops calls to a provider that is down: {builtwith_calls} of 30"
    );
    let techs = query(
        &db,
        "SELECT count(*), sum(provider IN ('fingerprints', 'job_postings')) FROM company_technologies",
    );
    assert!(techs[0][0].parse::<i64>().unwrap() > 10);
    assert_eq!(techs[0][0], techs[0][1]);
    // Hunter refused its key and was not asked again; contacts came from
    // team pages, each with persona and the rule behind it. As with the
    // breaker above, the other three concurrent companies may have asked
    // before the first refusal came back (seen in CI: 2 calls), so at most
    // one call per concurrent company, never one per company.
    let hunter_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v2/domain-search")
        .count();
    assert!(
        hunter_calls <= 4,
        "hunter asked {hunter_calls} times: it refused the key, so only calls already in flight may land"
    );
    let leads = query(
        &db,
        "SELECT count(*), sum(persona IS NOT NULL AND lead_rule LIKE 'title%target%') FROM contacts
         WHERE provider = 'team_pages' AND title IS NOT NULL",
    );
    assert!(leads[0][0].parse::<i64>().unwrap() >= 20);
    assert_eq!(leads[0][0], leads[0][1]);
    // Usage per provider: hits, errors and requests recorded.
    let usage = query(
        &db,
        "SELECT provider, sum(requests), sum(hits), sum(errors) FROM provider_usage GROUP BY provider",
    );
    let row = |p: &str| usage.iter().find(|r| r[0] == p).cloned().unwrap();
    assert_eq!(row("builtwith")[3], builtwith_calls.to_string());
    assert!(row("clearbit")[2].parse::<i64>().unwrap() >= 20);
    assert!(row("website")[2].parse::<i64>().unwrap() >= 20);

    // No planted key anywhere: every file under the run's home (database
    // and its WAL, logs, exports, config aside), stdout and stderr.
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "csv")),
        "the demo wrote exports: {files:?}"
    );
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("log")),
        "the demo wrote logs: {files:?}"
    );
    for (_, key) in KEYS {
        assert!(!stdout.contains(key), "key in the event stream");
        assert!(!stderr.contains(key), "key on stderr");
        for f in &files {
            if *f == cfg {
                continue;
            }
            let bytes = std::fs::read(f).unwrap();
            let found = bytes.windows(key.len()).any(|w| w == key.as_bytes());
            assert!(!found, "key found in {}", f.display());
        }
    }
}
