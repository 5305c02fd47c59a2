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

use anyhow::Result;
use rusqlite::types::ValueRef;
use rustc_hash::FxHashMap;

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
    /// Contacts as leads, with persona, lead score and ICP fit.
    Leads,
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
    /// Only these companies (a domain-list or prospecting run's own).
    pub company_ids: Option<Vec<i64>>,
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
        " AND (:ids IS NULL OR c.id IN (SELECT value FROM json_each(:ids)))
          AND (:grades IS NULL
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
            c.naics, c.description, c.quality_score, c.quality_grade, NULL, c.updated_at,
            (SELECT i.profile FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
            (SELECT i.fit FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
            (SELECT i.prospect FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
            (SELECT i.reasons FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1)
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
    text("icp_profile"),
    real("icp_fit"),
    real("prospect_score"),
    text("icp_reasons"),
];

/// Contacts as leads: who, the persona and score adjustment their title
/// gives (and the rule that gave it), where the email came from, and their
/// company's ICP fit and prospect score; best prospects first.
const LEADS_SQL: &str = concat!(
    survivors_cte!(),
    " SELECT k.id, c.id, k.full_name, k.first_name, k.last_name, k.title, k.persona,
            k.lead_score_adjustment,
            max(0, min(100, coalesce((SELECT i.prospect FROM icp_scores i
                                      WHERE i.company_id = c.id
                                      ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
                                     50) + k.lead_score_adjustment)),
            k.lead_rule, k.email, k.email_source, k.phone, k.linkedin_url, k.source_url,
            k.provider, k.confidence,
            c.name, c.domain, c.website, c.city, c.state, c.country, c.industry, c.naics,
            c.employee_count, c.employee_range, c.quality_grade,
            (SELECT i.profile FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
            (SELECT i.fit FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1),
            (SELECT i.prospect FROM icp_scores i WHERE i.company_id = c.id
             ORDER BY i.scored_at DESC, i.prospect DESC LIMIT 1)
     FROM contacts k",
    company_join_sql!("k"),
    " ORDER BY 9 DESC, k.id"
);

const LEAD_COLUMNS: &[ExportColumn] = &[
    int("id"),
    int("company_id"),
    text("full_name"),
    text("first_name"),
    text("last_name"),
    text("title"),
    text("persona"),
    int("lead_score_adjustment"),
    int("lead_score"),
    text("lead_rule"),
    text("email"),
    text("email_source"),
    text("phone"),
    text("linkedin_url"),
    text("source_url"),
    text("provider"),
    real("confidence"),
    text("company_name"),
    text("company_domain"),
    text("company_website"),
    text("company_city"),
    text("company_state"),
    text("company_country"),
    text("company_industry"),
    text("company_naics"),
    int("company_employee_count"),
    text("company_employee_range"),
    text("company_quality_grade"),
    text("icp_profile"),
    real("icp_fit"),
    real("prospect_score"),
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
            Self::Leads => LEAD_COLUMNS,
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
            Self::Leads => LEADS_SQL,
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
/// Few distinct lists exist (companies share their combinations), so each
/// is stored once and companies point at it.
#[derive(Debug, Default)]
pub struct CompanyLists {
    associations: Grouped,
    technologies: Grouped,
    contacts: FxHashMap<i64, i64>,
}

#[derive(Debug, Default)]
struct Grouped {
    /// (company id, index into `joined`), sorted by id.
    of: Vec<(i64, u32)>,
    joined: Vec<String>,
}

impl Grouped {
    fn get(&self, id: i64) -> Option<&str> {
        let at = self.of.binary_search_by_key(&id, |(c, _)| *c).ok()?;
        self.joined.get(self.of[at].1 as usize).map(String::as_str)
    }
}

impl CompanyLists {
    /// Company `id`'s association codes, joined.
    pub fn associations_of(&self, id: i64) -> Option<&str> {
        self.associations.get(id)
    }

    /// The vendors company `id` uses, joined.
    pub fn technologies_of(&self, id: i64) -> Option<&str> {
        self.technologies.get(id)
    }

    pub fn contacts_of(&self, id: i64) -> i64 {
        self.contacts.get(&id).copied().unwrap_or(0)
    }
}

fn list_cell(value: Option<&str>) -> Cell<'_> {
    value.map_or(Cell::Null, Cell::Text)
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
    /// (company id, value) rows grouped per company: values interned,
    /// each company's sorted and deduplicated, equal lists stored once.
    fn grouped(&self, sql: &str) -> Result<Grouped> {
        let mut names: Vec<String> = Vec::new();
        let mut index: FxHashMap<String, u32> = FxHashMap::default();
        let mut rows_of: Vec<(i64, u32)> = Vec::new();
        let mut stmt = self.conn().prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let ValueRef::Text(t) = r.get_ref(1)? else {
                continue;
            };
            let value = std::str::from_utf8(t)?;
            let k = match index.get(value) {
                Some(&k) => k,
                None => {
                    let k = u32::try_from(names.len())?;
                    names.push(value.to_owned());
                    index.insert(value.to_owned(), k);
                    k
                }
            };
            rows_of.push((id, k));
        }
        // Values in text order, so each company's list comes out sorted.
        let mut order: Vec<u32> = (0..u32::try_from(names.len())?).collect();
        order.sort_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
        let mut rank = vec![0u32; names.len()];
        for (r, k) in order.iter().enumerate() {
            rank[*k as usize] = u32::try_from(r)?;
        }
        let mut ranked: Vec<(i64, u32)> = rows_of
            .into_iter()
            .map(|(id, k)| (id, rank[k as usize]))
            .collect();
        ranked.sort_unstable();
        ranked.dedup();
        let mut combos: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut out = Grouped::default();
        let mut list: Vec<u32> = Vec::new();
        for group in ranked.chunk_by(|a, b| a.0 == b.0) {
            list.clear();
            list.extend(group.iter().map(|(_, r)| *r));
            let k = match combos.get(list.as_slice()) {
                Some(&k) => k,
                None => {
                    let k = u32::try_from(out.joined.len())?;
                    let parts: Vec<&str> = list
                        .iter()
                        .map(|r| names[order[*r as usize] as usize].as_str())
                        .collect();
                    out.joined.push(parts.join(&LIST_SEPARATOR.to_string()));
                    combos.insert(list.clone(), k);
                    k
                }
            };
            out.of.push((group[0].0, k));
        }
        Ok(out)
    }

    /// [`CompanyLists`] of every company, one pass per table.
    pub fn company_lists(&self) -> Result<CompanyLists> {
        let associations = self.grouped(
            "SELECT company_id, association_code FROM association_memberships
             WHERE company_id IS NOT NULL",
        )?;
        let technologies = self.grouped(
            "SELECT company_id, vendor FROM competitor_signals WHERE signal_type = 'uses'",
        )?;
        let mut contacts = FxHashMap::default();
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

    /// Streams the rows of `source` that `filter` lets through to `row`,
    /// one call per row with the cells of [`ExportSource::columns`]; returns
    /// the number of rows. An error from `row` stops the read. For
    /// companies, only the ids in `part.ids`, with list columns and contact
    /// counts from `part.lists` (left empty without them; see
    /// [`Store::company_lists`]).
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
        let only = filter
            .company_ids
            .as_ref()
            .map(|v| serde_json::Value::from(v.clone()).to_string());
        let filtered = i64::from(!filter.is_empty());
        let (lo, hi) = ids.unwrap_or((i64::MIN, i64::MAX));
        let mut stmt = self.conn().prepare(source.sql())?;
        let values: [(&str, &dyn rusqlite::ToSql); 12] = [
            (":ids", &only),
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
                cells[COMPANY_ASSOCIATIONS] = list_cell(lists.associations_of(id));
                cells[COMPANY_TECHNOLOGIES] = list_cell(lists.technologies_of(id));
                cells[COMPANY_CONTACTS] = Cell::Int(lists.contacts_of(id));
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

    /// Each company's lists are sorted, distinct and its own; companies
    /// sharing a combination share its string; counts are per company.
    #[test]
    fn company_lists_group_sort_and_dedupe_per_company() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let company = |name: &str, codes: &[&str]| -> i64 {
            let mut id = 0;
            for code in codes {
                let rec = crate::model::MemberRecord {
                    association: (*code).into(),
                    name: name.into(),
                    domain: Some(format!("{}.example", name.to_lowercase().replace(' ', "-"))),
                    source_url: format!("http://{code}.example/members"),
                    extractor: "generic".into(),
                    confidence: 0.9,
                    ..Default::default()
                };
                id = store.list_for_test(&rec).unwrap();
            }
            id
        };
        let a = company("Acme Stamping", &["PMA", "AGMA", "PMA"]);
        let b = company("Brightline Gear", &["PMA", "AGMA"]);
        let c = company("Cutter Tools", &["NEMA"]);
        for (id, vendor, kind) in [
            (a, "SAP", "uses"),
            (a, "Epicor", "uses"),
            (a, "Epicor", "hiring"),
            (b, "Plex", "evaluating"),
        ] {
            store
                .add_competitor_signal(&super::super::NewSignal {
                    company_id: id,
                    vendor: vendor.into(),
                    category: "erp".into(),
                    signal_type: kind.into(),
                    source_url: format!("http://x.example/{id}/{kind}"),
                    ..Default::default()
                })
                .unwrap();
        }
        for (id, name) in [(a, "Dana Reyes"), (a, "Lee Park"), (c, "Sam Ortiz")] {
            store
                .add_contact(&NewContact {
                    company_id: id,
                    full_name: name.into(),
                    ..Default::default()
                })
                .unwrap();
        }
        let lists = store.company_lists().unwrap();
        let sep = LIST_SEPARATOR;
        assert_eq!(
            lists.associations_of(a),
            Some(format!("AGMA{sep}PMA").as_str())
        );
        assert_eq!(lists.associations_of(c), Some("NEMA"));
        assert!(std::ptr::eq(
            lists.associations_of(a).unwrap(),
            lists.associations_of(b).unwrap()
        ));
        assert_eq!(
            lists.technologies_of(a),
            Some(format!("Epicor{sep}SAP").as_str())
        );
        assert_eq!(lists.technologies_of(b), None, "evaluating is not using");
        assert_eq!(
            (
                lists.contacts_of(a),
                lists.contacts_of(b),
                lists.contacts_of(c)
            ),
            (2, 0, 1)
        );
        assert_eq!(lists.associations_of(999), None);
    }

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
            company_ids: Some(vec![1, 2]),
        };
        for source in [
            ExportSource::Companies,
            ExportSource::Contacts,
            ExportSource::Events,
            ExportSource::Participants,
            ExportSource::Signals,
            ExportSource::Memberships,
            ExportSource::Leads,
        ] {
            for f in [&ExportFilter::default(), &filter] {
                let n = store
                    .stream_export_part(source, f, ExportPart::default(), &mut |cells| {
                        assert_eq!(cells.len(), source.columns().len());
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(n, 0, "{source:?}");
            }
        }
    }
}
