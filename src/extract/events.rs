//! Event pages: name, dates, venue and the exhibitors, sponsors (with tier)
//! and speakers (with title and affiliation) listed under their headings.

use std::sync::LazyLock;

use chrono::NaiveDate;
use ego_tree::NodeRef;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

use super::dom::{block_of, heading_level, is_noise};
use super::generic::label::{find_booth, is_sentence, is_social};
use super::{ExtractContext, PageCtx};
use crate::model::{EventRecord, FieldProvenance, ParticipantRecord, ParticipantRole};
use crate::normalize::text::clean_text;
use crate::normalize::{name_key, normalize_website, parse_address, registrable_domain};

const MONTHS: &str = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

static RANGE_FULL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)(?-u:\b){MONTHS}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\s*(?:[-–—]|to|through|until)\s*{MONTHS}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})")).ok()
});
static RANGE_SHORT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)(?-u:\b){MONTHS}\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:[-–—]|to|through|until)\s*(?:{MONTHS}\s+)?(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})")).ok()
});
static SINGLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b){MONTHS}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})"
    ))
    .ok()
});
static ISO: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(\d{4})-(\d{2})-(\d{2})(?-u:\b)(?:\s*(?:[-–—/]|to|through)\s*(\d{4})-(\d{2})-(\d{2})(?-u:\b))?",
    )
    .ok()
});

fn month(s: &str) -> Option<u32> {
    let m = s.get(..3)?.to_lowercase();
    let i = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|x| *x == m)?;
    Some(i as u32 + 1)
}

fn ymd(y: &str, m: u32, d: &str) -> Option<String> {
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m, d.parse().ok()?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// The first date or date range in `text`, as ISO (start, end).
pub fn parse_date_range(text: &str) -> Option<(String, String)> {
    if let Some(c) = RANGE_FULL.as_ref().and_then(|r| r.captures(text)) {
        let s = ymd(&c[3], month(&c[1])?, &c[2])?;
        let e = ymd(&c[6], month(&c[4])?, &c[5])?;
        return Some((s, e));
    }
    if let Some(c) = RANGE_SHORT.as_ref().and_then(|r| r.captures(text)) {
        let m1 = month(&c[1])?;
        let m2 = c.get(3).and_then(|m| month(m.as_str())).unwrap_or(m1);
        let s = ymd(&c[5], m1, &c[2])?;
        let e = ymd(&c[5], m2, &c[4])?;
        return Some((s, e));
    }
    if let Some(c) = ISO.as_ref().and_then(|r| r.captures(text)) {
        let s = ymd(&c[1], c[2].parse().ok()?, &c[3])?;
        let e = match (c.get(4), c.get(5), c.get(6)) {
            (Some(y), Some(m), Some(d)) => ymd(y.as_str(), m.as_str().parse().ok()?, d.as_str())?,
            _ => s.clone(),
        };
        return Some((s, e));
    }
    if let Some(c) = SINGLE.as_ref().and_then(|r| r.captures(text)) {
        let s = ymd(&c[3], month(&c[1])?, &c[2])?;
        return Some((s.clone(), s));
    }
    None
}

pub fn has_date(text: &str) -> bool {
    parse_date_range(text).is_some()
}

/// Whether the first part of the page's text carries a date.
pub fn page_has_date(doc: &Html) -> bool {
    let text: String = doc
        .root_element()
        .text()
        .take(400)
        .collect::<Vec<_>>()
        .join(" ");
    has_date(&text)
}

fn role_of(heading: &str) -> Option<(ParticipantRole, Option<String>)> {
    let h = heading.to_lowercase();
    if h.contains("sponsor") {
        let tier: Vec<&str> = heading
            .split_whitespace()
            .filter(|w| {
                let l = w.to_lowercase();
                !l.starts_with("sponsor")
                    && !matches!(
                        l.as_str(),
                        "our" | "the" | "and" | "level" | "tier" | "&" | "event" | "show"
                    )
            })
            .collect();
        let tier = (!tier.is_empty()).then(|| tier.join(" "));
        return Some((ParticipantRole::Sponsor, tier));
    }
    if h.contains("exhibitor") {
        return Some((ParticipantRole::Exhibitor, None));
    }
    if h.contains("speaker") || h.contains("presenter") || h.contains("keynote") {
        return Some((ParticipantRole::Speaker, None));
    }
    None
}

fn tier_heading(h: &str) -> Option<String> {
    let words = [
        "platinum",
        "gold",
        "silver",
        "bronze",
        "diamond",
        "titanium",
        "premier",
        "presenting",
        "supporting",
        "media",
        "partner",
    ];
    let l = h.to_lowercase();
    (words.iter().any(|w| l.contains(w)) && h.split_whitespace().count() <= 4).then(|| {
        h.split_whitespace()
            .filter(|w| !w.eq_ignore_ascii_case("level") && !w.eq_ignore_ascii_case("tier"))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn is_heading(n: &NodeRef<'_, Node>) -> bool {
    n.value()
        .as_element()
        .is_some_and(|e| heading_level(e.name()).is_some())
}

/// The item elements of a section: list items, table rows, or repeated children.
fn items_of<'a>(el: ElementRef<'a>) -> Vec<ElementRef<'a>> {
    let by = |s: &str| {
        Selector::parse(s)
            .ok()
            .map(|s| el.select(&s).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    if matches!(el.value().name(), "li" | "tr") {
        return vec![el];
    }
    let lis = by("li");
    if !lis.is_empty() {
        return lis;
    }
    let trs: Vec<ElementRef<'a>> = by("tr")
        .into_iter()
        .filter(|r| r.child_elements().any(|c| c.value().name() == "td"))
        .collect();
    if !trs.is_empty() {
        return trs;
    }
    let kids: Vec<ElementRef<'a>> = el.child_elements().collect();
    if kids.len() >= 2 {
        return kids;
    }
    vec![el]
}

fn participant(
    item: ElementRef<'_>,
    role: ParticipantRole,
    tier: &Option<String>,
    pc: &PageCtx,
) -> Option<ParticipantRecord> {
    let block = block_of(&[*item], true);
    let mut lines: Vec<String> = block.lines.iter().map(|l| l.text.clone()).collect();
    if lines.is_empty() {
        // Logo-only sponsors: the image's alt text.
        let alt = Selector::parse("img[alt]")
            .ok()
            .and_then(|s| item.select(&s).next())
            .and_then(|i| i.value().attr("alt"))
            .map(clean_text);
        lines.extend(alt.filter(|a| !a.is_empty()));
    }
    let domain = block
        .links
        .iter()
        .filter_map(|l| normalize_website(&l.href, pc.base.as_ref()))
        .filter_map(|u| registrable_domain(&u))
        .find(|d| !pc.is_own_domain(d) && !is_social(d));
    let all = lines.join(" | ");
    let booth = find_booth(&all);
    let mut p = ParticipantRecord {
        role,
        company_name: None,
        company_domain: domain,
        sponsor_tier: if role == ParticipantRole::Sponsor {
            tier.clone()
        } else {
            None
        },
        booth: None,
        person_name: None,
        person_title: None,
        source_url: pc.source_url.clone(),
        confidence: 0.8,
    };
    match role {
        ParticipantRole::Speaker => {
            let parts: Vec<String> = if lines.len() >= 2 {
                let mut v = vec![lines[0].clone()];
                // "Title, Company" on one line.
                if lines.len() == 2 {
                    match lines[1].rsplit_once(", ") {
                        Some((t, c)) => v.extend([t.to_owned(), c.to_owned()]),
                        None => v.push(lines[1].clone()),
                    }
                } else {
                    v.extend(lines[1..].iter().cloned());
                }
                v
            } else {
                lines
                    .first()?
                    .split([',', '—', '–', '|'])
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            p.person_name = parts.first().cloned();
            p.person_title = parts.get(1).cloned();
            p.company_name = parts.get(2).cloned();
            p.person_name.as_ref()?;
        }
        _ => {
            let name = lines
                .iter()
                .find(|l| find_booth(l).is_none() || l.len() > 20)?;
            let name = match booth.as_deref() {
                Some(_) => strip_booth(name),
                None => name.clone(),
            };
            if name.is_empty() || name_key(&name).is_empty() || is_sentence(&name) {
                return None;
            }
            p.company_name = Some(name);
            p.booth = booth;
        }
    }
    Some(p)
}

fn strip_booth(s: &str) -> String {
    static RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(?i)[\s,\-–—|(]*(?-u:\b)(?:booth|stand)\s*(?:#|no\.?|number)?\s*:?\s*(?:[A-Z]-?)?\d{1,5}[A-Z]?(?:[-/.][A-Z]?\d{1,5}[A-Z]?)?\)?").ok()
    });
    match RE.as_ref() {
        Some(r) => r
            .replace_all(s, "")
            .trim()
            .trim_end_matches([',', '-', '|'])
            .trim()
            .to_owned(),
        None => s.to_owned(),
    }
}

/// The event(s) of an event or exhibitor-list page.
pub fn extract(doc: &Html, pc: &PageCtx, ctx: &ExtractContext) -> Vec<EventRecord> {
    let now = chrono::Utc::now();
    let mut ev = EventRecord {
        association: ctx.association.clone(),
        name: String::new(),
        start_date: None,
        end_date: None,
        venue: None,
        city: None,
        state: None,
        country: None,
        url: pc.source_url.clone(),
        participants: Vec::new(),
        provenance: Default::default(),
    };
    let mut extractor = "generic";
    // JSON-LD Event first.
    for o in pc.json_ld(doc) {
        let is_event = match o.get("@type") {
            Some(serde_json::Value::String(t)) => t.ends_with("Event"),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.ends_with("Event"))),
            _ => false,
        };
        if !is_event {
            continue;
        }
        extractor = "json-ld";
        ev.name = o
            .get("name")
            .and_then(|v| v.as_str())
            .map(clean_text)
            .unwrap_or_default();
        ev.start_date = o
            .get("startDate")
            .and_then(|v| v.as_str())
            .and_then(parse_date_range)
            .map(|d| d.0);
        ev.end_date = o
            .get("endDate")
            .and_then(|v| v.as_str())
            .and_then(parse_date_range)
            .map(|d| d.0);
        if let Some(loc) = o.get("location") {
            ev.venue = loc.get("name").and_then(|v| v.as_str()).map(clean_text);
            if let Some(a) = loc.get("address") {
                let d = super::microdata::org_draft(&serde_json::json!({ "address": a }));
                ev.city = d.city;
                ev.state = d.state.and_then(|s| {
                    crate::normalize::address::state_code(&s).map(|c| c.0.to_owned())
                });
                ev.country = d.country;
            }
        }
        break;
    }
    let Ok(hsel) = Selector::parse("h1, h2, h3, h4, h5, h6") else {
        return Vec::new();
    };
    let headings: Vec<ElementRef<'_>> = doc
        .select(&hsel)
        .filter(|h| {
            !h.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| is_noise(&a))
        })
        .collect();
    if ev.name.is_empty() {
        ev.name = headings
            .iter()
            .find(|h| h.value().name() == "h1")
            .or(headings.first())
            .map(|h| clean_text(&h.text().collect::<Vec<_>>().join(" ")))
            .unwrap_or_default();
    }
    if ev.name.is_empty() {
        return Vec::new();
    }
    // Dates and place from the lines before the first participant section.
    let main = block_of(&[*doc.root_element()], true);
    for l in main.lines.iter().take(40) {
        if role_of(&l.text).is_some() {
            break;
        }
        let (label, value) = match l.text.split_once(':') {
            Some((a, b)) if a.len() <= 20 => (a.to_lowercase(), b.trim().to_owned()),
            _ => (String::new(), l.text.clone()),
        };
        if ev.start_date.is_none()
            && let Some((s, e)) = parse_date_range(&value)
        {
            ev.start_date = Some(s);
            ev.end_date = Some(e);
            continue;
        }
        if ev.city.is_none()
            && let Some(a) = parse_address(&value)
            && a.city.is_some()
        {
            // "Venue Name, City, ST": the street slot holds the venue.
            if ev.venue.is_none() {
                ev.venue = a
                    .street
                    .clone()
                    .filter(|v| !v.chars().next().is_some_and(|c| c.is_ascii_digit()));
            }
            ev.city = a.city;
            ev.state = a.state;
            ev.country = a.country;
            continue;
        }
        if ev.venue.is_none()
            && (label.contains("venue") || label.contains("location") || l.hint.contains("venue"))
            && !value.is_empty()
        {
            ev.venue = Some(value);
        }
    }
    // Participant sections.
    let mut current: Option<(ParticipantRole, Option<String>)> = None;
    let mut seen = std::collections::HashSet::new();
    for h in &headings {
        let text = clean_text(&h.text().collect::<Vec<_>>().join(" "));
        let section = match role_of(&text) {
            Some(r) => Some(r),
            None => match (&current, tier_heading(&text)) {
                (Some((ParticipantRole::Sponsor, _)), Some(t)) => {
                    Some((ParticipantRole::Sponsor, Some(t)))
                }
                _ => None,
            },
        };
        current = section.clone();
        let Some((role, tier)) = section else {
            continue;
        };
        let level = heading_level(h.value().name()).unwrap_or(0);
        let mut sib = h.next_sibling();
        while let Some(n) = sib {
            if is_heading(&n) {
                // Letter dividers under the section heading ("A", "B",
                // "0-9") split the list; any other heading ends it.
                let sub = n
                    .value()
                    .as_element()
                    .is_some_and(|e| heading_level(e.name()).unwrap_or(0) > level);
                let divider = ElementRef::wrap(n).is_some_and(|e| {
                    let t = e.text().collect::<String>();
                    let t = t.trim();
                    !t.is_empty() && t.chars().count() <= 5
                });
                if sub && divider {
                    sib = n.next_sibling();
                    continue;
                }
                break;
            }
            if let Some(el) = ElementRef::wrap(n) {
                if el.select(&hsel).next().is_some() {
                    break;
                }
                for item in items_of(el) {
                    if let Some(p) = participant(item, role, &tier, pc) {
                        let key = format!(
                            "{}|{}|{}",
                            role.as_str(),
                            p.company_name.as_deref().map(name_key).unwrap_or_default(),
                            p.person_name.as_deref().unwrap_or("")
                        );
                        if seen.insert(key) {
                            ev.participants.push(p);
                        }
                    }
                }
            }
            sib = n.next_sibling();
        }
    }
    let prov = |conf: f32| FieldProvenance {
        source_url: pc.source_url.clone(),
        extractor: extractor.to_owned(),
        at: now,
        confidence: conf,
    };
    for (f, present) in [
        ("name", true),
        ("start_date", ev.start_date.is_some()),
        ("end_date", ev.end_date.is_some()),
        ("venue", ev.venue.is_some()),
        ("city", ev.city.is_some()),
        ("state", ev.state.is_some()),
        ("country", ev.country.is_some()),
    ] {
        if present {
            ev.provenance.insert(f.to_owned(), prov(0.8));
        }
    }
    vec![ev]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let r = |s: &str| parse_date_range(s).map(|(a, b)| format!("{a}/{b}"));
        assert_eq!(
            r("June 3-5, 2027").as_deref(),
            Some("2027-06-03/2027-06-05")
        );
        assert_eq!(r("2027-06-03").as_deref(), Some("2027-06-03/2027-06-03"));
        assert_eq!(
            r("2027-06-03 – 2027-06-05").as_deref(),
            Some("2027-06-03/2027-06-05")
        );
        assert_eq!(
            r("Jun 3 – Jun 5, 2027").as_deref(),
            Some("2027-06-03/2027-06-05")
        );
        assert_eq!(
            r("Sept. 30 - Oct. 2, 2026").as_deref(),
            Some("2026-09-30/2026-10-02")
        );
        assert_eq!(
            r("December 30, 2026 – January 2, 2027").as_deref(),
            Some("2026-12-30/2027-01-02")
        );
        assert_eq!(
            r("March 4th, 2027").as_deref(),
            Some("2027-03-04/2027-03-04")
        );
        assert_eq!(r("February 30, 2027"), None);
        assert_eq!(r("no date here"), None);
    }

    #[test]
    fn sponsor_tiers() {
        assert_eq!(
            role_of("Platinum Sponsors"),
            Some((ParticipantRole::Sponsor, Some("Platinum".into())))
        );
        assert_eq!(
            role_of("Our Sponsors"),
            Some((ParticipantRole::Sponsor, None))
        );
        assert_eq!(
            role_of("Exhibitor List"),
            Some((ParticipantRole::Exhibitor, None))
        );
        assert_eq!(strip_booth("Acme Tool Inc. — Booth 1234"), "Acme Tool Inc.");
    }
}
