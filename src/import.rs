//! `nam import FILE.csv`: company lists from spreadsheets into the store.
//!
//! Bad rows are reported with their line number and skipped; every good row
//! is imported in one transaction, so a failure midway leaves nothing half-done.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::model::MemberRecord;
use crate::normalize::{name_key, registrable_domain};
use crate::store::Store;

/// Outcome of an import.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// `(line, problem)` for each skipped row.
    pub skipped: Vec<(u64, String)>,
}

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

/// Imports `path` under `association` (used when the file has no association column).
pub fn import_csv(store: &mut Store, path: &Path, association: &str) -> Result<ImportReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
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
    let mut report = ImportReport::default();
    let mut good = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                report.skipped.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let mut rec = MemberRecord {
            association: association.to_owned(),
            source_url: format!("{source}#line={line}"),
            extractor: "import".into(),
            confidence: 1.0,
            ..Default::default()
        };
        for (value, field) in row.iter().zip(&columns) {
            let Some(field) = field else { continue };
            let v = clean(value);
            match *field {
                "name" => rec.name = v.unwrap_or_default(),
                "website" => rec.website = v,
                "phone" => rec.phone = v,
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
                _ => {}
            }
        }
        if rec.name.is_empty() {
            report.skipped.push((line, "empty company name".into()));
            continue;
        }
        if let Some(w) = &rec.website {
            match registrable_domain(w) {
                Some(d) => rec.domain = Some(d),
                None => {
                    report
                        .skipped
                        .push((line, format!("website {w:?} is not a valid URL or domain")));
                    continue;
                }
            }
        }
        good.push(rec);
    }
    store.transaction(|s| {
        for rec in &good {
            let key = name_key(&rec.name);
            let id = s.upsert_company_from_member(rec, &key)?;
            s.upsert_membership(rec, &key, Some(id), None)?;
        }
        Ok(())
    })?;
    report.imported = good.len();
    Ok(report)
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
}
