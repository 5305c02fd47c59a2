//! Discovery: which URLs a fetched page leads to. Listing pagination and
//! profile links come from the extractor (it knows the record structure);
//! sitemaps list URLs; everything else is in-site link following with a
//! depth limit. All links are normalized and kept inside the site.

use scraper::{Html, Selector};
use url::Url;

use crate::extract::classify::Structure;
use crate::normalize::urls::{domain_of, is_asset, resolve};

/// A link worth queueing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: Url,
    /// `directory`, `profile`, `sitemap`, `event` or `page`.
    pub hint: &'static str,
    pub priority: i64,
    /// Structural links (pagination, profiles, sitemap entries) keep the
    /// parent's depth; ordinary links go one deeper.
    pub structural: bool,
}

const EVENT_WORDS: &[&str] = &[
    "event",
    "expo",
    "show",
    "conference",
    "exhibitor",
    "sponsor",
    "summit",
];
const DIRECTORY_WORDS: &[&str] = &["member", "directory", "companies", "buyers-guide", "find-a"];

fn classify_link(u: &Url) -> (&'static str, i64) {
    let p = u.path().to_ascii_lowercase();
    if p.ends_with(".xml") {
        ("sitemap", 60)
    } else if DIRECTORY_WORDS.iter().any(|w| p.contains(w)) {
        ("page", 30)
    } else if EVENT_WORDS.iter().any(|w| p.contains(w)) {
        ("event", 25)
    } else {
        ("page", 10)
    }
}

fn same_site(u: &Url, site_domain: &str) -> bool {
    domain_of(u) == site_domain
}

/// Links of an HTML page (or JSON endpoint), given what the extractor
/// found. On a `listing` page, pagination and profile links are structural
/// (they keep the page's depth); elsewhere every link is ordinary.
pub fn links(body: &str, page_url: &Url, ex: &Structure, listing: bool) -> Vec<Link> {
    let site = domain_of(page_url);
    let mut out: Vec<Link> = Vec::new();
    let mut push = |u: Url, hint: &'static str, priority: i64, structural: bool| {
        if !same_site(&u, &site) || is_asset(&u) || u == *page_url {
            return;
        }
        if let Some(existing) = out.iter_mut().find(|l| l.url == u) {
            if structural && !existing.structural {
                *existing = Link {
                    url: u,
                    hint,
                    priority,
                    structural,
                };
            }
            return;
        }
        out.push(Link {
            url: u,
            hint,
            priority,
            structural,
        });
    };
    for n in &ex.next_pages {
        if let Ok(u) = resolve(page_url, n) {
            push(u, "directory", 50, listing);
        }
    }
    for p in &ex.profile_links {
        if let Ok(u) = resolve(page_url, p) {
            push(u, "profile", 40, listing || ex.has_records);
        }
    }
    let trimmed = body.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return out;
    }
    let doc = Html::parse_document(body);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| resolve(page_url, h).ok())
        .unwrap_or_else(|| page_url.clone());
    if let Ok(sel) = Selector::parse("link[rel~=next][href], a[rel~=next][href]") {
        for e in doc.select(&sel) {
            if let Some(u) = e.value().attr("href").and_then(|h| resolve(&base, h).ok()) {
                if listing {
                    push(u, "directory", 50, true);
                } else {
                    let (hint, priority) = classify_link(&u);
                    push(u, hint, priority, false);
                }
            }
        }
    }
    if let Ok(sel) = Selector::parse("a[href], area[href]") {
        for e in doc.select(&sel) {
            let Some(h) = e.value().attr("href") else {
                continue;
            };
            if h.starts_with('#')
                || e.value()
                    .attr("rel")
                    .is_some_and(|r| r.contains("nofollow"))
            {
                continue;
            }
            if let Ok(u) = resolve(&base, h) {
                let (hint, priority) = classify_link(&u);
                push(u, hint, priority, hint == "sitemap");
            }
        }
    }
    out
}

/// `<loc>` entries of a sitemap or sitemap index.
pub fn sitemap_links(xml: &str, sitemap_url: &Url) -> Vec<Link> {
    let site = domain_of(sitemap_url);
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<loc>") {
        rest = &rest[i + 5..];
        let Some(j) = rest.find("</loc>") else { break };
        let raw = rest[..j]
            .trim()
            .trim_start_matches("<![CDATA[")
            .trim_end_matches("]]>")
            .replace("&amp;", "&");
        rest = &rest[j..];
        if let Ok(u) = resolve(sitemap_url, &raw)
            && same_site(&u, &site)
            && !is_asset(&u)
        {
            let (hint, priority) = classify_link(&u);
            out.push(Link {
                url: u,
                hint,
                priority: priority + 5,
                structural: true,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_links_stay_in_site_skip_assets_and_sort_priorities() {
        let page = Url::parse("http://pma.example/directory/?page=1").unwrap();
        let body = r##"<html><head><link rel="next" href="?page=2"></head><body>
          <a href="/about/">About</a> <a href="#top">Top</a>
          <a href="http://www.pma.example/events/">Events</a>
          <a href="https://twitter.com/pma">Twitter</a>
          <a href="/files/report.pdf">PDF</a>
          <a href="mailto:info@pma.example">Mail</a>
          <a href="/members/acme?utm_source=x">Acme</a>
          <a href="/directory/?page=1">this page</a>
        </body></html>"##;
        let ex = Structure {
            profile_links: vec!["/members/acme".into()],
            ..Default::default()
        };
        let got = links(body, &page, &ex, true);
        let urls: Vec<&str> = got.iter().map(|l| l.url.as_str()).collect();
        assert!(urls.contains(&"http://pma.example/directory/?page=2"));
        assert!(urls.contains(&"http://pma.example/about/"));
        assert!(urls.contains(&"http://www.pma.example/events/"));
        assert!(
            !urls
                .iter()
                .any(|u| u.contains("twitter") || u.ends_with(".pdf"))
        );
        assert!(!urls.contains(&"http://pma.example/directory/?page=1"));
        let acme: Vec<&Link> = got
            .iter()
            .filter(|l| l.url.path() == "/members/acme")
            .collect();
        assert_eq!(
            acme.len(),
            1,
            "profile link deduplicated after normalization"
        );
        assert_eq!(acme[0].hint, "profile");
        assert!(acme[0].structural);
        let next = got
            .iter()
            .find(|l| l.url.query() == Some("page=2"))
            .unwrap();
        assert_eq!(next.hint, "directory");
        let events = got.iter().find(|l| l.url.path() == "/events/").unwrap();
        assert_eq!(events.hint, "event");
        assert!(!events.structural);
        // On a page that is not a listing, "next" is an ordinary link.
        let other = links(body, &page, &Structure::default(), false);
        let next = other
            .iter()
            .find(|l| l.url.query() == Some("page=2"))
            .unwrap();
        assert!(!next.structural);
    }

    #[test]
    fn sitemap_locs() {
        let sm = Url::parse("http://socma.example/sitemap.xml").unwrap();
        let xml = r#"<?xml version="1.0"?><urlset><url><loc>http://socma.example/member-directory/?letter=A&amp;x=1</loc></url>
            <url><loc> http://socma.example/about/ </loc></url><url><loc>http://elsewhere.example/x</loc></url></urlset>"#;
        let got = sitemap_links(xml, &sm);
        let urls: Vec<&str> = got.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "http://socma.example/member-directory/?letter=A&x=1",
                "http://socma.example/about/"
            ]
        );
    }
}
