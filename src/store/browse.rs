//! The company list at a million rows: keyset pages of active companies in
//! four orders, filters, and counts.
//!
//! A page starts where the previous one ended, at its last row's sort key
//! and id ([`PageKey`]), never at an OFFSET, so page 20,000 costs what page
//! 1 does. Every order has an index of active companies ending in the id
//! (`schema/0006_browse.sql`), so a page is a seek and a walk of about
//! `limit` index entries. A missing grade or state sorts after every value
//! in ascending order (and so first in descending order): the order is one
//! total order, read forwards or backwards.
//!
//! A page after a key is two seeks, the key's remaining ties (same key,
//! larger id) and then the keys after it, because SQLite does not seek on a
//! row value `(key, id) > (?, ?)` when the key is an expression or has a
//! collation: it would walk the index from its start.
//!
//! Filters are checked row by row while the sort index is walked, which is
//! fast while they match a fair share of companies. Filters that together
//! match only a few (a rare technology, a state and a grade and an
//! association, the ids of a search) would make that walk cross much of the
//! index for one page. So each filter present is also a way in, a *driver*:
//! its own index yields the companies it matches (the state's index range,
//! the association's listings, the technology's signals, ...). The driver
//! with the fewest entries is tried first; when it is short enough to read
//! and, with every filter applied, leaves at most [`SMALL_SET`] companies,
//! the page is read from those and sorted instead. Counts go through the
//! smallest driver too, so counting one state reads that state's index
//! entries, not a million rows. Every path applies every filter, so they
//! return the same rows.
//!
//! SQL here is assembled at compile time (`concat!` of literals) from one
//! row of parts per order and direction; values are always bound.

use anyhow::Result;
use rusqlite::{Statement, ToSql};

use super::Store;

/// How the company list is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CompanySort {
    /// By name, ignoring ASCII case.
    #[default]
    Name,
    /// By quality grade; ungraded companies after graded ones.
    Grade,
    /// By state; companies without one after the rest.
    State,
    /// By last change.
    Updated,
}

/// A sort and its direction. Ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SortOrder {
    pub by: CompanySort,
    pub descending: bool,
}

/// What the company list is restricted to; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowseFilter {
    /// Listed by this association (its code, exactly).
    pub association: Option<String>,
    pub grade: Option<String>,
    pub state: Option<String>,
    /// Has a competitor signal whose vendor or product is this, ignoring
    /// ASCII case.
    pub technology: Option<String>,
    pub has_contacts: Option<bool>,
    /// Only these companies (search results); duplicates are ignored.
    pub ids: Option<Vec<i64>>,
}

/// One line of the company table.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyListRow {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub quality_grade: Option<String>,
    pub quality_score: Option<f64>,
    pub updated_at: String,
    /// Association codes, sorted.
    pub associations: Vec<String>,
    pub contacts: i64,
}

/// Where a page starts: the sort key and id of the row next to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// `None` is a missing grade or state, which sorts after every value.
    pub sort_value: Option<String>,
    pub id: i64,
}

impl CompanyListRow {
    /// This row's position in order `by`, to fetch the page after (or
    /// before) it.
    pub fn key(&self, by: CompanySort) -> PageKey {
        let sort_value = match by {
            CompanySort::Name => Some(self.name.clone()),
            CompanySort::Grade => self.quality_grade.clone(),
            CompanySort::State => self.state.clone(),
            CompanySort::Updated => Some(self.updated_at.clone()),
        };
        PageKey {
            sort_value,
            id: self.id,
        }
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageRequest<'a> {
    pub order: SortOrder,
    /// The row the page continues from; `None` starts at the first row (or,
    /// going backwards, ends at the last).
    pub after: Option<&'a PageKey>,
    /// Read the rows strictly before `after` instead of after it; they come
    /// back in display order all the same.
    pub backwards: bool,
    pub limit: usize,
}

/// Filters matching at most this many companies are read through their
/// matches rather than by walking the sort index: sorting 5,000 ids costs a
/// few milliseconds, while walking the index for filters that match 0.5%
/// of a million companies crosses 10,000 entries per 50 rows.
pub const SMALL_SET: usize = 5_000;

/// A driver with more entries than this is not read to build a small set:
/// with the filters checked in the index, walking the sort index for a page
/// is cheaper than reading more.
const DRIVER_READ_LIMIT: usize = 20_000;

/// The key of a missing grade or state: U+10FFFF, `char(1114111)` in the
/// index expressions of `schema/0006_browse.sql`.
const MISSING_LAST: &str = "\u{10FFFF}";

/// The three statements of one order and scan direction.
struct PageSql {
    /// From the first row.
    first: &'static str,
    /// The ties of `:key` after `:id`.
    ties: &'static str,
    /// Keys after `:key`.
    after: &'static str,
}

/// Restrictions shared by every page and count; `c` is the company. Grade
/// and state are compared through their index expressions (the same test
/// for any real value), which every browse index carries, so they need no
/// table row; they come first, the lookups in other tables after them.
macro_rules! filters_sql {
    () => {
        " AND (:grade IS NULL OR ifnull(c.quality_grade, char(1114111)) = :grade)
          AND (:state IS NULL OR ifnull(c.state, char(1114111)) = :state)
          AND (:has_contacts IS NULL
               OR :has_contacts = EXISTS (SELECT 1 FROM contacts k WHERE k.company_id = c.id))
          AND (:technology IS NULL OR EXISTS (SELECT 1 FROM competitor_signals s
                WHERE s.company_id = c.id
                  AND (s.vendor = :technology COLLATE NOCASE
                       OR s.product = :technology COLLATE NOCASE)))
          AND (:association IS NULL OR EXISTS (SELECT 1 FROM association_memberships m
                WHERE m.company_id = c.id AND m.association_code = :association))"
    };
}

/// Where the rows come from: the whole sort index, or a set of ids
/// (`:ids`, a JSON array). CROSS JOIN keeps the ids as the outer loop:
/// otherwise SQLite may prefer to walk the sort index and test each row
/// against the set, the very walk the set is there to avoid.
macro_rules! from_sql {
    (walk) => {
        " FROM companies c WHERE c.status = 'active'"
    };
    (set) => {
        " FROM json_each(:ids) j CROSS JOIN companies c ON c.id = j.value
          WHERE c.status = 'active'"
    };
}

macro_rules! page_sql {
    ($from:tt, $key:literal, $cmp:literal, $dir:literal) => {
        PageSql {
            first: concat!(
                "SELECT c.id",
                from_sql!($from),
                filters_sql!(),
                " ORDER BY ",
                $key,
                " ",
                $dir,
                ", c.id ",
                $dir,
                " LIMIT :limit"
            ),
            ties: concat!(
                "SELECT c.id",
                from_sql!($from),
                " AND ",
                $key,
                " = :key AND c.id ",
                $cmp,
                " :id",
                filters_sql!(),
                " ORDER BY c.id ",
                $dir,
                " LIMIT :limit"
            ),
            after: concat!(
                "SELECT c.id",
                from_sql!($from),
                " AND ",
                $key,
                " ",
                $cmp,
                " :key",
                filters_sql!(),
                " ORDER BY ",
                $key,
                " ",
                $dir,
                ", c.id ",
                $dir,
                " LIMIT :limit"
            ),
        }
    };
}

/// The sort keys, spelled exactly as the indexes of 0006 spell them.
macro_rules! page_sql_by_order {
    ($from:tt) => {
        [
            [
                page_sql!($from, "c.name COLLATE NOCASE", ">", "ASC"),
                page_sql!($from, "c.name COLLATE NOCASE", "<", "DESC"),
            ],
            [
                page_sql!($from, "ifnull(c.quality_grade, char(1114111))", ">", "ASC"),
                page_sql!($from, "ifnull(c.quality_grade, char(1114111))", "<", "DESC"),
            ],
            [
                page_sql!($from, "ifnull(c.state, char(1114111))", ">", "ASC"),
                page_sql!($from, "ifnull(c.state, char(1114111))", "<", "DESC"),
            ],
            [
                page_sql!($from, "c.updated_at", ">", "ASC"),
                page_sql!($from, "c.updated_at", "<", "DESC"),
            ],
        ]
    };
}

/// `[order][0 ascending, 1 descending]`, walking the sort index.
const WALK: [[PageSql; 2]; 4] = page_sql_by_order!(walk);
/// The same, reading a set of ids and sorting them.
const SET: [[PageSql; 2]; 4] = page_sql_by_order!(set);

const COUNT_WALK: &str = concat!("SELECT count(*)", from_sql!(walk), filters_sql!());
/// Counting needs no sort key, so the ids are checked in the small index of
/// active companies (see [`TECHNOLOGY`] for why INDEXED BY).
const COUNT_SET: &str = concat!(
    "SELECT count(*) FROM json_each(:ids) j
     CROSS JOIN companies c INDEXED BY companies_browse_active ON c.id = j.value
     WHERE c.status = 'active'",
    filters_sql!()
);

/// The list columns of the companies in `:ids`.
const ROWS_SQL: &str = "SELECT c.id, c.name, c.domain, c.city, c.state, c.quality_grade,
        c.quality_score, c.updated_at,
        (SELECT group_concat(DISTINCT m.association_code) FROM association_memberships m
         WHERE m.company_id = c.id),
        (SELECT count(*) FROM contacts k WHERE k.company_id = c.id)
     FROM json_each(:ids) j CROSS JOIN companies c ON c.id = j.value";

/// One filter as a way in: its index yields the companies it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Technology,
    Contacts,
    State,
    Association,
    Grade,
}

/// The statements of one driver.
struct DriverSql {
    /// Its index entries, counted up to `:cap` (an upper bound on the
    /// companies it yields: a company may have several listings).
    entries: &'static str,
    /// Up to `:cap` ids of companies matching every filter.
    ids: &'static str,
    /// How many companies match every filter.
    count: &'static str,
}

macro_rules! driver_sql {
    ($entries:literal, $from:literal) => {
        DriverSql {
            entries: concat!("SELECT count(*) FROM (", $entries, " LIMIT :cap)"),
            ids: concat!("SELECT c.id", $from, filters_sql!(), " LIMIT :cap"),
            count: concat!("SELECT count(*)", $from, filters_sql!()),
        }
    };
}

/// The companies using a technology, with contacts, listed by an
/// association: CROSS JOIN keeps them the outer loop, and INDEXED BY checks
/// each in the small index of active companies rather than in its 1.5 KB
/// row (SQLite would pick the row: it does not weigh row sizes).
const TECHNOLOGY: DriverSql = driver_sql!(
    "SELECT 1 FROM competitor_signals WHERE vendor = :technology COLLATE NOCASE
     UNION ALL SELECT 1 FROM competitor_signals WHERE product = :technology COLLATE NOCASE",
    " FROM (SELECT company_id AS id FROM competitor_signals WHERE vendor = :technology COLLATE NOCASE
            UNION SELECT company_id FROM competitor_signals WHERE product = :technology COLLATE NOCASE) d
      CROSS JOIN companies c INDEXED BY companies_browse_active ON c.id = d.id
      WHERE c.status = 'active'"
);
const CONTACTS: DriverSql = driver_sql!(
    "SELECT 1 FROM contacts WHERE company_id IS NOT NULL",
    " FROM (SELECT DISTINCT company_id AS id FROM contacts WHERE company_id IS NOT NULL) d
      CROSS JOIN companies c INDEXED BY companies_browse_active ON c.id = d.id
      WHERE c.status = 'active'"
);
const ASSOCIATION: DriverSql = driver_sql!(
    "SELECT 1 FROM association_memberships WHERE association_code = :association",
    " FROM (SELECT DISTINCT company_id AS id FROM association_memberships
            WHERE association_code = :association AND company_id IS NOT NULL) d
      CROSS JOIN companies c INDEXED BY companies_browse_active ON c.id = d.id
      WHERE c.status = 'active'"
);
const STATE: DriverSql = driver_sql!(
    "SELECT 1 FROM companies WHERE status = 'active' AND ifnull(state, char(1114111)) = :state",
    " FROM companies c WHERE c.status = 'active' AND ifnull(c.state, char(1114111)) = :state"
);
const GRADE: DriverSql = driver_sql!(
    "SELECT 1 FROM companies
     WHERE status = 'active' AND ifnull(quality_grade, char(1114111)) = :grade",
    " FROM companies c
      WHERE c.status = 'active' AND ifnull(c.quality_grade, char(1114111)) = :grade"
);

impl Driver {
    /// In the order they are preferred when their sizes tie (all at the
    /// cap): the ones that tend to be rare first.
    const ALL: [Driver; 5] = [
        Driver::Technology,
        Driver::Contacts,
        Driver::State,
        Driver::Association,
        Driver::Grade,
    ];

    fn applies(self, f: &BrowseFilter) -> bool {
        match self {
            Driver::Technology => f.technology.is_some(),
            Driver::Contacts => f.has_contacts == Some(true),
            Driver::State => f.state.is_some(),
            Driver::Association => f.association.is_some(),
            Driver::Grade => f.grade.is_some(),
        }
    }

    fn sql(self) -> &'static DriverSql {
        match self {
            Driver::Technology => &TECHNOLOGY,
            Driver::Contacts => &CONTACTS,
            Driver::State => &STATE,
            Driver::Association => &ASSOCIATION,
            Driver::Grade => &GRADE,
        }
    }
}

/// Binds `value` to parameter `name` when the statement has it (the first
/// page has no `:key`, the walk no `:ids`).
fn bind(stmt: &mut Statement<'_>, name: &str, value: &dyn ToSql) -> Result<()> {
    if let Some(i) = stmt.parameter_index(name)? {
        stmt.raw_bind_parameter(i, value)?;
    }
    Ok(())
}

fn bind_filter(stmt: &mut Statement<'_>, filter: &BrowseFilter, ids: Option<&str>) -> Result<()> {
    bind(stmt, ":association", &filter.association)?;
    bind(stmt, ":grade", &filter.grade)?;
    bind(stmt, ":state", &filter.state)?;
    bind(stmt, ":technology", &filter.technology)?;
    bind(stmt, ":has_contacts", &filter.has_contacts)?;
    bind(stmt, ":ids", &ids)?;
    Ok(())
}

fn ids_json(ids: &[i64]) -> Result<String> {
    Ok(serde_json::to_string(ids)?)
}

fn cap(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn sorted_unique(ids: &[i64]) -> Vec<i64> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl Store {
    /// One page of active companies matching `filter`, in `req.order`: the
    /// `req.limit` rows after `req.after` (or before it, going backwards),
    /// in display order either way.
    pub fn company_page(
        &self,
        filter: &BrowseFilter,
        req: PageRequest<'_>,
    ) -> Result<Vec<CompanyListRow>> {
        self.company_page_with(filter, req, SMALL_SET)
    }

    /// How many active companies match `filter`.
    pub fn company_browse_count(&self, filter: &BrowseFilter) -> Result<i64> {
        self.read_snapshot(|| self.count_in_snapshot(filter))
    }

    fn count_in_snapshot(&self, filter: &BrowseFilter) -> Result<i64> {
        let driver = match filter.ids {
            Some(_) => None,
            None => self.smallest_driver(filter)?.map(|(d, _)| d),
        };
        self.count_by(filter, driver)
    }

    /// The count through `driver`; through the ids or the whole list when
    /// there is none.
    fn count_by(&self, filter: &BrowseFilter, driver: Option<Driver>) -> Result<i64> {
        let json = filter
            .ids
            .as_deref()
            .map(|ids| ids_json(&sorted_unique(ids)))
            .transpose()?;
        let sql = match (driver, &json) {
            (Some(d), _) => d.sql().count,
            (None, Some(_)) => COUNT_SET,
            (None, None) => COUNT_WALK,
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        bind_filter(&mut stmt, filter, json.as_deref())?;
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(r) => Ok(r.get(0)?),
            None => Ok(0),
        }
    }

    /// [`Store::company_page`] with the small-set bound as a parameter, so
    /// tests can force either path.
    fn company_page_with(
        &self,
        filter: &BrowseFilter,
        req: PageRequest<'_>,
        small_set: usize,
    ) -> Result<Vec<CompanyListRow>> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        self.read_snapshot(|| self.page_in_snapshot(filter, req, small_set))
    }

    /// Runs `f`'s reads in one read transaction, so the ids of a page and
    /// their rows come from the same state of the database. (Inside a
    /// caller's transaction they already do.)
    pub(super) fn read_snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.conn().is_autocommit() {
            return f();
        }
        let tx = self.conn().unchecked_transaction()?;
        let out = f()?;
        tx.commit()?;
        Ok(out)
    }

    fn page_in_snapshot(
        &self,
        filter: &BrowseFilter,
        req: PageRequest<'_>,
        small_set: usize,
    ) -> Result<Vec<CompanyListRow>> {
        let set = self.browse_set(filter, small_set)?;
        let json = set.as_deref().map(ids_json).transpose()?;
        let table = if json.is_some() { &SET } else { &WALK };
        let order = match req.order.by {
            CompanySort::Name => 0,
            CompanySort::Grade => 1,
            CompanySort::State => 2,
            CompanySort::Updated => 3,
        };
        // Going backwards reads the other way from the key, then flips.
        let scan_descending = req.order.descending != req.backwards;
        let sql = &table[order][usize::from(scan_descending)];
        let run = |text: &str, key: Option<&PageKey>, limit: usize| -> Result<Vec<i64>> {
            let mut stmt = self.conn().prepare_cached(text)?;
            bind_filter(&mut stmt, filter, json.as_deref())?;
            bind(&mut stmt, ":limit", &cap(limit))?;
            if let Some(k) = key {
                bind(
                    &mut stmt,
                    ":key",
                    &k.sort_value.as_deref().unwrap_or(MISSING_LAST),
                )?;
                bind(&mut stmt, ":id", &k.id)?;
            }
            let mut rows = stmt.raw_query();
            let mut out = Vec::with_capacity(limit);
            while let Some(r) = rows.next()? {
                out.push(r.get(0)?);
            }
            Ok(out)
        };
        let mut ids = match req.after {
            None => run(sql.first, None, req.limit)?,
            Some(key) => {
                let mut ids = run(sql.ties, Some(key), req.limit)?;
                if ids.len() < req.limit {
                    ids.extend(run(sql.after, Some(key), req.limit - ids.len())?);
                }
                ids
            }
        };
        if req.backwards {
            ids.reverse();
        }
        self.list_rows(&ids)
    }

    /// The companies the list is restricted to when they are few: the
    /// given ids, else those the smallest driver yields with every filter
    /// applied, when there are at most `small_set`. `None`: walk the index.
    fn browse_set(&self, filter: &BrowseFilter, small_set: usize) -> Result<Option<Vec<i64>>> {
        if let Some(ids) = &filter.ids {
            return Ok(Some(sorted_unique(ids)));
        }
        let Some((driver, entries)) = self.smallest_driver(filter)? else {
            return Ok(None);
        };
        if entries > DRIVER_READ_LIMIT {
            return Ok(None);
        }
        let mut stmt = self.conn().prepare_cached(driver.sql().ids)?;
        bind_filter(&mut stmt, filter, None)?;
        bind(&mut stmt, ":cap", &cap(small_set.saturating_add(1)))?;
        let mut rows = stmt.raw_query();
        let mut found = Vec::new();
        while let Some(r) = rows.next()? {
            found.push(r.get::<_, i64>(0)?);
        }
        Ok((found.len() <= small_set).then(|| sorted_unique(&found)))
    }

    /// The driver of `filter` with the fewest index entries, and how many
    /// (counted up to just past [`DRIVER_READ_LIMIT`]: beyond it they only
    /// need ranking among themselves, and a tie goes to the likelier rare).
    fn smallest_driver(&self, filter: &BrowseFilter) -> Result<Option<(Driver, usize)>> {
        let mut best: Option<(Driver, usize)> = None;
        for d in Driver::ALL.into_iter().filter(|d| d.applies(filter)) {
            let mut stmt = self.conn().prepare_cached(d.sql().entries)?;
            bind_filter(&mut stmt, filter, None)?;
            bind(&mut stmt, ":cap", &cap(DRIVER_READ_LIMIT + 1))?;
            let n: i64 = stmt.raw_query().next()?.map_or(Ok(0), |r| r.get(0))?;
            let n = usize::try_from(n).unwrap_or(0);
            if best.is_none_or(|(_, b)| n < b) {
                best = Some((d, n));
            }
        }
        Ok(best)
    }

    /// The list rows of `ids`, in that order.
    fn list_rows(&self, ids: &[i64]) -> Result<Vec<CompanyListRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn().prepare_cached(ROWS_SQL)?;
        let json = ids_json(ids)?;
        let mut found: rustc_hash::FxHashMap<i64, CompanyListRow> = stmt
            .query_map(rusqlite::named_params! {":ids": json}, |r| {
                let assocs: Option<String> = r.get(8)?;
                let mut associations: Vec<String> = assocs
                    .map(|s| s.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                associations.sort();
                Ok(CompanyListRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    domain: r.get(2)?,
                    city: r.get(3)?,
                    state: r.get(4)?,
                    quality_grade: r.get(5)?,
                    quality_score: r.get(6)?,
                    updated_at: r.get(7)?,
                    associations,
                    contacts: r.get(9)?,
                })
            })?
            .map(|row| row.map(|row| (row.id, row)))
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

#[cfg(test)]
#[path = "browse_tests.rs"]
mod tests;
