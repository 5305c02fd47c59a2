//! `nam import FILE.csv`: company lists from spreadsheets into the store.
//!
//! Bad rows are reported with their line number and skipped; every good row
//! is imported in one transaction, so a failure midway leaves nothing half-done.
//!
//! A reading thread parses the file in chunks and normalizes them (names to
//! keys, websites to registrable domains, phones to E.164, text cleaned),
//! on a rayon pool when there are cores beyond the writer's; the calling
//! thread writes the chunks through [`Store::bulk_import`], which places
//! each row exactly where [`Store::upsert_company_from_member`] would.

use std::path::Path;
use std::sync::mpsc;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::model::MemberRecord;
use crate::normalize::{name_key, normalize_phone, registrable_domain};
use crate::store::{BulkOptions, ImportRecord, Store};

/// Outcome of an import.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// `(line, problem)` for each skipped row.
    pub skipped: Vec<(u64, String)>,
    /// Companies the import created (the rest of the rows joined existing ones).
    pub companies_created: usize,
}

/// How to import.
#[derive(Clone, Copy)]
pub struct ImportOptions<'a> {
    /// Association code for rows without an `association` column.
    pub association: &'a str,
    /// Called with the number of rows written so far, every
    /// [`PROGRESS_EVERY`] rows.
    pub progress: Option<&'a dyn Fn(usize)>,
}

/// Rows between two progress calls.
pub const PROGRESS_EVERY: usize = 100_000;

/// Bytes per CSV row assumed when guessing a file's row count.
const BYTES_PER_ROW_GUESS: u64 = 200;

/// Rows parsed and normalized together: large enough to keep both cores
/// busy, small enough that the writer starts early.
const CHUNK: usize = 8192;

/// Header names accepted for each field (lower case, spaces and `_` ignored).
const FIELD_ALIASES: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "name",
            "company",
            "companyname",
            "organization",
            "account",
            "accountname",
        ],
    ),
    ("website", &["website", "url", "web", "homepage", "domain"]),
    ("phone", &["phone", "telephone", "phonenumber", "tel"]),
    ("email", &["email", "emailaddress"]),
    (
        "street",
        &["street", "address", "address1", "streetaddress"],
    ),
    ("city", &["city", "town"]),
    ("state", &["state", "province", "region", "stateprovince"]),
    ("postal_code", &["zip", "zipcode", "postalcode", "postcode"]),
    ("country", &["country"]),
    ("association", &["association", "source"]),
    (
        "membership_type",
        &["membership", "membershiptype", "membertype"],
    ),
    (
        "external_id",
        &[
            "id",
            "recordid",
            "externalid",
            "crmid",
            "accountid",
            "customerid",
        ],
    ),
];

fn canonical_header(h: &str) -> Option<&'static str> {
    let k: String = h
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    FIELD_ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&k.as_str()))
        .map(|(f, _)| *f)
}

fn clean(s: &str) -> Option<String> {
    let t = crate::normalize::clean_text(s);
    (!t.is_empty()).then_some(t)
}

/// What every row of one file shares.
struct RowContext<'a> {
    columns: &'a [Option<&'static str>],
    association: &'a str,
    /// `file:///...`, the rows' source URL before `#line=N`.
    source: &'a str,
    /// When the values were read (one time for the whole import).
    at: chrono::DateTime<chrono::Utc>,
}

/// One CSV row to a record ready for writing, or the reason it is skipped.
fn normalize_row(
    cx: &RowContext<'_>,
    line: u64,
    row: &csv::StringRecord,
) -> Result<ImportRecord, String> {
    let mut rec = MemberRecord {
        association: cx.association.to_owned(),
        source_url: format!("{}#line={line}", cx.source),
        extractor: "import".into(),
        confidence: 1.0,
        ..Default::default()
    };
    for (value, field) in row.iter().zip(cx.columns) {
        let Some(field) = field else { continue };
        let v = clean(value);
        match *field {
            "name" => rec.name = v.unwrap_or_default(),
            "website" => rec.website = v,
            // E.164 when it parses, else the cleaned text (as extraction stores it).
            "phone" => rec.phone = v.map(|p| normalize_phone(&p).unwrap_or(p)),
            "email" => rec.email = v.map(|e| e.to_lowercase()),
            "street" => rec.street = v,
            "city" => rec.city = v,
            "state" => rec.state = v,
            "postal_code" => rec.postal_code = v,
            "country" => rec.country = v,
            "association" => {
                if let Some(a) = v {
                    rec.association = a.to_uppercase();
                }
            }
            "membership_type" => rec.membership_type = v,
            "external_id" => rec.external_id = v,
            _ => {}
        }
    }
    if rec.name.is_empty() {
        return Err("empty company name".into());
    }
    if let Some(w) = &rec.website {
        match registrable_domain(w) {
            Some(d) => rec.domain = Some(d),
            None => return Err(format!("website {w:?} is not a valid URL or domain")),
        }
    }
    let key = name_key(&rec.name);
    ImportRecord::new(rec, key, line, cx.at).map_err(|e| format!("{e:#}"))
}

/// Imports `path` under `association` (used when the file has no association column).
pub fn import_csv(store: &mut Store, path: &Path, association: &str) -> Result<ImportReport> {
    import_csv_with(
        store,
        path,
        &ImportOptions {
            association,
            progress: None,
        },
    )
}

/// Imports `path` as `opts` say.
pub fn import_csv_with(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let headers = reader
        .headers()
        .with_context(|| format!("{}: reading the header row", path.display()))?
        .clone();
    let columns: Vec<Option<&str>> = headers.iter().map(canonical_header).collect();
    if !columns.contains(&Some("name")) {
        bail!(
            "{}: line 1: no company name column (expected one of: name, company, organization, account); found: {}",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    }
    let source = format!("file://{}", std::fs::canonicalize(path)?.display());
    // A guess from the file size (CSV rows of company lists run 100-300
    // bytes; erring low only keeps indexes that could have been deferred).
    let expected_rows =
        std::fs::metadata(path).map_or(0, |m| m.len() / BYTES_PER_ROW_GUESS) as usize;
    let cx = RowContext {
        columns: &columns,
        association: opts.association,
        source: &source,
        // Whole seconds, like every other stored time (and shorter in the
        // provenance of every field).
        at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0),
    };
    // Two chunks in flight: one being written while the next is normalized.
    let (tx, rx) = mpsc::sync_channel::<Vec<ImportRecord>>(2);
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || read_chunks(&mut reader, &cx, &tx));
        let written = store.bulk_import(BulkOptions { expected_rows }, |bulk| {
            let mut next_progress = PROGRESS_EVERY;
            for chunk in rx {
                for r in &chunk {
                    bulk.write(r)?;
                }
                if let Some(progress) = opts.progress
                    && bulk.stats.rows >= next_progress
                {
                    progress(bulk.stats.rows);
                    next_progress += PROGRESS_EVERY;
                }
            }
            Ok(bulk.stats)
        });
        // On a write error the receiver is gone and the reader stops at its
        // next send; its skipped rows no longer matter.
        let skipped = match reading.join() {
            Ok(skipped) => skipped,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let stats = written?;
        Ok(ImportReport {
            imported: stats.rows,
            skipped,
            companies_created: stats.companies_created,
        })
    })
}

/// Reads the rows in chunks, normalizes each chunk and sends the good
/// records on; returns the skipped rows.
fn read_chunks<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    cx: &RowContext<'_>,
    tx: &mpsc::SyncSender<Vec<ImportRecord>>,
) -> Vec<(u64, String)> {
    let mut skipped = Vec::new();
    let mut rows = reader.records();
    // The writing thread is the bottleneck: normalizing leaves it a core of
    // its own. On two cores this thread normalizes alone, which measured
    // 10-25% faster than a pool of two competing with the writer.
    let helpers = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1));
    let pool = if helpers > 1 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(helpers)
            .build()
            .ok()
    } else {
        None
    };
    loop {
        let mut chunk: Vec<(u64, csv::StringRecord)> = Vec::with_capacity(CHUNK);
        let mut read = 0;
        for row in rows.by_ref().take(CHUNK) {
            read += 1;
            match row {
                Ok(r) => chunk.push((r.position().map(|p| p.line()).unwrap_or(0), r)),
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    skipped.push((line, format!("unreadable row: {e}")));
                }
            }
        }
        if read == 0 {
            skipped.sort_by_key(|(line, _)| *line);
            return skipped;
        }
        let norm = |(line, row): &(u64, csv::StringRecord)| {
            normalize_row(cx, *line, row).map_err(|e| (*line, e))
        };
        let done: Vec<Result<ImportRecord, (u64, String)>> = match &pool {
            Some(p) => p.install(|| chunk.par_iter().map(norm).collect()),
            None => chunk.iter().map(norm).collect(),
        };
        let mut good = Vec::with_capacity(done.len());
        for d in done {
            match d {
                Ok(r) => good.push(r),
                Err(s) => skipped.push(s),
            }
        }
        if !good.is_empty() && tx.send(good).is_err() {
            return skipped;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn imports_good_rows_and_reports_bad_ones_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("list.csv");
        std::fs::write(
            &csv_path,
            "\u{feff}Company Name,Website,City,State,Zip\n\
             Acme Stamping Inc.,www.acme-stamping.com,Cleveland,OH,44101\n\
             ,www.nobody.com,Nowhere,OH,00000\n\
             Bad Site LLC,http://exa mple,Akron,OH,44301\n\
             \"Brightline Gear, Inc.\",brightline.com,Rockford,IL,61101\n",
        )
        .unwrap();
        let mut store = Store::open(&dir.path().join("nam.db")).unwrap();
        let r = import_csv(&mut store, &csv_path, "IMPORT").unwrap();
        assert_eq!(r.imported, 2);
        assert_eq!(r.skipped.len(), 2);
        assert_eq!(r.skipped[0].0, 3);
        assert!(
            r.skipped[1].1.contains("not a valid URL"),
            "{:?}",
            r.skipped
        );
        assert_eq!(store.company_count().unwrap(), 2);
        // Idempotent.
        let r2 = import_csv(&mut store, &csv_path, "IMPORT").unwrap();
        assert_eq!(r2.imported, 2);
        assert_eq!(store.company_count().unwrap(), 2);
        assert_eq!(store.membership_count().unwrap(), 2);
    }

    #[test]
    fn missing_name_column_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("x.csv");
        std::fs::write(&csv_path, "foo,bar\n1,2\n").unwrap();
        let mut store = Store::open(&dir.path().join("nam.db")).unwrap();
        let err = format!("{:#}", import_csv(&mut store, &csv_path, "X").unwrap_err());
        assert!(
            err.contains("x.csv") && err.contains("line 1") && err.contains("foo, bar"),
            "{err}"
        );
        assert_eq!(store.company_count().unwrap(), 0);
    }

    #[test]
    fn an_id_column_keys_the_record_so_an_edited_row_updates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.csv");
        let mut store = Store::open(&dir.path().join("nam.db")).unwrap();
        std::fs::write(
            &path,
            "Account ID,Account Name,Phone,City\n\
             A-1,Acme Stamping,(216) 555-0142,Cleveland\n\
             A-2,Brightline Gear,+1 815 555 0100 ext. 7,Rockford\n",
        )
        .unwrap();
        let r = import_csv(&mut store, &path, "CRM").unwrap();
        assert_eq!((r.imported, r.companies_created), (2, 2));
        // The CRM renamed and moved a company: the same record, updated.
        std::fs::write(
            &path,
            "Account ID,Account Name,Phone,City\n\
             A-1,Acme Stamping & Tool,(216) 555-0142,Akron\n\
             A-2,Brightline Gear,+1 815 555 0100 ext. 7,Rockford\n",
        )
        .unwrap();
        let r = import_csv(&mut store, &path, "CRM").unwrap();
        assert_eq!((r.imported, r.companies_created), (2, 0));
        assert_eq!(store.membership_count().unwrap(), 2);
        assert_eq!(store.company_count().unwrap(), 2);
        let rows = store
            .debug_query(
                "SELECT external_id, record_key, raw_name, city, phone FROM association_memberships ORDER BY external_id",
            )
            .unwrap();
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        assert_eq!(
            rows[0].iter().map(s).collect::<Vec<_>>(),
            [
                "A-1",
                "ext:A-1",
                "Acme Stamping & Tool",
                "Akron",
                "+12165550142"
            ]
        );
        // Phones are stored in E.164, the extension dropped.
        assert_eq!(s(&rows[1][4]), "+18155550100");
    }

    #[test]
    fn id_header_aliases_are_recognised() {
        for h in [
            "id",
            "Record ID",
            "external_id",
            "RecordId",
            "ExternalID",
            "crm_id",
            "account_id",
            "AccountId",
            "customer_id",
        ] {
            assert_eq!(canonical_header(h), Some("external_id"), "{h}");
        }
        assert_eq!(canonical_header("Company"), Some("name"));
    }

    /// A generated data set through CSV and import: every record lands once,
    /// and the write-time rule (domains only) never joins two different firms.
    #[test]
    fn generated_records_import_with_perfect_pairwise_precision() {
        use crate::fixture_site::records::{
            RecordSetConfig, generate, pairwise_score, truth_map, write_csv,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.csv");
        let recs = generate(&RecordSetConfig {
            seed: 11,
            companies: 600,
            hard: false,
        });
        write_csv(&recs, &path).unwrap();
        let mut store = Store::open(&dir.path().join("nam.db")).unwrap();
        let progress_calls = std::cell::Cell::new(0);
        let progress = |_: usize| progress_calls.set(progress_calls.get() + 1);
        let r = import_csv_with(
            &mut store,
            &path,
            &ImportOptions {
                association: "X",
                progress: Some(&progress),
            },
        )
        .unwrap();
        assert_eq!(r.imported, recs.len(), "{:?}", r.skipped);
        assert!(r.skipped.is_empty());
        assert_eq!(progress_calls.get(), 0, "fewer rows than one progress step");
        assert_eq!(store.membership_count().unwrap() as usize, recs.len());
        let assignment: Vec<(String, i64)> = store
            .debug_query("SELECT external_id, company_id FROM association_memberships")
            .unwrap()
            .into_iter()
            .map(|row| {
                (
                    row[0].clone().unwrap(),
                    row[1].as_deref().unwrap().parse().unwrap(),
                )
            })
            .collect();
        let score = pairwise_score(&assignment, &truth_map(&recs));
        assert_eq!(score.precision, 1.0, "{score:?}");
        assert!(score.recall > 0.3 && score.recall < 1.0, "{score:?}");
        // The association column wins over the default.
        let assocs = store
            .debug_query("SELECT DISTINCT association_code FROM association_memberships ORDER BY 1")
            .unwrap();
        assert_eq!(assocs.len(), 10);
        // Same file again: nothing new.
        let again = import_csv(&mut store, &path, "X").unwrap();
        assert_eq!(again.companies_created, 0);
        assert_eq!(store.membership_count().unwrap() as usize, recs.len());
    }
}
