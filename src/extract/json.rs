//! JSON member endpoints: a body that is JSON (rows a directory page loads
//! from e.g. `/api/members?offset=0`), holding arrays of objects with
//! name/website/phone/address keys.

use serde_json::{Map, Value};

use super::{Draft, Extraction, PageCtx, finish};
use crate::model::PageType;
use crate::normalize::address::parse_address;
use crate::normalize::normalize_website;

const NAME_KEYS: &[&str] = &[
    "name",
    "company",
    "company_name",
    "companyname",
    "organization",
    "organization_name",
    "org",
    "member",
    "member_name",
    "title",
    "display_name",
    "legal_name",
];
const WEB_KEYS: &[&str] = &[
    "website",
    "url",
    "web",
    "homepage",
    "site",
    "website_url",
    "web_site",
    "www",
];
const PHONE_KEYS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "phone_number",
    "phonenumber",
    "main_phone",
];
const EMAIL_KEYS: &[&str] = &["email", "e_mail", "email_address", "mail"];
const STREET_KEYS: &[&str] = &[
    "street",
    "address1",
    "address_1",
    "address_line1",
    "street_address",
    "streetaddress",
    "line1",
    "addr1",
];
const CITY_KEYS: &[&str] = &["city", "locality", "town", "addresslocality"];
const STATE_KEYS: &[&str] = &[
    "state",
    "province",
    "region",
    "state_code",
    "st",
    "addressregion",
    "state_province",
];
const ZIP_KEYS: &[&str] = &[
    "zip",
    "zipcode",
    "zip_code",
    "postal_code",
    "postalcode",
    "postcode",
    "postal",
];
const COUNTRY_KEYS: &[&str] = &["country", "country_code", "addresscountry"];
const TYPE_KEYS: &[&str] = &[
    "membership",
    "membership_type",
    "membershiptype",
    "member_type",
    "type",
    "level",
    "tier",
    "category",
];
const PROFILE_KEYS: &[&str] = &[
    "profile",
    "profile_url",
    "profileurl",
    "link",
    "permalink",
    "detail_url",
    "href",
];
const NEXT_KEYS: &[&str] = &["next", "next_url", "nextpage", "next_page"];

fn norm_key(k: &str) -> String {
    k.chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '_' => Some(c),
            '-' | ' ' => Some('_'),
            _ => None,
        })
        .collect()
}

fn get<'a>(o: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| keys.contains(&norm_key(k).as_str()))
        .map(|(_, v)| v)
}

fn s(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => s(get(o, &["name", "value", "label", "href", "url"])),
        _ => None,
    }
}

fn draft_of(o: &Map<String, Value>) -> Option<Draft> {
    let name = s(get(o, NAME_KEYS))?;
    let mut d = Draft {
        name: Some(name),
        website: s(get(o, WEB_KEYS)),
        phone: s(get(o, PHONE_KEYS)),
        email: s(get(o, EMAIL_KEYS)),
        street: s(get(o, STREET_KEYS)),
        city: s(get(o, CITY_KEYS)),
        state: s(get(o, STATE_KEYS)),
        postal_code: s(get(o, ZIP_KEYS)),
        country: s(get(o, COUNTRY_KEYS)),
        membership_type: s(get(o, TYPE_KEYS)),
        profile_url: s(get(o, PROFILE_KEYS)),
        booth: None,
    };
    match get(o, &["address", "location", "addr"]) {
        Some(Value::Object(a)) => {
            d.street = d.street.or_else(|| s(get(a, STREET_KEYS)));
            d.city = d.city.or_else(|| s(get(a, CITY_KEYS)));
            d.state = d.state.or_else(|| s(get(a, STATE_KEYS)));
            d.postal_code = d.postal_code.or_else(|| s(get(a, ZIP_KEYS)));
            d.country = d.country.or_else(|| s(get(a, COUNTRY_KEYS)));
        }
        Some(Value::String(t)) => {
            if let Some(a) = parse_address(t) {
                d.street = d.street.or(a.street);
                d.city = d.city.or(a.city);
                d.state = d.state.or(a.state);
                d.postal_code = d.postal_code.or(a.postal_code);
                d.country = d.country.or(a.country);
            } else if d.street.is_none() {
                d.street = Some(t.clone());
            }
        }
        _ => {}
    }
    if d.country
        .as_deref()
        .is_some_and(|c| matches!(c.to_lowercase().as_str(), "usa" | "united states"))
    {
        d.country = Some("US".into());
    } else if d
        .country
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("canada"))
    {
        d.country = Some("CA".into());
    }
    Some(d)
}

/// The largest array of objects that look like member rows, searched to a small depth.
fn find_rows(v: &Value, depth: usize) -> Option<&Vec<Value>> {
    if depth > 6 {
        return None;
    }
    match v {
        Value::Array(a) => {
            let rows = a
                .iter()
                .filter(|x| x.as_object().is_some_and(|o| get(o, NAME_KEYS).is_some()))
                .count();
            if rows > 0 && rows * 2 >= a.len() {
                return Some(a);
            }
            a.iter()
                .filter_map(|x| find_rows(x, depth + 1))
                .max_by_key(|r| r.len())
        }
        Value::Object(o) => o
            .values()
            .filter_map(|x| find_rows(x, depth + 1))
            .max_by_key(|r| r.len()),
        _ => None,
    }
}

/// Member records (and `next` page links) from a JSON body.
pub fn extract(v: &Value, pc: &PageCtx) -> Extraction {
    let mut out = Extraction {
        page_type: Some(PageType::DirectoryListing),
        ..Default::default()
    };
    if let Some(rows) = find_rows(v, 0) {
        for r in rows.iter().filter_map(Value::as_object) {
            if let Some(d) = draft_of(r)
                && let Some(rec) = finish(d, pc, "json", 0.9)
                && !pc.is_own_name(&rec.name)
            {
                out.members.push(rec);
            }
        }
    }
    if let Some(o) = v.as_object() {
        let next = get(o, NEXT_KEYS).or_else(|| {
            get(o, &["links", "_links", "paging", "pagination", "meta"])
                .and_then(Value::as_object)
                .and_then(|l| get(l, NEXT_KEYS))
        });
        if let Some(n) = s(next).and_then(|n| normalize_website(&n, pc.base.as_ref())) {
            out.next_pages.push(n);
        }
    }
    out.profile_links = out
        .members
        .iter()
        .filter_map(|m| m.profile_url.clone())
        .collect();
    out
}
