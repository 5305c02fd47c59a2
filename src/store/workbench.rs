//! What the workbench's panes read and change beyond companies: competitor
//! signals grouped three ways, data quality per association, provider usage,
//! dead letters, and the export log (`export_runs`, migration 0007).
//!
//! Merged-away companies never show: a signal or grade of a company that was
//! absorbed by another is the survivor's story now (resolution re-points
//! signals, listings and contacts, and keeps only duplicates on the loser).

use anyhow::{Context, Result};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::Store;
use super::memberships::survivors_cte;
use crate::model::now_string;

/// `listed(code, company_id)`: each association with the active company of
/// each of its listings, once per pair. A listing whose company was merged
/// away counts for the survivor (resolution re-points listings, but a stale
/// pointer must not drop a company from its association).
macro_rules! listed_cte {
    () => {
        concat!(
            survivors_cte!(),
            ",
    listed(code, company_id) AS (
        SELECT DISTINCT m.association_code, coalesce(sv.company_id, m.company_id)
        FROM association_memberships m LEFT JOIN survivor sv ON sv.id = m.company_id
        WHERE m.company_id IS NOT NULL
    ) "
        )
    };
}

/// How the signals pane groups competitor signals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalGroupBy {
    #[default]
    Vendor,
    Company,
    Association,
}

impl SignalGroupBy {
    /// The grouping after this one, wrapping around (one key cycles them).
    pub fn next(self) -> Self {
        match self {
            Self::Vendor => Self::Company,
            Self::Company => Self::Association,
            Self::Association => Self::Vendor,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Company => "company",
            Self::Association => "association",
        }
    }
}

/// One group of competitor signals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalGroup {
    /// What [`Store::signals_in`] takes back: the vendor name, the company id
    /// as text, or the association code.
    pub key: String,
    /// What the pane shows: the vendor, the company's name, or the code.
    pub label: String,
    /// Distinct active companies with a signal in the group.
    pub companies: i64,
    pub signals: i64,
    /// The highest strength of the group's signals.
    pub strength: f64,
}

/// One competitor signal with its company's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalRow {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub vendor: String,
    pub product: Option<String>,
    pub category: String,
    /// uses, evaluating, hiring, partner, sponsor or mention.
    pub signal_type: String,
    /// script, header, cookie, meta, url or text.
    pub evidence_kind: String,
    /// The sanitized snippet around the mention.
    pub evidence: Option<String>,
    pub source_url: String,
    pub strength: f64,
    pub confidence: f64,
    pub detected_at: String,
}

/// A competitor signal to record (see [`Store::add_competitor_signal`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewSignal {
    pub company_id: i64,
    pub vendor: String,
    pub product: Option<String>,
    /// erp, crm, marketing, ecommerce, analytics, ...
    pub category: String,
    /// What the mention means: uses, evaluating, hiring, partner, sponsor,
    /// or mention (named, nothing more).
    pub signal_type: String,
    /// What it rests on: script, header, cookie, meta, url or text.
    pub evidence_kind: String,
    /// The sanitized snippet around the mention.
    pub evidence: Option<String>,
    pub source_url: String,
    /// How much the signal says about the company (0..1).
    pub strength: f64,
    /// How sure the detector is that it read the mention right (0..1).
    pub confidence: f64,
}

/// The fields whose completeness the quality pane shows, in display order;
/// `contacts` means "has at least one contact".
pub const COMPLETENESS_FIELDS: [&str; 10] = [
    "domain",
    "phone",
    "street",
    "city",
    "state",
    "postal_code",
    "employee_count",
    "founded_year",
    "industry",
    "contacts",
];

/// Grade letters in the order of [`AssociationQuality::grades`] (the sixth
/// slot counts companies without a grade).
pub const GRADE_LETTERS: [&str; 5] = ["A", "B", "C", "D", "F"];

/// The label of the whole-store row of [`Store::quality_overview`].
pub const ALL_ASSOCIATIONS: &str = "(all)";

/// Grades and completeness of the active companies of one association, or
/// of the whole store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssociationQuality {
    /// The association code, or [`ALL_ASSOCIATIONS`].
    pub association: String,
    pub companies: i64,
    /// Companies graded A, B, C, D, F, and not graded (yet).
    pub grades: [i64; 6],
    /// For each of [`COMPLETENESS_FIELDS`], the fraction (0..=1) of the
    /// companies with a non-empty value.
    pub completeness: Vec<(&'static str, f64)>,
}

/// One enrichment provider's usage over all recorded days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderUsage {
    pub provider: String,
    pub requests: i64,
    pub errors: i64,
    pub credits: f64,
    /// Days with recorded usage.
    pub days: i64,
    pub last_used_at: Option<String>,
    /// (requests - errors) / requests, 0 without requests.
    pub success_rate: f64,
}

/// Usage of a provider to add to its day (see [`Store::add_provider_usage`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewProviderUsage {
    pub provider: String,
    /// YYYY-MM-DD, UTC.
    pub day: String,
    pub requests: i64,
    pub errors: i64,
    pub credits: f64,
    /// Answers with findings.
    pub hits: i64,
    /// Answers that knew nothing.
    pub misses: i64,
    /// Calls refused by the daily cap or the provider's quota.
    pub quota_rejections: i64,
}

/// One row of `dead_letter`, every column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterRow {
    pub id: i64,
    pub url: String,
    pub domain: Option<String>,
    pub phase: String,
    pub job_id: Option<i64>,
    pub status_code: Option<i64>,
    pub error: String,
    pub attempts: i64,
    /// JSON array of `{at, status, error}`, as stored.
    pub history: String,
    pub created_at: String,
    pub last_failed_at: String,
    pub requeued_at: Option<String>,
}

/// An export to log (see [`Store::record_export`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewExportRun {
    /// The pane or table exported: companies, memberships, signals, ...
    pub view: String,
    /// The export profile (format and columns) used.
    pub profile: String,
    /// The filters in force, as the pane describes them; empty for none.
    pub filters: String,
    pub rows: i64,
    pub files: Vec<String>,
}

/// One row of `export_runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRun {
    pub id: i64,
    pub created_at: String,
    pub view: String,
    pub profile: String,
    pub filters: String,
    pub rows: i64,
    pub files: Vec<String>,
}

fn signal_group(r: &Row<'_>) -> rusqlite::Result<SignalGroup> {
    Ok(SignalGroup {
        key: r.get(0)?,
        label: r.get(1)?,
        companies: r.get(2)?,
        signals: r.get(3)?,
        strength: r.get(4)?,
    })
}

fn signal_row(r: &Row<'_>) -> rusqlite::Result<SignalRow> {
    Ok(SignalRow {
        id: r.get(0)?,
        company_id: r.get(1)?,
        company_name: r.get(2)?,
        vendor: r.get(3)?,
        product: r.get(4)?,
        category: r.get(5)?,
        signal_type: r.get(6)?,
        evidence: r.get(7)?,
        source_url: r.get(8)?,
        confidence: r.get(9)?,
        detected_at: r.get(10)?,
        evidence_kind: r.get(11)?,
        strength: r.get(12)?,
    })
}

/// `count` out of `total` as a fraction; 0 for an empty set.
fn fraction(count: i64, total: i64) -> f64 {
    if total > 0 {
        count as f64 / total as f64
    } else {
        0.0
    }
}

impl Store {
    /// Competitor signals of active companies grouped by vendor, company or
    /// association: most companies first, then by label. By association,
    /// a signal counts once in every association listing its company;
    /// companies no association lists are in no group.
    pub fn signal_groups(&self, by: SignalGroupBy) -> Result<Vec<SignalGroup>> {
        let sql = match by {
            SignalGroupBy::Vendor => {
                "SELECT s.vendor AS group_key, s.vendor AS group_label,
                        count(DISTINCT s.company_id) AS n_companies, count(*), max(s.strength)
                 FROM competitor_signals s JOIN companies c ON c.id = s.company_id
                 WHERE c.status = 'active'
                 GROUP BY s.vendor
                 ORDER BY n_companies DESC, group_label COLLATE NOCASE, group_key"
            }
            SignalGroupBy::Company => {
                "SELECT CAST(c.id AS TEXT), c.name AS group_label, 1, count(*), max(s.strength)
                 FROM competitor_signals s JOIN companies c ON c.id = s.company_id
                 WHERE c.status = 'active'
                 GROUP BY c.id
                 ORDER BY group_label COLLATE NOCASE, c.id"
            }
            SignalGroupBy::Association => concat!(
                listed_cte!(),
                "SELECT l.code AS group_key, l.code AS group_label,
                        count(DISTINCT s.company_id) AS n_companies, count(*), max(s.strength)
                 FROM listed l
                 JOIN companies c ON c.id = l.company_id
                 JOIN competitor_signals s ON s.company_id = c.id
                 WHERE c.status = 'active'
                 GROUP BY l.code
                 ORDER BY n_companies DESC, group_label COLLATE NOCASE, group_key"
            ),
        };
        let mut stmt = self.conn().prepare(sql)?;
        let rows = stmt.query_map([], signal_group)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Up to `limit` signals of the group `key` (a [`SignalGroup::key`] of
    /// the same grouping), most confident first. Errors when a company key
    /// is not a company id.
    pub fn signals_in(&self, by: SignalGroupBy, key: &str, limit: usize) -> Result<Vec<SignalRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // A company key that is not an id is the caller's mistake: say so
        // rather than list nothing.
        let key = match by {
            SignalGroupBy::Company => Value::Integer(
                key.parse()
                    .with_context(|| format!("signal group key {key:?} is not a company id"))?,
            ),
            SignalGroupBy::Vendor | SignalGroupBy::Association => Value::Text(key.to_owned()),
        };
        let mut stmt = match by {
            SignalGroupBy::Vendor => self.conn().prepare(
                "SELECT s.id, s.company_id, c.name, s.vendor, s.product, s.category, s.signal_type,
                        s.evidence, s.source_url, s.confidence, s.detected_at,
                        s.evidence_kind, s.strength
                 FROM competitor_signals s JOIN companies c ON c.id = s.company_id
                 WHERE c.status = 'active' AND s.vendor = ?1
                 ORDER BY s.confidence DESC, s.detected_at DESC, s.id
                 LIMIT ?2",
            )?,
            SignalGroupBy::Company => self.conn().prepare(
                "SELECT s.id, s.company_id, c.name, s.vendor, s.product, s.category, s.signal_type,
                        s.evidence, s.source_url, s.confidence, s.detected_at,
                        s.evidence_kind, s.strength
                 FROM competitor_signals s JOIN companies c ON c.id = s.company_id
                 WHERE c.status = 'active' AND s.company_id = ?1
                 ORDER BY s.confidence DESC, s.detected_at DESC, s.id
                 LIMIT ?2",
            )?,
            SignalGroupBy::Association => self.conn().prepare(concat!(
                listed_cte!(),
                "SELECT s.id, s.company_id, c.name, s.vendor, s.product, s.category, s.signal_type,
                        s.evidence, s.source_url, s.confidence, s.detected_at,
                        s.evidence_kind, s.strength
                 FROM competitor_signals s JOIN companies c ON c.id = s.company_id
                 WHERE c.status = 'active'
                   AND s.company_id IN (SELECT company_id FROM listed WHERE code = ?1)
                 ORDER BY s.confidence DESC, s.detected_at DESC, s.id
                 LIMIT ?2"
            ))?,
        };
        let rows = stmt.query_map(params![key, limit], signal_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records a competitor signal; the same vendor seen again the same way
    /// on the same page of the same company refreshes the stored one
    /// (category, confidence and detection time from the new sighting;
    /// product and evidence kept when the new one has none). Returns the id.
    pub fn add_competitor_signal(&self, s: &NewSignal) -> Result<i64> {
        // Prepared once per connection: the signals phase records many.
        let id = self
            .conn()
            .prepare_cached(
                "INSERT INTO competitor_signals (company_id, vendor, product, category, signal_type,
                                                 evidence, source_url, confidence, detected_at,
                                                 evidence_kind, strength)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (company_id, vendor, category, signal_type, source_url) DO UPDATE SET
                    product = coalesce(excluded.product, competitor_signals.product),
                    evidence = coalesce(excluded.evidence, competitor_signals.evidence),
                    confidence = excluded.confidence,
                    evidence_kind = excluded.evidence_kind,
                    strength = excluded.strength,
                    detected_at = excluded.detected_at
                 RETURNING id",
            )?
            .query_row(
                params![
                    s.company_id,
                    s.vendor,
                    s.product,
                    s.category,
                    s.signal_type,
                    s.evidence,
                    s.source_url,
                    s.confidence,
                    now_string(),
                    s.evidence_kind,
                    s.strength
                ],
                |r| r.get(0),
            )?;
        Ok(id)
    }

    /// Grade counts and field completeness of the active companies: the
    /// whole store first (as [`ALL_ASSOCIATIONS`], present even when the
    /// store is empty), then each association by code. A grade other than
    /// A-F counts as ungraded; a value of only spaces as empty.
    pub fn quality_overview(&self) -> Result<Vec<AssociationQuality>> {
        // One pass: every active company once for the whole store, plus once
        // per association listing it, all aggregated together.
        let sql = concat!(
            listed_cte!(),
            ",
            per_company AS (
                SELECT c.id AS id,
                       CASE WHEN upper(trim(c.quality_grade)) IN ('A', 'B', 'C', 'D', 'F')
                            THEN upper(trim(c.quality_grade)) ELSE '' END AS grade,
                       coalesce(trim(c.domain), '') <> '' AS f_domain,
                       coalesce(trim(c.phone), '') <> '' AS f_phone,
                       coalesce(trim(c.street), '') <> '' AS f_street,
                       coalesce(trim(c.city), '') <> '' AS f_city,
                       coalesce(trim(c.state), '') <> '' AS f_state,
                       coalesce(trim(c.postal_code), '') <> '' AS f_postal_code,
                       c.employee_count IS NOT NULL AS f_employee_count,
                       c.founded_year IS NOT NULL AS f_founded_year,
                       coalesce(trim(c.industry), '') <> '' AS f_industry,
                       c.id IN (SELECT company_id FROM contacts WHERE company_id IS NOT NULL)
                           AS f_contacts
                FROM companies c WHERE c.status = 'active'
            ),
            scoped AS (
                SELECT 0 AS ord, ?1 AS association, p.* FROM per_company p
                UNION ALL
                SELECT 1, l.code, p.* FROM listed l JOIN per_company p ON p.id = l.company_id
            )
            SELECT ord, association, count(*),
                   sum(grade = 'A'), sum(grade = 'B'), sum(grade = 'C'), sum(grade = 'D'),
                   sum(grade = 'F'), sum(grade = ''),
                   sum(f_domain), sum(f_phone), sum(f_street), sum(f_city), sum(f_state),
                   sum(f_postal_code), sum(f_employee_count), sum(f_founded_year),
                   sum(f_industry), sum(f_contacts)
            FROM scoped
            GROUP BY ord, association
            ORDER BY ord, association"
        );
        let mut stmt = self.conn().prepare(sql)?;
        let rows = stmt.query_map([ALL_ASSOCIATIONS], |r| {
            let ord: i64 = r.get(0)?;
            let companies: i64 = r.get(2)?;
            let mut grades = [0i64; 6];
            for (i, g) in grades.iter_mut().enumerate() {
                *g = r.get(3 + i)?;
            }
            let completeness = COMPLETENESS_FIELDS
                .iter()
                .enumerate()
                .map(|(i, f)| Ok((*f, fraction(r.get(9 + i)?, companies))))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((
                ord,
                AssociationQuality {
                    association: r.get(1)?,
                    companies,
                    grades,
                    completeness,
                },
            ))
        })?;
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len() + 1);
        // An empty store has nothing to group, but the pane still shows the
        // whole-store row.
        if rows.first().is_none_or(|(ord, _)| *ord != 0) {
            out.push(AssociationQuality {
                association: ALL_ASSOCIATIONS.to_owned(),
                companies: 0,
                grades: [0; 6],
                completeness: COMPLETENESS_FIELDS.iter().map(|f| (*f, 0.0)).collect(),
            });
        }
        out.extend(rows.into_iter().map(|(_, q)| q));
        Ok(out)
    }

    /// Usage of each enrichment provider summed over its days, by provider name.
    pub fn provider_usage_summary(&self) -> Result<Vec<ProviderUsage>> {
        let mut stmt = self.conn().prepare(
            "SELECT provider, sum(requests), sum(errors), sum(credits), count(*), max(last_used_at)
             FROM provider_usage GROUP BY provider ORDER BY provider",
        )?;
        let rows = stmt.query_map([], |r| {
            let requests: i64 = r.get(1)?;
            let errors: i64 = r.get(2)?;
            Ok(ProviderUsage {
                provider: r.get(0)?,
                requests,
                errors,
                credits: r.get(3)?,
                days: r.get(4)?,
                last_used_at: r.get(5)?,
                // Clamped: a provider can report more errors than requests
                // (a retried request failing twice), and a rate below 0 or
                // above 1 would only confuse.
                success_rate: fraction(requests - errors, requests).clamp(0.0, 1.0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Adds one batch of a provider's usage to its row for the batch's day
    /// and stamps it as used now.
    pub fn add_provider_usage(&self, u: &NewProviderUsage) -> Result<()> {
        self.conn().execute(
            "INSERT INTO provider_usage (provider, day, requests, errors, credits, last_used_at,
                 hits, misses, quota_rejections)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (provider, day) DO UPDATE SET
                requests = provider_usage.requests + excluded.requests,
                errors = provider_usage.errors + excluded.errors,
                credits = provider_usage.credits + excluded.credits,
                hits = provider_usage.hits + excluded.hits,
                misses = provider_usage.misses + excluded.misses,
                quota_rejections = provider_usage.quota_rejections + excluded.quota_rejections,
                last_used_at = excluded.last_used_at",
            params![
                u.provider,
                u.day,
                u.requests,
                u.errors,
                u.credits,
                now_string(),
                u.hits,
                u.misses,
                u.quota_rejections
            ],
        )?;
        Ok(())
    }

    /// Dead letters not yet re-queued (what `dead_letter_rows(false)` lists).
    pub fn dead_letter_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM dead_letter WHERE requeued_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Dead letters, the latest failure first; those already re-queued only
    /// when `include_requeued`.
    pub fn dead_letter_rows(&self, include_requeued: bool) -> Result<Vec<DeadLetterRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, url, domain, phase, job_id, status_code, error, attempts, history,
                    created_at, last_failed_at, requeued_at
             FROM dead_letter WHERE ?1 OR requeued_at IS NULL
             ORDER BY last_failed_at DESC, id DESC",
        )?;
        let rows = stmt.query_map(params![include_requeued], |r| {
            Ok(DeadLetterRow {
                id: r.get(0)?,
                url: r.get(1)?,
                domain: r.get(2)?,
                phase: r.get(3)?,
                job_id: r.get(4)?,
                status_code: r.get(5)?,
                error: r.get(6)?,
                attempts: r.get(7)?,
                history: r.get(8)?,
                created_at: r.get(9)?,
                last_failed_at: r.get(10)?,
                requeued_at: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Retries one dead letter as [`Store::requeue_dead_letters`] does for a
    /// phase and domain: its URL, if the frontier holds it as dead, goes back
    /// to pending with its attempts and error cleared, and the letter is
    /// stamped re-queued. A letter whose URL the frontier does not hold as
    /// dead (one from a phase other than the crawl) is still stamped, so it
    /// leaves the list; nothing will fetch it again until that phase re-runs.
    /// Already re-queued letters are stamped anew. False when there is no
    /// letter `id`.
    pub fn retry_dead_letter(&self, id: i64) -> Result<bool> {
        let url: Option<String> = self
            .conn()
            .query_row("SELECT url FROM dead_letter WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(url) = url else {
            return Ok(false);
        };
        let now = now_string();
        // Both or neither: a pending URL whose letter still shows would be
        // retried twice.
        self.savepoint(|s| {
            s.conn().execute(
                "UPDATE url_queue SET status = 'pending', attempts = 0, error = NULL, updated_at = ?2
                 WHERE url = ?1 AND status = 'dead'",
                params![url, now],
            )?;
            s.conn().execute(
                "UPDATE dead_letter SET requeued_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            Ok(())
        })?;
        Ok(true)
    }

    /// [`Store::retry_dead_letter`] for every letter not yet re-queued;
    /// returns how many letters were retried.
    pub fn retry_all_dead_letters(&self) -> Result<usize> {
        let now = now_string();
        let mut retried = 0;
        self.savepoint(|s| {
            s.conn().execute(
                "UPDATE url_queue SET status = 'pending', attempts = 0, error = NULL, updated_at = ?1
                 WHERE status = 'dead'
                   AND url IN (SELECT url FROM dead_letter WHERE requeued_at IS NULL)",
                params![now],
            )?;
            retried = s.conn().execute(
                "UPDATE dead_letter SET requeued_at = ?1 WHERE requeued_at IS NULL",
                params![now],
            )?;
            Ok(())
        })?;
        Ok(retried)
    }

    /// Deletes a dead letter for good. Its URL stays dead in the frontier,
    /// so no crawl fetches it again. False when there is no letter `id`.
    pub fn discard_dead_letter(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM dead_letter WHERE id = ?1", [id])?
            > 0)
    }

    /// Logs an export; returns its id.
    pub fn record_export(&self, e: &NewExportRun) -> Result<i64> {
        let files = serde_json::to_string(&e.files)?;
        self.conn().execute(
            "INSERT INTO export_runs (created_at, view, profile, filters, rows, files)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now_string(), e.view, e.profile, e.filters, e.rows, files],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The latest `limit` exports, newest first.
    pub fn export_runs(&self, limit: usize) -> Result<Vec<ExportRun>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn().prepare(
            "SELECT id, created_at, view, profile, filters, rows, files
             FROM export_runs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                ExportRun {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    view: r.get(2)?,
                    profile: r.get(3)?,
                    filters: r.get(4)?,
                    rows: r.get(5)?,
                    files: Vec::new(),
                },
                r.get::<_, String>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (mut run, files) = row?;
            // Written by record_export; a hand-edited value that is not a
            // JSON list still lists, as the one entry it is.
            run.files = serde_json::from_str(&files).unwrap_or_else(|_| vec![files]);
            Ok(run)
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MemberRecord, UrlStatus};
    use crate::store::crawl::{DeadLetterWrite, NewUrl, UrlOutcome};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    /// Lists `name` in `assoc` and returns its company, as extraction would.
    fn listed(s: &Store, assoc: &str, name: &str, domain: Option<&str>) -> i64 {
        let rec = MemberRecord {
            association: assoc.into(),
            name: name.into(),
            website: domain.map(|d| format!("https://{d}/")),
            domain: domain.map(Into::into),
            source_url: format!("https://{}.example/members", assoc.to_lowercase()),
            extractor: "generic".into(),
            confidence: 0.8,
            ..Default::default()
        };
        s.list_for_test(&rec).unwrap()
    }

    fn signal(s: &Store, company_id: i64, vendor: &str, kind: &str, confidence: f64) -> i64 {
        s.add_competitor_signal(&NewSignal {
            company_id,
            vendor: vendor.into(),
            category: "erp".into(),
            signal_type: kind.into(),
            source_url: format!("https://site{company_id}.example/"),
            strength: confidence,
            confidence,
            ..Default::default()
        })
        .unwrap()
    }

    /// (label, companies, signals, strength) of each group, in order.
    fn groups(s: &Store, by: SignalGroupBy) -> Vec<(String, i64, i64, f64)> {
        s.signal_groups(by)
            .unwrap()
            .into_iter()
            .map(|g| (g.label, g.companies, g.signals, g.strength))
            .collect()
    }

    /// Acme (PMA), Brightline Gear (PMA and NTMA), Cutter Tools (NTMA), and
    /// Gone Co (AGMA only), merged into Cutter Tools with its listing left
    /// pointing at it and signals of its own.
    struct Seeded {
        acme: i64,
        gear: i64,
        tool: i64,
        gone: i64,
    }

    fn seed_signals(s: &Store) -> Seeded {
        let acme = listed(s, "PMA", "Acme Stamping", Some("acme.example"));
        let gear = listed(s, "PMA", "Brightline Gear", Some("gear.example"));
        assert_eq!(
            listed(s, "NTMA", "Brightline Gear Inc", Some("gear.example")),
            gear
        );
        let tool = listed(s, "NTMA", "Cutter Tools", Some("tool.example"));
        let gone = listed(s, "AGMA", "Gone Co", Some("gone.example"));
        s.mark_merged_for_test(gone, tool).unwrap();
        signal(s, acme, "SAP", "script", 0.9);
        signal(s, acme, "SAP", "job_posting", 0.7);
        signal(s, acme, "HubSpot", "script", 0.5);
        signal(s, gear, "SAP", "meta", 0.6);
        signal(s, gear, "Acumatica", "text", 0.3);
        signal(s, tool, "HubSpot", "cookie", 0.8);
        // Only on the merged-away company: must not show anywhere.
        signal(s, gone, "SAP", "script", 0.99);
        signal(s, gone, "Salesforce", "script", 0.4);
        Seeded {
            acme,
            gear,
            tool,
            gone,
        }
    }

    #[test]
    fn signal_groups_count_active_companies_most_companies_first() {
        let (_d, s) = store();
        let c = seed_signals(&s);
        // Two companies each, then by label; Acumatica sorts first by name
        // but has one company; Salesforce is only on the merged company.
        assert_eq!(
            groups(&s, SignalGroupBy::Vendor),
            vec![
                ("HubSpot".into(), 2, 2, 0.8),
                ("SAP".into(), 2, 3, 0.9),
                ("Acumatica".into(), 1, 1, 0.3),
            ]
        );
        let by_company = s.signal_groups(SignalGroupBy::Company).unwrap();
        let keys: Vec<String> = by_company.iter().map(|g| g.key.clone()).collect();
        assert_eq!(
            keys,
            vec![c.acme.to_string(), c.gear.to_string(), c.tool.to_string()]
        );
        assert_eq!(
            groups(&s, SignalGroupBy::Company),
            vec![
                ("Acme Stamping".into(), 1, 3, 0.9),
                ("Brightline Gear".into(), 1, 2, 0.6),
                ("Cutter Tools".into(), 1, 1, 0.8),
            ]
        );
        // Gear is in both PMA and NTMA; AGMA's only listing points at the
        // merged company and counts for its survivor, Cutter Tools.
        assert_eq!(
            groups(&s, SignalGroupBy::Association),
            vec![
                ("NTMA".into(), 2, 3, 0.8),
                ("PMA".into(), 2, 5, 0.9),
                ("AGMA".into(), 1, 1, 0.8),
            ]
        );
    }

    #[test]
    fn signals_in_a_group_are_filtered_and_most_confident_first() {
        let (_d, s) = store();
        let c = seed_signals(&s);
        let conf = |rows: Vec<SignalRow>| -> Vec<(i64, f64)> {
            rows.into_iter()
                .map(|r| (r.company_id, r.confidence))
                .collect()
        };
        let sap = s.signals_in(SignalGroupBy::Vendor, "SAP", 100).unwrap();
        assert!(sap.iter().all(|r| r.vendor == "SAP"));
        assert_eq!(sap[0].company_name, "Acme Stamping");
        assert_eq!(conf(sap), vec![(c.acme, 0.9), (c.acme, 0.7), (c.gear, 0.6)]);
        let key = c.gear.to_string();
        assert_eq!(
            conf(s.signals_in(SignalGroupBy::Company, &key, 100).unwrap()),
            vec![(c.gear, 0.6), (c.gear, 0.3)]
        );
        // The merged company's own signals are not its group's any more.
        let gone = c.gone.to_string();
        assert!(
            s.signals_in(SignalGroupBy::Company, &gone, 100)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            conf(
                s.signals_in(SignalGroupBy::Association, "AGMA", 100)
                    .unwrap()
            ),
            vec![(c.tool, 0.8)]
        );
        assert_eq!(
            conf(s.signals_in(SignalGroupBy::Association, "PMA", 2).unwrap()),
            vec![(c.acme, 0.9), (c.acme, 0.7)]
        );
        assert!(s.signals_in(SignalGroupBy::Company, "SAP", 10).is_err());
    }

    #[test]
    fn a_signal_seen_again_is_refreshed_not_duplicated() {
        let (_d, s) = store();
        let acme = listed(&s, "PMA", "Acme Stamping", Some("acme.example"));
        let mut new = NewSignal {
            company_id: acme,
            vendor: "SAP".into(),
            product: Some("S/4HANA".into()),
            category: "erp".into(),
            signal_type: "script".into(),
            source_url: "https://acme.example/".into(),
            confidence: 0.5,
            ..Default::default()
        };
        let first = s.add_competitor_signal(&new).unwrap();
        new.product = None;
        new.confidence = 0.9;
        assert_eq!(s.add_competitor_signal(&new).unwrap(), first);
        let rows = s.signals_in(SignalGroupBy::Vendor, "SAP", 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].confidence, 0.9);
        assert_eq!(rows[0].product.as_deref(), Some("S/4HANA"));
        assert_eq!(SignalGroupBy::Association.next(), SignalGroupBy::Vendor);
        assert_eq!(SignalGroupBy::Vendor.next().label(), "company");
    }

    fn completeness(q: &AssociationQuality, field: &str) -> f64 {
        q.completeness
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| *v)
            .unwrap()
    }

    #[test]
    fn quality_overview_counts_grades_and_completeness_per_association() {
        let (_d, s) = store();
        let empty = s.quality_overview().unwrap();
        assert_eq!(empty.len(), 1);
        assert_eq!(
            (empty[0].association.as_str(), empty[0].companies),
            (ALL_ASSOCIATIONS, 0)
        );
        assert_eq!(completeness(&empty[0], "domain"), 0.0);

        let acme = listed(&s, "PMA", "Acme Stamping", Some("acme.example"));
        let gear = listed(&s, "PMA", "Brightline Gear", Some("gear.example"));
        listed(&s, "NTMA", "Brightline Gear", Some("gear.example"));
        let tool = listed(&s, "NTMA", "Cutter Tools", None);
        let gone = listed(&s, "PMA", "Gone Co", Some("gone.example"));
        s.mark_merged_for_test(gone, acme).unwrap();
        let set = |sql: &str, id: i64| {
            s.conn().execute(sql, [id]).unwrap();
        };
        set(
            "UPDATE companies SET quality_grade = 'A', phone = '+15550100', employee_count = 40,
             industry = '  ' WHERE id = ?1",
            acme,
        );
        set(
            "UPDATE companies SET quality_grade = 'b' WHERE id = ?1",
            gear,
        );
        set(
            "UPDATE companies SET quality_grade = '?' WHERE id = ?1",
            tool,
        );
        set(
            "UPDATE companies SET quality_grade = 'F', phone = '+15550199' WHERE id = ?1",
            gone,
        );
        for (id, name) in [(acme, "Ann"), (acme, "Bob"), (gone, "Cy")] {
            s.conn()
                .execute(
                    "INSERT INTO contacts (company_id, full_name, created_at, updated_at)
                     VALUES (?1, ?2, 'now', 'now')",
                    params![id, name],
                )
                .unwrap();
        }

        let q = s.quality_overview().unwrap();
        let names: Vec<&str> = q.iter().map(|a| a.association.as_str()).collect();
        assert_eq!(names, vec![ALL_ASSOCIATIONS, "NTMA", "PMA"]);
        let (all, ntma, pma) = (&q[0], &q[1], &q[2]);
        // The merged company (F, a phone, a contact) counts nowhere.
        assert_eq!(all.companies, 3);
        assert_eq!(all.grades, [1, 1, 0, 0, 0, 1]);
        assert_eq!(completeness(all, "domain"), 2.0 / 3.0);
        assert_eq!(completeness(all, "phone"), 1.0 / 3.0);
        assert_eq!(completeness(all, "employee_count"), 1.0 / 3.0);
        assert_eq!(completeness(all, "industry"), 0.0, "spaces are empty");
        assert_eq!(completeness(all, "contacts"), 1.0 / 3.0);
        assert_eq!(all.completeness.len(), COMPLETENESS_FIELDS.len());

        assert_eq!((pma.companies, pma.grades), (2, [1, 1, 0, 0, 0, 0]));
        assert_eq!(completeness(pma, "domain"), 1.0);
        assert_eq!(completeness(pma, "contacts"), 0.5);
        assert_eq!((ntma.companies, ntma.grades), (2, [0, 1, 0, 0, 0, 1]));
        assert_eq!(completeness(ntma, "domain"), 0.5);
        assert_eq!(completeness(ntma, "contacts"), 0.0);
    }

    fn usage(
        provider: &str,
        day: &str,
        requests: i64,
        errors: i64,
        credits: f64,
    ) -> NewProviderUsage {
        NewProviderUsage {
            provider: provider.into(),
            day: day.into(),
            requests,
            errors,
            credits,
            ..Default::default()
        }
    }

    #[test]
    fn provider_summary_sums_days_and_rates_success() {
        let (_d, s) = store();
        s.add_provider_usage(&usage("clearbit", "2026-05-01", 10, 1, 2.5))
            .unwrap();
        s.add_provider_usage(&usage("clearbit", "2026-05-01", 10, 3, 2.5))
            .unwrap();
        s.add_provider_usage(&usage("clearbit", "2026-05-02", 20, 0, 5.0))
            .unwrap();
        s.add_provider_usage(&usage("apollo", "2026-05-02", 0, 0, 0.0))
            .unwrap();
        let p = s.provider_usage_summary().unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].provider.as_str(), p[0].requests, p[0].success_rate),
            ("apollo", 0, 0.0)
        );
        let c = &p[1];
        assert_eq!(
            (c.provider.as_str(), c.requests, c.errors, c.credits, c.days),
            ("clearbit", 40, 4, 10.0, 2)
        );
        assert_eq!(c.success_rate, 0.9);
        assert!(c.last_used_at.is_some());
    }

    fn dead_url(s: &Store, url: &str, phase: &str) {
        let in_queue = phase == "discovery";
        if in_queue {
            s.enqueue_url(&NewUrl {
                url: url.into(),
                domain: "a.example".into(),
                ..Default::default()
            })
            .unwrap();
            let q = s.claim_pending("a.example", 1).unwrap().remove(0);
            let mut o = UrlOutcome::new(q.id, UrlStatus::Dead, 5);
            o.error = Some("HTTP 503".into());
            s.finish_url(&o).unwrap();
        }
        s.add_dead_letter(&DeadLetterWrite {
            url: url.into(),
            domain: Some("a.example".into()),
            phase: phase.into(),
            job_id: None,
            status_code: Some(503),
            error: "HTTP 503".into(),
            attempts: 5,
            history: vec![serde_json::json!({"status": 503})],
        })
        .unwrap();
    }

    /// status, attempts and error of a frontier URL.
    fn queue_row(s: &Store, url: &str) -> (String, i64, Option<String>) {
        s.conn()
            .query_row(
                "SELECT status, attempts, error FROM url_queue WHERE url = ?1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    }

    #[test]
    fn retry_requeues_the_url_and_discard_removes_the_letter() {
        let (_d, s) = store();
        dead_url(&s, "http://a.example/x", "discovery");
        dead_url(&s, "http://a.example/y", "enrich");
        let rows = s.dead_letter_rows(false).unwrap();
        let urls: Vec<&str> = rows.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, vec!["http://a.example/y", "http://a.example/x"]);
        let (y, x) = (rows[0].id, rows[1].id);
        assert_eq!(rows[1].attempts, 5);
        assert_eq!(rows[1].status_code, Some(503));
        assert!(rows[1].requeued_at.is_none());
        assert_eq!(
            queue_row(&s, "http://a.example/x"),
            ("dead".into(), 5, Some("HTTP 503".into()))
        );

        assert!(s.retry_dead_letter(x).unwrap());
        assert_eq!(
            queue_row(&s, "http://a.example/x"),
            ("pending".into(), 0, None)
        );
        // Not a crawl URL: nothing to re-queue, but the letter is stamped.
        assert!(s.retry_dead_letter(y).unwrap());
        assert!(s.dead_letter_rows(false).unwrap().is_empty());
        let all = s.dead_letter_rows(true).unwrap();
        assert!(all.iter().all(|r| r.requeued_at.is_some()));
        assert!(!s.retry_dead_letter(9_999).unwrap());

        assert!(s.discard_dead_letter(x).unwrap());
        assert!(!s.discard_dead_letter(x).unwrap());
        let left: Vec<i64> = s
            .dead_letter_rows(true)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, vec![y]);
    }

    #[test]
    fn retry_all_requeues_only_letters_not_yet_retried() {
        let (_d, s) = store();
        for u in ["a", "b", "c", "d"] {
            dead_url(&s, &format!("http://a.example/{u}"), "discovery");
        }
        dead_url(&s, "http://a.example/e", "enrich");
        let first = s
            .dead_letter_rows(false)
            .unwrap()
            .into_iter()
            .find(|r| r.url.ends_with("/a"))
            .unwrap();
        assert!(s.retry_dead_letter(first.id).unwrap());
        // The crawl has picked /a up again: it is no longer dead.
        assert_eq!(s.claim_pending("a.example", 10).unwrap().len(), 1);

        assert_eq!(s.retry_all_dead_letters().unwrap(), 4);
        let counts = s.frontier_counts().unwrap();
        assert_eq!((counts.pending, counts.dead), (3, 0));
        assert_eq!(counts.in_progress, 1, "a URL already retried is left alone");
        assert_eq!(s.retry_all_dead_letters().unwrap(), 0);
    }

    #[test]
    fn export_log_round_trips_newest_first() {
        let (_d, s) = store();
        let first = s
            .record_export(&NewExportRun {
                view: "companies".into(),
                profile: "csv".into(),
                filters: String::new(),
                rows: 12,
                files: vec!["out/companies.csv".into()],
            })
            .unwrap();
        let second = NewExportRun {
            view: "signals".into(),
            profile: "crm".into(),
            filters: "vendor=SAP".into(),
            rows: 3,
            files: vec!["out/a.csv".into(), "out/a.parquet".into()],
        };
        let id = s.record_export(&second).unwrap();
        let runs = s.export_runs(10).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![id, first]
        );
        let r = &runs[0];
        assert_eq!(
            (
                r.view.as_str(),
                r.profile.as_str(),
                r.filters.as_str(),
                r.rows
            ),
            ("signals", "crm", "vendor=SAP", 3)
        );
        assert_eq!(r.files, second.files);
        assert!(!r.created_at.is_empty());
        assert_eq!(s.export_runs(1).unwrap().len(), 1);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod migration_tests {
    use crate::store::Store;

    /// Before 0009 `signal_type` held the evidence kind; the migration
    /// splits it into what the signal means and what it rests on.
    #[test]
    fn old_signals_gain_a_meaning_and_an_evidence_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            let m = rusqlite_migration::Migrations::new(
                crate::store::MIGRATION_SQL[..8]
                    .iter()
                    .map(|(_, sql)| rusqlite_migration::M::up(sql))
                    .collect(),
            );
            m.to_latest(&mut conn).unwrap();
            conn.execute_batch(
                "INSERT INTO companies (id, name, name_key, created_at, updated_at)
                     VALUES (1, 'Acme', 'acme', 'x', 'x');
                 INSERT INTO competitor_signals (company_id, vendor, category, signal_type,
                     source_url, confidence, detected_at) VALUES
                     (1, 'HubSpot', 'crm', 'script', 'u1', 0.9, 'x'),
                     (1, 'Epicor', 'erp', 'job_posting', 'u2', 0.6, 'x'),
                     (1, 'SAP', 'erp', 'text', 'u3', 0.4, 'x');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let rows: Vec<(String, String, String, f64)> = store
            .conn()
            .prepare(
                "SELECT vendor, signal_type, evidence_kind, strength
                 FROM competitor_signals ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            vec![
                ("HubSpot".into(), "uses".into(), "script".into(), 0.9),
                ("Epicor".into(), "hiring".into(), "text".into(), 0.6),
                ("SAP".into(), "mention".into(), "text".into(), 0.4),
            ]
        );
        let report: Vec<(String, Option<String>, i64, i64)> = store
            .conn()
            .prepare(
                "SELECT vendor, association_code, companies, using_companies
                 FROM competitor_report ORDER BY vendor",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(report.len(), 3, "{report:?}");
        assert_eq!(report[1], ("HubSpot".into(), None, 1, 1));
    }
}
