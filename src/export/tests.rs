#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs::File;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::*;
use crate::model::MemberRecord;
use crate::store::{ExportFilter, ExportSource, NewContact, NewSignal};

const FORMULA_NAME: &str = "=HYPERLINK(\"http://x\",\"click\")";
const FORMULA_DESCRIPTION: &str = "+cmd|' /C calc'!A0";
const ESCAPED_STREET: &str = "\u{1b}]0;pwned\u{7}1 Main St\u{1b}[31m";

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    out: PathBuf,
    acme: i64,
    evil: i64,
    cutter: i64,
}

fn listed(store: &Store, assoc: &str, rec: MemberRecord) -> i64 {
    let rec = MemberRecord {
        association: assoc.into(),
        source_url: format!("http://{}.example/members", assoc.to_lowercase()),
        extractor: "generic".into(),
        confidence: 0.9,
        ..rec
    };
    store.list_for_test(&rec).unwrap()
}

/// Acme (PMA and NTMA, grade A, PA, uses Epicor, two contacts), a
/// formula-named company with a formula description and an escape in its
/// street (PMA, grade B, OH), and Cutter Tools (NEMA, grade C, OH, no
/// website).
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nam.db")).unwrap();
    let acme_rec = MemberRecord {
        name: "Acme Stamping".into(),
        website: Some("http://www.acme.example/about".into()),
        domain: Some("acme.example".into()),
        phone: Some("+14125550100".into()),
        city: Some("Pittsburgh".into()),
        state: Some("PA".into()),
        ..Default::default()
    };
    let acme = listed(&store, "PMA", acme_rec.clone());
    assert_eq!(listed(&store, "NTMA", acme_rec), acme);
    let evil = listed(
        &store,
        "PMA",
        MemberRecord {
            name: FORMULA_NAME.into(),
            website: Some("https://evil.example/".into()),
            domain: Some("evil.example".into()),
            phone: Some("+1 216 555 0199".into()),
            street: Some(ESCAPED_STREET.into()),
            city: Some("Akron".into()),
            state: Some("OH".into()),
            external_id: Some("EXT-9".into()),
            ..Default::default()
        },
    );
    let cutter = listed(
        &store,
        "NEMA",
        MemberRecord {
            name: "Cutter Tools".into(),
            phone: Some("(216) 555-0100".into()),
            city: Some("Cleveland".into()),
            state: Some("OH".into()),
            ..Default::default()
        },
    );
    store
        .set_export_fields_for_test(acme, Some("A"), None)
        .unwrap();
    store
        .set_export_fields_for_test(evil, Some("B"), Some(FORMULA_DESCRIPTION))
        .unwrap();
    store
        .set_export_fields_for_test(cutter, Some("C"), None)
        .unwrap();
    for (vendor, signal_type) in [("Epicor", "uses"), ("HubSpot", "mention")] {
        store
            .add_competitor_signal(&NewSignal {
                company_id: acme,
                vendor: vendor.into(),
                category: "erp".into(),
                signal_type: signal_type.into(),
                evidence_kind: "script".into(),
                source_url: "http://www.acme.example/".into(),
                strength: 0.8,
                confidence: 0.9,
                ..Default::default()
            })
            .unwrap();
    }
    store
        .add_contact(&NewContact {
            company_id: acme,
            full_name: "Jane Doe".into(),
            title: Some("Plant Manager".into()),
            email: Some("jane@acme.example".into()),
            phone: Some("+14125550101".into()),
            ..Default::default()
        })
        .unwrap();
    store
        .add_contact(&NewContact {
            company_id: acme,
            full_name: "No Mail".into(),
            ..Default::default()
        })
        .unwrap();
    let out = dir.path().join("out");
    World {
        _dir: dir,
        store,
        out,
        acme,
        evil,
        cutter,
    }
}

fn request(w: &World, profile: Profile) -> ExportRequest {
    ExportRequest {
        profile,
        stamp: Some("20261202T154200Z".into()),
        ..ExportRequest::new(&w.out)
    }
}

/// Header and rows of a CSV file, parsed by the csv crate (RFC 4180, the
/// rules of Python's csv module).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let header = rd.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn file<'a>(summary: &'a ExportSummary, name: &str) -> &'a ExportedFile {
    summary
        .files
        .iter()
        .find(|f| f.path.file_name().unwrap().to_str().unwrap() == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", summary.files))
}

fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap();
    &row[i]
}

#[test]
fn full_export_writes_every_table_in_both_formats_with_types() {
    let w = world();
    let summary = export(&w.store, &request(&w, Profile::Full)).unwrap();
    let names: BTreeSet<String> = summary
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    let mut want = BTreeSet::new();
    for stem in [
        "companies",
        "contacts",
        "events",
        "event-participants",
        "signals",
        "memberships",
        "leads",
    ] {
        for ext in ["csv", "parquet"] {
            want.insert(format!("{stem}-20261202T154200Z.{ext}"));
        }
    }
    assert_eq!(names, want);
    assert!(summary.files.iter().all(|f| f.path.exists()));
    assert!(
        std::fs::read_dir(&w.out).unwrap().all(|e| !e
            .unwrap()
            .path()
            .to_str()
            .unwrap()
            .contains("partial"))
    );

    // Parquet: the types, list columns and row counts.
    let df = read_parquet(&w.out.join("companies-20261202T154200Z.parquet"));
    assert_eq!(df.height(), 3);
    assert_eq!(file(&summary, "companies-20261202T154200Z.parquet").rows, 3);
    let dtype = |n: &str| df.column(n).unwrap().dtype().clone();
    assert_eq!(dtype("id"), DataType::Int64);
    assert_eq!(dtype("name"), DataType::String);
    assert_eq!(dtype("employee_count"), DataType::Int64);
    assert_eq!(dtype("quality_score"), DataType::Float64);
    assert_eq!(dtype("contacts"), DataType::Int64);
    let list = DataType::List(Box::new(DataType::String));
    assert_eq!(dtype("associations"), list);
    assert_eq!(dtype("technologies"), list);
    let ids = df.column("id").unwrap().i64().unwrap();
    let acme_row = (0..3).find(|i| ids.get(*i) == Some(w.acme)).unwrap();
    let assocs = df.column("associations").unwrap().list().unwrap();
    let acme_assocs = assocs.get_as_series(acme_row).unwrap();
    let acme_assocs: Vec<&str> = acme_assocs.str().unwrap().iter().flatten().collect();
    assert_eq!(acme_assocs, ["NTMA", "PMA"]);
    let techs = df.column("technologies").unwrap().list().unwrap();
    let acme_techs = techs.get_as_series(acme_row).unwrap();
    let acme_techs: Vec<&str> = acme_techs.str().unwrap().iter().flatten().collect();
    assert_eq!(
        acme_techs,
        ["Epicor"],
        "only `uses` signals are technologies"
    );
    // Parquet keeps the raw (escape-free) text.
    let names = df.column("name").unwrap().str().unwrap();
    assert!(names.iter().any(|n| n == Some(FORMULA_NAME)));
    let streets = df.column("street").unwrap().str().unwrap();
    assert!(streets.iter().any(|s| s == Some("1 Main St")));

    // CSV: parsed, headers, lists joined, formulas neutralized, phones intact.
    let (header, rows) = read_csv(&w.out.join("companies-20261202T154200Z.csv"));
    assert_eq!(&header[..5], ["id", "name", "domain", "website", "phone"]);
    assert_eq!(rows.len(), 3);
    let row = |id: i64| {
        rows.iter()
            .find(|r| cell(&header, r, "id") == id.to_string())
            .unwrap()
    };
    assert_eq!(cell(&header, row(w.acme), "associations"), "NTMA;PMA");
    assert_eq!(cell(&header, row(w.acme), "phone"), "+14125550100");
    assert_eq!(
        cell(&header, row(w.evil), "name"),
        format!("'{FORMULA_NAME}")
    );
    assert_eq!(
        cell(&header, row(w.evil), "description"),
        format!("'{FORMULA_DESCRIPTION}")
    );
    assert_eq!(cell(&header, row(w.evil), "street"), "1 Main St");
    assert_eq!(cell(&header, row(w.evil), "phone"), "+1 216 555 0199");
    assert_eq!(cell(&header, row(w.cutter), "phone"), "(216) 555-0100");

    for (stem, rows_want) in [
        ("contacts", 2),
        ("signals", 2),
        ("memberships", 4),
        ("events", 0),
        ("event-participants", 0),
    ] {
        let csv = w.out.join(format!("{stem}-20261202T154200Z.csv"));
        let (_, rows) = read_csv(&csv);
        assert_eq!(rows.len(), rows_want, "{stem}");
        let pq = read_parquet(&w.out.join(format!("{stem}-20261202T154200Z.parquet")));
        assert_eq!(pq.height(), rows_want, "{stem}");
    }
    let signals = read_parquet(&w.out.join("signals-20261202T154200Z.parquet"));
    assert_eq!(
        signals.column("strength").unwrap().dtype(),
        &DataType::Float64
    );
    assert!(signals.column("evidence_kind").is_ok());
}

#[test]
fn hubspot_profile_keys_companies_by_domain_and_contacts_by_email() {
    let w = world();
    let summary = export(&w.store, &request(&w, Profile::Hubspot)).unwrap();
    let companies = file(&summary, "hubspot-companies-20261202T154200Z.csv");
    assert_eq!(companies.rows, 2);
    assert_eq!(
        companies.skipped,
        [Skipped {
            reason: "no valid Company Domain Name".into(),
            rows: 1
        }]
    );
    let (header, rows) = read_csv(&companies.path);
    assert_eq!(
        header,
        [
            "Company Domain Name",
            "Name",
            "Phone Number",
            "Street Address",
            "City",
            "State/Region",
            "Postal Code",
            "Country/Region",
            "Number of Employees",
            "Year Founded",
            "Industry",
            "Website URL",
            "nam_company_id",
            "nam_associations",
            "nam_quality_grade",
            "nam_technologies",
        ]
    );
    let domains: BTreeSet<&str> = rows
        .iter()
        .map(|r| cell(&header, r, "Company Domain Name"))
        .collect();
    assert_eq!(domains, BTreeSet::from(["acme.example", "evil.example"]));
    let acme = rows
        .iter()
        .find(|r| cell(&header, r, "Company Domain Name") == "acme.example")
        .unwrap();
    assert_eq!(cell(&header, acme, "nam_associations"), "NTMA;PMA");
    assert_eq!(cell(&header, acme, "nam_technologies"), "Epicor");
    assert_eq!(cell(&header, acme, "nam_company_id"), w.acme.to_string());
    assert_eq!(
        cell(&header, acme, "Website URL"),
        "http://www.acme.example/about"
    );

    let contacts = file(&summary, "hubspot-contacts-20261202T154200Z.csv");
    assert_eq!(contacts.rows, 1);
    assert_eq!(contacts.skipped[0].reason, "no valid Email");
    let (header, rows) = read_csv(&contacts.path);
    assert_eq!(
        header,
        [
            "Email",
            "First Name",
            "Last Name",
            "Job Title",
            "Phone Number",
            "Company Domain Name",
            "Company Name",
            "nam_contact_id",
            "nam_company_id",
        ]
    );
    assert_eq!(
        rows[0][..6],
        [
            "jane@acme.example",
            "Jane",
            "Doe",
            "Plant Manager",
            "+14125550101",
            "acme.example"
        ]
    );
    let one = file(
        &summary,
        "hubspot-contacts-with-companies-20261202T154200Z.csv",
    );
    let (header, rows) = read_csv(&one.path);
    assert_eq!(rows.len(), 1);
    assert_eq!(cell(&header, &rows[0], "Name"), "Acme Stamping");
    assert_eq!(cell(&header, &rows[0], "City"), "Pittsburgh");
    assert_eq!(header.iter().filter(|h| *h == "Phone Number").count(), 1);
    // Parquet of the same profile: real list columns.
    let df = read_parquet(&w.out.join("hubspot-companies-20261202T154200Z.parquet"));
    assert_eq!(df.height(), 2);
    assert_eq!(
        df.column("nam_associations").unwrap().dtype(),
        &DataType::List(Box::new(DataType::String))
    );
}

#[test]
fn hubspot_files_split_at_the_row_limit() {
    let w = world();
    for i in 0..5 {
        listed(
            &w.store,
            "PMA",
            MemberRecord {
                name: format!("Filler {i}"),
                domain: Some(format!("filler{i}.example")),
                ..Default::default()
            },
        );
    }
    let req = ExportRequest {
        what: What::Companies,
        split_rows: 3,
        ..request(&w, Profile::Hubspot)
    };
    let summary = export(&w.store, &req).unwrap();
    let csv: Vec<(String, usize)> = summary
        .files
        .iter()
        .filter(|f| f.path.extension().unwrap() == "csv")
        .map(|f| {
            let name = f.path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, f.rows)
        })
        .collect();
    assert_eq!(
        csv,
        [
            ("hubspot-companies-20261202T154200Z.csv".to_owned(), 3),
            ("hubspot-companies-20261202T154200Z-part2.csv".to_owned(), 3),
            ("hubspot-companies-20261202T154200Z-part3.csv".to_owned(), 1),
        ]
    );
    let mut domains = BTreeSet::new();
    for (name, n) in &csv {
        let (header, rows) = read_csv(&w.out.join(name));
        assert_eq!(header[0], "Company Domain Name");
        assert_eq!(rows.len(), *n);
        domains.extend(rows.into_iter().map(|r| r[0].clone()));
    }
    assert_eq!(domains.len(), 7, "every company in exactly one part");
}

#[test]
fn salesforce_profile_uses_standard_fields_and_the_external_id() {
    let w = world();
    let summary = export(&w.store, &request(&w, Profile::Salesforce)).unwrap();
    let accounts = file(&summary, "salesforce-accounts-20261202T154200Z.csv");
    let (header, rows) = read_csv(&accounts.path);
    assert_eq!(
        header,
        [
            "Account Name",
            "Account Site",
            "Website",
            "Phone",
            "Billing Street",
            "Billing City",
            "Billing State/Province",
            "Billing Zip/Postal Code",
            "Billing Country",
            "NumberOfEmployees",
            "Industry",
            "Nam_Company_Id__c",
        ]
    );
    assert_eq!(rows.len(), 3, "accounts need no domain");
    let ids: BTreeSet<String> = rows
        .iter()
        .map(|r| cell(&header, r, "Nam_Company_Id__c").to_owned())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([w.acme, w.evil, w.cutter].map(|i| i.to_string()))
    );
    let cutter = rows
        .iter()
        .find(|r| cell(&header, r, "Account Name") == "Cutter Tools")
        .unwrap();
    assert_eq!(cell(&header, cutter, "Account Site"), "Cleveland, OH");
    let contacts = file(&summary, "salesforce-contacts-20261202T154200Z.csv");
    let (header, rows) = read_csv(&contacts.path);
    assert_eq!(
        header,
        [
            "First Name",
            "Last Name",
            "Title",
            "Email",
            "Phone",
            "Account Name",
            "Nam_Company_Id__c",
            "Nam_Contact_Id__c",
        ]
    );
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| cell(&header, r, "Nam_Company_Id__c") == w.acme.to_string())
    );
}

/// The company ids a filtered export writes, and the company ids of its
/// signals and contacts.
fn filtered(w: &World, exprs: &[&str]) -> (BTreeSet<i64>, BTreeSet<i64>, BTreeSet<i64>) {
    let req = ExportRequest {
        formats: vec![Format::Parquet],
        filter: parse_filters(&exprs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap(),
        stamp: Some(exprs.join("_").replace(['=', '<', '>', '!'], "-")),
        ..request(w, Profile::Full)
    };
    let summary = export(&w.store, &req).unwrap();
    let ids = |stem: &str, col: &str| -> BTreeSet<i64> {
        let f = summary
            .files
            .iter()
            .find(|f| {
                let name = f.path.file_name().unwrap().to_str().unwrap();
                name.starts_with(&format!("{stem}-"))
            })
            .unwrap();
        let df = read_parquet(&f.path);
        df.column(col)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .collect()
    };
    (
        ids("companies", "id"),
        ids("signals", "company_id"),
        ids("contacts", "company_id"),
    )
}

#[test]
fn filters_restrict_companies_and_their_rows() {
    let w = world();
    let (acme, evil, cutter) = (w.acme, w.evil, w.cutter);
    let set = |v: &[i64]| v.iter().copied().collect::<BTreeSet<i64>>();
    assert_eq!(filtered(&w, &[]).0, set(&[acme, evil, cutter]));
    assert_eq!(filtered(&w, &["grade>=B"]).0, set(&[acme, evil]));
    assert_eq!(filtered(&w, &["grade<B"]).0, set(&[cutter]));
    assert_eq!(filtered(&w, &["grade!=A"]).0, set(&[evil, cutter]));
    assert_eq!(filtered(&w, &["association=PMA"]).0, set(&[acme, evil]));
    assert_eq!(filtered(&w, &["association=ntma"]).0, set(&[acme]));
    assert_eq!(filtered(&w, &["association!=PMA"]).0, set(&[cutter]));
    assert_eq!(filtered(&w, &["state=oh"]).0, set(&[evil, cutter]));
    assert_eq!(filtered(&w, &["state!=OH"]).0, set(&[acme]));
    assert_eq!(filtered(&w, &["technology=epicor"]).0, set(&[acme]));
    assert_eq!(
        filtered(&w, &["technology!=Epicor"]).0,
        set(&[evil, cutter])
    );
    assert_eq!(filtered(&w, &["has-contacts"]).0, set(&[acme]));
    assert_eq!(
        filtered(&w, &["has-contacts=false"]).0,
        set(&[evil, cutter])
    );
    // Combined: AND.
    assert_eq!(
        filtered(&w, &["grade>=B", "association=PMA", "state=OH"]).0,
        set(&[evil])
    );
    assert_eq!(
        filtered(&w, &["grade>=B", "state=PA", "state=OH"]).0,
        set(&[])
    );
    // Rows tied to companies follow the filter.
    let (_, signals, contacts) = filtered(&w, &["association=PMA"]);
    assert_eq!((signals, contacts), (set(&[acme]), set(&[acme])));
    let (_, signals, contacts) = filtered(&w, &["state=OH"]);
    assert_eq!((signals, contacts), (set(&[]), set(&[])));
}

#[test]
fn output_names_cannot_leave_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    for stem in [
        "../evil",
        "a/b",
        "..",
        ".hidden",
        "a\\b",
        "",
        "x/../../y",
        "c:evil",
    ] {
        let err = file_in(dir.path(), stem, Format::Csv).unwrap_err();
        assert!(err.to_string().contains("not a plain file name"), "{err}");
    }
    assert!(file_in(dir.path(), "companies-20261202T154200Z", Format::Csv).is_ok());
    // The TUI's table export checks its stem the same way.
    let err = export_table(&["a"], &[vec![Some("x".into())]], dir.path(), "../up").unwrap_err();
    assert!(err.to_string().contains("not a plain file name"), "{err}");
    assert!(!dir.path().parent().unwrap().join("up.csv").exists());
    // A stamp is part of the name and is checked too.
    let w = world();
    let req = ExportRequest {
        stamp: Some("../../x".into()),
        ..request(&w, Profile::Full)
    };
    assert!(export(&w.store, &req).is_err());
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
    let req = ExportRequest {
        what: What::Memberships,
        stamp: Some("T".into()),
        ..ExportRequest::new(&out)
    };
    let summary = export(&store, &req).unwrap();
    assert_eq!(summary.files.len(), 2);
    assert!(!out.join("companies-T.csv").exists());
    let (header, rows) = read_csv(&out.join("memberships-T.csv"));
    let mut got: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                cell(&header, r, "external_id").to_owned(),
                cell(&header, r, "company_id").parse().unwrap(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, i64)> = ["A-1", "A-2", "A-3", "A-4"]
        .iter()
        .map(|e| ((*e).to_owned(), acme))
        .collect();
    assert_eq!(got, want);
    let df = read_parquet(&out.join("memberships-T.parquet"));
    assert_eq!(df.height(), 4);
    let ids = df.column("company_id").unwrap().i64().unwrap();
    assert!((0..ids.len()).all(|i| ids.get(i) == Some(acme)));
    assert!(df.column("external_id").is_ok());
    // Only the canonical company is exported as a company.
    let req = ExportRequest {
        what: What::Companies,
        stamp: Some("U".into()),
        ..ExportRequest::new(&out)
    };
    let summary = export(&store, &req).unwrap();
    assert_eq!(summary.files[0].rows, 1);
}

/// A companies table read in id ranges on parallel connections is the
/// table one reader gives, row for row and cell for cell, filters and list
/// columns included.
#[test]
fn companies_read_in_parallel_parts_equal_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nam.db")).unwrap();
    for i in 0..37 {
        let id = listed(
            &store,
            if i % 3 == 0 { "NTMA" } else { "PMA" },
            MemberRecord {
                name: format!("Company {i:02} Works"),
                domain: Some(format!("c{i}.example")),
                website: Some(format!("http://www.c{i}.example/")),
                state: Some(if i % 2 == 0 { "OH" } else { "PA" }.into()),
                ..Default::default()
            },
        );
        if i % 4 == 0 {
            store
                .add_competitor_signal(&NewSignal {
                    company_id: id,
                    vendor: "Epicor".into(),
                    category: "erp".into(),
                    signal_type: "uses".into(),
                    evidence_kind: "url".into(),
                    source_url: format!("http://www.c{i}.example/contact/"),
                    strength: 0.8,
                    confidence: 0.9,
                    ..Default::default()
                })
                .unwrap();
        }
    }
    for exprs in [vec![], vec!["state=OH"], vec!["technology=Epicor"]] {
        let filter =
            parse_filters(&exprs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let parts = table::Table::read(&store, ExportSource::Companies, &filter).unwrap();
        // The same rows through one reader, no id ranges.
        let whole = {
            let lists = store.company_lists().unwrap();
            let part = crate::store::ExportPart {
                ids: None,
                lists: Some(&lists),
            };
            table::Table::read_part(&store, ExportSource::Companies, &filter, part).unwrap()
        };
        assert_eq!(parts.height, whole.height, "{exprs:?}");
        if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
            let chunks = match &parts.cols[0].data {
                table::Data::Int(ca) => ca.chunks().len(),
                _ => 0,
            };
            assert!(chunks > 1, "the parallel path ran ({chunks} chunks)");
        }
        for format in [Format::Parquet, Format::Csv] {
            let (a, b) = (parts.frame(format).unwrap(), whole.frame(format).unwrap());
            assert!(a.equals_missing(&b), "{exprs:?} {format:?}\n{a}\n{b}");
        }
    }
    let all =
        table::Table::read(&store, ExportSource::Companies, &ExportFilter::default()).unwrap();
    assert_eq!(all.height, 37);
}
