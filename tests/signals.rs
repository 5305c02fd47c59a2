#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Competitor signals against the fixture world's truth: every company
//! site read the way the GRAPH phase reads it (home page, then the telling
//! links), planted look-alikes included (systems replaced or compared, a
//! person named Sage, Plexiglas).

use std::collections::BTreeSet;

use nam::fixture_site::{World, WorldConfig};
use nam::normalize::charset::decode;
use nam::signals::site::{DEFAULT_MAX_PAGES, gather, pages_to_visit};
use nam::signals::{PageInput, VendorTable, detect};
use url::Url;

type Key = (u32, String, String, String);

fn read_site(w: &World, table: &VendorTable, host: &str) -> Vec<(String, String, String)> {
    let get = |url: &Url| {
        let p = w.page(url.host_str().unwrap(), url.path()).unwrap();
        let (html, _) = decode(&p.body, Some(&p.content_type));
        (html, p.headers)
    };
    let home = Url::parse(&format!("http://{host}/")).unwrap();
    let (html, headers) = get(&home);
    let mut urls = vec![home.clone()];
    urls.extend(pages_to_visit(&home, &html, DEFAULT_MAX_PAGES));
    let mut found = Vec::new();
    for url in urls {
        let (html, headers_of) = if url == home {
            (html.clone(), headers.clone())
        } else {
            get(&url)
        };
        for d in detect(
            table,
            &PageInput {
                url: &url,
                html: &html,
                headers: &headers_of,
            },
        ) {
            found.push((url.clone(), d));
        }
    }
    gather(found)
        .into_iter()
        .map(|(_, d)| (d.vendor, d.category, d.signal_type.as_str().to_string()))
        .collect()
}

#[test]
fn signals_on_the_fixture_world_are_precise_and_complete() {
    let w = World::new(WorldConfig {
        seed: 5,
        members: 400,
        ..Default::default()
    });
    let table = VendorTable::builtin().unwrap();
    let truth = w.ground_truth();
    let mut want: BTreeSet<Key> = BTreeSet::new();
    let mut got: BTreeSet<Key> = BTreeSet::new();
    for c in &truth.companies {
        for s in &c.signals {
            want.insert((
                c.id,
                s.vendor.clone(),
                s.category.clone(),
                s.signal_type.clone(),
            ));
        }
        let host = Url::parse(&c.website)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        for (vendor, category, kind) in read_site(&w, &table, &host) {
            got.insert((c.id, vendor, category, kind));
        }
    }
    let hits = got.intersection(&want).count() as f64;
    let precision = hits / got.len() as f64;
    let recall = hits / want.len() as f64;
    let wrong: Vec<_> = got.difference(&want).take(12).collect();
    let missed: Vec<_> = want.difference(&got).take(12).collect();
    eprintln!(
        "signals: {} found, {} true, precision {precision:.3}, recall {recall:.3}",
        got.len(),
        want.len()
    );
    assert!(
        want.len() > 800,
        "the world plants enough signals: {}",
        want.len()
    );
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; wrong: {wrong:?}"
    );
    assert!(recall >= 0.9, "recall {recall:.3}; missed: {missed:?}");
    // Each kind of planted positive is found, and each planted look-alike
    // is left alone, so neither figure hides a whole class.
    for kind in ["uses", "hiring", "evaluating"] {
        assert!(
            got.iter().any(|k| k.3 == kind) && want.iter().any(|k| k.3 == kind),
            "{kind}"
        );
    }
    assert!(
        !got.iter().any(|k| k.1 == "Sage"),
        "a person named Sage is not a vendor"
    );
}
