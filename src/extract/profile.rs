//! Member profile pages: one record per page, merged into the listing record
//! that links to it (the listing wins; the profile fills what it lacks).

use scraper::{ElementRef, Html, Selector};

use super::dom::{Block, block_of, is_noise};
use super::generic::label::{label_block, name_shape};
use super::{PageCtx, finish};
use crate::config::Selectors;
use crate::model::MemberRecord;
use crate::normalize::text::clean_text;

/// URL and page shape of a member profile: a slug under a member/company/
/// profile/directory path and a top heading.
pub fn looks_like_profile(doc: &Html, url: &str) -> bool {
    super::generic::label::profile_path_ok(url) && heading(doc).is_some()
}

/// The page's main content (`<main>` and its usual stand-ins), else the document.
pub(crate) fn main_root(doc: &Html) -> ElementRef<'_> {
    Selector::parse("main, [role=main], #content, .content, article")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .unwrap_or_else(|| doc.root_element())
}

fn heading(doc: &Html) -> Option<String> {
    let s = Selector::parse("h1").ok()?;
    doc.select(&s)
        .filter(|h| {
            !h.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| is_noise(&a))
        })
        .map(|h| clean_text(&h.text().collect::<Vec<_>>().join(" ")))
        .find(|t| name_shape(t))
}

/// The one record of a profile page.
pub fn extract(doc: &Html, pc: &PageCtx, sel: Option<&Selectors>) -> Vec<MemberRecord> {
    // Structured data on the profile wins when there is exactly one organization.
    let structured = super::microdata::extract(doc, pc);
    if structured.len() == 1 {
        return structured
            .into_iter()
            .map(|mut r| {
                r.extractor = "profile".into();
                r.provenance.clear();
                super::stamp_provenance(&mut r, "profile", chrono::Utc::now());
                r
            })
            .collect();
    }
    let root = main_root(doc);
    let mut block: Block = block_of(&[*root], true);
    let name = sel
        .and_then(|s| s.name.as_deref())
        .and_then(|s| Selector::parse(s).ok())
        .and_then(|s| doc.select(&s).next())
        .map(|e| clean_text(&e.text().collect::<Vec<_>>().join(" ")))
        .filter(|t| !t.is_empty())
        .or_else(|| heading(doc));
    let Some(name) = name else { return Vec::new() };
    // Put the name first, drop other headings' noise, and keep the block small.
    block.lines.retain(|l| l.text != name);
    block.lines.truncate(59);
    block.lines.insert(
        0,
        super::dom::Line {
            text: name.clone(),
            strong: true,
            ..Default::default()
        },
    );
    let Some(l) = label_block(&block, None, pc) else {
        return Vec::new();
    };
    let mut d = l.draft;
    d.name = Some(name);
    d.profile_url = None;
    finish(d, pc, "profile", 0.85)
        .map(|mut r| {
            r.profile_url = Some(pc.source_url.clone());
            r.provenance.clear();
            super::stamp_provenance(&mut r, "profile", chrono::Utc::now());
            r
        })
        .into_iter()
        .collect()
}

/// Fills the fields `listing` lacks from `profile` (listing values win), with
/// the profile's provenance for the filled fields.
pub fn merge_profile(listing: &mut MemberRecord, profile: &MemberRecord) {
    macro_rules! fill {
        ($($f:ident),*) => {$(
            if listing.$f.is_none() && profile.$f.is_some() {
                listing.$f = profile.$f.clone();
                if let Some(p) = profile.provenance.get(stringify!($f)) {
                    listing.provenance.insert(stringify!($f).to_owned(), p.clone());
                }
            }
        )*};
    }
    fill!(
        website,
        domain,
        phone,
        email,
        street,
        city,
        state,
        postal_code,
        country,
        membership_type
    );
    if listing.profile_url.is_none() {
        listing.profile_url = profile.profile_url.clone();
    }
}
