//! Normalizers every stage shares: company names to comparison keys, URLs to
//! registrable domains, phones, postal addresses, emails, untrusted text and
//! page charsets. A neutral module: it depends on no stage, so the crawler,
//! extraction, the store and import can all use it without cycles.

pub mod address;
pub mod charset;
pub mod email;
pub mod html;
pub mod phone;
pub mod text;
pub mod urls;

pub use address::{Address, parse_address};
pub use email::normalize_email;
pub use phone::normalize_phone;
pub use text::clean_text;

/// Legal-form words dropped from the comparison key (after abbreviation expansion).
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "l l c",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "lp",
    "llp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "ulc",
    "pllc",
];

/// Abbreviations expanded so that "Mfg." and "Manufacturing" compare equal.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("mfg", "manufacturing"),
    ("mfrs", "manufacturers"),
    ("intl", "international"),
    ("natl", "national"),
    ("assoc", "associates"),
    ("bros", "brothers"),
    ("eng", "engineering"),
    ("engr", "engineering"),
    ("tech", "technologies"),
    ("technology", "technologies"),
    ("prod", "products"),
    ("inds", "industries"),
    ("ind", "industries"),
    ("svcs", "services"),
    ("sys", "systems"),
    ("mach", "machine"),
];

/// A comparison key for a company name: ASCII-folded, lower case, `&` as
/// "and", punctuation and legal suffixes dropped, a leading "the" removed,
/// common abbreviations expanded. The display name is kept separately.
pub fn name_key(name: &str) -> String {
    // One pass: fold to ASCII, lower case, `&` as "and", apostrophes
    // dropped, other punctuation a space.
    let folded = deunicode::deunicode_with_tofu_cow(name, "[?]");
    let mut cleaned = String::with_capacity(folded.len() + 8);
    for c in folded.chars() {
        match c {
            '&' => cleaned.push_str(" and "),
            '\'' => {}
            c if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_lowercase()),
            _ => cleaned.push(' '),
        }
    }
    // Runs of single letters ("L.L.C.", "A. B. C.") become one word: words
    // as ranges of `merged`, letters of a run appended to the last one.
    let mut merged = String::with_capacity(cleaned.len());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut prev_single = false;
    for w in cleaned.split_whitespace() {
        let single = w.len() == 1 && w.as_bytes()[0].is_ascii_alphabetic();
        merged.push_str(w);
        match spans.last_mut() {
            Some(last) if single && prev_single => last.1 = merged.len(),
            _ => spans.push((merged.len() - w.len(), merged.len())),
        }
        prev_single = single;
    }
    let mut words: Vec<&str> = spans.iter().map(|(a, b)| &merged[*a..*b]).collect();
    if words.first() == Some(&"the") && words.len() > 1 {
        words.remove(0);
    }
    for w in &mut words {
        if let Some((_, full)) = ABBREVIATIONS.iter().find(|(a, _)| a == w) {
            *w = full;
        }
    }
    // Drop trailing legal forms ("Acme Tool Co Inc"), keeping at least one word.
    let two_word_form = |a: &str, b: &str| {
        LEGAL_SUFFIXES
            .iter()
            .any(|s| s.split_once(' ') == Some((a, b)))
    };
    while words.len() > 1 {
        let last = words[words.len() - 1];
        if LEGAL_SUFFIXES.contains(&last) {
            words.pop();
        } else if words.len() > 2 && two_word_form(words[words.len() - 2], last) {
            words.truncate(words.len() - 2);
        } else {
            break;
        }
    }
    words.join(" ")
}

/// The registrable domain ("eTLD+1") of a URL or host name, lower case,
/// without `www.`. `None` for IP addresses and unparseable input.
pub fn registrable_domain(url_or_host: &str) -> Option<String> {
    let s = url_or_host.trim();
    if s.is_empty() {
        return None;
    }
    let with_scheme = if s.contains("://") {
        s.to_owned()
    } else {
        format!("http://{s}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    let host = match url.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_lowercase(),
        _ => return None,
    };
    let domain = psl::domain(host.as_bytes())?;
    // psl accepts a bare suffix as its own domain for unknown TLDs; require a label.
    let d = std::str::from_utf8(domain.as_bytes()).ok()?.to_owned();
    if d.contains('.') { Some(d) } else { None }
}

/// A website as an absolute http(s) URL: relative links resolve against
/// `base`, bare host names ("www.acme.com") get `http://`. `None` for other
/// schemes and junk.
pub fn normalize_website(s: &str, base: Option<&url::Url>) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t.len() > 2048 || t.contains(char::is_whitespace) {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let parsed = if lower.starts_with("http://") || lower.starts_with("https://") {
        url::Url::parse(t).ok()?
    } else if lower.starts_with("//") {
        url::Url::parse(&format!("http:{t}")).ok()?
    } else if lower.contains(':') && !lower.starts_with("www.") {
        return None; // mailto:, tel:, javascript:, ...
    } else if looks_like_host(t) {
        url::Url::parse(&format!("http://{t}")).ok()?
    } else {
        base?.join(t).ok()?
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    parsed.host_str()?;
    Some(parsed.to_string())
}

/// "www.acme.com", "acme-tool.example/about": a host name with a dot and a
/// letters-only last label.
pub fn looks_like_host(s: &str) -> bool {
    let host = s.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|l| l.len() >= 2 && l.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn name_key_variants() {
        let k = name_key("Baker & Sons Mfg. Co.");
        assert_eq!(k, "baker and sons manufacturing");
        assert_eq!(name_key("BAKER AND SONS MANUFACTURING COMPANY"), k);
        assert_eq!(name_key("Baker and Sons Manufacturing, L.L.C."), k);
        assert_eq!(name_key("The Baker & Sons Mfg Corp."), k);
        assert_eq!(name_key("Baker & Sons Manufacturing Incorporated"), k);
        assert_eq!(name_key("baker-and-sons manufacturing inc"), k);
        assert_ne!(name_key("Bakar & Sons Mfg. Co."), k, "typos stay distinct");
        assert_ne!(name_key("Baker & Son Mfg. Co."), k);
        assert_eq!(name_key("The Company"), "company");
        assert_eq!(name_key(""), "");
    }

    #[test]
    fn websites() {
        let base = url::Url::parse("http://pma.example/members/").unwrap();
        assert_eq!(
            normalize_website("www.acme.com", None).as_deref(),
            Some("http://www.acme.com/")
        );
        assert_eq!(
            normalize_website("https://Acme.com/x", None).as_deref(),
            Some("https://acme.com/x")
        );
        assert_eq!(
            normalize_website("/members/acme", Some(&base)).as_deref(),
            Some("http://pma.example/members/acme")
        );
        assert_eq!(normalize_website("mailto:a@b.com", Some(&base)), None);
        assert_eq!(normalize_website("javascript:void(0)", Some(&base)), None);
        assert_eq!(normalize_website("Acme Tool", None), None);
    }

    #[test]
    fn name_variants_share_a_key() {
        let k = name_key("Acme Stamping & Mfg., Inc.");
        assert_eq!(k, "acme stamping and manufacturing");
        assert_eq!(name_key("ACME STAMPING AND MANUFACTURING INC"), k);
        assert_eq!(name_key("The Acme Stamping and Manufacturing Co."), k);
        assert_eq!(name_key("Acme Stamping & Manufacturing, LLC"), k);
        assert_ne!(name_key("Acme Forge Inc."), k);
        assert_eq!(name_key("Co"), "co");
        assert_eq!(name_key("Müller's Gear Works GmbH"), "mullers gear works");
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain("https://www.Acme.com/about"),
            Some("acme.com".into())
        );
        assert_eq!(
            registrable_domain("shop.acme.co.uk"),
            Some("acme.co.uk".into())
        );
        assert_eq!(
            registrable_domain("http://acme-stamping.example:8080/"),
            Some("acme-stamping.example".into())
        );
        assert_eq!(registrable_domain("http://127.0.0.1:80/"), None);
        assert_eq!(registrable_domain("not a url"), None);
        assert_eq!(registrable_domain(""), None);
    }
}

#[cfg(test)]
mod clean_tests {
    use super::clean_text;

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(
            clean_text("Acme\u{1b}[31m Red\u{1b}[0m\tInc.\r\n"),
            "Acme Red Inc."
        );
        assert_eq!(clean_text("\u{1b}]0;pwned\u{7}Title"), "Title");
        assert_eq!(clean_text("  a \u{0} b  "), "a b");
    }
}
