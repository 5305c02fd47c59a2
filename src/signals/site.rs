//! Which pages of a company's website to read, and how a company's signals
//! are gathered from them: one per (vendor, category, type), the strongest.

use scraper::{Html, Selector};
use url::Url;

use super::detect::{Detected, strongest};
use crate::normalize::registrable_domain;

/// Pages read per company, the home page included.
pub const DEFAULT_MAX_PAGES: usize = 6;

/// Link words worth following, most telling first: job postings name the
/// systems a company runs; news and case studies announce go-lives; the
/// contact page carries portal links and forms.
const WANTED: &[&[&str]] = &[
    &[
        "career",
        "jobs",
        "employment",
        "join-our-team",
        "join-us",
        "work-with-us",
    ],
    &[
        "news",
        "press",
        "blog",
        "media",
        "case-stud",
        "success-stor",
        "customers",
    ],
    &["contact"],
    &["about", "company", "who-we-are"],
    &["leadership", "team", "management", "people"],
];

/// Same-site links of the home page worth reading, at most `max - 1` (the
/// home page is the first of `max`), ranked by the link words in `WANTED`.
pub fn pages_to_visit(home: &Url, html: &str, max: usize) -> Vec<Url> {
    let Ok(sel) = Selector::parse("a[href]") else {
        return Vec::new();
    };
    let site = home.host_str().and_then(registrable_domain);
    let doc = Html::parse_document(html);
    let mut ranked: Vec<(usize, Url)> = Vec::new();
    for a in doc.select(&sel) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let Ok(mut url) = home.join(href) else {
            continue;
        };
        url.set_fragment(None);
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().and_then(registrable_domain) != site
            || url.path() == home.path()
        {
            continue;
        }
        let text: String = a
            .text()
            .collect::<String>()
            .to_lowercase()
            .replace(' ', "-");
        let hay = format!("{} {text}", url.path().to_lowercase());
        let Some(rank) = WANTED
            .iter()
            .position(|words| words.iter().any(|w| hay.contains(w)))
        else {
            continue;
        };
        if !ranked.iter().any(|(_, u)| *u == url) {
            ranked.push((rank, url));
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked
        .into_iter()
        .map(|(_, u)| u)
        .take(max.saturating_sub(1))
        .collect()
}

/// One company's signals from all its pages: the strongest sighting of
/// each (vendor, category, type), with the page it was seen on.
pub fn gather(found: Vec<(Url, Detected)>) -> Vec<(Url, Detected)> {
    strongest(found, |(_, d)| d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn follows_telling_same_site_links_first() {
        let home = Url::parse("https://www.acme.example/").unwrap();
        let html = r#"<nav>
            <a href="/">Home</a><a href="/products/">Products</a>
            <a href="/contact/">Contact</a><a href="/about-us/#top">About</a>
            <a href="https://acme.example/careers">Careers</a>
            <a href="https://other.example/news/">Partner news</a>
            <a href="mailto:x@acme.example">Mail</a><a href="/newsroom/">Newsroom</a>
            <a href="/about-us/">About again</a></nav>"#;
        let got: Vec<String> = pages_to_visit(&home, html, 4)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            vec![
                "https://acme.example/careers",
                "https://www.acme.example/newsroom/",
                "https://www.acme.example/contact/",
            ]
        );
    }
}
