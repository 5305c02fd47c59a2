//! What the benches share: sizes from the environment, timing helpers,
//! peak memory, and the cached company database they run on.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nam::store::Store;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory of this process (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `target/` of this build: the bench runs from `target/<profile>/deps/`.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The cached database of `companies` companies, built when missing.
pub fn database(companies: usize) -> PathBuf {
    let dir = target_dir().join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("browse-{companies}.db"));
    if db.exists() {
        println!("bench: reusing {}", db.display());
        return db;
    }
    let t = Instant::now();
    let building = dir.join(format!("browse-{companies}.building.db"));
    for p in [&building, &building.with_extension("db-wal")] {
        let _ = std::fs::remove_file(p);
    }
    // An import makes about 1.27 companies per fixture company (listings
    // that share no domain stay apart until RESOLUTION): generate a little
    // more than needed and trim to the exact size.
    use nam::fixture_site::records::{RecordSetConfig, generate, write_csv};
    let records = generate(&RecordSetConfig {
        seed: 11,
        companies: companies * 100 / 124 + 100,
        hard: false,
    });
    let csv = dir.join(format!("browse-{companies}.csv"));
    write_csv(&records, &csv).unwrap();
    let n_records = records.len();
    drop(records);
    {
        let mut store = Store::open(&building).unwrap();
        nam::import::import_csv(&mut store, &csv, "IMPORT").unwrap();
    }
    std::fs::remove_file(&csv).unwrap();
    let imported = t.elapsed();
    // What an import leaves empty, filled the way later phases would:
    // grades and scores (hashed from the id, so that they do not follow
    // the other columns' id patterns), 2% merged away, contacts on 3%, and technologies
    // used by 5%, 1% and 0.05% of companies. Bare SQL, like the ceiling
    // bench: the store has no reason to offer these writes.
    let c = rusqlite::Connection::open(&building).unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    let have: i64 = c
        .query_row("SELECT count(*) FROM companies", [], |r| r.get(0))
        .unwrap();
    if have > companies as i64 {
        c.execute(
            "DELETE FROM companies WHERE id > (SELECT id FROM companies ORDER BY id LIMIT 1 OFFSET ?1)",
            [companies as i64 - 1],
        )
        .unwrap();
    }
    c.execute_batch(
        "BEGIN;
         UPDATE companies SET
            quality_grade = CASE (id * 2654435761) % 4294967291 % 20
                WHEN 0 THEN NULL WHEN 1 THEN NULL WHEN 2 THEN 'F'
                WHEN 3 THEN 'D' WHEN 4 THEN 'D' WHEN 5 THEN 'C' WHEN 6 THEN 'C'
                WHEN 7 THEN 'C' WHEN 8 THEN 'C' WHEN 9 THEN 'C' WHEN 10 THEN 'A'
                WHEN 11 THEN 'A' WHEN 12 THEN 'A' WHEN 13 THEN 'A' ELSE 'B' END,
            quality_score = ((id * 2654435761) % 4294967291 % 100) / 100.0;
         UPDATE companies SET status = 'merged', merged_into = id - 1 WHERE id % 50 = 0 AND id > 1;
         INSERT INTO contacts (company_id, full_name, created_at, updated_at)
            SELECT id, 'Contact ' || id, 'now', 'now' FROM companies WHERE id % 33 = 0;
         INSERT INTO competitor_signals (company_id, vendor, product, category, signal_type,
                source_url, detected_at)
            SELECT id,
                   CASE WHEN id % 20 = 1 THEN 'SAP' WHEN id % 100 = 7 THEN 'HubSpot' ELSE 'Epicor' END,
                   CASE WHEN id % 20 = 1 THEN 'S/4HANA' ELSE NULL END,
                   'erp', 'script', 'http://bench.example/', 'now'
            FROM companies WHERE id % 20 = 1 OR id % 100 = 7 OR id % 2000 = 13;
         COMMIT;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    let active: i64 = c
        .query_row(
            "SELECT count(*) FROM companies WHERE status = 'active'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(c);
    std::fs::rename(&building, &db).unwrap();
    println!(
        "browse: built {} ({n_records} records imported in {:.1}s, {active} active companies) in {:.1}s",
        db.display(),
        imported.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    db
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}
