#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Competitor signals against the fixture world's truth: every company
//! site read the way the GRAPH phase reads it (home page, then the telling
//! links), planted look-alikes included (systems replaced or compared, a
//! person named Sage, Plexiglas).

use std::collections::BTreeSet;

use nam::fixture_site::{World, WorldConfig};
use nam::normalize::charset::decode;
use nam::signals::site::{DEFAULT_MAX_PAGES, gather, pages_to_visit};
use nam::signals::{PageInput, VendorTable, detect};
use url::Url;

type Key = (u32, String, String, String);

fn read_site(w: &World, table: &VendorTable, host: &str) -> Vec<(String, String, String)> {
    let get = |url: &Url| {
        let p = w.page(url.host_str().unwrap(), url.path()).unwrap();
        let (html, _) = decode(&p.body, Some(&p.content_type));
        (html, p.headers)
    };
    let home = Url::parse(&format!("http://{host}/")).unwrap();
    let (html, headers) = get(&home);
    let mut urls = vec![home.clone()];
    urls.extend(pages_to_visit(&home, &html, DEFAULT_MAX_PAGES));
    let mut found = Vec::new();
    for url in urls {
        let (html, headers_of) = if url == home {
            (html.clone(), headers.clone())
        } else {
            get(&url)
        };
        for d in detect(
            table,
            &PageInput {
                url: &url,
                html: &html,
                headers: &headers_of,
            },
        ) {
            found.push((url.clone(), d));
        }
    }
    gather(found)
        .into_iter()
        .map(|(_, d)| (d.vendor, d.category, d.signal_type.as_str().to_string()))
        .collect()
}

#[test]
fn signals_on_the_fixture_world_are_precise_and_complete() {
    let w = World::new(WorldConfig {
        seed: 5,
        members: 400,
        ..Default::default()
    });
    let table = VendorTable::builtin().unwrap();
    let truth = w.ground_truth();
    let mut want: BTreeSet<Key> = BTreeSet::new();
    let mut got: BTreeSet<Key> = BTreeSet::new();
    for c in &truth.companies {
        for s in &c.signals {
            want.insert((
                c.id,
                s.vendor.clone(),
                s.category.clone(),
                s.signal_type.clone(),
            ));
        }
        let host = Url::parse(&c.website)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        for (vendor, category, kind) in read_site(&w, &table, &host) {
            got.insert((c.id, vendor, category, kind));
        }
    }
    let hits = got.intersection(&want).count() as f64;
    let precision = hits / got.len() as f64;
    let recall = hits / want.len() as f64;
    let wrong: Vec<_> = got.difference(&want).take(12).collect();
    let missed: Vec<_> = want.difference(&got).take(12).collect();
    eprintln!(
        "signals: {} found, {} true, precision {precision:.3}, recall {recall:.3}",
        got.len(),
        want.len()
    );
    assert!(
        want.len() > 800,
        "the world plants enough signals: {}",
        want.len()
    );
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; wrong: {wrong:?}"
    );
    assert!(recall >= 0.9, "recall {recall:.3}; missed: {missed:?}");
    // Each kind of planted positive is found, and each planted look-alike
    // is left alone, so neither figure hides a whole class.
    for kind in ["uses", "hiring", "evaluating"] {
        assert!(
            got.iter().any(|k| k.3 == kind) && want.iter().any(|k| k.3 == kind),
            "{kind}"
        );
    }
    assert!(
        !got.iter().any(|k| k.1 == "Sage"),
        "a person named Sage is not a vendor"
    );
}

mod common;

mod job {
    use std::collections::{BTreeSet, HashMap};
    use std::path::Path;
    use std::sync::Arc;

    use nam::fixture_site::{FixtureServer, World, WorldConfig};
    use nam::model::{JobMode, PhaseStatus};
    use nam::pipeline::{RunRequest, RunSummary};
    use nam::store::Store;

    use super::common;

    /// A job whose company sites (on loopback) may be read.
    fn request(db: &Path, server: &FixtureServer, world: &World, mode: JobMode) -> RunRequest {
        let mut req = common::request(db, server, world, mode);
        req.params.allow_private_sites = true;
        req
    }

    async fn run_job(req: RunRequest) -> RunSummary {
        common::run_collecting(req).await.0
    }

    fn rows(store: &Store, sql: &str) -> Vec<Vec<String>> {
        store
            .debug_query(sql)
            .unwrap()
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect()
    }

    /// A full job reads every listed company's site, stores signals that
    /// match the truth, builds the graph; a second job reads no site again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_graph_phase_stores_true_signals_and_edges_and_reads_each_site_once() {
        let w = Arc::new(World::new(WorldConfig {
            seed: 21,
            members: 60,
            ..Default::default()
        }));
        let server = FixtureServer::start(w.clone(), 0).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("graph.db");
        let summary = run_job(request(&db, &server, &w, JobMode::Full)).await;
        let graph = summary
            .phases
            .iter()
            .find(|p| p.phase == nam::model::Phase::Graph)
            .unwrap();
        assert_eq!(graph.status, PhaseStatus::Completed, "{}", graph.summary);

        let store = Store::open_readonly(&db).unwrap();
        // Stored signals by the company's domain, against the truth.
        let truth = w.ground_truth();
        let by_domain: HashMap<&str, &nam::fixture_site::TrueCompany> = truth
            .companies
            .iter()
            .map(|c| (c.domain.as_str(), c))
            .collect();
        let stored = rows(
            &store,
            "SELECT c.domain, s.vendor, s.category, s.signal_type FROM competitor_signals s
             JOIN companies c ON c.id = s.company_id WHERE c.status = 'active'",
        );
        let read = rows(
            &store,
            "SELECT c.domain FROM company_site_scans x JOIN companies c ON c.id = x.company_id
             WHERE x.status = 'ok' AND c.status = 'active'",
        );
        assert!(read.len() >= 40, "sites read: {}", read.len());
        let mut want = BTreeSet::new();
        for r in &read {
            let t = by_domain[r[0].as_str()];
            for s in &t.signals {
                want.insert((
                    t.domain.clone(),
                    s.vendor.clone(),
                    s.category.clone(),
                    s.signal_type.clone(),
                ));
            }
        }
        let got: BTreeSet<_> = stored
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
            .collect();
        let hits = got.intersection(&want).count() as f64;
        let (precision, recall) = (hits / got.len() as f64, hits / want.len() as f64);
        assert!(
            precision >= 0.95 && recall >= 0.9,
            "precision {precision:.3} recall {recall:.3}"
        );

        // Every stored signal carries its evidence and the page it is on.
        let bare = rows(
            &store,
            "SELECT count(*) FROM competitor_signals
             WHERE evidence IS NULL OR evidence = '' OR source_url NOT LIKE 'http%'",
        );
        assert_eq!(bare[0][0], "0");

        // The graph: a member_of edge per (company, association) listed,
        // a uses_technology edge per company and technology it uses.
        let count = |sql: &str| rows(&store, sql)[0][0].parse::<i64>().unwrap();
        assert_eq!(
            count("SELECT count(*) FROM entity_relationships WHERE relation = 'member_of'"),
            count(
                "SELECT count(*) FROM (SELECT DISTINCT m.company_id, m.association_code
                 FROM association_memberships m JOIN companies c ON c.id = m.company_id
                 WHERE c.status = 'active')"
            )
        );
        assert!(
            count("SELECT count(*) FROM entity_relationships WHERE relation = 'uses_technology'")
                > 20
        );
        assert_eq!(
            count("SELECT count(*) FROM entity_relationships WHERE relation = 'vendor_signal'"),
            count(
                "SELECT count(*) FROM (SELECT DISTINCT company_id, vendor FROM competitor_signals)"
            )
        );
        assert!(
            count(
                "SELECT count(*) FROM entity_relationships WHERE relation IN ('exhibits_at', 'sponsors', 'speaks_at')"
            ) > 0
        );
        assert_eq!(
            count(
                "SELECT count(*) FROM entity_relationships WHERE evidence IS NULL OR weight <= 0"
            ),
            0
        );
        // The report view: one row per vendor for the whole store.
        let report = rows(
            &store,
            "SELECT vendor, companies FROM competitor_report WHERE association_code IS NULL",
        );
        assert!(report.iter().any(|r| r[0] == "HubSpot"));
        drop(store);

        // A second job reads no company site again.
        server.clear_log();
        run_job(request(&db, &server, &w, JobMode::Graph)).await;
        let site_requests = server
            .request_log()
            .iter()
            .filter(|r| r.host.starts_with("www.") && r.path_and_query != "/robots.txt")
            .count();
        assert_eq!(site_requests, 0, "sites already read are not fetched again");
        server.shutdown().await;
    }
}
