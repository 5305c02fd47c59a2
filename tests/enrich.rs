#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Keyless enrichment against the fixture world's truth: each company's
//! site read the way the website providers read it (home page, then the
//! telling links), then firmographics, tech stack and contacts measured.

use std::collections::BTreeSet;

use nam::enrich::leads::TitleTable;
use nam::enrich::website::contacts::contacts;
use nam::enrich::website::firmo::{band_holds, firmographics};
use nam::enrich::website::{
    DEFAULT_MAX_PAGES, PageRole, SitePage, TechSource, site_links, technologies,
};
use nam::fixture_site::{TrueCompany, World, WorldConfig};
use nam::normalize::charset::decode;
use nam::signals::VendorTable;
use url::Url;

fn read_site(w: &World, c: &TrueCompany) -> Vec<SitePage> {
    let get = |url: &Url| {
        let p = w.page(url.host_str().unwrap(), url.path()).unwrap();
        let (html, _) = decode(&p.body, Some(&p.content_type));
        SitePage {
            role: PageRole::of(url),
            url: url.clone(),
            html,
            headers: p.headers,
        }
    };
    let home = Url::parse(&c.website).unwrap();
    let first = get(&home);
    let links = site_links(&home, &first.html, DEFAULT_MAX_PAGES);
    let mut pages = vec![SitePage {
        role: PageRole::Home,
        ..first
    }];
    pages.extend(links.iter().map(get));
    pages
}

/// The (vendor, category) pairs a company runs: what its site shows in use
/// or hires for. Evaluated, compared and look-alike names are not in it.
fn true_stack(c: &TrueCompany) -> BTreeSet<(String, String)> {
    c.signals
        .iter()
        .filter(|s| s.signal_type == "uses" || s.signal_type == "hiring")
        .map(|s| (s.vendor.clone(), s.category.clone()))
        .collect()
}

#[test]
fn keyless_enrichment_meets_its_figures_on_the_fixture_world() {
    let w = World::new(WorldConfig {
        seed: 11,
        members: 300,
        ..Default::default()
    });
    let truth = w.ground_truth();
    let table = VendorTable::builtin().unwrap();
    let titles = TitleTable::builtin().unwrap();
    let n = truth.companies.len();
    let (mut range_ok, mut year_ok, mut both_ok) = (0, 0, 0);
    let (mut wrong_ranges, mut wrong_years) = (Vec::new(), Vec::new());
    let mut got_stack = BTreeSet::new();
    let mut want_stack = BTreeSet::new();
    let (mut with_team, mut with_target_contact) = (0, 0);
    let (mut inferred, mut inferred_right) = (0, 0);
    for c in &truth.companies {
        let pages = read_site(&w, c);
        let f = firmographics(&pages, 2026).unwrap_or_default();
        let r = f
            .employee_range
            .as_deref()
            .is_some_and(|r| band_holds(r, c.employee_count));
        let y = f.founded_year == Some(c.founded_year);
        if !r && wrong_ranges.len() < 8 {
            wrong_ranges.push((c.employee_count, f.employee_range.clone()));
        }
        if !y && wrong_years.len() < 8 {
            wrong_years.push((c.founded_year, f.founded_year));
        }
        range_ok += usize::from(r);
        year_ok += usize::from(y);
        both_ok += usize::from(r && y);

        for t in technologies(&table, &pages, TechSource::Fingerprints, &c.name)
            .into_iter()
            .chain(technologies(
                &table,
                &pages,
                TechSource::JobPostings,
                &c.name,
            ))
        {
            got_stack.insert((c.id, t.vendor, t.category));
        }
        for (v, cat) in true_stack(c) {
            want_stack.insert((c.id, v, cat));
        }

        if pages.iter().any(|p| p.role == PageRole::Team) {
            with_team += 1;
            let (people, _) = contacts(&pages, &titles, Some(&c.domain), 5);
            assert!(people.len() <= 5);
            // A contact counts when it is a real person of the company with
            // a target title, under the title the page gives.
            let hit = people.iter().any(|p| {
                c.people.iter().any(|(name, title)| {
                    *name == p.full_name
                        && p.title.as_deref() == Some(title.as_str())
                        && titles.target(title).is_some()
                })
            });
            with_target_contact += usize::from(hit);
            for p in &people {
                if let (Some(email), Some(first), Some(last)) =
                    (&p.email, &p.first_name, &p.last_name)
                {
                    if p.email_source.as_deref() != Some("inferred") {
                        continue;
                    }
                    inferred += 1;
                    let (f, l) = (first.to_lowercase(), last.to_lowercase());
                    let local = c
                        .email_pattern
                        .replace("{first}", &f)
                        .replace("{last}", &l)
                        .replace("{f}", &f[..1]);
                    inferred_right += usize::from(*email == format!("{local}@{}", c.domain));
                }
            }
        }
    }
    let share = |k: usize, of: usize| k as f64 / of.max(1) as f64;
    let hits = got_stack.intersection(&want_stack).count();
    let (precision, recall) = (share(hits, got_stack.len()), share(hits, want_stack.len()));
    eprintln!(
        "enrich: {n} companies; employee range {:.3}, founding year {:.3}, both {:.3}; \
         tech stack precision {precision:.3} recall {recall:.3} ({} true); \
         target contact {:.3} of {with_team} with a team page; inferred emails {inferred_right}/{inferred}",
        share(range_ok, n),
        share(year_ok, n),
        share(both_ok, n),
        want_stack.len(),
        share(with_target_contact, with_team),
    );
    assert!(
        share(both_ok, n) >= 0.8,
        "ranges {wrong_ranges:?} years {wrong_years:?}"
    );
    let wrong: Vec<_> = got_stack.difference(&want_stack).take(10).collect();
    let missed: Vec<_> = want_stack.difference(&got_stack).take(10).collect();
    assert!(
        want_stack.len() > 200,
        "the world plants enough technologies"
    );
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; wrong {wrong:?}"
    );
    assert!(recall >= 0.9, "recall {recall:.3}; missed {missed:?}");
    assert!(
        with_team > n / 2,
        "most companies have a team page: {with_team}"
    );
    assert!(share(with_target_contact, with_team) >= 0.6);
    assert!(
        inferred > 100,
        "emails inferred from the pattern: {inferred}"
    );
    assert!(
        share(inferred_right, inferred) >= 0.95,
        "inferred emails right: {inferred_right}/{inferred}"
    );
}
