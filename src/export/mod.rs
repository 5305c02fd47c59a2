//! Exports: polars frames written to CSV and Parquet.
//!
//! Files are written to a temporary name and renamed into place, so a crash
//! never leaves a half-written export where a finished one is expected.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{Column, CsvWriter, DataFrame, ParquetWriter, SerWriter};

use crate::store::Store;

mod profile;
pub use profile::{Profile, export_companies, export_table};

/// Output formats.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
        }
    }
}

/// Which tables an export writes.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// Companies and memberships.
    #[default]
    All,
    /// Canonical companies only.
    Companies,
    /// Source records (association listings and imported rows) only, each
    /// with its external id and the canonical company it resolved to.
    Memberships,
}

impl What {
    fn includes(self, stem: &str) -> bool {
        match self {
            Self::All => true,
            Self::Companies => stem == "companies",
            Self::Memberships => stem == "memberships",
        }
    }
}

/// One file written by an export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedFile {
    pub path: PathBuf,
    pub rows: usize,
}

/// Neutralizes a cell a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return at the start) by prefixing a single quote.
pub fn neutralize_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// A text column; `neutralize` applies [`neutralize_cell`] (CSV only: Parquet
/// readers do not evaluate formulas, and there the raw value is the truth).
fn text_col(name: &str, values: Vec<Option<String>>, neutralize: bool) -> Column {
    let values: Vec<Option<String>> = if neutralize {
        values
            .into_iter()
            .map(|v| v.map(|s| neutralize_cell(&s).into_owned()))
            .collect()
    } else {
        values
    };
    Column::new(name.into(), values)
}

fn companies_frame(store: &Store, neutralize: bool) -> Result<DataFrame> {
    let companies = store.companies(&Default::default())?;
    let n = companies.len();
    let t = |f: &dyn Fn(&crate::model::Company) -> Option<String>| -> Vec<Option<String>> {
        companies.iter().map(f).collect()
    };
    let cols = vec![
        Column::new(
            "id".into(),
            companies.iter().map(|c| c.id).collect::<Vec<_>>(),
        ),
        text_col("name", t(&|c| Some(c.name.clone())), neutralize),
        text_col("domain", t(&|c| c.domain.clone()), neutralize),
        text_col("website", t(&|c| c.website.clone()), neutralize),
        text_col("phone", t(&|c| c.phone.clone()), neutralize),
        text_col("street", t(&|c| c.street.clone()), neutralize),
        text_col("city", t(&|c| c.city.clone()), neutralize),
        text_col("state", t(&|c| c.state.clone()), neutralize),
        text_col("postal_code", t(&|c| c.postal_code.clone()), neutralize),
        text_col("country", t(&|c| c.country.clone()), neutralize),
        text_col(
            "associations",
            t(&|c| Some(c.associations.join(";"))),
            neutralize,
        ),
        Column::new(
            "employee_count".into(),
            companies
                .iter()
                .map(|c| c.employee_count)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "founded_year".into(),
            companies.iter().map(|c| c.founded_year).collect::<Vec<_>>(),
        ),
        text_col("industry", t(&|c| c.industry.clone()), neutralize),
        Column::new(
            "quality_score".into(),
            companies
                .iter()
                .map(|c| c.quality_score)
                .collect::<Vec<_>>(),
        ),
        text_col("quality_grade", t(&|c| c.quality_grade.clone()), neutralize),
        text_col("updated_at", t(&|c| Some(c.updated_at.clone())), false),
    ];
    Ok(DataFrame::new(n, cols)?)
}

fn memberships_frame(store: &Store, neutralize: bool) -> Result<DataFrame> {
    let rows = store.all_memberships()?;
    let n = rows.len();
    let t = |f: &dyn Fn(&crate::store::MembershipRow) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let cols = vec![
        Column::new("id".into(), rows.iter().map(|r| r.id).collect::<Vec<_>>()),
        // The surviving company, so a record's row says where it resolved to.
        Column::new(
            "company_id".into(),
            rows.iter().map(|r| r.company_id).collect::<Vec<_>>(),
        ),
        text_col(
            "external_id",
            t(&|r| r.record.external_id.clone()),
            neutralize,
        ),
        text_col(
            "association",
            t(&|r| Some(r.record.association.clone())),
            neutralize,
        ),
        text_col("name", t(&|r| Some(r.record.name.clone())), neutralize),
        text_col("website", t(&|r| r.record.website.clone()), neutralize),
        text_col("domain", t(&|r| r.record.domain.clone()), neutralize),
        text_col("phone", t(&|r| r.record.phone.clone()), neutralize),
        text_col("email", t(&|r| r.record.email.clone()), neutralize),
        text_col("street", t(&|r| r.record.street.clone()), neutralize),
        text_col("city", t(&|r| r.record.city.clone()), neutralize),
        text_col("state", t(&|r| r.record.state.clone()), neutralize),
        text_col(
            "postal_code",
            t(&|r| r.record.postal_code.clone()),
            neutralize,
        ),
        text_col("country", t(&|r| r.record.country.clone()), neutralize),
        text_col(
            "membership_type",
            t(&|r| r.record.membership_type.clone()),
            neutralize,
        ),
        text_col(
            "profile_url",
            t(&|r| r.record.profile_url.clone()),
            neutralize,
        ),
        text_col(
            "source_url",
            t(&|r| Some(r.record.source_url.clone())),
            neutralize,
        ),
        text_col("extractor", t(&|r| Some(r.record.extractor.clone())), false),
        Column::new(
            "confidence".into(),
            rows.iter().map(|r| r.record.confidence).collect::<Vec<_>>(),
        ),
        text_col(
            "first_seen_at",
            t(&|r| Some(r.first_seen_at.clone())),
            false,
        ),
        text_col("last_seen_at", t(&|r| Some(r.last_seen_at.clone())), false),
    ];
    Ok(DataFrame::new(n, cols)?)
}

fn write_frame(df: &mut DataFrame, format: Format, path: &Path) -> Result<()> {
    let tmp = path.with_extension(format!("{}.partial", format.extension()));
    {
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        match format {
            Format::Csv => {
                let mut file = file;
                let mut writer = CsvWriter::new(&mut file).include_header(true);
                SerWriter::finish(&mut writer, df)
                    .with_context(|| format!("writing {}", tmp.display()))?;
                file.sync_all()?;
            }
            Format::Parquet => {
                ParquetWriter::new(file)
                    .finish(df)
                    .map(|_| ())
                    .with_context(|| format!("writing {}", tmp.display()))?;
            }
        }
    }
    std::fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))?;
    Ok(())
}

/// Writes `companies.*` and `memberships.*` in each format to `out_dir`.
pub fn export_all(store: &Store, formats: &[Format], out_dir: &Path) -> Result<Vec<ExportedFile>> {
    export(store, formats, What::All, out_dir)
}

/// Writes the tables `what` names in each format to `out_dir`.
pub fn export(
    store: &Store,
    formats: &[Format],
    what: What,
    out_dir: &Path,
) -> Result<Vec<ExportedFile>> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating export directory {}", out_dir.display()))?;
    let mut written = Vec::new();
    for &format in formats {
        let neutralize = format == Format::Csv;
        let builders: [(&str, FrameFn); 2] = [
            ("companies", companies_frame),
            ("memberships", memberships_frame),
        ];
        for (stem, build) in builders {
            if !what.includes(stem) {
                continue;
            }
            let mut df = build(store, neutralize)?;
            let path = out_dir.join(format!("{stem}.{}", format.extension()));
            write_frame(&mut df, format, &path)?;
            written.push(ExportedFile {
                path,
                rows: df.height(),
            });
        }
    }
    Ok(written)
}

/// Builds one table's frame (`neutralize`: CSV formula protection).
type FrameFn = fn(&Store, bool) -> Result<DataFrame>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;
    use polars::prelude::{ParquetReader, SerReader};

    #[test]
    fn formula_cells_are_neutralized() {
        assert_eq!(neutralize_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize_cell("+1 555"), "'+1 555");
        assert_eq!(neutralize_cell("@SUM"), "'@SUM");
        assert_eq!(neutralize_cell("Acme"), "Acme");
        assert_eq!(neutralize_cell(""), "");
    }

    #[test]
    fn exports_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        let rec = MemberRecord {
            association: "PMA".into(),
            name: "=cmd|' /C calc'!A0".into(),
            website: Some("http://www.acme.example/".into()),
            domain: Some("acme.example".into()),
            phone: Some("+13125550100".into()),
            city: Some("Chicago".into()),
            state: Some("IL".into()),
            source_url: "http://pma.example/members".into(),
            extractor: "generic".into(),
            confidence: 0.9,
            ..Default::default()
        };
        let id = store
            .upsert_company_from_member(&rec, "cmd c calc a0")
            .unwrap();
        store
            .upsert_membership(&rec, "cmd c calc a0", Some(id), None)
            .unwrap();
        let out = dir.path().join("out");
        let files = export_all(&store, &[Format::Csv, Format::Parquet], &out).unwrap();
        assert_eq!(files.len(), 4);
        assert!(files.iter().all(|f| f.rows == 1));
        let csv = std::fs::read_to_string(out.join("companies.csv")).unwrap();
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("id,name,domain,website,phone")
        );
        let row = lines.next().unwrap();
        assert!(row.contains("'=cmd"), "{row}");
        assert!(row.contains("+13125550100") && row.contains("'+13125550100"));
        // Parquet keeps the raw value and reads back.
        let df = ParquetReader::new(File::open(out.join("companies.parquet")).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height(), 1);
        let name = df
            .column("name")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_owned();
        assert_eq!(name, "=cmd|' /C calc'!A0");
        assert!(!out.join("companies.csv.partial").exists());
    }

    /// `--what memberships`: one row per source record with its external id
    /// and the surviving company, even where the stored pointer is stale.
    #[test]
    fn memberships_export_carries_external_ids_and_canonical_companies() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("nam.db")).unwrap();
        let csv_in = dir.path().join("crm.csv");
        std::fs::write(
            &csv_in,
            "id,company,website,city\n\
             A-1,Acme Stamping,acme.example,Cleveland\n\
             A-2,ACME STAMPING INC,www.acme.example,Cleveland\n\
             A-3,Acme Stamping Co,,Cleveland\n\
             A-4,Brightline Gear,brightline.example,Rockford\n",
        )
        .unwrap();
        crate::import::import_csv(&mut store, &csv_in, "CRM").unwrap();
        let company_of = |ext: &str| -> i64 {
            store
                .all_memberships()
                .unwrap()
                .into_iter()
                .find(|m| m.record.external_id.as_deref() == Some(ext))
                .and_then(|m| m.company_id)
                .unwrap()
        };
        let (acme, stray, gear) = (company_of("A-1"), company_of("A-3"), company_of("A-4"));
        assert_eq!(company_of("A-2"), acme, "same domain, same company");
        assert_ne!(stray, acme);
        // Resolution merged A-3's company into Acme's but left the listing's
        // pointer; a chain of two merges is followed too.
        store.mark_merged_for_test(stray, gear).unwrap();
        store.mark_merged_for_test(gear, acme).unwrap();

        let out = dir.path().join("out");
        let files = export(
            &store,
            &[Format::Csv, Format::Parquet],
            What::Memberships,
            &out,
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert!(!out.join("companies.csv").exists());
        let mut rd = csv::Reader::from_path(out.join("memberships.csv")).unwrap();
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (ext_col, company_col) = (col("external_id"), col("company_id"));
        let mut got: Vec<(String, i64)> = rd
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[ext_col].to_owned(), r[company_col].parse().unwrap())
            })
            .collect();
        got.sort();
        let want: Vec<(String, i64)> = ["A-1", "A-2", "A-3", "A-4"]
            .iter()
            .map(|e| ((*e).to_owned(), acme))
            .collect();
        assert_eq!(got, want);
        // Parquet: the same columns.
        let df = ParquetReader::new(File::open(out.join("memberships.parquet")).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height(), 4);
        let ids = df.column("company_id").unwrap().i64().unwrap();
        assert!((0..ids.len()).all(|i| ids.get(i) == Some(acme)));
        assert!(df.column("external_id").is_ok());
        // The default still writes both tables.
        let all = export_all(&store, &[Format::Csv], &out).unwrap();
        assert_eq!(all.len(), 2);
    }
}
