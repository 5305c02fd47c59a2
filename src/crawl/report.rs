//! What a crawl did: counters shared by the domain workers while it runs,
//! and the report they add up to.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::model::{AccessVerdict, Delta, PageType};

/// Changes seen by a crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeltaStats {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

/// One domain's share of a crawl.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub verdict: AccessVerdict,
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
    /// The crawl stopped early because the job was cancelled.
    pub cancelled: bool,
    pub resumed_urls: u64,
    pub planned: Vec<PlannedUrl>,
}

impl CrawlReport {
    /// One sentence for the GATEKEEPER phase.
    pub fn gatekeeper_summary(&self) -> String {
        let allowed = self
            .domains
            .iter()
            .filter(|d| d.verdict == AccessVerdict::Allowed)
            .count();
        format!("{allowed} of {} domains may be crawled", self.domains.len())
    }

    /// One sentence for the DISCOVERY phase.
    pub fn discovery_summary(&self) -> String {
        let mut s = format!(
            "{} pages fetched over {} domains ({} new, {} changed, {} unchanged, {} deleted); {} requests, {} retries, {} dead letters",
            self.pages_stored + self.not_modified,
            self.domains.len(),
            self.delta.new,
            self.delta.changed,
            self.delta.unchanged,
            self.delta.deleted,
            self.requests,
            self.retries,
            self.dead_letters
        );
        if self.robots_skipped > 0 {
            s.push_str(&format!(
                "; {} URLs left alone for robots.txt",
                self.robots_skipped
            ));
        }
        if self.stopped_at_max_pages {
            s.push_str("; stopped at --max-pages");
        }
        s
    }

    /// One sentence for the CLASSIFICATION phase.
    pub fn classification_summary(&self) -> String {
        if self.page_types.is_empty() {
            return "no new pages to classify".into();
        }
        let parts: Vec<String> = self
            .page_types
            .iter()
            .map(|(t, n)| format!("{n} {}", t.replace('_', " ")))
            .collect();
        format!("classified {}", parts.join(", "))
    }
}

/// Counters the workers bump as they go.
#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub pages_stored: AtomicU64,
    pub not_modified: AtomicU64,
    pub new: AtomicU64,
    pub changed: AtomicU64,
    pub unchanged: AtomicU64,
    pub deleted: AtomicU64,
    pub robots_skipped: AtomicU64,
    pub login_walls: AtomicU64,
    pub redirects: AtomicU64,
    pub retries: AtomicU64,
    pub dead_letters: AtomicU64,
    pub bytes: AtomicU64,
    /// Page fetches started (for --max-pages).
    pub started: AtomicU64,
    pub page_types: Mutex<BTreeMap<String, u64>>,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub fn delta(&self, d: Delta) {
        bump(match d {
            Delta::New => &self.new,
            Delta::Changed => &self.changed,
            Delta::Unchanged => &self.unchanged,
            Delta::Deleted => &self.deleted,
        });
    }

    pub fn page_type(&self, t: PageType) {
        if let Ok(mut m) = self.page_types.lock() {
            *m.entry(t.as_str().to_string()).or_default() += 1;
        }
    }

    /// Pages handled so far (stored or confirmed unchanged).
    pub fn done(&self) -> u64 {
        self.pages_stored.load(Ordering::Relaxed) + self.not_modified.load(Ordering::Relaxed)
    }

    /// Copies the counters into `report`.
    pub fn fill(&self, report: &mut CrawlReport) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        report.requests = get(&self.requests);
        report.fetches = get(&self.started);
        report.pages_stored = get(&self.pages_stored);
        report.not_modified = get(&self.not_modified);
        report.delta = DeltaStats {
            new: get(&self.new),
            changed: get(&self.changed),
            unchanged: get(&self.unchanged),
            deleted: get(&self.deleted),
        };
        report.page_types = self
            .page_types
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        report.robots_skipped = get(&self.robots_skipped);
        report.login_walls = get(&self.login_walls);
        report.redirects = get(&self.redirects);
        report.retries = get(&self.retries);
        report.dead_letters = get(&self.dead_letters);
        report.bytes = get(&self.bytes);
    }
}
