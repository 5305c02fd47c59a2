//! Bulk writes for `nam import`: the write-time rule of
//! [`Store::upsert_company_from_member`] applied to many records in one
//! transaction, with the lookups it needs held in memory.
//!
//! Per row, `upsert_company_from_member` asks SQLite three or four questions
//! (is this listing known, who owns this domain, was that company merged,
//! which of its fields are empty) and reads the whole company back. Here the
//! answers are loaded once and kept current as rows are written, so a row
//! costs two inserts. The rule is the same: the company the listing already
//! points to, else the company with the record's registrable domain, both
//! followed through merges; else a new company. Fields a company lacks are
//! filled from the record, with provenance.

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::OptionalExtension;
use rustc_hash::FxHashMap as HashMap;

use super::Store;
use super::companies::{
    CompanyRowExtras, INSERT_COMPANY_SQL, field_provenance, insert_company,
    new_company_provenance_json, record_fields, without_website,
};
use super::memberships::{
    INSERT_MEMBERSHIP_SQL, MembershipWrite, UPSERT_MEMBERSHIP_SQL, record_key, write_membership,
};
use crate::model::{MemberRecord, Provenance, now_string};

/// A record ready for the bulk writer: everything that can be derived from
/// the record alone is derived when it is built, so callers can build them
/// in parallel and the single writing thread only writes. The derived
/// values are fixed at construction, so the fields are private.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    rec: MemberRecord,
    name_key: String,
    /// Line of the source file, for error messages.
    line: u64,
    record_key: String,
    /// Provenance JSON of the company this record would create.
    new_company_provenance: String,
    /// Which of the eight fill fields (see `record_fields`) the record has.
    fields: u8,
}

impl ImportRecord {
    /// `at` is the time the record's values were taken (one per import).
    pub fn new(
        rec: MemberRecord,
        name_key: String,
        line: u64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportRecord> {
        let record_key = record_key(&rec, &name_key);
        let new_company_provenance = new_company_provenance_json(&rec, at)?;
        let fields = field_mask(&rec);
        Ok(ImportRecord {
            rec,
            name_key,
            line,
            record_key,
            new_company_provenance,
            fields,
        })
    }

    pub fn record(&self) -> &MemberRecord {
        &self.rec
    }
}

fn field_mask(rec: &MemberRecord) -> u8 {
    record_fields(rec)
        .iter()
        .enumerate()
        .filter(|(_, (_, v))| v.is_some())
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// Bits of `website` and `domain` in `record_fields` order.
const WEBSITE_BIT: u8 = 1;
const DOMAIN_BIT: u8 = 1 << 7;

/// The write-time rule's lookups, loaded once per import and kept current.
pub struct BulkImport<'s> {
    store: &'s Store,
    /// Association -> record key -> company the listing points to (loaded
    /// per association on first use: an import touches one or a few).
    listed: HashMap<String, HashMap<String, Option<i64>>>,
    /// Registrable domain -> company id (merged companies included, as
    /// `upsert_company_from_member` finds them too).
    by_domain: HashMap<String, i64>,
    /// Merged company -> the company it was merged into.
    merged_into: HashMap<i64, i64>,
    /// Company -> which fill fields it has (`field_mask` bits), for the
    /// companies this import has touched.
    has_fields: HashMap<i64, u8>,
    /// Rows written, companies created, companies filled.
    pub stats: BulkImportStats,
    now: String,
    at: chrono::DateTime<chrono::Utc>,
    membership_provenance: String,
    /// The three statements every row runs, held rather than looked up in
    /// the statement cache per row (which hashes their text each time).
    company_insert: rusqlite::CachedStatement<'s>,
    membership_insert: rusqlite::CachedStatement<'s>,
    membership_upsert: rusqlite::CachedStatement<'s>,
}

/// What a bulk import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkImportStats {
    pub rows: usize,
    pub companies_created: usize,
    pub companies_filled: usize,
}

/// How a bulk import should write.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkOptions {
    /// Rows the caller expects to write (an estimate; 0 when unknown).
    pub expected_rows: usize,
}

/// Secondary indexes of the two tables an import fills whose keys arrive in
/// random order (names, domains, source ids), so that each row costs a
/// B-tree search and often a page split. The UNIQUE constraints (domain,
/// association + record key) stay, since the write-time rule depends on
/// them; indexes whose new keys only ever append (status, merge pointer,
/// company id of a new company) stay too: an append is cheaper than the
/// share of a rebuild.
const DEFERRABLE_INDEXES: &[(&str, &str)] = &[
    ("companies_name_key", "DROP INDEX companies_name_key"),
    // The company list's indexes (0006). Only the name order's keys arrive
    // in random order, but each entry costs expressions and a partial-index
    // condition: built once at the end, the six cost about a third less
    // (1.3 s instead of 1.8 s of CPU for 190,000 rows, 127,000 companies).
    ("companies_browse_name", "DROP INDEX companies_browse_name"),
    (
        "companies_browse_grade",
        "DROP INDEX companies_browse_grade",
    ),
    (
        "companies_browse_state",
        "DROP INDEX companies_browse_state",
    ),
    (
        "companies_browse_updated",
        "DROP INDEX companies_browse_updated",
    ),
    (
        "companies_browse_active",
        "DROP INDEX companies_browse_active",
    ),
    (
        "memberships_association_company",
        "DROP INDEX memberships_association_company",
    ),
    ("memberships_domain", "DROP INDEX memberships_domain"),
];

/// Below this many expected rows an import keeps its indexes: rebuilding
/// costs more than it saves.
const MIN_ROWS_TO_DEFER_INDEXES: usize = 20_000;

impl Store {
    /// Runs `f` with a [`BulkImport`] in one transaction: every row lands or
    /// none does.
    ///
    /// A large import into a smaller database builds the secondary indexes
    /// once at the end instead of row by row (a sorted build is several
    /// times cheaper than random inserts). The drop and the rebuild are part
    /// of the transaction: readers keep seeing the old indexes until it
    /// commits, and a failed import leaves them as they were.
    pub fn bulk_import<T>(
        &mut self,
        opts: BulkOptions,
        f: impl FnOnce(&mut BulkImport<'_>) -> Result<T>,
    ) -> Result<T> {
        self.tune_for_writing()?;
        self.transaction(|s| {
            // Checked at commit: the companies a batch points to are in it.
            s.conn().execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let deferred = if opts.expected_rows >= MIN_ROWS_TO_DEFER_INDEXES
                && opts.expected_rows >= s.listing_rows()?
            {
                s.drop_deferrable_indexes()?
            } else {
                Vec::new()
            };
            let mut bulk = BulkImport::load(s)?;
            let out = f(&mut bulk)?;
            // The held statements go before the schema changes under them.
            drop(bulk);
            for create in &deferred {
                // The index's own DDL as the schema stored it.
                s.conn().execute_batch(create)?;
            }
            Ok(out)
        })
    }

    fn listing_rows(&self) -> Result<usize> {
        let n: i64 =
            self.conn()
                .query_row("SELECT count(*) FROM association_memberships", [], |r| {
                    r.get(0)
                })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Drops the [`DEFERRABLE_INDEXES`] that exist; returns their CREATE
    /// statements, read from the schema, to run again.
    fn drop_deferrable_indexes(&self) -> Result<Vec<String>> {
        let mut creates = Vec::new();
        for (name, drop) in DEFERRABLE_INDEXES {
            let create: Option<String> = self
                .conn()
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if let Some(create) = create {
                self.conn().execute_batch(drop)?;
                creates.push(create);
            }
        }
        Ok(creates)
    }
}

impl<'s> BulkImport<'s> {
    fn load(store: &'s Store) -> Result<Self> {
        let conn = store.conn();
        let mut by_domain = HashMap::default();
        let mut st = conn.prepare("SELECT domain, id FROM companies WHERE domain IS NOT NULL")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            by_domain.insert(r.get::<_, String>(0)?, r.get::<_, i64>(1)?);
        }
        let mut merged_into = HashMap::default();
        let mut st = conn.prepare(
            "SELECT id, merged_into FROM companies
             WHERE status = 'merged' AND merged_into IS NOT NULL",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            merged_into.insert(r.get::<_, i64>(0)?, r.get::<_, i64>(1)?);
        }
        Ok(BulkImport {
            store,
            listed: HashMap::default(),
            by_domain,
            merged_into,
            has_fields: HashMap::default(),
            stats: BulkImportStats::default(),
            now: now_string(),
            // Whole seconds, as every other stored time: ten bytes less per
            // field of every company's provenance.
            at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0),
            membership_provenance: serde_json::to_string(&Provenance::new())?,
            company_insert: conn.prepare_cached(INSERT_COMPANY_SQL)?,
            membership_insert: conn.prepare_cached(INSERT_MEMBERSHIP_SQL)?,
            membership_upsert: conn.prepare_cached(UPSERT_MEMBERSHIP_SQL)?,
        })
    }

    /// The listings of `association` already stored.
    fn listings_of(&mut self, association: &str) -> Result<&mut HashMap<String, Option<i64>>> {
        if !self.listed.contains_key(association) {
            let mut map = HashMap::default();
            let mut st = self.store.conn().prepare(
                "SELECT record_key, company_id FROM association_memberships
                 WHERE association_code = ?1",
            )?;
            let mut rows = st.query([association])?;
            while let Some(r) = rows.next()? {
                map.insert(r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?);
            }
            self.listed.insert(association.to_owned(), map);
        }
        self.listed
            .get_mut(association)
            .ok_or_else(|| anyhow!("listings of {association} not loaded"))
    }

    /// [`Store::surviving_company`] over the in-memory merge map.
    fn surviving(&self, id: i64) -> Result<i64> {
        let mut cur = id;
        // A merge chain longer than this would be a cycle: stop rather than spin.
        for _ in 0..64 {
            match self.merged_into.get(&cur) {
                Some(next) => cur = *next,
                None => return Ok(cur),
            }
        }
        bail!("company {id}: its merged_into chain does not end (a cycle?)")
    }

    /// Writes one record: its company (found or created, missing fields
    /// filled) and its listing. Returns the company id.
    pub fn write(&mut self, r: &ImportRecord) -> Result<i64> {
        self.write_inner(r)
            .with_context(|| format!("line {}: {}", r.line, r.rec.name))
    }

    fn write_inner(&mut self, r: &ImportRecord) -> Result<i64> {
        let rec = &r.rec;
        let known = self
            .listings_of(&rec.association)?
            .get(&r.record_key)
            .copied();
        let existing = known.flatten().or_else(|| {
            rec.domain
                .as_ref()
                .and_then(|d| self.by_domain.get(d).copied())
        });
        let id = match existing {
            None => self.create_company(r)?,
            Some(id) => {
                let id = self.surviving(id)?;
                self.fill_company(id, r)?;
                id
            }
        };
        let stmt = if known.is_none() {
            &mut self.membership_insert
        } else {
            &mut self.membership_upsert
        };
        write_membership(
            stmt,
            &MembershipWrite {
                rec,
                name_key: &r.name_key,
                record_key: &r.record_key,
                company_id: Some(id),
                job_id: None,
                provenance: &self.membership_provenance,
                now: &self.now,
                is_new: known.is_none(),
            },
        )?;
        self.listings_of(&rec.association)?
            .insert(r.record_key.clone(), Some(id));
        self.stats.rows += 1;
        Ok(id)
    }

    fn create_company(&mut self, r: &ImportRecord) -> Result<i64> {
        let id = insert_company(
            &mut self.company_insert,
            &r.rec,
            &CompanyRowExtras {
                name_key: &r.name_key,
                provenance: &r.new_company_provenance,
                now: &self.now,
            },
        )?;
        if let Some(d) = &r.rec.domain {
            self.by_domain.insert(d.clone(), id);
        }
        self.has_fields.insert(id, r.fields);
        self.stats.companies_created += 1;
        Ok(id)
    }

    /// Fills the fields company `id` lacks from `r`, as
    /// `upsert_company_from_member` does.
    fn fill_company(&mut self, id: i64, r: &ImportRecord) -> Result<()> {
        let has = match self.has_fields.get(&id) {
            Some(m) => *m,
            None => {
                let m = self.stored_fields(id)?;
                self.has_fields.insert(id, m);
                m
            }
        };
        let mut missing = r.fields & !has;
        if missing == 0 {
            return Ok(());
        }
        // As `upsert_company_from_member`: a domain another company has is
        // not filled in, nor the website that goes with it.
        let without_site;
        let rec = match &r.rec.domain {
            Some(d) if missing & DOMAIN_BIT != 0 && self.by_domain.contains_key(d) => {
                missing &= !(DOMAIN_BIT | WEBSITE_BIT);
                if missing == 0 {
                    return Ok(());
                }
                without_site = without_website(&r.rec);
                &without_site
            }
            _ => &r.rec,
        };
        let stored: String = self
            .store
            .conn()
            .prepare_cached("SELECT provenance FROM companies WHERE id = ?1")?
            .query_row([id], |row| row.get(0))?;
        let mut prov = super::provenance::decode(&stored);
        for (i, (field, _)) in record_fields(rec).iter().enumerate() {
            if missing & (1 << i) != 0 {
                prov.insert((*field).to_owned(), field_provenance(rec, field, self.at));
            }
        }
        let prov = super::provenance::encode(&prov)?;
        self.store.fill_company_row(id, rec, &prov, &self.now)?;
        if missing & DOMAIN_BIT != 0
            && let Some(d) = &rec.domain
        {
            self.by_domain.insert(d.clone(), id);
        }
        self.has_fields.insert(id, has | missing);
        self.stats.companies_filled += 1;
        Ok(())
    }

    /// Which fill fields company `id` has in the database.
    fn stored_fields(&self, id: i64) -> Result<u8> {
        let row: Option<[bool; 8]> = self
            .store
            .conn()
            .prepare_cached(
                "SELECT website IS NOT NULL, phone IS NOT NULL, street IS NOT NULL,
                        city IS NOT NULL, state IS NOT NULL, postal_code IS NOT NULL,
                        country IS NOT NULL, domain IS NOT NULL
                 FROM companies WHERE id = ?1",
            )?
            .query_row([id], |row| {
                let mut v = [false; 8];
                for (i, slot) in v.iter_mut().enumerate() {
                    *slot = row.get(i)?;
                }
                Ok(v)
            })
            .optional()?;
        let row = row.ok_or_else(|| anyhow!("company {id} vanished"))?;
        Ok(row
            .iter()
            .enumerate()
            .filter(|(_, set)| **set)
            .fold(0, |m, (i, _)| m | (1 << i)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fixture_site::records::{RecordSetConfig, generate};
    use crate::normalize::{name_key, normalize_phone, registrable_domain};

    /// Records as an import reads them: fixture records (hard variant, so
    /// websites are often missing), half with a source id, plus edge cases.
    fn records() -> Vec<MemberRecord> {
        let mut out: Vec<MemberRecord> = generate(&RecordSetConfig {
            seed: 3,
            companies: 400,
            hard: true,
        })
        .into_iter()
        .enumerate()
        .map(|(i, t)| MemberRecord {
            association: t.association,
            name: t.name,
            domain: t.website.as_deref().and_then(registrable_domain),
            website: t.website,
            phone: t.phone.map(|p| normalize_phone(&p).unwrap_or(p)),
            email: t.email,
            street: t.street,
            city: t.city,
            state: t.state,
            postal_code: t.postal_code,
            country: t.country,
            source_url: format!("file:///x.csv#line={}", i + 2),
            extractor: "import".into(),
            confidence: 1.0,
            external_id: (i % 2 == 0).then_some(t.external_id),
            ..Default::default()
        })
        .collect();
        // The same listing twice in one file (second values win), and a
        // domain shared by two rows of different associations.
        let mut again = out[5].clone();
        again.phone = Some("+12165550199".into());
        out.push(again);
        out.push(rec("NEMA", "Merged Target Co", Some("merged-away.example")));
        // Two firms with one name and city: the second row is the first
        // one's listing (same key) but brings a domain another company has.
        let twin = |domain| MemberRecord {
            city: Some("Dayton".into()),
            phone: Some("+19375550100".into()),
            ..rec("PMA", "Twin Tool Co", domain)
        };
        out.push(MemberRecord {
            phone: None,
            ..twin(None)
        });
        out.push(twin(Some("survivor.example")));
        out.push(rec("PMA", "Old Listing Inc", None));
        out.push(rec("AGMA", "Nullco", Some("nullco.example")));
        out
    }

    fn rec(assoc: &str, name: &str, domain: Option<&str>) -> MemberRecord {
        MemberRecord {
            association: assoc.into(),
            name: name.into(),
            website: domain.map(|d| format!("www.{d}")),
            domain: domain.map(Into::into),
            source_url: "file:///x.csv".into(),
            extractor: "import".into(),
            confidence: 1.0,
            ..Default::default()
        }
    }

    /// What was there before the import: crawled listings, one company merged
    /// into another, a listing pointing at a merged company, and a listing
    /// without a company.
    fn prepare(store: &Store) {
        let put = |r: &MemberRecord| {
            let key = name_key(&r.name);
            let id = store.upsert_company_from_member(r, &key).unwrap();
            store.upsert_membership(r, &key, Some(id), None).unwrap();
            id
        };
        let survivor = put(&MemberRecord {
            city: Some("Cleveland".into()),
            ..rec("PMA", "Survivor Corp", Some("survivor.example"))
        });
        let merged = put(&rec("PMA", "Merged Away LLC", Some("merged-away.example")));
        let old = put(&rec("PMA", "Old Listing Inc", None));
        let old_target = put(&rec(
            "FIA",
            "Old Listing Target",
            Some("old-target.example"),
        ));
        store
            .conn()
            .execute(
                "UPDATE companies SET status = 'merged', merged_into = ?2 WHERE id = ?1",
                [merged, survivor],
            )
            .unwrap();
        store
            .conn()
            .execute(
                "UPDATE companies SET status = 'merged', merged_into = ?2 WHERE id = ?1",
                [old, old_target],
            )
            .unwrap();
        let nullco = rec("AGMA", "Nullco", None);
        store
            .upsert_membership(&nullco, &name_key("Nullco"), None, None)
            .unwrap();
    }

    /// Rows of a query as text.
    type Rows = Vec<Vec<Option<String>>>;

    /// Companies and listings, minus times.
    fn snapshot(store: &Store) -> (Rows, Rows) {
        let companies = store
            .debug_query(
                "SELECT id, name, name_key, domain, website, phone, street, city, state,
                        postal_code, country, status, merged_into,
                        (SELECT group_concat(key) FROM (SELECT key FROM json_each(provenance) ORDER BY key))
                 FROM companies ORDER BY id",
            )
            .unwrap();
        let listings = store
            .debug_query(
                "SELECT association_code, record_key, company_id, raw_name, name_key, website,
                        domain, phone, email, street, city, state, postal_code, country,
                        source_url, extractor, external_id
                 FROM association_memberships ORDER BY association_code, record_key",
            )
            .unwrap();
        (companies, listings)
    }

    #[test]
    fn bulk_import_places_rows_where_upsert_company_from_member_would() {
        let dir = tempfile::tempdir().unwrap();
        let reference = Store::open(&dir.path().join("ref.db")).unwrap();
        let mut bulk = Store::open(&dir.path().join("bulk.db")).unwrap();
        prepare(&reference);
        prepare(&bulk);
        let recs = records();
        for r in &recs {
            let key = name_key(&r.name);
            let id = reference.upsert_company_from_member(r, &key).unwrap();
            reference
                .upsert_membership(r, &key, Some(id), None)
                .unwrap();
        }
        let at = chrono::Utc::now();
        // As a large import: secondary indexes built at the end.
        let large = BulkOptions {
            expected_rows: 1_000_000,
        };
        let indexes_before = index_names(&bulk);
        let stats = bulk
            .bulk_import(large, |b| {
                for (i, r) in recs.iter().enumerate() {
                    let ir = ImportRecord::new(r.clone(), name_key(&r.name), i as u64, at)?;
                    b.write(&ir)?;
                }
                Ok(b.stats)
            })
            .unwrap();
        assert_eq!(stats.rows, recs.len());
        assert_eq!(index_names(&bulk), indexes_before, "indexes rebuilt");
        assert!(stats.companies_filled > 0, "{stats:?}");
        let (rc, rl) = snapshot(&reference);
        let (bc, bl) = snapshot(&bulk);
        assert_eq!(rc.len(), bc.len(), "company count");
        for (a, b) in rc.iter().zip(&bc) {
            assert_eq!(a, b);
        }
        assert_eq!(rl.len(), bl.len(), "listing count");
        for (a, b) in rl.iter().zip(&bl) {
            assert_eq!(a, b);
        }
        // The cases the rule is about did happen: a row joined a company
        // through a merged one's domain, a listing of a merged company
        // moved to the survivor, a company-less listing found one by domain.
        let company_of = |name: &str| {
            bulk.debug_query(&format!(
                "SELECT c.name FROM association_memberships m JOIN companies c ON c.id = m.company_id
                 WHERE m.raw_name = '{name}'"
            ))
            .unwrap()
        };
        assert!(
            company_of("Merged Target Co")
                .iter()
                .all(|r| r[0].as_deref() == Some("Survivor Corp"))
        );
        assert!(
            company_of("Old Listing Inc")
                .iter()
                .all(|r| r[0].as_deref() == Some("Old Listing Target"))
        );
        assert_eq!(company_of("Nullco").len(), 1);
        // The twin kept its own company, which got the phone but not the
        // other firm's domain and website.
        let twin = bulk
            .debug_query(
                "SELECT c.phone, c.domain, c.website FROM association_memberships m
                 JOIN companies c ON c.id = m.company_id WHERE m.raw_name = 'Twin Tool Co'",
            )
            .unwrap();
        assert_eq!(twin, [[Some("+19375550100".to_owned()), None, None]]);

        // A second run changes nothing.
        let before = snapshot(&bulk);
        bulk.bulk_import(BulkOptions::default(), |b| {
            for (i, r) in recs.iter().enumerate() {
                b.write(&ImportRecord::new(
                    r.clone(),
                    name_key(&r.name),
                    i as u64,
                    at,
                )?)?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(before, snapshot(&bulk));
    }

    fn index_names(store: &Store) -> Rows {
        store
            .debug_query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'
                 AND tbl_name IN ('companies', 'association_memberships') ORDER BY name",
            )
            .unwrap()
    }

    #[test]
    fn a_failed_row_rolls_the_whole_import_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("x.db")).unwrap();
        let indexes = index_names(&store);
        assert!(indexes.len() >= 7, "{indexes:?}");
        let at = chrono::Utc::now();
        let err = store
            .bulk_import(
                BulkOptions {
                    expected_rows: 50_000,
                },
                |b| {
                    // A large import builds its secondary indexes at the end.
                    assert_eq!(
                        index_names(b.store).len(),
                        indexes.len() - DEFERRABLE_INDEXES.len()
                    );
                    let r = rec("PMA", "Fine Co", Some("fine.example"));
                    b.write(&ImportRecord::new(r, "fine co".into(), 2, at)?)?;
                    Err::<(), _>(anyhow!("disk full"))
                },
            )
            .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(store.company_count().unwrap(), 0);
        assert_eq!(store.membership_count().unwrap(), 0);
        // The indexes dropped for the import are back.
        assert_eq!(index_names(&store), indexes);
    }
}
