#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MONITOR against the fixture world: listing pages stored as the crawler
//! would store them, fingerprinted, then replaced by the drifted PMA layout.

use std::collections::{HashSet, VecDeque};

use nam::config::AssociationConfig;
use nam::extract::{ExtractContext, extract_page};
use nam::fixture_site::{FaultConfig, World, WorldConfig};
use nam::model::{Delta, PageType};
use nam::pipeline::monitor::{MonitorReport, run_monitor};
use nam::store::Store;
use nam::store::crawl::PageWrite;

/// Listing pages read per association: enough for several pagination pages.
const MAX_PAGES: usize = 12;

fn world(members: usize, drift: bool) -> World {
    World::new(WorldConfig {
        members,
        faults: FaultConfig {
            drift,
            ..FaultConfig::default()
        },
        ..WorldConfig::default()
    })
}

/// Body of a URL as the crawler stores it; `None` for anything but a 200.
fn fetch(world: &World, u: &str) -> Option<String> {
    let url = url::Url::parse(u).unwrap();
    let pq = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let page = world.page(url.host_str()?, &pq)?;
    (page.status == 200)
        .then(|| nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0)
}

/// The listing URLs of one association: its directory pages and the
/// pagination they link to (profiles are not listings).
fn listing_urls(world: &World, a: &AssociationConfig) -> Vec<String> {
    let mut queue: VecDeque<String> = a.directory_urls.iter().cloned().collect();
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut out = Vec::new();
    while let Some(u) = queue.pop_front() {
        if out.len() >= MAX_PAGES {
            break;
        }
        let Some(body) = fetch(world, &u) else {
            continue;
        };
        out.push(u.clone());
        let ctx = ExtractContext {
            association: Some(a.code.clone()),
            association_base_url: Some(a.base_url.clone()),
            ..ExtractContext::default()
        };
        for n in extract_page(&body, &u, &ctx).next_pages {
            if seen.insert(n.clone()) {
                queue.push_back(n);
            }
        }
    }
    out
}

/// Stores what `world` serves at each URL, as a crawl would.
fn store_pages(store: &Store, world: &World, pages: &[(String, String)]) {
    for (code, u) in pages {
        let body = fetch(world, u).unwrap_or_else(|| panic!("{u} vanished"));
        let domain = url::Url::parse(u).unwrap().host_str().unwrap().to_owned();
        store
            .save_page(&PageWrite {
                url: u.clone(),
                final_url: None,
                domain,
                association_code: Some(code.clone()),
                status_code: 200,
                content_type: Some("text/html; charset=utf-8".into()),
                charset: None,
                title: None,
                bytes: body.len(),
                body: Some(body),
                content_hash: None,
                page_type: PageType::DirectoryListing,
                evidence: "test".into(),
                confidence: 1.0,
                delta: Delta::Changed,
                job_id: None,
            })
            .unwrap();
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    associations: Vec<AssociationConfig>,
    pages: Vec<(String, String)>,
}

/// A store holding every association's listing pages from `base`.
fn setup(base: &World) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nam.db")).unwrap();
    // With selectors, as configured in practice: PMA's stop matching on drift.
    let associations = base.associations_file(true).associations;
    let pages: Vec<(String, String)> = associations
        .iter()
        .flat_map(|a| {
            listing_urls(base, a)
                .into_iter()
                .map(|u| (a.code.clone(), u))
        })
        .collect();
    assert!(
        pages.iter().filter(|(c, _)| c == "PMA").count() >= 2,
        "PMA needs several pagination pages: {pages:?}"
    );
    store_pages(&store, base, &pages);
    Setup {
        _dir: dir,
        store,
        associations,
        pages,
    }
}

fn alert_count(store: &Store) -> usize {
    store.drift_alerts(1000, true).unwrap().len()
}

fn assert_quiet(r: &MonitorReport, what: &str) {
    assert!(
        r.alerts.is_empty(),
        "{what}: unexpected alerts {:#?}",
        r.alerts
    );
}

#[test]
fn pma_layout_drift_raises_one_alert_per_page_once() {
    let s = setup(&world(120, false));
    let n = s.pages.len() as u64;

    let first = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_eq!(first.pages, n);
    assert_eq!(first.baselines_new, n, "{first:?}");
    assert_quiet(&first, "first sight");

    let again = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_eq!(again.unchanged, n, "{again:?}");
    assert_quiet(&again, "same pages");

    // The PMA platform upgrade: same URLs, new markup; the rest unchanged.
    store_pages(&s.store, &world(120, true), &s.pages);
    let drifted = run_monitor(&s.store, None, &s.associations).unwrap();
    let pma_pages = s.pages.iter().filter(|(c, _)| c == "PMA").count();
    assert_eq!(drifted.alerts.len(), pma_pages, "{:#?}", drifted.alerts);
    assert_eq!(drifted.unchanged, n - pma_pages as u64);
    for a in &drifted.alerts {
        println!("{}", a.summary);
        assert_eq!(a.association.as_deref(), Some("PMA"), "{a:#?}");
        assert!(
            a.summary
                .starts_with("PMA: layout of http://pma.example/directory/")
        );
        assert!(a.summary.contains(&a.url), "{a:#?}");
        assert!(
            a.changes.iter().any(|c| c.contains("tr.member-row")
                && c.contains("gone")
                && c.contains("article.company-listing")),
            "the alert must say the table rows became articles: {a:#?}"
        );
    }
    let stored = s.store.drift_alerts(100, false).unwrap();
    assert_eq!(stored.len(), pma_pages);
    assert!(
        stored
            .iter()
            .all(|r| r.association_code.as_deref() == Some("PMA")
                && !r.changes.is_empty()
                && r.summary.contains(&r.url))
    );

    // Idempotent: the drifted layout is the baseline now.
    let after = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_quiet(&after, "re-run after drift");
    assert_eq!(after.unchanged, n);
    assert_eq!(alert_count(&s.store), pma_pages);

    // Acknowledged alerts leave the default list but stay in the table.
    assert!(s.store.acknowledge_drift_alert(stored[0].id).unwrap());
    assert!(!s.store.acknowledge_drift_alert(stored[0].id).unwrap());
    assert_eq!(
        s.store.drift_alerts(100, false).unwrap().len(),
        pma_pages - 1
    );
    assert_eq!(alert_count(&s.store), pma_pages);
}

#[test]
fn new_members_are_not_drift() {
    let s = setup(&world(120, false));
    let first = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_quiet(&first, "first sight");
    // Eight more companies: some associations gain members, sorted
    // directories shift by a row or two, last pages fill up a little.
    let grown = world(128, false);
    let changed = s
        .pages
        .iter()
        .filter(|(_, u)| fetch(&grown, u) != fetch(&world(120, false), u))
        .count();
    assert!(changed >= 5, "only {changed} listing pages changed");
    store_pages(&s.store, &grown, &s.pages);
    let r = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_quiet(&r, "new members");
    assert_eq!(r.unchanged, s.pages.len() as u64);
    assert_eq!(alert_count(&s.store), 0);
}

#[test]
fn job_filter_reads_only_that_jobs_pages() {
    let s = setup(&world(120, false));
    let job = s
        .store
        .create_job(&nam::store::NewJob {
            kind: "test",
            mode: nam::model::JobMode::Full,
            params_json: "{}",
        })
        .unwrap();
    let r = run_monitor(&s.store, Some(job), &s.associations).unwrap();
    assert_eq!(r, MonitorReport::default(), "no page belongs to the job");
    let all = run_monitor(&s.store, None, &s.associations).unwrap();
    assert_eq!(all.pages, s.pages.len() as u64);
}
