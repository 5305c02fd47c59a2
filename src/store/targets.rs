//! Domain targets: the sites a domain-list or prospecting run reads, one row
//! per registrable domain across runs, so a re-run skips what is done and a
//! failed domain keeps its error (and a dead letter) instead of being tried
//! forever. `job_targets` says which targets each run covers.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::model::{MemberRecord, now_string};

/// The phase failed domains are filed under in `dead_letter`.
pub const TARGET_PHASE: &str = "discovery";

/// A domain to add to a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTarget {
    pub domain: String,
    pub input: String,
    /// `list:<file>` or `search:<provider>`.
    pub source: String,
    pub line: Option<usize>,
}

/// A target as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetRow {
    pub id: i64,
    pub domain: String,
    pub input: String,
    pub source: String,
    /// pending, done or failed.
    pub status: String,
    pub website: Option<String>,
    pub company_id: Option<i64>,
    pub error: Option<String>,
    pub attempts: i64,
}

/// What reading a target's site found: the company as its site shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteCompany {
    pub name: String,
    /// Where the name came from (og:site_name, title, ...).
    pub name_source: String,
    pub website: String,
    pub domain: String,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A site a prospecting search found (or a store company ranked when no
/// search key is set), with how it was found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewProspectLead {
    pub profile: String,
    /// tavily, or `store`.
    pub provider: String,
    pub query: Option<String>,
    pub rank: Option<usize>,
    pub url: String,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub snippet: Option<String>,
    /// Known at once for a store company.
    pub company_id: Option<i64>,
    pub fit: Option<f64>,
    pub qualified: bool,
}

/// A prospecting run's lead as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProspectLeadRow {
    pub id: i64,
    pub provider: String,
    pub query: Option<String>,
    pub rank: Option<i64>,
    pub url: String,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub fit: Option<f64>,
    pub qualified: bool,
}

/// How far a run's companies are from researched, contacted and scored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunGaps {
    /// Companies in the run's scope (its targets' companies; every active
    /// company for a run without targets).
    pub companies: i64,
    /// Targets not read yet, and failed ones.
    pub targets_pending: i64,
    pub targets_failed: i64,
    /// Companies with no firmographic or analysis research yet.
    pub lacking_research: i64,
    /// Companies without a contact.
    pub lacking_contacts: i64,
    /// Companies without an ICP score.
    pub lacking_scores: i64,
}

impl RunGaps {
    /// One short line for the TUI.
    pub fn short(&self) -> String {
        let mut s = format!(
            "{} companies · lacking research {}, contacts {}, score {}",
            self.companies, self.lacking_research, self.lacking_contacts, self.lacking_scores
        );
        if self.targets_pending + self.targets_failed > 0 {
            s.push_str(&format!(
                " · sites to read {}, failed {}",
                self.targets_pending, self.targets_failed
            ));
        }
        s
    }

    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} companies: {} lack research, {} lack contacts, {} lack an ICP score",
            self.companies, self.lacking_research, self.lacking_contacts, self.lacking_scores
        );
        if self.targets_pending > 0 || self.targets_failed > 0 {
            s.push_str(&format!(
                "; {} sites not read yet, {} failed",
                self.targets_pending, self.targets_failed
            ));
        }
        s
    }
}

fn target_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TargetRow> {
    Ok(TargetRow {
        id: r.get(0)?,
        domain: r.get(1)?,
        input: r.get(2)?,
        source: r.get(3)?,
        status: r.get(4)?,
        website: r.get(5)?,
        company_id: r.get(6)?,
        error: r.get(7)?,
        attempts: r.get(8)?,
    })
}

/// The address a failed domain's dead letter is filed under.
pub fn dead_letter_url(domain: &str) -> String {
    format!("http://{domain}/")
}

impl Store {
    /// Adds targets to job `job_id` (a domain already known keeps its row
    /// and state). With `retry`, failed targets among them go back to
    /// pending; with `force`, done ones too. Also pending again: failed
    /// targets whose dead letter was retried from the TUI.
    pub fn add_targets(
        &self,
        job_id: i64,
        targets: &[NewTarget],
        retry: bool,
        force: bool,
    ) -> Result<usize> {
        let now = now_string();
        let mut added = 0;
        self.savepoint(|s| {
            let c = s.conn();
            let mut ins = c.prepare_cached(
                "INSERT INTO domain_targets (domain, input, source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(domain) DO NOTHING",
            )?;
            let mut id_of = c.prepare_cached("SELECT id FROM domain_targets WHERE domain = ?1")?;
            let mut link = c.prepare_cached(
                "INSERT OR IGNORE INTO job_targets (job_id, target_id, line) VALUES (?1, ?2, ?3)",
            )?;
            let mut reset = c.prepare_cached(
                "UPDATE domain_targets SET status = 'pending', error = NULL, updated_at = ?2
                 WHERE id = ?1 AND (
                    (status = 'failed' AND (?3 OR ?4 OR EXISTS (
                        SELECT 1 FROM dead_letter d
                        WHERE d.url = ?5 AND d.phase = ?6 AND d.requeued_at IS NOT NULL)))
                    OR (status = 'done' AND ?4))",
            )?;
            for t in targets {
                ins.execute(params![t.domain, t.input, t.source, now])?;
                let id: i64 = id_of.query_row([&t.domain], |r| r.get(0))?;
                added += link.execute(params![job_id, id, t.line.map(|l| l as i64)])?;
                reset.execute(params![
                    id,
                    now,
                    retry,
                    force,
                    dead_letter_url(&t.domain),
                    TARGET_PHASE
                ])?;
            }
            Ok(())
        })?;
        Ok(added)
    }

    /// Job `job_id`'s targets, in the order they were added.
    pub fn job_targets(&self, job_id: i64) -> Result<Vec<TargetRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT t.id, t.domain, t.input, t.source, t.status, t.website, t.company_id,
                    t.error, t.attempts
             FROM job_targets j JOIN domain_targets t ON t.id = j.target_id
             WHERE j.job_id = ?1 ORDER BY j.rowid",
        )?;
        let rows = stmt.query_map([job_id], target_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The active companies of job `job_id`'s done targets.
    pub fn job_companies(&self, job_id: i64) -> Result<Vec<i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT t.company_id FROM job_targets j
             JOIN domain_targets t ON t.id = j.target_id
             WHERE j.job_id = ?1 AND t.status = 'done' AND t.company_id IS NOT NULL
             ORDER BY t.company_id",
        )?;
        let ids: Vec<i64> = stmt
            .query_map([job_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // A merge since: the surviving company stands for it.
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let s = self.surviving_company(id)?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// A target's site was read: its company found (same domain) or
    /// created, fields it lacks filled, the target marked done.
    pub fn target_done(&self, target_id: i64, site: &SiteCompany) -> Result<i64> {
        let rec = MemberRecord {
            name: site.name.clone(),
            website: Some(site.website.clone()),
            domain: Some(site.domain.clone()),
            phone: site.phone.clone(),
            street: site.street.clone(),
            city: site.city.clone(),
            state: site.state.clone(),
            postal_code: site.postal_code.clone(),
            country: site.country.clone(),
            source_url: site.website.clone(),
            extractor: format!("site:{}", site.name_source),
            confidence: 0.7,
            ..Default::default()
        };
        let key = crate::normalize::name_key(&site.name);
        let mut company = 0;
        self.savepoint(|s| {
            company = s.upsert_company_from_member(&rec, &key)?;
            s.conn().execute(
                "UPDATE domain_targets SET status = 'done', website = ?2, company_id = ?3,
                    error = NULL, attempts = attempts + 1, updated_at = ?4
                 WHERE id = ?1",
                params![target_id, site.website, company, now_string()],
            )?;
            Ok(())
        })?;
        Ok(company)
    }

    /// A target's site could not be read: the target failed with `error`,
    /// and a dead letter says so.
    pub fn target_failed(&self, target_id: i64, job_id: Option<i64>, error: &str) -> Result<()> {
        let domain: Option<String> = self
            .conn()
            .query_row(
                "SELECT domain FROM domain_targets WHERE id = ?1",
                [target_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(domain) = domain else {
            anyhow::bail!("there is no domain target {target_id}");
        };
        self.savepoint(|s| {
            s.conn().execute(
                "UPDATE domain_targets SET status = 'failed', error = ?2,
                    attempts = attempts + 1, updated_at = ?3
                 WHERE id = ?1",
                params![target_id, error, now_string()],
            )?;
            s.add_dead_letter(&super::crawl::DeadLetterWrite {
                url: dead_letter_url(&domain),
                domain: Some(domain.clone()),
                phase: TARGET_PHASE.into(),
                job_id,
                status_code: None,
                error: error.to_string(),
                attempts: 1,
                history: vec![serde_json::json!({"at": now_string(), "error": error})],
            })
        })
    }

    /// Records a prospecting run's leads.
    pub fn add_prospect_leads(&self, job_id: i64, leads: &[NewProspectLead]) -> Result<()> {
        let now = now_string();
        self.savepoint(|s| {
            let mut ins = s.conn().prepare_cached(
                "INSERT INTO prospect_leads (job_id, profile, provider, query, rank, url, domain,
                    title, snippet, company_id, fit, qualified, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for l in leads {
                ins.execute(params![
                    job_id,
                    l.profile,
                    l.provider,
                    l.query,
                    l.rank.map(|r| r as i64),
                    l.url,
                    l.domain,
                    l.title,
                    l.snippet,
                    l.company_id,
                    l.fit,
                    l.qualified,
                    now
                ])?;
            }
            Ok(())
        })
    }

    /// Ties job `job_id`'s search leads to the companies their sites
    /// became and to those companies' fit for `profile`; a lead qualifies
    /// at `min_fit` or better. Returns (qualified, leads).
    pub fn qualify_prospect_leads(
        &self,
        job_id: i64,
        profile: &str,
        min_fit: f64,
    ) -> Result<(usize, usize)> {
        self.savepoint(|s| {
            s.conn().execute(
                "UPDATE prospect_leads SET
                    target_id = (SELECT t.id FROM domain_targets t
                                 WHERE t.domain = prospect_leads.domain),
                    company_id = (SELECT t.company_id FROM domain_targets t
                                  WHERE t.domain = prospect_leads.domain AND t.status = 'done')
                 WHERE job_id = ?1 AND provider != 'store'",
                [job_id],
            )?;
            // A company merged since: its survivor.
            let ids: Vec<(i64, i64)> = {
                let mut stmt = s.conn().prepare(
                    "SELECT id, company_id FROM prospect_leads
                     WHERE job_id = ?1 AND company_id IS NOT NULL",
                )?;
                stmt.query_map([job_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for (lead, company) in ids {
                let survivor = s.surviving_company(company)?;
                if survivor != company {
                    s.conn().execute(
                        "UPDATE prospect_leads SET company_id = ?2 WHERE id = ?1",
                        params![lead, survivor],
                    )?;
                }
            }
            s.conn().execute(
                "UPDATE prospect_leads SET
                    fit = (SELECT i.fit FROM icp_scores i
                           WHERE i.profile = ?2 AND i.company_id = prospect_leads.company_id),
                    qualified = coalesce((SELECT i.fit >= ?3 FROM icp_scores i
                           WHERE i.profile = ?2 AND i.company_id = prospect_leads.company_id), 0)
                 WHERE job_id = ?1",
                params![job_id, profile, min_fit],
            )?;
            Ok(())
        })?;
        let (q, n): (i64, i64) = self.conn().query_row(
            "SELECT coalesce(sum(qualified), 0), count(*) FROM prospect_leads WHERE job_id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((q as usize, n as usize))
    }

    /// Job `job_id`'s prospect leads, best fit first.
    pub fn prospect_leads(&self, job_id: i64) -> Result<Vec<ProspectLeadRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT p.id, p.provider, p.query, p.rank, p.url, p.domain, p.title, p.company_id,
                    c.name, p.fit, p.qualified
             FROM prospect_leads p LEFT JOIN companies c ON c.id = p.company_id
             WHERE p.job_id = ?1 ORDER BY p.fit IS NULL, p.fit DESC, p.id",
        )?;
        let rows = stmt.query_map([job_id], |r| {
            Ok(ProspectLeadRow {
                id: r.get(0)?,
                provider: r.get(1)?,
                query: r.get(2)?,
                rank: r.get(3)?,
                url: r.get(4)?,
                domain: r.get(5)?,
                title: r.get(6)?,
                company_id: r.get(7)?,
                company_name: r.get(8)?,
                fit: r.get(9)?,
                qualified: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The companies of job `job_id`'s prospect leads.
    pub fn prospect_companies(&self, job_id: i64) -> Result<Vec<i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT company_id FROM prospect_leads
             WHERE job_id = ?1 AND company_id IS NOT NULL ORDER BY company_id",
        )?;
        let ids = stmt
            .query_map([job_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// How far job `job_id`'s companies are from done (see [`RunGaps`]);
    /// `profile` is the ICP profile scores are counted for.
    pub fn run_gaps(&self, job_id: i64, profile: Option<&str>) -> Result<RunGaps> {
        let (targets_pending, targets_failed): (i64, i64) = self.conn().query_row(
            "SELECT coalesce(sum(t.status = 'pending'), 0), coalesce(sum(t.status = 'failed'), 0)
             FROM job_targets j JOIN domain_targets t ON t.id = j.target_id WHERE j.job_id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // A run with targets covers their companies; any other, the store.
        let scope = if self.job_has_targets(job_id)? {
            Some(serde_json::Value::from(self.job_companies(job_id)?).to_string())
        } else {
            None
        };
        // One pass over the companies; each test is an index lookup.
        let (companies, lacking_research, lacking_contacts, lacking_scores) =
            self.conn().query_row(
                "SELECT count(*),
                    coalesce(sum(NOT EXISTS (SELECT 1 FROM company_enrichment e
                                             WHERE e.company_id = c.id AND e.kind = 'firmographic'
                                               AND e.status = 'found')
                                 AND NOT EXISTS (SELECT 1 FROM company_analysis a
                                                 WHERE a.company_id = c.id)), 0),
                    coalesce(sum(NOT EXISTS (SELECT 1 FROM contacts k
                                             WHERE k.company_id = c.id)), 0),
                    coalesce(sum(NOT EXISTS (SELECT 1 FROM icp_scores i
                                             WHERE i.company_id = c.id
                                               AND (?2 IS NULL OR i.profile = ?2))), 0)
                 FROM companies c
                 WHERE c.status = 'active' AND c.merged_into IS NULL
                   AND (?1 IS NULL OR c.id IN (SELECT value FROM json_each(?1)))",
                params![scope, profile],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
        Ok(RunGaps {
            companies,
            targets_pending,
            targets_failed,
            lacking_research,
            lacking_contacts,
            lacking_scores,
        })
    }

    /// Whether job `job_id` reads domain targets (a list's or a search's).
    pub fn job_has_targets(&self, job_id: i64) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM job_targets WHERE job_id = ?1)",
            [job_id],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::NewJob;

    fn target(d: &str, line: usize) -> NewTarget {
        NewTarget {
            domain: d.into(),
            input: d.into(),
            source: "list:t.txt".into(),
            line: Some(line),
        }
    }

    fn site(d: &str, name: &str) -> SiteCompany {
        SiteCompany {
            name: name.into(),
            name_source: "title".into(),
            website: format!("http://www.{d}/"),
            domain: d.into(),
            state: Some("OH".into()),
            ..Default::default()
        }
    }

    #[test]
    fn targets_are_kept_across_runs_and_failures_stay_failed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let job = |s: &Store| {
            s.create_job(&NewJob {
                kind: "run",
                mode: crate::model::JobMode::Domains,
                params_json: "{}",
            })
            .unwrap()
        };
        let j1 = job(&s);
        let added = s
            .add_targets(j1, &[target("a.com", 1), target("b.com", 2)], false, false)
            .unwrap();
        assert_eq!(added, 2);
        let t = s.job_targets(j1).unwrap();
        assert_eq!(
            t.iter().map(|t| t.status.as_str()).collect::<Vec<_>>(),
            ["pending", "pending"]
        );
        let a = s.target_done(t[0].id, &site("a.com", "Acme")).unwrap();
        s.target_failed(t[1].id, Some(j1), "no answer").unwrap();
        assert_eq!(s.job_companies(j1).unwrap(), vec![a]);
        assert_eq!(s.company(a).unwrap().unwrap().state.as_deref(), Some("OH"));
        let letters = s.dead_letters(false).unwrap();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].error, "no answer");

        // A second run: both keep their state; with retry the failed one
        // is pending again; with force, the done one too.
        let j2 = job(&s);
        s.add_targets(j2, &[target("a.com", 1), target("b.com", 2)], false, false)
            .unwrap();
        let st: Vec<String> = s
            .job_targets(j2)
            .unwrap()
            .into_iter()
            .map(|t| t.status)
            .collect();
        assert_eq!(st, ["done", "failed"]);
        s.add_targets(j2, &[target("b.com", 2)], true, false)
            .unwrap();
        let st: Vec<String> = s
            .job_targets(j2)
            .unwrap()
            .into_iter()
            .map(|t| t.status)
            .collect();
        assert_eq!(st, ["done", "pending"]);
        s.add_targets(j2, &[target("a.com", 1)], false, true)
            .unwrap();
        assert_eq!(s.job_targets(j2).unwrap()[0].status, "pending");

        // The same domain read again joins the same company.
        let again = s.target_done(t[0].id, &site("a.com", "Acme Inc")).unwrap();
        assert_eq!(again, a);
        assert_eq!(s.company_count().unwrap(), 1);
    }

    #[test]
    fn a_dead_letter_retried_from_the_tui_puts_its_target_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let j = s
            .create_job(&NewJob {
                kind: "run",
                mode: crate::model::JobMode::Domains,
                params_json: "{}",
            })
            .unwrap();
        s.add_targets(j, &[target("gone.com", 1)], false, false)
            .unwrap();
        let id = s.job_targets(j).unwrap()[0].id;
        s.target_failed(id, Some(j), "refused").unwrap();
        s.retry_all_dead_letters().unwrap();
        s.add_targets(j, &[target("gone.com", 1)], false, false)
            .unwrap();
        assert_eq!(s.job_targets(j).unwrap()[0].status, "pending");
    }

    #[test]
    fn gaps_count_what_each_company_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let j = s
            .create_job(&NewJob {
                kind: "run",
                mode: crate::model::JobMode::Domains,
                params_json: "{}",
            })
            .unwrap();
        s.add_targets(
            j,
            &[target("a.com", 1), target("b.com", 2), target("c.com", 3)],
            false,
            false,
        )
        .unwrap();
        let t = s.job_targets(j).unwrap();
        s.target_done(t[0].id, &site("a.com", "Acme")).unwrap();
        s.target_done(t[1].id, &site("b.com", "Beta")).unwrap();
        let g = s.run_gaps(j, None).unwrap();
        assert_eq!(
            (
                g.companies,
                g.targets_pending,
                g.lacking_research,
                g.lacking_contacts,
                g.lacking_scores
            ),
            (2, 1, 2, 2, 2)
        );
        assert!(
            g.summary().contains("1 sites not read yet"),
            "{}",
            g.summary()
        );
    }
}
