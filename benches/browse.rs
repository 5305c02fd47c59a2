//! `cargo bench -- browse`: the TUI's data layer at a million companies.
//! Keyset pages per sort, counts, filtered pages, the on-disk search
//! index (first build, incremental refresh, search latency) and peak
//! memory, on a database of `NAM_BENCH_BROWSE_COMPANIES` (default
//! 1,000,000) companies imported from generated records. The database is
//! built once and kept under `target/bench-data/`; the search index is
//! rebuilt on every run, since its build time is one of the figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use nam::search::browse::{CompanySearch, fold_words};
use nam::store::{BrowseFilter, CompanySort, PageKey, PageRequest, SortOrder, Store};

use common::{database, env_usize, ms, peak_rss_mb, percentile};

/// Median and maximum of `runs` timings of `f`.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(ms(t.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    (
        times[times.len() / 2],
        times[times.len() - 1],
        last.unwrap(),
    )
}

fn bench_pages(db: &Path, store: &Store) {
    let all = BrowseFilter::default();
    // The middle row by update time (an import stamps a whole batch with
    // one second: the value alone may be the first one).
    let (middle_update, middle_id): (String, i64) = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT updated_at, id FROM companies ORDER BY updated_at, id
             LIMIT 1 OFFSET (SELECT count(*) / 2 FROM companies)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let sorts = [
        ("name", CompanySort::Name),
        ("grade", CompanySort::Grade),
        ("state", CompanySort::State),
        ("updated", CompanySort::Updated),
    ];
    for (label, by) in sorts {
        for descending in [false, true] {
            let order = SortOrder { by, descending };
            let first = PageRequest {
                order,
                after: None,
                backwards: false,
                limit: 50,
            };
            let cold = Instant::now();
            let page = store.company_page(&all, first).unwrap();
            let cold = ms(cold.elapsed());
            let (median, max, _) = timed(20, || store.company_page(&all, first).unwrap());
            // A page from deep inside the order: next to a key in the
            // middle of the key space.
            let (middle, id) = match by {
                CompanySort::Name => ("M".to_string(), 0),
                CompanySort::Grade => ("C".to_string(), 0),
                CompanySort::State => ("MI".to_string(), 0),
                CompanySort::Updated => (middle_update.clone(), middle_id),
            };
            let key = PageKey {
                sort_value: Some(middle),
                id,
            };
            let deep = PageRequest {
                after: Some(&key),
                ..first
            };
            let (deep_median, _, rows) = timed(20, || store.company_page(&all, deep).unwrap());
            let back = PageRequest {
                backwards: true,
                ..deep
            };
            let (back_median, _, back_rows) = timed(20, || store.company_page(&all, back).unwrap());
            let last = PageRequest {
                backwards: true,
                ..first
            };
            let (last_median, _, _) = timed(20, || store.company_page(&all, last).unwrap());
            assert_eq!((page.len(), rows.len(), back_rows.len()), (50, 50, 50));
            println!(
                "browse page, sort {label} {}: first page {median:.2} ms (max {max:.2}, cold {cold:.2}); deep page {deep_median:.2} ms, backwards {back_median:.2} ms; last page {last_median:.2} ms",
                if descending { "desc" } else { "asc" }
            );
        }
    }
}

fn bench_filters(store: &Store) {
    let filters: Vec<(&str, BrowseFilter)> = vec![
        ("none", BrowseFilter::default()),
        (
            "association NTMA",
            BrowseFilter {
                association: Some("NTMA".into()),
                ..Default::default()
            },
        ),
        (
            "grade A",
            BrowseFilter {
                grade: Some("A".into()),
                ..Default::default()
            },
        ),
        (
            "state OH",
            BrowseFilter {
                state: Some("OH".into()),
                ..Default::default()
            },
        ),
        (
            "technology SAP (5%)",
            BrowseFilter {
                technology: Some("sap".into()),
                ..Default::default()
            },
        ),
        (
            "technology HubSpot (1%)",
            BrowseFilter {
                technology: Some("hubspot".into()),
                ..Default::default()
            },
        ),
        (
            "technology Epicor (0.05%)",
            BrowseFilter {
                technology: Some("epicor".into()),
                ..Default::default()
            },
        ),
        (
            "has contacts (3%)",
            BrowseFilter {
                has_contacts: Some(true),
                ..Default::default()
            },
        ),
        (
            "state OH + grade A + NTMA",
            BrowseFilter {
                association: Some("NTMA".into()),
                grade: Some("A".into()),
                state: Some("OH".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, f) in &filters {
        let (count_ms, _, n) = timed(3, || store.company_browse_count(f).unwrap());
        let mut line = format!("browse filter {label}: {n} companies, count {count_ms:.1} ms");
        for (sort, by) in [("name", CompanySort::Name), ("grade", CompanySort::Grade)] {
            let req = PageRequest {
                order: SortOrder {
                    by,
                    descending: false,
                },
                after: None,
                backwards: false,
                limit: 50,
            };
            let (page_ms, _, _) = timed(5, || store.company_page(f, req).unwrap());
            line.push_str(&format!(", first page by {sort} {page_ms:.2} ms"));
        }
        println!("{line}");
    }
}

/// Queries of 1 to 6 letters from real names (and a few two-word ones),
/// grouped by length.
fn queries(db: &Path) -> Vec<(usize, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT name FROM companies WHERE id % 997 = 5 AND status = 'active' LIMIT 120")
        .unwrap();
    let names: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let words = fold_words(name);
        // Vary which word is typed: the first, or a later one.
        let Some(w) = words.get(i % words.len().max(1)) else {
            continue;
        };
        for n in 1..=6.min(w.len()) {
            out.push((n, w[..n].to_string()));
        }
        if let (Some(a), Some(b)) = (words.first(), words.get(1)) {
            out.push((0, format!("{a} {}", &b[..b.len().min(2)])));
        }
    }
    out
}

fn bench_search(db: &Path, store: &Store) {
    let dir = nam::search::browse::index_dir(db);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = peak_rss_mb();
    let mut search = CompanySearch::open(db).unwrap();
    let t = Instant::now();
    let report = search.refresh(store).unwrap();
    let build = t.elapsed().as_secs_f64();
    let build_peak = peak_rss_mb();
    let size: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "search index: first build of {} companies in {build:.1}s ({:.0} companies/s), {:.0} MB on disk, peak memory {build_peak:.0} MB{}",
        report.docs,
        report.docs as f64 / build,
        size as f64 / 1e6,
        if reset {
            format!(" (was {before:.0} MB when the peak was reset)")
        } else {
            " (process peak)".into()
        }
    );

    let t = Instant::now();
    let idle = search.refresh(store).unwrap();
    println!(
        "search index: refresh with nothing changed {:.1} ms ({} upserted)",
        ms(t.elapsed()),
        idle.upserted
    );

    // 1,000 companies change: 900 renamed, 100 merged away. Bare SQL, like
    // the database build.
    let stamp = chrono::Utc::now().timestamp();
    {
        let c = rusqlite::Connection::open(db).unwrap();
        c.execute_batch("BEGIN").unwrap();
        let ids: Vec<i64> = {
            let mut st = c
                .prepare(
                    "SELECT id FROM companies WHERE status = 'active'
                     ORDER BY (id * 2654435761) % 1000003 LIMIT 1000",
                )
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        for (i, id) in ids.iter().enumerate() {
            if i % 10 == 9 {
                c.execute(
                    "UPDATE companies SET status = 'merged', merged_into = ?2 WHERE id = ?1",
                    [*id, ids[0]],
                )
                .unwrap();
            } else {
                c.execute(
                    "UPDATE companies SET name = 'Renamed ' || ?2 || ' ' || id, updated_at = ?3 WHERE id = ?1",
                    rusqlite::params![id, stamp, chrono::Utc::now().to_rfc3339()],
                )
                .unwrap();
            }
        }
        c.execute_batch("COMMIT").unwrap();
    }
    let t = Instant::now();
    let inc = search.refresh(store).unwrap();
    println!(
        "search index: incremental refresh after 1,000 changed companies in {:.0} ms ({} upserted, {} removed, rebuilt {})",
        ms(t.elapsed()),
        inc.upserted,
        inc.removed,
        inc.rebuilt
    );
    let renamed = search.search(&format!("renamed {stamp}"), 2000).unwrap();
    assert_eq!(
        renamed.len() as u64,
        inc.upserted,
        "renamed companies found by their new name"
    );

    let handle = search.handle();
    let qs = queries(db);
    // Warm the page cache and the term dictionaries once.
    for (_, q) in &qs {
        handle.search(q, 100).unwrap();
    }
    let mut by_len: Vec<Vec<f64>> = vec![Vec::new(); 7];
    let mut hits_by_len: Vec<usize> = vec![0; 7];
    for (n, q) in &qs {
        let t = Instant::now();
        let hits = handle.search(q, 100).unwrap();
        by_len[*n].push(ms(t.elapsed()));
        hits_by_len[*n] += hits.len();
    }
    let mut all: Vec<f64> = by_len.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let mut parts = Vec::new();
    for (n, times) in by_len.iter_mut().enumerate() {
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        parts.push(format!(
            "{}: p50 {:.2} p95 {:.2}",
            if n == 0 {
                "two words".to_string()
            } else {
                format!("{n} letter{}", if n == 1 { "" } else { "s" })
            },
            percentile(times, 0.5),
            percentile(times, 0.95)
        ));
    }
    println!(
        "search latency (top 100 ids, {} queries of 1-6 letters and two words): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; {}",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        percentile(&all, 1.0),
        parts.join(", ")
    );
    // What the TUI does with an answer: the page of those companies.
    let mut times = Vec::new();
    for (_, q) in qs.iter().step_by(7) {
        let t = Instant::now();
        let ids = handle.search(q, 500).unwrap();
        let f = BrowseFilter {
            ids: Some(ids),
            ..Default::default()
        };
        store
            .company_page(
                &f,
                PageRequest {
                    order: SortOrder::default(),
                    after: None,
                    backwards: false,
                    limit: 50,
                },
            )
            .unwrap();
        store.company_browse_count(&f).unwrap();
        times.push(ms(t.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "search then list (500 ids, first page by name and count): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !(filter.is_empty() || filter.iter().any(|f| "browse".contains(f.as_str()))) {
        return;
    }
    let companies = env_usize("NAM_BENCH_BROWSE_COMPANIES", 1_000_000);
    let db = database(companies);
    let store = Store::open(&db).unwrap();
    println!(
        "browse: {} active companies",
        store
            .company_browse_count(&BrowseFilter::default())
            .unwrap()
    );
    bench_pages(&db, &store);
    bench_filters(&store);
    bench_search(&db, &store);
    println!(
        "browse: peak memory of the whole run {:.0} MB",
        peak_rss_mb()
    );
}
