//! GATEKEEPER: robots.txt (cached for 24 hours) and a verdict per domain,
//! and the [`DomainSession`] the domain's worker will fetch through.

use std::sync::Arc;

use anyhow::Result;

use super::Shared;
use super::plan::DomainPlan;
use super::session::{Budget, DomainSession, SessionStart, fetch_robots, robots_reached, today};
use crate::model::AccessVerdict;
use crate::store::crawl::DomainAccess;

/// The gatekeeper's result for one domain.
pub struct Gate {
    pub verdict: AccessVerdict,
    pub reason: Option<String>,
    pub session: DomainSession,
    /// A freshly fetched robots.txt (text, Crawl-delay) to cache.
    pub robots_cache: Option<(String, Option<f64>)>,
}

fn fresh_robots(cached: Option<&DomainAccess>) -> Option<String> {
    let c = cached?;
    let at = c.robots_fetched_at.as_deref()?;
    let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    let age = chrono::Utc::now() - t.with_timezone(&chrono::Utc);
    (age < chrono::Duration::hours(24)).then(|| c.robots_txt.clone())?
}

/// Reads robots.txt for a domain and decides whether it may be crawled at
/// all: disallowed when robots.txt forbids every entry URL, unreachable
/// when robots.txt itself cannot be reached (RFC 9309: assume disallow).
/// Writes nothing; the caller stores the verdict (a dry run does not).
pub(crate) async fn gatekeeper(
    sh: &Shared,
    plan: &DomainPlan,
    entry_urls: &[(String, Option<String>)],
) -> Result<Gate> {
    let ua = sh.settings.user_agent.clone();
    let rate = sh.rate_for(plan);
    let domain = plan.domain.clone();
    let (cached, used) = sh
        .read(move |s| {
            Ok((
                s.domain_access(&domain)?,
                s.requests_today(&domain, &today())?,
            ))
        })
        .await?;
    let mut requests = 0;
    let mut robots_cache = None;
    let policy = match fresh_robots(cached.as_ref()) {
        Some(txt) if !sh.opts.force_full => super::robots::RobotsPolicy::parse(&ua, txt.as_bytes()),
        _ => {
            // robots.txt is fetched before the pacer exists (its Crawl-delay
            // sets the pace); the first page request waits a full interval.
            let robots_url = plan.robots_base.join("/robots.txt")?;
            requests += 1;
            let (p, txt) = fetch_robots(&sh.fetcher, &ua, &robots_url).await;
            if robots_reached(&p) {
                robots_cache = Some((txt.unwrap_or_default(), p.crawl_delay));
            }
            p
        }
    };
    let (verdict, reason) = if !robots_reached(&policy) {
        let why = match &policy.source {
            super::robots::RobotsSource::Unreachable(why) => why.clone(),
            _ => String::new(),
        };
        (
            AccessVerdict::Unreachable,
            Some(format!("robots.txt unreachable: {why}")),
        )
    } else {
        let blocked = entry_urls
            .iter()
            .filter(|(u, _)| !policy.allowed(u))
            .count();
        if !entry_urls.is_empty() && blocked == entry_urls.len() {
            let d = policy.decide(&entry_urls[0].0);
            (AccessVerdict::RobotsDisallowed, Some(d.reason))
        } else {
            (
                AccessVerdict::Allowed,
                policy
                    .parse_error
                    .clone()
                    .map(|e| format!("robots.txt unparseable, treated as allow-all: {e}")),
            )
        }
    };
    let writer = sh.writer.clone();
    if requests > 0
        && let Some(w) = &writer
    {
        let domain = plan.domain.clone();
        let day = today();
        w.submit(move |s| s.count_request(&domain, &day)).await?;
    }
    let session = DomainSession::new(
        SessionStart {
            domain: plan.domain.clone(),
            entry: plan.robots_base.clone(),
            rate,
            policy,
            requests,
            budget: Budget {
                cap: rate.daily_cap,
                used: used + requests as u32,
            },
        },
        sh.session_cfg.clone(),
        sh.fetcher.clone(),
        writer,
        Arc::clone(&sh.counters),
    );
    if sh.opts.politeness && requests > 0 {
        session.pacer.wait().await; // the robots.txt request used the first slot
    }
    Ok(Gate {
        verdict,
        reason,
        session,
        robots_cache,
    })
}
