use std::collections::HashSet;

use super::super::super::associations::ASSOCS;
use super::super::super::names::esc;
use super::super::super::truth::HOME_SPECIMEN;
use super::super::super::{World, WorldConfig};

fn world(seed: u64, members: usize) -> World {
    World::new(WorldConfig {
        seed,
        members,
        ..WorldConfig::default()
    })
}

fn body(w: &World, url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    let p = w.page(u.host_str().unwrap(), u.path()).unwrap();
    assert_eq!(p.status, 200, "{url}");
    String::from_utf8(p.body).unwrap()
}

#[test]
fn fixture_specimens_serve_every_listed_name_and_the_home_page_none() {
    for (seed, members) in [(7, 120), (99, 300), (2026, 60)] {
        let w = world(seed, members);
        let specs = w.specimens();
        let layouts: HashSet<&str> = specs.iter().map(|s| s.layout.as_str()).collect();
        assert_eq!(layouts.len(), 8, "{layouts:?}");
        for s in &specs {
            let html = body(&w, &s.url);
            if s.layout == HOME_SPECIMEN {
                assert!(s.records.is_empty());
                continue;
            }
            assert!(s.records.len() >= 10, "{} {}", s.layout, s.records.len());
            for r in &s.records {
                // Names split over two lines are joined by a space in truth.
                let flat = html.replace("<br>\n", " ");
                assert!(flat.contains(&esc(&r.name)), "{}: {}", s.layout, r.name);
                if let Some(site) = &r.website {
                    assert!(html.contains(&esc(site)), "{}: {site}", s.layout);
                }
            }
        }
    }
}

#[test]
fn fixture_specimens_are_deterministic_and_out_of_the_crawl() {
    let a = world(7, 120);
    assert_eq!(a.specimens(), world(7, 120).specimens());
    assert_ne!(a.specimens(), world(8, 120).specimens());
    // Served only on their own host.
    let s = &a.specimens()[0];
    let path = url::Url::parse(&s.url).unwrap().path().to_owned();
    for other in ASSOCS.iter().filter(|x| x.code != s.association) {
        assert_eq!(a.page(other.host, &path).unwrap().status, 404);
    }
    // Linked from no page a crawl starts from, nor listed in a sitemap.
    for x in ASSOCS {
        for p in ["/", "/sitemap.xml", x.dir, "/events/", "/about/"] {
            let page = a.page(x.host, p).unwrap();
            let text = String::from_utf8_lossy(&page.body);
            assert!(!text.contains("/specimens/"), "{} {p}", x.host);
        }
    }
}

#[test]
fn fixture_specimen_truth_follows_the_conventions() {
    let w = world(7, 120);
    for s in w.specimens() {
        let mut ids = HashSet::new();
        for r in &s.records {
            // One record per organisation, even when listed twice.
            if let Some(id) = r.company_id {
                assert!(ids.insert(id), "{} lists {id} twice", s.layout);
            }
            // A website is the organisation's own absolute link.
            if let Some(site) = &r.website {
                assert!(site.starts_with("http://www."), "{site}");
                let d = r.domain.as_deref().unwrap();
                assert!(site.contains(d), "{site} {d}");
            }
            assert!(!r.name.trim().is_empty());
            assert!(
                !r.name.starts_with(|c: char| c.is_ascii_digit()) || s.layout != "heading_article"
            );
        }
    }
    // Members abroad: a province gives a state, other countries none, and
    // their phones read as written.
    let prose = w
        .specimens()
        .into_iter()
        .find(|s| s.layout == "prose_blocks")
        .unwrap();
    let abroad: Vec<_> = prose
        .records
        .iter()
        .filter(|r| r.company_id.is_none())
        .collect();
    assert_eq!(abroad.len(), 6);
    let place = |city: &str| {
        abroad
            .iter()
            .find(|r| r.city.as_deref() == Some(city))
            .unwrap()
    };
    assert_eq!(place("Guelph").state.as_deref(), Some("ON"));
    assert_eq!(place("Sheffield").state, None);
    assert_eq!(place("Monterrey").state, None);
    // Phones as written: every digit of the E.164 form on one line, after a
    // `+` country code.
    let html = body(&w, &prose.url);
    for r in &abroad {
        let e164 = r.phone_e164.as_deref().unwrap();
        let digits: String = e164.chars().skip(1).collect();
        let line = html.split("<br>").map(str::trim).find(|line| {
            line.chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                == digits
        });
        let nanp = e164.starts_with("+1") && line.is_none();
        let line = if nanp {
            // "(519) 345-1234": the national digits.
            html.split("<br>")
                .map(str::trim)
                .find(|l| l.chars().filter(char::is_ascii_digit).collect::<String>() == digits[1..])
        } else {
            line
        };
        assert!(line.is_some(), "{}: no line with {digits}", r.name);
    }
}

#[test]
fn fixture_label_cards_fax_is_never_the_phone() {
    let w = world(7, 120);
    let s = w
        .specimens()
        .into_iter()
        .find(|s| s.layout == "label_cards")
        .unwrap();
    let html = body(&w, &s.url);
    let mut faxes = 0;
    for line in html.lines().filter(|l| l.contains(">Fax:<")) {
        faxes += 1;
        let d: String = line.chars().filter(char::is_ascii_digit).collect();
        assert!(
            s.records
                .iter()
                .all(|r| !r.phone_e164.as_deref().unwrap().ends_with(&d)),
            "{line}"
        );
    }
    assert!(faxes > 3);
}
