//! The reads behind `nam export` and the EXPORT phase: one streaming query
//! per table, restricted by an [`ExportFilter`] whose values are always
//! bound, handing each row to the caller as borrowed [`Cell`]s so a million
//! companies become polars columns without a struct (or a `String`) per
//! cell in between.
//!
//! Every table is tied to the canonical company: a row of a company that
//! was merged away carries the survivor's id (its `merged_into` chain
//! followed), and the filters test that survivor. Multi-value columns
//! ([`ExportKind::List`]) come back as one text cell joined with
//! [`LIST_SEPARATOR`].

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::types::ValueRef;

use super::Store;
use super::memberships::survivors_cte;

/// Joins the values of a [`ExportKind::List`] cell (the ASCII unit
/// separator: no association code or vendor name contains it).
pub const LIST_SEPARATOR: char = '\u{1f}';

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Int,
    Real,
    Text,
    /// Several text values joined with [`LIST_SEPARATOR`].
    List,
}

/// One column of an export table, in query order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportColumn {
    pub name: &'static str,
    pub kind: ExportKind,
}

/// One cell of a streamed row, borrowed from SQLite's buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
}

/// The tables an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportSource {
    /// Active, canonical companies (not merged away).
    Companies,
    /// Contacts, each with its (canonical) company's columns.
    Contacts,
    Events,
    /// Exhibitors, sponsors and speakers of events.
    Participants,
    /// Competitor signals.
    Signals,
    /// Source records (listings, imported rows) with their external id.
    Memberships,
}

/// Which companies (and the rows tied to them) an export covers. Empty
/// lists and `None` do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Listed by every one of these associations (codes, exactly).
    pub associations: Vec<String>,
    /// Listed by none of these.
    pub not_associations: Vec<String>,
    /// The grade is one of these; `""` stands for ungraded.
    pub grades: Option<Vec<String>>,
    /// The state is one of these (compared in upper case).
    pub states: Option<Vec<String>>,
    /// The state is none of these (a company without a state passes).
    pub not_states: Vec<String>,
    /// Has a competitor signal for each of these vendors or products
    /// (ignoring ASCII case).
    pub technologies: Vec<String>,
    /// Has a signal for none of these.
    pub not_technologies: Vec<String>,
    pub has_contacts: Option<bool>,
}

impl ExportFilter {
    /// Whether any restriction is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The restrictions on company `c`, shared by every table's query. Each
/// test starts with `:x IS NULL OR`, so an unused filter costs one compare
/// per row.
macro_rules! export_filters_sql {
    () => {
        " AND (:grades IS NULL
               OR ifnull(c.quality_grade, '') IN (SELECT value FROM json_each(:grades)))
          AND (:states IS NULL
               OR upper(c.state) IN (SELECT value FROM json_each(:states)))
          AND (:not_states IS NULL OR c.state IS NULL
               OR upper(c.state) NOT IN (SELECT value FROM json_each(:not_states)))
          AND (:has_contacts IS NULL
               OR :has_contacts = EXISTS (SELECT 1 FROM contacts k WHERE k.company_id = c.id))
          AND (:assocs IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(:assocs) j
                WHERE NOT EXISTS (SELECT 1 FROM association_memberships m
                                  WHERE m.company_id = c.id AND m.association_code = j.value)))
          AND (:not_assocs IS NULL OR NOT EXISTS (SELECT 1 FROM association_memberships m
                WHERE m.company_id = c.id
                  AND m.association_code IN (SELECT value FROM json_each(:not_assocs))))
          AND (:techs IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(:techs) j
                WHERE NOT EXISTS (SELECT 1 FROM competitor_signals s
                                  WHERE s.company_id = c.id
                                    AND (s.vendor = j.value COLLATE NOCASE
                                         OR s.product = j.value COLLATE NOCASE))))
          AND (:not_techs IS NULL OR NOT EXISTS (SELECT 1 FROM competitor_signals s, json_each(:not_techs) j
                WHERE s.company_id = c.id
                  AND (s.vendor = j.value COLLATE NOCASE OR s.product = j.value COLLATE NOCASE)))"
    };
}

/// A row tied to a company through `$alias.company_id`: the company is the
/// survivor of that pointer's merge chain; with a filter set (`:filtered`)
/// the row needs an active company that passes it.
macro_rules! company_join_sql {
    ($alias:literal) => {
        concat!(
            " LEFT JOIN survivor sv ON sv.id = ",
            $alias,
            ".company_id
              LEFT JOIN companies c ON c.id = coalesce(sv.company_id, ",
            $alias,
            ".company_id)
              WHERE (:filtered = 0 OR (c.status = 'active'",
            export_filters_sql!(),
            "))"
        )
    };
}

/// The associations, technologies and contact count of each company come
/// from [`CompanyLists`] (one pass over each table), not from correlated
/// subqueries: at a million companies those cost more than the scan.
const COMPANIES_SQL: &str = concat!(
    "SELECT c.id, c.name, c.domain, c.website, c.phone, c.street, c.city, c.state,
            c.postal_code, c.country, NULL, NULL,
            c.employee_count, c.employee_range, c.revenue_range, c.founded_year, c.industry,
            c.naics, c.description, c.quality_score, c.quality_grade, NULL, c.updated_at
     FROM companies c
     WHERE c.status = 'active' AND c.merged_into IS NULL AND :filtered = :filtered
       AND c.id BETWEEN :lo AND :hi",
    export_filters_sql!(),
    " ORDER BY c.id"
);

const COMPANY_COLUMNS: &[ExportColumn] = &[
    int("id"),
    text("name"),
    text("domain"),
    text("website"),
    text("phone"),
    text("street"),
    text("city"),
    text("state"),
    text("postal_code"),
    text("country"),
    list("associations"),
    list("technologies"),
    int("employee_count"),
    text("employee_range"),
    text("revenue_range"),
    int("founded_year"),
    text("industry"),
    text("naics"),
    text("description"),
    real("quality_score"),
    text("quality_grade"),
    int("contacts"),
    text("updated_at"),
];

const CONTACTS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT k.id, c.id, k.full_name, k.first_name, k.last_name, k.title, k.seniority,
            k.department, k.email, k.phone, k.linkedin_url, k.source_url, k.provider,
            k.confidence, k.updated_at,
            c.name, c.domain, c.website, c.phone, c.street, c.city, c.state, c.postal_code,
            c.country, c.industry, c.employee_count
     FROM contacts k",
    company_join_sql!("k"),
    " ORDER BY k.id"
);

const CONTACT_COLUMNS: &[ExportColumn] = &[
    int("id"),
    int("company_id"),
    text("full_name"),
    text("first_name"),
    text("last_name"),
    text("title"),
    text("seniority"),
    text("department"),
    text("email"),
    text("phone"),
    text("linkedin_url"),
    text("source_url"),
    text("provider"),
    real("confidence"),
    text("updated_at"),
    text("company_name"),
    text("company_domain"),
    text("company_website"),
    text("company_phone"),
    text("company_street"),
    text("company_city"),
    text("company_state"),
    text("company_postal_code"),
    text("company_country"),
    text("company_industry"),
    int("company_employee_count"),
];

/// Events; with a filter set, only those with a participant that passes it
/// (the same test as the participants file).
const EVENTS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT e.id, e.name, e.association_code, e.start_date, e.end_date, e.venue, e.city,
            e.state, e.country, e.url,
            (SELECT count(*) FROM event_participants q WHERE q.event_id = e.id)
     FROM events e
     WHERE :filtered = 0 OR EXISTS (SELECT 1 FROM event_participants p",
    company_join_sql!("p"),
    " AND p.event_id = e.id)
     ORDER BY e.id"
);

const EVENT_COLUMNS: &[ExportColumn] = &[
    int("id"),
    text("name"),
    text("association"),
    text("start_date"),
    text("end_date"),
    text("venue"),
    text("city"),
    text("state"),
    text("country"),
    text("url"),
    int("participants"),
];

const PARTICIPANTS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT p.id, p.event_id, e.name, p.role, c.id, p.company_name, p.company_domain,
            p.sponsor_tier, p.booth, p.person_name, p.person_title, p.source_url, p.confidence
     FROM event_participants p JOIN events e ON e.id = p.event_id",
    company_join_sql!("p"),
    " ORDER BY p.event_id, p.id"
);

const PARTICIPANT_COLUMNS: &[ExportColumn] = &[
    int("id"),
    int("event_id"),
    text("event_name"),
    text("role"),
    int("company_id"),
    text("company_name"),
    text("company_domain"),
    text("sponsor_tier"),
    text("booth"),
    text("person_name"),
    text("person_title"),
    text("source_url"),
    real("confidence"),
];

const SIGNALS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT s.id, c.id, c.name, s.vendor, s.product, s.category, s.signal_type,
            s.evidence_kind, s.evidence, s.source_url, s.strength, s.confidence, s.detected_at
     FROM competitor_signals s",
    company_join_sql!("s"),
    " ORDER BY s.id"
);

const SIGNAL_COLUMNS: &[ExportColumn] = &[
    int("id"),
    int("company_id"),
    text("company_name"),
    text("vendor"),
    text("product"),
    text("category"),
    text("signal_type"),
    text("evidence_kind"),
    text("evidence"),
    text("source_url"),
    real("strength"),
    real("confidence"),
    text("detected_at"),
];

/// Every source record with the canonical company it resolved to (a
/// record without a company has none).
const MEMBERSHIPS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT m.id, c.id, m.external_id, m.association_code, m.raw_name, m.website, m.domain,
            m.phone, m.email, m.street, m.city, m.state, m.postal_code, m.country,
            m.membership_type, m.profile_url, m.source_url, m.extractor, m.confidence,
            m.first_seen_at, m.last_seen_at
     FROM association_memberships m",
    company_join_sql!("m"),
    " ORDER BY m.association_code, m.raw_name COLLATE NOCASE, m.id"
);

const MEMBERSHIP_COLUMNS: &[ExportColumn] = &[
    int("id"),
    int("company_id"),
    text("external_id"),
    text("association"),
    text("name"),
    text("website"),
    text("domain"),
    text("phone"),
    text("email"),
    text("street"),
    text("city"),
    text("state"),
    text("postal_code"),
    text("country"),
    text("membership_type"),
    text("profile_url"),
    text("source_url"),
    text("extractor"),
    real("confidence"),
    text("first_seen_at"),
    text("last_seen_at"),
];

const fn int(name: &'static str) -> ExportColumn {
    ExportColumn {
        name,
        kind: ExportKind::Int,
    }
}
const fn real(name: &'static str) -> ExportColumn {
    ExportColumn {
        name,
        kind: ExportKind::Real,
    }
}
const fn text(name: &'static str) -> ExportColumn {
    ExportColumn {
        name,
        kind: ExportKind::Text,
    }
}
const fn list(name: &'static str) -> ExportColumn {
    ExportColumn {
        name,
        kind: ExportKind::List,
    }
}

impl ExportSource {
    /// The columns each streamed row holds, in order.
    pub fn columns(self) -> &'static [ExportColumn] {
        match self {
            Self::Companies => COMPANY_COLUMNS,
            Self::Contacts => CONTACT_COLUMNS,
            Self::Events => EVENT_COLUMNS,
            Self::Participants => PARTICIPANT_COLUMNS,
            Self::Signals => SIGNAL_COLUMNS,
            Self::Memberships => MEMBERSHIP_COLUMNS,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Self::Companies => COMPANIES_SQL,
            Self::Contacts => CONTACTS_SQL,
            Self::Events => EVENTS_SQL,
            Self::Participants => PARTICIPANTS_SQL,
            Self::Signals => SIGNALS_SQL,
            Self::Memberships => MEMBERSHIPS_SQL,
        }
    }
}

/// A list as a JSON array to bind, `None` when empty (the filter is off).
fn json_list(values: &[String]) -> Option<String> {
    (!values.is_empty()).then(|| serde_json::Value::from(values.to_vec()).to_string())
}

fn json_opt(values: Option<&Vec<String>>) -> Option<String> {
    values.map(|v| serde_json::Value::from(v.clone()).to_string())
}

/// Per company: its association codes and the vendors it uses (each
/// sorted, distinct, joined with [`LIST_SEPARATOR`]) and its contact count.
#[derive(Debug, Default)]
pub struct CompanyLists {
    pub associations: HashMap<i64, String>,
    pub technologies: HashMap<i64, String>,
    pub contacts: HashMap<i64, i64>,
}

fn list_cell(m: &HashMap<i64, String>, id: i64) -> Cell<'_> {
    m.get(&id).map_or(Cell::Null, |s| Cell::Text(s))
}

/// Column positions of the companies query that [`CompanyLists`] fills.
const COMPANY_ASSOCIATIONS: usize = 10;
const COMPANY_TECHNOLOGIES: usize = 11;
const COMPANY_CONTACTS: usize = 21;

/// Which part of a table to stream, and the lists a companies read uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExportPart<'a> {
    /// Companies with ids in this range (inclusive); other sources ignore it.
    pub ids: Option<(i64, i64)>,
    pub lists: Option<&'a CompanyLists>,
}

impl Store {
    /// [`CompanyLists`] of every company, one ordered pass per table.
    pub fn company_lists(&self) -> Result<CompanyLists> {
        let grouped = |sql: &str| -> Result<HashMap<i64, String>> {
            let mut out: HashMap<i64, String> = HashMap::new();
            let mut stmt = self.conn().prepare(sql)?;
            let mut rows = stmt.query([])?;
            let mut last: Option<(i64, String)> = None;
            while let Some(r) = rows.next()? {
                let (id, value): (i64, String) = (r.get(0)?, r.get(1)?);
                if last.as_ref().is_some_and(|(i, v)| *i == id && *v == value) {
                    continue;
                }
                out.entry(id)
                    .and_modify(|s| {
                        s.push(LIST_SEPARATOR);
                        s.push_str(&value);
                    })
                    .or_insert_with(|| value.clone());
                last = Some((id, value));
            }
            Ok(out)
        };
        let associations = grouped(
            "SELECT company_id, association_code FROM association_memberships
             WHERE company_id IS NOT NULL ORDER BY company_id, association_code",
        )?;
        let technologies = grouped(
            "SELECT company_id, vendor FROM competitor_signals
             WHERE signal_type = 'uses' ORDER BY company_id, vendor",
        )?;
        let mut contacts = HashMap::new();
        let mut stmt = self.conn().prepare(
            "SELECT company_id, count(*) FROM contacts WHERE company_id IS NOT NULL
             GROUP BY company_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            contacts.insert(r.get(0)?, r.get(1)?);
        }
        Ok(CompanyLists {
            associations,
            technologies,
            contacts,
        })
    }

    /// Streams the rows of `source` that `filter` lets through to `row`,
    /// one call per row with the cells of [`ExportSource::columns`]; returns
    /// the number of rows. An error from `row` stops the read.
    pub fn stream_export(
        &self,
        source: ExportSource,
        filter: &ExportFilter,
        row: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<u64> {
        let lists = match source {
            ExportSource::Companies => Some(self.company_lists()?),
            _ => None,
        };
        let part = ExportPart {
            ids: None,
            lists: lists.as_ref(),
        };
        self.stream_export_part(source, filter, part, row)
    }

    /// The smallest and largest company id, for splitting a companies
    /// export into id ranges read in parallel (`None`: no companies).
    pub fn company_id_span(&self) -> Result<Option<(i64, i64)>> {
        let span: (Option<i64>, Option<i64>) =
            self.conn()
                .query_row("SELECT min(id), max(id) FROM companies", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        Ok(span.0.zip(span.1))
    }

    /// [`Store::stream_export`] of one part: for companies, the ids in
    /// `part.ids`, with list columns and contact counts from `part.lists`
    /// (left empty without them).
    pub fn stream_export_part(
        &self,
        source: ExportSource,
        filter: &ExportFilter,
        part: ExportPart<'_>,
        row: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<u64> {
        let ids = part.ids;
        let upper = |v: &[String]| -> Vec<String> { v.iter().map(|s| s.to_uppercase()).collect() };
        let grades = json_opt(filter.grades.as_ref());
        let states = json_opt(filter.states.as_ref().map(|s| upper(s)).as_ref());
        let not_states = json_list(&upper(&filter.not_states));
        let assocs = json_list(&filter.associations);
        let not_assocs = json_list(&filter.not_associations);
        let techs = json_list(&filter.technologies);
        let not_techs = json_list(&filter.not_technologies);
        let filtered = i64::from(!filter.is_empty());
        let (lo, hi) = ids.unwrap_or((i64::MIN, i64::MAX));
        let mut stmt = self.conn().prepare(source.sql())?;
        let values: [(&str, &dyn rusqlite::ToSql); 11] = [
            (":filtered", &filtered),
            (":grades", &grades),
            (":states", &states),
            (":not_states", &not_states),
            (":has_contacts", &filter.has_contacts),
            (":assocs", &assocs),
            (":not_assocs", &not_assocs),
            (":techs", &techs),
            (":not_techs", &not_techs),
            (":lo", &lo),
            (":hi", &hi),
        ];
        // Only the companies query takes an id range; bind what each has.
        for (name, value) in values {
            if let Some(i) = stmt.parameter_index(name)? {
                stmt.raw_bind_parameter(i, value)?;
            }
        }
        let mut rows = stmt.raw_query();
        let width = source.columns().len();
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let mut cells: Vec<Cell<'_>> = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null | ValueRef::Blob(_) => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) => std::str::from_utf8(t).map_or(Cell::Null, Cell::Text),
                });
            }
            if let (ExportSource::Companies, Some(lists), Cell::Int(id)) =
                (source, part.lists, cells[0])
            {
                cells[COMPANY_ASSOCIATIONS] = list_cell(&lists.associations, id);
                cells[COMPANY_TECHNOLOGIES] = list_cell(&lists.technologies, id);
                cells[COMPANY_CONTACTS] = Cell::Int(lists.contacts.get(&id).copied().unwrap_or(0));
            }
            row(&cells)?;
            n += 1;
        }
        Ok(n)
    }
}

/// A contact to record (see [`Store::add_contact`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct NewContact {
    pub company_id: i64,
    pub full_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source_url: Option<String>,
}

impl Store {
    /// Records a contact of a company (a repeated email updates the
    /// contact that has it).
    pub fn add_contact(&self, c: &NewContact) -> Result<i64> {
        let now = crate::model::now_string();
        let email_key = c
            .email
            .as_deref()
            .and_then(crate::normalize::normalize_email);
        Ok(self.conn().query_row(
            "INSERT INTO contacts (company_id, full_name, first_name, last_name, title, email,
                 email_normalized, phone, source_url, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (email_normalized) DO UPDATE SET
                 company_id = excluded.company_id, full_name = excluded.full_name,
                 first_name = excluded.first_name, last_name = excluded.last_name,
                 title = excluded.title, email = excluded.email, phone = excluded.phone,
                 source_url = excluded.source_url, updated_at = excluded.updated_at
             RETURNING id",
            rusqlite::params![
                c.company_id,
                c.full_name,
                c.first_name,
                c.last_name,
                c.title,
                c.email,
                email_key,
                c.phone,
                c.source_url,
                now
            ],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
impl Store {
    /// Sets a company's grade and free-text fields the crawl does not fill
    /// (tests of exports).
    pub(crate) fn set_export_fields_for_test(
        &self,
        id: i64,
        grade: Option<&str>,
        description: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE companies SET quality_grade = ?2, description = ?3 WHERE id = ?1",
            rusqlite::params![id, grade, description],
        )?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn list_columns_sit_where_the_lists_fill_them() {
        assert_eq!(COMPANY_COLUMNS[COMPANY_ASSOCIATIONS].name, "associations");
        assert_eq!(COMPANY_COLUMNS[COMPANY_TECHNOLOGIES].name, "technologies");
        assert_eq!(COMPANY_COLUMNS[COMPANY_CONTACTS].name, "contacts");
    }

    /// Every statement parses, binds the parameters it has and yields as
    /// many cells as its columns.
    #[test]
    fn every_export_query_runs_with_and_without_filters() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let filter = ExportFilter {
            associations: vec!["PMA".into()],
            not_associations: vec!["NEMA".into()],
            grades: Some(vec!["A".into(), "B".into()]),
            states: Some(vec!["oh".into()]),
            not_states: vec!["PA".into()],
            technologies: vec!["epicor".into()],
            not_technologies: vec!["sap".into()],
            has_contacts: Some(true),
        };
        for source in [
            ExportSource::Companies,
            ExportSource::Contacts,
            ExportSource::Events,
            ExportSource::Participants,
            ExportSource::Signals,
            ExportSource::Memberships,
        ] {
            for f in [&ExportFilter::default(), &filter] {
                let n = store
                    .stream_export(source, f, &mut |cells| {
                        assert_eq!(cells.len(), source.columns().len());
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(n, 0, "{source:?}");
            }
        }
    }
}
