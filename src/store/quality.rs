//! VALIDATION's reads and writes: companies due for validation with their
//! evidence (listings and hard-key twins), read a batch at a time on a read
//! connection; scores, grades, check records and audit rows written a batch
//! per transaction through the writer.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use anyhow::Result;
use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::model::{Provenance, now_string};

/// One listing of a company, as far as validation weighs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MembershipEvidence {
    pub association: String,
    pub domain: Option<String>,
    pub email: Option<String>,
    pub confidence: f32,
}

/// Another active company sharing a hard key with the one validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Twin {
    pub id: i64,
    /// The shared domain (domain twins only).
    pub domain: Option<String>,
    /// The twin's own record of its last check outcomes.
    pub checks: Option<String>,
}

/// A company due for validation, with its evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityCandidate {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub domain: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub provenance: Provenance,
    pub quality_score: Option<f64>,
    pub quality_grade: Option<String>,
    /// The outcomes of the last validation (`companies.quality_checks`).
    pub quality_checks: Option<String>,
    /// As read; the write applies only if it is unchanged.
    pub updated_at: String,
    pub memberships: Vec<MembershipEvidence>,
    /// Active companies with the same E.164 phone and the same name key.
    pub phone_name_twins: Vec<Twin>,
    /// Active companies whose listings (or own domain) share a domain with
    /// this company's listings (or its own domain).
    pub domain_twins: Vec<Twin>,
}

/// One row for `quality_audit_log`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub check_name: String,
    /// `pass`, `warn` or `fail`.
    pub outcome: &'static str,
    pub detail: String,
    pub score: Option<f64>,
}

/// The validation result of one company.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityWrite {
    pub company_id: i64,
    /// `updated_at` as read: a company changed since is left for the next run.
    pub seen_updated_at: String,
    pub score: f64,
    pub grade: String,
    /// The new `companies.quality_checks`.
    pub checks: String,
    /// Written only if the company's row is.
    pub audit: Vec<AuditRow>,
}

/// One batch of validation results.
#[derive(Debug, Clone, Copy)]
pub struct QualityBatch<'a> {
    pub writes: &'a [QualityWrite],
    /// Companies to validate again: a new twin changed their outcome.
    pub recheck: &'a [i64],
    pub job_id: Option<i64>,
    /// When the batch was read: a company updated since then (in the same
    /// second included) stays due, so no change goes unvalidated.
    pub validated_at: &'a str,
}

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QualityWriteOutcome {
    pub applied: u64,
    /// Changed between read and write; left for the next run.
    pub stale: u64,
    pub audit_rows: u64,
    pub rechecks: u64,
}

/// A row of `quality_audit_log`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityAuditEntry {
    pub id: i64,
    pub check_name: String,
    pub outcome: String,
    pub detail: Option<String>,
    pub score: Option<f64>,
    pub job_id: Option<i64>,
    pub created_at: String,
}

/// Due: active, and never validated or validated no later than its last
/// update. Timestamps have whole seconds, so a company validated in the
/// second it changed is validated once more rather than possibly never.
/// (`+status`: the unary plus keeps SQLite from walking the status index,
/// i.e. every active company, instead of the id range a batch asks for.)
const DUE: &str = "+status = 'active' AND (validated_at IS NULL OR validated_at <= updated_at)";

impl Store {
    /// How many active companies are due for validation.
    pub fn quality_due_count(&self) -> Result<i64> {
        // DUE is a constant condition; nothing here comes from data.
        let sql = format!("SELECT count(*) FROM companies WHERE {DUE}");
        Ok(self.conn().query_row(&sql, [], |r| r.get(0))?)
    }

    /// Up to `limit` companies due for validation with ids in `ids`, in id
    /// order, each with its listings and hard-key twins. Four statements per
    /// batch, whatever its size.
    pub fn quality_candidates(
        &self,
        ids: RangeInclusive<i64>,
        limit: usize,
    ) -> Result<Vec<QualityCandidate>> {
        let sql = format!(
            "SELECT id, name, name_key, domain, website, phone, street, city, state, postal_code,
                    country, provenance, quality_score, quality_grade, quality_checks, updated_at
             FROM companies WHERE id BETWEEN ?1 AND ?2 AND {DUE} ORDER BY id LIMIT ?3"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut out = stmt
            .query_map(params![ids.start(), ids.end(), limit as i64], |r| {
                let provenance: String = r.get(11)?;
                Ok(QualityCandidate {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    name_key: r.get(2)?,
                    domain: r.get(3)?,
                    website: r.get(4)?,
                    phone: r.get(5)?,
                    street: r.get(6)?,
                    city: r.get(7)?,
                    state: r.get(8)?,
                    postal_code: r.get(9)?,
                    country: r.get(10)?,
                    // Unreadable provenance counts as none: it lowers the
                    // score instead of stopping the phase.
                    provenance: super::provenance::decode(&provenance),
                    quality_score: r.get(12)?,
                    quality_grade: r.get(13)?,
                    quality_checks: r.get(14)?,
                    updated_at: r.get(15)?,
                    ..Default::default()
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (Some(first), Some(last)) = (out.first().map(|c| c.id), out.last().map(|c| c.id))
        else {
            return Ok(out);
        };
        let index: HashMap<i64, usize> = out.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        // The id range also covers companies not due; their rows are dropped.
        let mut stmt = self.conn().prepare_cached(
            "SELECT company_id, association_code, domain, email, confidence
             FROM association_memberships WHERE company_id BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                out[i].memberships.push(MembershipEvidence {
                    association: r.get(1)?,
                    domain: r.get(2)?,
                    email: r.get(3)?,
                    confidence: r.get(4)?,
                });
            }
        }
        // CROSS JOIN and `+status` pin the plan: the batch's id range
        // first, then the name-key index; never a walk over every active
        // company (which the status index would be).
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.id, o.id, o.quality_checks
             FROM companies c
             CROSS JOIN companies o ON o.name_key = c.name_key AND o.phone = c.phone
                              AND o.id <> c.id AND +o.status = 'active'
             WHERE c.id BETWEEN ?1 AND ?2 AND +c.status = 'active' AND c.phone LIKE '+%'
             ORDER BY c.id, o.id",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                out[i].phone_name_twins.push(Twin {
                    id: r.get(1)?,
                    domain: None,
                    checks: r.get(2)?,
                });
            }
        }
        // A company's domain is unique, so a shared domain shows only where
        // listings point at different companies: listing-listing,
        // company-listing and listing-company.
        // Plans pinned as above: the batch's range, then the domain indexes.
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.company_id, o.id, a.domain, o.quality_checks
             FROM association_memberships a
             CROSS JOIN association_memberships b ON b.domain = a.domain
                                                  AND b.company_id <> a.company_id
             CROSS JOIN companies o ON o.id = b.company_id AND +o.status = 'active'
             WHERE a.company_id BETWEEN ?1 AND ?2 AND a.domain IS NOT NULL
             UNION
             SELECT c.id, o.id, c.domain, o.quality_checks
             FROM companies c
             CROSS JOIN association_memberships b ON b.domain = c.domain AND b.company_id <> c.id
             CROSS JOIN companies o ON o.id = b.company_id AND +o.status = 'active'
             WHERE c.id BETWEEN ?1 AND ?2 AND c.domain IS NOT NULL
             UNION
             SELECT a.company_id, o.id, a.domain, o.quality_checks
             FROM association_memberships a
             CROSS JOIN companies o ON o.domain = a.domain AND o.id <> a.company_id
                                    AND +o.status = 'active'
             WHERE a.company_id BETWEEN ?1 AND ?2 AND a.domain IS NOT NULL
             ORDER BY 1, 2",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                let twin = Twin {
                    id: r.get(1)?,
                    domain: r.get(2)?,
                    checks: r.get(3)?,
                };
                // One twin per company, whichever listing led to it.
                if !out[i].domain_twins.iter().any(|t| t.id == twin.id) {
                    out[i].domain_twins.push(twin);
                }
            }
        }
        Ok(out)
    }

    /// Writes one batch of validation results (inside the writer's
    /// transaction). A company changed since it was read keeps its old
    /// values and gets no audit rows: it is still due and the next run
    /// validates what it has become.
    pub fn write_quality_batch(&self, batch: &QualityBatch<'_>) -> Result<QualityWriteOutcome> {
        let mut out = QualityWriteOutcome::default();
        let now = now_string();
        let mut update = self.conn().prepare_cached(
            "UPDATE companies SET quality_score = ?2, quality_grade = ?3, quality_checks = ?4,
                    validated_at = ?5
             WHERE id = ?1 AND updated_at = ?6 AND status = 'active'",
        )?;
        let mut audit = self.conn().prepare_cached(
            "INSERT INTO quality_audit_log
                (entity_type, entity_id, check_name, outcome, detail, score, job_id, created_at)
             VALUES ('company', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for w in batch.writes {
            let n = update.execute(params![
                w.company_id,
                w.score,
                w.grade,
                w.checks,
                batch.validated_at,
                w.seen_updated_at
            ])?;
            if n == 0 {
                out.stale += 1;
                continue;
            }
            out.applied += 1;
            for a in &w.audit {
                audit.execute(params![
                    w.company_id,
                    a.check_name,
                    a.outcome,
                    a.detail,
                    a.score,
                    batch.job_id,
                    now
                ])?;
                out.audit_rows += 1;
            }
        }
        let mut recheck = self.conn().prepare_cached(
            "UPDATE companies SET validated_at = NULL WHERE id = ?1 AND status = 'active'",
        )?;
        for id in batch.recheck {
            out.rechecks += recheck.execute([id])? as u64;
        }
        Ok(out)
    }

    /// The audit trail of one company, oldest first.
    pub fn quality_audit_of(&self, company_id: i64) -> Result<Vec<QualityAuditEntry>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, check_name, outcome, detail, score, job_id, created_at
             FROM quality_audit_log WHERE entity_type = 'company' AND entity_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([company_id], |r| {
            Ok(QualityAuditEntry {
                id: r.get(0)?,
                check_name: r.get(1)?,
                outcome: r.get(2)?,
                detail: r.get(3)?,
                score: r.get(4)?,
                job_id: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn quality_audit_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM quality_audit_log", [], |r| r.get(0))?)
    }

    /// Edits a company's postal code as a later extraction or an analyst
    /// would, stamping `updated_at`.
    #[cfg(test)]
    pub(crate) fn set_postal_code_for_test(
        &self,
        id: i64,
        postal: &str,
        updated_at: &str,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE companies SET postal_code = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, postal, updated_at],
        )?;
        Ok(())
    }

    /// Moves every company's last update into the past, so a validation
    /// that follows is later by the clock, not only by order.
    #[cfg(test)]
    pub(crate) fn backdate_companies_for_test(&self) -> Result<()> {
        self.conn().execute(
            "UPDATE companies SET updated_at = '2000-01-01T00:00:00Z',
                 validated_at = CASE WHEN validated_at IS NULL THEN NULL ELSE '2000-01-01T00:00:01Z' END",
            [],
        )?;
        Ok(())
    }
}
