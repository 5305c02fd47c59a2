//! The polite crawler against the fixture world on loopback: coverage,
//! robots.txt, login walls, faults, dead letters, delta re-crawls, resume.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use nam::config::CrawlSettings;
use nam::crawl::robots::RobotsPolicy;
use nam::crawl::{CrawlOptions, CrawlReport, ResolveOverride, crawl_once};
use nam::fixture_site::{FaultConfig, FixtureServer, LoggedRequest, World, WorldConfig};
use nam::model::AccessVerdict;
use nam::normalize::urls::normalize;
use nam::store::Store;

const MEMBERS: usize = 40;

async fn serve(faults: FaultConfig) -> FixtureServer {
    let world = Arc::new(World::new(WorldConfig {
        seed: 11,
        members: MEMBERS,
        faults,
        plants: true,
        hostile: false,
    }));
    FixtureServer::start(world, 0).await.unwrap()
}

fn opts(server: &FixtureServer) -> CrawlOptions {
    CrawlOptions {
        associations: server.world().associations_file(false).associations,
        resolve: Some(ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr: server.addr(),
        }),
        // The engine at full speed; robots.txt is honoured regardless.
        politeness: false,
        backoff_min: Duration::from_millis(10),
        breaker_cooldown: Duration::from_millis(50),
        ..Default::default()
    }
}

async fn crawl(db: &Path, o: CrawlOptions) -> CrawlReport {
    crawl_once(db, &CrawlSettings::default(), o).await.unwrap()
}

fn url_of(r: &LoggedRequest) -> String {
    format!("http://{}{}", r.host, r.path_and_query)
}

fn key(url: &str) -> String {
    normalize(url)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| url.to_string())
}

/// One column of a query, as strings.
fn column<T: std::str::FromStr>(store: &Store, sql: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    store
        .debug_query(sql)
        .unwrap()
        .into_iter()
        .map(|row| row[0].as_deref().unwrap_or_default().parse().unwrap())
        .collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    column(store, sql)[0]
}

fn page_requests(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter()
        .filter(|r| r.path_and_query != "/robots.txt")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_crawl_fetches_every_member_page_once_and_respects_robots() {
    let server = serve(FaultConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let report = crawl(&db, opts(&server)).await;
    let log = server.request_log();
    assert_eq!(
        report.dead_letters,
        report.dead_letters.min(10),
        "{report:?}"
    );

    // Every URL requested at most once (no faults, so no retries).
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in page_requests(&log) {
        *counts.entry(key(&url_of(r))).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "fetched more than once: {twice:?}");

    // Every reachable member page (listing pages, JSON endpoints, profiles) exactly once.
    let truth = server.world().ground_truth();
    let mut expected = 0;
    for l in truth.listings.iter().filter(|l| !l.behind_login) {
        for u in std::iter::once(&l.listing_url).chain(l.profile_url.as_ref()) {
            expected += 1;
            assert_eq!(
                counts.get(&key(u)).copied().unwrap_or(0),
                1,
                "{} listing page {u} not fetched exactly once",
                l.association
            );
        }
    }
    assert!(expected > MEMBERS, "the world lists its members");

    // No request robots.txt disallows, for any host.
    let mut policies: HashMap<String, RobotsPolicy> = HashMap::new();
    for r in &log {
        let host = r.host.clone();
        let policy = policies.entry(host.clone()).or_insert_with(|| {
            let page = server.world().page(&host, "/robots.txt").unwrap();
            RobotsPolicy::parse(&CrawlSettings::default().user_agent, &page.body)
        });
        assert!(
            policy.allowed(&url_of(r)),
            "requested a disallowed URL: {}",
            url_of(r)
        );
    }
    assert!(
        report.robots_skipped > 0,
        "the world links to disallowed paths"
    );
    assert!(log.iter().all(|r| {
        r.user_agent
            .as_deref()
            .is_some_and(|ua| ua.starts_with("nam/"))
    }));

    // The login wall is detected, skipped, and the reason stored.
    let store = Store::open(&db).unwrap();
    let wall = store.domain_access("diecasting.example").unwrap().unwrap();
    assert_eq!(wall.verdict, AccessVerdict::LoginWall);
    assert!(wall.reason.unwrap().contains("password"));
    assert!(report.login_walls > 0);
    let n_wall_pages = count(
        &store,
        "SELECT count(*) FROM pages WHERE page_type = 'login_wall' AND body IS NULL",
    );
    assert!(n_wall_pages > 0);
    let skipped = count(
        &store,
        "SELECT count(*) FROM url_queue WHERE status = 'skipped' AND error LIKE 'robots.txt:%Disallow%'",
    );
    assert!(skipped > 0, "robots skips are stored with the rule");

    // Every fetched page carries a type and its evidence.
    let unclassified = count(
        &store,
        "SELECT count(*) FROM pages WHERE page_type IS NULL OR classification_evidence IS NULL",
    );
    assert_eq!(unclassified, 0);
    for t in ["directory_listing", "member_profile", "event", "login_wall"] {
        assert!(
            report.page_types.get(t).copied().unwrap_or(0) > 0,
            "no {t} pages: {:?}",
            report.page_types
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_run_is_conditional_and_drift_shows_as_changed() {
    let server = serve(FaultConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let first = crawl(&db, opts(&server)).await;
    assert_eq!(first.delta.changed, 0);
    assert!(first.delta.new > 50);

    server.clear_log();
    let second = crawl(&db, opts(&server)).await;
    let log = server.request_log();
    let pages = page_requests(&log);
    assert!(!pages.is_empty());
    let unconditional: Vec<String> = pages
        .iter()
        .filter(|r| !r.conditional)
        .map(|r| url_of(r))
        .collect();
    assert!(unconditional.is_empty(), "unconditional: {unconditional:?}");
    assert!(pages.iter().all(|r| r.status == 304));
    assert_eq!(second.delta.changed, 0);
    assert_eq!(second.delta.new, 0);
    assert_eq!(second.delta.unchanged as usize, pages.len());
    // robots.txt is cached for a day.
    assert!(!log.iter().any(|r| r.path_and_query == "/robots.txt"));

    server.set_drift(true);
    let third = crawl(&db, opts(&server)).await;
    assert!(third.delta.changed > 0, "{:?}", third.delta);
    let store = Store::open(&db).unwrap();
    let changed_hosts: Vec<String> = column(
        &store,
        "SELECT DISTINCT domain FROM pages WHERE delta = 'changed'",
    );
    assert_eq!(changed_hosts, vec!["pma.example".to_string()]);

    // --force-full ignores validators.
    server.clear_log();
    let mut o = opts(&server);
    o.force_full = true;
    o.associations.retain(|a| a.code == "PMA");
    crawl(&db, o).await;
    assert!(server.request_log().iter().all(|r| !r.conditional));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_end_in_retries_or_dead_letters_and_the_crawl_completes() {
    let server = serve(FaultConfig {
        rate_limit: 1,
        error_burst: 9, // more than the retries: AGMA pages die
        resets: 2,
        truncate: 2,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let settings = CrawlSettings {
        max_retries: 3,
        ..Default::default()
    };
    let mut o = opts(&server);
    o.associations
        .retain(|a| ["PMPA", "AGMA", "NEMA", "AIA"].contains(&a.code.as_str()));
    o.breaker_threshold = 1000; // this test is about retries, not the breaker
    let report = crawl_once(&db, &settings, o).await.unwrap();
    let log = server.request_log();

    // 429s are retried after Retry-After (1 s), and then succeed.
    let mut by_url: HashMap<String, Vec<&LoggedRequest>> = HashMap::new();
    for r in page_requests(&log) {
        by_url.entry(url_of(r)).or_default().push(r);
    }
    let pmpa: Vec<_> = by_url
        .iter()
        .filter(|(u, _)| u.starts_with("http://pmpa.example/"))
        .collect();
    assert!(!pmpa.is_empty());
    for (u, reqs) in &pmpa {
        assert_eq!(reqs[0].status, 429, "{u}");
        assert!(reqs.len() >= 2, "{u} not retried");
        let gap = reqs[1].at_ms - reqs[0].at_ms;
        assert!(gap >= 950, "{u} retried after {gap} ms, before Retry-After");
        assert!(reqs[1].status != 429);
    }
    // Resets and truncated bodies are retried until they succeed.
    for host in ["nema.example", "aia.example"] {
        let mut any = false;
        for (u, reqs) in by_url.iter().filter(|(u, _)| u.contains(host)) {
            any = true;
            if host == "aia.example" && reqs[0].status != 200 {
                continue; // only 200 bodies are truncated (a 404 is not)
            }
            assert!(reqs.len() >= 3, "{u}: {reqs:?}");
            assert!(reqs.last().is_some_and(|r| r.status != 0), "{u}: {reqs:?}");
        }
        assert!(any, "{host} crawled");
    }
    let store = Store::open(&db).unwrap();
    let pages_nema = count(
        &store,
        "SELECT count(*) FROM pages WHERE domain IN ('nema.example', 'aia.example') AND status_code = 200",
    );
    assert!(pages_nema > 5);

    // AGMA's errors outlast the retries: every failure is a dead letter with its cause.
    let dead = store.dead_letters(false).unwrap();
    let agma: Vec<_> = dead
        .iter()
        .filter(|d| d.domain.as_deref() == Some("agma.example"))
        .collect();
    assert!(!agma.is_empty());
    for d in &agma {
        assert!(d.error.contains("HTTP 50"), "{d:?}");
        assert_eq!(d.attempts, 4, "{d:?}");
        let hist: Vec<serde_json::Value> = serde_json::from_str(&d.history).unwrap();
        assert_eq!(hist.len(), 4);
    }
    assert_eq!(report.dead_letters as usize, dead.len());
    assert!(report.retries > 0);

    // --retry-dead-letters re-queues them; with the errors gone they succeed.
    server.set_faults(FaultConfig::default());
    let mut o = opts(&server);
    o.associations.retain(|a| a.code == "AGMA");
    o.retry_dead_letters = true;
    let again = crawl_once(&db, &settings, o).await.unwrap();
    let rows: Vec<(String, String)> = store
        .debug_query("SELECT url, status FROM url_queue WHERE domain = 'agma.example'")
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
    assert_eq!(
        again.requeued_dead_letters as usize,
        agma.len(),
        "{rows:?} {agma:?}"
    );
    // What is left are broken links (404), not the transient errors.
    let left = store.dead_letters(false).unwrap();
    assert!(left.iter().all(|d| d.status_code == Some(404)), "{left:?}");
    assert!(
        rows.iter()
            .any(|(u, s)| u == "http://agma.example/membership/member-directory/" && s == "done")
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_chains_loops_charsets_and_huge_pages() {
    let server = serve(FaultConfig {
        redirects: true,
        bad_charset: true,
        huge_page: true,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut o = opts(&server);
    o.associations
        .retain(|a| ["SOCMA", "AFS", "NTMA"].contains(&a.code.as_str()));
    o.seed_urls = vec!["http://socma.example/loop-a".into()];
    let report = crawl(&db, o).await;
    let store = Store::open(&db).unwrap();
    let dead = store.dead_letters(false).unwrap();
    let lp = dead
        .iter()
        .find(|d| d.url == "http://socma.example/loop-a")
        .expect("loop is a dead letter");
    assert!(lp.error.contains("redirect loop"), "{lp:?}");
    assert!(report.redirects > 0);
    // The SOCMA directory behind the 4-hop chain was still reached.
    let final_url: Vec<String> = column(
        &store,
        "SELECT final_url FROM pages WHERE url = 'http://socma.example/member-directory/'",
    );
    assert!(final_url[0].starts_with("http://socma.example/"));
    // Windows-1252 pages without (or with a wrong) charset decode correctly.
    let charsets: Vec<String> = column(
        &store,
        "SELECT DISTINCT charset FROM pages WHERE domain = 'afsinc.example' AND url LIKE '%member-directory%'",
    );
    assert!(charsets.iter().any(|c| c == "windows-1252"), "{charsets:?}");
    let mojibake = count(
        &store,
        "SELECT count(*) FROM pages WHERE body LIKE '%Ã©%' OR body LIKE '%\u{fffd}%'",
    );
    assert_eq!(mojibake, 0);
    // The 6 MB page is fetched (under the 8 MB cap) and stored without a panic.
    let bytes = count(
        &store,
        "SELECT bytes FROM pages WHERE url = 'http://ntma.example/resources/'",
    );
    assert!(bytes > 5_000_000);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pages_stops_and_the_next_run_resumes_without_refetching() {
    let server = serve(FaultConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut o = opts(&server);
    o.associations
        .retain(|a| a.code == "SOCMA" || a.code == "PMA");
    o.max_pages = Some(15);
    let first = crawl(&db, o.clone()).await;
    assert!(first.stopped_at_max_pages);
    assert_eq!(first.fetches, 15);
    let store = Store::open(&db).unwrap();
    assert!(store.frontier_counts().unwrap().pending > 0);
    assert_eq!(store.frontier_counts().unwrap().in_progress, 0);

    o.max_pages = None;
    let second = crawl(&db, o).await;
    assert!(!second.stopped_at_max_pages);
    assert_eq!(store.frontier_counts().unwrap().pending, 0);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in page_requests(&server.request_log()) {
        *counts.entry(key(&url_of(r))).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "resumed crawl refetched: {twice:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_requests_nothing_but_robots() {
    let server = serve(FaultConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut o = opts(&server);
    o.seed_urls = vec!["http://pma.example/members-only/list".into()];
    let ctx = nam::crawl::CrawlContext {
        db: db.clone(),
        writer: None,
        job_id: None,
        events: Default::default(),
        control: Default::default(),
        settings: CrawlSettings::default(),
    };
    let report = nam::crawl::run_crawl(&ctx, o).await.unwrap();
    assert!(!db.exists(), "a dry run creates no database");
    let log = server.request_log();
    assert!(
        log.iter().all(|r| r.path_and_query == "/robots.txt"),
        "{log:?}"
    );
    assert_eq!(log.len(), 10);
    assert!(report.planned.len() >= 20);
    let blocked = report
        .planned
        .iter()
        .find(|p| p.url == "http://pma.example/members-only/list")
        .unwrap();
    assert!(!blocked.allowed);
    assert!(
        blocked.reason.contains("Disallow: /members-only/"),
        "{blocked:?}"
    );
    // The plan changed nothing in the frontier.
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.frontier_counts().unwrap(),
        nam::store::crawl::FrontierCounts::default()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn circuit_breaker_gives_up_on_a_failing_domain() {
    let server = serve(FaultConfig {
        error_burst: 1000,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut o = opts(&server);
    o.associations
        .retain(|a| a.code == "AGMA" || a.code == "PMA");
    o.seed_urls = (0..10)
        .map(|i| format!("http://agma.example/page-{i}/"))
        .collect();
    o.breaker_threshold = 3;
    o.breaker_max_trips = 2;
    let settings = CrawlSettings {
        max_retries: 1,
        ..Default::default()
    };
    let report = crawl_once(&db, &settings, o).await.unwrap();
    let agma = report
        .domains
        .iter()
        .find(|d| d.domain == "agma.example")
        .unwrap();
    assert_eq!(agma.verdict, AccessVerdict::Unreachable);
    assert!(
        agma.reason
            .as_deref()
            .unwrap_or("")
            .contains("circuit breaker")
    );
    // The breaker stopped the hammering: few requests for all the queued URLs.
    assert!(agma.requests <= 8, "{agma:?}");
    // The other domain was unaffected.
    let pma = report
        .domains
        .iter()
        .find(|d| d.domain == "pma.example")
        .unwrap();
    assert_eq!(pma.verdict, AccessVerdict::Allowed);
    assert!(report.pages_stored > 10);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_url_site_without_config_is_crawled_as_a_directory() {
    let server = serve(FaultConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut o = opts(&server);
    o.associations.clear();
    o.seed_urls = vec!["http://nema.example/membership/member-directory/".into()];
    let report = crawl(&db, o).await;
    assert_eq!(report.domains.len(), 1);
    assert!(
        report
            .page_types
            .get("directory_listing")
            .copied()
            .unwrap_or(0)
            > 1
    );
    assert!(!report.page_types.contains_key("company_site"));
    let store = Store::open(&db).unwrap();
    let codes: Vec<String> = column(
        &store,
        "SELECT DISTINCT coalesce(association_code, 'NULL') FROM pages",
    );
    assert_eq!(codes, vec!["nema.example".to_string()]);
    server.shutdown().await;
}

/// Serves `app` on loopback and returns crawl options that start at
/// `seed` with every `*.example` host sent to it (politeness off).
async fn serve_app(app: axum::Router, seed: &str) -> CrawlOptions {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    CrawlOptions {
        seed_urls: vec![seed.into()],
        resolve: Some(ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr,
        }),
        politeness: false,
        ..Default::default()
    }
}

/// robots.txt is per host: a sub-host's file governs its URLs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_read_per_host() {
    use axum::extract::Request;
    use axum::http::header::HOST;
    use std::sync::Mutex;

    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let log = log.clone();
        async move {
            let host = req
                .headers()
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .split(':')
                .next()
                .unwrap_or("")
                .to_string();
            let path = req.uri().path().to_string();
            log.lock().unwrap().push(format!("{host}{path}"));
            match (host.as_str(), path.as_str()) {
                ("a.example", "/robots.txt") => "User-agent: *\nDisallow: /private/\n".to_string(),
                ("docs.a.example", "/robots.txt") => "User-agent: *\nDisallow: /\n".to_string(),
                _ => "<html><body><a href=\"/private/x\">p</a> <a href=\"http://docs.a.example/guide\">docs</a> <a href=\"/open\">open</a></body></html>".to_string(),
            }
        }
    });
    let o = serve_app(app, "http://a.example/").await;
    let dir = tempfile::tempdir().unwrap();
    let report = crawl(&dir.path().join("c.db"), o).await;
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains(&"a.example/open".to_string()), "{seen:?}");
    assert!(
        seen.contains(&"docs.a.example/robots.txt".to_string()),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s == "docs.a.example/guide"),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.starts_with("a.example/private")),
        "{seen:?}"
    );
    assert_eq!(report.robots_skipped, 2);
}

/// An unreachable robots.txt (5xx) blocks the site and is not cached: the
/// next run asks again and crawls once it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_robots_blocks_and_is_asked_again() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let flag = flag.clone();
        async move {
            if uri.path() == "/robots.txt" && !flag.load(Ordering::SeqCst) {
                return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
            }
            if uri.path() == "/robots.txt" {
                return "User-agent: *\nDisallow:\n".into_response();
            }
            axum::response::Html("<html><body><p>hello</p></body></html>").into_response()
        }
    });
    let o = serve_app(app, "http://down.example/").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let first = crawl(&db, o.clone()).await;
    assert_eq!(first.domains[0].verdict, AccessVerdict::Unreachable);
    assert_eq!(first.pages_stored, 0);
    up.store(true, Ordering::SeqCst);
    let second = crawl(&db, o).await;
    assert_eq!(second.domains[0].verdict, AccessVerdict::Allowed);
    assert_eq!(second.pages_stored, 1);
}
