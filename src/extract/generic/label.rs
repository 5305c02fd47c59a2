//! Field labeling by content: which line of a record is the company name, the
//! website, the phone, the address, the membership type, the booth.

use std::sync::LazyLock;

use regex::Regex;

use super::super::dom::{Block, Line};
use super::super::{Draft, PageCtx};
use crate::normalize::{
    address::{
        country_named, looks_like_street, parse_address, parse_international_address, parse_place,
        parse_region_address, state_code,
    },
    email::{find_email, normalize_email},
    looks_like_host, normalize_website,
    phone::{find_phone, normalize_phone},
    registrable_domain,
};

/// What a table column holds, from its header text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Name,
    Website,
    Phone,
    Email,
    Address,
    Street,
    City,
    State,
    Zip,
    Country,
    Membership,
    Booth,
    CityState,
    Other,
}

/// Maps a header cell's text to the column kind.
pub fn header_col(text: &str) -> Col {
    let t = text.to_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| t.contains(x));
    if has(&["city, st", "city/state", "location"]) {
        Col::CityState
    } else if has(&["website", "web site", "url", "web", "homepage"]) {
        Col::Website
    } else if has(&["phone", "tel", "telephone"]) {
        Col::Phone
    } else if has(&["email", "e-mail"]) {
        Col::Email
    } else if has(&["street"]) {
        Col::Street
    } else if has(&["address"]) {
        Col::Address
    } else if has(&["city", "town"]) {
        Col::City
    } else if has(&["state", "province", "region"]) {
        Col::State
    } else if has(&["zip", "postal", "postcode"]) {
        Col::Zip
    } else if has(&["country"]) {
        Col::Country
    } else if has(&[
        "membership",
        "member type",
        "type",
        "level",
        "tier",
        "category",
    ]) {
        Col::Membership
    } else if has(&["booth", "stand"]) {
        Col::Booth
    } else if has(&[
        "company",
        "name",
        "member",
        "organization",
        "organisation",
        "firm",
        "exhibitor",
    ]) {
        Col::Name
    } else {
        Col::Other
    }
}

pub const SOCIAL_DOMAINS: &[&str] = &[
    "facebook.com",
    "linkedin.com",
    "twitter.com",
    "x.com",
    "youtube.com",
    "instagram.com",
    "youtu.be",
    "tiktok.com",
    "pinterest.com",
    "fb.com",
    "t.co",
    "flickr.com",
    "vimeo.com",
    "google.com",
    "goo.gl",
    "bit.ly",
    "threads.net",
];

static LEGAL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|lp|llp|plc|gmbh|ulc|group|industries|manufacturing|mfg|technologies|systems|products|works|enterprises|international)(?-u:\b)\.?").ok()
});

static BOOTH_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:booth|stand)\s*(?:#|no\.?|number)?\s*:?\s*((?:hall\s*\d{1,3}\s*[-/–,]?\s*)?(?:[A-Z]-?)?\d{1,5}[A-Z]?(?:[-/.][A-Z]?\d{1,5}[A-Z]?)?)(?-u:\b)").ok()
});

static MEMBERSHIP_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:associate|affiliate|supplier|corporate|regular|premier|premium|allied|full|founding|lifetime|honorary|active|international|student|manufacturer|industry|voting|gold|silver|bronze|platinum|sustaining|charter|individual|academic|small business|partner)\s*)+(?:member(?:ship)?)?$|^member$").ok()
});

static NOT_NAME: &[&str] = &[
    "view profile",
    "profile",
    "website",
    "visit website",
    "web site",
    "more info",
    "more",
    "read more",
    "details",
    "view details",
    "contact",
    "email",
    "phone",
    "members",
    "member",
    "member directory",
    "learn more",
    "map",
    "directions",
    "visit site",
    "home",
    "next",
    "previous",
    "back",
    "search",
    "login",
    "log in",
    "view",
    "show more",
    "company",
    "name",
];

/// Text of a booth mention ("Booth 1234", "Booth #A12", "Stand A-7").
pub fn find_booth(text: &str) -> Option<String> {
    BOOTH_RE
        .as_ref()?
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_uppercase())
}

pub fn has_legal_word(text: &str) -> bool {
    LEGAL_RE.as_ref().is_some_and(|r| r.is_match(text))
}

pub fn is_membership(text: &str) -> bool {
    text.len() <= 40
        && MEMBERSHIP_RE
            .as_ref()
            .is_some_and(|r| r.is_match(text.trim()))
}

pub fn is_social(domain: &str) -> bool {
    SOCIAL_DOMAINS.contains(&domain)
}

/// Whether a line could be a company name.
pub fn name_shape(t: &str) -> bool {
    shape(t, false)
}

/// A name set off as a heading or bold may be written in lower case
/// ("bobbie", "eMOD") or as a domain ("Loeb.nyc").
pub fn emphasized_name_shape(t: &str) -> bool {
    shape(t, true)
}

/// `loose` (a name set off as a heading or bold) only widens: whatever is
/// name-shaped is loosely name-shaped too.
fn shape(t: &str, loose: bool) -> bool {
    let lower = t.to_lowercase();
    let host_ok =
        loose && !lower.starts_with("www.") && !lower.starts_with("http") && !t.contains('/');
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    t.len() >= 2
        && t.len() <= 100
        && letters >= 2
        && letters * 2 >= t.chars().filter(|c| !c.is_whitespace()).count()
        && t.split_whitespace().count() <= 12
        && !t.ends_with(':')
        && !NOT_NAME.contains(&lower.trim_end_matches(['.', '»', '›', ' ']))
        && t.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || loose && c.is_alphabetic())
        && !t.contains('@')
        && !t.ends_with('?')
        && !t.ends_with('!')
        && !is_facet(t)
        && (host_ok || !looks_like_host(t))
        && !ACTION_WORDS.contains(&lower.split_whitespace().next().unwrap_or(""))
        && !is_sentence(t)
}

/// A line of prose, not a name: several words ending in a lower-case word
/// and a full stop ("Once a year, after the survey closes.").
pub fn is_sentence(t: &str) -> bool {
    // Both signs need a full stop (this runs on every candidate name).
    if !t.contains('.') {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let lower_start = |w: &str| w.chars().next().is_some_and(char::is_lowercase);
    // "... as of March 2027. Send corrections to": a full stop after a
    // number or a lower-case word, mid-line (names abbreviate capitalised
    // words: "Bros.", "Co."; a leading "12." is a rank).
    let stop_inside = words.len() >= 5
        && words[1..words.len() - 1].iter().any(|w| {
            w.strip_suffix('.').is_some_and(|stem| {
                !stem.is_empty()
                    && (stem.chars().all(|c| c.is_ascii_digit())
                        || lower_start(stem) && stem.chars().count() >= 4)
            })
        });
    let ends_lower =
        words.len() >= 4 && t.ends_with('.') && words.last().is_some_and(|w| lower_start(w));
    stop_inside || ends_lower
}

/// First words of link texts that are actions, not company names.
const ACTION_WORDS: &[&str] = &[
    "join",
    "forgot",
    "sign",
    "log",
    "login",
    "register",
    "become",
    "contact",
    "learn",
    "read",
    "view",
    "click",
    "download",
    "subscribe",
    "renew",
    "browse",
    "search",
    "find",
    "back",
    "return",
    "visit",
    "show",
    "see",
    "go",
    "apply",
    "buy",
    "shop",
    "donate",
    "watch",
    "share",
    "email",
    "call",
    "follow",
    "skip",
    "reset",
    "create",
    "update",
    "manage",
    "my",
    "your",
    "showing",
    "page",
    "copyright",
    "©",
    "all",
    "privacy",
    "terms",
    "start",
    "book",
    "get",
    "try",
    "request",
    "schedule",
    "order",
    "discover",
    "explore",
];

/// A sentence that gives a number to call: "You can contact them at ...".
fn says_call(rest: &str) -> bool {
    let l = rest.to_lowercase();
    rest.len() <= 80
        && ["call", "contact", "reach", "phone", "tel", "ring"]
            .iter()
            .any(|w| {
                l.split(|c: char| !c.is_alphabetic())
                    .any(|x| x == *w || x == "contacted")
            })
}

/// Map and directions services: a link there is the way to a company, not
/// its website.
const MAP_HOSTS: &[&str] = &[
    "whereis.com",
    "mapquest.com",
    "openstreetmap.org",
    "waze.com",
    "here.com",
    "bing.com",
    "apple.com",
];

fn is_map_link(url: &str, domain: &str) -> bool {
    MAP_HOSTS.contains(&domain) || {
        let l = url.to_ascii_lowercase();
        l.contains("/maps")
            || l.contains("maps.")
            || l.contains("/dir/")
            || l.contains("directions")
    }
}

/// A same-site URL shaped like a member profile: a slug below a
/// member/profile/company/directory path, or an id query.
pub fn profile_path_ok(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let segs: Vec<String> = u
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).map(str::to_lowercase).collect())
        .unwrap_or_default();
    let path_ok = segs.len() >= 2
        && segs[..segs.len() - 1].iter().any(|s| {
            [
                "member",
                "profile",
                "compan",
                "directory",
                "exhibitor",
                "listing",
                "firm",
                "supplier",
                "organization",
            ]
            .iter()
            .any(|w| s.contains(w))
        });
    path_ok
        || u.query()
            .is_some_and(|q| q.contains("id=") || q.contains("member="))
}

/// "Phone: 555" -> ("phone", "555"); lines without a short label -> ("", line).
fn split_label(t: &str) -> (String, &str) {
    if let Some((l, v)) = t.split_once(':') {
        let l = l.trim();
        if !l.is_empty()
            && l.len() <= 20
            && l.chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '.')
        {
            return (l.to_lowercase(), v.trim());
        }
    }
    (String::new(), t)
}

/// Labels that name a place rather than a street address ("City",
/// "Located", "HQ").
fn is_place_label(label: &str) -> bool {
    bare_label(label) == Some("location")
}

/// A line that is only a field label ("Website", "Phone:", "Locations"),
/// as a `<dt>` or a label cell writes it, in the word the rest of the
/// labeler understands.
fn bare_label(t: &str) -> Option<&'static str> {
    let l = t.trim().trim_end_matches(':').trim().to_lowercase();
    Some(match l.as_str() {
        "phone" | "telephone" | "tel" | "tel." | "phone number" | "call" => "phone",
        "fax" => "fax",
        "website" | "web" | "web site" | "url" | "homepage" | "site" => "website",
        "email" | "e-mail" | "mail" => "email",
        "address" | "street address" | "mailing address" => "address",
        "location" | "locations" | "located" | "located in" | "based in" | "city" | "town"
        | "hq" | "headquarters" | "head office" => "location",
        "country" => "country",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Unknown,
    Phone,
    Fax,
    Email,
    Website,
    Booth,
    Address,
    Membership,
    Used,
}

/// A labeled record and how good it looks.
#[derive(Debug, Clone)]
pub struct Labeled {
    pub draft: Draft,
    /// The name's comparison key ([`crate::normalize::name_key`]).
    pub key: String,
    pub quality: f32,
    /// Looks like several records (two addresses / websites / many phones).
    pub multi: bool,
    /// The name itself links to a member profile page.
    pub name_links_profile: bool,
    /// The name is set off: a heading, bold text, a link or a name class.
    pub emphasized: bool,
}

fn is_pagination(href: &str) -> bool {
    let h = href.to_lowercase();
    h.starts_with('#')
        || h.contains("page=")
        || h.contains("/page/")
        || h.contains("offset=")
        || h.contains("letter=")
}

/// Longer blocks are page sections, not records.
pub const MAX_LINES: usize = 400;

/// Labels one record block. `cols` maps table cells to column kinds.
pub fn label_block(block: &Block, cols: Option<&[Col]>, pc: &PageCtx) -> Option<Labeled> {
    let lines: &[Line] = &block.lines;
    if lines.is_empty() || lines.len() > MAX_LINES {
        return None;
    }
    let mut d = Draft::default();
    let mut kinds = vec![Kind::Unknown; lines.len()];
    let mut phones: Vec<String> = Vec::new();
    let mut addresses = 0usize;
    let mut name_from_col: Option<usize> = None;
    let mut name_links_profile = false;

    // A label alone on its line ("Website", "Locations", a <dt>) names the
    // value on the next line.
    let mut pending: Option<&'static str> = None;
    let mut region_city_specific = false;
    for (i, line) in lines.iter().enumerate() {
        let (mut label, value) = split_label(&line.text);
        if let Some(p) = pending.take()
            && label.is_empty()
        {
            label = p.to_owned();
        }
        if line.cell.is_none()
            && let Some(l) = bare_label(&line.text)
        {
            pending = Some(l);
            kinds[i] = Kind::Used;
            continue;
        }
        let col = match (cols, line.cell) {
            (Some(c), Some(ci)) => c.get(ci).copied(),
            _ => None,
        };
        let hint = line.hint.as_str();
        match col {
            Some(Col::Name) if name_from_col.is_none() => {
                name_from_col = Some(i);
                continue;
            }
            Some(Col::City) | Some(Col::CityState) => {
                // "Chicago, IL" in a City or Location column ("San Jose,
                // CA" is California there, not Canada).
                match parse_place(value) {
                    Some(p) if p.city.is_some() && p.state.is_some() => {
                        d.city = d.city.take().or(p.city);
                        d.state = d.state.take().or(p.state);
                        d.country = d.country.take().or(p.country);
                    }
                    _ => {
                        d.city.get_or_insert_with(|| value.to_owned());
                    }
                }
                kinds[i] = Kind::Used;
                continue;
            }
            Some(Col::State) => {
                if let Some((code, country)) = state_code(value) {
                    d.state.get_or_insert_with(|| code.to_owned());
                    d.country.get_or_insert_with(|| country.to_owned());
                }
                kinds[i] = Kind::Used;
                continue;
            }
            Some(Col::Zip) => {
                if let Some((z, country)) = crate::normalize::address::postal_code(value) {
                    d.postal_code.get_or_insert(z);
                    d.country.get_or_insert_with(|| country.to_owned());
                }
                kinds[i] = Kind::Used;
                continue;
            }
            Some(Col::Street) => {
                d.street.get_or_insert_with(|| value.to_owned());
                kinds[i] = Kind::Used;
                continue;
            }
            Some(Col::Country) => {
                kinds[i] = Kind::Used;
                continue;
            }
            Some(Col::Membership) => {
                d.membership_type.get_or_insert_with(|| value.to_owned());
                kinds[i] = Kind::Used;
                continue;
            }
            _ => {}
        }
        if is_place_label(&label) && cols.is_none() {
            let mut place = parse_place(value);
            // "City: New York", "City: Singapore": under a city label the
            // first place is the city even when it also names a state or a
            // country.
            if matches!(label.as_str(), "city" | "town")
                && let Some(p) = place.as_mut()
                && p.city.is_none()
                && let Some(first) = value.split(',').next().map(str::trim)
                && emphasized_name_shape(first)
            {
                p.city = Some(first.to_owned());
                if value.split(',').count() == 1 {
                    p.state = None;
                }
            }
            if let Some(p) = place {
                // City and state from one line, unless a state label gave
                // the state this city is in.
                let agrees = d.state.is_none() || p.state.is_none() || p.state == d.state;
                if d.city.is_none() && agrees {
                    d.city = p.city;
                    d.state = d.state.take().or(p.state);
                }
                if d.country.is_none() {
                    d.country = p.country;
                }
            }
            kinds[i] = Kind::Used;
            continue;
        }
        if matches!(label.as_str(), "state" | "province" | "region") && cols.is_none() {
            // "State: Illinois"; a region elsewhere is no US state or
            // Canadian province and stays out.
            if let Some((code, country)) = state_code(value) {
                d.state.get_or_insert_with(|| code.to_owned());
                d.country.get_or_insert_with(|| country.to_owned());
            }
            kinds[i] = Kind::Used;
            continue;
        }
        if label == "country" && cols.is_none() {
            if let Some(c) = country_named(value) {
                d.country.get_or_insert_with(|| c.to_owned());
            }
            kinds[i] = Kind::Used;
            continue;
        }
        if label.contains("fax") || hint.contains("fax") {
            kinds[i] = Kind::Fax;
            continue;
        }
        if let Some(p) = find_phone(value) {
            let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
            let total = value.chars().filter(|c| c.is_alphanumeric()).count();
            // What is left beside the number: a label, or a membership badge
            // rendered inline with it.
            let rest = value
                .replace(p, " ")
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_owned();
            let rest_membership = !rest.is_empty() && is_membership(&rest);
            if (digits * 2 >= total
                || label.contains("phone")
                || label.contains("tel")
                || rest_membership
                || says_call(&rest)
                || (rest.len() <= 12 && !rest.contains(','))
                    && !rest.chars().any(|c| c.is_ascii_digit()))
                && let Some(n) = normalize_phone(p)
            {
                if rest_membership {
                    d.membership_type.get_or_insert(rest);
                }
                if !pc.noise_phones.contains(&n) {
                    if !phones.contains(&n) {
                        phones.push(n);
                    }
                    kinds[i] = Kind::Phone;
                } else {
                    kinds[i] = Kind::Used;
                }
                continue;
            }
        }
        if value.contains('@')
            && let Some(e) = find_email(value)
        {
            kinds[i] = Kind::Email;
            if !pc.is_own_email(&e) {
                d.email.get_or_insert(e);
            }
            continue;
        }
        if let Some(b) = find_booth(value) {
            kinds[i] = Kind::Booth;
            d.booth.get_or_insert(b);
            continue;
        }
        // A card's set-off first line written as a domain ("Outernets.ai")
        // is its name; other host-like lines are websites.
        let domain_name = i == 0
            && line.strong
            && !value.starts_with("http")
            && !value.to_ascii_lowercase().starts_with("www.");
        if (looks_like_host(value) || value.starts_with("http"))
            && !value.contains(' ')
            && !domain_name
        {
            kinds[i] = Kind::Website;
            if let Some(w) = normalize_website(value, None)
                && let Some(dom) = registrable_domain(&w)
                && !pc.is_own_domain(&dom)
                && !is_social(&dom)
                && d.website.is_none()
            {
                d.website = Some(w);
            }
            continue;
        }
        if (label.contains("member")
            || label.contains("type")
            || label.contains("level")
            || is_membership(value)
            || hint.contains("member-type")
            || hint.contains("membership")
            || hint.contains("level"))
            && !value.is_empty()
            && value.len() <= 60
        {
            kinds[i] = Kind::Membership;
            d.membership_type.get_or_insert_with(|| value.to_owned());
            continue;
        }
        if addresses == 0
            && let Some((street, city)) = parse_region_address(value)
        {
            // The line that names a street gives the city over one that
            // names only a place (a category line, a service area).
            let specific = street.as_deref().is_some_and(looks_like_street);
            if d.city.is_none() || specific && !region_city_specific {
                d.city = Some(city);
                if specific {
                    d.street = street;
                }
                region_city_specific = specific;
            }
            kinds[i] = Kind::Address;
            continue;
        }
        if let Some(a) = parse_address(value)
            && a.city.is_some()
            && !(i == 0 && a.postal_code.is_none() && line.strong)
        {
            kinds[i] = Kind::Address;
            addresses += 1;
            if addresses == 1 {
                let mut street = a.street.clone();
                // Street on the line(s) above.
                if street.is_none() {
                    let mut parts = Vec::new();
                    let mut j = i;
                    while j > 0 && parts.len() < 2 {
                        j -= 1;
                        let t = &lines[j].text;
                        if kinds[j] == Kind::Unknown
                            && looks_like_street(t)
                            && !(j == 0 && lines[j].strong)
                        {
                            parts.insert(0, t.clone());
                            kinds[j] = Kind::Used;
                        } else {
                            break;
                        }
                    }
                    if !parts.is_empty() {
                        street = Some(parts.join(", "));
                    }
                }
                d.street = d.street.take().or(street);
                d.city = d.city.take().or(a.city);
                d.state = d.state.take().or(a.state);
                d.postal_code = d.postal_code.take().or(a.postal_code);
                d.country = d.country.take().or(a.country);
            }
            continue;
        }
        if addresses == 0
            && d.city.is_none()
            && let Some((street, city, country)) = parse_international_address(value)
        {
            // "70380 Stuttgart, Germany": the street may be the line above.
            kinds[i] = Kind::Address;
            addresses += 1;
            let above = (i > 0 && kinds[i - 1] == Kind::Unknown && i - 1 != 0)
                .then(|| lines[i - 1].text.clone())
                .filter(|t| t.chars().any(|c| c.is_ascii_digit()) && !t.contains('@'));
            if street.is_none() && above.is_some() {
                kinds[i - 1] = Kind::Used;
            }
            d.street = d.street.take().or(street).or(above);
            d.city = Some(city);
            d.country.get_or_insert_with(|| country.to_owned());
            continue;
        }
        if let Some((code, country)) = state_code(value) {
            // A bare state cell; the city is the unknown line before it.
            if value.len() == 2
                && value.chars().all(|c| c.is_ascii_uppercase())
                && i > 0
                && kinds[i - 1] == Kind::Unknown
                && Some(i - 1) != name_from_col
                && (i - 1 != 0)
            {
                d.city.get_or_insert_with(|| lines[i - 1].text.clone());
                kinds[i - 1] = Kind::Used;
                d.state.get_or_insert_with(|| code.to_owned());
                d.country.get_or_insert_with(|| country.to_owned());
                kinds[i] = Kind::Used;
                addresses += 1;
                continue;
            }
        }
    }
    if let Some(p) = phones.first() {
        d.phone = Some(p.clone());
    }

    // Links: external website, tel:/mailto:, same-site profile link.
    let mut ext_domains: Vec<String> = Vec::new();
    let mut same_site: Vec<(String, String)> = Vec::new();
    for l in &block.links {
        let h = l.href.trim();
        let lower = h.to_ascii_lowercase();
        if let Some(t) = lower.strip_prefix("tel:") {
            if let Some(n) = normalize_phone(t)
                && !pc.noise_phones.contains(&n)
                && d.phone.is_none()
            {
                d.phone = Some(n);
            }
            continue;
        }
        if lower.starts_with("mailto:") {
            if let Some(e) = normalize_email(h)
                && !pc.is_own_email(&e)
            {
                d.email.get_or_insert(e);
            }
            continue;
        }
        let Some(abs) = normalize_website(h, pc.base.as_ref()) else {
            continue;
        };
        let Some(dom) = registrable_domain(&abs) else {
            continue;
        };
        if is_social(&dom) || is_map_link(&abs, &dom) {
            continue;
        }
        if pc.is_own_domain(&dom) {
            if !is_pagination(h) {
                same_site.push((abs, l.text.clone()));
            }
        } else if !ext_domains.contains(&dom) {
            ext_domains.push(dom);
            if d.website.is_none() {
                d.website = Some(abs);
            }
        }
    }

    // Name.
    let name_idx = match name_from_col {
        Some(i) => Some(i),
        None => {
            let mut best: Option<(i32, usize)> = None;
            for (i, line) in lines.iter().enumerate() {
                if kinds[i] != Kind::Unknown || !shape(&line.text, line.strong) {
                    continue;
                }
                let mut s = 0i32;
                if line.strong {
                    s += 3;
                }
                if i == 0 {
                    s += 2;
                }
                if line.hint.contains("name")
                    || line.hint.contains("title")
                    || line.hint.contains("company")
                {
                    s += 3;
                }
                if has_legal_word(&line.text) {
                    s += 2;
                }
                if line.href.is_some() {
                    s += 1;
                }
                s -= i as i32;
                if best.is_none_or(|(bs, _)| s > bs) {
                    best = Some((s, i));
                }
            }
            best.map(|(_, i)| i)
        }
    };
    let name_idx = name_idx?;
    let name_line = &lines[name_idx];
    let (_, name_value) = split_label(&name_line.text);
    let name = strip_rank(name_value.trim()).to_owned();
    if !shape(&name, name_line.strong) {
        return None;
    }
    let key = crate::normalize::name_key(&name);
    if pc.is_own_name_key(&key) {
        return None;
    }
    kinds[name_idx] = Kind::Used;
    d.name = Some(name.clone());
    // A name that links off-site links to the company website.
    if let Some(h) = &name_line.href
        && let Some(abs) = normalize_website(h, pc.base.as_ref())
        && let Some(dom) = registrable_domain(&abs)
        && pc.is_own_domain(&dom)
        && !is_pagination(h)
        && profile_path_ok(&abs)
    {
        d.profile_url = Some(abs);
        name_links_profile = true;
    }
    if d.profile_url.is_none() {
        let name_l = name.to_lowercase();
        d.profile_url = same_site
            .iter()
            .find(|(u, t)| {
                let t = t.to_lowercase();
                profile_path_ok(u) && t == name_l
                    || profile_path_ok(u)
                        && ["profile", "details", "view", "more", "learn"]
                            .iter()
                            .any(|w| t.contains(w))
            })
            .map(|(u, _)| u.clone());
    }
    if d.profile_url.as_deref() == Some(pc.source_url.as_str()) {
        d.profile_url = None;
    }

    let leftovers = kinds.iter().filter(|k| **k == Kind::Unknown).count();
    // Several records run together: two addresses with two phones or two
    // sites, or many of either. One rich card (a site and a careers page,
    // offices listed under jobs) stays one record.
    let multi = (addresses > 1 && (phones.len() > 1 || ext_domains.len() > 1))
        || ext_domains.len() > 2
        || phones.len() > 2;
    let mut q = 1.0f32;
    if d.website.is_some() {
        q += 0.5;
    }
    if d.phone.is_some() {
        q += 0.5;
    }
    if d.city.is_some() || d.state.is_some() {
        q += 0.5;
    }
    if d.profile_url.is_some() {
        q += 0.3;
    }
    if d.email.is_some() {
        q += 0.2;
    }
    if has_legal_word(&name) {
        q += 0.2;
    }
    if d.membership_type.is_some() || d.booth.is_some() {
        q += 0.1;
    }
    q -= (0.15 * leftovers.saturating_sub(2) as f32).min(0.75);
    let emphasized = name_line.strong
        || name_line.href.is_some()
        || name_line.hint.contains("name")
        || name_line.hint.contains("title");
    Some(Labeled {
        draft: d,
        key,
        quality: q,
        multi,
        name_links_profile,
        emphasized,
    })
}

static RANK_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(?:#\s*)?\d{1,4}\s*[).:]\s+").ok());

/// "12) Acme Tool" -> "Acme Tool": a list rank is not part of the name.
pub fn strip_rank(name: &str) -> &str {
    match RANK_RE.as_ref().and_then(|r| r.find(name)) {
        Some(m) if m.end() < name.len() => &name[m.end()..],
        _ => name,
    }
}

/// "Engineering (12)": a filter facet with its count, not a name.
fn is_facet(t: &str) -> bool {
    t.strip_suffix(')')
        .and_then(|r| r.rsplit_once('('))
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}
