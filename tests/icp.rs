#![allow(clippy::unwrap_used, clippy::expect_used)]
//! ICP scoring against the fixture world's truth: the companies listed as
//! directories list them, their sites read by an enrichment job and a
//! graph job over loopback, then every company scored against the world's
//! ideal profile. The planted (and chance) ideal customers must rank in the
//! top decile, and every stored score must give a reason per factor.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use nam::fixture_site::{FixtureServer, World, WorldConfig};
use nam::icp::{FACTORS, score_store};
use nam::model::{JobMode, MemberRecord, PhaseStatus};
use nam::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ideal_customers_rank_in_the_top_decile_with_reasons() {
    let started = std::time::Instant::now();
    let w = Arc::new(World::new(WorldConfig {
        seed: 11,
        members: 300,
        ..Default::default()
    }));
    let truth = w.ground_truth();
    let server = FixtureServer::start(w.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("icp.db");

    // Each company as a directory lists it: name, website, city and state.
    let mut by_id = HashMap::new();
    {
        let store = Store::open(&db).unwrap();
        for c in &truth.companies {
            let rec = MemberRecord {
                association: "AIA".into(),
                name: c.name.clone(),
                website: Some(c.website.clone()),
                domain: Some(c.domain.clone()),
                city: Some(c.city.clone()),
                state: Some(c.state.clone()),
                country: Some(c.country.clone()),
                source_url: "http://aia.example/members/".into(),
                extractor: "test".into(),
                confidence: 0.9,
                ..Default::default()
            };
            let id = store
                .upsert_company_from_member(&rec, &nam::normalize::name_key(&c.name))
                .unwrap();
            by_id.insert(id, c);
        }
    }
    assert_eq!(by_id.len(), truth.companies.len());

    for mode in [JobMode::Enrich, JobMode::Graph] {
        let mut req = common::request(&db, &server, &w, mode);
        req.params.allow_private_sites = true;
        let (summary, _) = common::run_collecting(req).await;
        for p in &summary.phases {
            assert_ne!(p.status, PhaseStatus::Failed, "{mode:?}: {}", p.summary);
        }
    }

    let store = Store::open(&db).unwrap();
    let profile = World::ideal_profile();
    let report = score_store(&store, &profile, None).unwrap();
    assert_eq!(report.scored, truth.companies.len());
    let ranked = store.icp_scores(&profile.name, usize::MAX).unwrap();
    assert_eq!(ranked.len(), truth.companies.len());

    // Every score shows its reasons: one per factor, within its maximum.
    for s in &ranked {
        for f in FACTORS {
            let r = s.reasons.iter().find(|r| r.factor == f);
            let r = r.unwrap_or_else(|| panic!("{} has no {f} reason", s.company_name));
            assert!(!r.detail.is_empty() && r.points <= r.max + 1e-9, "{r:?}");
        }
    }

    // Rank by fit (the ICP match itself; prospect adds reachability).
    let mut by_fit = ranked.clone();
    by_fit.sort_by(|a, b| {
        b.fit
            .total_cmp(&a.fit)
            .then(a.company_id.cmp(&b.company_id))
    });
    let decile = by_fit.len() / 10;
    let cut = by_fit[decile - 1].fit;
    let ideal: Vec<(usize, &nam::store::StoredIcpScore)> = by_fit
        .iter()
        .enumerate()
        .filter(|(_, s)| by_id[&s.company_id].ideal)
        .collect();
    let ranks: Vec<usize> = ideal.iter().map(|(i, _)| i + 1).collect();
    eprintln!(
        "icp: {} companies, {} ideal, top decile {decile} (fit >= {cut}); ideal ranks {ranks:?}; {:.1}s",
        by_fit.len(),
        ideal.len(),
        started.elapsed().as_secs_f64()
    );
    // Others among the ideal ones: near misses a band cannot tell apart.
    let last = ranks.last().copied().unwrap_or(0);
    for s in by_fit[..last]
        .iter()
        .filter(|s| !by_id[&s.company_id].ideal)
    {
        let t = by_id[&s.company_id];
        eprintln!(
            "  not ideal, fit {}: {} ({} employees, {}, ERP {:?})",
            s.fit, s.company_name, t.employee_count, t.state, t.erp
        );
    }
    assert!(ideal.len() >= 10, "the world plants ideal customers");
    let outside: Vec<String> = ideal
        .iter()
        .filter(|(i, _)| *i >= decile)
        .map(|(i, s)| {
            let reasons: Vec<String> = s
                .reasons
                .iter()
                .map(|r| format!("{} {}/{} {}", r.factor, r.points, r.max, r.detail))
                .collect();
            format!(
                "#{} {} fit {}: {}",
                i + 1,
                s.company_name,
                s.fit,
                reasons.join("; ")
            )
        })
        .collect();
    assert!(
        outside.is_empty(),
        "ideal outside the top decile:\n{}",
        outside.join("\n")
    );
    // And they lead: the best-fitting company is an ideal one.
    assert!(by_id[&by_fit[0].company_id].ideal);
}
