//! Resolution: full company rows, merges and their undo, merge candidates and
//! analyst decisions.

use std::collections::HashSet;

use anyhow::{Context, Result, bail};
use rusqlite::{OptionalExtension, Row, params};

use super::Store;
use crate::model::{
    CandidateRow, CompanyRow, DecidedBy, DecisionKind, DecisionRow, MatchRow, MergeSnapshot,
    PairEvidence, now_string,
};

const ROW_COLUMNS: &str = "id, name, name_key, domain, website, phone, street, city, state, postal_code,
    country, employee_count, employee_range, revenue_range, founded_year, industry, naics, description,
    quality_score, quality_grade, status, merged_into, provenance, enriched_at, created_at, updated_at,
    resolved_at, validated_at";

fn row_from(r: &Row<'_>) -> rusqlite::Result<CompanyRow> {
    Ok(CompanyRow {
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
        employee_count: r.get(11)?,
        employee_range: r.get(12)?,
        revenue_range: r.get(13)?,
        founded_year: r.get(14)?,
        industry: r.get(15)?,
        naics: r.get(16)?,
        description: r.get(17)?,
        quality_score: r.get(18)?,
        quality_grade: r.get(19)?,
        status: r.get(20)?,
        merged_into: r.get(21)?,
        provenance: r.get(22)?,
        enriched_at: r.get(23)?,
        created_at: r.get(24)?,
        updated_at: r.get(25)?,
        resolved_at: r.get(26)?,
        validated_at: r.get(27)?,
    })
}

/// One merge to record: the absorbed company's new row, what to restore on
/// undo, and who decided.
#[derive(Debug, Clone)]
pub struct MergeRecord<'a> {
    pub survivor_id: i64,
    /// The absorbed company as it is after the merge (status `merged`).
    pub loser_after: &'a CompanyRow,
    pub snapshot: &'a MergeSnapshot,
    pub decided_by: DecidedBy,
    pub evidence: Option<&'a PairEvidence>,
    pub job_id: Option<i64>,
    /// The stored row is the absorbed company as it was before this merge
    /// (no change to it is pending with the caller): only the columns the
    /// merge changed need writing.
    pub loser_stored: bool,
}

/// The columns merging changes on the absorbed company (its domain moves to
/// the survivor when the survivor has none; RESOLUTION marks it resolved).
const MERGED_COLUMNS: &[&str] = &[
    "status",
    "merged_into",
    "updated_at",
    "domain",
    "resolved_at",
];

/// A keep-apart or skip answer, or a merge candidate for review.
#[derive(Debug, Clone)]
pub struct PairWrite<'a> {
    pub left_id: i64,
    pub right_id: i64,
    pub evidence: &'a PairEvidence,
    pub job_id: Option<i64>,
}

/// Which link tables have rows at all (merges skip the empty ones).
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkTables {
    pub contacts: bool,
    pub participants: bool,
    pub signals: bool,
}

fn ordered(a: i64, b: i64) -> (i64, i64) {
    if a < b { (a, b) } else { (b, a) }
}

fn candidate_from(r: &Row<'_>) -> rusqlite::Result<CandidateRow> {
    let features: String = r.get(4)?;
    Ok(CandidateRow {
        id: r.get(0)?,
        left_id: r.get(1)?,
        right_id: r.get(2)?,
        score: r.get(3)?,
        evidence: serde_json::from_str(&features).unwrap_or_default(),
        status: r.get(5)?,
        created_at: r.get(6)?,
    })
}

pub(super) fn decision_from(r: &Row<'_>) -> rusqlite::Result<DecisionRow> {
    let decision: String = r.get(3)?;
    let by: String = r.get(4)?;
    let features: String = r.get(7)?;
    let snapshot: String = r.get(8)?;
    let bad = |col: usize, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("unknown value {v:?}").into(),
        )
    };
    Ok(DecisionRow {
        id: r.get(0)?,
        left_id: r.get(1)?,
        right_id: r.get(2)?,
        decision: DecisionKind::parse(&decision).ok_or_else(|| bad(3, &decision))?,
        decided_by: DecidedBy::parse(&by).ok_or_else(|| bad(4, &by))?,
        survivor_id: r.get(5)?,
        score: r.get(6)?,
        features: serde_json::from_str(&features).unwrap_or_default(),
        snapshot: serde_json::from_str(&snapshot).unwrap_or_default(),
        decided_at: r.get(9)?,
        undone_at: r.get(10)?,
    })
}

pub(super) const DECISION_COLUMNS: &str =
    "id, left_id, right_id, decision, decided_by, survivor_id, score, features,
    snapshot, decided_at, undone_at";

impl Store {
    /// Every company that is active or merged (rejected ones are out of play).
    pub fn company_rows(&self) -> Result<Vec<CompanyRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM companies WHERE status IN ('active', 'merged') ORDER BY id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], row_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// What matching reads of every active or merged company, in id order.
    pub fn match_rows(&self) -> Result<Vec<MatchRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, name, name_key, domain, phone, street, city, state, postal_code,
                status = 'merged', merged_into, resolved_at IS NOT NULL
             FROM companies WHERE status IN ('active', 'merged') ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MatchRow {
                id: r.get(0)?,
                name: r.get(1)?,
                name_key: r.get(2)?,
                domain: r.get(3)?,
                phone: r.get(4)?,
                street: r.get(5)?,
                city: r.get(6)?,
                state: r.get(7)?,
                postal_code: r.get(8)?,
                merged: r.get(9)?,
                merged_into: r.get(10)?,
                resolved: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn company_row(&self, id: i64) -> Result<Option<CompanyRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM companies WHERE id = ?1");
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], row_from)
            .optional()?)
    }

    /// Overwrites every column of company `row.id` with `row`.
    pub fn write_company_row(&self, row: &CompanyRow) -> Result<()> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE companies SET name = ?2, name_key = ?3, domain = ?4, website = ?5, phone = ?6,
                    street = ?7, city = ?8, state = ?9, postal_code = ?10, country = ?11,
                    employee_count = ?12, employee_range = ?13, revenue_range = ?14, founded_year = ?15,
                    industry = ?16, naics = ?17, description = ?18, quality_score = ?19,
                    quality_grade = ?20, status = ?21, merged_into = ?22, provenance = ?23,
                    enriched_at = ?24, created_at = ?25, updated_at = ?26, resolved_at = ?27,
                    validated_at = ?28
                 WHERE id = ?1",
            )?
            .execute(params![
                row.id,
                row.name,
                row.name_key,
                row.domain,
                row.website,
                row.phone,
                row.street,
                row.city,
                row.state,
                row.postal_code,
                row.country,
                row.employee_count,
                row.employee_range,
                row.revenue_range,
                row.founded_year,
                row.industry,
                row.naics,
                row.description,
                row.quality_score,
                row.quality_grade,
                row.status,
                row.merged_into,
                row.provenance,
                row.enriched_at,
                row.created_at,
                row.updated_at,
                row.resolved_at,
                row.validated_at
            ])?;
        if n != 1 {
            bail!("company {} does not exist", row.id);
        }
        Ok(())
    }

    /// (membership id, company id) of every listing that has a company.
    pub fn membership_links(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, company_id FROM association_memberships WHERE company_id IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn link_tables(&self) -> Result<LinkTables> {
        let has = |sql: &str| -> Result<bool> {
            Ok(self
                .conn()
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n > 0)?)
        };
        Ok(LinkTables {
            contacts: has("SELECT EXISTS (SELECT 1 FROM contacts WHERE company_id IS NOT NULL)")?,
            participants: has(
                "SELECT EXISTS (SELECT 1 FROM event_participants WHERE company_id IS NOT NULL)",
            )?,
            signals: has("SELECT EXISTS (SELECT 1 FROM competitor_signals)")?,
        })
    }

    /// Ids of the rows of each link table that point at `company`.
    pub fn linked_ids(&self, company: i64, tables: LinkTables) -> Result<MergeSnapshot> {
        let ids = |sql: &str| -> Result<Vec<i64>> {
            let mut stmt = self.conn().prepare_cached(sql)?;
            let rows = stmt.query_map([company], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        };
        Ok(MergeSnapshot {
            memberships: ids(
                "SELECT id FROM association_memberships WHERE company_id = ?1 ORDER BY id",
            )?,
            contacts: if tables.contacts {
                ids("SELECT id FROM contacts WHERE company_id = ?1 ORDER BY id")?
            } else {
                Vec::new()
            },
            participants: if tables.participants {
                ids("SELECT id FROM event_participants WHERE company_id = ?1 ORDER BY id")?
            } else {
                Vec::new()
            },
            signals: if tables.signals {
                ids("SELECT id FROM competitor_signals WHERE company_id = ?1 ORDER BY id")?
            } else {
                Vec::new()
            },
            ..Default::default()
        })
    }

    /// Records one merge: writes the absorbed company's row, re-points its
    /// listings, contacts, participations and signals to the survivor, and
    /// stores the decision with what undo needs. The survivor's own row is
    /// written by the caller (once, after all merges into it).
    pub fn record_merge(&self, m: &MergeRecord<'_>) -> Result<i64> {
        let loser = m.loser_after.id;
        let s = m.snapshot;
        if m.loser_stored
            && s.loser_before
                .keys()
                .all(|k| MERGED_COLUMNS.contains(&k.as_str()))
        {
            // A narrow write: the other columns (and their indexes) stay.
            let r = m.loser_after;
            self.conn()
                .prepare_cached(
                    "UPDATE companies SET status = ?2, merged_into = ?3, updated_at = ?4, domain = ?5,
                        resolved_at = ?6
                     WHERE id = ?1",
                )?
                .execute(params![
                    r.id,
                    r.status,
                    r.merged_into,
                    r.updated_at,
                    r.domain,
                    r.resolved_at
                ])?;
        } else {
            self.write_company_row(m.loser_after)?;
        }
        let repoint = |sql: &str, ids: &[i64]| -> Result<()> {
            if ids.is_empty() {
                return Ok(());
            }
            self.conn()
                .prepare_cached(sql)?
                .execute(params![m.survivor_id, loser])?;
            Ok(())
        };
        repoint(
            "UPDATE association_memberships SET company_id = ?1 WHERE company_id = ?2",
            &s.memberships,
        )?;
        // A contact or signal the survivor already has stays with the absorbed
        // company rather than breaking a unique key; undo finds it there.
        repoint(
            "UPDATE OR IGNORE contacts SET company_id = ?1 WHERE company_id = ?2",
            &s.contacts,
        )?;
        repoint(
            "UPDATE OR IGNORE event_participants SET company_id = ?1 WHERE company_id = ?2",
            &s.participants,
        )?;
        repoint(
            "UPDATE OR IGNORE competitor_signals SET company_id = ?1 WHERE company_id = ?2",
            &s.signals,
        )?;
        let (l, r) = ordered(m.survivor_id, loser);
        let now = now_string();
        let features = m
            .evidence
            .map(|e| serde_json::to_string(&e.features))
            .transpose()?
            .unwrap_or_else(|| "[]".into());
        self.conn()
            .prepare_cached(
                "INSERT INTO merge_decisions (candidate_id, left_id, right_id, decision, survivor_id,
                    score, features, decided_by, snapshot, job_id, decided_at)
                 VALUES ((SELECT id FROM merge_candidates WHERE left_id = ?1 AND right_id = ?2),
                    ?1, ?2, 'merge', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                l,
                r,
                m.survivor_id,
                m.evidence.map(|e| e.score),
                features,
                m.decided_by.as_str(),
                serde_json::to_string(s)?,
                m.job_id,
                now
            ])?;
        let id = self.conn().last_insert_rowid();
        let status = match m.decided_by {
            DecidedBy::Analyst => "approved",
            _ => "auto_merged",
        };
        self.set_candidate_status(l, r, status)?;
        Ok(id)
    }

    /// Stores a keep-apart or skip answer.
    pub fn record_answer(&self, kind: DecisionKind, p: &PairWrite<'_>) -> Result<i64> {
        if kind == DecisionKind::Merge {
            bail!("a merge is recorded with record_merge");
        }
        let (l, r) = ordered(p.left_id, p.right_id);
        self.conn()
            .prepare_cached(
                "INSERT INTO merge_decisions (candidate_id, left_id, right_id, decision, score, features,
                    decided_by, job_id, decided_at)
                 VALUES ((SELECT id FROM merge_candidates WHERE left_id = ?1 AND right_id = ?2),
                    ?1, ?2, ?3, ?4, ?5, 'analyst', ?6, ?7)",
            )?
            .execute(params![
                l,
                r,
                kind.as_str(),
                p.evidence.score,
                serde_json::to_string(&p.evidence.features)?,
                p.job_id,
                now_string()
            ])?;
        let id = self.conn().last_insert_rowid();
        let status = match kind {
            DecisionKind::KeepApart => "rejected",
            _ => "skipped",
        };
        self.set_candidate_status(l, r, status)?;
        Ok(id)
    }

    /// Files a pair for review (or refreshes its score while it is pending).
    pub fn upsert_candidate(&self, p: &PairWrite<'_>) -> Result<()> {
        let (l, r) = ordered(p.left_id, p.right_id);
        let now = now_string();
        self.conn()
            .prepare_cached(
                "INSERT INTO merge_candidates (left_id, right_id, score, features, status, job_id,
                    created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)
                 ON CONFLICT (left_id, right_id) DO UPDATE SET
                    score = excluded.score, features = excluded.features, updated_at = excluded.updated_at
                 WHERE status = 'pending'",
            )?
            .execute(params![
                l,
                r,
                p.evidence.score,
                serde_json::to_string(p.evidence)?,
                p.job_id,
                now
            ])?;
        Ok(())
    }

    pub fn set_candidate_status(&self, left: i64, right: i64, status: &str) -> Result<()> {
        let (l, r) = ordered(left, right);
        self.conn()
            .prepare_cached(
                "UPDATE merge_candidates SET status = ?3, updated_at = ?4
                 WHERE left_id = ?1 AND right_id = ?2",
            )?
            .execute(params![l, r, status, now_string()])?;
        Ok(())
    }

    /// Pending candidates, the most uncertain first (a decision there
    /// teaches the resolver the most), both sides still active.
    pub fn pending_candidates(&self, limit: Option<usize>) -> Result<Vec<CandidateRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT m.id, m.left_id, m.right_id, m.score, m.features, m.status, m.created_at
             FROM merge_candidates m
             JOIN companies a ON a.id = m.left_id AND a.status = 'active'
             JOIN companies b ON b.id = m.right_id AND b.status = 'active'
             WHERE m.status = 'pending'
             ORDER BY abs(m.score - 0.5), m.id
             LIMIT ?1",
        )?;
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        let rows = stmt.query_map([limit], candidate_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn candidate(&self, left: i64, right: i64) -> Result<Option<CandidateRow>> {
        let (l, r) = ordered(left, right);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, left_id, right_id, score, features, status, created_at
                 FROM merge_candidates WHERE left_id = ?1 AND right_id = ?2",
            )?
            .query_row([l, r], candidate_from)
            .optional()?)
    }

    /// Count of candidates by status.
    pub fn candidate_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT status, count(*) FROM merge_candidates GROUP BY status ORDER BY status",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Pairs the resolver must not decide again: every candidate (in any
    /// status) and every standing decision.
    pub fn settled_pairs(&self) -> Result<HashSet<(i64, i64)>> {
        let mut out = HashSet::new();
        for sql in [
            "SELECT left_id, right_id FROM merge_candidates",
            "SELECT left_id, right_id FROM merge_decisions WHERE undone_at IS NULL",
        ] {
            let mut stmt = self.conn().prepare(sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
            for p in rows {
                out.insert(p?);
            }
        }
        Ok(out)
    }

    /// Standing decisions (not undone), oldest first.
    pub fn decisions(&self) -> Result<Vec<DecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM merge_decisions WHERE undone_at IS NULL ORDER BY id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], decision_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Analyst answers with their features: what the resolver learns from.
    pub fn analyst_decisions(&self) -> Result<Vec<DecisionRow>> {
        Ok(self
            .decisions()?
            .into_iter()
            .filter(|d| d.decided_by == DecidedBy::Analyst && d.decision != DecisionKind::Skip)
            .collect())
    }

    pub fn decision(&self, id: i64) -> Result<Option<DecisionRow>> {
        let sql = format!("SELECT {DECISION_COLUMNS} FROM merge_decisions WHERE id = ?1");
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], decision_from)
            .optional()?)
    }

    /// Standing merges after decision `id` that involve any of `companies`
    /// (as survivor or absorbed): they must be undone first.
    pub fn later_merges(&self, id: i64, companies: &[i64]) -> Result<Vec<i64>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM merge_decisions
             WHERE id > ?1 AND undone_at IS NULL AND decision = 'merge'
               AND (left_id = ?2 OR right_id = ?2 OR survivor_id = ?2)
             ORDER BY id",
        )?;
        let mut out = Vec::new();
        for c in companies {
            for r in stmt.query_map(params![id, c], |r| r.get::<_, i64>(0))? {
                out.push(r?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Undoes decision `d`: for a merge, restores both companies' columns and
    /// moves every re-pointed row back; in every case the pair goes back to
    /// the review queue as pending.
    pub fn undo_decision(&self, d: &DecisionRow) -> Result<()> {
        if d.undone_at.is_some() {
            bail!("decision {} was already undone at {:?}", d.id, d.undone_at);
        }
        if d.decision == DecisionKind::Merge {
            let survivor = d
                .survivor_id
                .context("a merge decision without a survivor")?;
            let loser = if survivor == d.left_id {
                d.right_id
            } else {
                d.left_id
            };
            let s = &d.snapshot;
            let cur_s = self
                .company_row(survivor)?
                .with_context(|| format!("company {survivor} is gone"))?;
            let cur_l = self
                .company_row(loser)?
                .with_context(|| format!("company {loser} is gone"))?;
            // The survivor first: it gives back a domain it took over, which
            // the absorbed company's row then takes again (domains are unique).
            self.write_company_row(&cur_s.patched(&s.survivor_before)?)?;
            self.write_company_row(&cur_l.patched(&s.loser_before)?)?;
            let back = |sql: &str, ids: &[i64]| -> Result<()> {
                let mut stmt = self.conn().prepare_cached(sql)?;
                for id in ids {
                    stmt.execute(params![loser, id, survivor])?;
                }
                Ok(())
            };
            back(
                "UPDATE association_memberships SET company_id = ?1 WHERE id = ?2 AND company_id = ?3",
                &s.memberships,
            )?;
            back(
                "UPDATE contacts SET company_id = ?1 WHERE id = ?2 AND company_id = ?3",
                &s.contacts,
            )?;
            back(
                "UPDATE event_participants SET company_id = ?1 WHERE id = ?2 AND company_id = ?3",
                &s.participants,
            )?;
            back(
                "UPDATE competitor_signals SET company_id = ?1 WHERE id = ?2 AND company_id = ?3",
                &s.signals,
            )?;
        }
        let now = now_string();
        self.conn()
            .prepare_cached("UPDATE merge_decisions SET undone_at = ?2 WHERE id = ?1")?
            .execute(params![d.id, now])?;
        let evidence = PairEvidence {
            features: d.features.clone(),
            score: d.score.unwrap_or(0.5),
            ..Default::default()
        };
        // Back in the queue: the candidate row keeps its reasons if it has one.
        self.conn()
            .prepare_cached(
                "INSERT INTO merge_candidates (left_id, right_id, score, features, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
                 ON CONFLICT (left_id, right_id) DO UPDATE SET status = 'pending', updated_at = excluded.updated_at",
            )?
            .execute(params![
                d.left_id,
                d.right_id,
                evidence.score,
                serde_json::to_string(&evidence)?,
                now
            ])?;
        Ok(())
    }

    /// Marks every unresolved company up to `max_id` as resolved at `at`.
    pub fn mark_resolved(&self, max_id: i64, at: &str) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE companies SET resolved_at = ?2 WHERE id <= ?1 AND resolved_at IS NULL",
            params![max_id, at],
        )?)
    }

    /// (external id, company id) of every listing: how source records
    /// resolved, for scoring against ground truth and for exports.
    pub fn membership_assignment(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT coalesce(external_id, association_code || ':' || record_key), company_id
             FROM association_memberships WHERE company_id IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
