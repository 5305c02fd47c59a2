//! Association memberships: the raw extracted listing records.

use anyhow::Result;
use rusqlite::params;

use super::Store;
use crate::model::{MemberRecord, now_string};

/// Stable identity of a listing within its association: the profile page when
/// there is one, else the id the source gave the record (an imported CRM
/// row keeps its identity when its name or city is edited), else the name
/// key plus city (look-alike companies share names).
pub fn record_key(rec: &MemberRecord, name_key: &str) -> String {
    match (&rec.profile_url, &rec.external_id) {
        (Some(u), _) => format!("profile:{u}"),
        (None, Some(id)) => format!("ext:{id}"),
        (None, None) => format!(
            "name:{name_key}|{}",
            rec.city.as_deref().unwrap_or("").to_lowercase()
        ),
    }
}

/// The listing insert, shared by [`UPSERT_MEMBERSHIP_SQL`] and the plain
/// insert of a listing known to be new.
macro_rules! insert_membership {
    () => {
        "INSERT INTO association_memberships (association_code, record_key, company_id, raw_name, name_key,
                website, domain, phone, email, street, city, state, postal_code, country, membership_type,
                profile_url, source_url, extractor, confidence, provenance, raw_json, job_id,
                first_seen_at, last_seen_at, external_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                ?20, ?21, ?22, ?23, ?23, ?24)"
    };
}

/// The listing upsert (also run bare by the SQLite-ceiling benchmark, so
/// both measure the same statement).
pub const UPSERT_MEMBERSHIP_SQL: &str = concat!(
    insert_membership!(),
    "
             ON CONFLICT (association_code, record_key) DO UPDATE SET
                company_id = coalesce(excluded.company_id, company_id),
                raw_name = excluded.raw_name, name_key = excluded.name_key, website = excluded.website,
                domain = excluded.domain, phone = excluded.phone, email = excluded.email,
                street = excluded.street, city = excluded.city, state = excluded.state,
                postal_code = excluded.postal_code, country = excluded.country,
                membership_type = excluded.membership_type, profile_url = excluded.profile_url,
                source_url = excluded.source_url, extractor = excluded.extractor,
                confidence = excluded.confidence, provenance = excluded.provenance,
                raw_json = NULL, job_id = coalesce(excluded.job_id, job_id),
                last_seen_at = excluded.last_seen_at,
                external_id = coalesce(excluded.external_id, external_id)"
);

/// A listing the caller knows is not stored yet: without the conflict
/// clause SQLite needs no statement journal, which makes bulk inserts cheaper.
pub(super) const INSERT_MEMBERSHIP_SQL: &str = insert_membership!();

/// Runs a prepared [`UPSERT_MEMBERSHIP_SQL`] or [`INSERT_MEMBERSHIP_SQL`]
/// for `w` (a bulk writer keeps both statements instead of looking them up
/// per row).
pub(super) fn write_membership(
    stmt: &mut rusqlite::Statement<'_>,
    w: &MembershipWrite<'_>,
) -> Result<()> {
    let rec = w.rec;
    stmt.execute(params![
        rec.association,
        w.record_key,
        w.company_id,
        rec.name,
        w.name_key,
        rec.website,
        rec.domain,
        rec.phone,
        rec.email,
        rec.street,
        rec.city,
        rec.state,
        rec.postal_code,
        rec.country,
        rec.membership_type,
        rec.profile_url,
        rec.source_url,
        rec.extractor,
        rec.confidence,
        w.provenance,
        // Every field has its own column: the record is not stored
        // twice (it halves the bytes written per listing).
        Option::<String>::None,
        w.job_id,
        w.now,
        rec.external_id
    ])?;
    Ok(())
}

/// One listing row to upsert, with everything derived from the record
/// already computed (the bulk import derives it off the writing thread).
pub(crate) struct MembershipWrite<'a> {
    pub rec: &'a MemberRecord,
    pub name_key: &'a str,
    pub record_key: &'a str,
    pub company_id: Option<i64>,
    pub job_id: Option<i64>,
    /// The record's provenance as JSON.
    pub provenance: &'a str,
    pub now: &'a str,
    /// The caller knows (association, record key) is not stored: a plain
    /// insert instead of the upsert (same row either way).
    pub is_new: bool,
}

impl Store {
    /// Inserts or refreshes one listing record. Re-running an extraction
    /// updates `last_seen_at` and the values; it never duplicates the row.
    /// (No `RETURNING id`: with it SQLite inserts about four times slower.)
    pub fn upsert_membership(
        &self,
        rec: &MemberRecord,
        name_key: &str,
        company_id: Option<i64>,
        job_id: Option<i64>,
    ) -> Result<()> {
        let now = now_string();
        let key = record_key(rec, name_key);
        let provenance = super::provenance::encode(&rec.provenance)?;
        self.upsert_membership_row(&MembershipWrite {
            rec,
            name_key,
            record_key: &key,
            company_id,
            job_id,
            provenance: &provenance,
            now: &now,
            is_new: false,
        })
    }

    /// [`Store::upsert_membership`] with its derived values given.
    pub(crate) fn upsert_membership_row(&self, w: &MembershipWrite<'_>) -> Result<()> {
        let sql = if w.is_new {
            INSERT_MEMBERSHIP_SQL
        } else {
            UPSERT_MEMBERSHIP_SQL
        };
        // Prepared once per connection: the writer inserts many thousands.
        let mut stmt = self.conn().prepare_cached(sql)?;
        write_membership(&mut stmt, w)
    }

    /// The listing records of one company.
    pub fn memberships_of(&self, company_id: i64) -> Result<Vec<MemberRecord>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM association_memberships WHERE company_id = ?1
             ORDER BY association_code, id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([company_id], |r| member_from_row(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn membership_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM association_memberships", [], |r| {
                r.get(0)
            })?)
    }
}

/// The columns [`member_from_row`] reads, in its order.
pub(crate) const MEMBER_COLUMNS: &str =
    "association_code, raw_name, website, domain, phone, email, street,
    city, state, postal_code, country, membership_type, profile_url, source_url, extractor,
    confidence, provenance, external_id";

/// A listing record from [`MEMBER_COLUMNS`] starting at column `at`.
pub(crate) fn member_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<MemberRecord> {
    let provenance: String = r.get(at + 16)?;
    Ok(MemberRecord {
        association: r.get(at)?,
        name: r.get(at + 1)?,
        website: r.get(at + 2)?,
        domain: r.get(at + 3)?,
        phone: r.get(at + 4)?,
        email: r.get(at + 5)?,
        street: r.get(at + 6)?,
        city: r.get(at + 7)?,
        state: r.get(at + 8)?,
        postal_code: r.get(at + 9)?,
        country: r.get(at + 10)?,
        membership_type: r.get(at + 11)?,
        profile_url: r.get(at + 12)?,
        source_url: r.get(at + 13)?,
        extractor: r.get(at + 14)?,
        confidence: r.get(at + 15)?,
        provenance: super::provenance::decode(&provenance),
        external_id: r.get(at + 17)?,
    })
}

/// A listing row with the company it resolved to, for exports.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub id: i64,
    /// The active company the record belongs to: its stored company,
    /// followed through `merged_into` (resolution re-points listings when it
    /// merges, but a pointer left at a merged company still exports the
    /// survivor).
    pub company_id: Option<i64>,
    pub record: MemberRecord,
    pub first_seen_at: String,
    pub last_seen_at: String,
}

/// Merged company -> the active company at the end of its `merged_into`
/// chain (chains longer than 64 or cyclic have no end and are left out).
/// A macro so other store modules can `concat!` it into their own literal
/// SQL rather than build statements with `format!`.
macro_rules! survivors_cte {
    () => {
        "WITH RECURSIVE chain(id, cur, depth) AS (
        SELECT id, merged_into, 1 FROM companies
        WHERE status = 'merged' AND merged_into IS NOT NULL
        UNION ALL
        SELECT chain.id, c.merged_into, chain.depth + 1
        FROM chain JOIN companies c ON c.id = chain.cur
        WHERE c.status = 'merged' AND c.merged_into IS NOT NULL AND chain.depth < 64
    ),
    survivor(id, company_id) AS (
        SELECT id, cur FROM chain
        WHERE NOT EXISTS (SELECT 1 FROM companies c
                          WHERE c.id = chain.cur AND c.status = 'merged' AND c.merged_into IS NOT NULL)
    )"
    };
}
pub(super) use survivors_cte;

const SURVIVORS_CTE: &str = survivors_cte!();

impl Store {
    /// Every listing record with its canonical company, ordered by
    /// association then name.
    pub fn all_memberships(&self) -> Result<Vec<MembershipRow>> {
        // Both fragments are constants; there are no values to bind.
        let sql = format!(
            "{SURVIVORS_CTE}
             SELECT m.id, coalesce(s.company_id, m.company_id), first_seen_at, last_seen_at, {MEMBER_COLUMNS}
             FROM association_memberships m LEFT JOIN survivor s ON s.id = m.company_id
             ORDER BY association_code, raw_name COLLATE NOCASE, m.id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(MembershipRow {
                id: r.get(0)?,
                company_id: r.get(1)?,
                first_seen_at: r.get(2)?,
                last_seen_at: r.get(3)?,
                record: member_from_row(r, 4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
