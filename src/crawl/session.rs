//! The polite fetch path for one registrable domain: robots.txt per host,
//! the pacer, the daily budget and the circuit breaker. Every request nam
//! sends goes through a [`DomainSession`]: the crawl's domain workers own
//! one each; [`super::polite::PoliteFetcher`] keeps one per domain for
//! one-off requests (`nam extract URL`, `nam robots URL`).
//! Retries and redirects are in `retry.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use url::Url;

use super::fetch::Fetcher;
use super::politeness::{Breaker, Pacer};
use super::report::{Counters, bump};
use super::robots::{self, Decision, RobotsPolicy};
use crate::config::RateLimit;
use crate::store::Writer;

/// Settings every session of a crawl shares.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub user_agent: String,
    /// Rate limits, Crawl-delay and daily caps; off only for engine
    /// benchmarks and tests on loopback (robots.txt is honoured either way).
    pub politeness: bool,
    pub max_retries: u32,
    pub max_redirects: usize,
    pub backoff_min: Duration,
    /// Longest Retry-After honoured; a longer one gives up on the URL.
    pub max_retry_after: Duration,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    pub breaker_max_trips: u32,
    /// Send stored ETag/Last-Modified (off with --force-full).
    pub conditional: bool,
}

/// The daily request budget of a domain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Budget {
    pub cap: Option<u32>,
    /// Requests already made today (from the store when the session starts).
    pub used: u32,
}

/// One domain's politeness state.
pub struct DomainSession {
    pub domain: String,
    pub(crate) cfg: Arc<SessionConfig>,
    pub(crate) fetcher: Fetcher,
    rate: RateLimit,
    /// Origin whose robots.txt the gatekeeper read.
    entry_origin: String,
    pub policy: RobotsPolicy,
    pub pacer: Pacer,
    /// robots.txt applies per scheme, host and port (RFC 9309 §2.3); other
    /// hosts of the domain are read on first use.
    other_hosts: HashMap<String, RobotsPolicy>,
    /// Extra pacing for hosts whose Crawl-delay is slower than the domain's.
    host_pacers: HashMap<String, Pacer>,
    pub(crate) breaker: Breaker,
    budget: Budget,
    /// Counts requests against the daily budget in the store.
    ledger: Option<Writer>,
    pub(crate) counters: Arc<Counters>,
    /// Requests made by this session, robots.txt included.
    pub requests: u64,
    pub cap_reached: bool,
}

/// What a session needs to start.
pub struct SessionStart {
    pub domain: String,
    pub entry: Url,
    pub rate: RateLimit,
    pub policy: RobotsPolicy,
    /// Requests already spent (the robots.txt fetch, if there was one).
    pub requests: u64,
    pub budget: Budget,
}

impl DomainSession {
    pub(crate) fn new(
        start: SessionStart,
        cfg: Arc<SessionConfig>,
        fetcher: Fetcher,
        ledger: Option<Writer>,
        counters: Arc<Counters>,
    ) -> Self {
        let polite = cfg.politeness;
        DomainSession {
            pacer: Pacer::new(start.rate.per_second, start.policy.crawl_delay, polite),
            budget: Budget {
                cap: if polite { start.budget.cap } else { None },
                used: start.budget.used,
            },
            domain: start.domain,
            rate: start.rate,
            entry_origin: start.entry.origin().ascii_serialization(),
            policy: start.policy,
            other_hosts: HashMap::new(),
            host_pacers: HashMap::new(),
            breaker: Breaker::new(
                cfg.breaker_threshold,
                cfg.breaker_cooldown,
                cfg.breaker_max_trips,
            ),
            ledger,
            counters,
            requests: start.requests,
            cap_reached: false,
            cfg,
            fetcher,
        }
    }

    /// The robots.txt verdict for a URL, from its own host's robots.txt;
    /// `None` when the daily cap ran out before that file could be read.
    pub async fn robots_decide(&mut self, url: &Url) -> Result<Option<Decision>> {
        let origin = url.origin().ascii_serialization();
        if origin == self.entry_origin {
            return Ok(Some(self.policy.decide(url.as_str())));
        }
        if let Some(p) = self.other_hosts.get(&origin) {
            return Ok(Some(p.decide(url.as_str())));
        }
        let robots_url = url.join("/robots.txt")?;
        if !self.slot(url).await? {
            return Ok(None);
        }
        let policy = fetch_robots(&self.fetcher, &self.cfg.user_agent, &robots_url)
            .await
            .0;
        if let Some(delay) = policy.crawl_delay
            && self.cfg.politeness
            && delay > self.pacer.interval().as_secs_f64()
        {
            let pacer = Pacer::new(self.rate.per_second, Some(delay), true);
            pacer.wait().await; // its robots.txt request used the first slot
            self.host_pacers.insert(origin.clone(), pacer);
        }
        tracing::info!(%origin, group = ?policy.group, "robots.txt read");
        let decision = policy.decide(url.as_str());
        self.other_hosts.insert(origin, policy);
        Ok(Some(decision))
    }

    /// Waits for the pacer and the daily budget; false when the cap is used up.
    pub async fn slot(&mut self, url: &Url) -> Result<bool> {
        if let Some(cap) = self.budget.cap
            && self.budget.used >= cap
        {
            self.cap_reached = true;
            return Ok(false);
        }
        self.pacer.wait().await;
        if let Some(p) = self.host_pacers.get(&url.origin().ascii_serialization()) {
            p.wait().await;
        }
        self.record_request().await?;
        Ok(true)
    }

    /// Counts one request against the budget (memory and store).
    pub(crate) async fn record_request(&mut self) -> Result<()> {
        self.budget.used += 1;
        self.requests += 1;
        if let Some(w) = &self.ledger {
            let domain = self.domain.clone();
            let day = today();
            w.submit(move |s| s.count_request(&domain, &day)).await?;
        }
        Ok(())
    }

    /// A page request, for the report (robots.txt excluded).
    pub(crate) fn count_page_request(&self) {
        bump(&self.counters.requests);
    }
}

/// Today's date (UTC), the unit of daily caps.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Fetches robots.txt, following up to five redirects (RFC 9309
/// §2.3.1.2). Returns the policy and the text to cache (none when the file
/// could not be reached, which must be asked again next time).
pub async fn fetch_robots(
    fetcher: &Fetcher,
    user_agent: &str,
    url: &Url,
) -> (RobotsPolicy, Option<String>) {
    let ua = user_agent;
    let mut current = url.clone();
    for _ in 0..5 {
        match fetcher.get(&current, None, None).await {
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

/// Whether robots.txt was reached at all (a 4xx counts: it means allow-all).
pub fn robots_reached(p: &RobotsPolicy) -> bool {
    !matches!(p.source, robots::RobotsSource::Unreachable(_))
}
