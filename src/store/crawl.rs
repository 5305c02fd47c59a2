//! The crawl's tables: the frontier (`url_queue`), fetched `pages`, the
//! gatekeeper's `domain_access` verdicts and the `dead_letter` table.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::model::{AccessVerdict, Delta, PageType, UrlStatus, now_string};

/// One URL of the frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedUrl {
    pub id: i64,
    pub url: String,
    pub domain: String,
    pub association_code: Option<String>,
    pub hint: Option<String>,
    pub depth: i64,
    pub attempts: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: Option<String>,
    pub last_status: Option<i64>,
    pub fetched_before: bool,
}

/// A URL to add to the frontier. Owned, so it can travel to the writer.
#[derive(Debug, Clone, Default)]
pub struct NewUrl {
    pub url: String,
    pub domain: String,
    pub association_code: Option<String>,
    pub hint: Option<String>,
    pub depth: i64,
    pub priority: i64,
    pub discovered_from: Option<String>,
    pub job_id: Option<i64>,
}

/// Conditional-GET validators and the content hash of a fetched URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: Option<String>,
}

/// How one URL of the frontier ended this time.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlOutcome {
    pub id: i64,
    pub status: UrlStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub attempts: i64,
    pub validators: Option<Validators>,
    pub redirected_to: Option<String>,
}

impl UrlOutcome {
    /// An outcome with only the status set.
    pub fn new(id: i64, status: UrlStatus, attempts: i64) -> Self {
        Self {
            id,
            status,
            http_status: None,
            error: None,
            attempts,
            validators: None,
            redirected_to: None,
        }
    }
}

/// A fetched page to store (upsert by URL).
#[derive(Debug, Clone)]
pub struct PageWrite {
    pub url: String,
    pub final_url: Option<String>,
    pub domain: String,
    pub association_code: Option<String>,
    pub status_code: u16,
    pub content_type: Option<String>,
    pub charset: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub bytes: usize,
    pub content_hash: Option<String>,
    pub page_type: PageType,
    pub evidence: String,
    pub confidence: f32,
    pub delta: Delta,
    pub job_id: Option<i64>,
}

/// A URL given up on, for `dead_letter` (its history is appended).
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterWrite {
    pub url: String,
    pub domain: Option<String>,
    pub phase: String,
    pub job_id: Option<i64>,
    pub status_code: Option<u16>,
    pub error: String,
    pub attempts: i64,
    pub history: Vec<serde_json::Value>,
}

/// The gatekeeper's record for one domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainAccess {
    pub domain: String,
    pub verdict: AccessVerdict,
    pub reason: Option<String>,
    pub robots_txt: Option<String>,
    pub crawl_delay_secs: Option<f64>,
    pub checked_at: String,
    pub robots_fetched_at: Option<String>,
}

/// One row of `dead_letter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    pub url: String,
    pub domain: Option<String>,
    pub phase: String,
    pub status_code: Option<i64>,
    pub error: String,
    pub attempts: i64,
    pub history: String,
    pub requeued_at: Option<String>,
}

/// Counts of the frontier by status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FrontierCounts {
    pub pending: i64,
    pub in_progress: i64,
    pub done: i64,
    pub failed: i64,
    pub skipped: i64,
    pub dead: i64,
}

const DOMAIN_ACCESS_COLUMNS: &str =
    "domain, verdict, reason, robots_txt, crawl_delay_secs, checked_at, robots_fetched_at";

fn domain_access_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DomainAccess> {
    let verdict: String = r.get(1)?;
    Ok(DomainAccess {
        domain: r.get(0)?,
        verdict: AccessVerdict::parse(&verdict).unwrap_or(AccessVerdict::Unknown),
        reason: r.get(2)?,
        robots_txt: r.get(3)?,
        crawl_delay_secs: r.get(4)?,
        checked_at: r.get(5)?,
        robots_fetched_at: r.get(6)?,
    })
}

fn trailing_slash_twin(url: &str) -> String {
    match url.split_once('?') {
        Some((p, q)) => match p.strip_suffix('/') {
            Some(s) if !s.ends_with('/') && s.matches('/').count() > 2 => format!("{s}?{q}"),
            _ if p.matches('/').count() > 2 => format!("{p}/?{q}"),
            _ => url.to_string(),
        },
        None => match url.strip_suffix('/') {
            Some(s) if s.matches('/').count() > 2 => s.to_string(),
            Some(_) => url.to_string(),
            None => format!("{url}/"),
        },
    }
}

impl Store {
    /// Adds a URL to the frontier unless it (or its trailing-slash twin) is
    /// already there. Returns true when it was new.
    pub fn enqueue_url(&self, u: &NewUrl) -> Result<bool> {
        let twin = trailing_slash_twin(&u.url);
        let exists: bool = self
            .conn()
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM url_queue WHERE url IN (?1, ?2))")?
            .query_row(params![u.url, twin], |r| r.get(0))?;
        if exists {
            return Ok(false);
        }
        let now = now_string();
        let n = self.conn().prepare_cached(
            "INSERT OR IGNORE INTO url_queue
               (url, domain, association_code, hint, depth, priority, discovered_from, job_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        )?.execute(
            params![
                u.url,
                u.domain,
                u.association_code,
                u.hint,
                u.depth,
                u.priority,
                u.discovered_from,
                u.job_id,
                now
            ],
        )?;
        Ok(n > 0)
    }

    /// Is this URL (or its trailing-slash twin) in the frontier already?
    pub fn url_known(&self, url: &str) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS(SELECT 1 FROM url_queue WHERE url IN (?1, ?2))",
            params![url, trailing_slash_twin(url)],
            |r| r.get(0),
        )?)
    }

    /// URLs left `in_progress` by a crawl that was killed go back to `pending`.
    pub fn reset_in_progress(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE url_queue SET status = 'pending', updated_at = ?1 WHERE status = 'in_progress'",
            params![now_string()],
        )?)
    }

    /// Number of pending URLs of a domain.
    pub fn pending_count(&self, domain: &str) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM url_queue WHERE domain = ?1 AND status = 'pending'",
            params![domain],
            |r| r.get(0),
        )?)
    }

    /// Starts a re-crawl of a domain whose previous crawl finished: every URL
    /// that returned content before goes back to `pending` (keeping its
    /// validators for a conditional request), and so do skipped URLs (robots
    /// rules and login walls change) and pages found deleted. Dead letters
    /// wait for `--retry-dead-letters`. A domain with pending URLs is
    /// resumed instead and nothing is re-queued. Returns the URLs re-queued.
    pub fn requeue_for_recrawl(&self, domain: &str) -> Result<usize> {
        if self.pending_count(domain)? > 0 {
            return Ok(0);
        }
        Ok(self.conn().execute(
            "UPDATE url_queue SET status = 'pending', attempts = 0, error = NULL, updated_at = ?2
             WHERE domain = ?1 AND (
                   status = 'done' AND (last_status BETWEEN 200 AND 299 OR last_status = 304)
                OR status = 'skipped'
                OR status = 'failed' AND last_status IN (404, 410))",
            params![domain, now_string()],
        )?)
    }

    /// Makes a known URL a seed: depth 0, top priority, the seed's hint and
    /// association (it may have been found earlier as an ordinary link).
    pub fn promote_seed(&self, url: &str, hint: &str, association: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE url_queue SET depth = 0, priority = 100, hint = ?2,
                    association_code = coalesce(?3, association_code)
             WHERE url IN (?1, ?4)",
            params![url, hint, association, trailing_slash_twin(url)],
        )?;
        Ok(())
    }

    /// Marks `alias` (where `url` redirected to) as done without a fetch of
    /// its own, unless it is already being crawled under its own name.
    pub fn mark_alias_done(&self, alias: &str, url: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE url_queue SET status = 'done', error = ?2, updated_at = ?3
             WHERE url = ?1 AND status = 'pending' AND last_fetched_at IS NULL",
            params![alias, format!("fetched as {url} (redirect)"), now_string()],
        )?;
        Ok(())
    }

    /// Puts one known URL back to pending (a seed on a re-crawl).
    pub fn requeue_url(&self, url: &str) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE url_queue SET status = 'pending', attempts = 0, error = NULL, updated_at = ?2
             WHERE url IN (?1, ?3) AND status NOT IN ('pending', 'in_progress')",
            params![url, now_string(), trailing_slash_twin(url)],
        )? > 0)
    }

    /// Up to `limit` pending URLs of a domain, most important first, and
    /// marks them `in_progress`.
    pub fn claim_pending(&self, domain: &str, limit: usize) -> Result<Vec<QueuedUrl>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, url, domain, association_code, hint, depth, attempts, etag, last_modified,
                    content_hash, last_status, last_fetched_at IS NOT NULL
             FROM url_queue WHERE domain = ?1 AND status = 'pending'
             ORDER BY priority DESC, id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![domain, limit as i64], |r| {
                Ok(QueuedUrl {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    domain: r.get(2)?,
                    association_code: r.get(3)?,
                    hint: r.get(4)?,
                    depth: r.get(5)?,
                    attempts: r.get(6)?,
                    etag: r.get(7)?,
                    last_modified: r.get(8)?,
                    content_hash: r.get(9)?,
                    last_status: r.get(10)?,
                    fetched_before: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let now = now_string();
        for q in &rows {
            self.conn().execute(
                "UPDATE url_queue SET status = 'in_progress', updated_at = ?2 WHERE id = ?1",
                params![q.id, now],
            )?;
        }
        Ok(rows)
    }

    /// Pending URLs of a domain without claiming them (for `--dry-run`).
    pub fn pending_urls(&self, domain: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut stmt = self.conn().prepare(
            "SELECT url, hint FROM url_queue WHERE domain = ?1 AND status = 'pending' ORDER BY priority DESC, id",
        )?;
        let rows = stmt
            .query_map(params![domain], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Domains with pending URLs.
    pub fn domains_with_pending(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT domain FROM url_queue WHERE status = 'pending' ORDER BY domain",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records the outcome of one URL: its status (pending again to retry
    /// later), HTTP status, error, validators and redirect target.
    pub fn finish_url(&self, o: &UrlOutcome) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "UPDATE url_queue SET status = ?2, last_status = coalesce(?3, last_status), error = ?4,
                    attempts = ?5, updated_at = ?6, redirected_to = coalesce(?7, redirected_to),
                    last_fetched_at = CASE WHEN ?3 IS NOT NULL THEN ?6 ELSE last_fetched_at END
             WHERE id = ?1",
            params![
                o.id,
                o.status.as_str(),
                o.http_status,
                o.error,
                o.attempts,
                now,
                o.redirected_to
            ],
        )?;
        if let Some(v) = &o.validators {
            self.conn().execute(
                "UPDATE url_queue SET etag = ?2, last_modified = ?3, content_hash = coalesce(?4, content_hash)
                 WHERE id = ?1",
                params![o.id, v.etag, v.last_modified, v.content_hash],
            )?;
        }
        Ok(())
    }

    /// Stores a fetched page (one row per URL; a re-fetch replaces it).
    pub fn save_page(&self, p: &PageWrite) -> Result<()> {
        self.conn().execute(
            "INSERT INTO pages (url, final_url, domain, association_code, status_code, content_type, charset,
                                title, body, bytes, content_hash, page_type, classification_evidence,
                                classification_confidence, delta, fetched_at, job_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT(url) DO UPDATE SET
                final_url = excluded.final_url, domain = excluded.domain,
                association_code = coalesce(excluded.association_code, pages.association_code),
                status_code = excluded.status_code, content_type = excluded.content_type,
                charset = excluded.charset, title = excluded.title, body = excluded.body,
                bytes = excluded.bytes, content_hash = excluded.content_hash,
                page_type = excluded.page_type,
                classification_evidence = excluded.classification_evidence,
                classification_confidence = excluded.classification_confidence,
                delta = excluded.delta, fetched_at = excluded.fetched_at, job_id = excluded.job_id",
            params![
                p.url,
                p.final_url,
                p.domain,
                p.association_code,
                p.status_code,
                p.content_type,
                p.charset,
                p.title,
                p.body,
                p.bytes as i64,
                p.content_hash,
                p.page_type.as_str(),
                p.evidence,
                p.confidence as f64,
                p.delta.as_str(),
                now_string(),
                p.job_id
            ],
        )?;
        Ok(())
    }

    /// Marks a stored page's delta (`unchanged` on a 304, `deleted` on a 404).
    pub fn set_page_delta(&self, url: &str, delta: Delta, job_id: Option<i64>) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE pages SET delta = ?2, job_id = coalesce(?3, job_id), fetched_at = ?4 WHERE url = ?1",
            params![url, delta.as_str(), job_id, now_string()],
        )? > 0)
    }

    /// The stored page type of a URL.
    pub fn page_type_of(&self, url: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT page_type FROM pages WHERE url = ?1",
                params![url],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Records the gatekeeper's verdict for a domain.
    pub fn set_domain_access(
        &self,
        domain: &str,
        verdict: AccessVerdict,
        reason: Option<&str>,
        robots: Option<(&str, Option<f64>)>,
    ) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "INSERT INTO domain_access (domain, verdict, reason, checked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(domain) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
                 checked_at = excluded.checked_at",
            params![domain, verdict.as_str(), reason, now],
        )?;
        if let Some((txt, delay)) = robots {
            self.conn().execute(
                "UPDATE domain_access SET robots_txt = ?2, crawl_delay_secs = ?3, robots_fetched_at = ?4
                 WHERE domain = ?1",
                params![domain, txt, delay, now],
            )?;
        }
        Ok(())
    }

    pub fn domain_access(&self, domain: &str) -> Result<Option<DomainAccess>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {DOMAIN_ACCESS_COLUMNS} FROM domain_access WHERE domain = ?1"),
                params![domain],
                domain_access_row,
            )
            .optional()?)
    }

    pub fn domain_accesses(&self) -> Result<Vec<DomainAccess>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {DOMAIN_ACCESS_COLUMNS} FROM domain_access ORDER BY domain"
        ))?;
        let rows = stmt
            .query_map([], domain_access_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Requests already made to a domain today (UTC), for the daily cap.
    pub fn requests_today(&self, domain: &str, day: &str) -> Result<u32> {
        Ok(self
            .conn()
            .query_row(
                "SELECT CASE WHEN budget_day = ?2 THEN requests_today ELSE 0 END
                 FROM domain_access WHERE domain = ?1",
                params![domain, day],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0)
            .max(0) as u32)
    }

    /// Counts one request against a domain's daily budget.
    pub fn count_request(&self, domain: &str, day: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO domain_access (domain, verdict, checked_at, budget_day, requests_today)
             VALUES (?1, 'unknown', ?3, ?2, 1)
             ON CONFLICT(domain) DO UPDATE SET
               requests_today = CASE WHEN budget_day = ?2 THEN requests_today + 1 ELSE 1 END,
               budget_day = ?2",
            params![domain, day, now_string()],
        )?;
        Ok(())
    }

    /// Records a URL that failed after its retries (history appended).
    pub fn add_dead_letter(&self, d: &DeadLetterWrite) -> Result<()> {
        let now = now_string();
        let old: Option<String> = self
            .conn()
            .query_row(
                "SELECT history FROM dead_letter WHERE url = ?1 AND phase = ?2",
                params![d.url, d.phase],
                |r| r.get(0),
            )
            .optional()?;
        let mut all: Vec<serde_json::Value> = old
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default();
        all.extend(d.history.iter().cloned());
        let hist = serde_json::Value::Array(all).to_string();
        self.conn().execute(
            "INSERT INTO dead_letter (url, domain, phase, job_id, status_code, error, attempts, history,
                                      created_at, last_failed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT(url, phase) DO UPDATE SET job_id = excluded.job_id,
                status_code = excluded.status_code, error = excluded.error,
                attempts = dead_letter.attempts + excluded.attempts, history = excluded.history,
                last_failed_at = excluded.last_failed_at, requeued_at = NULL",
            params![
                d.url,
                d.domain,
                d.phase,
                d.job_id,
                d.status_code,
                d.error,
                d.attempts,
                hist,
                now
            ],
        )?;
        Ok(())
    }

    /// Dead letters not yet re-queued (all when `include_requeued`).
    pub fn dead_letters(&self, include_requeued: bool) -> Result<Vec<DeadLetter>> {
        let mut stmt = self.conn().prepare(
            "SELECT url, domain, phase, status_code, error, attempts, history, requeued_at
             FROM dead_letter WHERE ?1 OR requeued_at IS NULL ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![include_requeued], |r| {
                Ok(DeadLetter {
                    url: r.get(0)?,
                    domain: r.get(1)?,
                    phase: r.get(2)?,
                    status_code: r.get(3)?,
                    error: r.get(4)?,
                    attempts: r.get(5)?,
                    history: r.get(6)?,
                    requeued_at: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Puts the un-requeued dead letters of a phase and domain back into the frontier.
    pub fn requeue_dead_letters(&self, phase: &str, domain: &str) -> Result<usize> {
        let now = now_string();
        let n = self.conn().execute(
            "UPDATE url_queue SET status = 'pending', attempts = 0, error = NULL, updated_at = ?2
             WHERE status = 'dead' AND domain = ?3 AND url IN
               (SELECT url FROM dead_letter WHERE phase = ?1 AND requeued_at IS NULL)",
            params![phase, now, domain],
        )?;
        self.conn().execute(
            "UPDATE dead_letter SET requeued_at = ?2
             WHERE phase = ?1 AND requeued_at IS NULL AND domain = ?3",
            params![phase, now, domain],
        )?;
        Ok(n)
    }

    pub fn frontier_counts(&self) -> Result<FrontierCounts> {
        let mut c = FrontierCounts::default();
        let mut stmt = self
            .conn()
            .prepare("SELECT status, count(*) FROM url_queue GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (s, n) = row?;
            match s.as_str() {
                "pending" => c.pending = n,
                "in_progress" => c.in_progress = n,
                "done" => c.done = n,
                "failed" => c.failed = n,
                "skipped" => c.skipped = n,
                "dead" => c.dead = n,
                _ => {}
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    fn new(url: &str) -> NewUrl {
        NewUrl {
            url: url.into(),
            domain: "a.example".into(),
            ..Default::default()
        }
    }

    fn letter(url: &str, status: u16, attempts: i64) -> DeadLetterWrite {
        DeadLetterWrite {
            url: url.into(),
            domain: Some("a.example".into()),
            phase: "discovery".into(),
            job_id: None,
            status_code: Some(status),
            error: format!("HTTP {status}"),
            attempts,
            history: vec![serde_json::json!({"status": status})],
        }
    }

    #[test]
    fn twin_urls_are_not_queued_twice() {
        let (_d, s) = store();
        assert!(s.enqueue_url(&new("http://a.example/dir/")).unwrap());
        assert!(!s.enqueue_url(&new("http://a.example/dir")).unwrap());
        assert!(!s.enqueue_url(&new("http://a.example/dir/")).unwrap());
        assert!(s.enqueue_url(&new("http://a.example/dir/?page=2")).unwrap());
        assert!(!s.enqueue_url(&new("http://a.example/dir?page=2")).unwrap());
        assert!(s.enqueue_url(&new("http://a.example/")).unwrap());
        assert_eq!(s.frontier_counts().unwrap().pending, 3);
    }

    #[test]
    fn claim_marks_in_progress_and_reset_recovers() {
        let (_d, s) = store();
        s.enqueue_url(&new("http://a.example/1")).unwrap();
        s.enqueue_url(&new("http://a.example/2")).unwrap();
        let got = s.claim_pending("a.example", 1).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(s.frontier_counts().unwrap().in_progress, 1);
        assert_eq!(s.reset_in_progress().unwrap(), 1);
        assert_eq!(s.frontier_counts().unwrap().pending, 2);
    }

    #[test]
    fn recrawl_requeues_only_finished_domains_with_content() {
        let (_d, s) = store();
        s.enqueue_url(&new("http://a.example/ok")).unwrap();
        s.enqueue_url(&new("http://a.example/gone")).unwrap();
        for q in s.claim_pending("a.example", 10).unwrap() {
            let code = if q.url.ends_with("ok") { 200 } else { 404 };
            // A first-time 404 is a dead letter; it waits for --retry-dead-letters.
            let st = if code == 200 {
                UrlStatus::Done
            } else {
                UrlStatus::Dead
            };
            let mut o = UrlOutcome::new(q.id, st, 1);
            o.http_status = Some(code);
            o.validators = Some(Validators {
                etag: Some("\"e\"".into()),
                last_modified: None,
                content_hash: Some("h".into()),
            });
            s.finish_url(&o).unwrap();
        }
        s.enqueue_url(&new("http://a.example/private")).unwrap();
        let p = s.claim_pending("a.example", 10).unwrap().remove(0);
        let mut o = UrlOutcome::new(p.id, UrlStatus::Skipped, 0);
        o.error = Some("robots.txt".into());
        s.finish_url(&o).unwrap();
        // The page with content comes back, and so does the robots skip
        // (rules change); the dead letter does not.
        assert_eq!(s.requeue_for_recrawl("a.example").unwrap(), 2);
        let mut q = s.claim_pending("a.example", 10).unwrap();
        q.retain(|x| x.url.ends_with("ok"));
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].etag.as_deref(), Some("\"e\""));
        assert!(q[0].fetched_before);
        // With work pending, a re-crawl resumes instead of re-queueing.
        s.reset_in_progress().unwrap();
        assert_eq!(s.requeue_for_recrawl("a.example").unwrap(), 0);
    }

    #[test]
    fn dead_letters_accumulate_history_and_requeue() {
        let (_d, s) = store();
        s.enqueue_url(&new("http://a.example/x")).unwrap();
        let q = s.claim_pending("a.example", 1).unwrap().remove(0);
        let mut o = UrlOutcome::new(q.id, UrlStatus::Dead, 5);
        o.http_status = Some(503);
        s.finish_url(&o).unwrap();
        s.add_dead_letter(&letter(&q.url, 503, 5)).unwrap();
        s.add_dead_letter(&letter(&q.url, 500, 2)).unwrap();
        let d = s.dead_letters(false).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].attempts, 7);
        assert_eq!(d[0].error, "HTTP 500");
        let hist: Vec<serde_json::Value> = serde_json::from_str(&d[0].history).unwrap();
        assert_eq!(hist.len(), 2);
        assert_eq!(s.requeue_dead_letters("discovery", "b.example").unwrap(), 0);
        assert_eq!(s.requeue_dead_letters("discovery", "a.example").unwrap(), 1);
        assert_eq!(s.frontier_counts().unwrap().pending, 1);
        assert!(s.dead_letters(false).unwrap().is_empty());
    }

    #[test]
    fn daily_budget_resets_on_a_new_day() {
        let (_d, s) = store();
        s.count_request("a.example", "2026-11-23").unwrap();
        s.count_request("a.example", "2026-11-23").unwrap();
        assert_eq!(s.requests_today("a.example", "2026-11-23").unwrap(), 2);
        assert_eq!(s.requests_today("a.example", "2026-11-24").unwrap(), 0);
        s.count_request("a.example", "2026-11-24").unwrap();
        assert_eq!(s.requests_today("a.example", "2026-11-24").unwrap(), 1);
    }
}
