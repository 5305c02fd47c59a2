//! Phone numbers to E.164 (default region US).

use std::sync::LazyLock;

use regex::Regex;

/// A phone-number-shaped run of text: optional +1, area code, 7 digits, and an
/// optional extension.
static PHONE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        # International: +CC (not 1), an optional (0), then 6-14 more digits.
        \+\s?[2-9]\d{0,2}[\s.\-]?(?:\(0\)\s?)?\d(?:[\s.\-]?\d){5,13}(?-u:\b)
        |
        (?:\+\s?1[\s.\-]?|(?-u:\b)1[\s.\-])?
        (?:\(\s?\d{3}\s?\)|(?-u:\b)\d{3})[\s.\-]?\d{3}[\s.\-]\d{4}(?-u:\b)
        (?:\s*(?:ext\.?|x|extension|\#)\s*\d{1,6})?",
    )
    .ok()
});

/// Finds the first phone-number-shaped substring of `text`.
pub fn find_phone(text: &str) -> Option<&str> {
    PHONE_RE.as_ref()?.find(text).map(|m| m.as_str())
}

/// All phone-number-shaped substrings of `text`.
pub fn find_phones(text: &str) -> Vec<&str> {
    match PHONE_RE.as_ref() {
        Some(re) => re.find_iter(text).map(|m| m.as_str()).collect(),
        None => Vec::new(),
    }
}

/// E.164 form of a phone number written in any common way ("(555) 123-4567",
/// "555.123.4567", "+1-555-123-4567 ext. 12"). The extension is dropped (E.164
/// has none). Numbers libphonenumber considers unassigned (e.g. 555 area codes
/// in fixtures) still normalize when they have the right digit count.
pub fn normalize_phone(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    // Most numbers in directories and CRM files are plain NANP numbers, for
    // which libphonenumber's parse (tens of microseconds) only confirms what
    // the digits say.
    if let Some(e164) = plain_nanp(t) {
        return Some(e164);
    }
    parse_phone(t)
}

/// E.164 of a plain North American number: only digits, spaces, `( ) - .`
/// and one leading `+`; ten digits with an area code of 2-9, optionally
/// after a `1` (required after `+`). `None` for anything else, which then
/// goes through the full parse. Agrees with it (tested on every format the
/// fixture world writes and random digit strings).
fn plain_nanp(t: &str) -> Option<String> {
    let mut digits = [0u8; 11];
    let mut n = 0;
    for (i, b) in t.bytes().enumerate() {
        match b {
            b'0'..=b'9' => {
                if n == digits.len() {
                    return None;
                }
                digits[n] = b;
                n += 1;
            }
            b'+' if i == 0 => {}
            b' ' | b'(' | b')' | b'-' | b'.' => {}
            _ => return None,
        }
    }
    let plus = t.starts_with('+');
    let national = match (n, plus) {
        (10, false) => &digits[..10],
        (11, _) if digits[0] == b'1' => &digits[1..11],
        _ => return None,
    };
    if !(b'2'..=b'9').contains(&national[0]) {
        return None;
    }
    let mut out = String::with_capacity(12);
    out.push_str("+1");
    out.extend(national.iter().map(|d| char::from(*d)));
    Some(out)
}

/// The full parse behind [`normalize_phone`] (libphonenumber, then a NANP
/// digit-count fallback).
fn parse_phone(t: &str) -> Option<String> {
    // Cut an extension off before parsing.
    let lower = t.to_ascii_lowercase();
    let cut = ["ext", " x", "extension", "#"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(t.len());
    let main = t.get(..cut).unwrap_or(t);
    // "+33 (0)1 53 93 69 00": the trunk zero is not dialled from abroad.
    let owned;
    let main = if main.contains("(0)") {
        owned = main.replace("(0)", "");
        owned.as_str()
    } else {
        main
    };
    let digits: String = main.chars().filter(|c| c.is_ascii_digit()).collect();
    let plus = main.trim_start().starts_with('+');
    // Written in international form outside North America, the digits are
    // already E.164 (the library drops digits of some of them, e.g. UK
    // numbers whose area code starts with 1).
    if plus && !digits.starts_with('1') && (8..=15).contains(&digits.len()) {
        return Some(format!("+{digits}"));
    }
    if let Ok(n) = phonenumber::parse(Some(phonenumber::country::Id::US), main) {
        let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
        let nd = e164.trim_start_matches('+').len();
        if (8..=15).contains(&nd) && (n.is_valid() || n.code().value() != 1 || nd == 11) {
            return Some(e164);
        }
    }
    // Fallback for NANP-shaped numbers the library rejects.
    match (digits.len(), plus) {
        (10, false) => Some(format!("+1{digits}")),
        (11, _) if digits.starts_with('1') => Some(format!("+{digits}")),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_are_found_and_kept_whole() {
        for (text, e164) in [
            ("Call +44 114 496 0093 today", "+441144960093"),
            ("You can contact them at +358 207 529610.", "+358207529610"),
            ("Tel +33 (0)153936900", "+33153936900"),
            ("+49 711 1234567", "+497111234567"),
        ] {
            let found = find_phone(text).unwrap_or_default();
            assert_eq!(
                normalize_phone(found).as_deref(),
                Some(e164),
                "{text}: {found:?}"
            );
        }
        // North American numbers are unchanged.
        assert_eq!(
            normalize_phone(find_phone("Phone: (312) 555-0147").unwrap_or_default()).as_deref(),
            Some("+13125550147")
        );
    }

    #[test]
    fn common_us_forms() {
        for s in [
            "(312) 555-0147",
            "312.555.0147",
            "312-555-0147",
            "+1-312-555-0147",
            "+1 (312) 555-0147 ext. 12",
            "1-312-555-0147",
            "312 555 0147 x 9",
        ] {
            assert_eq!(normalize_phone(s).as_deref(), Some("+13125550147"), "{s}");
        }
        assert_eq!(
            normalize_phone("(416) 555-0199").as_deref(),
            Some("+14165550199")
        );
        assert_eq!(
            normalize_phone("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(normalize_phone("hello"), None);
        assert_eq!(normalize_phone("12345"), None);
    }

    /// The fast path and the full parse agree wherever the fast path answers.
    #[test]
    fn plain_nanp_agrees_with_the_full_parse() {
        use rand::{Rng, SeedableRng};
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let mut answered = 0;
        for i in 0..20_000u32 {
            let (a, e, l) = (
                r.random_range(0..1000u32),
                r.random_range(0..1000u32),
                r.random_range(0..10_000u32),
            );
            let s = match i % 10 {
                0 => format!("({a:03}) {e:03}-{l:04}"),
                1 => format!("{a:03}.{e:03}.{l:04}"),
                2 => format!("{a:03}-{e:03}-{l:04}"),
                3 => format!("+1 {a:03} {e:03} {l:04}"),
                4 => format!("1-{a:03}-{e:03}-{l:04}"),
                5 => format!("+1 ({a:03}) {e:03}-{l:04}"),
                6 => format!("{a:03}{e:03}{l:04}"),
                7 => format!("+{a:03}{e:03}{l:04}"),
                8 => format!("{}{a:03}{e:03}{l:04}", r.random_range(0..10u32)),
                _ => format!("+{}{a:03}{e:03}{l:04}", r.random_range(0..10u32)),
            };
            if let Some(fast) = plain_nanp(&s) {
                answered += 1;
                assert_eq!(Some(fast), parse_phone(&s), "{s}");
            }
        }
        // The fast path takes most of them (area codes 2-9 in the NANP forms).
        assert!(answered > 10_000, "{answered}");
        for s in [
            "+44 20 7946 0958",
            "(216) 555-0142 x12",
            "216-555-0142 ext. 4",
            "1-800-FLOWERS",
            "+2165550142",
            "(116) 555-0142",
        ] {
            assert_eq!(plain_nanp(s), None, "{s}");
        }
    }

    #[test]
    fn finds_phones_in_text() {
        assert_eq!(
            find_phone("Phone: (312) 555-0147 | Fax"),
            Some("(312) 555-0147")
        );
        assert_eq!(
            find_phone("Tel 312.555.0147 ext. 4"),
            Some("312.555.0147 ext. 4")
        );
        assert_eq!(find_phone("Chicago, IL 60601"), None);
        assert_eq!(find_phones("a 312-555-0147 b 312-555-0148").len(), 2);
    }
}
