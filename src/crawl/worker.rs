//! A domain worker: claims its domain's frontier in batches and takes each
//! URL through robots.txt, the polite fetch and the page outcome. All
//! writes go to the one writer; between URLs it stops for pause and cancel.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Result;

use super::Shared;
use super::gatekeeper::Gate;
use super::plan::{DEAD_LETTER_PHASE, DomainPlan};
use super::report::{DomainReport, bump};
use super::retry::{Conditional, Fetched};
use super::session::DomainSession;
use crate::model::{AccessVerdict, Phase, PipelineEvent, UrlStatus};
use crate::normalize::urls as urlnorm;
use crate::store::crawl::{DeadLetterWrite, NewUrl, QueuedUrl, UrlOutcome};
use crate::store::{Checkpoint, Writer};

/// Why a URL was given up on.
pub(crate) struct Failure {
    pub error: String,
    pub status: Option<u16>,
    pub attempts: i64,
    pub history: Vec<serde_json::Value>,
}

impl Failure {
    pub fn new(error: impl Into<String>, status: Option<u16>) -> Self {
        Failure {
            error: error.into(),
            status,
            attempts: 0,
            history: Vec::new(),
        }
    }
}

/// URLs claimed at a time.
const CLAIM: usize = 16;

pub(crate) struct Worker {
    pub sh: Arc<Shared>,
    pub plan: DomainPlan,
    pub session: DomainSession,
    writer: Writer,
}

/// How the worker loop ended.
enum Stop {
    Drained,
    MaxPages,
    Cap,
    Cancelled,
}

pub(crate) async fn domain_worker(
    sh: Arc<Shared>,
    writer: Writer,
    plan: DomainPlan,
    gate: Gate,
) -> Result<DomainReport> {
    let started = Instant::now();
    let mut w = Worker {
        sh,
        plan,
        session: gate.session,
        writer,
    };
    let stop = w.run().await?;
    if matches!(stop, Stop::MaxPages) {
        w.sh.stop_max_pages.store(true, Ordering::SeqCst);
    }
    if matches!(stop, Stop::Cap) {
        let why = format!(
            "daily cap of {} requests reached; the rest waits for tomorrow",
            w.sh.rate_for(&w.plan).daily_cap.unwrap_or_default()
        );
        tracing::info!(domain = %w.plan.domain, "{why}");
        w.sh.events.emit(PipelineEvent::Warning {
            job_id: w.sh.job_id,
            message: format!("{}: {why}", w.plan.domain),
        });
    }
    let domain = w.plan.domain.clone();
    let (verdict, reason) = w
        .writer()
        .call(move |s| {
            Ok(s.domain_access(&domain)?
                .map(|d| (d.verdict, d.reason))
                .unwrap_or((AccessVerdict::Allowed, None)))
        })
        .await?;
    Ok(DomainReport {
        domain: w.plan.domain.clone(),
        verdict,
        reason,
        requests: w.session.requests,
        interval_secs: w.session.pacer.interval().as_secs_f64(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        daily_cap_reached: w.session.cap_reached,
    })
}

impl Worker {
    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    async fn run(&mut self) -> Result<Stop> {
        loop {
            if !self.sh.control.proceed().await {
                return Ok(Stop::Cancelled);
            }
            let domain = self.plan.domain.clone();
            let batch = self
                .writer()
                .call(move |s| s.claim_pending(&domain, CLAIM))
                .await?;
            if batch.is_empty() {
                return Ok(Stop::Drained);
            }
            let mut rest = batch.into_iter();
            while let Some(q) = rest.next() {
                if matches!(
                    self.session.breaker.state(),
                    super::politeness::BreakerState::GiveUp
                ) {
                    self.give_up_domain(q, rest).await?;
                    break;
                }
                // Cancel does not wait out a long Retry-After, backoff or
                // Crawl-delay: the URL goes back to pending for the resume.
                let control = self.sh.control.clone();
                let claimed = q.clone();
                let done = tokio::select! {
                    r = self.process(q) => Some(r?),
                    _ = control.cancelled() => None,
                };
                let Some(more) = done else {
                    self.put_back(&claimed).await?;
                    self.release(rest).await?;
                    return Ok(Stop::Cancelled);
                };
                if !more {
                    self.release(rest).await?;
                    return Ok(Stop::MaxPages);
                }
                if self.session.cap_reached {
                    self.release(rest).await?;
                    return Ok(Stop::Cap);
                }
                if self.sh.control.is_cancelled() || self.sh.control.is_paused() {
                    // Finish nothing half-way: the rest of the batch goes
                    // back to pending and the loop stops or waits above.
                    self.release(rest).await?;
                    break;
                }
            }
        }
    }

    /// The breaker gave up: the domain's claimed URLs become dead letters
    /// and the domain is marked unreachable.
    async fn give_up_domain(
        &mut self,
        first: QueuedUrl,
        rest: impl Iterator<Item = QueuedUrl>,
    ) -> Result<()> {
        let why = format!(
            "circuit breaker: {} gave up after {} trips of consecutive failures",
            self.plan.domain,
            self.session.breaker.trips()
        );
        self.dead(&first, Failure::new(why.clone(), None)).await?;
        for q in rest {
            self.dead(&q, Failure::new(why.clone(), None)).await?;
        }
        let domain = self.plan.domain.clone();
        self.writer()
            .submit(move |s| {
                s.set_domain_access(&domain, AccessVerdict::Unreachable, Some(&why), None)
            })
            .await
    }

    /// Puts claimed but unprocessed URLs back to pending.
    async fn release(&self, rest: impl Iterator<Item = QueuedUrl>) -> Result<()> {
        for q in rest {
            self.put_back(&q).await?;
        }
        Ok(())
    }

    /// Leaves a claimed URL pending for a later run (cap, budget, cancel).
    pub(crate) async fn put_back(&self, q: &QueuedUrl) -> Result<()> {
        self.finish(UrlOutcome::new(q.id, UrlStatus::Pending, q.attempts))
            .await
    }

    pub(crate) async fn finish(&self, o: UrlOutcome) -> Result<()> {
        self.writer().submit(move |s| s.finish_url(&o)).await
    }

    pub(crate) async fn dead(&self, q: &QueuedUrl, f: Failure) -> Result<()> {
        let Failure {
            error,
            status,
            attempts,
            history,
        } = f;
        let error = error.as_str();
        bump(&self.sh.counters.dead_letters);
        let mut o = UrlOutcome::new(q.id, UrlStatus::Dead, attempts);
        o.http_status = status;
        o.error = Some(error.to_string());
        let letter = DeadLetterWrite {
            url: q.url.clone(),
            domain: Some(q.domain.clone()),
            phase: DEAD_LETTER_PHASE.to_string(),
            job_id: self.sh.job_id,
            status_code: status,
            error: error.to_string(),
            attempts,
            history,
        };
        self.writer()
            .submit(move |s| {
                s.finish_url(&o)?;
                s.add_dead_letter(&letter)
            })
            .await?;
        tracing::warn!(url = %q.url, error, "dead letter");
        if let Some(job_id) = self.sh.job_id {
            self.sh.events.emit(PipelineEvent::DeadLetter {
                job_id,
                url: q.url.clone(),
                status,
                error: error.to_string(),
            });
        }
        Ok(())
    }

    /// Fetches, stores, classifies and mines one URL. Returns false (and
    /// leaves the URL pending) when `--max-pages` is used up.
    async fn process(&mut self, q: QueuedUrl) -> Result<bool> {
        let url = match urlnorm::normalize(&q.url) {
            Ok(u) => u,
            Err(e) => {
                let mut o = UrlOutcome::new(q.id, UrlStatus::Failed, q.attempts);
                o.error = Some(e.to_string());
                self.finish(o).await?;
                return Ok(true);
            }
        };
        let Some(decision) = self.session.robots_decide(&url).await? else {
            self.put_back(&q).await?; // the daily cap ran out before robots.txt was read
            return Ok(true);
        };
        if !decision.allowed {
            bump(&self.sh.counters.robots_skipped);
            let mut o = UrlOutcome::new(q.id, UrlStatus::Skipped, q.attempts);
            o.error = Some(format!("robots.txt: {}", decision.reason));
            self.finish(o).await?;
            return Ok(true);
        }
        // Reserve one of the --max-pages fetches (atomically across domains).
        let max = self.sh.opts.max_pages;
        let reserved = self.sh.counters.started.fetch_update(
            Ordering::SeqCst,
            Ordering::SeqCst,
            |n| match max {
                Some(max) if n >= max as u64 => None,
                _ => Some(n + 1),
            },
        );
        if reserved.is_err() {
            self.put_back(&q).await?;
            return Ok(false);
        }
        let cond = Conditional {
            etag: q.etag.clone(),
            last_modified: q.last_modified.clone(),
        };
        match self.session.fetch(&url, &cond).await? {
            Fetched::CapReached => self.put_back(&q).await?,
            Fetched::Failed {
                error,
                status,
                attempts,
                history,
            } => {
                let f = Failure {
                    error,
                    status,
                    attempts,
                    history,
                };
                self.dead(&q, f).await?
            }
            Fetched::Disallowed { target, reason } => {
                bump(&self.sh.counters.robots_skipped);
                let mut o = UrlOutcome::new(q.id, UrlStatus::Skipped, q.attempts + 1);
                o.error = Some(format!(
                    "redirects to {target}, which robots.txt disallows: {reason}"
                ));
                o.redirected_to = Some(target.to_string());
                self.finish(o).await?;
            }
            Fetched::OffSite { target, hops } => self.off_site(&q, target, hops.len()).await?,
            Fetched::Response {
                resp,
                hops,
                attempts,
                history,
            } => {
                let fetched = super::outcome::FetchedPage {
                    q: &q,
                    url: &url,
                    resp,
                    hops,
                    attempts,
                    history,
                };
                self.page_outcome(fetched).await?
            }
        }
        self.checkpoint().await?;
        Ok(true)
    }

    /// A redirect that left the domain: queued under its own domain when
    /// that domain is part of the crawl, else noted and dropped.
    async fn off_site(&self, q: &QueuedUrl, target: url::Url, hops: usize) -> Result<()> {
        let tdomain = urlnorm::domain_of(&target);
        let queue = self.sh.domains.contains(&tdomain).then(|| NewUrl {
            url: target.to_string(),
            domain: tdomain.clone(),
            association_code: q.association_code.clone(),
            hint: q.hint.clone(),
            depth: q.depth,
            priority: 50,
            discovered_from: Some(q.url.clone()),
            job_id: self.sh.job_id,
        });
        let mut o = UrlOutcome::new(q.id, UrlStatus::Done, q.attempts + hops as i64);
        o.http_status = Some(301);
        o.error = Some(if queue.is_some() {
            format!("redirects to {target} (queued under {tdomain})")
        } else {
            format!("redirects off-site to {target} (not crawled)")
        });
        o.redirected_to = Some(target.to_string());
        self.writer()
            .submit(move |s| {
                if let Some(n) = &queue {
                    s.enqueue_url(n)?;
                }
                s.finish_url(&o)
            })
            .await
    }

    /// Commits the DISCOVERY checkpoint (pages done) with the page's writes,
    /// and tells listeners every tenth page.
    async fn checkpoint(&self) -> Result<()> {
        let Some(job_id) = self.sh.job_id else {
            return Ok(());
        };
        let done = self.sh.counters.done();
        self.writer()
            .submit(move |s| {
                s.checkpoint(
                    job_id,
                    Phase::Discovery,
                    &Checkpoint {
                        done: done as i64,
                        total: None,
                        cursor: None,
                    },
                )
            })
            .await?;
        if done.is_multiple_of(10) {
            self.sh.events.emit(PipelineEvent::Progress {
                job_id,
                phase: Phase::Discovery,
                done,
                total: None,
                message: Some(format!("pages over {} domains", self.sh.domains.len())),
            });
        }
        Ok(())
    }

    pub(crate) fn page_event(&self, url: &str, status: u16, delta: crate::model::Delta) {
        if let Some(job_id) = self.sh.job_id {
            self.sh.events.emit(PipelineEvent::PageFetched {
                job_id,
                url: url.to_string(),
                status,
                delta,
            });
        }
    }
}
