//! `cargo bench`: throughput of extraction, import, validation, resolution
//! and the crawl engine, and the crawler's politeness efficiency, on the
//! loopback fixture world (validation and resolution on generated stores).
//! Prints the figures recorded in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nam::config::{CrawlSettings, RateLimit};
use nam::crawl::{CrawlOptions, CrawlReport, ResolveOverride, crawl_once};
use nam::extract::{ExtractContext, extract_page};
use nam::fixture_site::{FixtureServer, World, WorldConfig};

use common::{env_usize, peak_rss_mb};

/// Parse + extract + normalize over every listing and profile page, one core.
fn bench_extract(members: usize) {
    let world = World::new(WorldConfig {
        seed: 7,
        members,
        ..Default::default()
    });
    let truth = world.ground_truth();
    let mut urls: Vec<String> = truth
        .listings
        .iter()
        .filter(|l| !l.behind_login)
        .flat_map(|l| std::iter::once(l.listing_url.clone()).chain(l.profile_url.clone()))
        .collect();
    urls.sort();
    urls.dedup();
    let pages: Vec<(String, String)> = urls
        .iter()
        .filter_map(|u| {
            let parsed = url::Url::parse(u).ok()?;
            let pq = match parsed.query() {
                Some(q) => format!("{}?{q}", parsed.path()),
                None => parsed.path().to_string(),
            };
            let p = world.page(parsed.host_str()?, &pq)?;
            let body = nam::normalize::charset::decode(&p.body, Some(&p.content_type)).0;
            Some((u.clone(), body))
        })
        .collect();
    let ctx = ExtractContext::default();
    time_pages("extract", &pages, 3, |b, u| {
        extract_page(b, u, &ctx).members.len()
    });
}

/// Best of `passes` timed runs of `f` over `pages`, after one warm-up run;
/// prints pages/s and MB/s and returns the records of the warm-up.
fn time_pages(
    label: &str,
    pages: &[(String, String)],
    passes: usize,
    f: impl Fn(&str, &str) -> usize,
) -> usize {
    let bytes: usize = pages.iter().map(|(_, b)| b.len()).sum();
    let records: usize = pages.iter().map(|(u, b)| f(b, u)).sum();
    let mut best = Duration::MAX;
    for _ in 0..passes {
        let t = Instant::now();
        for (u, b) in pages {
            std::hint::black_box(f(b, u));
        }
        best = best.min(t.elapsed());
    }
    let secs = best.as_secs_f64();
    println!(
        "{label}: {} pages ({:.2} MB, {records} records) in {:.4}s on one core: {:.1} pages/s, {:.1} MB/s",
        pages.len(),
        bytes as f64 / 1e6,
        secs,
        pages.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    records
}

/// One page of `rows` members of the table layout (PMA's "show N per page").
fn big_table_page(rows: usize) -> Option<(String, String)> {
    let world = World::new(WorldConfig {
        seed: 7,
        members: rows * 8,
        ..Default::default()
    });
    let pq = format!("/directory/?page=1&per_page={rows}");
    let p = world.page("pma.example", &pq)?;
    let body = nam::normalize::charset::decode(&p.body, Some(&p.content_type)).0;
    Some((format!("http://pma.example{pq}"), body))
}

/// The real directory pages of `../shared/real-pages` (outside the
/// repository, read in place; `NAM_REAL_PAGES` names another copy) with the
/// base URLs its `run.sh` gives them. Empty when the set is not there.
fn real_pages() -> Vec<(String, String)> {
    let dir = std::env::var("NAM_REAL_PAGES").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-pages"),
        std::path::PathBuf::from,
    );
    let Ok(script) = std::fs::read_to_string(dir.join("run.sh")) else {
        return Vec::new();
    };
    script
        .lines()
        .filter_map(|l| l.trim().split_once('|'))
        .filter(|(p, u)| !p.contains(' ') && u.starts_with("http"))
        .filter_map(|(p, u)| {
            let bytes = std::fs::read(dir.join("pages").join(format!("{p}.html"))).ok()?;
            Some((
                u.to_string(),
                nam::normalize::charset::decode(&bytes, None).0,
            ))
        })
        .collect()
}

/// Large directory pages and the real-page set: EXTRACTION of one page
/// (`extract_page`) and what `nam extract` runs (the crawl's survey, then
/// extraction as the surveyed type).
fn bench_extract_pages() {
    use nam::extract::classify::extract_directory_page;
    let ctx = ExtractContext::default();
    let listing = |b: &str, u: &str| extract_page(b, u, &ctx).members.len();
    let as_crawled = |b: &str, u: &str| {
        extract_directory_page(b, u, ExtractContext::default())
            .members
            .len()
    };
    // The floor: the HTML parser alone.
    let parse = |b: &str, _: &str| scraper::Html::parse_document(b).tree.nodes().count();
    let rows = env_usize("NAM_BENCH_TABLE_ROWS", 2000);
    if let Some(page) = big_table_page(rows) {
        let one = [page];
        time_pages(
            &format!("parse only, the {rows}-row page (nodes)"),
            &one,
            5,
            parse,
        );
        time_pages(
            &format!("extract table page of {rows} rows"),
            &one,
            5,
            listing,
        );
        time_pages(
            &format!("nam extract of the {rows}-row table page"),
            &one,
            10,
            as_crawled,
        );
    }
    let real = real_pages();
    if real.is_empty() {
        println!("extract real pages: ../shared/real-pages not found (set NAM_REAL_PAGES)");
        return;
    }
    time_pages("parse only, the real-page set (nodes)", &real, 5, parse);
    time_pages("extract real-page set", &real, 5, listing);
    time_pages("nam extract of the real-page set", &real, 5, as_crawled);
}

async fn crawl_world(
    members: usize,
    politeness: bool,
    rate: f64,
) -> (CrawlReport, Duration, FixtureServer) {
    let world = Arc::new(World::new(WorldConfig {
        seed: 7,
        members,
        ..Default::default()
    }));
    let server = FixtureServer::start(world.clone(), 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let settings = CrawlSettings {
        association_rate: RateLimit {
            per_second: rate,
            daily_cap: None,
        },
        ..Default::default()
    };
    let opts = CrawlOptions {
        associations: world.associations_file(false).associations,
        resolve: Some(ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr: server.addr(),
        }),
        politeness,
        ..Default::default()
    };
    let t = Instant::now();
    let report = crawl_once(&db, &settings, opts).await.unwrap();
    (report, t.elapsed(), server)
}

async fn bench_crawl_engine(members: usize) {
    let (r, took, server) = crawl_world(members, false, 1.0).await;
    let secs = took.as_secs_f64();
    println!(
        "crawl engine (politeness off, 10 domains, loopback): {} requests, {} pages stored, {:.1} MB in {:.2}s: {:.0} pages/s",
        r.requests,
        r.pages_stored,
        r.bytes as f64 / 1e6,
        secs,
        r.pages_stored as f64 / secs
    );
    server.shutdown().await;
}

async fn bench_politeness(members: usize, rate: f64) {
    let (r, took, server) = crawl_world(members, true, rate).await;
    // Ideal: each domain's requests spaced exactly by its interval (the first
    // one, robots.txt, goes at once); domains in parallel, so the slowest sets it.
    let mut ideal = 0.0f64;
    let mut slowest = String::new();
    for d in &r.domains {
        let t = d.requests.saturating_sub(1) as f64 * d.interval_secs;
        if t > ideal {
            ideal = t;
            slowest = format!(
                "{} ({} requests at {:.2}s)",
                d.domain, d.requests, d.interval_secs
            );
        }
    }
    let actual = took.as_secs_f64();
    let sum: f64 = r
        .domains
        .iter()
        .map(|d| d.requests.saturating_sub(1) as f64 * d.interval_secs)
        .sum();
    println!(
        "politeness (on, {rate} req/s per association + robots Crawl-delay, 10 domains in parallel): ideal {ideal:.2}s (slowest {slowest}), actual {actual:.2}s, efficiency {:.3}; sequential would need {sum:.1}s",
        ideal / actual
    );
    server.shutdown().await;
}

/// The fixture world at scale: creation must not precompute, and a deep
/// page of a 100,000-company world is generated on request.
fn bench_fixture_scale() {
    let t = Instant::now();
    let w = World::new(WorldConfig {
        seed: 7,
        members: 100_000,
        ..Default::default()
    });
    let created = t.elapsed();
    let t = Instant::now();
    let first = w.page("pma.example", "/directory/?page=2").unwrap();
    let first_page = t.elapsed();
    let t = Instant::now();
    let deep = w.page("pma.example", "/directory/?page=500").unwrap();
    let json = w
        .page("ntma.example", "/api/members?offset=9000&limit=25")
        .unwrap();
    let later = t.elapsed();
    assert_eq!((first.status, deep.status, json.status), (200, 200, 200));
    println!(
        "fixture world, 100,000 companies: created in {:.1} µs, first directory page in {:.0} ms, then a deep page + a JSON page in {:.1} ms",
        created.as_secs_f64() * 1e6,
        first_page.as_secs_f64() * 1e3,
        later.as_secs_f64() * 1e3
    );
}

/// Membership rows through the one writer: batches of 1,000 upserts, one
/// transaction per writer batch, as extraction writes them.
fn bench_writer(rows: usize) {
    use nam::model::{FieldProvenance, MemberRecord};
    let dir = tempfile::tempdir().unwrap();
    let writer = nam::store::Writer::open(&dir.path().join("writer.db")).unwrap();
    let at = chrono::Utc::now();
    let records: Vec<(MemberRecord, String)> = (0..rows)
        .map(|i| {
            let name = format!("Company {i} Precision Stamping Inc.");
            let mut provenance = std::collections::BTreeMap::new();
            for field in ["name", "website", "phone", "city"] {
                provenance.insert(
                    field.to_string(),
                    FieldProvenance {
                        source_url: format!("http://pma.example/directory/?page={}", i / 50),
                        extractor: "generic".into(),
                        at,
                        confidence: 0.9,
                    },
                );
            }
            let rec = MemberRecord {
                association: ["PMA", "NEMA", "AGMA", "FIA"][i % 4].into(),
                name: name.clone(),
                website: Some(format!("http://www.company-{i}.example/")),
                domain: Some(format!("company-{i}.example")),
                phone: Some(format!("+1412555{:04}", i % 10_000)),
                city: Some("Pittsburgh".into()),
                state: Some("PA".into()),
                postal_code: Some("15222".into()),
                country: Some("US".into()),
                source_url: format!("http://pma.example/directory/?page={}", i / 50),
                extractor: "generic".into(),
                confidence: 0.9,
                provenance,
                ..Default::default()
            };
            (rec, format!("company {i} precision stamping"))
        })
        .collect();
    let t = Instant::now();
    for chunk in records.chunks(1000) {
        let chunk = chunk.to_vec();
        writer
            .submit_blocking(move |s| {
                for (rec, key) in &chunk {
                    s.upsert_membership(rec, key, None, None)?;
                }
                Ok(())
            })
            .unwrap();
    }
    writer.flush_blocking().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let stats = writer.stats();
    println!(
        "writer: {rows} membership rows in {secs:.3}s through one writer ({} transactions): {:.0} rows/s",
        stats.batches,
        rows as f64 / secs
    );
}

/// `nam import` of a generated resolution data set: records generated (easy
/// and hard), written as CSV, imported into a fresh database, then imported
/// again (every row an update).
fn bench_import(companies: usize) {
    use nam::fixture_site::records::{RecordSetConfig, generate, write_csv};
    let cfg = RecordSetConfig {
        seed: 7,
        companies,
        hard: false,
    };
    let t = Instant::now();
    let records = generate(&cfg);
    let gen_easy = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let hard = generate(&RecordSetConfig { hard: true, ..cfg });
    let gen_hard = t.elapsed().as_secs_f64();
    println!(
        "records: {companies} companies -> {} records in {gen_easy:.3}s ({:.0} records/s); hard variant {} records in {gen_hard:.3}s",
        records.len(),
        records.len() as f64 / gen_easy,
        hard.len()
    );
    drop(hard);
    let dir = tempfile::tempdir().unwrap();
    // Before: the write-time rule row by row (what `nam import` ran until
    // this bench was added), values already normalized, one transaction.
    let at = std::time::Instant::now();
    let prepared: Vec<(nam::model::MemberRecord, String)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let rec = nam::model::MemberRecord {
                association: r.association.clone(),
                name: r.name.clone(),
                domain: r
                    .website
                    .as_deref()
                    .and_then(nam::normalize::registrable_domain),
                website: r.website.clone(),
                phone: r.phone.as_deref().and_then(nam::normalize::normalize_phone),
                email: r.email.clone(),
                street: r.street.clone(),
                city: r.city.clone(),
                state: r.state.clone(),
                postal_code: r.postal_code.clone(),
                country: r.country.clone(),
                source_url: format!("file:///tmp/records.csv#line={}", i + 2),
                extractor: "import".into(),
                confidence: 1.0,
                external_id: Some(r.external_id.clone()),
                ..Default::default()
            };
            let key = nam::normalize::name_key(&rec.name);
            (rec, key)
        })
        .collect();
    let normalize_secs = at.elapsed().as_secs_f64();
    let mut row_by_row = nam::store::Store::open(&dir.path().join("rows.db")).unwrap();
    let t = Instant::now();
    row_by_row
        .transaction(|s| {
            for (r, key) in &prepared {
                let id = s.upsert_company_from_member(r, key)?;
                s.upsert_membership(r, key, Some(id), None)?;
            }
            Ok(())
        })
        .unwrap();
    println!(
        "import row by row (upsert_company_from_member + upsert_membership per row, one transaction, normalization not timed ({normalize_secs:.2}s on one core)): {} rows: {:.0} rows/s",
        prepared.len(),
        prepared.len() as f64 / t.elapsed().as_secs_f64()
    );
    drop(prepared);
    drop(row_by_row);
    let csv = dir.path().join("records.csv");
    write_csv(&records, &csv).unwrap();
    let bytes = std::fs::metadata(&csv).unwrap().len();
    let mut store = nam::store::Store::open(&dir.path().join("import.db")).unwrap();
    for pass in ["fresh database", "again (every row an update)"] {
        let t = Instant::now();
        let report = nam::import::import_csv(&mut store, &csv, "IMPORT").unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(report.imported, records.len());
        println!(
            "import ({pass}): {} rows ({:.1} MB CSV, {} new companies) in {secs:.3}s: {:.0} rows/s",
            report.imported,
            bytes as f64 / 1e6,
            report.companies_created,
            report.imported as f64 / secs
        );
    }
    drop(store);
    import_floor(&dir.path().join("import.db"), &dir.path().join("floor.db"));
}

/// The least an import of these rows can cost with this schema: the rows
/// the import wrote (`src`) copied by SQLite itself into a fresh store, one
/// `INSERT ... SELECT` per table (no binding, no normalization, no lookups,
/// foreign keys off), every secondary index dropped first and built after,
/// one commit. Bare SQL, like the ceiling bench.
fn import_floor(src: &std::path::Path, dst: &std::path::Path) {
    drop(nam::store::Store::open(dst).unwrap());
    let c = rusqlite::Connection::open(dst).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
    )
    .unwrap();
    c.execute("ATTACH ?1 AS src", [src.to_string_lossy()])
        .unwrap();
    let rows: i64 = c
        .query_row(
            "SELECT count(*) FROM src.association_memberships",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let indexes: Vec<(String, String)> = c
        .prepare(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL
               AND tbl_name IN ('companies', 'association_memberships')",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let t = Instant::now();
    c.execute_batch("BEGIN").unwrap();
    for (name, _) in &indexes {
        c.execute_batch(&format!("DROP INDEX {name}")).unwrap();
    }
    c.execute_batch(
        "INSERT INTO main.companies SELECT * FROM src.companies;
         INSERT INTO main.association_memberships SELECT * FROM src.association_memberships;",
    )
    .unwrap();
    let inserted = t.elapsed().as_secs_f64();
    for (_, sql) in &indexes {
        c.execute_batch(sql).unwrap();
    }
    let indexed = t.elapsed().as_secs_f64();
    c.execute_batch("COMMIT").unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import floor (the same rows copied by INSERT ... SELECT, {} secondary indexes built after, one commit): {rows} rows in {secs:.3}s (insert {inserted:.3}s, indexes {:.3}s, commit {:.3}s): {:.0} rows/s",
        indexes.len(),
        indexed - inserted,
        secs - indexed,
        rows as f64 / secs
    );
}

/// RESOLUTION of about `records` imported records (the fixture world's
/// listings, normal variant): import, then one resolution run, with wall
/// time and the peak memory of the resolution alone (the peak is reset
/// through /proc/self/clear_refs before it starts).
fn bench_resolve(records: usize) {
    use nam::fixture_site::records::{
        RecordSetConfig, generate, pairwise_score, truth_map, write_csv,
    };
    // About 1.9 listings per company.
    let companies = (records * 100 / 189).max(100);
    let recs = generate(&RecordSetConfig {
        seed: 7,
        companies,
        hard: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("records.csv");
    write_csv(&recs, &csv).unwrap();
    let truth = truth_map(&recs);
    let n = recs.len();
    drop(recs);
    let db = dir.path().join("resolve.db");
    let t = Instant::now();
    {
        let mut store = nam::store::Store::open(&db).unwrap();
        nam::import::import_csv(&mut store, &csv, "IMPORT").unwrap();
    }
    let import_secs = t.elapsed().as_secs_f64();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = peak_rss_mb();
    let t = Instant::now();
    let report = nam::resolve::resolve_pending(&db, false).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    let store = nam::store::Store::open_readonly(&db).unwrap();
    let score = pairwise_score(&store.membership_assignment().unwrap(), &truth);
    println!(
        "resolve stages ({} pairs compared; ms): load {}, prepare {}, blocking {}, scoring {}, clustering {}, write {}",
        report.stats.pairs_compared,
        report.load_ms,
        report.stats.prepare_ms,
        report.stats.blocking_ms,
        report.stats.scoring_ms,
        report.stats.clustering_ms,
        report.write_ms
    );
    println!(
        "resolve: {n} records ({companies} companies; imported in {import_secs:.1}s) resolved in {secs:.1}s, peak memory {peak:.0} MB{}; {} merges, {} for review; precision {:.4} recall {:.4}",
        if reset {
            format!(" (was {before:.0} MB when the peak was reset)")
        } else {
            " (process peak: clear_refs unavailable)".into()
        },
        report.stats.auto_merges + report.stats.hard_key_merges,
        report.stats.candidates,
        score.precision,
        score.recall
    );
}

/// VALIDATION over a store of `companies` companies (about 1.3 listings
/// each), stored first through the writer as extraction stores them. The
/// data has what the checks look for: emails at the site's domain, at gmail
/// and elsewhere, ZIPs and area codes from the wrong state, hard-key twins.
fn bench_validate(companies: usize) {
    use nam::model::MemberRecord;
    // (city, state, ZIP prefix or postal district, area code)
    const PLACES: &[(&str, &str, &str, u16)] = &[
        ("Cleveland", "OH", "441", 216),
        ("Chicago", "IL", "606", 312),
        ("Houston", "TX", "770", 713),
        ("Pittsburgh", "PA", "152", 412),
        ("Atlanta", "GA", "303", 404),
        ("Denver", "CO", "802", 303),
        ("Seattle", "WA", "981", 206),
        ("Toronto", "ON", "M5V", 416),
        ("Montréal", "QC", "H3B", 514),
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("validate.db");
    let writer = nam::store::Writer::open(&db).unwrap();
    let mut listings = 0usize;
    let listings_of = |i: usize| {
        // 1% share name, place and phone with the company before them.
        let n = if i % 100 == 1 { i - 1 } else { i };
        let (city, state, prefix, area) = PLACES[n % PLACES.len()];
        // 2% a ZIP from the next place, 5% a number from it.
        let (_, _, wrong_prefix, wrong_area) = PLACES[(n + 1) % PLACES.len()];
        let prefix = if i % 50 == 7 { wrong_prefix } else { prefix };
        let area = if i % 20 == 3 { wrong_area } else { area };
        let postal = if prefix.starts_with(|c: char| c.is_ascii_digit()) {
            format!("{prefix}{:02}", i % 97)
        } else {
            format!("{prefix} {}A{}", i % 9, i % 7)
        };
        let domain = format!("company-{i}.example");
        let email = match i % 10 {
            0..=5 => Some(format!("sales@{domain}")),
            6 => Some(format!("company{i}@gmail.com")),
            7 => Some(format!("info@parent-{}.example", i / 10)),
            _ => None,
        };
        let rec = MemberRecord {
            association: "PMA".into(),
            name: format!("Company {n} Precision Stamping Inc."),
            website: Some(format!("http://www.{domain}/")),
            domain: Some(domain),
            phone: Some(format!("+1{area}555{:04}", n % 10_000)),
            email,
            street: Some(format!("{} Industrial Pkwy", 100 + i % 9000)),
            city: Some(city.into()),
            state: Some(state.into()),
            postal_code: Some(postal),
            country: Some(
                if matches!(state, "ON" | "QC") {
                    "CA"
                } else {
                    "US"
                }
                .into(),
            ),
            // Its own profile page: a listing's identity, so twins
            // with the same name and city stay two listings.
            profile_url: Some(format!("http://pma.example/members/{i}")),
            source_url: format!("http://pma.example/directory/?page={}", i / 50),
            extractor: "configured".into(),
            confidence: 0.9,
            ..Default::default()
        };
        // 30% are listed by a second association too.
        let second = (i % 10 < 3).then(|| MemberRecord {
            association: "NTMA".into(),
            profile_url: Some(format!("http://ntma.example/members/{i}")),
            source_url: format!("http://ntma.example/members/?page={}", i / 50),
            ..rec.clone()
        });
        std::iter::once(rec).chain(second)
    };
    // Generated a chunk at a time: a million companies' listings need not
    // sit in memory at once.
    for start in (0..companies).step_by(1000) {
        let chunk: Vec<MemberRecord> = (start..companies.min(start + 1000))
            .flat_map(listings_of)
            .collect();
        listings += chunk.len();
        writer
            .submit_blocking(move |s| {
                for rec in &chunk {
                    let key = nam::normalize::name_key(&rec.name);
                    let id = s.upsert_company_from_member(rec, &key)?;
                    s.upsert_membership(rec, &key, Some(id), None)?;
                }
                Ok(())
            })
            .unwrap();
    }
    writer.flush_blocking().unwrap();
    drop(writer);
    let t = Instant::now();
    let report = nam::quality::validate_pending(&db).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.validated as usize, companies);
    println!(
        "validate: {companies} companies ({listings} listings) in {secs:.2}s: {:.0} companies/s, {} audit rows; {}",
        companies as f64 / secs,
        report.audit_rows,
        report.summary()
    );
    let t = Instant::now();
    let again = nam::quality::validate_pending(&db).unwrap();
    println!(
        "validate again at once: {} companies still due (stored in the second their batch was read), {} audit rows, {:.2}s",
        again.validated,
        again.audit_rows,
        t.elapsed().as_secs_f64()
    );
    // As after a re-crawl that changed nothing: everything due again. Bare
    // SQL here, like the ceiling bench: the store has no reason to offer it.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("UPDATE companies SET validated_at = NULL", [])
        .unwrap();
    drop(c);
    let t = Instant::now();
    let unchanged = nam::quality::validate_pending(&db).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "validate unchanged: {} companies due again with nothing changed in {secs:.2}s: {:.0} companies/s, {} audit rows",
        unchanged.validated,
        unchanged.validated as f64 / secs,
        unchanged.audit_rows
    );
}

fn main() {
    // `cargo bench -- <filter>` passes arguments; run everything unless a
    // name is given.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    if want("fixture") {
        bench_fixture_scale();
    }
    if want("ceiling") {
        bench_sqlite_ceiling(env_usize("NAM_BENCH_ROWS", 200_000));
    }
    if want("writer") {
        bench_writer(env_usize("NAM_BENCH_ROWS", 200_000));
    }
    if want("import") {
        bench_import(env_usize("NAM_BENCH_IMPORT_COMPANIES", 100_000));
    }
    if want("resolve") {
        bench_resolve(env_usize("NAM_BENCH_RESOLVE_RECORDS", 100_000));
    }
    if want("validate") {
        bench_validate(env_usize("NAM_BENCH_COMPANIES", 100_000));
    }
    if want("extract") {
        bench_extract(env_usize("NAM_BENCH_MEMBERS", 2000));
        bench_extract_pages();
    }
    if want("crawl") {
        rt.block_on(bench_crawl_engine(env_usize("NAM_BENCH_MEMBERS", 2000)));
    }
    if want("politeness") {
        rt.block_on(bench_politeness(
            env_usize("NAM_BENCH_POLITE_MEMBERS", 120),
            5.0,
        ));
    }
}

/// The ceiling: the same upsert on a bare connection, one transaction, no
/// writer, no record conversion, foreign keys on (deferred) and off.
fn bench_sqlite_ceiling(rows: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    drop(nam::store::Store::open(&path).unwrap());
    let prov = r#"{"city":{"source_url":"http://pma.example/directory/?page=12","extractor":"generic","at":"2026-12-02T07:00:00.123456Z","confidence":0.9},"name":{"source_url":"http://pma.example/directory/?page=12","extractor":"generic","at":"2026-12-02T07:00:00.123456Z","confidence":0.9},"phone":{"source_url":"http://pma.example/directory/?page=12","extractor":"generic","at":"2026-12-02T07:00:00.123456Z","confidence":0.9},"website":{"source_url":"http://pma.example/directory/?page=12","extractor":"generic","at":"2026-12-02T07:00:00.123456Z","confidence":0.9}}"#;
    for fk in ["DEFER", "OFF"] {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "synchronous", "NORMAL").unwrap();
        c.pragma_update(None, "cache_size", -65536).unwrap();
        c.pragma_update(None, "temp_store", "MEMORY").unwrap();
        c.pragma_update(None, "foreign_keys", if fk == "OFF" { "OFF" } else { "ON" })
            .unwrap();
        if fk == "DEFER" {
            c.pragma_update(None, "defer_foreign_keys", "ON").unwrap();
        }
        c.execute_batch("DELETE FROM association_memberships")
            .unwrap();
        let t = Instant::now();
        c.execute_batch("BEGIN").unwrap();
        if fk == "DEFER" {
            c.pragma_update(None, "defer_foreign_keys", "ON").unwrap();
        }
        {
            let mut st = c.prepare_cached(nam::store::UPSERT_MEMBERSHIP_SQL).unwrap();
            for i in 0..rows {
                let none: Option<String> = None;
                st.execute(rusqlite::params![
                    "PMA",
                    format!("name:company {i} precision stamping|pittsburgh"),
                    none,
                    format!("Company {i} Precision Stamping Inc."),
                    format!("company {i} precision stamping"),
                    format!("http://www.company-{i}.example/"),
                    format!("company-{i}.example"),
                    "+14125551234",
                    none,
                    none,
                    "Pittsburgh",
                    "PA",
                    "15222",
                    "US",
                    none,
                    none,
                    "http://pma.example/directory/?page=1",
                    "generic",
                    0.9,
                    prov,
                    none,
                    none,
                    "2026-12-02T07:00:00Z",
                    none
                ])
                .unwrap();
            }
        }
        c.execute_batch("COMMIT").unwrap();
        let label = if fk == "OFF" { "off" } else { "on, deferred" };
        println!(
            "sqlite ceiling: {rows} membership upserts on a bare connection, foreign keys {label}: {:.0} rows/s",
            rows as f64 / t.elapsed().as_secs_f64()
        );
    }
}
