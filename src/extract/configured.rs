//! Configured extraction: per-association CSS selectors from
//! `assets/associations.toml`. A selector that is missing or matches nothing
//! falls back to content labeling inside the record.

use scraper::{ElementRef, Html, Selector};

use super::dom::block_of;
use super::generic::label::label_block;
use super::{Draft, PageCtx, finish};
use crate::config::Selectors;
use crate::model::MemberRecord;
use crate::normalize::address::parse_address;
use crate::normalize::text::clean_text;

fn sel(s: &Option<String>) -> Option<Selector> {
    s.as_deref().and_then(|s| Selector::parse(s).ok())
}

fn text_of(el: &ElementRef<'_>, s: &Option<Selector>) -> Option<String> {
    let s = s.as_ref()?;
    let m = el.select(s).next()?;
    let t = clean_text(&m.text().collect::<Vec<_>>().join(" "));
    (!t.is_empty()).then_some(t)
}

fn lines_of(el: &ElementRef<'_>, s: &Option<Selector>) -> Option<String> {
    let s = s.as_ref()?;
    let m = el.select(s).next()?;
    let b = block_of(&[*m], false);
    let t = b
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    (!t.is_empty()).then_some(t)
}

fn href_of(el: &ElementRef<'_>, s: &Option<Selector>) -> Option<String> {
    let s = s.as_ref()?;
    let m = el.select(s).next()?;
    let a = if m.value().name() == "a" {
        Some(m)
    } else {
        m.select(&Selector::parse("a[href]").ok()?).next()
    };
    match a.and_then(|a| a.value().attr("href")) {
        Some(h) => Some(h.trim().to_owned()),
        None => Some(clean_text(&m.text().collect::<String>())).filter(|t| !t.is_empty()),
    }
}

/// Records of a page read with the association's selectors; empty when the
/// record selector is missing, invalid or matches nothing.
pub fn extract(doc: &Html, pc: &PageCtx, s: &Selectors) -> Vec<MemberRecord> {
    let Some(record) = sel(&s.record) else {
        return Vec::new();
    };
    let (name, website, address, street, city, state, zip, phone, mtype, profile) = (
        sel(&s.name),
        sel(&s.website),
        sel(&s.address),
        sel(&s.street),
        sel(&s.city),
        sel(&s.state),
        sel(&s.postal_code),
        sel(&s.phone),
        sel(&s.membership_type),
        sel(&s.profile_link),
    );
    let mut out = Vec::new();
    for el in doc.select(&record) {
        let block = block_of(&[*el], false);
        let fallback = label_block(&block, None, pc)
            .map(|l| l.draft)
            .unwrap_or_default();
        let mut d = Draft {
            name: text_of(&el, &name),
            website: href_of(&el, &website),
            phone: text_of(&el, &phone),
            street: text_of(&el, &street),
            city: text_of(&el, &city),
            state: text_of(&el, &state),
            postal_code: text_of(&el, &zip),
            membership_type: text_of(&el, &mtype),
            profile_url: href_of(&el, &profile),
            ..Default::default()
        };
        if let Some(a) = lines_of(&el, &address).and_then(|t| parse_address(&t)) {
            d.street = d.street.or(a.street);
            d.city = d.city.or(a.city);
            d.state = d.state.or(a.state);
            d.postal_code = d.postal_code.or(a.postal_code);
            d.country = d.country.or(a.country);
        }
        if let Some(p) = d.phone.as_deref() {
            // "Phone: (555) ..." inside the phone element.
            d.phone = crate::normalize::phone::find_phone(p)
                .map(str::to_owned)
                .or(d.phone.clone());
        }
        // A configured name selector that matches nothing marks a non-record
        // ("No members found for this letter.").
        if name.is_some() && d.name.is_none() {
            continue;
        }
        let f = fallback;
        let d = Draft {
            name: d.name.or(f.name),
            website: d.website.or(f.website),
            phone: d.phone.or(f.phone),
            email: d.email.or(f.email),
            street: d.street.or(f.street),
            city: d.city.or(f.city),
            state: d.state.or(f.state),
            postal_code: d.postal_code.or(f.postal_code),
            country: d.country.or(f.country),
            membership_type: d.membership_type.or(f.membership_type),
            profile_url: d.profile_url.or(f.profile_url),
            booth: d.booth.or(f.booth),
        };
        if let Some(r) = finish(d, pc, "configured", 0.95) {
            out.push(r);
        }
    }
    out
}
