//! Contacts from a company's own pages: people on team and leadership
//! pages matched against the target titles, the addresses the site
//! publishes, and the email pattern those addresses reveal.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};

use super::{PageRole, SitePage};
use crate::enrich::Contact;
use crate::enrich::leads::{TitleTable, is_role_address, name_from_email};
use crate::normalize::clean_text;
use crate::signals::detect::visible_text;

/// Words of job titles (a line with one of these reads as a title).
const TITLE_WORDS: &[&str] = &[
    "president",
    "vp",
    "director",
    "manager",
    "officer",
    "chief",
    "head",
    "controller",
    "comptroller",
    "owner",
    "founder",
    "partner",
    "engineer",
    "supervisor",
    "superintendent",
    "ceo",
    "cfo",
    "coo",
    "cio",
    "cto",
    "chairman",
    "chair",
    "treasurer",
    "secretary",
    "lead",
    "specialist",
    "coordinator",
    "administrator",
    "principal",
    "executive",
    "gm",
];

/// Words that make a line something other than a person's name.
const NOT_NAME_WORDS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "corp",
    "co",
    "company",
    "team",
    "our",
    "leadership",
    "meet",
    "contact",
    "about",
    "the",
    "and",
    "of",
    "manufacturing",
    "industries",
    "services",
    "group",
    "board",
    "staff",
    "management",
    "home",
    "news",
    "careers",
    "products",
    "sales",
    "phone",
    "email",
    "fax",
    "us",
    "welcome",
    "privacy",
    "policy",
    "quality",
    "engineering",
    "department",
    "to",
];

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"(?i)\b[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9][a-z0-9.-]{0,253}\.[a-z]{2,24}\b")
        .expect("built-in pattern compiles")
});

static MAILTO: LazyLock<Selector> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Selector::parse(r#"a[href^="mailto:" i]"#).expect("built-in selector parses")
});

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .collect()
}

/// A line that reads as a person's name: two to four capitalised words of
/// letters, none a title or company word.
pub fn name_like(line: &str) -> bool {
    let line = line.trim();
    if line.len() < 4 || line.len() > 40 || line.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let parts: Vec<&str> = line.split_whitespace().collect();
    if !(2..=4).contains(&parts.len()) {
        return false;
    }
    let capitalised = parts.iter().all(|p| {
        p.chars().next().is_some_and(char::is_uppercase)
            && p.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '-' | ','))
    });
    capitalised
        && !words(line)
            .iter()
            .any(|w| TITLE_WORDS.contains(&w.as_str()) || NOT_NAME_WORDS.contains(&w.as_str()))
}

/// A line that reads as a job title.
pub fn title_like(line: &str, titles: &TitleTable) -> bool {
    let line = line.trim();
    if line.is_empty() || line.len() > 80 {
        return false;
    }
    titles.target(line).is_some()
        || crate::enrich::leads::normalize_title(line)
            .split(' ')
            .any(|w| TITLE_WORDS.contains(&w))
}

/// A person seen on a page: name and title.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Person {
    name: String,
    title: String,
    url: String,
}

/// People named in a page's visible text.
fn people_on(url: &str, text: &str, titles: &TitleTable) -> Vec<Person> {
    let lines: Vec<String> = text
        .split('\n')
        .map(clean_text)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out: Vec<Person> = Vec::new();
    let mut push = |name: &str, title: &str| {
        let name = name.trim().trim_end_matches(',').to_string();
        if !out.iter().any(|p| p.name == name) {
            out.push(Person {
                name,
                title: title.trim().to_string(),
                url: url.to_string(),
            });
        }
    };
    for (i, line) in lines.iter().enumerate() {
        // "Jane Doe" then "Plant Manager" (or the other way round).
        if name_like(line) {
            if let Some(next) = lines.get(i + 1).filter(|l| title_like(l, titles)) {
                push(line, next);
                continue;
            }
            if let Some(prev) = i
                .checked_sub(1)
                .and_then(|p| lines.get(p))
                .filter(|l| title_like(l, titles) && !name_like(l))
                && lines.get(i.wrapping_sub(2)).is_none_or(|l| !name_like(l))
            {
                push(line, prev);
                continue;
            }
        }
        // "Jane Doe, Plant Manager", "Jane Doe - Plant Manager".
        for sep in [", ", " - ", " – ", " | ", " — "] {
            if let Some((a, b)) = line.split_once(sep)
                && name_like(a)
                && title_like(b, titles)
            {
                push(a, b);
                break;
            }
        }
    }
    out
}

/// Adds the addresses a page publishes (mailto links and text),
/// lower-cased, to `out`.
fn emails_on(doc: &Html, text: &str, out: &mut BTreeSet<String>) {
    for a in doc.select(&MAILTO) {
        if let Some(href) = a.value().attr("href") {
            let addr = href[7..].split('?').next().unwrap_or_default();
            out.insert(addr.trim().to_lowercase());
        }
    }
    for m in EMAIL.find_iter(text) {
        out.insert(m.as_str().to_lowercase());
    }
}

/// Whether an address is valid and on the company's own domain (when known).
fn own_address(email: &str, domain: Option<&str>) -> bool {
    email_address::EmailAddress::is_valid(email)
        && domain.is_none_or(|d| {
            let host = email.rsplit('@').next().unwrap_or_default();
            host == d || host.ends_with(&format!(".{d}"))
        })
}

/// Email patterns nam recognises, as written in `Findings::email_pattern`.
const PATTERNS: &[&str] = &[
    "{first}.{last}",
    "{first}{last}",
    "{f}{last}",
    "{first}_{last}",
    "{first}-{last}",
    "{f}.{last}",
    "{first}{l}",
    "{last}.{first}",
    "{last}{f}",
    "{first}",
    "{last}",
];

fn ascii_word(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect()
}

/// The local part `pattern` gives for a person.
fn apply(pattern: &str, first: &str, last: &str) -> Option<String> {
    let (first, last) = (ascii_word(first), ascii_word(last));
    let (f, l) = (first.get(..1)?, last.get(..1)?);
    Some(
        pattern
            .replace("{first}", &first)
            .replace("{last}", &last)
            .replace("{f}", f)
            .replace("{l}", l),
    )
}

fn split_name(full: &str) -> (String, String) {
    let parts: Vec<&str> = full
        .split_whitespace()
        .filter(|p| !p.ends_with('.') || p.len() > 2)
        .collect();
    match parts.as_slice() {
        [] => (String::new(), String::new()),
        [one] => ((*one).to_string(), String::new()),
        [first, .., last] => ((*first).to_string(), (*last).to_string()),
    }
}

/// The pattern that turns the most known names into published addresses
/// (a two-letter first name or single-letter pattern alone proves little,
/// so `{first}` and `{last}` need two matches).
fn infer_pattern(people: &[(String, String)], locals: &BTreeSet<String>) -> Option<&'static str> {
    let mut best: Option<(&str, usize)> = None;
    for p in PATTERNS {
        let hits = people
            .iter()
            .filter(|(f, l)| apply(p, f, l).is_some_and(|x| locals.contains(&x)))
            .count();
        let needed = if matches!(*p, "{first}" | "{last}") {
            2
        } else {
            1
        };
        if hits >= needed && best.is_none_or(|(_, h)| hits > h) {
            best = Some((p, hits));
        }
    }
    best.map(|(p, _)| p)
}

/// Target-title contacts (best titles first, at most `max`), then people
/// named only by a published address; and the email pattern.
pub fn contacts(
    pages: &[SitePage],
    titles: &TitleTable,
    domain: Option<&str>,
    max: usize,
) -> (Vec<Contact>, Option<String>) {
    let mut people: Vec<Person> = Vec::new();
    let mut emails = BTreeSet::new();
    // Each page parsed once: its addresses, and on team, about and contact
    // pages its people.
    for page in pages {
        let doc = Html::parse_document(&page.html);
        let text = visible_text(&doc);
        emails_on(&doc, &text, &mut emails);
        if matches!(
            page.role,
            PageRole::Team | PageRole::About | PageRole::Contact
        ) {
            for p in people_on(page.url.as_str(), &text, titles) {
                if !people.iter().any(|q| q.name == p.name) {
                    people.push(p);
                }
            }
        }
    }
    emails.retain(|e| own_address(e, domain));
    let email_domain = domain.map(str::to_string).or_else(|| {
        emails
            .iter()
            .next()
            .and_then(|e| e.split('@').nth(1))
            .map(str::to_string)
    });
    let locals: BTreeSet<String> = emails
        .iter()
        .filter_map(|e| e.split('@').next().map(str::to_string))
        .collect();
    let names: Vec<(String, String)> = people.iter().map(|p| split_name(&p.name)).collect();
    let pattern = infer_pattern(&names, &locals);
    let email_of = |first: &str, last: &str| -> Option<(String, bool)> {
        let d = email_domain.as_deref()?;
        // A published address first; else the pattern's guess.
        for p in PATTERNS {
            if let Some(local) = apply(p, first, last)
                && locals.contains(&local)
                && !matches!(*p, "{first}" | "{last}")
            {
                return Some((format!("{local}@{d}"), true));
            }
        }
        let local = apply(pattern?, first, last)?;
        Some((format!("{local}@{d}"), locals.contains(&local)))
    };
    let mut out: Vec<(i32, Contact)> = Vec::new();
    for (p, (first, last)) in people.iter().zip(&names) {
        let Some(target) = titles.target(&p.title) else {
            continue;
        };
        let email = email_of(first, last);
        out.push((
            target.score,
            Contact {
                full_name: p.name.clone(),
                first_name: Some(first.clone()).filter(|s| !s.is_empty()),
                last_name: Some(last.clone()).filter(|s| !s.is_empty()),
                title: Some(p.title.clone()),
                confidence: match &email {
                    Some((_, true)) => 0.9,
                    Some((_, false)) => 0.7,
                    None => 0.8,
                },
                email_source: email.as_ref().map(|(_, published)| {
                    if *published { "published" } else { "inferred" }.to_string()
                }),
                email: email.map(|(e, _)| e),
                source_url: Some(p.url.clone()),
                ..Default::default()
            },
        ));
    }
    out.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    let mut contacts: Vec<Contact> = out.into_iter().map(|(_, c)| c).take(max).collect();
    // People the site names only through an address.
    for e in &emails {
        if contacts.len() >= max {
            break;
        }
        if is_role_address(e) || contacts.iter().any(|c| c.email.as_deref() == Some(e)) {
            continue;
        }
        if let Some((first, last)) = name_from_email(e) {
            let full = format!("{first} {last}");
            if contacts
                .iter()
                .any(|c| c.full_name.eq_ignore_ascii_case(&full))
            {
                continue;
            }
            contacts.push(Contact {
                full_name: full,
                first_name: Some(first),
                last_name: Some(last),
                email: Some(e.clone()),
                email_source: Some("published".into()),
                source_url: pages.first().map(|p| p.url.to_string()),
                confidence: 0.5,
                ..Default::default()
            });
        }
    }
    let pattern = pattern.zip(email_domain).map(|(p, d)| format!("{p}@{d}"));
    (contacts, pattern)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use url::Url;

    fn page(path: &str, html: &str) -> SitePage {
        let url = Url::parse(&format!("https://www.acme.example{path}")).unwrap();
        SitePage {
            role: PageRole::of(&url),
            url,
            html: html.into(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn team_page_people_with_target_titles_and_inferred_emails() {
        let titles = TitleTable::builtin().unwrap();
        let pages = vec![
            page("/", "<h1>Acme</h1>"),
            page(
                "/leadership/",
                "<h1>Leadership Team</h1><div><h3>Jane Doe</h3><p>President &amp; CEO</p></div>\
                 <div><h3>Bob Lee</h3><p>Quality Manager</p></div>\
                 <div><p>Ann Marie Kowalski, Plant Manager</p></div>\
                 <div><h3>Raj Patel</h3><p>Vice President, IT</p></div>",
            ),
            page(
                "/contact/",
                "<p>Sales: <a href=\"mailto:sales@acme.example\">sales@acme.example</a></p>\
                 <p>Jane: <a href=\"mailto:jane.doe@acme.example\">jane.doe@acme.example</a></p>\
                 <p>Write to tom.hardy@acme.example</p>",
            ),
        ];
        let (contacts, pattern) = contacts(&pages, &titles, Some("acme.example"), 5);
        assert_eq!(pattern.as_deref(), Some("{first}.{last}@acme.example"));
        let names: Vec<&str> = contacts.iter().map(|c| c.full_name.as_str()).collect();
        // VP IT (28) > CEO (22) > Plant Manager (15); the quality manager
        // is not a target; Tom Hardy comes from an address alone.
        assert_eq!(
            names,
            ["Raj Patel", "Jane Doe", "Ann Marie Kowalski", "Tom Hardy"]
        );
        assert_eq!(contacts[1].email.as_deref(), Some("jane.doe@acme.example"));
        assert!(contacts[1].confidence > contacts[0].confidence);
        assert_eq!(contacts[0].email.as_deref(), Some("raj.patel@acme.example"));
        assert_eq!(contacts[3].title, None);
        let (few, _) = super::contacts(&pages, &titles, Some("acme.example"), 2);
        assert_eq!(few.len(), 2);
    }

    #[test]
    fn names_and_titles_are_told_apart() {
        assert!(name_like("Jane Doe"));
        assert!(name_like("Mary-Ann O'Neil"));
        assert!(!name_like("Leadership Team"));
        assert!(!name_like("Acme Stamping Inc"));
        assert!(!name_like("Plant Manager"));
        assert!(!name_like("Call 555 0100"));
    }
}
