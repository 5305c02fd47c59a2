//! Firmographics from a company's own pages: founding year, employee count
//! or range in the many ways sites phrase them, products, industries served,
//! a description and a NAICS code chosen from the keyword table in
//! `assets/naics.toml` with the words that chose it.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

use super::{PageRole, SitePage};
use crate::enrich::Firmographics;
use crate::normalize::clean_text;
use crate::signals::detect::visible_text;

/// Words that name people employed, strongest first.
const STAFF_WORDS: &str = r"(?:full[- ]time\s+)?(?:employees|employee-owners|associates|team\s+members|staff(?:\s+members)?|workers|craftsmen|professionals|people)";

/// "250-499 employees", "10 to 49 people".
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(\d{{1,3}}(?:,\d{{3}})*|\d+)\s*(?:-|–|to)\s*(\d{{1,3}}(?:,\d{{3}})*|\d+)\s+(?:[a-z-]+\s+)?{STAFF_WORDS}\b"
    ))
});
/// "1,200+ employees".
static PLUS: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(\d{{1,3}}(?:,\d{{3}})*|\d+)\s*\+\s*(?:[a-z-]+\s+)?{STAFF_WORDS}\b"
    ))
});
/// "over 300 employees", "more than 40 skilled team members", "a team of
/// 37", "staff of 120", "37 dedicated employees", "employ 85 people".
static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:(over|more\s+than|nearly|almost|approximately|about|around|some|roughly|upwards\s+of)\s+)?(\d{{1,3}}(?:,\d{{3}})*|\d+)\s+(?:[a-z-]+\s+){{0,2}}?{STAFF_WORDS}\b"
    ))
});
static TEAM_OF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:team|staff|workforce|family)\s+of\s+(?:(over|more\s+than|nearly|almost|approximately|about|around|some)\s+)?(\d{1,3}(?:,\d{3})*|\d+)\b",
    )
});
/// "Employees: 120", "Number of employees: 50-99", "Company size: 51-200".
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:number\s+of\s+employees|employees|employee\s+count|company\s+size|headcount)\s*:\s*(\d{1,3}(?:,\d{3})*|\d+)\s*(?:(?:-|–|to)\s*(\d{1,3}(?:,\d{3})*|\d+)|(\+))?",
    )
});

/// "Founded in 1972", "Established 1985", "Est. 1990", "incorporated in
/// Ohio in 1948", "founded by two brothers in 1921".
static FOUNDED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\b(?:founded|established|incorporated|opened\s+(?:its|our)\s+doors)\b|\best\.)[^.\n]{0,40}?\b(1[89]\d\d|20\d\d)\b",
    )
});
/// "Since 1972", "in business since 1950": weaker, certifications excluded.
static SINCE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bsince\s+(1[89]\d\d|20\d\d)\b"));
/// Sentences where "since YEAR" dates something other than the company.
static SINCE_NOT_FOUNDING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:iso|certified|certification|registered|accredited|member|partner|award|as9100|iatf|nadcap|customer|supplier|retire|joined|serving\s+as)\b",
    )
});

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests below.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("built-in pattern compiles")
}

fn number(s: &str) -> Option<u32> {
    s.replace(',', "").parse().ok()
}

/// The standard employee-count bands (as CRMs and data providers use).
const BANDS: &[(u32, u32)] = &[
    (1, 9),
    (10, 49),
    (50, 99),
    (100, 249),
    (250, 499),
    (500, 999),
    (1000, 4999),
    (5000, 9999),
];

/// The band a count falls in, e.g. `100-249`, or `10000+`.
pub fn band_of(n: u32) -> String {
    BANDS
        .iter()
        .find(|(lo, hi)| (*lo..=*hi).contains(&n))
        .map(|(lo, hi)| format!("{lo}-{hi}"))
        .unwrap_or_else(|| "10000+".to_string())
}

/// Whether a band string (`50-99`, `10000+`) holds `n`.
pub fn band_holds(band: &str, n: u32) -> bool {
    if let Some(lo) = band.strip_suffix('+') {
        return lo.parse::<u32>().is_ok_and(|lo| n >= lo);
    }
    match band.split_once('-') {
        Some((lo, hi)) => match (lo.parse::<u32>(), hi.parse::<u32>()) {
            (Ok(lo), Ok(hi)) => (lo..=hi).contains(&n),
            _ => false,
        },
        None => false,
    }
}

/// An employee figure read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headcount {
    /// The count when the text gives one figure without "over" or "about".
    pub exact: Option<u32>,
    pub range: String,
    /// Higher is more trustworthy: a labelled field or "employees" beats
    /// "people".
    pub rank: u8,
}

fn plausible(n: u32) -> bool {
    (1..=500_000).contains(&n) && !(1800..=2100).contains(&n)
}

/// Every employee figure in `text`, best first.
pub fn headcounts(text: &str) -> Vec<Headcount> {
    let mut out = Vec::new();
    for c in LABELLED.captures_iter(text) {
        let Some(lo) = c.get(1).and_then(|m| number(m.as_str())) else {
            continue;
        };
        // "50-99" as given; "120" and "1,000+" by their band.
        let range = match c.get(2).and_then(|m| number(m.as_str())) {
            Some(hi) if hi > lo => format!("{lo}-{hi}"),
            _ => band_of(lo),
        };
        let exact = (c.get(2).is_none() && c.get(3).is_none()).then_some(lo);
        if plausible(lo) {
            out.push(Headcount {
                exact,
                range,
                rank: 5,
            });
        }
    }
    for c in RANGE.captures_iter(text) {
        if let (Some(lo), Some(hi)) = (number(&c[1]), number(&c[2]))
            && plausible(lo)
            && hi > lo
            && hi <= 500_000
        {
            out.push(Headcount {
                exact: None,
                range: format!("{lo}-{hi}"),
                rank: 4 + u8::from(!is_people(&c[0])),
            });
        }
    }
    for c in PLUS.captures_iter(text) {
        if let Some(n) = number(&c[1]).filter(|n| plausible(*n)) {
            out.push(Headcount {
                exact: None,
                range: band_of(n),
                rank: 3 + u8::from(!is_people(&c[0])),
            });
        }
    }
    for c in COUNT.captures_iter(text) {
        let Some(n) = number(&c[2]).filter(|n| plausible(*n)) else {
            continue;
        };
        // "20-30 people" is the range's; "5 axis" is not staff.
        let whole = c.get(0).map_or(0, |m| m.start());
        if text[..whole].trim_end().ends_with(['-', '–', '+']) {
            continue;
        }
        out.push(Headcount {
            exact: c.get(1).is_none().then_some(n),
            range: band_of(n),
            rank: 2 + u8::from(!is_people(&c[0])) * 2,
        });
    }
    for c in TEAM_OF.captures_iter(text) {
        if let Some(n) = number(&c[2]).filter(|n| plausible(*n)) {
            out.push(Headcount {
                exact: c.get(1).is_none().then_some(n),
                range: band_of(n),
                rank: 3,
            });
        }
    }
    out.sort_by_key(|h| std::cmp::Reverse(h.rank));
    out
}

fn is_people(s: &str) -> bool {
    s.to_ascii_lowercase().trim_end().ends_with("people")
}

/// A founding year read from text, with how sure the wording is.
pub fn founding_years(text: &str, this_year: i32) -> Vec<(u16, u8)> {
    let ok = |y: &str| {
        y.parse::<u16>()
            .ok()
            .filter(|y| i32::from(*y) <= this_year && *y >= 1800)
    };
    let mut out = Vec::new();
    for c in FOUNDED.captures_iter(text) {
        if let Some(y) = ok(&c[1]) {
            out.push((y, 3));
        }
    }
    for line in text.split(['\n', '.']) {
        if SINCE_NOT_FOUNDING.is_match(line) {
            continue;
        }
        for c in SINCE.captures_iter(line) {
            if let Some(y) = ok(&c[1]) {
                out.push((y, 2));
            }
        }
    }
    out
}

/// One NAICS entry of the keyword table.
#[derive(Debug, Clone, Deserialize)]
pub struct NaicsCode {
    pub code: String,
    pub title: String,
    pub keywords: Vec<String>,
}

#[derive(Deserialize)]
struct NaicsFile {
    naics: Vec<NaicsCode>,
}

/// The NAICS keyword table shipped in `assets/naics.toml`.
pub static NAICS: LazyLock<Vec<NaicsCode>> = LazyLock::new(|| {
    toml::from_str::<NaicsFile>(include_str!("../../../assets/naics.toml"))
        .map(|f| f.naics)
        .unwrap_or_default()
});

/// The NAICS code whose keywords the text names most (products and
/// industries count double), with the words that chose it.
pub fn naics_for(text: &str, products: &[String]) -> Option<(&'static NaicsCode, String)> {
    let text = text.to_lowercase();
    let products = products.join(" ; ").to_lowercase();
    let mut best: Option<(&NaicsCode, usize, Vec<&str>)> = None;
    for entry in NAICS.iter() {
        let mut score = 0;
        let mut words = Vec::new();
        for k in &entry.keywords {
            let in_text = contains_word(&text, k);
            let in_products = contains_word(&products, k);
            if in_text || in_products {
                score += usize::from(in_text) + 2 * usize::from(in_products);
                words.push(k.as_str());
            }
        }
        if score > 0 && best.as_ref().is_none_or(|(_, s, _)| score > *s) {
            best = Some((entry, score, words));
        }
    }
    best.map(|(e, _, words)| (e, format!("{}: {}", e.title, words.join(", "))))
}

fn contains_word(hay: &str, word: &str) -> bool {
    let mut from = 0;
    while let Some(at) = hay[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if edge(before) && (edge(after) || after == Some('s')) {
            return true;
        }
        from = end;
    }
    false
}

static HEADINGS: LazyLock<Selector> = LazyLock::new(|| sel("h1, h2, h3, h4, strong"));
static LIST_ITEMS: LazyLock<Selector> = LazyLock::new(|| sel("li"));
static META_DESCRIPTION: LazyLock<Selector> =
    LazyLock::new(|| sel(r#"meta[name="description"], meta[property="og:description"]"#));
static PARAGRAPHS: LazyLock<Selector> = LazyLock::new(|| sel("main p, p"));

fn sel(s: &str) -> Selector {
    #[allow(clippy::expect_used)]
    Selector::parse(s).expect("built-in selector parses")
}

/// The items of the first list after a heading that says `words`.
fn list_after_heading(doc: &Html, words: &[&str]) -> Vec<String> {
    for h in doc.select(&HEADINGS) {
        let title = h.text().collect::<String>().to_lowercase();
        if !words.iter().any(|w| title.contains(w)) {
            continue;
        }
        let mut next = h.next_sibling();
        while let Some(node) = next {
            if let Some(el) = ElementRef::wrap(node) {
                let name = el.value().name();
                if matches!(name, "ul" | "ol") {
                    return el
                        .select(&LIST_ITEMS)
                        .map(|li| clean_text(&li.text().collect::<String>()))
                        .filter(|t| !t.is_empty() && t.len() <= 80)
                        .take(30)
                        .collect();
                }
                if matches!(name, "h1" | "h2" | "h3" | "h4") {
                    break;
                }
            }
            next = node.next_sibling();
        }
    }
    Vec::new()
}

fn description(doc: &Html) -> Option<String> {
    let meta = doc
        .select(&META_DESCRIPTION)
        .filter_map(|m| m.value().attr("content"))
        .map(clean_text)
        .find(|t| t.len() >= 40);
    meta.or_else(|| {
        doc.select(&PARAGRAPHS)
            .map(|p| clean_text(&p.text().collect::<String>()))
            .find(|t| t.len() >= 40 && !t.contains('©'))
    })
    .map(|t| t.chars().take(400).collect())
}

/// Firmographics from the pages read; `None` when nothing was found.
pub fn firmographics(pages: &[SitePage], this_year: i32) -> Option<Firmographics> {
    let mut f = Firmographics::default();
    let mut best_count: Option<(Headcount, u8)> = None;
    let mut years: Vec<(u16, u8)> = Vec::new();
    let mut all_text = String::new();
    for page in pages {
        let doc = Html::parse_document(&page.html);
        let text = visible_text(&doc);
        // About and home pages speak for the company; others may quote
        // customers or news.
        let page_rank = match page.role {
            PageRole::About => 3,
            PageRole::Home => 2,
            PageRole::Careers | PageRole::News => 0,
            _ => 1,
        };
        if let Some(h) = headcounts(&text).into_iter().next() {
            let score = h.rank * 4 + page_rank;
            if best_count.as_ref().is_none_or(|(_, s)| score > *s) {
                best_count = Some((h, score));
            }
        }
        for (y, rank) in founding_years(&text, this_year) {
            years.push((y, rank * 4 + page_rank));
        }
        if matches!(
            page.role,
            PageRole::Home | PageRole::About | PageRole::Products
        ) {
            if f.products.is_empty() {
                f.products = list_after_heading(&doc, &["product", "capabilit", "services"]);
            }
            if f.industries_served.is_empty() {
                f.industries_served =
                    list_after_heading(&doc, &["industries", "markets served", "markets"]);
            }
            if page.role == PageRole::Home || f.description.is_none() {
                f.description = description(&doc).or(f.description.take());
            }
            all_text.push_str(&text);
            all_text.push('\n');
        }
    }
    if let Some((h, _)) = best_count {
        f.employee_count = h.exact;
        f.employee_range = Some(h.range);
    }
    // The best-ranked year; among equals the earliest, since "since" and
    // "established" date later events (a new plant) more often than earlier.
    years.sort_by_key(|(y, s)| (std::cmp::Reverse(*s), *y));
    f.founded_year = years.first().map(|(y, _)| *y);
    let mut products = f.products.clone();
    products.extend(f.industries_served.iter().cloned());
    if let Some((code, evidence)) = naics_for(&all_text, &products) {
        f.naics = Some(code.code.clone());
        f.industry = Some(code.title.clone());
        f.naics_evidence = Some(evidence);
    }
    (f.known_fields() > 0 || !f.products.is_empty()).then_some(f)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<(Option<u32>, String)> {
        headcounts(text)
            .into_iter()
            .next()
            .map(|h| (h.exact, h.range))
    }

    #[test]
    fn employee_counts_in_their_many_phrasings() {
        let cases: &[(&str, Option<u32>, &str)] = &[
            ("We have over 300 employees.", None, "250-499"),
            ("a team of 37 at our plant", Some(37), "10-49"),
            ("Today we employ 50-99 employees", None, "50-99"),
            ("with 412 dedicated employees", Some(412), "250-499"),
            ("more than 40 skilled team members", None, "10-49"),
            ("runs two shifts with 85 people.", Some(85), "50-99"),
            ("Employees: 1,200", Some(1200), "1000-4999"),
            ("Company size: 51-200", None, "51-200"),
            ("1,500+ employees worldwide", None, "1000-4999"),
            ("a staff of 120 craftsmen", Some(120), "100-249"),
            ("approximately 2,300 employee-owners", None, "1000-4999"),
        ];
        for (text, exact, range) in cases {
            assert_eq!(one(text), Some((*exact, range.to_string())), "{text}");
        }
    }

    #[test]
    fn numbers_that_are_not_headcounts_are_ignored() {
        for text in [
            "Founded in 1972 in Dayton.",
            "5-axis machining centers",
            "Call 800-555-0100 today",
            "ISO 9001:2015 certified",
            "Serving 500 customers in 12 countries",
        ] {
            assert_eq!(one(text), None, "{text}");
        }
    }

    #[test]
    fn founding_years_and_what_is_not_one() {
        let y = |t: &str| founding_years(t, 2026).first().map(|(y, _)| *y);
        assert_eq!(y("Founded in 1972, we grew."), Some(1972));
        assert_eq!(y("Established in 1948"), Some(1948));
        assert_eq!(y("Est. 1990"), Some(1990));
        assert_eq!(y("founded by two brothers in 1921"), Some(1921));
        assert_eq!(y("Family owned and operated since 1965"), Some(1965));
        assert_eq!(y("ISO 9001 certified since 2008"), None);
        assert_eq!(y("Founded in 2099"), None);
        assert_eq!(y("Our 1,200 employees"), None);
    }

    #[test]
    fn bands_hold_their_counts() {
        assert_eq!(band_of(37), "10-49");
        assert_eq!(band_of(12_000), "10000+");
        assert!(band_holds("50-99", 50) && band_holds("50-99", 99));
        assert!(!band_holds("50-99", 100));
        assert!(band_holds("1000+", 4000));
    }

    #[test]
    fn naics_from_products_with_evidence() {
        let (code, evidence) = naics_for(
            "We make precision stampings for automotive customers.",
            &["Progressive die stampings".into(), "Washers".into()],
        )
        .unwrap();
        assert_eq!(code.code, "332119");
        assert!(evidence.contains("stamping"), "{evidence}");
        assert!(naics_for("Hello world", &[]).is_none());
    }
}
