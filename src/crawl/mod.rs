//! The polite crawler (phases GATEKEEPER, DISCOVERY, CLASSIFICATION).
//!
//! One worker per registrable domain, all domains in parallel. Each worker
//! fetches its domain's frontier (`url_queue`) through its
//! [`session::DomainSession`] (robots.txt, pacing, daily cap, Retry-After,
//! backoff, circuit breaker). Fetched pages are decoded, surveyed by
//! extraction's narrow [`crate::extract::classify::survey`] (page type and
//! structural links) and stored with their delta; the links they lead to go
//! back into the frontier. Every write goes to the one [`Writer`]. Failures
//! after retries go to `dead_letter` and never stop the job. A killed or
//! cancelled crawl resumes from the persisted frontier.
//!
//! Files: `plan` (seeds and the frontier), `gatekeeper`, `session` (the
//! polite fetch path) and `retry` (retries and redirects), `worker` (the
//! domain loop), `outcome` (what a response becomes), `report`, `polite`
//! (one-off requests), `discover` (links), `robots`, `fetch` (HTTP).

pub mod discover;
pub mod fetch;
mod gatekeeper;
pub mod guard;
mod outcome;
pub mod plan;
pub mod polite;
pub mod politeness;
pub mod report;
mod retry;
pub mod robots;
pub mod session;
mod worker;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub use fetch::ResolveOverride;
pub use plan::DEAD_LETTER_PHASE;
pub use polite::{HtmlPage, PoliteFetcher};
pub use report::{CrawlReport, DeltaStats, DomainReport, PlannedUrl};

use self::fetch::{Fetcher, FetcherConfig};
use self::gatekeeper::{Gate, gatekeeper};
use self::plan::{DomainPlan, Plan, Prep};
use self::report::Counters;
use self::session::SessionConfig;
use crate::config::{AssociationConfig, CrawlSettings, RateLimit};
use crate::model::{AccessVerdict, EventSender, Phase, PhaseStatus, PipelineEvent, RunControl};
use crate::store::{Store, Writer};

/// What to crawl and how.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    pub associations: Vec<AssociationConfig>,
    /// Ad-hoc start URLs (any site).
    pub seed_urls: Vec<String>,
    /// Stop after this many page requests (robots.txt not counted).
    pub max_pages: Option<usize>,
    /// Ignore stored validators and the robots.txt cache: fetch everything.
    pub force_full: bool,
    pub retry_dead_letters: bool,
    /// Rate limits, Crawl-delay and daily caps. Off only for engine
    /// benchmarks on loopback; robots.txt is honoured either way.
    pub politeness: bool,
    pub resolve: Option<ResolveOverride>,
    /// Fetch from public addresses only (company sites; see [`guard`]).
    pub public_only: bool,
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
            force_full: false,
            retry_dead_letters: false,
            politeness: true,
            resolve: None,
            public_only: false,
            max_depth: 3,
            breaker_threshold: 8,
            breaker_cooldown: Duration::from_secs(30),
            breaker_max_trips: 3,
            backoff_min: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl CrawlOptions {
    pub(crate) fn session_config(&self, settings: &CrawlSettings) -> SessionConfig {
        SessionConfig {
            user_agent: settings.user_agent.clone(),
            politeness: self.politeness,
            max_retries: settings.max_retries,
            max_redirects: settings.max_redirects,
            backoff_min: self.backoff_min,
            max_retry_after: self.max_retry_after,
            breaker_threshold: self.breaker_threshold,
            breaker_cooldown: self.breaker_cooldown,
            breaker_max_trips: self.breaker_max_trips,
            conditional: !self.force_full,
        }
    }
}

/// Where a crawl writes and whom it tells.
#[derive(Debug, Clone)]
pub struct CrawlContext {
    pub db: PathBuf,
    /// `None` for a dry run, which writes nothing at all.
    pub writer: Option<Writer>,
    pub job_id: Option<i64>,
    pub events: EventSender,
    pub control: RunControl,
    pub settings: CrawlSettings,
}

/// What the workers share.
pub(crate) struct Shared {
    pub writer: Option<Writer>,
    pub db: PathBuf,
    pub fetcher: Fetcher,
    pub session_cfg: Arc<SessionConfig>,
    pub settings: CrawlSettings,
    pub opts: CrawlOptions,
    pub job_id: Option<i64>,
    pub events: EventSender,
    pub control: RunControl,
    pub counters: Arc<Counters>,
    pub stop_max_pages: AtomicBool,
    pub directory_seeds: HashSet<String>,
    /// Registrable domains being crawled.
    pub domains: HashSet<String>,
    /// Association code per domain.
    pub association_of: HashMap<String, String>,
}

impl Shared {
    pub fn rate_for(&self, plan: &DomainPlan) -> RateLimit {
        match &plan.association {
            Some(a) => a.rate.unwrap_or(self.settings.association_rate),
            None => self.settings.default_rate,
        }
    }

    /// A read through the writer (so it sees every write queued before it),
    /// or from a read-only connection in a dry run (none if there is no
    /// database yet).
    pub async fn read<T: Send + Default + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        match &self.writer {
            Some(w) => w.call(f).await,
            None => {
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || {
                    if !db.exists() {
                        return Ok(T::default());
                    }
                    f(&Store::open_readonly(&db)?)
                })
                .await?
            }
        }
    }
}

/// Cursor of the GATEKEEPER phase once the job's frontier is prepared.
const FRONTIER_READY: &str = "frontier_ready";

fn phase_event(ctx: &CrawlContext, phase: Phase, finished: Option<(String, serde_json::Value)>) {
    let Some(job_id) = ctx.job_id else { return };
    ctx.events.emit(match finished {
        None => PipelineEvent::PhaseStarted { job_id, phase },
        Some((summary, stats)) => PipelineEvent::PhaseFinished {
            job_id,
            phase,
            status: PhaseStatus::Completed,
            summary,
            stats,
        },
    });
}

async fn record_phase(
    ctx: &CrawlContext,
    phase: Phase,
    finished: Option<(String, serde_json::Value)>,
) -> Result<()> {
    if let (Some(w), Some(job)) = (&ctx.writer, ctx.job_id) {
        let f = finished.clone();
        w.submit(move |s| match &f {
            None => s.start_phase(job, phase),
            Some((_, stats)) => {
                s.finish_phase(job, phase, PhaseStatus::Completed, &stats.to_string())
            }
        })
        .await?;
    }
    phase_event(ctx, phase, finished);
    Ok(())
}

/// Runs GATEKEEPER, then DISCOVERY and CLASSIFICATION together (pages are
/// classified as they arrive). Without a writer it is a dry run: robots.txt
/// only, and a plan of what would be fetched.
pub async fn run_crawl(ctx: &CrawlContext, opts: CrawlOptions) -> Result<CrawlReport> {
    let started = Instant::now();
    let plan = plan::plan(&opts)?;
    let fetcher = Fetcher::new(&FetcherConfig {
        user_agent: ctx.settings.user_agent.clone(),
        timeout: Duration::from_secs(ctx.settings.timeout_secs.max(1)),
        max_body_bytes: ctx.settings.max_body_bytes,
        resolve: opts.resolve.clone(),
        public_only: opts.public_only,
    })?;
    let shared = Arc::new(Shared {
        writer: ctx.writer.clone(),
        db: ctx.db.clone(),
        fetcher,
        session_cfg: Arc::new(opts.session_config(&ctx.settings)),
        settings: ctx.settings.clone(),
        job_id: ctx.job_id,
        events: ctx.events.clone(),
        control: ctx.control.clone(),
        counters: Arc::new(Counters::default()),
        stop_max_pages: AtomicBool::new(false),
        directory_seeds: plan.directory_seeds.clone(),
        domains: plan.domains.iter().map(|p| p.domain.clone()).collect(),
        association_of: plan.association_of.clone(),
        opts,
    });
    let Some(writer) = ctx.writer.clone() else {
        return dry_run(&shared, &plan, started).await;
    };

    record_phase(ctx, Phase::Gatekeeper, None).await?;
    let mut report = CrawlReport::default();
    let prepared = prepare(&writer, ctx.job_id, &plan, shared.opts.retry_dead_letters).await?;
    report.resumed_urls = prepared.resumed_urls;
    report.requeued_dead_letters = prepared.requeued_dead_letters;
    let gated = gate_all(&shared, &plan, None).await?;
    let gate_stats: Vec<serde_json::Value> = gated
        .iter()
        .map(|(p, g)| serde_json::json!({"domain": p.domain, "verdict": g.verdict, "reason": g.reason}))
        .collect();
    let allowed = gated
        .iter()
        .filter(|(_, g)| g.verdict == AccessVerdict::Allowed)
        .count();
    record_phase(
        ctx,
        Phase::Gatekeeper,
        Some((
            format!("{allowed} of {} domains may be crawled", gated.len()),
            serde_json::Value::Array(gate_stats),
        )),
    )
    .await?;

    // DISCOVERY + CLASSIFICATION: one worker per allowed domain.
    record_phase(ctx, Phase::Discovery, None).await?;
    record_phase(ctx, Phase::Classification, None).await?;
    let mut workers = tokio::task::JoinSet::new();
    let mut domain_reports: Vec<DomainReport> = Vec::new();
    for (plan, gate) in gated {
        if gate.verdict != AccessVerdict::Allowed {
            domain_reports.push(gate_report(&plan, &gate));
            continue;
        }
        let sh = shared.clone();
        let w = writer.clone();
        workers.spawn(async move { worker::domain_worker(sh, w, plan, gate).await });
    }
    while let Some(res) = workers.join_next().await {
        match res {
            Ok(Ok(r)) => domain_reports.push(r),
            Ok(Err(e)) => return Err(e),
            Err(e) => anyhow::bail!("crawl worker failed: {e}"),
        }
    }
    domain_reports.sort_by(|a, b| a.domain.cmp(&b.domain));
    report.domains = domain_reports;
    shared.counters.fill(&mut report);
    report.stopped_at_max_pages = shared.stop_max_pages.load(Ordering::Relaxed);
    report.cancelled = shared.control.is_cancelled();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    writer.flush().await?;
    tracing::info!(
        delta = ?report.delta,
        requests = report.requests,
        dead_letters = report.dead_letters,
        "crawl finished"
    );
    if report.cancelled {
        // The phases stay running: a resumed job continues them.
        return Ok(report);
    }
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
    record_phase(
        ctx,
        Phase::Discovery,
        Some((report.discovery_summary(), discovery_stats)),
    )
    .await?;
    record_phase(
        ctx,
        Phase::Classification,
        Some((report.classification_summary(), class_stats)),
    )
    .await?;
    Ok(report)
}

/// Prepares the frontier once per job (a resumed job finds it ready and
/// only puts URLs left in progress back to pending).
async fn prepare(
    writer: &Writer,
    job_id: Option<i64>,
    plan: &Plan,
    retry_dead_letters: bool,
) -> Result<plan::Prepared> {
    let plan = plan.clone();
    writer
        .call(move |s| {
            let ready = match job_id {
                Some(j) => s.phase_cursor(j, Phase::Gatekeeper)?.as_deref() == Some(FRONTIER_READY),
                None => false,
            };
            if ready {
                return plan::resume_frontier(s);
            }
            let p = plan::prepare_frontier(
                s,
                &plan,
                Prep {
                    job_id,
                    retry_dead_letters,
                },
            )?;
            if let Some(j) = job_id {
                s.checkpoint(
                    j,
                    Phase::Gatekeeper,
                    &crate::store::Checkpoint {
                        done: 0,
                        total: None,
                        cursor: Some(FRONTIER_READY),
                    },
                )?;
            }
            Ok(p)
        })
        .await
        .context("preparing the frontier")
}

/// GATEKEEPER for every domain in parallel; verdicts are stored unless
/// `entries` is given (a dry run's in-memory frontier).
async fn gate_all(
    shared: &Arc<Shared>,
    plan: &Plan,
    entries: Option<&HashMap<String, plan::EntryUrls>>,
) -> Result<Vec<(DomainPlan, Gate)>> {
    let mut gates = tokio::task::JoinSet::new();
    for p in plan.domains.clone() {
        let sh = shared.clone();
        let given = entries.map(|e| e.get(&p.domain).cloned().unwrap_or_default());
        gates.spawn(async move {
            let entry = match given {
                Some(e) => e,
                None => {
                    let d = p.domain.clone();
                    sh.read(move |s| s.pending_urls(&d)).await?
                }
            };
            let g = gatekeeper(&sh, &p, &entry).await?;
            if let Some(w) = &sh.writer {
                let domain = p.domain.clone();
                let (verdict, reason, cache) =
                    (g.verdict, g.reason.clone(), g.robots_cache.clone());
                w.submit(move |s| {
                    let robots = cache.as_ref().map(|(txt, delay)| (txt.as_str(), *delay));
                    s.set_domain_access(&domain, verdict, reason.as_deref(), robots)
                })
                .await?;
            }
            anyhow::Ok((p, g))
        });
    }
    let mut gated = Vec::new();
    while let Some(res) = gates.join_next().await {
        gated.push(res.context("gatekeeper task failed")??);
    }
    gated.sort_by(|a, b| a.0.domain.cmp(&b.0.domain));
    Ok(gated)
}

/// A domain's report when the crawl stops at its gate.
fn gate_report(plan: &DomainPlan, gate: &Gate) -> DomainReport {
    DomainReport {
        domain: plan.domain.clone(),
        verdict: gate.verdict,
        reason: gate.reason.clone(),
        requests: gate.session.requests,
        interval_secs: gate.session.pacer.interval().as_secs_f64(),
        elapsed_ms: 0,
        daily_cap_reached: false,
    }
}

/// `--dry-run`: robots.txt for each domain and the plan of what would be
/// fetched; nothing is written to the database.
async fn dry_run(shared: &Arc<Shared>, plan: &Plan, started: Instant) -> Result<CrawlReport> {
    let db = shared.db.clone();
    let p = plan.clone();
    let entries = tokio::task::spawn_blocking(move || {
        let store = if db.exists() {
            Some(Store::open_readonly(&db)?)
        } else {
            None
        };
        plan::dry_run_entries(store.as_ref(), &p)
    })
    .await??;
    let gated = gate_all(shared, plan, Some(&entries)).await?;
    let mut report = CrawlReport::default();
    for (p, gate) in &gated {
        for (url, hint) in entries.get(&p.domain).cloned().unwrap_or_default() {
            let d = gate.session.policy.decide(&url);
            let ok = gate.verdict == AccessVerdict::Allowed;
            report.planned.push(PlannedUrl {
                url,
                hint,
                allowed: d.allowed && ok,
                reason: if ok {
                    d.reason
                } else {
                    gate.reason.clone().unwrap_or_default()
                },
            });
        }
        report.domains.push(gate_report(p, gate));
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// A whole crawl outside any job: opens a writer on `db`, crawls, flushes.
/// For tests, benchmarks and scripts.
pub async fn crawl_once(
    db: &std::path::Path,
    settings: &CrawlSettings,
    opts: CrawlOptions,
) -> Result<CrawlReport> {
    let writer = Writer::open(db)?;
    let ctx = CrawlContext {
        db: db.to_path_buf(),
        writer: Some(writer.clone()),
        job_id: None,
        events: EventSender::none(),
        control: RunControl::new(),
        settings: settings.clone(),
    };
    let report = run_crawl(&ctx, opts).await;
    writer.close().await?;
    report
}
