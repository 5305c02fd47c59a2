//! US and Canadian postal addresses: street, city, state/province (2-letter
//! code), ZIP / ZIP+4 / Canadian postal code, country.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// `US` or `CA`.
    pub country: Option<String>,
}

const US_STATES: &[(&str, &str)] = &[
    ("AL", "alabama"),
    ("AK", "alaska"),
    ("AZ", "arizona"),
    ("AR", "arkansas"),
    ("CA", "california"),
    ("CO", "colorado"),
    ("CT", "connecticut"),
    ("DE", "delaware"),
    ("DC", "district of columbia"),
    ("FL", "florida"),
    ("GA", "georgia"),
    ("HI", "hawaii"),
    ("ID", "idaho"),
    ("IL", "illinois"),
    ("IN", "indiana"),
    ("IA", "iowa"),
    ("KS", "kansas"),
    ("KY", "kentucky"),
    ("LA", "louisiana"),
    ("ME", "maine"),
    ("MD", "maryland"),
    ("MA", "massachusetts"),
    ("MI", "michigan"),
    ("MN", "minnesota"),
    ("MS", "mississippi"),
    ("MO", "missouri"),
    ("MT", "montana"),
    ("NE", "nebraska"),
    ("NV", "nevada"),
    ("NH", "new hampshire"),
    ("NJ", "new jersey"),
    ("NM", "new mexico"),
    ("NY", "new york"),
    ("NC", "north carolina"),
    ("ND", "north dakota"),
    ("OH", "ohio"),
    ("OK", "oklahoma"),
    ("OR", "oregon"),
    ("PA", "pennsylvania"),
    ("RI", "rhode island"),
    ("SC", "south carolina"),
    ("SD", "south dakota"),
    ("TN", "tennessee"),
    ("TX", "texas"),
    ("UT", "utah"),
    ("VT", "vermont"),
    ("VA", "virginia"),
    ("WA", "washington"),
    ("WV", "west virginia"),
    ("WI", "wisconsin"),
    ("WY", "wyoming"),
    ("PR", "puerto rico"),
];

const CA_PROVINCES: &[(&str, &str)] = &[
    ("AB", "alberta"),
    ("BC", "british columbia"),
    ("MB", "manitoba"),
    ("NB", "new brunswick"),
    ("NL", "newfoundland and labrador"),
    ("NS", "nova scotia"),
    ("NT", "northwest territories"),
    ("NU", "nunavut"),
    ("ON", "ontario"),
    ("PE", "prince edward island"),
    ("QC", "quebec"),
    ("SK", "saskatchewan"),
    ("YT", "yukon"),
];

/// The 2-letter code and country (`US`/`CA`) of a state or province written as
/// a code ("IL", "il.") or a full name ("Illinois", "Québec").
pub fn state_code(s: &str) -> Option<(&'static str, &'static str)> {
    let s = s.trim().trim_end_matches('.');
    // No state or province name is longer ("Newfoundland and Labrador").
    if s.len() > 40 {
        return None;
    }
    if s.len() == 2 && s.is_ascii() {
        if let Some((c, _)) = US_STATES.iter().find(|(c, _)| c.eq_ignore_ascii_case(s)) {
            return Some((c, "US"));
        }
        return CA_PROVINCES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(s))
            .map(|(c, _)| (*c, "CA"));
    }
    let t = deunicode::deunicode(s).to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.len() == 2 {
        let up = t.to_uppercase();
        if let Some((c, _)) = US_STATES.iter().find(|(c, _)| *c == up) {
            return Some((c, "US"));
        }
        if let Some((c, _)) = CA_PROVINCES.iter().find(|(c, _)| *c == up) {
            return Some((c, "CA"));
        }
        return None;
    }
    if let Some((c, _)) = US_STATES.iter().find(|(_, n)| *n == t) {
        return Some((c, "US"));
    }
    CA_PROVINCES
        .iter()
        .find(|(_, n)| *n == t)
        .map(|(c, _)| (*c, "CA"))
}

static ZIP_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(\d{5})(?:[\- ](\d{4}))?|([A-Z]\d[A-Z])\s?(\d[A-Z]\d))$").ok()
});

static STREET_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:\d+[A-Za-z]?(?:-\d+)?\s+\S|p\.?\s?o\.?\s+box(?-u:\b)|suite(?-u:\b)|ste\.?\s|unit(?-u:\b)|one\s|two\s|\d+(?:st|nd|rd|th)\s)|(?-u:\b)(?:street|st|avenue|ave|road|rd|drive|dr|boulevard|blvd|lane|ln|way|parkway|pkwy|highway|hwy|court|ct|place|pl|circle|cir|trail|suite|ste)(?-u:\b)\.?",
    )
    .ok()
});

/// Normalizes a ZIP / postal code; returns it with its country.
pub fn postal_code(s: &str) -> Option<(String, &'static str)> {
    let caps = ZIP_RE.as_ref()?.captures(s.trim())?;
    if let Some(z) = caps.get(1) {
        return Some(match caps.get(2) {
            Some(p4) => (format!("{}-{}", z.as_str(), p4.as_str()), "US"),
            None => (z.as_str().to_owned(), "US"),
        });
    }
    let a = caps.get(3)?.as_str().to_uppercase();
    let b = caps.get(4)?.as_str().to_uppercase();
    Some((format!("{a} {b}"), "CA"))
}

/// Whether a line looks like a street line (number + words, PO box, suite, or a street word).
pub fn looks_like_street(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.len() < 120 && STREET_RE.as_ref().is_some_and(|re| re.is_match(t))
}

fn country_code(s: &str) -> Option<&'static str> {
    match s.trim().trim_end_matches('.').to_lowercase().as_str() {
        "us" | "usa" | "u.s" | "u.s.a" | "united states" | "united states of america" => Some("US"),
        "ca" | "can" | "canada" => Some("CA"),
        _ => None,
    }
}

/// `text` cut at any of `seps`, each piece's whitespace collapsed, empty
/// pieces dropped: the segments every address reader works on.
fn segments(text: &str, seps: &[char]) -> Vec<String> {
    text.split(seps)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// "MN United States 55431" -> "MN USA 55431": country names of several
/// words as one word, so they can be told from the city and the state.
fn collapse_country_names(seg: &str) -> std::borrow::Cow<'_, str> {
    static RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(?i)(?-u:\b)united\s+states(?:\s+of\s+america)?(?-u:\b)").ok()
    });
    match RE.as_ref() {
        Some(r) => r.replace_all(seg, "USA"),
        None => std::borrow::Cow::Borrowed(seg),
    }
}

/// Splits "State ZIP" / "City State ZIP" tails; returns (city prefix, state code, zip, country).
fn split_state_zip(
    seg: &str,
) -> Option<(Option<String>, &'static str, Option<String>, &'static str)> {
    // "NY USA 10001": a country word between the state and the zip (the
    // two-word names made one first).
    let seg = collapse_country_names(seg);
    let words: Vec<&str> = seg
        .split_whitespace()
        .enumerate()
        .filter(|(i, w)| *i == 0 || country_code(w).is_none())
        .map(|(_, w)| w)
        .collect();
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    // Postal code: last word (US) or last two words (Canada).
    let mut zip = None;
    let mut rest = words.len();
    if rest >= 2
        && let Some(z) = postal_code(&format!("{} {}", words[rest - 2], words[rest - 1]))
        && z.1 == "CA"
    {
        zip = Some(z);
        rest -= 2;
    }
    if zip.is_none()
        && let Some(z) = postal_code(words[rest - 1])
    {
        zip = Some(z);
        rest -= 1;
    }
    if rest == 0 {
        return None;
    }
    // State: a code or a name of up to 4 words, ending at `rest`.
    for take in 1..=rest.min(4) {
        let cand = words[rest - take..rest].join(" ");
        if take == 1
            && cand.trim_end_matches('.').len() == 2
            && cand.chars().any(|c| c.is_lowercase())
        {
            continue; // "in", "or", "me" are words, not states
        }
        if let Some((code, country)) = state_code(&cand) {
            let city = (rest > take).then(|| words[..rest - take].join(" "));
            let country = zip.as_ref().map(|z| z.1).unwrap_or(country);
            return Some((city, code, zip.map(|z| z.0), country));
        }
    }
    None
}

/// Parses an address written on one line with commas or on several lines:
/// "100 Main St, Suite 2, Springfield, IL 62704", "Toronto, ON M5V 2T6, Canada",
/// "Springfield, Illinois". Needs at least a recognized state/province.
pub fn parse_address(text: &str) -> Option<Address> {
    // One segment without a digit is at most a state or a "City ST" that
    // needs a postal code: never an address.
    if !text.contains([',', '\n']) && !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut segs = segments(text, &['\n', ',']);
    let mut explicit_country = None;
    if let Some(last) = segs.last()
        && let Some(c) = country_code(last)
    {
        // "San Jose, CA" is California; "Toronto, ON, CA" is Canada: a code
        // that is a state too is the country only after a state.
        let also_state = last.len() == 2 && state_code(last).is_some();
        let state_before = segs.len() >= 2 && split_state_zip(&segs[segs.len() - 2]).is_some();
        if !also_state || state_before {
            explicit_country = Some(c);
            segs.pop();
        }
    }
    // Search the last few segments for "State ZIP".
    let n = segs.len();
    for i in (n.saturating_sub(3)..n).rev() {
        let Some((city_prefix, state, zip, country)) = split_state_zip(&segs[i]) else {
            continue;
        };
        // "Acme Tool CO" is a name, not a city in Colorado: without a postal
        // code the state must stand in its own comma-separated segment.
        if zip.is_none() && city_prefix.is_some() {
            continue;
        }
        // A bare state with neither zip nor a city before it is too weak.
        let (city, street_end) = match city_prefix {
            Some(c) if i == 0 || zip.is_some() && !looks_like_street(&c) => (Some(c), i),
            Some(c) => (Some(c), i),
            // "450 W. 33rd Street New York": street and city with no comma.
            None if i > 0
                && let Some((street, city)) = split_street_city(&segs[i - 1]) =>
            {
                segs[i - 1] = street;
                (Some(city), i)
            }
            // "8319, rue Principale Montréal": the house number alone.
            None if i > 1
                && segs[i - 2].chars().all(|c| c.is_ascii_digit())
                && let Some((street, city)) =
                    split_street_city(&format!("{} {}", segs[i - 2], segs[i - 1])) =>
            {
                segs[i - 2] = street;
                (Some(city), i - 1)
            }
            None if i > 0 => (Some(segs[i - 1].clone()), i - 1),
            None => (None, i),
        };
        if zip.is_none() && city.is_none() {
            continue;
        }
        if city
            .as_deref()
            .is_some_and(|c| c.chars().any(|ch| ch.is_ascii_digit()) && zip.is_none())
        {
            continue;
        }
        let street = (street_end > 0).then(|| segs[..street_end].join(", "));
        return Some(Address {
            street,
            city,
            state: Some(state.to_owned()),
            postal_code: zip,
            country: Some(explicit_country.unwrap_or(country).to_owned()),
        });
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn a(
        street: Option<&str>,
        city: &str,
        state: &str,
        zip: Option<&str>,
        country: &str,
    ) -> Address {
        Address {
            street: street.map(Into::into),
            city: Some(city.into()),
            state: Some(state.into()),
            postal_code: zip.map(Into::into),
            country: Some(country.into()),
        }
    }

    #[test]
    fn us_addresses() {
        assert_eq!(
            parse_address("100 Main St, Suite 2, Springfield, IL 62704").unwrap(),
            a(
                Some("100 Main St, Suite 2"),
                "Springfield",
                "IL",
                Some("62704"),
                "US"
            )
        );
        assert_eq!(
            parse_address("100 Main St\nSpringfield, Illinois 62704-1234\nUSA").unwrap(),
            a(
                Some("100 Main St"),
                "Springfield",
                "IL",
                Some("62704-1234"),
                "US"
            )
        );
        assert_eq!(
            parse_address("Grand Rapids, MI").unwrap(),
            a(None, "Grand Rapids", "MI", None, "US")
        );
        assert_eq!(
            parse_address("Grand Rapids MI 49503").unwrap(),
            a(None, "Grand Rapids", "MI", Some("49503"), "US")
        );
        assert_eq!(
            parse_address("12 Elm Rd, New York, New York 10001").unwrap(),
            a(Some("12 Elm Rd"), "New York", "NY", Some("10001"), "US")
        );
    }

    #[test]
    fn canadian_addresses() {
        assert_eq!(
            parse_address("55 King St W, Toronto, ON M5V 2T6, Canada").unwrap(),
            a(Some("55 King St W"), "Toronto", "ON", Some("M5V 2T6"), "CA")
        );
        assert_eq!(
            parse_address("Montréal, Québec h3b1a7").unwrap(),
            a(None, "Montréal", "QC", Some("H3B 1A7"), "CA")
        );
    }

    #[test]
    fn non_addresses() {
        assert_eq!(parse_address("Acme Stamping Inc"), None);
        assert_eq!(parse_address("Booth 1234"), None);
        assert_eq!(parse_address("Come in or call me"), None);
        assert_eq!(parse_address("NGUYEN ELECTRIC TECHNOLOGIES CO"), None);
        assert_eq!(
            parse_address("Acme Tool Co, IN"),
            Some(a(None, "Acme Tool Co", "IN", None, "US"))
        );
        assert_eq!(parse_address(""), None);
        assert!(looks_like_street("1200 W. Industrial Pkwy"));
        assert!(looks_like_street("P.O. Box 12"));
        assert!(!looks_like_street("Acme Tool"));
    }
}

const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "way",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "court",
    "ct",
    "place",
    "pl",
    "circle",
    "cir",
    "trail",
    "terrace",
    "ter",
    "square",
    "sq",
    "pike",
    "plaza",
];

/// "1851 Lincoln Ave. Cleveland" -> ("1851 Lincoln Ave.", "Cleveland"): a
/// numbered street ending in a street word, then the city.
fn split_street_city(seg: &str) -> Option<(String, String)> {
    let words: Vec<&str> = seg.split_whitespace().collect();
    if !words.first()?.chars().next()?.is_ascii_digit() {
        return None;
    }
    let Some(j) = words.iter().rposition(|w| {
        STREET_WORDS.contains(&w.trim_end_matches(['.', ',']).to_lowercase().as_str())
    }) else {
        // "8319 rue Principale Montréal": the street word leads (French,
        // Spanish, Italian); the city is the last word (multi-word names
        // there are hyphenated: "Trois-Rivières").
        let lead = words.get(1)?.trim_end_matches('.').to_lowercase();
        if LEADING_STREET_WORDS.contains(&lead.as_str()) && words.len() >= 4 {
            let last = words.len() - 1;
            return Some((words[..last].join(" "), words[last].to_owned()));
        }
        return None;
    };
    if j == 0 {
        return None;
    }
    // A unit after the street word is the street's: "Ste 260", "#310".
    let mut k = j + 1;
    while let Some(w) = words.get(k) {
        let has_digit = |w: &str| w.chars().any(|c| c.is_ascii_digit());
        let unit = w.trim_end_matches(['.', ',']).to_lowercase();
        if w.starts_with('#') && has_digit(w) {
            k += 1;
        } else if UNIT_WORDS.contains(&unit.as_str())
            && words.get(k + 1).is_some_and(|n| has_digit(n))
        {
            k += 2;
        } else {
            break;
        }
    }
    if k >= words.len() || words.len() - k > 4 {
        return None;
    }
    Some((words[..k].join(" "), words[k..].join(" ")))
}

/// Street types written before the street's name.
const LEADING_STREET_WORDS: &[&str] = &[
    "rue",
    "chemin",
    "boulevard",
    "boul",
    "av",
    "avenue",
    "rang",
    "route",
    "allée",
    "calle",
    "via",
    "avenida",
    "rua",
];

/// Words that start a unit within a street address ("Suite 200").
const UNIT_WORDS: &[&str] = &[
    "suite", "ste", "unit", "apt", "fl", "floor", "bldg", "building", "room", "rm", "no",
];

/// Common names of countries that ISO 3166 spells otherwise, and the
/// constituent countries of the United Kingdom.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("uk", "GB"),
    ("united kingdom", "GB"),
    ("u.k", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northern ireland", "GB"),
    ("usa", "US"),
    ("u.s.a", "US"),
    ("u.s", "US"),
    ("america", "US"),
    ("united states", "US"),
    ("uae", "AE"),
    ("russia", "RU"),
    ("south korea", "KR"),
    ("korea", "KR"),
    ("north korea", "KP"),
    ("taiwan", "TW"),
    ("vietnam", "VN"),
    ("iran", "IR"),
    ("syria", "SY"),
    ("laos", "LA"),
    ("bolivia", "BO"),
    ("venezuela", "VE"),
    ("tanzania", "TZ"),
    ("moldova", "MD"),
    ("czech republic", "CZ"),
    ("czechia", "CZ"),
    ("turkey", "TR"),
    ("holland", "NL"),
    ("the netherlands", "NL"),
    ("hong kong", "HK"),
    ("macau", "MO"),
    ("ivory coast", "CI"),
    ("brunei", "BN"),
    ("micronesia", "FM"),
    ("palestine", "PS"),
    ("vatican", "VA"),
];

static COUNTRY_NAMES: LazyLock<std::collections::HashMap<String, &'static str>> =
    LazyLock::new(|| {
        let mut m = std::collections::HashMap::new();
        for c in isocountry::CountryCode::iter() {
            let name = deunicode::deunicode(c.name()).to_lowercase();
            // "Taiwan, Province of China", "Bolivia (Plurinational State of)".
            let short = name
                .split([',', '('])
                .next()
                .unwrap_or(&name)
                .trim()
                .to_owned();
            m.insert(short, c.alpha2());
            m.insert(name, c.alpha2());
        }
        for (n, c) in COUNTRY_ALIASES {
            m.insert((*n).to_owned(), *c);
        }
        m
    });

/// ISO 3166 alpha-2 code of a country named in full ("Germany", "United
/// Kingdom", "UK", "USA"); two-letter codes are not names and give `None`.
pub fn country_named(s: &str) -> Option<&'static str> {
    let t = deunicode::deunicode(s.trim().trim_end_matches('.')).to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.len() < 3 && t != "uk" {
        return None;
    }
    COUNTRY_NAMES
        .get(t.trim_start_matches("the "))
        .copied()
        .or_else(|| COUNTRY_NAMES.get(&t).copied())
}

/// Words of a place that is no city: regions, remote work, "worldwide".
const NOT_A_CITY: &[&str] = &[
    "remote",
    "worldwide",
    "global",
    "globally",
    "international",
    "online",
    "virtual",
    "nationwide",
    "various",
    "multiple",
    "europe",
    "asia",
    "africa",
    "oceania",
    "america",
    "americas",
    "emea",
    "apac",
    "latam",
    "mena",
    "nordics",
    "scandinavia",
    "anywhere",
    "headquarters",
];

/// A place as directories write it: "Oakland, California, USA",
/// "Paris, FR", "San Francisco, CA (+ Worldwide)", "Berlin", "California",
/// "Reggio Emilia, Italy", "Sheffield S1 2AB, United Kingdom". Countries,
/// states and regions are told apart from the city; a place that is only
/// a country or region has no city.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub city: Option<String>,
    /// US state or Canadian province code.
    pub state: Option<String>,
    /// ISO alpha-2.
    pub country: Option<String>,
}

pub fn parse_place(text: &str) -> Option<Place> {
    // Drop parenthetical remarks.
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0usize;
    for ch in text.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(ch),
            _ => {}
        }
    }
    let segs = segments(&plain, &[',', '\n', '·', '|']);
    if segs.is_empty() || segs.len() > 6 {
        return None;
    }
    let mut p = Place::default();
    let mut city_segs: Vec<&str> = Vec::new();
    // "New York, NY": a state's name before a later state is the city.
    let state_later = |i: usize| {
        segs[i + 1..]
            .iter()
            .any(|s| state_code(s).is_some() || split_state_zip(s).is_some())
    };
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let two_letter = seg.len() == 2 && seg.chars().all(|c| c.is_ascii_uppercase());
        // "NY 10001" / "ON M5V 2T6": a state with its postal code.
        let state_zip = split_state_zip(seg).filter(|(c, _, z, _)| c.is_none() && z.is_some());
        if i > 0
            && let Some((_, st, _, ctry)) = state_zip
        {
            p.state.get_or_insert_with(|| st.to_owned());
            p.country.get_or_insert_with(|| ctry.to_owned());
            continue;
        }
        if let Some((code, ctry)) =
            state_code(seg).filter(|_| (!two_letter || i > 0) && !state_later(i))
        {
            p.state.get_or_insert_with(|| code.to_owned());
            p.country.get_or_insert_with(|| ctry.to_owned());
            continue;
        }
        if let Some(c) = country_named(seg) {
            p.country = Some(c.to_owned());
            continue;
        }
        if two_letter && i > 0 && last {
            if let Ok(c) = isocountry::CountryCode::for_alpha2(seg) {
                p.country = Some(c.alpha2().to_owned());
            }
            continue;
        }
        city_segs.push(seg);
    }
    p.city = city_segs
        .first()
        .map(|c| strip_postcode(c))
        .filter(|c| city_shaped(c));
    if p.city.is_none() && p.state.is_none() && p.country.is_none() {
        return None;
    }
    Some(p)
}

/// "Sheffield S1 2AB" -> "Sheffield"; "75008 Paris" -> "Paris".
fn strip_postcode(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let has_digit = |w: &str| w.chars().any(|c| c.is_ascii_digit());
    let start = words
        .iter()
        .position(|w| !has_digit(w))
        .unwrap_or(words.len());
    let end = words[start..]
        .iter()
        .position(|w| has_digit(w))
        .map_or(words.len(), |e| start + e);
    words[start..end].join(" ")
}

fn city_shaped(c: &str) -> bool {
    let lower = c.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 5
        && c.chars().next().is_some_and(char::is_alphabetic)
        && !c
            .chars()
            .any(|ch| ch.is_ascii_digit() || ch == '&' || ch == '/' || ch == '@')
        && !words.iter().any(|w| *w == "and" || NOT_A_CITY.contains(w))
}

#[cfg(test)]
mod place_tests {
    use super::*;

    fn place(s: &str) -> (Option<String>, Option<String>, Option<String>) {
        let p = parse_place(s).unwrap_or_default();
        (p.city, p.state, p.country)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn places_as_directories_write_them() {
        assert_eq!(place("Paris, FR"), (some("Paris"), None, some("FR")));
        assert_eq!(
            place("Oakland, California, USA"),
            (some("Oakland"), some("CA"), some("US"))
        );
        assert_eq!(
            place("San Francisco, CA (+ Worldwide)"),
            (some("San Francisco"), some("CA"), some("US"))
        );
        assert_eq!(place("California, USA"), (None, some("CA"), some("US")));
        assert_eq!(place("US and UK"), (None, None, None));
        assert_eq!(place("UK, Remote first"), (None, None, some("GB")));
        assert_eq!(place("Europe"), (None, None, None));
        assert_eq!(place("Berlin"), (some("Berlin"), None, None));
        assert_eq!(
            place("Reggio Emilia, Italy"),
            (some("Reggio Emilia"), None, some("IT"))
        );
        assert_eq!(
            place("Guelph, Ontario, Canada"),
            (some("Guelph"), some("ON"), some("CA"))
        );
        assert_eq!(
            place("Sheffield S1 2AB, United Kingdom"),
            (some("Sheffield"), None, some("GB"))
        );
        assert_eq!(place("Taipei, Taiwan"), (some("Taipei"), None, some("TW")));
        assert_eq!(
            place("New York, NY 10001"),
            (some("New York"), some("NY"), some("US"))
        );
        assert_eq!(place("Remote"), (None, None, None));
        assert_eq!(place("United States"), (None, None, some("US")));
        let a = parse_address("450 W. 33rd Street New York, NY USA 10001").unwrap_or_default();
        assert_eq!(
            (
                a.street.as_deref(),
                a.city.as_deref(),
                a.state.as_deref(),
                a.postal_code.as_deref()
            ),
            (
                Some("450 W. 33rd Street"),
                Some("New York"),
                Some("NY"),
                Some("10001")
            )
        );
        let parts = |t: &str| {
            let a = parse_address(t).unwrap_or_default();
            (a.street, a.city, a.state, a.postal_code, a.country)
        };
        // A unit after the street word stays with the street; a country
        // name of two words between state and ZIP.
        assert_eq!(
            parts("9308 Grant Parkway Ste 260 Huntsville, AL United States 35887"),
            (
                some("9308 Grant Parkway Ste 260"),
                some("Huntsville"),
                some("AL"),
                some("35887"),
                some("US")
            )
        );
        assert_eq!(
            parts("7765 Lake Dr. #310 San Jose, CA USA 95147").1,
            some("San Jose")
        );
        // CA: California after a city, Canada after a province.
        assert_eq!(
            parts("San Jose, CA"),
            (None, some("San Jose"), some("CA"), None, some("US"))
        );
        assert_eq!(
            parts("Toronto, ON, CA"),
            (None, some("Toronto"), some("ON"), None, some("CA"))
        );
        // French order: house number, street word, name, then the city.
        assert_eq!(
            parts("8319, rue Principale Montréal, QC Canada H3B 3S5"),
            (
                some("8319 rue Principale"),
                some("Montréal"),
                some("QC"),
                some("H3B 3S5"),
                some("CA")
            )
        );
    }

    #[test]
    fn countries_by_name() {
        assert_eq!(country_named("Germany"), Some("DE"));
        assert_eq!(country_named("United Kingdom"), Some("GB"));
        assert_eq!(country_named("South Korea"), Some("KR"));
        assert_eq!(country_named("Côte d'Ivoire"), Some("CI"));
        assert_eq!(country_named("DE"), None);
        assert_eq!(country_named("Springfield"), None);
    }
}

/// An address outside North America written "street, suburb, REGION
/// POSTCODE" ("12 Mill Rd, Stratford, QLD 4870", "…, Stratford, QLD,
/// 4870"): the segment before the region and postcode is the city. The
/// region is no state (states are US and Canadian), so only the street and
/// the city are read.
pub fn parse_region_address(text: &str) -> Option<(Option<String>, String)> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None; // no postcode
    }
    let segs = segments(text, &[',']);
    let region = |s: &str| (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_uppercase());
    let postcode = |s: &str| (4..=5).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    let at = segs
        .iter()
        .enumerate()
        .position(|(i, s)| match s.split_once(' ') {
            Some((r, p)) => region(r) && postcode(p),
            None => region(s) && segs.get(i + 1).is_some_and(|n| postcode(n)),
        })?;
    if at == 0 || state_code(segs[at].split(' ').next().unwrap_or("")).is_some() {
        return None;
    }
    let city = segs[at - 1].clone();
    if !city_shaped(&city) {
        return None;
    }
    let street = (at >= 2).then(|| segs[..at - 1].join(", "));
    Some((street, city))
}

/// An address outside North America that ends in its country: "208 Mill
/// Lane, Sheffield S4 8LG, United Kingdom", "70380 Stuttgart, Germany",
/// "Monterrey, Nuevo León, Mexico". Returns (street, city, country code);
/// the city is the first segment that is no street, less its postcode.
pub fn parse_international_address(text: &str) -> Option<(Option<String>, String, &'static str)> {
    if !text.contains(',') {
        return None;
    }
    let segs = segments(text, &[',']);
    if segs.len() < 2 || segs.len() > 5 {
        return None;
    }
    let country = country_named(segs.last()?)?;
    if matches!(country, "US" | "CA") {
        return None;
    }
    let before = &segs[..segs.len() - 1];
    let has_street_word = |seg: &str| {
        seg.split_whitespace().any(|w| {
            let w = w.trim_end_matches(['.', ',']).to_lowercase();
            STREET_WORDS.contains(&w.as_str())
                || LEADING_STREET_WORDS.contains(&w.as_str())
                || w.ends_with("straße")
                || w.ends_with("strasse")
                || w.ends_with("weg")
        })
    };
    let at = before.iter().position(|seg| !has_street_word(seg))?;
    // Postcode words (with digits) go; what is left is the city.
    let city: Vec<&str> = before[at]
        .split_whitespace()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let city = city.join(" ");
    if !city_shaped(&city) || country_named(&city).is_some() {
        return None;
    }
    let street = (at > 0).then(|| before[..at].join(", "));
    Some((street, city, country))
}

#[cfg(test)]
mod region_tests {
    use super::*;

    #[test]
    fn addresses_that_end_in_their_country() {
        let p = parse_international_address;
        assert_eq!(
            p("208 Mill Lane, Sheffield S4 8LG, United Kingdom"),
            Some((Some("208 Mill Lane".into()), "Sheffield".into(), "GB"))
        );
        assert_eq!(
            p("70380 Stuttgart, Germany"),
            Some((None, "Stuttgart".into(), "DE"))
        );
        assert_eq!(
            p("Monterrey, Nuevo León, Mexico"),
            Some((None, "Monterrey".into(), "MX"))
        );
        assert_eq!(
            p("Leeds, United Kingdom"),
            Some((None, "Leeds".into(), "GB"))
        );
        // North America is parse_address's; a bare country is no address.
        assert_eq!(p("Chicago, IL, United States"), None);
        assert_eq!(p("Germany"), None);
    }

    #[test]
    fn region_and_postcode_addresses() {
        assert_eq!(
            parse_region_address("12 Industrial Ave, Stratford, QLD, 4870"),
            Some((Some("12 Industrial Ave".into()), "Stratford".into()))
        );
        assert_eq!(
            parse_region_address("Plumbers & Gas Fitters, Cairns City, QLD 4870"),
            Some((Some("Plumbers & Gas Fitters".into()), "Cairns City".into()))
        );
        // A US state is parse_address's business.
        assert_eq!(parse_region_address("Springfield, IL 62701"), None);
        assert_eq!(parse_region_address("Acme Tool Works"), None);
    }
}
