//! Provider chains: for each kind an ordered list of providers, asked in
//! turn until the answers gathered hold enough fields. Each provider runs
//! behind its own guard: a rate limit, a daily cap, retries with backoff
//! (Retry-After honoured) and a circuit breaker. A provider that fails,
//! whatever the reason, only moves the chain on to the next one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{EnrichTarget, Findings, Kind, Provider, ProviderError};
use crate::crawl::politeness::{Breaker, BreakerState, Pacer, backoff};

/// Limits of one provider (config `[enrich.providers.NAME]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderLimits {
    /// Requests per second.
    pub per_second: f64,
    /// Requests per UTC day, counted across runs (`provider_usage`).
    pub daily_cap: Option<u32>,
    /// Retries of a rate-limited or failed request.
    pub retries: u32,
    /// First retry delay in milliseconds (doubling, with jitter).
    pub backoff_ms: u64,
    /// Consecutive failures that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker waits before one probe request, seconds.
    pub breaker_cooldown_secs: f64,
    /// Base URL of the provider's API (tests point it at loopback).
    pub base_url: Option<String>,
}

impl Default for ProviderLimits {
    fn default() -> Self {
        Self {
            per_second: 2.0,
            daily_cap: None,
            retries: 2,
            backoff_ms: 500,
            breaker_failures: 5,
            breaker_cooldown_secs: 60.0,
            base_url: None,
        }
    }
}

/// One provider's counts in a run, written to `provider_usage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Answers with findings.
    pub hits: u64,
    /// Answers that knew nothing (404, empty).
    pub misses: u64,
    /// Failed requests (refused key, 429, 5xx, malformed, network).
    pub errors: u64,
    /// Calls not sent because the daily cap or the provider's quota was used up.
    pub quota_rejections: u64,
    /// Calls not sent because the breaker was open.
    pub breaker_skips: u64,
    pub credits: f64,
}

/// A provider with its guard.
pub struct Guarded {
    provider: Arc<dyn Provider>,
    limits: ProviderLimits,
    pacer: Pacer,
    breaker: Mutex<Breaker>,
    /// The key was refused: no more calls this run.
    disabled: AtomicBool,
    /// Requests already sent today before this run.
    used_before: u64,
    usage: Mutex<Usage>,
}

/// Why a provider was not asked, or what it answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    Hit,
    Miss,
    Error(String),
    Skipped(String),
}

/// One provider's turn in a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub provider: &'static str,
    pub outcome: Outcome,
}

impl Guarded {
    /// `used_today`: requests this provider already sent today (from
    /// `provider_usage`), counted against the daily cap.
    pub fn new(provider: Arc<dyn Provider>, limits: ProviderLimits, used_today: u64) -> Self {
        let breaker = Breaker::new(
            limits.breaker_failures,
            Duration::from_secs_f64(limits.breaker_cooldown_secs.clamp(0.0, 86_400.0)),
            u32::MAX,
        );
        Self {
            pacer: Pacer::new(limits.per_second, None, limits.per_second > 0.0),
            provider,
            limits,
            breaker: Mutex::new(breaker),
            disabled: AtomicBool::new(false),
            used_before: used_today,
            usage: Mutex::new(Usage::default()),
        }
    }

    pub fn name(&self) -> &'static str {
        self.provider.name()
    }

    pub fn provider(&self) -> &Arc<dyn Provider> {
        &self.provider
    }

    /// This run's counts so far.
    pub fn usage(&self) -> Usage {
        self.usage.lock().map(|u| u.clone()).unwrap_or_default()
    }

    fn tally(&self, f: impl FnOnce(&mut Usage)) {
        if let Ok(mut u) = self.usage.lock() {
            f(&mut u);
        }
    }

    fn cap_reached(&self) -> bool {
        let sent = self.usage().requests;
        self.limits
            .daily_cap
            .is_some_and(|cap| self.used_before + sent >= u64::from(cap))
    }

    fn breaker_state(&self) -> BreakerState {
        self.breaker
            .lock()
            .map(|b| b.state())
            .unwrap_or(BreakerState::GiveUp)
    }

    fn record_health(&self, ok: bool) {
        if let Ok(mut b) = self.breaker.lock() {
            if ok {
                b.success();
            } else if b.failure() {
                tracing::warn!(provider = self.name(), "circuit breaker opened");
            }
        }
    }

    /// Asks the provider, with retries; counts everything.
    pub async fn call(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if self.disabled.load(Ordering::Relaxed) {
            return Err(ProviderError::Unauthorized(401));
        }
        let mut delays = backoff(
            Duration::from_millis(self.limits.backoff_ms),
            self.limits.retries,
        );
        loop {
            if let BreakerState::Open(_) | BreakerState::GiveUp = self.breaker_state() {
                self.tally(|u| u.breaker_skips += 1);
                return Err(ProviderError::Transient("circuit breaker open".into()));
            }
            if self.cap_reached() {
                self.tally(|u| u.quota_rejections += 1);
                return Err(ProviderError::QuotaExhausted);
            }
            self.pacer.wait().await;
            self.tally(|u| u.requests += 1);
            let result = self.provider.enrich(kind, target).await;
            match &result {
                Ok(f) => {
                    let credits = f.credits;
                    self.tally(|u| {
                        u.hits += 1;
                        u.credits += credits;
                    });
                    self.record_health(true);
                }
                Err(ProviderError::NotFound | ProviderError::SiteUnreachable(_)) => {
                    self.tally(|u| u.misses += 1);
                    self.record_health(true);
                }
                Err(ProviderError::QuotaExhausted) => {
                    self.tally(|u| u.quota_rejections += 1);
                }
                Err(ProviderError::Unauthorized(_)) => {
                    self.tally(|u| u.errors += 1);
                    self.disabled.store(true, Ordering::Relaxed);
                    tracing::warn!(
                        provider = self.name(),
                        "key refused: provider disabled for this run"
                    );
                }
                Err(e) if e.is_failure() => {
                    self.tally(|u| u.errors += 1);
                    self.record_health(false);
                }
                Err(_) => {}
            }
            let Err(e) = &result else {
                return result;
            };
            if !e.is_retryable() {
                return result;
            }
            let Some(mut delay) = delays.next() else {
                return result;
            };
            if let ProviderError::RateLimited(Some(after)) = e {
                delay = delay.max(*after).min(Duration::from_secs(300));
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// The ordered providers of one kind and how many fields are enough.
pub struct Chain {
    pub kind: Kind,
    pub providers: Vec<Arc<Guarded>>,
    pub min_fields: usize,
}

/// What a chain gathered for one company.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChainResult {
    pub findings: Findings,
    /// Which provider gave which part, in chain order.
    pub answered_by: Vec<&'static str>,
    pub attempts: Vec<Attempt>,
    /// Each answering provider's own findings, in chain order (to tell
    /// which provider gave which technology or contact).
    #[serde(skip)]
    pub parts: Vec<(&'static str, Findings)>,
}

impl Chain {
    /// Asks providers in order until the gathered findings hold enough;
    /// a later provider fills only what earlier ones left empty.
    pub async fn run(&self, target: &EnrichTarget) -> ChainResult {
        let mut out = ChainResult::default();
        for g in &self.providers {
            if out.findings.fields_for(self.kind) >= self.min_fields {
                break;
            }
            let outcome = match g.call(self.kind, target).await {
                Ok(f) => {
                    out.parts.push((g.name(), f.clone()));
                    merge(&mut out.findings, f, g.name());
                    out.answered_by.push(g.name());
                    Outcome::Hit
                }
                Err(ProviderError::NotFound) => Outcome::Miss,
                Err(ProviderError::SiteUnreachable(why)) => Outcome::Skipped(why),
                Err(e) => Outcome::Error(e.to_string()),
            };
            out.attempts.push(Attempt {
                provider: g.name(),
                outcome,
            });
        }
        out
    }
}

/// Fills what `into` lacks from `from`; technologies and contacts are
/// added when new. Provenance names the provider on each value.
fn merge(into: &mut Findings, mut from: Findings, provider: &'static str) {
    match (&mut into.firmographics, from.firmographics.take()) {
        (Some(a), Some(b)) => {
            fill(&mut a.employee_count, b.employee_count);
            fill(&mut a.employee_range, b.employee_range);
            fill(&mut a.founded_year, b.founded_year);
            fill(&mut a.revenue_range, b.revenue_range);
            if a.industry.is_none() && a.naics.is_none() {
                a.industry = b.industry;
                a.naics = b.naics;
                a.naics_evidence = b.naics_evidence;
            }
            fill(&mut a.description, b.description);
            fill(&mut a.phone, b.phone);
            fill(&mut a.city, b.city);
            fill(&mut a.state, b.state);
            fill(&mut a.country, b.country);
            if a.products.is_empty() {
                a.products = b.products;
            }
            if a.industries_served.is_empty() {
                a.industries_served = b.industries_served;
            }
        }
        (slot @ None, Some(b)) => *slot = Some(b),
        _ => {}
    }
    for mut t in from.technologies {
        if !into
            .technologies
            .iter()
            .any(|x| x.vendor == t.vendor && x.category == t.category)
        {
            if t.evidence_kind.is_empty() {
                t.evidence_kind = provider.to_string();
            }
            into.technologies.push(t);
        }
    }
    for c in from.contacts {
        let same = |x: &super::Contact| {
            (c.email.is_some() && x.email == c.email)
                || x.full_name.eq_ignore_ascii_case(&c.full_name)
        };
        if !into.contacts.iter().any(same) {
            into.contacts.push(c);
        }
    }
    fill(&mut into.email_pattern, from.email_pattern);
    fill(&mut into.source_url, from.source_url);
    into.credits += from.credits;
}

fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Every provider's counts, by name.
pub fn usage_of(chains: &[Chain]) -> BTreeMap<&'static str, Usage> {
    let mut out = BTreeMap::new();
    for c in chains {
        for g in &c.providers {
            // A provider in two chains is one guard: count it once.
            out.entry(g.name()).or_insert_with(|| g.usage());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    use futures::FutureExt;
    use futures::future::BoxFuture;

    use super::*;
    use crate::enrich::{Firmographics, Technology};

    /// A provider that answers from a script, one entry per call (the
    /// last repeats), and counts its calls.
    struct Fake {
        name: &'static str,
        script: Vec<Result<Findings, ProviderError>>,
        calls: AtomicUsize,
    }

    impl Fake {
        fn new(name: &'static str, script: Vec<Result<Findings, ProviderError>>) -> Arc<Self> {
            Arc::new(Self {
                name,
                script,
                calls: AtomicUsize::new(0),
            })
        }
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl Provider for Fake {
        fn name(&self) -> &'static str {
            self.name
        }
        fn kinds(&self) -> &'static [Kind] {
            &Kind::ALL
        }
        fn enrich<'a>(
            &'a self,
            _kind: Kind,
            _target: &'a EnrichTarget,
        ) -> BoxFuture<'a, Result<Findings, ProviderError>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let r = self.script[n.min(self.script.len() - 1)].clone();
            async move { r }.boxed()
        }
    }

    fn firmo(employees: Option<u32>, year: Option<u16>, industry: Option<&str>) -> Findings {
        Findings {
            firmographics: Some(Firmographics {
                employee_count: employees,
                founded_year: year,
                industry: industry.map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn fast() -> ProviderLimits {
        ProviderLimits {
            per_second: 0.0,
            retries: 0,
            backoff_ms: 1,
            ..Default::default()
        }
    }

    fn guard(p: Arc<Fake>, limits: ProviderLimits) -> Arc<Guarded> {
        Arc::new(Guarded::new(p, limits, 0))
    }

    fn target() -> EnrichTarget {
        EnrichTarget {
            company_id: 1,
            name: "Acme".into(),
            domain: Some("acme.example".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn the_chain_asks_in_order_fills_gaps_and_stops_when_enough() {
        let a = Fake::new("a", vec![Ok(firmo(Some(40), None, None))]);
        let b = Fake::new("b", vec![Err(ProviderError::Transient("HTTP 503".into()))]);
        let c = Fake::new("c", vec![Ok(firmo(Some(99), Some(1970), Some("Stamping")))]);
        let d = Fake::new("d", vec![Ok(firmo(Some(1), Some(1), Some("x")))]);
        let chain = Chain {
            kind: Kind::Firmographic,
            providers: vec![
                guard(a.clone(), fast()),
                guard(b.clone(), fast()),
                guard(c.clone(), fast()),
                guard(d.clone(), fast()),
            ],
            min_fields: 3,
        };
        let r = chain.run(&target()).await;
        let f = r.findings.firmographics.unwrap();
        // The first answer wins a field; later ones fill only gaps.
        assert_eq!(f.employee_count, Some(40));
        assert_eq!(f.founded_year, Some(1970));
        assert_eq!(f.industry.as_deref(), Some("Stamping"));
        assert_eq!(r.answered_by, ["a", "c"]);
        assert_eq!((a.calls(), b.calls(), c.calls(), d.calls()), (1, 1, 1, 0));
        assert!(matches!(&r.attempts[1].outcome, Outcome::Error(e) if e.contains("503")));
    }

    #[tokio::test]
    async fn a_provider_that_answers_enough_ends_the_chain() {
        let tech = |vendor: &str, category: &str| Technology {
            vendor: vendor.into(),
            product: None,
            category: category.into(),
            evidence_kind: "api".into(),
            evidence: String::new(),
            source_url: None,
            confidence: 0.9,
        };
        let a = Fake::new(
            "a",
            vec![Ok(Findings {
                technologies: vec![tech("SAP", "erp"), tech("HubSpot", "crm")],
                ..Default::default()
            })],
        );
        let b = Fake::new("b", vec![Err(ProviderError::NotFound)]);
        let chain = Chain {
            kind: Kind::Techstack,
            providers: vec![guard(a.clone(), fast()), guard(b.clone(), fast())],
            min_fields: 2,
        };
        let r = chain.run(&target()).await;
        assert_eq!(r.findings.technologies.len(), 2);
        assert_eq!(b.calls(), 0);
    }

    #[tokio::test]
    async fn retries_honour_retry_after_then_succeed() {
        let a = Fake::new(
            "a",
            vec![
                Err(ProviderError::RateLimited(Some(Duration::from_millis(120)))),
                Ok(firmo(Some(5), None, None)),
            ],
        );
        let g = guard(
            a.clone(),
            ProviderLimits {
                retries: 2,
                ..fast()
            },
        );
        let t = Instant::now();
        assert!(g.call(Kind::Firmographic, &target()).await.is_ok());
        assert!(
            t.elapsed() >= Duration::from_millis(120),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(a.calls(), 2);
        let u = g.usage();
        assert_eq!((u.requests, u.errors, u.hits), (2, 1, 1));
    }

    #[tokio::test]
    async fn the_breaker_opens_after_consecutive_failures() {
        let a = Fake::new("a", vec![Err(ProviderError::Transient("down".into()))]);
        let g = guard(
            a.clone(),
            ProviderLimits {
                breaker_failures: 3,
                breaker_cooldown_secs: 600.0,
                ..fast()
            },
        );
        for _ in 0..10 {
            assert!(g.call(Kind::Firmographic, &target()).await.is_err());
        }
        // Three calls reached the provider; the other seven were refused
        // by the open breaker without a request.
        assert_eq!(a.calls(), 3);
        let u = g.usage();
        assert_eq!((u.requests, u.errors, u.breaker_skips), (3, 3, 7));
    }

    #[tokio::test]
    async fn misses_do_not_trip_the_breaker() {
        let a = Fake::new("a", vec![Err(ProviderError::NotFound)]);
        let g = guard(
            a.clone(),
            ProviderLimits {
                breaker_failures: 2,
                ..fast()
            },
        );
        for _ in 0..5 {
            assert_eq!(
                g.call(Kind::Firmographic, &target()).await,
                Err(ProviderError::NotFound)
            );
        }
        assert_eq!((a.calls(), g.usage().misses), (5, 5));
    }

    #[tokio::test]
    async fn a_refused_key_disables_the_provider_for_the_run() {
        let a = Fake::new("a", vec![Err(ProviderError::Unauthorized(401))]);
        let g = guard(a.clone(), fast());
        for _ in 0..4 {
            assert!(g.call(Kind::Contacts, &target()).await.is_err());
        }
        assert_eq!(a.calls(), 1);
    }

    #[tokio::test]
    async fn the_daily_cap_counts_earlier_use() {
        let a = Fake::new("a", vec![Ok(firmo(Some(5), None, None))]);
        let limits = ProviderLimits {
            daily_cap: Some(10),
            ..fast()
        };
        // Eight requests were sent earlier today: two are left.
        let g = Arc::new(Guarded::new(a.clone(), limits, 8));
        let mut ok = 0;
        for _ in 0..5 {
            ok += usize::from(g.call(Kind::Firmographic, &target()).await.is_ok());
        }
        assert_eq!((ok, a.calls()), (2, 2));
        assert_eq!(g.usage().quota_rejections, 3);
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_requests() {
        let a = Fake::new("a", vec![Err(ProviderError::NotFound)]);
        let g = guard(
            a.clone(),
            ProviderLimits {
                per_second: 20.0,
                ..fast()
            },
        );
        let t = Instant::now();
        for _ in 0..5 {
            let _ = g.call(Kind::Firmographic, &target()).await;
        }
        // Four gaps of 50 ms after the first request.
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
    }
}
