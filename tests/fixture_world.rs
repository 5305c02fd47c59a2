#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fixture world: determinism, ground-truth consistency, layouts that
//! really contain what the truth says, and every fault switch over HTTP.

use std::collections::{HashMap, HashSet};

use nam::fixture_site::{FaultConfig, World, WorldConfig};

fn world(seed: u64, members: usize) -> World {
    World::new(WorldConfig {
        seed,
        members,
        faults: FaultConfig::default(),
        plants: true,
        hostile: false,
    })
}

fn split_url(url: &str) -> (String, String) {
    let u = url::Url::parse(url).unwrap();
    let pq = match u.query() {
        Some(q) => format!("{}?{}", u.path(), q),
        None => u.path().to_string(),
    };
    (u.host_str().unwrap().to_string(), pq)
}

fn get(w: &World, url: &str) -> nam::fixture_site::FixturePage {
    let (h, pq) = split_url(url);
    w.page(&h, &pq)
        .unwrap_or_else(|| panic!("no page for {url}"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn every_listing_page_contains_its_listed_name() {
    let w = world(7, 120);
    let t = w.ground_truth();
    assert!(!t.listings.is_empty());
    let mut cache: HashMap<String, String> = HashMap::new();
    for l in &t.listings {
        if l.behind_login {
            continue;
        }
        let body = cache.entry(l.listing_url.clone()).or_insert_with(|| {
            let p = get(&w, &l.listing_url);
            assert_eq!(p.status, 200, "{}", l.listing_url);
            String::from_utf8(p.body).unwrap()
        });
        let needle = if l.layout == "json_api" {
            serde_json::to_string(&l.listed_name).unwrap()
        } else {
            esc(&l.listed_name)
        };
        assert!(
            body.contains(&needle),
            "{} not on {}",
            l.listed_name,
            l.listing_url
        );
        if let Some(p) = &l.profile_url {
            let page = get(&w, p);
            assert_eq!(page.status, 200, "{p}");
            assert!(
                String::from_utf8(page.body)
                    .unwrap()
                    .contains(&esc(&l.listed_name))
            );
        }
    }
}

#[test]
fn ground_truth_is_consistent() {
    let w = world(7, 120);
    let t = w.ground_truth();
    assert_eq!(t.companies.len(), 120);
    let ids: HashSet<u32> = t.companies.iter().map(|c| c.id).collect();
    for l in &t.listings {
        assert!(ids.contains(&l.company_id));
    }
    // one listing per (association, company)
    let mut seen = HashSet::new();
    for l in &t.listings {
        assert!(seen.insert((l.association.clone(), l.company_id)));
    }
    // domains and names unique
    let domains: HashSet<&str> = t.companies.iter().map(|c| c.domain.as_str()).collect();
    assert_eq!(domains.len(), t.companies.len());
    // look-alikes exist and differ in trade or city
    let looks: Vec<_> = t
        .companies
        .iter()
        .filter(|c| c.lookalike_of.is_some())
        .collect();
    assert!(looks.len() >= 10);
    for c in looks {
        let twin = &t.companies[c.lookalike_of.unwrap() as usize];
        assert_ne!(c.domain, twin.domain);
        assert_ne!(c.city, twin.city);
        let words = |s: &str| {
            s.split(' ')
                .filter(|w| w.len() > 3)
                .map(str::to_string)
                .collect::<HashSet<_>>()
        };
        assert!(
            words(&c.name).intersection(&words(&twin.name)).count() > 0,
            "{} vs {}",
            c.name,
            twin.name
        );
    }
    // overlap: some company in two or more associations, with different listed names
    let mut per: HashMap<u32, Vec<&str>> = HashMap::new();
    for l in &t.listings {
        per.entry(l.company_id).or_default().push(&l.listed_name);
    }
    assert!(per.values().any(|v| v.len() >= 3));
    assert!(
        per.values()
            .any(|v| v.len() >= 2 && v.iter().collect::<HashSet<_>>().len() >= 2)
    );
    // every association lists someone
    let assocs: HashSet<&str> = t.listings.iter().map(|l| l.association.as_str()).collect();
    assert_eq!(assocs.len(), 10);
}

#[test]
fn phone_numbers_are_valid() {
    let t = world(11, 400).ground_truth();
    for c in &t.companies {
        let n = phonenumber::parse(None, &c.phone_e164).unwrap();
        assert!(phonenumber::is_valid(&n), "{} {}", c.name, c.phone_e164);
    }
}

#[test]
fn same_seed_same_bytes_different_seed_different_world() {
    let a = world(7, 120);
    let b = world(7, 120);
    let c = world(8, 120);
    let urls: Vec<String> = a
        .associations_file(false)
        .associations
        .iter()
        .map(|x| x.directory_urls[0].clone())
        .collect();
    for u in &urls {
        assert_eq!(get(&a, u).body, get(&b, u).body, "{u}");
    }
    assert_eq!(
        serde_json::to_string(&a.ground_truth()).unwrap(),
        serde_json::to_string(&b.ground_truth()).unwrap()
    );
    let names_a: Vec<String> = a
        .ground_truth()
        .companies
        .into_iter()
        .map(|c| c.name)
        .collect();
    let names_c: Vec<String> = c
        .ground_truth()
        .companies
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_ne!(names_a, names_c);
    assert_ne!(get(&a, &urls[0]).body, get(&c, &urls[0]).body);
}

// ---------------------------------------------------------------- over HTTP

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nam::fixture_site::FixtureServer;

/// Resolves every `*.example` host to the fixture server, like the crawler does.
struct ExampleResolver(SocketAddr);

impl reqwest::dns::Resolve for ExampleResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let addr = self.0;
        let ok = name.as_str().ends_with(".example");
        Box::pin(async move {
            if ok {
                let it: reqwest::dns::Addrs = Box::new(std::iter::once(addr));
                Ok(it)
            } else {
                Err("not a fixture host".into())
            }
        })
    }
}

fn client(addr: SocketAddr, follow: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(ExampleResolver(addr)))
        .redirect(if follow {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        })
        .user_agent("nam-test/0.1")
        .build()
        .unwrap()
}

async fn server(members: usize) -> FixtureServer {
    FixtureServer::start(Arc::new(world(7, members)), 0)
        .await
        .unwrap()
}

#[tokio::test]
async fn serves_by_host_header_and_logs_requests() {
    let s = server(120).await;
    let c = client(s.addr(), true);
    let r = c.get("http://pma.example/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Precision Metalforming Association")
    );
    let r = c
        .get("http://nema.example/robots.txt")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("User-agent"));
    // www. of an association redirects to the bare host
    let r = c.get("http://www.pma.example/about/").send().await.unwrap();
    assert_eq!(r.url().as_str(), "http://pma.example/about/");
    // index page by IP
    let r = c.get(format!("http://{}/", s.addr())).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("pma.example"));
    // unknown host
    let r = c.get("http://nowhere.example/").send().await.unwrap();
    assert_eq!(r.status(), 502);
    let log = s.request_log();
    assert_eq!(log[0].host, "pma.example");
    assert_eq!(log[0].path_and_query, "/");
    assert_eq!(log[0].user_agent.as_deref(), Some("nam-test/0.1"));
    assert_eq!(log[0].status, 200);
    assert!(
        log.iter()
            .any(|l| l.host == "www.pma.example" && l.status == 301)
    );
    s.clear_log();
    assert!(s.request_log().is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn conditional_requests_get_304() {
    let s = server(120).await;
    let c = client(s.addr(), true);
    let url = "http://pma.example/directory/?page=2";
    let r = c.get(url).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
    let r = c
        .get(url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = c
        .get(url)
        .header("If-Modified-Since", &lm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = c
        .get(url)
        .header("If-None-Match", "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(s.request_log()[1].conditional);
    // the ETag is stable across servers (hash of the body)
    let s2 = server(120).await;
    let r = client(s2.addr(), true).get(url).send().await.unwrap();
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    s.shutdown().await;
    s2.shutdown().await;
}

#[tokio::test]
async fn rate_limit_and_error_bursts() {
    let s = server(120).await;
    let c = client(s.addr(), true);
    s.set_faults(FaultConfig {
        rate_limit: 2,
        error_burst: 2,
        ..Default::default()
    });
    let u = "http://pmpa.example/member-directory/";
    for _ in 0..2 {
        let r = c.get(u).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
    }
    assert_eq!(c.get(u).send().await.unwrap().status(), 200);
    // robots.txt is never faulted
    assert_eq!(
        c.get("http://pmpa.example/robots.txt")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let u = "http://agma.example/membership/member-directory/";
    assert_eq!(c.get(u).send().await.unwrap().status(), 503);
    assert_eq!(c.get(u).send().await.unwrap().status(), 500);
    assert_eq!(c.get(u).send().await.unwrap().status(), 200);
    s.shutdown().await;
}

#[tokio::test]
async fn slow_reset_and_truncated() {
    let s = server(120).await;
    let c = client(s.addr(), true);
    s.set_faults(FaultConfig {
        slow_ms: 300,
        resets: 1,
        truncate: 1,
        ..Default::default()
    });
    let t = Instant::now();
    assert_eq!(
        c.get("http://forging.example/")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    let u = "http://nema.example/membership/member-directory/";
    let first = match c.get(u).send().await {
        Ok(r) => r.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(first.is_err(), "reset should fail the request");
    assert_eq!(c.get(u).send().await.unwrap().status(), 200);
    assert_eq!(
        s.request_log()
            .iter()
            .filter(|l| l.host == "nema.example" && l.status == 0)
            .count(),
        1
    );
    let u = "http://aia.example/membership/member-directory/";
    let r = c.get(u).send().await.unwrap();
    assert!(r.bytes().await.is_err(), "truncated body should fail");
    let full = c.get(u).send().await.unwrap().bytes().await.unwrap();
    assert!(full.len() > 1000);
    s.shutdown().await;
}

#[tokio::test]
async fn charset_redirects_huge_page_and_drift() {
    let s = server(120).await;
    let c = client(s.addr(), true);
    let nc = client(s.addr(), false);
    s.set_faults(FaultConfig {
        bad_charset: true,
        redirects: true,
        huge_page: true,
        ..Default::default()
    });
    let r = c
        .get("http://afsinc.example/member-directory/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/html");
    let body = r.bytes().await.unwrap();
    assert!(
        std::str::from_utf8(&body).is_err(),
        "Windows-1252 bytes expected"
    );
    assert!(
        !String::from_utf8_lossy(&body)
            .to_lowercase()
            .contains("charset")
    );
    // redirect chain: 4 hops then the A page
    let mut url = "http://socma.example/member-directory/".to_string();
    let mut codes = Vec::new();
    for _ in 0..6 {
        let r = nc.get(&url).send().await.unwrap();
        if !r.status().is_redirection() {
            break;
        }
        codes.push(r.status().as_u16());
        let loc = r.headers()["location"].to_str().unwrap();
        url = reqwest::Url::parse(&url)
            .unwrap()
            .join(loc)
            .unwrap()
            .to_string();
    }
    assert_eq!(codes, vec![301, 302, 307, 308]);
    assert_eq!(url, "http://socma.example/member-directory/?letter=A");
    let err = c
        .get("http://socma.example/news/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err}");
    let err = c
        .get("http://socma.example/loop-a")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect());
    let big = c
        .get("http://ntma.example/resources/")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(big.len() > 5_000_000, "{}", big.len());
    // drift
    let u = "http://pma.example/directory/";
    let before = c.get(u).send().await.unwrap().bytes().await.unwrap();
    s.set_drift(true);
    let after = c.get(u).send().await.unwrap().bytes().await.unwrap();
    assert_ne!(before, after);
    assert!(String::from_utf8_lossy(&before).contains("member-directory"));
    assert!(!String::from_utf8_lossy(&after).contains("class=\"member-directory\""));
    s.set_drift(false);
    assert_eq!(
        c.get(u).send().await.unwrap().bytes().await.unwrap(),
        before
    );
    s.shutdown().await;
}

#[test]
fn hundred_thousand_members_serve_a_deep_page() {
    // How fast this is, is measured by `cargo bench -- fixture`.
    let w = world(7, 100_000);
    let p = w.page("pma.example", "/directory/?page=2").unwrap();
    assert_eq!(p.status, 200);
    let n = {
        let body = String::from_utf8(w.page("pma.example", "/directory/").unwrap().body).unwrap();
        let i = body.find(" of ").unwrap();
        body[i + 4..]
            .split(' ')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert!(n > 5_000, "{n}");
    let deep = w
        .page("pma.example", &format!("/directory/?page={}", n / 10))
        .unwrap();
    assert_eq!(deep.status, 200);
    let json = w
        .page("ntma.example", "/api/members?offset=9000&limit=25")
        .unwrap();
    assert_eq!(json.status, 200);
    assert!(String::from_utf8_lossy(&json.body).contains("\"offset\""));
}

// ---------------------------------------------------------------- events, company sites, selectors

#[test]
fn events_list_exhibitors_sponsors_and_speakers() {
    use nam::model::ParticipantRole;
    let w = world(7, 120);
    let t = w.ground_truth();
    assert!(t.events.len() >= 5);
    let member_of: HashSet<(String, u32)> = t
        .listings
        .iter()
        .map(|l| (l.association.clone(), l.company_id))
        .collect();
    let mut members_elsewhere = 0;
    let mut non_members = 0;
    for e in &t.events {
        let overview = String::from_utf8(get(&w, &e.url).body).unwrap();
        assert!(overview.contains(&esc(&e.name)));
        let exhibitors = String::from_utf8(get(&w, &format!("{}exhibitors/", e.url)).body).unwrap();
        let speakers = String::from_utf8(get(&w, &format!("{}speakers/", e.url)).body).unwrap();
        for p in &e.participants {
            match p.role {
                ParticipantRole::Sponsor => {
                    assert!(
                        ["Platinum", "Gold", "Silver"]
                            .contains(&p.sponsor_tier.as_deref().unwrap())
                    );
                    assert!(overview.contains(&esc(&p.name)), "{}", p.name);
                }
                ParticipantRole::Exhibitor => {
                    assert!(
                        exhibitors.contains(&esc(&p.name))
                            && exhibitors.contains(p.booth.as_deref().unwrap())
                    );
                    match p.company_id {
                        None => non_members += 1,
                        Some(id) if !member_of.contains(&(e.association.clone(), id)) => {
                            members_elsewhere += 1
                        }
                        _ => {}
                    }
                }
                ParticipantRole::Speaker => {
                    assert!(speakers.contains(&esc(p.person_name.as_deref().unwrap())));
                    assert!(speakers.contains(&esc(p.person_title.as_deref().unwrap())));
                }
                ParticipantRole::Attendee => {}
            }
        }
    }
    assert!(members_elsewhere > 0 && non_members > 0);
    // event URLs are in the associations file
    let f = w.associations_file(false);
    assert!(
        f.associations
            .iter()
            .any(|a| a.event_urls.contains(&t.events[0].url))
    );
}

#[test]
fn company_sites_carry_facts_and_fingerprints() {
    let w = world(7, 120);
    let t = w.ground_truth();
    let mut french = 0;
    for c in &t.companies {
        let home = get(&w, &c.website);
        assert_eq!(home.status, 200, "{}", c.website);
        assert!(home.header("Set-Cookie").is_some());
        let decode = |b: Vec<u8>| match String::from_utf8(b.clone()) {
            Ok(s) => s,
            Err(_) => encoding_rs::WINDOWS_1252.decode(&b).0.into_owned(),
        };
        let body = decode(home.body);
        assert!(body.contains("<meta name=\"generator\""));
        if body.contains("windows-1252") {
            french += 1;
            assert_eq!(home.content_type, "text/html");
        }
        let careers = decode(get(&w, &format!("{}careers/", c.website)).body);
        if let Some(erp) = &c.erp {
            assert!(careers.contains(erp.as_str()), "{} {erp}", c.name);
        }
        if let Some(crm) = &c.crm {
            assert!(careers.contains(crm.as_str()));
        }
        let contact = decode(get(&w, &format!("{}contact/", c.website)).body);
        assert!(contact.contains(&c.phone_e164));
        assert!(contact.contains(&esc(&c.postal_code)));
        let about = decode(get(&w, &format!("{}about-us/", c.website)).body);
        assert!(about.contains(&c.founded_year.to_string()));
        // bare domain redirects to www
        let bare = get(&w, &format!("http://{}/", c.domain));
        assert_eq!(bare.status, 301);
    }
    assert!(french > 0, "some Windows-1252 company sites");
}

#[test]
fn configured_selectors_match_the_layouts() {
    use scraper::{Html, Selector};
    let w = world(7, 120);
    let t = w.ground_truth();
    let f = w.associations_file(true);
    let mut checked = 0;
    for a in &f.associations {
        let Some(sel) = &a.selectors else { continue };
        let mut url = a.directory_urls[0].clone();
        if a.code == "SOCMA" {
            url = t
                .listings
                .iter()
                .find(|l| l.association == "SOCMA")
                .unwrap()
                .listing_url
                .clone();
        }
        let page = get(&w, &url);
        let doc = Html::parse_document(&String::from_utf8(page.body).unwrap());
        let rec = Selector::parse(sel.record.as_deref().unwrap()).unwrap();
        let name = Selector::parse(sel.name.as_deref().unwrap()).unwrap();
        let expected: Vec<&str> = t
            .listings
            .iter()
            .filter(|l| l.association == a.code && l.listing_url == url)
            .map(|l| l.listed_name.as_str())
            .collect();
        let got: Vec<String> = doc
            .select(&rec)
            .map(|r| {
                r.select(&name)
                    .next()
                    .map(|n| n.text().collect::<String>().trim().to_string())
                    .unwrap_or_default()
            })
            .collect();
        let mut e2: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        let mut g2 = got.clone();
        e2.sort();
        g2.sort();
        assert_eq!(g2, e2, "{}", a.code);
        if let Some(n) = &sel.next_page {
            let next = Selector::parse(n).unwrap();
            if a.code != "SOCMA" {
                assert!(
                    doc.select(&next).next().is_some(),
                    "{} next page link",
                    a.code
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn login_wall_and_robots() {
    let w = world(7, 120);
    let p = String::from_utf8(get(&w, "http://diecasting.example/member-directory/").body).unwrap();
    assert!(p.contains("type=\"password\"") && p.contains("members only"));
    let t = w.ground_truth();
    assert!(
        t.listings
            .iter()
            .any(|l| l.behind_login && l.association == "NADCA")
    );
    let robots = String::from_utf8(get(&w, "http://pma.example/robots.txt").body).unwrap();
    assert!(robots.contains("Disallow: /members-only/") && robots.contains("Crawl-delay"));
    let sm = String::from_utf8(get(&w, "http://pma.example/sitemap.xml").body).unwrap();
    assert!(sm.contains("<loc>http://pma.example/directory/?page=2</loc>"));
    assert_eq!(w.page("nema.example", "/sitemap.xml").unwrap().status, 404);
    // JSON API pages chain through "next"
    let mut next = Some("/api/members?offset=0&limit=25".to_string());
    let mut n = 0;
    while let Some(u) = next {
        let v: serde_json::Value =
            serde_json::from_slice(&w.page("ntma.example", &u).unwrap().body).unwrap();
        n += v["members"].as_array().unwrap().len();
        next = v["next"].as_str().map(str::to_string);
    }
    assert_eq!(
        n,
        t.listings
            .iter()
            .filter(|l| l.association == "NTMA")
            .count()
    );
}
