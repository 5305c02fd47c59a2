//! Reading a listed domain's site: find the address that answers (https and
//! http, with and without `www.`), read its home page politely, and take
//! the company's name, address and phone from it.

use scraper::{Html, Selector};
use url::Url;

use crate::crawl::PoliteFetcher;
use crate::store::SiteCompany;

/// The addresses tried for a domain, in order: the URL given (if any),
/// then https and http, each bare and with `www.`.
pub fn candidates(domain: &str, given: Option<&str>) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    if let Some(u) = given.and_then(|g| Url::parse(g).ok()) {
        out.push(u);
    }
    for scheme in ["https", "http"] {
        for host in [domain.to_string(), format!("www.{domain}")] {
            if let Ok(u) = Url::parse(&format!("{scheme}://{host}/"))
                && !out
                    .iter()
                    .any(|o| o.scheme() == u.scheme() && o.host_str() == u.host_str())
            {
                out.push(u);
            }
        }
    }
    out
}

/// Reads `domain`'s home page and what it says about the company. The
/// error says what every address tried answered.
pub async fn read_site(
    fetcher: &PoliteFetcher,
    domain: &str,
    given: Option<&str>,
) -> Result<SiteCompany, String> {
    let mut tried: Vec<String> = Vec::new();
    for url in candidates(domain, given) {
        let origin = match fetcher.probe(&url).await {
            Ok(o) => o,
            Err(e) => {
                tried.push(format!("{e:#}"));
                continue;
            }
        };
        // The page given, on the origin that answered; else its home page.
        let page_url = if url.path() != "/" && same_host(&url, &origin) {
            url.clone()
        } else {
            origin.clone()
        };
        let page = match fetcher.get_html(&page_url).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(format!("{page_url} is not an HTML page")),
            // The site answered: its failure is the domain's answer.
            Err(e) => return Err(format!("{e:#}")),
        };
        let mut site = company_from_page(&page.html, domain);
        let mut home = page.url.clone();
        home.set_path("/");
        home.set_query(None);
        site.website = home.to_string();
        return Ok(site);
    }
    Err(format!(
        "no answer over https or http, with or without www ({})",
        tried.join("; ")
    ))
}

fn same_host(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str()
}

/// Words in a title segment that say nothing about whose site it is.
const GENERIC: &[&str] = &[
    "home",
    "homepage",
    "home page",
    "welcome",
    "official site",
    "official website",
    "index",
    "main",
];

fn text_of(doc: &Html, css: &str) -> Option<String> {
    let sel = Selector::parse(css).ok()?;
    doc.select(&sel)
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty())
}

fn attr_of(doc: &Html, css: &str, attr: &str) -> Option<String> {
    let sel = Selector::parse(css).ok()?;
    doc.select(&sel)
        .filter_map(|e| e.value().attr(attr))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty())
}

/// The name a JSON-LD Organization (or a subtype) gives.
fn json_ld_name(doc: &Html) -> Option<String> {
    let sel = Selector::parse(r#"script[type="application/ld+json"]"#).ok()?;
    for s in doc.select(&sel) {
        let text: String = s.text().collect();
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let items: Vec<&serde_json::Value> = match &v {
            serde_json::Value::Array(a) => a.iter().collect(),
            o => match o.get("@graph").and_then(|g| g.as_array()) {
                Some(g) => g.iter().collect(),
                None => vec![o],
            },
        };
        for it in items {
            let ty = it.get("@type").map(|t| t.to_string()).unwrap_or_default();
            let org = [
                "Organization",
                "Corporation",
                "LocalBusiness",
                "Manufacturer",
            ]
            .iter()
            .any(|k| ty.contains(k));
            if org && let Some(n) = it.get("name").and_then(|n| n.as_str()) {
                let n = n.trim();
                if !n.is_empty() {
                    return Some(n.to_string());
                }
            }
        }
    }
    None
}

/// Lower-case letters and digits of a text, in words.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(str::to_lowercase)
        .collect()
}

/// The part of a `<title>` that names the site: split on the usual
/// separators, generic parts dropped, the part sharing most words with the
/// domain kept (the last one when none does: "Products | Acme").
fn name_from_title(title: &str, domain: &str) -> Option<String> {
    let mut parts: Vec<String> = vec![title.to_string()];
    for sep in [" | ", " - ", " – ", " — ", " :: ", " · ", ": "] {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    let parts: Vec<String> = parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty() && !GENERIC.contains(&p.to_lowercase().as_str()))
        .collect();
    let label = domain.split('.').next().unwrap_or(domain).replace('-', " ");
    let dwords = words(&label);
    let overlap = |p: &String| {
        words(p)
            .iter()
            .filter(|w| dwords.iter().any(|d| d == *w || d.starts_with(w.as_str())))
            .count()
    };
    let best = parts.iter().max_by_key(|p| overlap(p))?;
    if overlap(best) > 0 {
        return Some(best.clone());
    }
    parts.last().cloned()
}

/// `keller-stamping.com` -> "Keller Stamping".
fn name_from_domain(domain: &str) -> String {
    let label = domain.split('.').next().unwrap_or(domain);
    label
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The company a home page describes: name (og:site_name, JSON-LD, title,
/// then the domain), and the first address and phone of its footer or
/// contact block.
pub fn company_from_page(html: &str, domain: &str) -> SiteCompany {
    let doc = Html::parse_document(html);
    let (name, source) =
        if let Some(n) = attr_of(&doc, r#"meta[property="og:site_name"]"#, "content") {
            (n, "og:site_name")
        } else if let Some(n) = json_ld_name(&doc) {
            (n, "json-ld")
        } else if let Some(n) = text_of(&doc, "title").and_then(|t| name_from_title(&t, domain)) {
            (n, "title")
        } else if let Some(n) = attr_of(&doc, r#"meta[name="application-name"]"#, "content") {
            (n, "application-name")
        } else {
            (name_from_domain(domain), "domain")
        };
    let mut site = SiteCompany {
        name,
        name_source: source.to_string(),
        domain: domain.to_string(),
        ..Default::default()
    };
    // Where sites put who and where they are.
    let blocks: Vec<String> = [
        "address",
        "[itemtype*='PostalAddress']",
        "footer",
        ".site-footer",
        "[class*='address']",
        "[class*='contact']",
        "[id*='contact']",
    ]
    .iter()
    .filter_map(|css| {
        let sel = Selector::parse(css).ok()?;
        let parts: Vec<String> = doc
            .select(&sel)
            .map(|e| e.text().collect::<Vec<_>>().join("\n"))
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    })
    .collect();
    for block in &blocks {
        if site.state.is_none()
            && let Some(a) = address_in(block)
        {
            site.street = a.street;
            site.city = a.city;
            site.state = a.state;
            site.postal_code = a.postal_code;
            site.country = a.country;
        }
        if site.phone.is_none() {
            site.phone = crate::normalize::phone::find_phone(block)
                .and_then(crate::normalize::phone::normalize_phone);
        }
    }
    site
}

/// The first postal address in a block of text whose pieces are split by
/// lines, `·`, `|` or bullets: each piece, and each piece with the next
/// (street, then locality), is tried.
fn address_in(block: &str) -> Option<crate::normalize::address::Address> {
    let pieces: Vec<String> = block
        .split(['\n', '·', '|', '•'])
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty() && s.len() < 120)
        .collect();
    let parse = crate::normalize::address::parse_address;
    for i in 0..pieces.len() {
        if let Some(next) = pieces.get(i + 1)
            && crate::normalize::address::looks_like_street(&pieces[i])
            && let Some(a) = parse(&format!("{}, {next}", pieces[i]))
            && a.state.is_some()
        {
            return Some(a);
        }
        if let Some(a) = parse(&pieces[i])
            && a.state.is_some()
            && a.postal_code.is_some()
        {
            return Some(a);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn candidates_try_the_given_url_then_https_and_http_with_and_without_www() {
        let c: Vec<String> = candidates("acme.com", None)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            c,
            [
                "https://acme.com/",
                "https://www.acme.com/",
                "http://acme.com/",
                "http://www.acme.com/"
            ]
        );
        let c = candidates("acme.com", Some("http://www.acme.com/about"));
        assert_eq!(c[0].as_str(), "http://www.acme.com/about");
        assert_eq!(c.len(), 4, "the given origin is not tried twice");
    }

    #[test]
    fn names_come_from_the_best_source_on_the_page() {
        let og = r#"<html><head><meta property="og:site_name" content="Acme Gear Co."><title>Home - Whatever</title></head></html>"#;
        assert_eq!(company_from_page(og, "acme-gear.com").name, "Acme Gear Co.");
        let ld = r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Site"},{"@type":"Organization","name":"Keller Forge Inc."}]}</script><title>x</title>"#;
        let s = company_from_page(ld, "kellerforge.com");
        assert_eq!(
            (s.name.as_str(), s.name_source.as_str()),
            ("Keller Forge Inc.", "json-ld")
        );
        let t = "<title>Home - Keller Precision Stamping, Inc.</title>";
        assert_eq!(
            company_from_page(t, "keller-stamping.example").name,
            "Keller Precision Stamping, Inc."
        );
        let t = "<title>Capabilities | Northfield Castings</title>";
        assert_eq!(
            company_from_page(t, "nfc.com").name,
            "Northfield Castings",
            "no overlap: the last part"
        );
        let none = "<html><body><p>hi</p></body></html>";
        let s = company_from_page(none, "blue-river-tool.com");
        assert_eq!(
            (s.name.as_str(), s.name_source.as_str()),
            ("Blue River Tool", "domain")
        );
    }

    #[test]
    fn address_and_phone_come_from_the_footer() {
        let html = r#"<html><body><main><p>We ship to 40 states.</p></main>
<footer class="site-footer"><p>Keller Stamping Inc. &middot; 4410 Harbor Rd, Suite 200 &middot; Dayton, OH 45402 &middot; (937) 224-0142</p></footer></body></html>"#;
        let s = company_from_page(html, "keller-stamping.com");
        assert_eq!(s.state.as_deref(), Some("OH"));
        assert_eq!(s.city.as_deref(), Some("Dayton"));
        assert_eq!(s.postal_code.as_deref(), Some("45402"));
        assert!(
            s.street.as_deref().unwrap().starts_with("4410 Harbor"),
            "{s:?}"
        );
        assert_eq!(s.phone.as_deref(), Some("+19372240142"));
    }
}
