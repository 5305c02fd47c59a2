//! `cargo bench --bench export`: `nam export --what companies` of the
//! million-company database (`NAM_BENCH_EXPORT_COMPANIES`, default
//! 1,000,000; merged-away companies are not exported, so about 980,000
//! rows) to Parquet, to CSV, and to both from one read, with peak memory.
//! The database is the browse bench's, built once under
//! `target/bench-data/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use nam::export::{ExportRequest, Format, What};
use nam::store::Store;

use common::{database, env_usize, peak_rss_mb, target_dir};

fn main() {
    let companies = env_usize("NAM_BENCH_EXPORT_COMPANIES", 1_000_000);
    let db = database(companies);
    // Migrates a database built by an older nam (read-write open).
    drop(Store::open(&db).unwrap());
    let store = Store::open_readonly(&db).unwrap();
    let out = target_dir().join("bench-data").join("export-out");
    let _ = std::fs::remove_dir_all(&out);
    println!("export: {companies} companies in {}", db.display());
    let runs: [(&str, Vec<Format>); 4] = [
        ("warm-up (parquet)", vec![Format::Parquet]),
        ("parquet", vec![Format::Parquet]),
        ("csv", vec![Format::Csv]),
        ("parquet+csv, one read", vec![Format::Parquet, Format::Csv]),
    ];
    for (label, formats) in runs {
        let req = ExportRequest {
            formats,
            what: What::Companies,
            stamp: Some(label.replace([' ', '(', ')', ',', '+'], "_")),
            ..ExportRequest::new(&out)
        };
        let t = Instant::now();
        let summary = nam::export::export(&store, &req).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let sizes: Vec<String> = summary
            .files
            .iter()
            .map(|f| {
                let mb = std::fs::metadata(&f.path).unwrap().len() as f64 / 1e6;
                format!("{} rows {mb:.0} MB", f.rows)
            })
            .collect();
        println!(
            "export {label:<22} {secs:>6.2} s   [{}]   peak RSS so far {:.0} MB",
            sizes.join(", "),
            peak_rss_mb()
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
