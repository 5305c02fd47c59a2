#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Done-when accuracy test: the generic extractor (no selectors) over the
//! whole fixture world, per layout, against the world's ground truth.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use nam::config::AssociationConfig;
use nam::extract::profile::merge_profile;
use nam::extract::{ExtractContext, extract_page};
use nam::fixture_site::{HOME_SPECIMEN, World, WorldConfig};
use nam::model::{MemberRecord, PageType};
use nam::normalize::{name_key, registrable_domain};

/// Walks one association's directory in-process (pagination, JSON endpoints,
/// profile links) and returns its merged listing records and pages read.
pub fn walk(
    world: &World,
    a: &AssociationConfig,
    with_selectors: bool,
) -> (Vec<MemberRecord>, usize) {
    let mut queue: VecDeque<String> = a.directory_urls.iter().cloned().collect();
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut profiles_wanted: HashSet<String> = HashSet::new();
    let mut listing: Vec<MemberRecord> = Vec::new();
    let mut profiles: HashMap<String, MemberRecord> = HashMap::new();
    let mut pages = 0;
    while let Some(u) = queue.pop_front() {
        if pages > 3000 {
            break;
        }
        let url = url::Url::parse(&u).unwrap();
        let host = url.host_str().unwrap_or("").to_owned();
        let pq = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let Some(page) = world.page(&host, &pq) else {
            continue;
        };
        if (300..400).contains(&page.status) {
            if let Some(loc) = page.header("location").and_then(|l| url.join(l).ok()) {
                let loc = loc.to_string();
                if seen.insert(loc.clone()) {
                    if profiles_wanted.contains(&u) {
                        profiles_wanted.insert(loc.clone());
                    }
                    queue.push_back(loc);
                }
            }
            continue;
        }
        if page.status != 200 {
            continue;
        }
        pages += 1;
        let body = nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0;
        let is_profile = profiles_wanted.contains(&u);
        let ctx = ExtractContext {
            association: Some(a.code.clone()),
            association_name: Some(a.name.clone()),
            association_base_url: Some(a.base_url.clone()),
            selectors: if with_selectors {
                a.selectors.clone()
            } else {
                None
            },
            page_type: is_profile.then_some(PageType::MemberProfile),
            structure_only: false,
            explain: false,
        };
        let ex = extract_page(&body, &u, &ctx);
        if is_profile && ex.members.is_empty() && std::env::var("NAM_VERBOSE").is_ok() {
            println!("  empty profile page {u}");
        }
        let own = registrable_domain(&a.base_url);
        for n in ex.next_pages.iter().chain(ex.profile_links.iter()) {
            if registrable_domain(n) == own && seen.insert(n.clone()) {
                queue.push_back(n.clone());
            }
        }
        for p in &ex.profile_links {
            profiles_wanted.insert(p.clone());
        }
        for m in ex.members {
            if is_profile {
                profiles.insert(u.clone(), m);
            } else {
                listing.push(m);
            }
        }
    }
    for m in listing.iter_mut() {
        if let Some(p) = m.profile_url.as_ref().and_then(|u| profiles.get(u)) {
            let p = p.clone();
            merge_profile(m, &p);
        }
    }
    dedup(&mut listing);
    (listing, pages)
}

/// The same record on two URLs of one listing (e.g. /directory/ and
/// ?page=1) counts once.
fn dedup(listing: &mut Vec<MemberRecord>) {
    let mut keys = HashSet::new();
    listing.retain(|m| {
        keys.insert((
            name_key(&m.name),
            m.domain.clone(),
            m.city.clone(),
            m.profile_url.clone(),
        ))
    });
}

#[derive(Default, Debug)]
pub struct Score {
    pub extracted: usize,
    pub truth: usize,
    pub matched: usize,
    pub fields: BTreeMap<&'static str, (usize, usize)>,
    pub pages: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.extracted == 0 {
            0.0
        } else {
            self.matched as f64 / self.extracted as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.matched as f64 / self.truth as f64
        }
    }
    pub fn field(&self, f: &str) -> f64 {
        match self.fields.get(f) {
            Some((ok, n)) if *n > 0 => *ok as f64 / *n as f64,
            _ => 1.0,
        }
    }
}

/// One record a correct extractor finds, with its true values and whether
/// the page shows them (a field not shown is only scored when extracted).
pub struct Expected {
    pub name: String,
    pub domain: Option<String>,
    pub shows_website: bool,
    pub phone: Option<String>,
    pub shows_phone: bool,
    pub city: Option<String>,
    pub state: Option<String>,
    pub shows_address: bool,
    /// Where it is listed (for verbose output).
    pub place: String,
}

/// Scores extracted records against expected ones: matched by domain first,
/// then by name key (city breaks ties between look-alikes); website, phone,
/// city and state accuracy over matched records. `label` tags verbose lines.
pub fn score_records(
    label: &str,
    records: &[MemberRecord],
    expected: &[Expected],
    verbose: bool,
) -> Score {
    let mut s = Score {
        extracted: records.len(),
        truth: expected.len(),
        ..Default::default()
    };
    let mut used = vec![false; expected.len()];
    for r in records {
        let rk = name_key(&r.name);
        let by_domain = r.domain.as_ref().and_then(|d| {
            (0..expected.len()).find(|i| !used[*i] && expected[*i].domain.as_ref() == Some(d))
        });
        let by_name = || {
            let cands: Vec<usize> = (0..expected.len())
                .filter(|i| !used[*i] && name_key(&expected[*i].name) == rk)
                .collect();
            cands
                .iter()
                .copied()
                .find(|i| expected[*i].city.is_some() && expected[*i].city == r.city)
                .or(cands.first().copied())
        };
        let Some(i) = by_domain.or_else(by_name) else {
            if verbose {
                println!(
                    "  [{label}] unmatched record: {} {:?} {:?} {:?}",
                    r.name, r.domain, r.city, r.source_url
                );
            }
            continue;
        };
        used[i] = true;
        s.matched += 1;
        let e = &expected[i];
        let mut check =
            |f: &'static str, shown: bool, got: Option<String>, want: &Option<String>| {
                if !shown && got.is_none() {
                    return;
                }
                let n = s.fields.entry(f).or_insert((0, 0));
                n.1 += 1;
                if got == *want {
                    n.0 += 1;
                } else if verbose {
                    println!("  [{label}] {f}: {} got {:?} want {:?}", r.name, got, want);
                }
            };
        check(
            "website",
            e.shows_website,
            r.website.as_deref().and_then(registrable_domain),
            &e.domain,
        );
        check("phone", e.shows_phone, r.phone.clone(), &e.phone);
        check("city", e.shows_address, r.city.clone(), &e.city);
        check("state", e.shows_address, r.state.clone(), &e.state);
    }
    if verbose {
        for (i, e) in expected.iter().enumerate() {
            if !used[i] {
                println!("  [{label}] missed listing: {} on {}", e.name, e.place);
            }
        }
    }
    s
}

/// Scores every association's layout; returns layout -> score.
pub fn score_world(world: &World, with_selectors: bool, verbose: bool) -> BTreeMap<String, Score> {
    let truth = world.ground_truth();
    let companies: HashMap<u32, _> = truth.companies.iter().map(|c| (c.id, c)).collect();
    let assocs = world.associations_file(with_selectors).associations;
    let mut out = BTreeMap::new();
    for a in &assocs {
        // A plant listing gives the plant's phone and place.
        let expected: Vec<Expected> = truth
            .listings
            .iter()
            .filter(|l| l.association == a.code && !l.behind_login)
            .map(|l| Expected {
                name: l.listed_name.clone(),
                domain: Some(companies[&l.company_id].domain.clone()),
                shows_website: l.shows_website,
                phone: Some(l.phone_e164.clone()),
                shows_phone: l.shows_phone,
                city: Some(l.city.clone()),
                state: Some(l.state.clone()),
                shows_address: l.shows_address,
                place: l.listing_url.clone(),
            })
            .collect();
        let layout = truth
            .listings
            .iter()
            .find(|l| l.association == a.code)
            .map(|l| l.layout.clone())
            .unwrap_or_else(|| a.code.clone());
        let (records, pages) = walk(world, a, with_selectors);
        let mut s = score_records(&a.code, &records, &expected, verbose);
        s.pages = pages;
        out.insert(format!("{layout} ({})", a.code), s);
    }
    out
}

/// Extracts one page of the world with the generic extractor, as `walk`
/// does for a listing page of association `a`; with no association, as
/// `nam extract PAGE --base-url URL` does (nothing known about the site).
pub fn extract_one(world: &World, a: Option<&AssociationConfig>, u: &str) -> Vec<MemberRecord> {
    let url = url::Url::parse(u).unwrap();
    let page = world.page(url.host_str().unwrap(), url.path()).unwrap();
    assert_eq!(page.status, 200, "{u}");
    let body = nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0;
    let ctx = match a {
        Some(a) => ExtractContext {
            association: Some(a.code.clone()),
            association_name: Some(a.name.clone()),
            association_base_url: Some(a.base_url.clone()),
            selectors: None,
            page_type: None,
            structure_only: false,
            explain: false,
        },
        None => ExtractContext::default(),
    };
    extract_page(&body, u, &ctx).members
}

/// A page read as the crawl and `nam extract` read it: classified first,
/// then extracted as that type.
pub fn extract_as_crawled(world: &World, a: &AssociationConfig, u: &str) -> Vec<MemberRecord> {
    let url = url::Url::parse(u).unwrap();
    let pq = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let page = world.page(url.host_str().unwrap(), &pq).unwrap();
    assert_eq!(page.status, 200, "{u}");
    let body = nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0;
    let ctx = ExtractContext {
        association: Some(a.code.clone()),
        association_name: Some(a.name.clone()),
        association_base_url: Some(a.base_url.clone()),
        ..ExtractContext::default()
    };
    nam::extract::classify::extract_directory_page(&body, u, ctx).members
}

/// Scores the specimen layouts (one page each, fetched by the URL their
/// truth gives; linked from nowhere, so `walk` never sees them) with the
/// same scorer; returns layout -> score.
pub fn score_specimens(world: &World, verbose: bool) -> BTreeMap<String, Score> {
    let assocs = world.associations_file(false).associations;
    let mut out = BTreeMap::new();
    for sp in world.specimens() {
        if sp.layout == HOME_SPECIMEN {
            continue;
        }
        let a = assocs.iter().find(|a| a.code == sp.association).unwrap();
        let mut records = extract_as_crawled(world, a, &sp.url);
        dedup(&mut records);
        let expected: Vec<Expected> = sp
            .records
            .iter()
            .map(|r| Expected {
                name: r.name.clone(),
                domain: r.domain.clone(),
                shows_website: r.website.is_some(),
                phone: r.phone_e164.clone(),
                shows_phone: r.shows_phone,
                city: r.city.clone(),
                state: r.state.clone(),
                shows_address: r.shows_address,
                place: sp.url.clone(),
            })
            .collect();
        let mut s = score_records(&sp.association, &records, &expected, verbose);
        s.pages = 1;
        out.insert(format!("{} ({})", sp.layout, sp.association), s);
    }
    out
}

pub fn print_table(title: &str, scores: &BTreeMap<String, Score>) {
    println!("\n{title}");
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>6} {:>6} {:>6}",
        "layout", "pages", "truth", "found", "prec", "recall", "website", "phone", "city", "state"
    );
    for (k, s) in scores {
        println!(
            "{:<28} {:>6} {:>6} {:>6} {:>6.3} {:>6.3} {:>8.3} {:>6.3} {:>6.3} {:>6.3}",
            k,
            s.pages,
            s.truth,
            s.extracted,
            s.precision(),
            s.recall(),
            s.field("website"),
            s.field("phone"),
            s.field("city"),
            s.field("state")
        );
    }
}

fn assert_scores(scores: &BTreeMap<String, Score>) {
    let mut bad = Vec::new();
    for (k, s) in scores {
        if s.truth == 0 {
            continue; // members-only directory: nothing public to extract
        }
        for (what, v) in [
            ("precision", s.precision()),
            ("recall", s.recall()),
            ("website", s.field("website")),
            ("phone", s.field("phone")),
            ("city", s.field("city")),
            ("state", s.field("state")),
        ] {
            if v < 0.95 {
                bad.push(format!("{k}: {what} {v:.3}"));
            }
        }
    }
    assert!(bad.is_empty(), "below 0.95: {bad:#?}");
}

#[test]
fn generic_extractor_reaches_095_per_layout_without_selectors() {
    let world = World::new(WorldConfig::default());
    let verbose = std::env::var("NAM_VERBOSE").is_ok();
    let scores = score_world(&world, false, verbose);
    print_table("generic extractor, no selectors", &scores);
    assert_scores(&scores);
}

#[test]
fn configured_selectors_reach_the_same() {
    let world = World::new(WorldConfig::default());
    let scores = score_world(&world, true, std::env::var("NAM_VERBOSE").is_ok());
    print_table("configured selectors", &scores);
    assert_scores(&scores);
}

#[test]
fn generic_extractor_holds_on_other_seeds() {
    for (seed, members) in [(99u64, 300usize), (2026, 60)] {
        let world = World::new(WorldConfig {
            seed,
            members,
            ..WorldConfig::default()
        });
        let scores = score_world(&world, false, std::env::var("NAM_VERBOSE").is_ok());
        print_table(
            &format!("generic extractor, seed {seed}, {members} members"),
            &scores,
        );
        assert_scores(&scores);
    }
}

#[test]
fn generic_extractor_holds_under_layout_drift_and_content_faults() {
    use nam::fixture_site::FaultConfig;
    let faults = FaultConfig {
        drift: true,
        bad_charset: true,
        redirects: true,
        ..FaultConfig::default()
    };
    let world = World::new(WorldConfig {
        faults,
        ..WorldConfig::default()
    });
    let scores = score_world(&world, false, std::env::var("NAM_VERBOSE").is_ok());
    print_table(
        "generic extractor, drifted layouts + bad charset + redirects",
        &scores,
    );
    assert_scores(&scores);
}

/// The specimen layouts (label cards, page-builder repeater, exhibitor list,
/// prose blocks, ranked article, JSON-LD cards, several tables), read as the
/// crawl reads them and scored like the directories.
#[test]
fn new_layouts_reach_095() {
    let verbose = std::env::var("NAM_VERBOSE").is_ok();
    let mut all = BTreeMap::new();
    for (seed, members) in [(7u64, 120usize), (99, 300)] {
        let world = World::new(WorldConfig {
            seed,
            members,
            ..WorldConfig::default()
        });
        let scores = score_specimens(&world, verbose);
        assert_eq!(scores.len(), 7, "{:?}", scores.keys());
        print_table(
            &format!("generic extractor, specimen layouts, seed {seed}, {members} members"),
            &scores,
        );
        for (k, s) in scores {
            all.insert(format!("{k} seed {seed}"), s);
        }
    }
    assert_scores(&all);
}

/// An association's own home page (Organization JSON-LD, its name in the
/// title and og:site_name, contact details in the footer, news and feature
/// cards) lists no members, whether or not the caller says whose site it is
/// (`nam extract PAGE --base-url URL` knows nothing of the site).
#[test]
fn association_home_page_gives_no_member_records() {
    let world = World::new(WorldConfig::default());
    let home = world
        .specimens()
        .into_iter()
        .find(|s| s.layout == HOME_SPECIMEN)
        .unwrap();
    assert!(home.records.is_empty());
    let assocs = world.associations_file(false).associations;
    let a = assocs.iter().find(|a| a.code == home.association).unwrap();
    for (who, ctx) in [("its association", Some(a)), ("nothing", None)] {
        let got = extract_one(&world, ctx, &home.url);
        let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
        assert!(
            names.is_empty(),
            "{} (context: {who}) gave {names:?}",
            home.url
        );
    }
}

/// The crawler's survey (structure only, no normalization) must see what
/// the full extraction sees: the same page type and the same links.
#[test]
fn survey_agrees_with_full_extraction() {
    use nam::extract::classify::{PageFacts, classify, survey};
    let world = World::new(WorldConfig {
        seed: 5,
        members: 150,
        ..Default::default()
    });
    let truth = world.ground_truth();
    let mut urls: Vec<String> = truth
        .listings
        .iter()
        .flat_map(|l| std::iter::once(l.listing_url.clone()).chain(l.profile_url.clone()))
        .collect();
    urls.sort();
    urls.dedup();
    let assocs = world.associations_file(false).associations;
    let mut compared = 0;
    for u in &urls {
        let url = url::Url::parse(u).unwrap();
        let pq = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let Some(page) = world.page(url.host_str().unwrap(), &pq) else {
            continue;
        };
        if page.status != 200 {
            continue;
        }
        let body = nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0;
        let a = assocs
            .iter()
            .find(|a| registrable_domain(&a.base_url) == registrable_domain(u))
            .unwrap();
        let ctx = ExtractContext {
            association: Some(a.code.clone()),
            association_name: Some(a.name.clone()),
            association_base_url: Some(a.base_url.clone()),
            ..Default::default()
        };
        let facts = PageFacts {
            url: u,
            final_url: u,
            status: 200,
            content_type: Some(&page.content_type),
            body: &body,
            hint: None,
            association_site: true,
            directory_seed: a.directory_urls.contains(u),
        };
        let full = extract_page(&body, u, &ctx);
        let s = survey(&facts, &ctx);
        let c = classify(&facts, &full);
        assert_eq!(s.classification.page_type, c.page_type, "{u}");
        assert_eq!(s.classification.evidence, c.evidence, "{u}");
        assert_eq!(s.structure.next_pages, full.next_pages, "{u}");
        assert_eq!(s.structure.profile_links, full.profile_links, "{u}");
        assert_eq!(s.structure.has_records, !full.members.is_empty(), "{u}");
        compared += 1;
    }
    assert!(compared > 100, "{compared} pages compared");
}

/// A long page (300 rows, far more than the sample long record groups are
/// first scored on) still gives every row, with its fields, when read as
/// the crawl reads it and as EXTRACTION reads it.
#[test]
fn long_table_page_gives_every_row() {
    let world = World::new(WorldConfig {
        seed: 7,
        members: 2400,
        ..WorldConfig::default()
    });
    let pq = "/directory/?page=1&per_page=300";
    let page = world.page("pma.example", pq).unwrap();
    assert_eq!(page.status, 200);
    let body = nam::normalize::charset::decode(&page.body, Some(&page.content_type)).0;
    let rows = body.matches("<tr class=\"member-row\">").count();
    assert_eq!(rows, 300, "the fixture honours per_page");
    let names: HashSet<String> = body
        .split("<td class=\"member-name\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(|n| {
            name_key(&nam::normalize::clean_text(
                &n.replace("&amp;", "&").replace("&#39;", "'"),
            ))
        })
        .collect();
    let url = format!("http://pma.example{pq}");
    let a = world.associations_file(false).associations;
    let pma = a.iter().find(|a| a.code == "PMA").unwrap();
    for records in [
        extract_as_crawled(&world, pma, &url),
        extract_page(&body, &url, &ExtractContext::default()).members,
    ] {
        let got: HashSet<String> = records.iter().map(|r| name_key(&r.name)).collect();
        let missing: Vec<_> = names.difference(&got).collect();
        assert!(
            missing.is_empty(),
            "{} rows missing: {missing:?}",
            missing.len()
        );
        assert_eq!(got.len(), records.len(), "one record per name");
        let with_phone = records.iter().filter(|r| r.phone.is_some()).count();
        let with_city = records.iter().filter(|r| r.city.is_some()).count();
        assert!(with_phone * 2 > records.len(), "{with_phone} phones");
        assert!(with_city * 2 > records.len(), "{with_city} cities");
    }
}
