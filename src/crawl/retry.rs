//! One URL through a [`DomainSession`]: retries with backoff and
//! Retry-After, the circuit breaker, and redirects followed by hand so every
//! hop is paced, robots-checked and loop-checked.

use anyhow::Result;
use url::Url;

use super::fetch::Response;
use super::politeness::{self, BreakerState};
use super::report::bump;
use super::session::DomainSession;
use crate::normalize::urls as urlnorm;

/// How fetching one URL ended.
pub enum Fetched {
    /// A final response (2xx, 304, 4xx, or a 5xx that outlasted the retries).
    Response {
        resp: Response,
        hops: Vec<String>,
        attempts: i64,
        history: Vec<serde_json::Value>,
    },
    /// The redirect chain left the domain.
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

/// Stored validators that make the first request conditional.
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

fn retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The attempts at one request (one hop of a redirect chain).
struct Attempts {
    count: i64,
    history: Vec<serde_json::Value>,
}

impl DomainSession {
    /// GET with retries, backoff, Retry-After, redirects and the breaker.
    pub async fn fetch(&mut self, url: &Url, cond: &Conditional) -> Result<Fetched> {
        let mut current = url.clone();
        let mut hops: Vec<String> = Vec::new();
        let mut tries = Attempts {
            count: 0,
            history: Vec::new(),
        };
        loop {
            let first = hops.is_empty() && self.cfg.conditional;
            let resp = match self
                .attempt(&current, first.then_some(cond), &mut tries)
                .await?
            {
                Ok(r) => r,
                Err(done) => return Ok(done),
            };
            if !(300..400).contains(&resp.status) || resp.status == 304 {
                return Ok(Fetched::Response {
                    resp,
                    hops,
                    attempts: tries.count,
                    history: tries.history,
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
                    attempts: tries.count,
                    history: tries.history,
                });
            };
            bump(&self.counters.redirects);
            hops.push(current.to_string());
            let failed = |error: String, tries: Attempts| Fetched::Failed {
                error,
                status: Some(resp.status),
                attempts: tries.count,
                history: tries.history,
            };
            if target == *url || hops.iter().any(|h| h == target.as_str()) {
                hops.push(target.to_string());
                return Ok(failed(
                    format!("redirect loop: {}", hops.join(" -> ")),
                    tries,
                ));
            }
            if hops.len() > self.cfg.max_redirects {
                return Ok(failed(
                    format!(
                        "more than {} redirects: {} -> {target}",
                        self.cfg.max_redirects,
                        hops.join(" -> ")
                    ),
                    tries,
                ));
            }
            if urlnorm::domain_of(&target) != self.domain {
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

    /// One request with its retries: a response to look at, or how the
    /// URL ended when the retries ran out.
    async fn attempt(
        &mut self,
        url: &Url,
        cond: Option<&Conditional>,
        tries: &mut Attempts,
    ) -> Result<std::result::Result<Response, Fetched>> {
        let mut delays = politeness::backoff(self.cfg.backoff_min, self.cfg.max_retries);
        loop {
            match self.breaker.state() {
                BreakerState::Closed => {}
                BreakerState::Open(wait) => {
                    tracing::info!(domain = %self.domain, ?wait, "circuit open, waiting");
                    tokio::time::sleep(wait).await;
                }
                BreakerState::GiveUp => {
                    return Ok(Err(Fetched::Failed {
                        error: format!(
                            "circuit breaker: {} keeps failing ({} trips)",
                            self.domain,
                            self.breaker.trips()
                        ),
                        status: None,
                        attempts: tries.count,
                        history: std::mem::take(&mut tries.history),
                    }));
                }
            }
            if !self.slot(url).await? {
                return Ok(Err(Fetched::CapReached));
            }
            self.count_page_request();
            tries.count += 1;
            let at = crate::model::now_string();
            let outcome = self
                .fetcher
                .get(
                    url,
                    cond.and_then(|c| c.etag.as_deref()),
                    cond.and_then(|c| c.last_modified.as_deref()),
                )
                .await;
            let (retry_after, status, error) = match outcome {
                Ok(r) if retryable(r.status) => {
                    if r.status != 429 {
                        self.breaker.failure();
                    }
                    (r.retry_after, Some(r.status), format!("HTTP {}", r.status))
                }
                Ok(r) => {
                    self.breaker.success();
                    return Ok(Ok(r));
                }
                Err(e) => {
                    self.breaker.failure();
                    (None, None, e.to_string())
                }
            };
            tries.history.push(
                serde_json::json!({"at": at, "url": url.as_str(), "status": status, "error": error}),
            );
            let give_up = |error: String, tries: &mut Attempts| {
                Ok(Err(Fetched::Failed {
                    error,
                    status,
                    attempts: tries.count,
                    history: std::mem::take(&mut tries.history),
                }))
            };
            let Some(backoff) = delays.next() else {
                return give_up(
                    format!("{error} (gave up after {} attempts)", tries.count),
                    tries,
                );
            };
            let wait = match retry_after {
                Some(ra) if ra > self.cfg.max_retry_after => {
                    return give_up(
                        format!(
                            "{error} with Retry-After of {}s (more than the {}s we wait)",
                            ra.as_secs(),
                            self.cfg.max_retry_after.as_secs()
                        ),
                        tries,
                    );
                }
                Some(ra) => ra,
                None => backoff,
            };
            bump(&self.counters.retries);
            tracing::debug!(%url, %error, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}
