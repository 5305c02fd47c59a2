//! Email addresses: validated and lower-cased.

use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

static EMAIL_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}").ok());

/// The address in lower case when it is a valid email address (a `mailto:`
/// prefix and query are dropped), else `None`.
pub fn normalize_email(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix("mailto:").unwrap_or(t);
    let t = t.split('?').next().unwrap_or(t).trim();
    if t.is_empty() || t.len() > 254 || !t.contains('@') {
        return None;
    }
    let e = email_address::EmailAddress::from_str(t).ok()?;
    let lower = e.as_str().to_lowercase();
    // Require a dotted domain: "a@b" is valid RFC 5322 but not a business email.
    let domain = lower.rsplit('@').next()?;
    if !domain.contains('.') || lower.contains(' ') {
        return None;
    }
    Some(lower)
}

/// The first email address in free text.
pub fn find_email(text: &str) -> Option<String> {
    EMAIL_RE
        .as_ref()?
        .find_iter(text)
        .find_map(|m| normalize_email(m.as_str()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Sales@Acme.Example ").as_deref(),
            Some("sales@acme.example")
        );
        assert_eq!(
            normalize_email("mailto:Info@acme.com?subject=hi").as_deref(),
            Some("info@acme.com")
        );
        assert_eq!(normalize_email("not an email"), None);
        assert_eq!(normalize_email("a@b"), None);
        assert_eq!(normalize_email("@acme.com"), None);
        assert_eq!(
            find_email("Email: Info@Acme.com | call").as_deref(),
            Some("info@acme.com")
        );
    }
}
