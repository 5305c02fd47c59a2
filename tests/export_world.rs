#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Exports end to end on the hostile fixture world: a company listed under
//! a spreadsheet formula, with a formula as its membership type (the
//! listing's free-text field that is exported; companies have no crawled
//! description), and a neighbour whose listed name carries terminal
//! escapes, crawled by a full job whose EXPORT phase writes every table.
//! Then every profile is exported too, and every file of every profile and
//! format is read back: formulas neutralized in CSV and raw in Parquet,
//! escapes gone everywhere, and every phone byte-identical to the store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nam::export::{ExportRequest, Profile, is_formula_like};
use nam::fixture_site::{FixtureServer, HOSTILE_MEMBERSHIP, HOSTILE_NAME, World, WorldConfig};
use nam::model::{JobMode, PhaseStatus};
use nam::store::Store;
use polars::prelude::{DataType, ParquetReader, SerReader};

mod common;

/// No terminal escape or control character except tab, LF and CR.
fn clean(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Every cell of a CSV file by column name, checked on the way.
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.len(), header.len(), "{}", path.display());
            // An empty cell is a missing value.
            header
                .iter()
                .cloned()
                .zip(r.iter().map(|c| {
                    assert!(clean(c), "{}: escape in {c:?}", path.display());
                    assert!(!is_formula_like(c), "{}: formula {c:?}", path.display());
                    c.to_owned()
                }))
                .filter(|(_, c)| !c.is_empty())
                .collect()
        })
        .collect()
}

/// Every text cell (list items included) of a Parquet file by column name.
fn parquet_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let mut rows = vec![HashMap::new(); df.height()];
    for col in df.columns() {
        let name = col.name().to_string();
        for (i, row) in rows.iter_mut().enumerate() {
            let v = col.get(i).unwrap();
            let text = match col.dtype() {
                DataType::String => v.get_str().map(str::to_owned),
                DataType::List(_) => Some(v.to_string()),
                _ => (!v.is_null()).then(|| v.to_string()),
            };
            if let Some(t) = text {
                assert!(clean(&t), "{}: escape in {t:?}", path.display());
                row.insert(name.clone(), t);
            }
        }
    }
    rows
}

/// The id and phone columns of each company-keyed file.
fn company_keys(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let stem = name.split("-2").next().unwrap_or(name);
    match stem {
        "companies" => Some(("id", "phone", "name")),
        "hubspot-companies" => Some(("nam_company_id", "Phone Number", "Name")),
        "salesforce-accounts" => Some(("Nam_Company_Id__c", "Phone", "Account Name")),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_neutralized_in_every_export_and_phones_survive() {
    let world = Arc::new(World::new(WorldConfig {
        seed: 11,
        members: 40,
        hostile: true,
        ..Default::default()
    }));
    let server = FixtureServer::start(world.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hostile.db");
    // Per-association selectors: the planted listings are read exactly.
    let mut req = common::request(&db, &server, &world, JobMode::Full);
    req.params.associations = world.associations_file(true).associations;
    let (summary, _) = common::run_collecting(req).await;
    server.shutdown().await;
    let store = Store::open(&db).unwrap();
    let phases = store.phases(summary.job_id.unwrap()).unwrap();
    let export = phases
        .iter()
        .find(|p| p.phase.as_str() == "export")
        .unwrap();
    assert_eq!(export.status, PhaseStatus::Completed, "{}", export.stats);
    let runs = store.export_runs(10).unwrap();
    assert_eq!(runs.len(), 1, "the phase records its export");

    // The phase's files (next to the database), then every profile.
    let phase_dir = dir.path().join("exports");
    let mut files: Vec<PathBuf> = runs[0].files.iter().map(PathBuf::from).collect();
    assert!(files.iter().all(|f| f.starts_with(&phase_dir)), "{files:?}");
    for profile in Profile::ALL {
        let out = dir.path().join(profile.name());
        let req = ExportRequest {
            profile,
            stamp: Some("20261202T154200Z".into()),
            ..ExportRequest::new(&out)
        };
        let summary = nam::export::export(&store, &req).unwrap();
        files.extend(summary.files.into_iter().map(|f| f.path));
    }

    // What the store holds: phones by company, the planted company.
    let companies = store.companies(&Default::default()).unwrap();
    let phones: HashMap<String, Option<String>> = companies
        .iter()
        .map(|c| (c.id.to_string(), c.phone.clone()))
        .collect();
    let planted = companies
        .iter()
        .find(|c| c.name == HOSTILE_NAME)
        .expect("the planted company was crawled under its formula name");
    assert!(
        companies.iter().any(|c| c.name == "Red Alloy Works"),
        "the escaped name was stored clean"
    );
    let listing_phones: HashMap<String, Option<String>> = store
        .all_memberships()
        .unwrap()
        .into_iter()
        .map(|m| (m.id.to_string(), m.record.phone))
        .collect();

    let (mut formula_csv, mut formula_parquet, mut phones_checked) = (0, 0, 0);
    let mut membership_formula = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let csv = path.extension().unwrap() == "csv";
        let rows = if csv {
            csv_rows(path)
        } else {
            parquet_rows(path)
        };
        if let Some((id_col, phone_col, name_col)) = company_keys(name) {
            for row in &rows {
                let id = &row[id_col];
                assert_eq!(
                    row.get(phone_col),
                    phones[id].as_ref(),
                    "{name}: company {id}'s phone"
                );
                phones_checked += 1;
                if *id == planted.id.to_string() {
                    let want = if csv {
                        format!("'{HOSTILE_NAME}")
                    } else {
                        HOSTILE_NAME.to_owned()
                    };
                    assert_eq!(row[name_col], want, "{name}");
                    if csv {
                        formula_csv += 1;
                    } else {
                        formula_parquet += 1;
                    }
                }
            }
        }
        if name.starts_with("memberships-") {
            for row in &rows {
                assert_eq!(
                    row.get("phone"),
                    listing_phones[&row["id"]].as_ref(),
                    "{name}: listing {}'s phone",
                    row["id"]
                );
                phones_checked += 1;
                if row
                    .get("membership_type")
                    .map(|m| m.trim_start_matches('\''))
                    == Some(HOSTILE_MEMBERSHIP)
                {
                    let want = if csv {
                        format!("'{HOSTILE_MEMBERSHIP}")
                    } else {
                        HOSTILE_MEMBERSHIP.to_owned()
                    };
                    assert_eq!(row["membership_type"], want, "{name}");
                    membership_formula += 1;
                }
            }
        }
    }
    assert!(phones_checked > 100, "{phones_checked}");
    // Full (phase and profile run) and Salesforce always carry the planted
    // company; HubSpot when it has a domain to key it by.
    let with_domain = usize::from(planted.domain.is_some());
    assert_eq!(
        formula_csv,
        3 + with_domain,
        "CSV files with the planted name"
    );
    assert_eq!(formula_parquet, 3 + with_domain);
    assert!(membership_formula >= 2, "{membership_formula}");
    python_reads_every_csv(&files);
}

/// Python's own csv module reads every CSV to the same header and row
/// count as the Rust reader (stdlib only: nothing to install). Without a
/// python3 on the PATH the check says so and is skipped.
fn python_reads_every_csv(files: &[PathBuf]) {
    let csvs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .collect();
    let script = "import csv, sys\n\
        for path in sys.argv[1:]:\n\
        \x20   with open(path, newline='', encoding='utf-8') as f:\n\
        \x20       rows = list(csv.reader(f, strict=True))\n\
        \x20   widths = {len(r) for r in rows}\n\
        \x20   assert len(widths) == 1, (path, widths)\n\
        \x20   print(len(rows) - 1, len(rows[0]))\n";
    let out = match std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(&csvs)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: Python's csv module check needs python3 on the PATH ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "python3 could not read the CSVs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), csvs.len());
    for (path, line) in csvs.iter().zip(&lines) {
        let mut rd = csv::Reader::from_path(path).unwrap();
        let width = rd.headers().unwrap().len();
        let rows = rd.records().count();
        assert_eq!(*line, format!("{rows} {width}"), "{}", path.display());
    }
}
