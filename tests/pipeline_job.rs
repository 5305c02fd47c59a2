#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The job machinery in process: MONITOR notices a site's layout change end
//! to end, a dry run leaves an existing database byte-for-byte alone in
//! content, and modes run their own phases only.

use std::path::Path;
use std::sync::Arc;

use nam::fixture_site::{FaultConfig, FixtureServer, World, WorldConfig};
use nam::model::{JobMode, PhaseStatus, PipelineEvent};
use nam::store::Store;

mod common;
use common::{request, run_collecting};

fn world() -> Arc<World> {
    Arc::new(World::new(WorldConfig {
        seed: 11,
        members: 40,
        ..Default::default()
    }))
}

/// Every row of every table, as text, for a before/after comparison.
fn everything(db: &Path) -> Vec<Vec<Option<String>>> {
    let store = Store::open_readonly(db).unwrap();
    let tables = store
        .debug_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let mut all = Vec::new();
    for t in tables {
        let name = t[0].clone().unwrap();
        let rows = store
            .debug_query(&format!("SELECT * FROM \"{name}\" ORDER BY 1"))
            .unwrap();
        all.push(vec![Some(name)]);
        all.extend(rows);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_raises_a_drift_alert_naming_the_association_and_the_change() {
    let w = world();
    let server = FixtureServer::start(w.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drift.db");

    let (first, events) = run_collecting(request(&db, &server, &w, JobMode::Full)).await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, PipelineEvent::DriftAlert { .. })),
        "a first crawl only sets baselines"
    );
    let monitor = first
        .phases
        .iter()
        .find(|p| p.phase == nam::model::Phase::Monitor)
        .unwrap();
    assert_eq!(monitor.status, PhaseStatus::Completed);
    assert!(
        monitor.summary.contains("0 drift alerts"),
        "{}",
        monitor.summary
    );

    server.set_faults(FaultConfig {
        drift: true,
        ..Default::default()
    });
    let (_, events) = run_collecting(request(&db, &server, &w, JobMode::Full)).await;
    let alerts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            PipelineEvent::DriftAlert {
                association,
                summary,
                ..
            } => Some((association.clone(), summary.clone())),
            _ => None,
        })
        .collect();
    assert!(
        !alerts.is_empty(),
        "no drift alert after the layout changed"
    );
    for (association, summary) in &alerts {
        assert_eq!(association.as_deref(), Some("PMA"), "{summary}");
        assert!(summary.contains("PMA"), "{summary}");
        assert!(
            summary.contains("layout") || summary.contains("record list"),
            "{summary}"
        );
    }
    // Stored for the TUI and shown by `nam doctor`.
    let store = Store::open(&db).unwrap();
    let lines = nam::pipeline::health::drift_alert_lines(&store).unwrap();
    assert_eq!(lines.len(), alerts.len());
    assert!(lines.iter().all(|l| l.contains("PMA")));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_to_an_existing_database() {
    let w = world();
    let server = FixtureServer::start(w.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dry.db");
    let mut req = request(&db, &server, &w, JobMode::Full);
    req.params.max_pages = Some(30); // leaves a frontier for the plan to read
    run_collecting(req).await;
    let before = everything(&db);

    let mut dry = request(&db, &server, &w, JobMode::Full);
    dry.dry_run = true;
    dry.params.seed_urls = vec!["http://pma.example/members-only/roster".into()];
    let (summary, _) = run_collecting(dry).await;
    assert_eq!(summary.job_id, None, "a dry run is not a job");
    let crawl = summary.crawl.unwrap();
    assert!(crawl.planned.iter().any(|p| !p.allowed));
    assert!(crawl.planned.len() > 20, "{}", crawl.planned.len());
    assert_eq!(everything(&db), before, "the dry run changed the database");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_runs_its_phases_and_records_the_rest_as_skipped() {
    let w = world();
    let server = FixtureServer::start(w.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("modes.db");
    run_collecting(request(&db, &server, &w, JobMode::Full)).await;
    let requests_before = server.request_log().len();

    // Extract mode re-reads stored pages: no network, nothing new to do.
    let (summary, _) = run_collecting(request(&db, &server, &w, JobMode::Extract)).await;
    assert_eq!(server.request_log().len(), requests_before);
    let store = Store::open(&db).unwrap();
    let phases = store.phases(summary.job_id.unwrap()).unwrap();
    assert_eq!(phases.len(), 11, "every phase is on the record");
    for p in &phases {
        let expect = match p.phase.as_str() {
            "init" | "extraction" | "monitor" => PhaseStatus::Completed,
            _ => PhaseStatus::Skipped,
        };
        assert_eq!(p.status, expect, "{:?}", p.phase);
        if p.status == PhaseStatus::Skipped {
            assert!(
                p.stats.contains("not part of mode extract")
                    || p.stats.contains("not built in this release"),
                "{}",
                p.stats
            );
        }
    }
    server.shutdown().await;
}
