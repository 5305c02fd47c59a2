#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A prospecting run (`nam run --prospect NAME`) against a loopback fake of
//! Tavily's search API: the queries come from the ICP profile, the result
//! sites (fixture company sites among social and directory noise) are
//! read, enriched and scored, the qualified ones stored with the query,
//! rank and title that found them, and the lead events stream in order on
//! `--events jsonl`. Without a search key the same run ranks the companies
//! already in the store.

mod common;

use common::query;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use nam::fixture_site::{FixtureServer, World, WorldConfig};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "tvly-PLANTED-1c9e7a2b5d";

fn run(home: &Path, addr: &str, key: Option<&str>) -> Output {
    let mut cmd = common::nam_in(home);
    cmd.args(["run", "--prospect", "ideal", "--search-term", "gear"])
        .args([
            "--resolve",
            &format!("example={addr}"),
            "--allow-private-sites",
            "--no-politeness",
            "--events",
            "jsonl",
        ]);
    if let Some(k) = key {
        cmd.env("NAM_TAVILY_API_KEY", k);
    }
    cmd.output().unwrap()
}

fn events(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn kind(e: &serde_json::Value) -> &str {
    e["event"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospecting_run_streams_lead_events_and_stores_qualified_leads() {
    let world = Arc::new(World::new(WorldConfig {
        seed: 3,
        members: 120,
        ..Default::default()
    }));
    let truth = world.ground_truth();
    let server = FixtureServer::start(world.clone(), 0).await.unwrap();
    let addr = server.addr().to_string();
    let home = tempfile::tempdir().unwrap();

    // The fake search: every query answers with a page of results, the
    // same fixture sites spread over the queries, and noise.
    let ideal: Vec<_> = truth.companies.iter().filter(|c| c.ideal).collect();
    let others: Vec<_> = truth.companies.iter().filter(|c| !c.ideal).collect();
    assert!(ideal.len() >= 3, "the world plants ideal customers");
    let mut sites: Vec<String> = ideal.iter().take(6).map(|c| c.website.clone()).collect();
    sites.extend(
        others
            .iter()
            .take(6)
            .map(|c| format!("{}about-us/", c.website)),
    );
    let search = MockServer::start().await;
    let pages = sites.clone();
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("authorization", format!("Bearer {KEY}")))
        .respond_with(move |req: &Request| {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            let q = body["query"].as_str().unwrap_or("").to_string();
            // A query picks its slice of the sites by its length.
            let start = q.len() % pages.len();
            let mut results: Vec<serde_json::Value> = (0..4)
                .map(|i| {
                    let url = &pages[(start + i) % pages.len()];
                    serde_json::json!({"title": format!("Result for {q}"), "url": url,
                                       "content": "Precision gears and gearboxes", "score": 0.8})
                })
                .collect();
            results.push(serde_json::json!({"title": "LinkedIn", "url":
                "https://www.linkedin.com/company/someone", "content": "", "score": 0.5}));
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "query": q, "results": results
            }))
        })
        .mount(&search)
        .await;
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[search]\nbase_url = \"{}\"\nmax_queries = 6\nmax_results = 5\n",
            search.uri()
        ),
    )
    .unwrap();
    let profile = World::ideal_profile();
    let mut named = profile.clone();
    named.name = "ideal".into();
    named.save(home.path()).unwrap();

    let (h, a) = (home.path().to_path_buf(), addr.clone());
    let out = tokio::task::spawn_blocking(move || run(&h, &a, Some(KEY)))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "the run failed: {stderr}");
    let evs = events(&out);
    let kinds: Vec<&str> = evs.iter().map(kind).collect();

    // The search: queries from the profile, each with the key as a bearer token.
    let reqs = search.received_requests().await.unwrap();
    assert!(
        !reqs.is_empty() && reqs.len() <= 6,
        "{} searches",
        reqs.len()
    );
    let queries: Vec<String> = reqs
        .iter()
        .map(|r| {
            let b: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            b["query"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        queries.iter().any(|q| q.contains("gear")),
        "the user's term is searched: {queries:?}"
    );

    // Events in order: a status first, leads generated, each lead's
    // enrichment started then ended, the pipeline's end, the job's end.
    let pos = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("no {k}: {kinds:?}"))
    };
    assert!(pos("status_update") < pos("lead_generated"));
    assert_eq!(kinds[kinds.len() - 1], "job_finished");
    assert_eq!(kinds[kinds.len() - 2], "pipeline_end");
    let generated: Vec<i64> = evs
        .iter()
        .filter(|e| kind(e) == "lead_generated")
        .map(|e| e["company_id"].as_i64().unwrap())
        .collect();
    assert_eq!(generated.len(), sites.len(), "one lead per site found");
    for id in &generated {
        let at = |k: &str| {
            evs.iter()
                .position(|e| kind(e) == k && e["company_id"].as_i64() == Some(*id))
                .unwrap_or_else(|| panic!("no {k} for company {id}"))
        };
        let gen_at = at("lead_generated");
        assert!(gen_at < at("lead_enrichment_start"));
        assert!(at("lead_enrichment_start") < at("lead_enrichment_end"));
        let q = evs[gen_at]["query"].as_str().unwrap();
        assert!(queries.iter().any(|x| x == q), "{q}");
    }
    let last_status = evs
        .iter()
        .rev()
        .find(|e| kind(e) == "status_update")
        .unwrap();
    assert!(
        last_status["message"].as_str().unwrap().contains("qualif"),
        "{last_status}"
    );

    // Stored: every site found with its query, rank and title; the ideal
    // customers qualified, the others not.
    let db = home.path().join("nam.db");
    let leads = query(
        &db,
        "SELECT p.domain, p.query, p.rank, p.title, p.provider, p.qualified, p.fit, c.name
         FROM prospect_leads p JOIN companies c ON c.id = p.company_id ORDER BY p.id",
    );
    assert_eq!(leads.len(), sites.len(), "{leads:?}");
    let mut others_qualified = 0;
    for row in &leads {
        assert!(!row[1].is_empty() && !row[2].is_empty() && row[3].starts_with("Result for"));
        assert_eq!(row[4], "tavily");
        let truth_c = truth.companies.iter().find(|c| c.domain == row[0]).unwrap();
        let fit: f64 = row[6].parse().unwrap();
        let qualified = row[5] == "1";
        assert_eq!(qualified, fit >= 60.0, "{row:?}");
        if truth_c.ideal {
            assert!(qualified, "an ideal customer qualifies: {row:?}");
        } else {
            others_qualified += usize::from(qualified);
        }
    }
    assert!(
        others_qualified < 6,
        "the fit tells customers apart: {leads:?}"
    );
    assert!(
        !leads.iter().any(|r| r[0].contains("linkedin")),
        "a social network is not a lead"
    );
    // Provenance: the company's name came from its own site.
    let prov = query(
        &db,
        // Each source is stored once; a field names its entry.
        "SELECT json_extract(c.provenance,
                '$.sources[' || json_extract(c.provenance, '$.fields.name') || '].source_url')
         FROM prospect_leads p
         JOIN companies c ON c.id = p.company_id LIMIT 1",
    );
    assert!(prov[0][0].starts_with("http://www."), "{prov:?}");
    // The key went nowhere it should not.
    let dump = std::fs::read(&db).unwrap();
    assert!(!dump.windows(KEY.len()).any(|w| w == KEY.as_bytes()));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));

    // Without a key: the companies in the store ranked against the profile.
    let before = reqs.len();
    let (h, a) = (home.path().to_path_buf(), addr.clone());
    let out = tokio::task::spawn_blocking(move || run(&h, &a, None))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(search.received_requests().await.unwrap().len(), before);
    let evs = events(&out);
    let status: Vec<&str> = evs
        .iter()
        .filter(|e| kind(e) == "status_update")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        status.iter().any(|m| m.contains("no tavily key")),
        "{status:?}"
    );
    let ranked = query(
        &db,
        "SELECT count(*), sum(qualified) FROM prospect_leads WHERE provider = 'store' AND job_id = 2",
    );
    assert_eq!(
        ranked[0][0], ranked[0][1],
        "store leads are the qualified ones"
    );
    let n: usize = ranked[0][0].parse().unwrap();
    assert!(
        n >= 1,
        "the qualified companies of the first run rank again"
    );
    server.shutdown().await;
}
