//! Phone numbers to E.164 (default region US).

use std::sync::LazyLock;

use regex::Regex;

/// A phone-number-shaped run of text: optional +1, area code, 7 digits, and an
/// optional extension.
static PHONE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:\+\s?1[\s.\-]?|\b1[\s.\-])?
        (?:\(\s?\d{3}\s?\)|\b\d{3})[\s.\-]?\d{3}[\s.\-]\d{4}\b
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
    // Cut an extension off before parsing.
    let lower = t.to_ascii_lowercase();
    let cut = ["ext", " x", "extension", "#"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(t.len());
    let main = t.get(..cut).unwrap_or(t);
    let digits: String = main.chars().filter(|c| c.is_ascii_digit()).collect();
    let plus = main.trim_start().starts_with('+');
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
