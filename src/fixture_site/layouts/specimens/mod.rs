//! Specimen pages: one extra page per specimen layout (`Layout::LabelCards`
//! and the six after it) plus an association home page with no member list,
//! each at `/specimens/<slug>/` on one association host.
//!
//! They are linked from no page and left out of sitemaps, so crawls of the
//! world never reach them and the ten directories serve what they always
//! did; tests fetch them by the URLs of [`World::specimens`]. Every builder
//! renders its page and the organisations it lists in one pass, so page and
//! truth cannot drift apart.

mod article;
mod cards;
mod home;
mod intl;
mod lists;

use std::collections::HashSet;
use std::fmt::Write as _;

use super::super::associations::{ASSOCS, Assoc, Layout};
use super::super::names::{esc, h};
use super::super::truth::{HOME_SPECIMEN, TrueOrg, TrueSpecimen};
use super::super::{FixturePage, Listing, World};

/// Path prefix of every specimen page.
pub(crate) const PREFIX: &str = "/specimens/";

/// A rendered specimen page and the organisations it lists.
pub(super) struct Built {
    pub html: String,
    pub records: Vec<TrueOrg>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Layout(Layout),
    Home,
}

struct Spec {
    kind: Kind,
    /// Association whose host serves it (and whose members it lists).
    code: &'static str,
    slug: &'static str,
}

static SPECS: &[Spec] = &[
    Spec {
        kind: Kind::Layout(Layout::LabelCards),
        code: "PMA",
        slug: "label-cards",
    },
    Spec {
        kind: Kind::Layout(Layout::BuilderRepeater),
        code: "NEMA",
        slug: "builder-repeater",
    },
    Spec {
        kind: Kind::Layout(Layout::ExhibitorList),
        code: "FIA",
        slug: "exhibitor-list",
    },
    Spec {
        kind: Kind::Layout(Layout::ProseBlocks),
        code: "AGMA",
        slug: "prose-blocks",
    },
    Spec {
        kind: Kind::Layout(Layout::HeadingArticle),
        code: "AIA",
        slug: "heading-article",
    },
    Spec {
        kind: Kind::Layout(Layout::JsonLdCards),
        code: "NTMA",
        slug: "json-ld-cards",
    },
    Spec {
        kind: Kind::Layout(Layout::MultiTable),
        code: "AFS",
        slug: "multi-table",
    },
    Spec {
        kind: Kind::Home,
        code: "SOCMA",
        slug: "home",
    },
];

fn spec_url(a: &Assoc, s: &Spec) -> String {
    format!("http://{}{PREFIX}{}/", a.host, s.slug)
}

fn build(w: &World, s: &Spec) -> Option<(&'static Assoc, Built)> {
    let (idx, a) = ASSOCS.iter().enumerate().find(|(_, a)| a.code == s.code)?;
    let b = match s.kind {
        Kind::Layout(Layout::LabelCards) => cards::label_cards(w, idx, a),
        Kind::Layout(Layout::BuilderRepeater) => cards::builder_repeater(w, idx, a),
        Kind::Layout(Layout::JsonLdCards) => cards::json_ld_cards(w, idx, a),
        Kind::Layout(Layout::ExhibitorList) => lists::exhibitor_list(w, idx, a),
        Kind::Layout(Layout::MultiTable) => lists::multi_table(w, idx, a),
        Kind::Layout(Layout::ProseBlocks) => article::prose_blocks(w, idx, a),
        Kind::Layout(Layout::HeadingArticle) => article::heading_article(w, idx, a),
        Kind::Layout(_) => return None,
        Kind::Home => home::page(w, idx, a),
    };
    Some((a, b))
}

/// The specimen at `path` on association `a`'s host, if there is one.
pub(crate) fn page(w: &World, a: &Assoc, path: &str) -> Option<FixturePage> {
    let rest = path.strip_prefix(PREFIX)?;
    let slug = rest.strip_suffix('/').unwrap_or(rest);
    let s = SPECS.iter().find(|s| s.code == a.code && s.slug == slug)?;
    build(w, s).map(|(_, b)| FixturePage::html(b.html))
}

/// Every specimen page with the organisations it lists.
pub(crate) fn truth(w: &World) -> Vec<TrueSpecimen> {
    SPECS
        .iter()
        .filter_map(|s| {
            let (a, b) = build(w, s)?;
            Some(TrueSpecimen {
                association: a.code.to_string(),
                layout: match s.kind {
                    Kind::Layout(l) => l.as_str().to_string(),
                    Kind::Home => HOME_SPECIMEN.to_string(),
                },
                url: spec_url(a, s),
                records: b.records,
            })
        })
        .collect()
}

/// Up to `n` listings of association `idx` in directory order, starting at a
/// member chosen by the seed (and `salt`) and wrapping around.
pub(super) fn roster(w: &World, idx: usize, n: usize, salt: u64) -> Vec<Listing> {
    let ids = w.members_of(idx);
    if ids.is_empty() {
        return Vec::new();
    }
    let start = (h(w.seed(), &[0x5BEC, idx as u64, salt]) % ids.len() as u64) as usize;
    (0..n.min(ids.len()))
        .map(|k| w.listing(idx, ids[(start + k) % ids.len()]))
        .collect()
}

/// Up to `n` world companies not in `taken`, chosen by the seed and `salt`
/// (firms a page names without listing them: customers, advertisers).
pub(super) fn outsiders(w: &World, taken: &HashSet<u32>, n: usize, salt: u64) -> Vec<u32> {
    let total = w.config().members as u64;
    let mut out = Vec::new();
    if total == 0 {
        return out;
    }
    let start = h(w.seed(), &[0x0A75, salt]) % total;
    for k in 0..total {
        let id = ((start + k * 7919) % total) as u32;
        if !taken.contains(&id) && !out.contains(&id) {
            out.push(id);
            if out.len() == n {
                break;
            }
        }
    }
    out
}

/// Truth of a world listing on a specimen page: the listing's values (a plant
/// listing's place and phone), and what the page shows of them.
pub(super) fn org(l: &Listing, linked: bool, phone: bool, address: bool) -> TrueOrg {
    let c = &l.company;
    TrueOrg {
        name: l.listed_name.clone(),
        company_id: Some(c.id),
        domain: Some(c.domain.clone()),
        website: linked.then(|| c.website()),
        phone_e164: Some(c.phone_e164()),
        shows_phone: phone,
        city: Some(c.city.name.to_string()),
        state: Some(c.city.state.to_string()),
        shows_address: address,
    }
}

/// Truth of an organisation that is not in the world and shows only its name.
pub(super) fn name_only(name: &str) -> TrueOrg {
    TrueOrg {
        name: name.to_string(),
        company_id: None,
        domain: None,
        website: None,
        phone_e164: None,
        shows_phone: false,
        city: None,
        state: None,
        shows_address: false,
    }
}

/// A generated-looking class token (four hex digits) from the seed and `salt`.
pub(super) fn token(w: &World, salt: u64) -> String {
    format!("{:04x}", h(w.seed(), &[0x70C, salt]) & 0xffff)
}

/// A whole document outside the association's usual chrome: own masthead
/// and footer, `head` added to `<head>`.
pub(super) fn shell(a: &Assoc, title: &str, head: &str, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 2048);
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/assets/site.css">
{head}
</head>
<body class="standalone">
<div class="masthead"><a class="masthead__brand" href="/">{code} Insights</a>
<ul class="masthead__menu"><li><a href="/news/">News</a></li><li><a href="/events/">Events</a></li><li><a href="/join/">Join</a></li></ul></div>
<div class="page-body">
{body}
</div>
<div class="colophon"><p>{name} &middot; {street}, {city}, {state} {zip} &middot; {phone}</p>
<p><a href="https://www.linkedin.com/company/{lc}">LinkedIn</a> &middot; <a href="/privacy-policy/">Privacy</a> &middot; &copy; 2027</p></div>
</body>
</html>
"#,
        title = esc(title),
        code = a.code,
        name = esc(a.name),
        street = esc(a.street),
        city = a.city,
        state = a.state,
        zip = a.zip,
        phone = a.phone,
        lc = a.code.to_lowercase(),
    );
    s
}

/// JSON for a `<script>` element: `</` cannot end the script early.
pub(super) fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
