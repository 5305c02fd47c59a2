//! The named checks. Each looks at one company with its evidence and gives
//! pass, warn or fail with a sentence saying why, or nothing when it does not
//! apply (no phone, no state, a region the tables do not cover): a missing
//! value is completeness's business, not an inconsistency.

use std::collections::BTreeSet;

use serde::Serialize;

use super::tables::{area_code_regions, is_free_mail, postal_district_regions, zip_regions};
use crate::normalize::address::{postal_code, state_code};
use crate::normalize::{normalize_email, registrable_domain};
use crate::store::QualityCandidate;

/// Another active company has the same E.164 phone and the same name key.
pub const DUPLICATE_PHONE_NAME: &str = "duplicate_phone_name";
/// Listings of other active companies carry this company's domain.
pub const DUPLICATE_DOMAIN: &str = "duplicate_domain";
/// Listing emails against the website's domain.
pub const EMAIL_DOMAIN: &str = "email_domain";
/// State or province against the ZIP / postal code.
pub const STATE_POSTAL: &str = "state_postal";
/// Phone area code against the state or province.
pub const PHONE_AREA_STATE: &str = "phone_area_state";

/// Every check, in the order they run and are reported.
pub const CHECKS: [&str; 5] = [
    DUPLICATE_PHONE_NAME,
    DUPLICATE_DOMAIN,
    EMAIL_DOMAIN,
    STATE_POSTAL,
    PHONE_AREA_STATE,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pass" => Some(Outcome::Pass),
            "warn" => Some(Outcome::Warn),
            "fail" => Some(Outcome::Fail),
            _ => None,
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

fn result(name: &'static str, outcome: Outcome, detail: String) -> Option<CheckResult> {
    Some(CheckResult {
        name,
        outcome,
        detail,
    })
}

/// Runs every check that applies to `c`.
pub fn run_checks(c: &QualityCandidate) -> Vec<CheckResult> {
    [
        duplicate_phone_name(c),
        duplicate_domain(c),
        email_domain(c),
        state_postal(c),
        phone_area_state(c),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn id_list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn is_e164(phone: &str) -> bool {
    phone.starts_with('+') && phone.len() > 1 && phone[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Hard key: same E.164 phone and same name key as another active company.
/// A warning, not a failure: RESOLUTION decides whether they are one firm.
pub fn duplicate_phone_name(c: &QualityCandidate) -> Option<CheckResult> {
    let phone = c.phone.as_deref().filter(|p| is_e164(p))?;
    if c.phone_name_twins.is_empty() {
        return result(
            DUPLICATE_PHONE_NAME,
            Outcome::Pass,
            format!("no other active company has phone {phone} and this name"),
        );
    }
    let ids = id_list(c.phone_name_twins.iter().map(|t| t.id));
    let (noun, verb) = if c.phone_name_twins.len() == 1 {
        ("company", "has")
    } else {
        ("companies", "have")
    };
    result(
        DUPLICATE_PHONE_NAME,
        Outcome::Warn,
        format!(
            "{noun} {ids} {verb} the same phone {phone} and name key {:?}",
            c.name_key
        ),
    )
}

/// The domains this company is known by: its own and its listings'.
fn known_domains(c: &QualityCandidate) -> BTreeSet<&str> {
    c.domain
        .as_deref()
        .into_iter()
        .chain(c.memberships.iter().filter_map(|m| m.domain.as_deref()))
        .collect()
}

/// Hard key: a registrable domain is one company. `companies.domain` is
/// unique, so a clash shows only through listings that carry the domain
/// but belong to another company.
pub fn duplicate_domain(c: &QualityCandidate) -> Option<CheckResult> {
    let domains = known_domains(c);
    if domains.is_empty() {
        return None;
    }
    if c.domain_twins.is_empty() {
        let list = domains.into_iter().collect::<Vec<_>>().join(", ");
        return result(
            DUPLICATE_DOMAIN,
            Outcome::Pass,
            format!("no other active company is listed with {list}"),
        );
    }
    let clashes: Vec<String> = c
        .domain_twins
        .iter()
        .map(|t| {
            format!(
                "domain {} is also listed for company {}",
                t.domain.as_deref().unwrap_or("?"),
                t.id
            )
        })
        .collect();
    result(DUPLICATE_DOMAIN, Outcome::Warn, clashes.join("; "))
}

/// The domain email addresses should be at: the company's registrable
/// domain, else its website's.
fn site_domain(c: &QualityCandidate) -> Option<String> {
    c.domain
        .clone()
        .or_else(|| c.website.as_deref().and_then(registrable_domain))
}

/// Cross-field: the listings' email addresses against the website's domain.
/// Free mail and another company's domain are warnings: small firms do use
/// gmail, and a group may mail from its parent's domain.
pub fn email_domain(c: &QualityCandidate) -> Option<CheckResult> {
    let emails: BTreeSet<String> = c
        .memberships
        .iter()
        .filter_map(|m| m.email.as_deref().and_then(normalize_email))
        .collect();
    if emails.is_empty() {
        return None;
    }
    let site = site_domain(c)?;
    let mut free = Vec::new();
    let mut other = Vec::new();
    for e in &emails {
        let host = e.rsplit('@').next().unwrap_or_default();
        let dom = registrable_domain(host).unwrap_or_else(|| host.to_owned());
        if dom == site {
            continue;
        }
        if is_free_mail(&dom) {
            free.push(e.as_str());
        } else {
            other.push(e.as_str());
        }
    }
    if !other.is_empty() {
        return result(
            EMAIL_DOMAIN,
            Outcome::Warn,
            format!(
                "email {} is not at the website's domain {site}",
                other.join(", ")
            ),
        );
    }
    if !free.is_empty() {
        return result(
            EMAIL_DOMAIN,
            Outcome::Warn,
            format!(
                "email {} is a free-mail address; the website's domain is {site}",
                free.join(", ")
            ),
        );
    }
    result(
        EMAIL_DOMAIN,
        Outcome::Pass,
        format!("email addresses are at the website's domain {site}"),
    )
}

fn country_name(code: &str) -> &'static str {
    if code == "CA" { "Canada" } else { "the US" }
}

/// Cross-field: a US ZIP's first three digits, or a Canadian postal code's
/// first letter, against the state or province. A mismatch fails: one of the
/// two is wrong, and mail would not arrive.
pub fn state_postal(c: &QualityCandidate) -> Option<CheckResult> {
    let (state, state_country) = state_code(c.state.as_deref()?)?;
    let raw = c.postal_code.as_deref()?.trim();
    if raw.is_empty() {
        return None;
    }
    let Some((postal, postal_country)) = postal_code(raw) else {
        let kind = if state_country == "CA" {
            "a Canadian postal code"
        } else {
            "a US ZIP code"
        };
        return result(
            STATE_POSTAL,
            Outcome::Warn,
            format!(
                "postal code {raw:?} is not {kind} ({state} is in {})",
                country_name(state_country)
            ),
        );
    };
    if postal_country != state_country {
        return result(
            STATE_POSTAL,
            Outcome::Fail,
            format!(
                "postal code {postal} is from {} but {state} is in {}",
                country_name(postal_country),
                country_name(state_country)
            ),
        );
    }
    let (regions, what) = if postal_country == "US" {
        (zip_regions(&postal), format!("ZIP {postal}"))
    } else {
        (
            postal_district_regions(&postal),
            format!("postal code {postal}"),
        )
    };
    if regions.is_empty() {
        return None; // a prefix not in use: nothing to compare with
    }
    if regions.contains(&state) {
        return result(
            STATE_POSTAL,
            Outcome::Pass,
            format!("{what} belongs to {state}"),
        );
    }
    result(
        STATE_POSTAL,
        Outcome::Fail,
        format!("{what} belongs to {}, not {state}", regions.join("/")),
    )
}

/// The area code of a North American E.164 number.
fn nanp_area_code(phone: &str) -> Option<u16> {
    let digits = phone.strip_prefix("+1")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits[..3].parse().ok()
}

/// Cross-field: the phone's area code against the state or province. A
/// warning only: numbers move with their owners.
pub fn phone_area_state(c: &QualityCandidate) -> Option<CheckResult> {
    let (state, _) = state_code(c.state.as_deref()?)?;
    let area = nanp_area_code(c.phone.as_deref()?)?;
    let regions = area_code_regions(area);
    if regions.is_empty() {
        return None; // toll-free, non-geographic or outside the US and Canada
    }
    if regions.contains(&state) {
        return result(
            PHONE_AREA_STATE,
            Outcome::Pass,
            format!("area code {area} serves {state}"),
        );
    }
    result(
        PHONE_AREA_STATE,
        Outcome::Warn,
        format!("area code {area} serves {}, not {state}", regions.join("/")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture_site::geo::CITIES;
    use crate::store::{MembershipEvidence, Twin};

    fn company(state: &str, postal: &str, phone: &str) -> QualityCandidate {
        QualityCandidate {
            id: 1,
            name: "Acme Stamping".into(),
            name_key: "acme stamping".into(),
            domain: Some("acme-stamping.example".into()),
            website: Some("http://www.acme-stamping.example/".into()),
            phone: Some(phone.into()),
            state: Some(state.into()),
            postal_code: Some(postal.into()),
            ..Default::default()
        }
    }

    fn outcome(r: Option<CheckResult>) -> Option<Outcome> {
        r.map(|r| r.outcome)
    }

    #[test]
    fn every_fixture_city_passes_both_geographic_checks() {
        for city in CITIES {
            let postal = if city.country == "US" {
                format!("{}42", city.postal_prefix)
            } else {
                format!("{} 4B2", city.postal_prefix)
            };
            for area in city.area_codes {
                // Both the code and the full name, as listings write them.
                for state in [city.state, city.state_name] {
                    let c = company(state, &postal, &format!("+1{area}5550147"));
                    let sp = state_postal(&c).expect("state_postal applies");
                    assert_eq!(sp.outcome, Outcome::Pass, "{}: {}", city.name, sp.detail);
                    let pa = phone_area_state(&c).expect("phone_area_state applies");
                    assert_eq!(pa.outcome, Outcome::Pass, "{}: {}", city.name, pa.detail);
                }
            }
        }
    }

    #[test]
    fn known_mismatches_fail_or_warn() {
        // Cleveland's ZIP with Pennsylvania.
        let c = company("PA", "44114", "+12165550147");
        let sp = state_postal(&c).unwrap();
        assert_eq!(sp.outcome, Outcome::Fail);
        assert_eq!(sp.detail, "ZIP 44114 belongs to OH, not PA");
        let pa = phone_area_state(&c).unwrap();
        assert_eq!(pa.outcome, Outcome::Warn);
        assert_eq!(pa.detail, "area code 216 serves OH, not PA");
        // A Toronto postal code in Quebec; a Toronto number in Ohio.
        assert_eq!(
            outcome(state_postal(&company("QC", "M5V 2T6", "+14165550147"))),
            Some(Outcome::Fail)
        );
        assert_eq!(
            outcome(phone_area_state(&company("OH", "44114", "+14165550147"))),
            Some(Outcome::Warn)
        );
        // A Canadian postal code with a US state, and the other way round.
        let d = state_postal(&company("OH", "M5V 2T6", "+12165550147")).unwrap();
        assert_eq!(
            (d.outcome, d.detail.as_str()),
            (
                Outcome::Fail,
                "postal code M5V 2T6 is from Canada but OH is in the US"
            )
        );
        assert_eq!(
            outcome(state_postal(&company("Ontario", "44114", "+14165550147"))),
            Some(Outcome::Fail)
        );
        // Junk in the postal field is a warning; a prefix not in use, a
        // toll-free number and a foreign number give no outcome.
        assert_eq!(
            outcome(state_postal(&company("OH", "4411", "+12165550147"))),
            Some(Outcome::Warn)
        );
        assert_eq!(state_postal(&company("OH", "00123", "+12165550147")), None);
        assert_eq!(
            phone_area_state(&company("OH", "44114", "+18005550147")),
            None
        );
        assert_eq!(
            phone_area_state(&company("OH", "44114", "+442079460958")),
            None
        );
        // A state the normalizer does not know: nothing to compare.
        assert_eq!(
            state_postal(&company("Bavaria", "80331", "+4989123456")),
            None
        );
    }

    #[test]
    fn email_domain_outcomes() {
        let with_emails = |emails: &[&str]| QualityCandidate {
            memberships: emails
                .iter()
                .map(|e| MembershipEvidence {
                    association: "PMA".into(),
                    email: Some((*e).into()),
                    ..Default::default()
                })
                .collect(),
            ..company("OH", "44114", "+12165550147")
        };
        let r = email_domain(&with_emails(&[
            "Sales@Acme-Stamping.example",
            "info@mail.acme-stamping.example",
        ]))
        .unwrap();
        assert_eq!(r.outcome, Outcome::Pass, "{}", r.detail);
        let r = email_domain(&with_emails(&["acme.stamping@gmail.com"])).unwrap();
        assert_eq!(r.outcome, Outcome::Warn);
        assert!(r.detail.contains("free-mail"), "{}", r.detail);
        let r = email_domain(&with_emails(&[
            "sales@acme-stamping.example",
            "jo@parentco.example",
        ]))
        .unwrap();
        assert_eq!(r.outcome, Outcome::Warn);
        assert!(r.detail.contains("jo@parentco.example"), "{}", r.detail);
        assert_eq!(email_domain(&with_emails(&[])), None);
        assert_eq!(email_domain(&with_emails(&["not an email"])), None);
        // Without a website there is nothing to compare with.
        let mut c = with_emails(&["sales@acme-stamping.example"]);
        c.domain = None;
        c.website = None;
        assert_eq!(email_domain(&c), None);
    }

    #[test]
    fn hard_key_outcomes_name_the_other_company() {
        let mut c = company("OH", "44114", "+12165550147");
        assert_eq!(outcome(duplicate_phone_name(&c)), Some(Outcome::Pass));
        c.phone_name_twins = vec![Twin {
            id: 42,
            ..Default::default()
        }];
        let r = duplicate_phone_name(&c).unwrap();
        assert_eq!(r.outcome, Outcome::Warn);
        assert!(
            r.detail.starts_with("company 42 has the same phone"),
            "{}",
            r.detail
        );
        c.phone = Some("call us".into());
        assert_eq!(
            duplicate_phone_name(&c),
            None,
            "only E.164 phones are a hard key"
        );

        assert_eq!(outcome(duplicate_domain(&c)), Some(Outcome::Pass));
        c.domain_twins = vec![Twin {
            id: 7,
            domain: Some("acme-stamping.example".into()),
            checks: None,
        }];
        let r = duplicate_domain(&c).unwrap();
        assert_eq!(r.outcome, Outcome::Warn);
        assert_eq!(
            r.detail,
            "domain acme-stamping.example is also listed for company 7"
        );
        c.domain = None;
        c.domain_twins.clear();
        assert_eq!(duplicate_domain(&c), None);
    }
}
