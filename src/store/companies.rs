//! Canonical companies.

use anyhow::Result;
use rusqlite::{OptionalExtension, Row, params};

use super::Store;
use crate::model::{Company, FieldProvenance, MemberRecord, Provenance, now_string};

/// What the company list shows.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    /// Case-insensitive substring of name, domain or city.
    pub text: Option<String>,
    /// Only companies listed by this association.
    pub association: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
}

const COMPANY_COLUMNS: &str = "c.id, c.name, c.name_key, c.domain, c.website, c.phone, c.street, c.city, c.state,
     c.postal_code, c.country, c.employee_count, c.founded_year, c.industry, c.quality_score,
     c.quality_grade, c.status, c.provenance, c.updated_at,
     (SELECT group_concat(DISTINCT m.association_code) FROM association_memberships m WHERE m.company_id = c.id),
     c.employee_range";

fn company_from_row(r: &Row<'_>) -> rusqlite::Result<Company> {
    let provenance: String = r.get(17)?;
    let assocs: Option<String> = r.get(19)?;
    let mut associations: Vec<String> = assocs
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    associations.sort();
    Ok(Company {
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
        employee_range: r.get(20)?,
        founded_year: r.get(12)?,
        industry: r.get(13)?,
        quality_score: r.get(14)?,
        quality_grade: r.get(15)?,
        status: r.get(16)?,
        provenance: super::provenance::decode(&provenance),
        updated_at: r.get(18)?,
        associations,
    })
}

/// The member-record fields that fill company fields, with their names, in
/// the order of [`FILL_COMPANY_SQL`]'s parameters ?2..?9.
pub(super) fn record_fields(rec: &MemberRecord) -> [(&'static str, Option<&String>); 8] {
    [
        ("website", rec.website.as_ref()),
        ("phone", rec.phone.as_ref()),
        ("street", rec.street.as_ref()),
        ("city", rec.city.as_ref()),
        ("state", rec.state.as_ref()),
        ("postal_code", rec.postal_code.as_ref()),
        ("country", rec.country.as_ref()),
        ("domain", rec.domain.as_ref()),
    ]
}

/// `rec` without its website and domain, for filling a company that must
/// not take them.
pub(super) fn without_website(rec: &MemberRecord) -> MemberRecord {
    MemberRecord {
        website: None,
        domain: None,
        ..rec.clone()
    }
}

/// Where `field` of a company taken from `rec` came from: the record's own
/// provenance for it, else the record's source at time `at`.
pub(super) fn field_provenance(
    rec: &MemberRecord,
    field: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> FieldProvenance {
    rec.provenance
        .get(field)
        .cloned()
        .unwrap_or(FieldProvenance {
            source_url: rec.source_url.clone(),
            extractor: rec.extractor.clone(),
            at,
            confidence: rec.confidence,
        })
}

/// Provenance of a company created from `rec`: its name and every field it fills.
pub(super) fn new_company_provenance(
    rec: &MemberRecord,
    at: chrono::DateTime<chrono::Utc>,
) -> Provenance {
    let mut prov: Provenance = record_fields(rec)
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(f, _)| ((*f).to_owned(), field_provenance(rec, f, at)))
        .collect();
    prov.insert("name".into(), field_provenance(rec, "name", at));
    prov
}

/// [`new_company_provenance`] in the stored form (the bulk import builds
/// one per row, off the writing thread).
pub(super) fn new_company_provenance_json(
    rec: &MemberRecord,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    Ok(super::provenance::encode(&new_company_provenance(rec, at))?)
}

/// A company created from a member record (shared with the bulk import, so
/// both write the same row).
pub(super) const INSERT_COMPANY_SQL: &str =
    "INSERT INTO companies (name, name_key, domain, website, phone, street, city, state,
        postal_code, country, provenance, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";

/// What a company row holds beyond the record's own fields.
pub(super) struct CompanyRowExtras<'a> {
    pub name_key: &'a str,
    /// JSON.
    pub provenance: &'a str,
    pub now: &'a str,
}

/// Runs a prepared [`INSERT_COMPANY_SQL`] (a bulk writer keeps the statement
/// instead of looking it up per row); returns the new company's id.
pub(super) fn insert_company(
    stmt: &mut rusqlite::Statement<'_>,
    rec: &MemberRecord,
    x: &CompanyRowExtras<'_>,
) -> Result<i64> {
    Ok(stmt.insert(params![
        rec.name,
        x.name_key,
        rec.domain,
        rec.website,
        rec.phone,
        rec.street,
        rec.city,
        rec.state,
        rec.postal_code,
        rec.country,
        x.provenance,
        x.now
    ])?)
}

/// Fills the fields company ?1 lacks from a member record; ?10 is the new
/// provenance, ?11 the time.
const FILL_COMPANY_SQL: &str = "UPDATE companies SET
        website = coalesce(website, ?2), phone = coalesce(phone, ?3),
        street = coalesce(street, ?4), city = coalesce(city, ?5),
        state = coalesce(state, ?6), postal_code = coalesce(postal_code, ?7),
        country = coalesce(country, ?8), domain = coalesce(domain, ?9),
        provenance = ?10, updated_at = ?11
     WHERE id = ?1";

impl Store {
    /// Inserts a company created from `rec` ([`INSERT_COMPANY_SQL`]); returns its id.
    pub(super) fn insert_company_row(
        &self,
        rec: &MemberRecord,
        name_key: &str,
        provenance: &str,
        now: &str,
    ) -> Result<i64> {
        let mut stmt = self.conn().prepare_cached(INSERT_COMPANY_SQL)?;
        insert_company(
            &mut stmt,
            rec,
            &CompanyRowExtras {
                name_key,
                provenance,
                now,
            },
        )
    }

    /// Fills the fields company `id` lacks from `rec` ([`FILL_COMPANY_SQL`]).
    pub(super) fn fill_company_row(
        &self,
        id: i64,
        rec: &MemberRecord,
        provenance: &str,
        now: &str,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(FILL_COMPANY_SQL)?
            .execute(params![
                id,
                rec.website,
                rec.phone,
                rec.street,
                rec.city,
                rec.state,
                rec.postal_code,
                rec.country,
                rec.domain,
                provenance,
                now
            ])?;
        Ok(())
    }
}

impl Store {
    /// Finds the company a member record belongs to or creates it, filling
    /// fields the company lacks. The only keys used here are hard ones: the
    /// company this listing already belongs to, else the company with the same
    /// registrable domain. Everything fuzzier (same name, different spelling)
    /// is RESOLUTION's decision, so firms that share a name stay apart until
    /// it has compared them. Idempotent: the same record twice changes
    /// nothing the second time. (`nam import` applies the same rule in bulk:
    /// `store/import.rs`.)
    pub fn upsert_company_from_member(&self, rec: &MemberRecord, name_key: &str) -> Result<i64> {
        let key = super::record_key(rec, name_key);
        let listed: Option<i64> = self
            .conn()
            .prepare_cached(
                "SELECT company_id FROM association_memberships
                 WHERE association_code = ?1 AND record_key = ?2",
            )?
            .query_row(params![rec.association, key], |r| r.get(0))
            .optional()?
            .flatten();
        let existing = match listed {
            Some(id) => Some(id),
            None => match &rec.domain {
                Some(d) => self.company_with_domain(d)?,
                None => None,
            },
        };
        let existing = match existing {
            Some(id) => Some(self.surviving_company(id)?),
            None => None,
        };
        let now = now_string();
        let at = chrono::Utc::now();
        match existing {
            None => {
                let prov = new_company_provenance_json(rec, at)?;
                self.insert_company_row(rec, name_key, &prov, &now)
            }
            Some(id) => {
                let company = self
                    .company(id)?
                    .ok_or_else(|| anyhow::anyhow!("company {id} vanished"))?;
                // The listing's company lacks a domain and the record brings
                // one another company has (the listing now shows that firm's
                // website, or two firms share a name and city): the listing
                // stays with its company, which does not take the other's
                // domain and website; RESOLUTION decides whether they are
                // one firm. (Filling it would break the unique domain and
                // abort the whole batch.)
                let foreign_domain = match (&company.domain, &rec.domain) {
                    (None, Some(d)) => self.company_with_domain(d)?.is_some(),
                    _ => false,
                };
                let without_site;
                let rec = if foreign_domain {
                    without_site = without_website(rec);
                    &without_site
                } else {
                    rec
                };
                let current = [
                    &company.website,
                    &company.phone,
                    &company.street,
                    &company.city,
                    &company.state,
                    &company.postal_code,
                    &company.country,
                    &company.domain,
                ];
                let mut prov = company.provenance.clone();
                let mut changed = false;
                for ((field, new), cur) in record_fields(rec).iter().zip(current.iter()) {
                    if cur.is_none() && new.is_some() {
                        prov.insert((*field).to_owned(), field_provenance(rec, field, at));
                        changed = true;
                    }
                }
                if changed {
                    let prov = super::provenance::encode(&prov)?;
                    self.fill_company_row(id, rec, &prov, &now)?;
                }
                Ok(id)
            }
        }
    }

    /// The company (any status) whose registrable domain is `domain`.
    fn company_with_domain(&self, domain: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id FROM companies WHERE domain = ?1")?
            .query_row([domain], |r| r.get(0))
            .optional()?)
    }

    /// The active company `id` was merged into (itself when it is active),
    /// following a chain of merges.
    pub fn surviving_company(&self, id: i64) -> Result<i64> {
        let mut cur = id;
        // A merge chain longer than this would be a cycle: stop rather than spin.
        for _ in 0..64 {
            let next: Option<i64> = self
                .conn()
                .prepare_cached(
                    "SELECT merged_into FROM companies WHERE id = ?1 AND status = 'merged'",
                )?
                .query_row([cur], |r| r.get(0))
                .optional()?
                .flatten();
            match next {
                Some(n) => cur = n,
                None => return Ok(cur),
            }
        }
        anyhow::bail!("company {id}: its merged_into chain does not end (a cycle?)")
    }

    pub fn company(&self, id: i64) -> Result<Option<Company>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM companies c WHERE c.id = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [id], company_from_row)
            .optional()?)
    }

    /// Companies matching `filter`, ordered by name.
    pub fn companies(&self, filter: &CompanyFilter) -> Result<Vec<Company>> {
        // The column list is a constant; every value is a bound parameter.
        let sql = format!(
            "SELECT {COMPANY_COLUMNS} FROM companies c
             WHERE c.status = 'active'
               AND (?1 IS NULL OR c.name LIKE ?1 ESCAPE '\\' OR c.domain LIKE ?1 ESCAPE '\\'
                    OR c.city LIKE ?1 ESCAPE '\\')
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM association_memberships m
                                          WHERE m.company_id = c.id AND m.association_code = ?2))
             ORDER BY c.name COLLATE NOCASE, c.id
             LIMIT ?3 OFFSET ?4"
        );
        let pattern = filter.text.as_ref().filter(|t| !t.is_empty()).map(|t| {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(
                params![pattern, filter.association, limit, filter.offset as i64],
                company_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn company_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM companies WHERE status = 'active'",
            [],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
impl Store {
    /// Stores a listing as extraction does on hard keys: its company
    /// (found or created under the name's key) and the listing pointing at
    /// it. Returns the company id.
    pub(crate) fn list_for_test(&self, rec: &crate::model::MemberRecord) -> Result<i64> {
        let key = crate::normalize::name_key(&rec.name);
        let id = self.upsert_company_from_member(rec, &key)?;
        self.upsert_membership(rec, &key, Some(id), None)?;
        Ok(id)
    }

    /// Marks company `id` merged into `into` without re-pointing its
    /// listings, as a stale pointer would look (tests of readers that must
    /// follow `merged_into`).
    pub(crate) fn mark_merged_for_test(&self, id: i64, into: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE companies SET status = 'merged', merged_into = ?2 WHERE id = ?1",
            [id, into],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(assoc: &str, name: &str, domain: Option<&str>, city: Option<&str>) -> MemberRecord {
        MemberRecord {
            association: assoc.into(),
            name: name.into(),
            website: domain.map(|d| format!("http://www.{d}/")),
            domain: domain.map(Into::into),
            city: city.map(Into::into),
            source_url: format!("http://{}.example/members", assoc.to_lowercase()),
            extractor: "generic".into(),
            confidence: 0.8,
            ..Default::default()
        }
    }

    #[test]
    fn upserts_are_idempotent_and_merge_on_domain() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let a = rec("PMA", "Acme Stamping Inc.", Some("acme.example"), None);
        let b = rec(
            "NTMA",
            "ACME STAMPING",
            Some("acme.example"),
            Some("Cleveland"),
        );
        let c = rec("AGMA", "Gearco", None, Some("Rockford"));
        for _ in 0..3 {
            for r in [&a, &b, &c] {
                let key = crate::normalize::name_key(&r.name);
                let id = store.upsert_company_from_member(r, &key).unwrap();
                store.upsert_membership(r, &key, Some(id), None).unwrap();
            }
        }
        assert_eq!(store.company_count().unwrap(), 2);
        assert_eq!(store.membership_count().unwrap(), 3);
        let acme = store
            .companies(&CompanyFilter {
                text: Some("acme".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(acme.len(), 1);
        // First value wins; missing fields are filled from later listings, with provenance.
        assert_eq!(acme[0].name, "Acme Stamping Inc.");
        assert_eq!(acme[0].city.as_deref(), Some("Cleveland"));
        assert_eq!(
            acme[0].provenance["city"].source_url,
            "http://ntma.example/members"
        );
        assert_eq!(acme[0].associations, ["NTMA", "PMA"]);
        // A domain-less listing with the same name is not merged here (that is
        // RESOLUTION's call), but re-reading the same listing keeps its company.
        let d = rec("FIA", "Acme Stamping, Inc", None, None);
        let key = crate::normalize::name_key(&d.name);
        let first = store.upsert_company_from_member(&d, &key).unwrap();
        assert_ne!(first, acme[0].id);
        store
            .upsert_membership(&d, &key, Some(first), None)
            .unwrap();
        assert_eq!(store.upsert_company_from_member(&d, &key).unwrap(), first);
    }

    #[test]
    fn a_new_company_stores_each_source_once_and_reads_back_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let mut r = rec(
            "PMA",
            "Acme \"Quoted\" Tool",
            Some("acme.example"),
            Some("Zürich"),
        );
        r.source_url = "file:///tmp/a \"b\"/x.csv#line=7".into();
        r.phone = Some("+12165550142".into());
        let id = store
            .upsert_company_from_member(&r, &crate::normalize::name_key(&r.name))
            .unwrap();
        let stored: String = store
            .conn()
            .query_row(
                "SELECT provenance FROM companies WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(stored.matches("x.csv#line=7").count(), 1, "{stored}");
        let company = store.company(id).unwrap().unwrap();
        let fields: Vec<&str> = company.provenance.keys().map(String::as_str).collect();
        assert_eq!(fields, ["city", "domain", "name", "phone", "website"]);
        assert!(
            company
                .provenance
                .values()
                .all(|p| p.source_url == r.source_url && p.extractor == r.extractor)
        );
    }

    #[test]
    fn filter_escapes_like_wildcards() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        for name in ["100% Tool", "Tooling Co"] {
            let r = rec("PMA", name, None, None);
            store
                .upsert_company_from_member(&r, &crate::normalize::name_key(name))
                .unwrap();
        }
        let f = |t: &str| CompanyFilter {
            text: Some(t.into()),
            ..Default::default()
        };
        assert_eq!(store.companies(&f("%")).unwrap().len(), 1);
        assert_eq!(store.companies(&f("tool")).unwrap().len(), 2);
        let by_assoc = store
            .companies(&CompanyFilter {
                association: Some("PMA".into()),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_assoc.len(), 0, "no memberships were stored");
    }
}
