//! The polite crawler (phases GATEKEEPER, DISCOVERY, CLASSIFICATION).
//!
//! One worker per registrable domain, all domains in parallel. Each worker
//! fetches its domain's frontier (`url_queue`) one URL at a time, spaced by
//! its [`politeness::Pacer`], honouring robots.txt, the daily cap,
//! Retry-After, backoff and a circuit breaker. Fetched pages are decoded,
//! classified (with evidence) and stored in `pages` with their delta; the
//! links they lead to go back into the frontier. Failures after retries go
//! to `dead_letter` and never stop the job. A killed crawl resumes from the
//! persisted frontier.

pub mod discover;
pub mod fetch;
pub mod politeness;
pub mod robots;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

pub use fetch::ResolveOverride;

use self::fetch::{Fetcher, FetcherConfig, Response};
use self::politeness::{Breaker, BreakerState, Pacer};
use self::robots::RobotsPolicy;
use crate::config::{AssociationConfig, CrawlSettings};
use crate::extract::classify::{PageFacts, classify};
use crate::extract::{ExtractContext, extract_page};
use crate::model::{EventSender, PageType, Phase, PipelineEvent, emit};
use crate::normalize::{charset, urls as urlnorm};
use crate::store::Store;
use crate::store::crawl::{NewUrl, PageWrite, QueuedUrl};

/// The phase name dead letters of the crawl are filed under.
pub const DEAD_LETTER_PHASE: &str = "discovery";

/// What to crawl and how.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    pub associations: Vec<AssociationConfig>,
    /// Ad-hoc start URLs (any site).
    pub seed_urls: Vec<String>,
    /// Stop after this many page requests (robots.txt not counted).
    pub max_pages: Option<usize>,
    /// Fetch robots.txt only and print the plan.
    pub dry_run: bool,
    /// Ignore stored validators and the robots.txt cache: fetch everything.
    pub force_full: bool,
    pub retry_dead_letters: bool,
    /// Rate limits, Crawl-delay and daily caps. Off only for engine
    /// benchmarks on loopback; robots.txt is honoured either way.
    pub politeness: bool,
    pub resolve: Option<ResolveOverride>,
    /// How many ordinary (non-structural) links deep to follow from a seed.
    pub max_depth: i64,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    pub breaker_max_trips: u32,
    /// First backoff delay (doubles per retry, with jitter).
    pub backoff_min: Duration,
    /// Longest Retry-After honoured; a longer one makes the URL a dead letter.
    pub max_retry_after: Duration,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            associations: Vec::new(),
            seed_urls: Vec::new(),
            max_pages: None,
            dry_run: false,
            force_full: false,
            retry_dead_letters: false,
            politeness: true,
            resolve: None,
            max_depth: 3,
            breaker_threshold: 8,
            breaker_cooldown: Duration::from_secs(30),
            breaker_max_trips: 3,
            backoff_min: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// Changes seen by a crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeltaStats {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

/// One domain's share of a crawl.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub verdict: String,
    pub reason: Option<String>,
    /// Requests made (robots.txt, pages, redirect hops, retries).
    pub requests: u64,
    /// Seconds between requests the pacer enforced.
    pub interval_secs: f64,
    pub elapsed_ms: u64,
    pub daily_cap_reached: bool,
}

/// A URL a dry run would fetch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedUrl {
    pub url: String,
    pub hint: Option<String>,
    pub allowed: bool,
    pub reason: String,
}

/// What a crawl did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CrawlReport {
    pub domains: Vec<DomainReport>,
    /// HTTP requests for pages (redirect hops and retries included, robots.txt not).
    pub requests: u64,
    /// URLs fetched (each counts once however many retries or hops it took).
    pub fetches: u64,
    pub pages_stored: u64,
    pub not_modified: u64,
    pub delta: DeltaStats,
    pub page_types: BTreeMap<String, u64>,
    pub robots_skipped: u64,
    pub login_walls: u64,
    pub redirects: u64,
    pub retries: u64,
    pub dead_letters: u64,
    pub requeued_dead_letters: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
    pub stopped_at_max_pages: bool,
    pub resumed_urls: u64,
    pub planned: Vec<PlannedUrl>,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    pages_stored: AtomicU64,
    not_modified: AtomicU64,
    new: AtomicU64,
    changed: AtomicU64,
    unchanged: AtomicU64,
    deleted: AtomicU64,
    robots_skipped: AtomicU64,
    login_walls: AtomicU64,
    redirects: AtomicU64,
    retries: AtomicU64,
    dead_letters: AtomicU64,
    bytes: AtomicU64,
    /// Page fetches started (for --max-pages).
    started: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

struct Shared {
    store: Mutex<Store>,
    fetcher: Fetcher,
    settings: CrawlSettings,
    opts: CrawlOptions,
    job_id: Option<i64>,
    events: EventSender,
    counters: Counters,
    page_types: Mutex<BTreeMap<String, u64>>,
    stop_max_pages: AtomicBool,
    /// Directory entry points (for classification evidence).
    directory_seeds: HashSet<String>,
    /// Registrable domains being crawled.
    domains: HashSet<String>,
    /// Association code per domain.
    association_of: HashMap<String, String>,
}

impl Shared {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (statements are atomic), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One domain to crawl.
#[derive(Debug, Clone)]
struct DomainPlan {
    domain: String,
    /// Host robots.txt is read from (the first seed's).
    robots_base: Url,
    association: Option<AssociationConfig>,
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Runs the crawl phases against the store at `db`.
pub async fn run_crawl(
    db: &Path,
    job_id: Option<i64>,
    settings: &CrawlSettings,
    opts: CrawlOptions,
    events: EventSender,
) -> Result<CrawlReport> {
    let started = Instant::now();
    let store = Store::open(db)?;
    let fetcher = Fetcher::new(&FetcherConfig {
        user_agent: settings.user_agent.clone(),
        timeout: Duration::from_secs(settings.timeout_secs.max(1)),
        max_body_bytes: settings.max_body_bytes,
        resolve: opts.resolve.clone(),
    })?;

    // Seeds: association home pages and directories, then ad-hoc URLs.
    let mut seeds: Vec<(Url, &'static str, Option<String>)> = Vec::new();
    let mut plans: Vec<DomainPlan> = Vec::new();
    let mut association_of = HashMap::new();
    let mut directory_seeds = HashSet::new();
    for a in &opts.associations {
        let base = urlnorm::normalize(&a.base_url)
            .with_context(|| format!("association {}: bad base_url", a.code))?;
        let domain = urlnorm::domain_of(&base);
        association_of.insert(domain.clone(), a.code.clone());
        if !plans.iter().any(|p| p.domain == domain) {
            plans.push(DomainPlan {
                domain: domain.clone(),
                robots_base: base.clone(),
                association: Some(a.clone()),
            });
        }
        seeds.push((base, "home", Some(a.code.clone())));
        for d in &a.directory_urls {
            let u = urlnorm::normalize(d)
                .with_context(|| format!("association {}: bad directory URL", a.code))?;
            directory_seeds.insert(u.to_string());
            seeds.push((u, "directory", Some(a.code.clone())));
        }
        for e in &a.event_urls {
            let u = urlnorm::normalize(e)
                .with_context(|| format!("association {}: bad event URL", a.code))?;
            seeds.push((u, "event", Some(a.code.clone())));
        }
    }
    for s in &opts.seed_urls {
        let u = urlnorm::normalize(s).with_context(|| format!("--seed-url {s:?}"))?;
        let domain = urlnorm::domain_of(&u);
        if !plans.iter().any(|p| p.domain == domain) {
            plans.push(DomainPlan {
                domain: domain.clone(),
                robots_base: u.clone(),
                association: None,
            });
        }
        directory_seeds.insert(u.to_string());
        // A site without configuration is filed under its domain.
        let code = association_of
            .entry(domain.clone())
            .or_insert_with(|| domain.clone())
            .clone();
        seeds.push((u, "directory", Some(code)));
    }

    // A dry run plans inside a transaction that is rolled back: the queue
    // is left exactly as it was.
    if opts.dry_run {
        store.conn().execute_batch("BEGIN")?;
    }
    // Resume or restart the frontier.
    let resumed = store.reset_in_progress()? as u64;
    // A domain with pending URLs resumes where it stopped; a finished one
    // is re-crawled (conditionally) from everything that had content.
    let mut resuming = HashSet::new();
    for p in &plans {
        if store.pending_count(&p.domain)? > 0 {
            resuming.insert(p.domain.clone());
        } else {
            store.requeue_for_recrawl(&p.domain)?;
        }
    }
    let mut requeued_dead = 0;
    if opts.retry_dead_letters {
        for p in &plans {
            requeued_dead += store.requeue_dead_letters(DEAD_LETTER_PHASE, &p.domain)? as u64;
        }
    }
    for (u, hint, code) in &seeds {
        let domain = urlnorm::domain_of(u);
        let added = store.enqueue_url(&NewUrl {
            url: u.as_str(),
            domain: &domain,
            association_code: code.as_deref(),
            hint: Some(hint),
            depth: 0,
            priority: 100,
            discovered_from: None,
            job_id,
        })?;
        if !added {
            store.promote_seed(u.as_str(), hint, code.as_deref())?;
            if !resuming.contains(&domain) {
                store.requeue_url(u.as_str())?;
            }
        }
    }
    if let Some(j) = job_id {
        store.start_phase(j, Phase::Gatekeeper)?;
    }
    emit_phase(&events, job_id, Phase::Gatekeeper, true, None);

    let shared = Arc::new(Shared {
        store: Mutex::new(store),
        fetcher,
        settings: settings.clone(),
        opts,
        job_id,
        events: events.clone(),
        counters: Counters::default(),
        page_types: Mutex::new(BTreeMap::new()),
        stop_max_pages: AtomicBool::new(false),
        directory_seeds,
        domains: plans.iter().map(|p| p.domain.clone()).collect(),
        association_of,
    });

    // GATEKEEPER: robots.txt and a verdict per domain, in parallel.
    let mut gates = tokio::task::JoinSet::new();
    for plan in plans.clone() {
        let sh = shared.clone();
        gates.spawn(async move {
            let g = gatekeeper(&sh, &plan).await;
            (plan, g)
        });
    }
    let mut gated: Vec<(DomainPlan, Gate)> = Vec::new();
    while let Some(res) = gates.join_next().await {
        let (plan, gate) = res.context("gatekeeper task failed")?;
        gated.push((plan, gate?));
    }
    gated.sort_by(|a, b| a.0.domain.cmp(&b.0.domain));
    let gate_stats: Vec<serde_json::Value> = gated
        .iter()
        .map(|(p, g)| serde_json::json!({"domain": p.domain, "verdict": g.verdict, "reason": g.reason}))
        .collect();
    if let Some(j) = job_id {
        shared.store().finish_phase(
            j,
            Phase::Gatekeeper,
            "completed",
            &serde_json::Value::Array(gate_stats.clone()).to_string(),
        )?;
    }
    emit_phase(
        &events,
        job_id,
        Phase::Gatekeeper,
        false,
        Some(serde_json::Value::Array(gate_stats)),
    );

    let mut report = CrawlReport {
        resumed_urls: resumed,
        requeued_dead_letters: requeued_dead,
        ..Default::default()
    };

    if shared.opts.dry_run {
        for (plan, gate) in &gated {
            let pending = shared.store().pending_urls(&plan.domain)?;
            for (url, hint) in pending {
                let d = gate.policy.decide(&url);
                let allowed = d.allowed && gate.verdict == "allowed";
                let reason = if gate.verdict == "allowed" {
                    d.reason
                } else {
                    gate.reason.clone().unwrap_or_default()
                };
                report.planned.push(PlannedUrl {
                    url,
                    hint,
                    allowed,
                    reason,
                });
            }
            report.domains.push(DomainReport {
                domain: plan.domain.clone(),
                verdict: gate.verdict.clone(),
                reason: gate.reason.clone(),
                requests: 1,
                interval_secs: gate.pacer.interval().as_secs_f64(),
                ..Default::default()
            });
        }
        shared.store().conn().execute_batch("ROLLBACK")?;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    // DISCOVERY + CLASSIFICATION: one worker per allowed domain.
    if let Some(j) = job_id {
        let s = shared.store();
        s.start_phase(j, Phase::Discovery)?;
        s.start_phase(j, Phase::Classification)?;
    }
    emit_phase(&events, job_id, Phase::Discovery, true, None);
    let mut workers = tokio::task::JoinSet::new();
    let mut domain_reports: Vec<DomainReport> = Vec::new();
    for (plan, gate) in gated {
        if gate.verdict != "allowed" {
            domain_reports.push(DomainReport {
                domain: plan.domain.clone(),
                verdict: gate.verdict.clone(),
                reason: gate.reason.clone(),
                requests: gate.requests,
                interval_secs: gate.pacer.interval().as_secs_f64(),
                ..Default::default()
            });
            continue;
        }
        let sh = shared.clone();
        workers.spawn(async move { domain_worker(sh, plan, gate).await });
    }
    while let Some(res) = workers.join_next().await {
        match res {
            Ok(Ok(r)) => domain_reports.push(r),
            Ok(Err(e)) => return Err(e),
            Err(e) => anyhow::bail!("crawl worker failed: {e}"),
        }
    }
    domain_reports.sort_by(|a, b| a.domain.cmp(&b.domain));

    let c = &shared.counters;
    report.domains = domain_reports;
    report.requests = c.requests.load(Ordering::Relaxed);
    report.fetches = c.started.load(Ordering::Relaxed);
    report.pages_stored = c.pages_stored.load(Ordering::Relaxed);
    report.not_modified = c.not_modified.load(Ordering::Relaxed);
    report.delta = DeltaStats {
        new: c.new.load(Ordering::Relaxed),
        changed: c.changed.load(Ordering::Relaxed),
        unchanged: c.unchanged.load(Ordering::Relaxed),
        deleted: c.deleted.load(Ordering::Relaxed),
    };
    report.page_types = shared
        .page_types
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default();
    report.robots_skipped = c.robots_skipped.load(Ordering::Relaxed);
    report.login_walls = c.login_walls.load(Ordering::Relaxed);
    report.redirects = c.redirects.load(Ordering::Relaxed);
    report.retries = c.retries.load(Ordering::Relaxed);
    report.dead_letters = c.dead_letters.load(Ordering::Relaxed);
    report.bytes = c.bytes.load(Ordering::Relaxed);
    report.stopped_at_max_pages = shared.stop_max_pages.load(Ordering::Relaxed);
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        delta = ?report.delta,
        requests = report.requests,
        dead_letters = report.dead_letters,
        "crawl finished"
    );

    let discovery_stats = serde_json::json!({
        "requests": report.requests,
        "pages_stored": report.pages_stored,
        "delta": report.delta,
        "not_modified": report.not_modified,
        "robots_skipped": report.robots_skipped,
        "redirects": report.redirects,
        "retries": report.retries,
        "dead_letters": report.dead_letters,
        "stopped_at_max_pages": report.stopped_at_max_pages,
    });
    let class_stats = serde_json::json!({
        "page_types": report.page_types,
        "login_walls": report.login_walls,
    });
    if let Some(j) = job_id {
        let s = shared.store();
        s.finish_phase(
            j,
            Phase::Discovery,
            "completed",
            &discovery_stats.to_string(),
        )?;
        s.finish_phase(
            j,
            Phase::Classification,
            "completed",
            &class_stats.to_string(),
        )?;
    }
    emit_phase(
        &events,
        job_id,
        Phase::Discovery,
        false,
        Some(discovery_stats),
    );
    emit_phase(
        &events,
        job_id,
        Phase::Classification,
        false,
        Some(class_stats),
    );
    Ok(report)
}

fn emit_phase(
    events: &EventSender,
    job_id: Option<i64>,
    phase: Phase,
    start: bool,
    stats: Option<serde_json::Value>,
) {
    let Some(job_id) = job_id else { return };
    emit(
        events,
        if start {
            PipelineEvent::PhaseStarted { job_id, phase }
        } else {
            PipelineEvent::PhaseFinished {
                job_id,
                phase,
                stats: stats.unwrap_or_default(),
            }
        },
    );
}

/// The gatekeeper's result for one domain.
struct Gate {
    verdict: String,
    reason: Option<String>,
    policy: RobotsPolicy,
    pacer: Pacer,
    requests: u64,
}

fn rate_for(sh: &Shared, plan: &DomainPlan) -> crate::config::RateLimit {
    match &plan.association {
        Some(a) => a.rate.unwrap_or(sh.settings.association_rate),
        None => sh.settings.default_rate,
    }
}

/// Fetches (or reuses, for 24 hours) robots.txt and decides whether the
/// domain may be crawled at all.
async fn gatekeeper(sh: &Shared, plan: &DomainPlan) -> Result<Gate> {
    let ua = &sh.settings.user_agent;
    let rate = rate_for(sh, plan);
    let cached = sh.store().domain_access(&plan.domain)?;
    let fresh_cache = cached.as_ref().and_then(|c| {
        let at = c.robots_fetched_at.as_deref()?;
        let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
        let age = chrono::Utc::now() - t.with_timezone(&chrono::Utc);
        (age < chrono::Duration::hours(24)).then(|| c.robots_txt.clone())?
    });
    let mut requests = 0;
    let policy = match fresh_cache {
        Some(txt) if !sh.opts.force_full => RobotsPolicy::parse(ua, txt.as_bytes()),
        _ => {
            // robots.txt is fetched before the pacer exists (its Crawl-delay
            // sets the pace); the first page request waits a full interval.
            let robots_url = plan.robots_base.join("/robots.txt")?;
            requests += 1;
            sh.store().count_request(&plan.domain, &today())?;
            let (p, txt) = fetch_robots(sh, &robots_url).await;
            // Cache a fetched file or a 4xx (allow-all); never an unreachable
            // one, which must be asked again next time.
            if !matches!(p.source, robots::RobotsSource::Unreachable(_)) {
                let stored = txt.unwrap_or_default();
                sh.store().set_domain_access(
                    &plan.domain,
                    "unknown",
                    None,
                    Some((&stored, p.crawl_delay)),
                )?;
            }
            p
        }
    };
    let pacer = Pacer::new(rate.per_second, policy.crawl_delay, sh.opts.politeness);
    if sh.opts.politeness && requests > 0 {
        pacer.wait().await; // the robots.txt request used the first slot
    }
    let (verdict, reason) = match &policy.source {
        robots::RobotsSource::Unreachable(why) => (
            "unreachable",
            Some(format!("robots.txt unreachable: {why}")),
        ),
        _ => {
            // Disallowed when every entry point of the domain is disallowed.
            let entry = sh.store().pending_urls(&plan.domain)?;
            let blocked: Vec<String> = entry
                .iter()
                .filter(|(u, _)| !policy.allowed(u))
                .map(|(u, _)| u.clone())
                .collect();
            if !entry.is_empty() && blocked.len() == entry.len() {
                let d = policy.decide(&entry[0].0);
                ("robots_disallowed", Some(d.reason))
            } else {
                (
                    "allowed",
                    policy
                        .parse_error
                        .clone()
                        .map(|e| format!("robots.txt unparseable, treated as allow-all: {e}")),
                )
            }
        }
    };
    sh.store()
        .set_domain_access(&plan.domain, verdict, reason.as_deref(), None)?;
    Ok(Gate {
        verdict: verdict.to_string(),
        reason,
        policy,
        pacer,
        requests,
    })
}

async fn fetch_robots(sh: &Shared, url: &Url) -> (RobotsPolicy, Option<String>) {
    let ua = &sh.settings.user_agent;
    let mut current = url.clone();
    // RFC 9309 §2.3.1.2: follow at least five redirects.
    for _ in 0..5 {
        match sh.fetcher.get(&current, None, None).await {
            Ok(r) if (200..300).contains(&r.status) => {
                let txt = String::from_utf8_lossy(&r.bytes).into_owned();
                return (RobotsPolicy::parse(ua, &r.bytes), Some(txt));
            }
            Ok(r) if (300..400).contains(&r.status) => {
                match r.location.as_deref().and_then(|l| current.join(l).ok()) {
                    Some(next) => current = next,
                    None => return (RobotsPolicy::unavailable(ua, r.status), None),
                }
            }
            Ok(r) if (400..500).contains(&r.status) && r.status != 429 => {
                return (RobotsPolicy::unavailable(ua, r.status), None);
            }
            Ok(r) => {
                return (
                    RobotsPolicy::unreachable(ua, &format!("HTTP {}", r.status)),
                    None,
                );
            }
            Err(e) => return (RobotsPolicy::unreachable(ua, &e.to_string()), None),
        }
    }
    (RobotsPolicy::unavailable(ua, 310), None)
}

/// How fetching one URL ended.
enum Fetched {
    /// A final response (2xx, 304, 4xx, or a 5xx that outlasted the retries).
    Response {
        resp: Response,
        hops: Vec<String>,
        attempts: i64,
        history: Vec<serde_json::Value>,
    },
    /// The redirect chain left the domain; the target was queued or dropped.
    OffSite { target: Url, hops: Vec<String> },
    /// A redirect hop robots.txt disallows.
    Disallowed { target: Url, reason: String },
    /// Gave up: transport failures, loops, too many redirects, breaker.
    Failed {
        error: String,
        status: Option<u16>,
        attempts: i64,
        history: Vec<serde_json::Value>,
    },
    /// The daily cap is used up; the URL stays pending.
    CapReached,
}

struct Worker {
    sh: Arc<Shared>,
    plan: DomainPlan,
    gate: Gate,
    /// robots.txt applies per scheme, host and port (RFC 9309 §2.3); the
    /// gatekeeper read the entry host's, others are read on first use.
    other_hosts: HashMap<String, RobotsPolicy>,
    /// Extra pacing for hosts whose Crawl-delay is slower than the domain's.
    host_pacers: HashMap<String, Pacer>,
    breaker: Breaker,
    cap: Option<u32>,
    requests: u64,
    cap_reached: bool,
}

async fn domain_worker(sh: Arc<Shared>, plan: DomainPlan, gate: Gate) -> Result<DomainReport> {
    let started = Instant::now();
    let rate = rate_for(&sh, &plan);
    let mut w = Worker {
        breaker: Breaker::new(
            sh.opts.breaker_threshold,
            sh.opts.breaker_cooldown,
            sh.opts.breaker_max_trips,
        ),
        cap: if sh.opts.politeness {
            rate.daily_cap
        } else {
            None
        },
        requests: gate.requests,
        cap_reached: false,
        other_hosts: HashMap::new(),
        host_pacers: HashMap::new(),
        sh,
        plan,
        gate,
    };
    'outer: loop {
        let batch = w.sh.store().claim_pending(&w.plan.domain, 16)?;
        if batch.is_empty() {
            break;
        }
        let mut rest = batch.into_iter();
        while let Some(q) = rest.next() {
            if matches!(w.breaker.state(), BreakerState::GiveUp) {
                let why = format!(
                    "circuit breaker: {} gave up after {} trips of consecutive failures",
                    w.plan.domain,
                    w.breaker.trips()
                );
                w.dead(&q, &why, None, 0, Vec::new())?;
                for q in rest.by_ref() {
                    w.dead(&q, &why, None, 0, Vec::new())?;
                }
                w.sh.store()
                    .set_domain_access(&w.plan.domain, "unreachable", Some(&why), None)?;
                continue 'outer;
            }
            if !w.process(q).await? {
                w.sh.stop_max_pages.store(true, Ordering::SeqCst);
                w.release(rest)?;
                break 'outer;
            }
            if w.cap_reached {
                w.release(rest)?;
                break 'outer;
            }
        }
    }
    let verdict =
        w.sh.store()
            .domain_access(&w.plan.domain)?
            .map(|d| (d.verdict, d.reason))
            .unwrap_or(("allowed".into(), None));
    Ok(DomainReport {
        domain: w.plan.domain.clone(),
        verdict: verdict.0,
        reason: verdict.1,
        requests: w.requests,
        interval_secs: w.gate.pacer.interval().as_secs_f64(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        daily_cap_reached: w.cap_reached,
    })
}

impl Worker {
    /// Puts claimed but unprocessed URLs back to pending.
    fn release(&self, rest: impl Iterator<Item = QueuedUrl>) -> Result<()> {
        for q in rest {
            self.put_back(&q)?;
        }
        Ok(())
    }

    /// Leaves a claimed URL pending for a later run (cap or budget used up).
    fn put_back(&self, q: &QueuedUrl) -> Result<()> {
        self.sh
            .store()
            .finish_url(q.id, "pending", None, None, q.attempts, None, None)
    }

    fn dead(
        &self,
        q: &QueuedUrl,
        error: &str,
        status: Option<u16>,
        attempts: i64,
        history: Vec<serde_json::Value>,
    ) -> Result<()> {
        bump(&self.sh.counters.dead_letters);
        let s = self.sh.store();
        s.finish_url(q.id, "dead", status, Some(error), attempts, None, None)?;
        s.add_dead_letter(
            &q.url,
            Some(&q.domain),
            DEAD_LETTER_PHASE,
            self.sh.job_id,
            status,
            error,
            attempts,
            &serde_json::Value::Array(history),
        )?;
        tracing::warn!(url = %q.url, error, "dead letter");
        if matches!(status, Some(404 | 410)) {
            return Ok(()); // a broken link: recorded, not worth a warning on screen
        }
        emit(
            &self.sh.events,
            PipelineEvent::Warning {
                message: format!("gave up on {}: {error}", q.url),
            },
        );
        Ok(())
    }

    /// The robots.txt verdict for a URL, from its own host's robots.txt;
    /// `None` when the daily cap ran out before that file could be read.
    async fn robots_decide(&mut self, url: &Url) -> Result<Option<robots::Decision>> {
        let origin = url.origin().ascii_serialization();
        if origin == self.plan.robots_base.origin().ascii_serialization() {
            return Ok(Some(self.gate.policy.decide(url.as_str())));
        }
        if let Some(p) = self.other_hosts.get(&origin) {
            return Ok(Some(p.decide(url.as_str())));
        }
        let robots_url = url.join("/robots.txt")?;
        if !self.slot(url).await? {
            return Ok(None);
        }
        let policy = fetch_robots(&self.sh, &robots_url).await.0;
        if let Some(delay) = policy.crawl_delay
            && self.sh.opts.politeness
            && delay > self.gate.pacer.interval().as_secs_f64()
        {
            let rate = rate_for(&self.sh, &self.plan);
            let pacer = Pacer::new(rate.per_second, Some(delay), true);
            pacer.wait().await; // its robots.txt request used the first slot
            self.host_pacers.insert(origin.clone(), pacer);
        }
        tracing::info!(%origin, group = ?policy.group, "robots.txt read");
        let decision = policy.decide(url.as_str());
        self.other_hosts.insert(origin, policy);
        Ok(Some(decision))
    }

    /// Waits for the pacer and the daily budget; false when the cap is used up.
    async fn slot(&mut self, url: &Url) -> Result<bool> {
        if let Some(cap) = self.cap {
            let used = self
                .sh
                .store()
                .requests_today(&self.plan.domain, &today())?;
            if used >= cap {
                self.cap_reached = true;
                let why =
                    format!("daily cap of {cap} requests reached; the rest waits for tomorrow");
                emit(
                    &self.sh.events,
                    PipelineEvent::Warning {
                        message: format!("{}: {why}", self.plan.domain),
                    },
                );
                tracing::info!(domain = %self.plan.domain, "{why}");
                return Ok(false);
            }
        }
        self.gate.pacer.wait().await;
        if let Some(p) = self.host_pacers.get(&url.origin().ascii_serialization()) {
            p.wait().await;
        }
        self.sh.store().count_request(&self.plan.domain, &today())?;
        self.requests += 1;
        bump(&self.sh.counters.requests);
        Ok(true)
    }

    /// GET with retries, backoff, Retry-After, redirects and the breaker.
    async fn fetch(&mut self, q: &QueuedUrl, url: &Url) -> Result<Fetched> {
        let max_retries = self.sh.settings.max_retries;
        let max_redirects = self.sh.settings.max_redirects;
        let conditional = !self.sh.opts.force_full;
        let mut current = url.clone();
        let mut hops: Vec<String> = Vec::new();
        let mut history: Vec<serde_json::Value> = Vec::new();
        let mut attempts: i64 = 0;
        loop {
            let mut delays = politeness::backoff(self.sh.opts.backoff_min, max_retries);
            let resp = loop {
                match self.breaker.state() {
                    BreakerState::Closed => {}
                    BreakerState::Open(wait) => {
                        tracing::info!(domain = %self.plan.domain, ?wait, "circuit open, waiting");
                        tokio::time::sleep(wait).await;
                    }
                    BreakerState::GiveUp => {
                        return Ok(Fetched::Failed {
                            error: format!(
                                "circuit breaker: {} keeps failing ({} trips)",
                                self.plan.domain,
                                self.breaker.trips()
                            ),
                            status: None,
                            attempts,
                            history,
                        });
                    }
                }
                if !self.slot(&current).await? {
                    return Ok(Fetched::CapReached);
                }
                attempts += 1;
                let (etag, lm) = if conditional && hops.is_empty() {
                    (q.etag.as_deref(), q.last_modified.as_deref())
                } else {
                    (None, None)
                };
                let at = crate::model::now_string();
                let outcome = self.sh.fetcher.get(&current, etag, lm).await;
                let (retry_after, status, error) = match outcome {
                    Ok(r)
                        if r.status == 429
                            || r.status == 503
                            || r.status == 500
                            || r.status == 502
                            || r.status == 504 =>
                    {
                        if r.status != 429 {
                            self.breaker.failure();
                        }
                        (r.retry_after, Some(r.status), format!("HTTP {}", r.status))
                    }
                    Ok(r) => {
                        self.breaker.success();
                        break r;
                    }
                    Err(e) => {
                        self.breaker.failure();
                        (None, None, e.to_string())
                    }
                };
                history.push(serde_json::json!({"at": at, "url": current.as_str(), "status": status, "error": error}));
                let Some(backoff) = delays.next() else {
                    return Ok(Fetched::Failed {
                        error: format!("{error} (gave up after {attempts} attempts)"),
                        status,
                        attempts,
                        history,
                    });
                };
                let wait = match retry_after {
                    Some(ra) if ra > self.sh.opts.max_retry_after => {
                        return Ok(Fetched::Failed {
                            error: format!(
                                "{error} with Retry-After of {}s (more than the {}s we wait)",
                                ra.as_secs(),
                                self.sh.opts.max_retry_after.as_secs()
                            ),
                            status,
                            attempts,
                            history,
                        });
                    }
                    Some(ra) => ra,
                    None => backoff,
                };
                bump(&self.sh.counters.retries);
                tracing::debug!(url = %current, %error, ?wait, "retrying");
                tokio::time::sleep(wait).await;
            };
            if !(300..400).contains(&resp.status) || resp.status == 304 {
                return Ok(Fetched::Response {
                    resp,
                    hops,
                    attempts,
                    history,
                });
            }
            // A redirect: follow it ourselves.
            let Some(target) = resp
                .location
                .as_deref()
                .and_then(|l| urlnorm::resolve(&current, l).ok())
            else {
                return Ok(Fetched::Response {
                    resp,
                    hops,
                    attempts,
                    history,
                });
            };
            bump(&self.sh.counters.redirects);
            hops.push(current.to_string());
            if target == *url || hops.iter().any(|h| h == target.as_str()) {
                hops.push(target.to_string());
                return Ok(Fetched::Failed {
                    error: format!("redirect loop: {}", hops.join(" -> ")),
                    status: Some(resp.status),
                    attempts,
                    history,
                });
            }
            if hops.len() > max_redirects {
                return Ok(Fetched::Failed {
                    error: format!(
                        "more than {max_redirects} redirects: {} -> {target}",
                        hops.join(" -> ")
                    ),
                    status: Some(resp.status),
                    attempts,
                    history,
                });
            }
            if urlnorm::domain_of(&target) != self.plan.domain {
                return Ok(Fetched::OffSite { target, hops });
            }
            let Some(d) = self.robots_decide(&target).await? else {
                return Ok(Fetched::CapReached);
            };
            if !d.allowed {
                return Ok(Fetched::Disallowed {
                    target,
                    reason: d.reason,
                });
            }
            current = target;
        }
    }

    /// Fetches, stores, classifies and mines one URL. Returns false (and
    /// leaves the URL pending) when `--max-pages` is used up.
    async fn process(&mut self, q: QueuedUrl) -> Result<bool> {
        let url = match urlnorm::normalize(&q.url) {
            Ok(u) => u,
            Err(e) => {
                self.sh.store().finish_url(
                    q.id,
                    "failed",
                    None,
                    Some(&e.to_string()),
                    q.attempts,
                    None,
                    None,
                )?;
                return Ok(true);
            }
        };
        let Some(decision) = self.robots_decide(&url).await? else {
            self.put_back(&q)?; // the daily cap ran out before robots.txt was read
            return Ok(true);
        };
        if !decision.allowed {
            bump(&self.sh.counters.robots_skipped);
            let why = format!("robots.txt: {}", decision.reason);
            self.sh.store().finish_url(
                q.id,
                "skipped",
                None,
                Some(&why),
                q.attempts,
                None,
                None,
            )?;
            return Ok(true);
        }
        // Reserve one of the --max-pages fetches (atomically across domains).
        let reserved = self.sh.counters.started.fetch_update(
            Ordering::SeqCst,
            Ordering::SeqCst,
            |n| match self.sh.opts.max_pages {
                Some(max) if n >= max as u64 => None,
                _ => Some(n + 1),
            },
        );
        if reserved.is_err() {
            self.put_back(&q)?;
            return Ok(false);
        }
        let fetched = self.fetch(&q, &url).await?;
        match fetched {
            Fetched::CapReached => self.put_back(&q)?,
            Fetched::Failed {
                error,
                status,
                attempts,
                history,
            } => self.dead(&q, &error, status, attempts, history)?,
            Fetched::Disallowed { target, reason } => {
                bump(&self.sh.counters.robots_skipped);
                let why = format!("redirects to {target}, which robots.txt disallows: {reason}");
                self.sh.store().finish_url(
                    q.id,
                    "skipped",
                    None,
                    Some(&why),
                    q.attempts + 1,
                    None,
                    Some(target.as_str()),
                )?;
            }
            Fetched::OffSite { target, hops } => {
                let tdomain = urlnorm::domain_of(&target);
                let s = self.sh.store();
                let note = if self.sh.domains.contains(&tdomain) {
                    s.enqueue_url(&NewUrl {
                        url: target.as_str(),
                        domain: &tdomain,
                        association_code: q.association_code.as_deref(),
                        hint: q.hint.as_deref(),
                        depth: q.depth,
                        priority: 50,
                        discovered_from: Some(&q.url),
                        job_id: self.sh.job_id,
                    })?;
                    format!("redirects to {target} (queued under {tdomain})")
                } else {
                    format!("redirects off-site to {target} (not crawled)")
                };
                s.finish_url(
                    q.id,
                    "done",
                    Some(301),
                    Some(&note),
                    q.attempts + hops.len() as i64,
                    None,
                    Some(target.as_str()),
                )?;
            }
            Fetched::Response {
                resp,
                hops,
                attempts,
                history,
            } => {
                self.handle_response(&q, &url, resp, hops, attempts, history)
                    .await?
            }
        }
        Ok(true)
    }

    async fn handle_response(
        &mut self,
        q: &QueuedUrl,
        url: &Url,
        resp: Response,
        hops: Vec<String>,
        attempts: i64,
        history: Vec<serde_json::Value>,
    ) -> Result<()> {
        let sh = self.sh.clone();
        let final_url = resp.url.clone();
        let redirected = (!hops.is_empty()).then(|| final_url.to_string());
        let status = resp.status;
        let c = &sh.counters;
        if status == 304 {
            bump(&c.not_modified);
            bump(&c.unchanged);
            let s = sh.store();
            s.set_page_delta(&q.url, "unchanged", sh.job_id)?;
            s.finish_url(
                q.id,
                "done",
                Some(304),
                None,
                attempts,
                None,
                redirected.as_deref(),
            )?;
            drop(s);
            self.progress(&q.url, 304, "unchanged");
            return Ok(());
        }
        if status == 404 || status == 410 {
            let s = sh.store();
            if q.fetched_before
                && q.last_status
                    .is_some_and(|st| (200..300).contains(&st) || st == 304)
            {
                bump(&c.deleted);
                s.set_page_delta(&q.url, "deleted", sh.job_id)?;
                s.finish_url(
                    q.id,
                    "failed",
                    Some(status),
                    Some("gone (was there before)"),
                    attempts,
                    None,
                    None,
                )?;
                drop(s);
                self.progress(&q.url, status, "deleted");
                return Ok(());
            }
            drop(s);
            return self.dead(
                q,
                &format!("HTTP {status}: not found"),
                Some(status),
                attempts,
                history,
            );
        }
        if !(200..300).contains(&status) && status != 401 && status != 403 {
            let why = if (300..400).contains(&status) {
                format!("HTTP {status} redirect without a usable Location")
            } else {
                format!("HTTP {status}")
            };
            return self.dead(q, &why, Some(status), attempts, history);
        }
        // A page: decode, classify, store, discover — off the async threads.
        c.bytes
            .fetch_add(resp.bytes.len() as u64, Ordering::Relaxed);
        let hash = sha256_hex(&resp.bytes);
        let delta = if !q.fetched_before || q.content_hash.is_none() {
            "new"
        } else if q.content_hash.as_deref() == Some(hash.as_str()) {
            "unchanged"
        } else {
            "changed"
        };
        let association = q
            .association_code
            .clone()
            .or_else(|| sh.association_of.get(&self.plan.domain).cloned());
        let assoc_cfg = self.plan.association.clone();
        let hint = q.hint.clone();
        let is_seed = sh.directory_seeds.contains(&q.url);
        let page_url = url.clone();
        let final_s = final_url.to_string();
        let truncated = resp.truncated;
        let ct = resp.content_type.clone();
        let etag = resp.etag.clone();
        let last_modified = resp.last_modified.clone();
        // Every domain this crawler visits is a directory site (association
        // or analyst-added); company websites are the enrichment phase's.
        let is_association_site = true;
        let analysed = tokio::task::spawn_blocking(move || {
            analyse(
                &resp.bytes,
                ct.as_deref(),
                &page_url,
                &final_s,
                status,
                hint.as_deref(),
                association.as_deref(),
                assoc_cfg.as_ref(),
                is_association_site,
                is_seed,
            )
        })
        .await;
        let analysed = match analysed {
            Ok(a) => a,
            Err(e) => {
                let why = format!("page analysis failed: {e}");
                tracing::error!(url = %q.url, "{why}");
                return self.dead(q, &why, Some(status), attempts, history);
            }
        };
        let page_type = analysed.class.page_type;
        let mut evidence = analysed.class.evidence.clone();
        if truncated {
            evidence.push(format!(
                "body cut at the {}-byte cap",
                sh.settings.max_body_bytes
            ));
        }
        if !hops.is_empty() {
            evidence.push(format!(
                "redirect chain: {} -> {final_url}",
                hops.join(" -> ")
            ));
        }
        let keep_body = !matches!(page_type, PageType::LoginWall | PageType::Other);
        {
            let s = sh.store();
            s.save_page(&PageWrite {
                url: &q.url,
                final_url: Some(final_url.as_str()),
                domain: &self.plan.domain,
                association_code: analysed.association.as_deref(),
                status_code: status,
                content_type: analysed.content_type.as_deref(),
                charset: Some(analysed.charset),
                title: analysed.title.as_deref(),
                body: keep_body.then_some(analysed.text.as_str()),
                bytes: analysed.bytes,
                content_hash: Some(&hash),
                page_type: page_type.as_str(),
                evidence: &serde_json::to_string(&evidence)?,
                confidence: analysed.class.confidence,
                delta,
                job_id: sh.job_id,
            })?;
            let (st, err) = if page_type == PageType::LoginWall {
                (
                    "skipped",
                    Some(format!("login wall: {}", evidence.join("; "))),
                )
            } else {
                ("done", None)
            };
            s.finish_url(
                q.id,
                st,
                Some(status),
                err.as_deref(),
                attempts,
                Some((etag.as_deref(), last_modified.as_deref(), Some(&hash))),
                redirected.as_deref(),
            )?;
            if let Some(f) = redirected.as_deref()
                && urlnorm::domain_of(&final_url) == self.plan.domain
                && f != q.url
            {
                // Fetched under its old name: a link to the new one is not new work.
                s.enqueue_url(&NewUrl {
                    url: f,
                    domain: &self.plan.domain,
                    association_code: analysed.association.as_deref(),
                    hint: q.hint.as_deref(),
                    depth: q.depth,
                    priority: 0,
                    discovered_from: Some(&q.url),
                    job_id: sh.job_id,
                })?;
                s.mark_alias_done(f, &q.url)?;
            }
            if page_type == PageType::LoginWall {
                bump(&c.login_walls);
                if is_seed || q.hint.as_deref() == Some("directory") {
                    s.set_domain_access(
                        &self.plan.domain,
                        "login_wall",
                        Some(&format!(
                            "{} is behind a login: {}",
                            q.url,
                            evidence.join("; ")
                        )),
                        None,
                    )?;
                }
            } else {
                for l in &analysed.links {
                    let depth = if l.structural { q.depth } else { q.depth + 1 };
                    if depth > sh.opts.max_depth && !l.structural {
                        continue;
                    }
                    s.enqueue_url(&NewUrl {
                        url: l.url.as_str(),
                        domain: &self.plan.domain,
                        association_code: analysed.association.as_deref(),
                        hint: Some(l.hint),
                        depth,
                        priority: l.priority,
                        discovered_from: Some(&q.url),
                        job_id: sh.job_id,
                    })?;
                }
            }
        }
        bump(&c.pages_stored);
        match delta {
            "new" => bump(&c.new),
            "changed" => bump(&c.changed),
            _ => bump(&c.unchanged),
        }
        if let Ok(mut m) = sh.page_types.lock() {
            *m.entry(page_type.as_str().to_string()).or_default() += 1;
        }
        self.progress(&q.url, status, delta);
        Ok(())
    }

    fn progress(&self, url: &str, status: u16, delta: &str) {
        emit(
            &self.sh.events,
            PipelineEvent::PageFetched {
                url: url.to_string(),
                status,
                delta: delta.to_string(),
            },
        );
        if let Some(job_id) = self.sh.job_id {
            let done = self.sh.counters.pages_stored.load(Ordering::Relaxed)
                + self.sh.counters.not_modified.load(Ordering::Relaxed);
            if done.is_multiple_of(10) {
                let pending = self
                    .sh
                    .store()
                    .frontier_counts()
                    .map(|c| c.pending + c.in_progress)
                    .unwrap_or(0)
                    .max(0) as u64;
                emit(
                    &self.sh.events,
                    PipelineEvent::Progress {
                        job_id,
                        phase: Phase::Discovery,
                        done,
                        total: Some(done + pending),
                        message: Some(format!("{} domains", self.sh.domains.len())),
                    },
                );
            }
        }
    }
}

/// A page read off the async threads.
struct Analysed {
    text: String,
    charset: &'static str,
    title: Option<String>,
    content_type: Option<String>,
    bytes: usize,
    association: Option<String>,
    class: crate::extract::classify::Classification,
    links: Vec<discover::Link>,
}

#[allow(clippy::too_many_arguments)]
fn analyse(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &Url,
    final_url: &str,
    status: u16,
    hint: Option<&str>,
    association: Option<&str>,
    assoc_cfg: Option<&AssociationConfig>,
    association_site: bool,
    directory_seed: bool,
) -> Analysed {
    let (text, charset) = charset::decode(bytes, content_type);
    let is_sitemap = hint == Some("sitemap")
        || content_type.is_some_and(|c| c.contains("xml") && !c.contains("html"));
    // Links resolve against where the page really came from.
    let base = Url::parse(final_url).unwrap_or_else(|_| url.clone());
    if is_sitemap && text.contains("<loc>") {
        let links = discover::sitemap_links(&text, &base);
        return Analysed {
            text: String::new(),
            charset,
            title: None,
            content_type: content_type.map(str::to_string),
            bytes: bytes.len(),
            association: association.map(str::to_string),
            class: crate::extract::classify::Classification {
                page_type: PageType::Other,
                evidence: vec![format!("sitemap with {} in-site URLs", links.len())],
                confidence: 0.95,
            },
            links,
        };
    }
    let ctx = ExtractContext {
        association: association.map(str::to_string),
        association_name: assoc_cfg.map(|a| a.name.clone()),
        association_base_url: assoc_cfg.map(|a| a.base_url.clone()),
        selectors: assoc_cfg.and_then(|a| a.selectors.clone()),
        page_type: (hint == Some("profile")).then_some(PageType::MemberProfile),
    };
    let ex = extract_page(&text, final_url, &ctx);
    let class = classify(
        &PageFacts {
            url: url.as_str(),
            final_url,
            status,
            content_type,
            body: &text,
            hint,
            association_site,
            directory_seed,
        },
        &ex,
    );
    let links = if class.page_type == PageType::LoginWall {
        Vec::new()
    } else {
        // Pagination only counts as structure on listing pages; a "next"
        // link elsewhere (next article, next month) is an ordinary link.
        let listing = matches!(
            class.page_type,
            PageType::DirectoryListing | PageType::ExhibitorList
        ) || hint == Some("directory");
        let mut l = discover::links(&text, &base, &ex, listing);
        l.retain(|x| x.url != *url);
        l
    };
    Analysed {
        title: page_title(&text),
        charset,
        content_type: content_type.map(str::to_string),
        bytes: bytes.len(),
        association: association.map(str::to_string),
        class,
        links,
        text,
    }
}

fn page_title(html: &str) -> Option<String> {
    let lower = html.get(..html.len().min(8192))?.to_ascii_lowercase();
    let i = lower.find("<title")?;
    let j = lower[i..].find('>')? + i + 1;
    let k = lower[j..].find("</title>")? + j;
    let t = crate::normalize::text::clean_text(html.get(j..k)?);
    (!t.is_empty()).then_some(t)
}
