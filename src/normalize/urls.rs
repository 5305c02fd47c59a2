//! URL normalization so no page is fetched twice: fragments and tracking
//! parameters are dropped (the order of the rest is kept), empty paths become `/`,
//! duplicate slashes collapse, scheme and host are lower-cased (by `url`).
//! Trailing-slash twins (`/dir` and `/dir/`) are caught by the frontier.

use url::Url;

/// Query parameters that only track the visitor and never change the page.
const TRACKING: &[&str] = &[
    "gclid",
    "fbclid",
    "msclkid",
    "dclid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "igshid",
    "ref",
    "ref_src",
    "hsctatracking",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "sessionid",
    "phpsessid",
    "jsessionid",
    "sid",
];

fn is_tracking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_") || TRACKING.contains(&k.as_str())
}

/// Extensions that are never HTML pages worth fetching.
const SKIP_EXT: &[&str] = &[
    "pdf", "jpg", "jpeg", "png", "gif", "svg", "webp", "ico", "css", "js", "zip", "gz", "tgz",
    "rar", "7z", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "mp3", "mp4", "mov", "avi", "wmv",
    "woff", "woff2", "ttf", "eot", "exe", "dmg", "iso", "ics", "vcf",
];

/// Why a URL cannot be crawled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a valid URL: {0}")]
    Invalid(String),
    #[error("only http and https URLs can be crawled, not {0}:")]
    Scheme(String),
    #[error("URL has no host")]
    NoHost,
}

/// Parses and normalizes an absolute URL.
pub fn normalize(raw: &str) -> Result<Url, UrlError> {
    let u = Url::parse(raw.trim()).map_err(|e| UrlError::Invalid(format!("{raw:?}: {e}")))?;
    normalize_url(u)
}

/// Resolves `href` against `base` and normalizes it.
pub fn resolve(base: &Url, href: &str) -> Result<Url, UrlError> {
    let href = href.trim();
    let u = base
        .join(href)
        .map_err(|e| UrlError::Invalid(format!("{href:?}: {e}")))?;
    normalize_url(u)
}

fn normalize_url(mut u: Url) -> Result<Url, UrlError> {
    match u.scheme() {
        "http" | "https" => {}
        s => return Err(UrlError::Scheme(s.to_string())),
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if let Some(host) = u.host_str()
        && host.ends_with('.')
    {
        let h = host.trim_end_matches('.').to_string();
        let _ = u.set_host(Some(&h));
    }
    // Collapse `//` in the path.
    if u.path().contains("//") {
        let mut p = u.path().to_string();
        while p.contains("//") {
            p = p.replace("//", "/");
        }
        u.set_path(&p);
    }
    if u.query().is_some() {
        // Parameter order is kept: robots.txt rules match the query as the
        // site writes it (`Disallow: /search?q=`), so reordering could
        // slip past a rule.
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    Ok(u)
}

/// True when the URL points at a file type that is never an HTML page.
pub fn is_asset(u: &Url) -> bool {
    let last = u.path().rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((_, ext)) => SKIP_EXT.contains(&ext.to_ascii_lowercase().as_str()),
        None => false,
    }
}

/// The registrable domain of a URL's host (`www.pma.org` -> `pma.org`), or
/// the host itself for IPs and hosts without a known suffix.
pub fn domain_of(u: &Url) -> String {
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    crate::normalize::registrable_domain(&host).unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_fragment_and_tracking_keeps_query_order() {
        let u = normalize("HTTP://WWW.Example.COM/Dir/?utm_source=x&b=2&a=1&fbclid=z#top").unwrap();
        assert_eq!(u.as_str(), "http://www.example.com/Dir/?b=2&a=1");
    }

    #[test]
    fn empty_path_and_default_port_and_double_slash() {
        assert_eq!(
            normalize("https://example.com:443").unwrap().as_str(),
            "https://example.com/"
        );
        assert_eq!(
            normalize("http://example.com//a//b").unwrap().as_str(),
            "http://example.com/a/b"
        );
        assert_eq!(
            normalize("http://example.com/?utm_medium=mail")
                .unwrap()
                .as_str(),
            "http://example.com/"
        );
    }

    #[test]
    fn resolves_relative_and_rejects_other_schemes() {
        let base = Url::parse("http://pma.example/directory/?page=1").unwrap();
        assert_eq!(
            resolve(&base, "?page=2").unwrap().as_str(),
            "http://pma.example/directory/?page=2"
        );
        assert_eq!(
            resolve(&base, "../about/#x").unwrap().as_str(),
            "http://pma.example/about/"
        );
        assert!(matches!(
            resolve(&base, "mailto:a@b.c"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(
            resolve(&base, "javascript:void(0)"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(normalize("not a url"), Err(UrlError::Invalid(_))));
    }

    #[test]
    fn assets_and_domains() {
        assert!(is_asset(
            &Url::parse("http://a.example/x/doc-1.PDF").unwrap()
        ));
        assert!(!is_asset(
            &Url::parse("http://a.example/members/acme").unwrap()
        ));
        assert_eq!(
            domain_of(&Url::parse("http://www.pma.example/x").unwrap()),
            "pma.example"
        );
        assert_eq!(
            domain_of(&Url::parse("https://shop.acme.co.uk/").unwrap()),
            "acme.co.uk"
        );
    }
}
