//! Competitor signals in one page: vendor fingerprints in the markup,
//! headers and cookies (the site runs the product), and vendor names in
//! the visible text, read in the context of their sentence (uses, hiring,
//! evaluating, partner, sponsor; replaced or compared is no signal at all).

use std::sync::LazyLock;

use scraper::{Html, Node, Selector};
use url::Url;

use super::vendors::{Alias, Named, Place, VendorTable};
use crate::normalize::html::{is_block, is_skip};
use crate::normalize::text::clean_text;

/// What a mention says about the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    Uses,
    Evaluating,
    Hiring,
    Partner,
    Sponsor,
    /// Named, with nothing around it that says more.
    Mention,
}

impl SignalType {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalType::Uses => "uses",
            SignalType::Evaluating => "evaluating",
            SignalType::Hiring => "hiring",
            SignalType::Partner => "partner",
            SignalType::Sponsor => "sponsor",
            SignalType::Mention => "mention",
        }
    }

    /// How much a signal of this type says about the company's stack.
    fn strength(self) -> f64 {
        match self {
            SignalType::Uses => 0.75,
            SignalType::Hiring => 0.6,
            SignalType::Evaluating => 0.5,
            SignalType::Partner => 0.45,
            SignalType::Sponsor => 0.35,
            SignalType::Mention => 0.15,
        }
    }
}

/// What kind of page a signal came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Careers,
    News,
    /// An event's sponsor or exhibitor list.
    Sponsors,
    Other,
}

impl PageKind {
    /// From the URL path and the page title.
    pub fn of(url: &Url, title: &str) -> PageKind {
        let hay = format!("{} {}", url.path(), title).to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| hay.contains(w));
        if has(&[
            "career",
            "jobs",
            "job-",
            "employment",
            "join-our-team",
            "join our team",
        ]) {
            PageKind::Careers
        } else if has(&["sponsor", "exhibitor"]) {
            PageKind::Sponsors
        } else if has(&[
            "news",
            "press",
            "blog",
            "case-stud",
            "case stud",
            "media",
            "story",
        ]) {
            PageKind::News
        } else {
            PageKind::Other
        }
    }
}

/// A page to read: its final URL, its decoded HTML and the response
/// headers worth fingerprinting (`Set-Cookie`, `X-Powered-By`, `Server`, ...).
pub struct PageInput<'a> {
    pub url: &'a Url,
    pub html: &'a str,
    pub headers: &'a [(String, String)],
}

/// One signal found in a page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detected {
    pub vendor: String,
    pub product: Option<String>,
    pub category: String,
    pub signal_type: SignalType,
    /// script, header, cookie, meta, url or text.
    pub evidence_kind: &'static str,
    /// Sanitized snippet: the markup that matched, or the words around the
    /// name.
    pub snippet: String,
    pub strength: f64,
    pub confidence: f64,
}

/// Characters of context kept on each side of a name in a snippet.
const SNIPPET_SIDE: usize = 90;
/// How far before a name a cue may stand, in bytes of the sentence.
const CUE_BEFORE: usize = 110;
/// How far after a name a cue may stand.
const CUE_AFTER: usize = 45;

/// Every signal in `page`, one per (vendor, category, type): the strongest.
pub fn detect(table: &VendorTable, page: &PageInput<'_>) -> Vec<Detected> {
    let doc = Html::parse_document(page.html);
    let title = title_of(&doc);
    let kind = PageKind::of(page.url, &title);
    let mut found = Vec::new();
    markup_signals(table, &doc, &mut found);
    header_signals(table, page.headers, &mut found);
    for sentence in sentences(&visible_text(&doc)) {
        text_signals(table, &sentence, kind, &mut found);
    }
    strongest(found, |d| d)
}

/// One item per (vendor, category, type): the first of the strongest
/// sightings, with a product taken from a weaker one when it names none.
/// `detected` finds the signal in an item (a page's signals, or a site's
/// signals paired with their pages).
pub fn strongest<T>(found: Vec<T>, detected: impl Fn(&mut T) -> &mut Detected) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for mut item in found {
        let d = detected(&mut item);
        let same = out.iter_mut().position(|o| {
            let o = detected(o);
            o.vendor == d.vendor && o.category == d.category && o.signal_type == d.signal_type
        });
        match same {
            Some(i) if d.strength > detected(&mut out[i]).strength => out[i] = item,
            Some(i) => {
                let product = d.product.take();
                let o = detected(&mut out[i]);
                if o.product.is_none() {
                    o.product = product;
                }
            }
            None => out.push(item),
        }
    }
    out
}

/// Elements whose attribute can carry a fingerprint, and where it counts.
static MARKUP: LazyLock<Vec<(Selector, &'static str, Place)>> = LazyLock::new(|| {
    [
        ("script[src]", "src", Place::Script),
        ("a[href]", "href", Place::Url),
        ("form[action]", "action", Place::Url),
        ("iframe[src]", "src", Place::Url),
        ("link[href]", "href", Place::Url),
        ("meta[content]", "content", Place::Meta),
        ("img[src]", "src", Place::Url),
    ]
    .into_iter()
    .filter_map(|(css, attr, place)| Some((Selector::parse(css).ok()?, attr, place)))
    .collect()
});
static INLINE_SCRIPT: LazyLock<Option<Selector>> =
    LazyLock::new(|| Selector::parse("script:not([src])").ok());
static TITLE: LazyLock<Option<Selector>> = LazyLock::new(|| Selector::parse("title").ok());

fn title_of(doc: &Html) -> String {
    TITLE
        .as_ref()
        .and_then(|s| doc.select(s).next().map(|e| e.text().collect::<String>()))
        .map(|t| clean_text(&t))
        .unwrap_or_default()
}

fn fingerprint_hit(named: &Named, place: Place, snippet: &str) -> Detected {
    Detected {
        vendor: named.vendor.clone(),
        product: named.product.clone(),
        category: named.category.clone(),
        signal_type: SignalType::Uses,
        evidence_kind: place.as_str(),
        snippet: clip(&clean_text(snippet), 2 * SNIPPET_SIDE),
        // A tag or cookie is put there by the product itself.
        strength: if place == Place::Url { 0.8 } else { 0.9 },
        confidence: 0.95,
    }
}

/// Script sources and inline scripts, link targets and meta content.
fn markup_signals(table: &VendorTable, doc: &Html, out: &mut Vec<Detected>) {
    for (sel, attr, place) in MARKUP.iter() {
        let (attr, place) = (*attr, *place);
        for el in doc.select(sel) {
            let Some(value) = el.value().attr(attr) else {
                continue;
            };
            let lower = value.to_ascii_lowercase();
            // A script's own URL can carry a fingerprint filed under either place.
            for f in table
                .fingerprints
                .iter()
                .filter(|f| f.place == place || (place == Place::Script && f.place == Place::Url))
            {
                if lower.contains(&f.pattern) {
                    let name = el.value().name();
                    out.push(fingerprint_hit(
                        &f.named,
                        place,
                        &format!("<{name} {attr}=\"{value}\">"),
                    ));
                }
            }
        }
    }
    if let Some(sel) = INLINE_SCRIPT.as_ref() {
        for el in doc.select(sel) {
            let code: String = el.text().collect();
            // ASCII lowercasing keeps byte offsets, so a match's position
            // holds in the original code too.
            let lower = code.to_ascii_lowercase();
            for f in table
                .fingerprints
                .iter()
                .filter(|f| f.place == Place::Script)
            {
                if let Some(at) = lower.find(&f.pattern) {
                    // About 40 bytes each side, moved out to a space
                    // nearby so words stay whole (minified code has none).
                    let from = floor_boundary(&code, at.saturating_sub(40));
                    let near = floor_boundary(&code, from.saturating_sub(20));
                    let from = code[near..from]
                        .rfind(char::is_whitespace)
                        .map_or(from, |i| near + i + 1);
                    let to = ceil_boundary(&code, at + f.pattern.len() + 40);
                    let far = ceil_boundary(&code, to + 20);
                    let to = code[to..far]
                        .find(char::is_whitespace)
                        .map_or(to, |i| to + i);
                    out.push(fingerprint_hit(&f.named, Place::Script, &code[from..to]));
                }
            }
        }
    }
}

/// `Set-Cookie` names against cookie fingerprints; every header line
/// against header fingerprints.
fn header_signals(table: &VendorTable, headers: &[(String, String)], out: &mut Vec<Detected>) {
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("set-cookie") {
            let cookie = value.split('=').next().unwrap_or("").trim().to_lowercase();
            for f in table
                .fingerprints
                .iter()
                .filter(|f| f.place == Place::Cookie)
            {
                if cookie.starts_with(&f.pattern) {
                    out.push(fingerprint_hit(
                        &f.named,
                        Place::Cookie,
                        &format!("Set-Cookie: {cookie}"),
                    ));
                }
            }
        }
        let line = format!("{name}: {value}").to_lowercase();
        for f in table
            .fingerprints
            .iter()
            .filter(|f| f.place == Place::Header)
        {
            if line.contains(&f.pattern) {
                out.push(fingerprint_hit(
                    &f.named,
                    Place::Header,
                    &format!("{name}: {value}"),
                ));
            }
        }
    }
}

/// The page's visible text with a line break at every block boundary
/// (scripts, styles, form controls and the head left out).
pub fn visible_text(doc: &Html) -> String {
    let mut out = String::new();
    let mut stack = vec![(doc.tree.root(), false)];
    while let Some((node, leaving)) = stack.pop() {
        match node.value() {
            Node::Text(t) if !leaving => out.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if is_skip(name) {
                    continue;
                }
                let block = is_block(name);
                if block {
                    out.push('\n');
                }
                if !leaving {
                    if block {
                        stack.push((node, true));
                    }
                    let children: Vec<_> = node.children().collect();
                    stack.extend(children.into_iter().rev().map(|c| (c, false)));
                }
            }
            _ if !leaving => {
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            _ => {}
        }
    }
    out
}

/// Whether the company's own name carries the vendor's name as whole words
/// ("Oracle Tool & Die" says "Oracle" all over its site without running
/// Oracle). Product names are not checked: many are ordinary words
/// ("Kinetic") and come with the vendor's name in front.
pub fn names_vendor(company: &str, vendor: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (company, vendor) = (words(company), words(vendor));
    !vendor.is_empty()
        && company
            .windows(vendor.len())
            .any(|w| w == vendor.as_slice())
}

/// Sentences: split at line breaks and at `.`, `!`, `?` followed by a
/// space and a capital (so "Inc." and "S/4HANA." stay whole enough).
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = clean_text(line);
        if line.is_empty() {
            continue;
        }
        let bytes = line.as_bytes();
        let mut start = 0;
        for i in 0..bytes.len() {
            let end_mark = matches!(bytes[i], b'.' | b'!' | b'?');
            let next_space = bytes.get(i + 1) == Some(&b' ');
            let next_cap = bytes.get(i + 2).is_some_and(|b| b.is_ascii_uppercase());
            if end_mark && next_space && next_cap && !is_abbreviation(&line[start..i]) {
                out.push(line[start..=i].to_string());
                start = i + 2;
            }
        }
        if start < line.len() {
            out.push(line[start..].to_string());
        }
    }
    out
}

/// Whether the word ending at a full stop is an abbreviation ("vs.",
/// "Inc.", "e.g.") rather than the end of a sentence.
fn is_abbreviation(before_dot: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &[
        "vs", "inc", "co", "corp", "ltd", "llc", "st", "mr", "ms", "mrs", "dr", "no", "e.g", "i.e",
        "approx", "dept", "jr", "sr", "u.s",
    ];
    let word = before_dot
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    ABBREVIATIONS.contains(&word.as_str())
}

/// A cue: words that change what a nearby vendor name means.
struct Cues {
    /// Before the name: the company left it ("switched from X"), unless the
    /// name is where it went ("switched from X to Y").
    leaving: &'static [&'static str],
    /// Before the name: it was compared, retired, is a competitor.
    negation_before: &'static [&'static str],
    /// After the name: it "was replaced", is an "alternative".
    negation_after: &'static [&'static str],
    /// Between a leaving cue and the name, these mean the name is where
    /// the company went ("switched from X to Y", "replaced X with Y").
    arrival: &'static [&'static str],
    evaluating: &'static [&'static str],
    partner: &'static [&'static str],
    sponsor: &'static [&'static str],
    uses: &'static [&'static str],
    /// Words that make a bare ambiguous name ("Sage", "Plex") software.
    software: &'static [&'static str],
}

const CUES: Cues = Cues {
    leaving: &[
        "replac",
        "migrated from",
        "migrating from",
        "moved off",
        "moving off",
        "moved away from",
        "moving away from",
        "switched from",
        "switching from",
        "transitioned from",
        "transition from",
        "upgraded from",
        "converted from",
    ],
    negation_before: &[
        "unlike",
        "instead of",
        "rather than",
        "compared to",
        "compared with",
        "compare ",
        "compared ",
        "compares ",
        "comparison",
        "versus",
        " vs",
        "alternative to",
        "alternatives to",
        "no longer",
        "retired",
        "retiring",
        "sunset",
        "legacy",
        "former",
        "outgrew",
        "outgrown",
        "phased out",
        "phasing out",
        "competitor",
    ],
    negation_after: &[
        "was replaced",
        "were replaced",
        "is being replaced",
        "being replaced",
        " vs",
        "versus",
        "alternative",
        "competitor",
        "was retired",
        "was phased out",
        "is no longer",
        "was sunset",
        "compare",
    ],
    arrival: &[" to ", " with ", " by ", " for "],
    evaluating: &[
        "evaluating",
        "evaluate",
        "considering",
        "selecting",
        "selection process",
        "shortlist",
        "request for proposal",
        "rfp",
        "demo of",
        "demos of",
        "looking at",
        "reviewing",
        "assessing",
    ],
    partner: &[
        "partner",
        "reseller",
        "authorized",
        "authorised",
        "certified",
        "value-added",
        "implementation services",
    ],
    sponsor: &["sponsor", "sponsored by", "thanks to our sponsors"],
    uses: &[
        "we use",
        "we run",
        "runs on",
        "running on",
        "run on",
        "powered by",
        "went live",
        "go-live",
        "go live",
        "goes live",
        "implemented",
        "our ",
        "using",
        "uses ",
        "based on",
        "standardized on",
        "standardised on",
        "migrated to",
        "moved to",
        "switched to",
        "upgraded to",
        "chose",
        "selected",
        "deployed",
        "rolled out",
        "in-house",
    ],
    software: &[
        "erp",
        "mrp",
        "crm",
        "accounting",
        "software",
        "system",
        "platform",
        "module",
        "implementation",
        "go-live",
        "cloud",
        "saas",
        "database",
        "license",
    ],
};

fn has_any(hay: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| hay.contains(c))
}

/// Vendor names in one sentence, each read in its context.
fn text_signals(table: &VendorTable, sentence: &str, kind: PageKind, out: &mut Vec<Detected>) {
    let names: Vec<(usize, usize, &Alias)> = table.find_names(sentence).collect();
    if names.is_empty() {
        return;
    }
    // ASCII lowercasing keeps byte offsets, so name positions hold in both.
    let lower = sentence.to_ascii_lowercase();
    for (i, &(start, end, alias)) in names.iter().enumerate() {
        if alias.ambiguous && !is_software_sense(table, sentence, &lower, end) {
            continue;
        }
        // The name's own words are not cues ("Global Shop Solutions").
        let before = &lower[floor_boundary(&lower, start.saturating_sub(CUE_BEFORE))..start];
        let after = &lower[end..ceil_boundary(&lower, end + CUE_AFTER)];
        // A following name closes the window after this one.
        let after = match names.get(i + 1) {
            Some(&(next, _, _)) if next < end + after.len() => &after[..next - end],
            _ => after,
        };
        let Some(signal_type) = classify(before, after, kind) else {
            continue;
        };
        out.push(Detected {
            vendor: alias.named.vendor.clone(),
            product: alias.named.product.clone(),
            category: alias.named.category.clone(),
            signal_type,
            evidence_kind: "text",
            snippet: snippet(sentence, start, end),
            strength: signal_type.strength(),
            confidence: if signal_type == SignalType::Mention {
                0.5
            } else {
                0.8
            },
        });
    }
}

/// What a name means given the words before and after it (lowercased);
/// `None`: it was replaced, left or compared, which says nothing about use.
fn classify(before: &str, after: &str, kind: PageKind) -> Option<SignalType> {
    // "chose Y over X", "X vs. Y", "better than X": the word just before.
    let last_word = before.trim_end();
    if ["over", "vs.", "vs", "versus", "than", "unlike"]
        .iter()
        .any(|w| {
            last_word.ends_with(w)
                && !last_word[..last_word.len() - w.len()].ends_with(char::is_alphanumeric)
        })
    {
        return None;
    }
    let nearest = |cues: &[&'static str]| {
        cues.iter()
            .filter_map(|c| before.rfind(c).map(|at| (at, *c)))
            .max_by_key(|(at, _)| *at)
    };
    if nearest(CUES.negation_before).is_some() {
        return None;
    }
    let mut arrived = false;
    if let Some((at, cue)) = nearest(CUES.leaving) {
        // "switched from X to Y", "replaced X with Y": Y is where they went.
        let between = &before[at + cue.len()..];
        arrived = CUES.arrival.iter().any(|a| between.contains(a));
        if !arrived {
            return None;
        }
    }
    if has_any(after, CUES.negation_after) {
        return None;
    }
    if has_any(before, CUES.evaluating) {
        return Some(SignalType::Evaluating);
    }
    if kind == PageKind::Careers {
        return Some(SignalType::Hiring);
    }
    if has_any(before, CUES.partner) || has_any(after, CUES.partner) {
        return Some(SignalType::Partner);
    }
    if kind == PageKind::Sponsors || has_any(before, CUES.sponsor) {
        return Some(SignalType::Sponsor);
    }
    if arrived
        || has_any(before, CUES.uses)
        || after.trim_start().starts_with("erp")
        || after.contains(" system")
    {
        return Some(SignalType::Uses);
    }
    Some(SignalType::Mention)
}

/// A bare "Sage" or "Plex" is software only before a product name or in a
/// sentence about software, and never when a capitalised word follows
/// (a person: "Sage Whitfield").
fn is_software_sense(table: &VendorTable, sentence: &str, lower: &str, end: usize) -> bool {
    if table.is_product_at(sentence, end) {
        return true;
    }
    let next_word = sentence[end..].trim_start_matches([' ', '\u{a0}']);
    let surname = next_word.chars().next().is_some_and(char::is_uppercase)
        && !next_word.starts_with("ERP")
        && !next_word.starts_with("MES")
        && !next_word.starts_with("CRM");
    !surname && has_any(lower, CUES.software)
}

fn snippet(sentence: &str, start: usize, end: usize) -> String {
    let from = floor_boundary(sentence, start.saturating_sub(SNIPPET_SIDE));
    let to = ceil_boundary(sentence, end + SNIPPET_SIDE);
    let mut s = String::new();
    if from > 0 {
        s.push('…');
    }
    s.push_str(&sentence[from..to]);
    if to < sentence.len() {
        s.push('…');
    }
    clean_text(&s)
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let to = floor_boundary(s, max);
    format!("{}…", &s[..to])
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(
        path: &str,
        html: &str,
        headers: &[(&str, &str)],
    ) -> Vec<(String, String, &'static str, &'static str)> {
        let table = VendorTable::builtin().unwrap();
        let url = Url::parse(&format!("https://www.acme.example{path}")).unwrap();
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        let mut got: Vec<_> = detect(
            &table,
            &PageInput {
                url: &url,
                html,
                headers: &headers,
            },
        )
        .into_iter()
        .map(|d| {
            (
                d.vendor,
                d.category,
                d.signal_type.as_str(),
                d.evidence_kind,
            )
        })
        .collect();
        got.sort();
        got
    }

    fn page(body: &str) -> String {
        format!("<html><head><title>News</title></head><body><main>{body}</main></body></html>")
    }

    #[test]
    fn markup_headers_and_cookies_mean_use() {
        let html = r#"<html><head><script src="//js.hs-scripts.com/42.js"></script>
            <script>piAId = '1'; s.src = 'https://pi.pardot.com/pd.js';</script></head>
            <body><a href="https://acme.epicorsaas.com/EpicorERP/Apps/">Portal</a></body></html>"#;
        let got = run(
            "/",
            html,
            &[
                ("Set-Cookie", "_mkto_trk=id:1; Path=/"),
                ("Server", "sfdcedge"),
            ],
        );
        assert_eq!(
            got,
            vec![
                ("Epicor".into(), "erp".into(), "uses", "url"),
                ("HubSpot".into(), "crm".into(), "uses", "script"),
                ("Marketo".into(), "marketing".into(), "uses", "cookie"),
                ("Salesforce".into(), "crm".into(), "uses", "header"),
                ("Salesforce".into(), "marketing".into(), "uses", "script"),
            ]
        );
    }

    #[test]
    fn text_is_read_in_context() {
        let html = page(
            "<p>After a six-month implementation, Acme went live on Epicor Kinetic, replacing an aging JobBOSS installation.</p>\
             <p>We are evaluating Acumatica and SYSPRO for the new plant.</p>\
             <p>Why we chose Plex over QAD as our ERP.</p>\
             <p>Unlike Infor, nobody here likes spreadsheets.</p>",
        );
        let got = run("/news/", &html, &[]);
        assert_eq!(
            got,
            vec![
                ("Acumatica".into(), "erp".into(), "evaluating", "text"),
                ("Epicor".into(), "erp".into(), "uses", "text"),
                ("Plex".into(), "erp".into(), "uses", "text"),
                ("SYSPRO".into(), "erp".into(), "evaluating", "text"),
            ]
        );
    }

    #[test]
    fn negations_and_comparisons_are_not_use() {
        let html = page(
            "<h2>SAP vs. Oracle NetSuite: which ERP fits a job shop?</h2>\
             <p>We migrated from Global Shop Solutions to Acumatica last year.</p>\
             <p>Our old Sage 100 system was replaced in 2019.</p>\
             <p>The project retired our legacy IQMS servers.</p>\
             <p>We compared Epicor with Infor before deciding to wait.</p>",
        );
        let got = run("/blog/erp-notes/", &html, &[]);
        assert_eq!(
            got,
            vec![("Acumatica".into(), "erp".into(), "uses", "text")]
        );
    }

    #[test]
    fn other_senses_of_a_name_are_not_signals() {
        let html = page(
            "<p>Please welcome Sage Whitfield, our new controller.</p>\
             <p>New Plexiglas guards protect complex fixtures; the plex of cables is gone.</p>\
             <p>Maple sap season is here and the oracle of Delphi approves.</p>\
             <p>Information technology and informed decisions.</p>",
        );
        assert_eq!(run("/news/", &html, &[]), vec![]);
        // The same names as software are signals.
        let html = page("<p>Month-end closes in Sage 100.</p><p>Plex runs our MES and ERP.</p>");
        let got = run("/news/", &html, &[]);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn careers_pages_are_hiring_and_partners_and_sponsors_are_named() {
        let html = page(
            "<div class=job><h3>Planner</h3><p>Keep the schedule in our Epicor Kinetic ERP system. Experience with Epicor strongly preferred.</p></div>",
        );
        let mut careers = run("/careers/", &html, &[]);
        careers.dedup();
        assert_eq!(
            careers,
            vec![("Epicor".into(), "erp".into(), "hiring", "text")]
        );
        let html = page(
            "<p>Acme Systems is a certified Acumatica Gold Partner.</p><p>Thanks to our sponsors: HubSpot.</p>",
        );
        let got = run("/about/", &html, &[]);
        assert_eq!(
            got,
            vec![
                ("Acumatica".into(), "erp".into(), "partner", "text"),
                ("HubSpot".into(), "crm".into(), "sponsor", "text"),
            ]
        );
        assert_eq!(
            run("/", &page("<p>Salesforce.</p>"), &[]),
            vec![("Salesforce".into(), "crm".into(), "mention", "text")]
        );
    }

    #[test]
    fn snippets_are_clean_and_short() {
        let table = VendorTable::builtin().unwrap();
        let url = Url::parse("https://www.acme.example/news/").unwrap();
        let long = "word ".repeat(100);
        let html = page(&format!(
            "<p>{long} we run Epicor \u{1b}[31mKinetic {long}</p>"
        ));
        let d = detect(
            &table,
            &PageInput {
                url: &url,
                html: &html,
                headers: &[],
            },
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].snippet.contains("we run Epicor"), "{}", d[0].snippet);
        assert!(!d[0].snippet.contains('\u{1b}'));
        assert!(d[0].snippet.chars().count() < 200, "{}", d[0].snippet.len());
    }
}
