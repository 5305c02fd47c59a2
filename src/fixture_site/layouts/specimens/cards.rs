//! Card specimens: label/value cards, a page-builder repeater, and search
//! cards whose details sit in JSON-LD.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use serde_json::json;

use super::super::super::associations::Assoc;
use super::super::super::company::Company;
use super::super::super::names::{esc, h, slug};
use super::super::super::{Listing, World};
use super::super::chrome;
use super::{Built, org, outsiders, roster, script_json, shell, token};

/// "450 W. 33rd Street New York, NY USA 10001": street, city, state,
/// country word and postal code, no comma between street and city.
fn one_line_address(c: &Company, v: u64) -> String {
    let country = match c.city.country {
        "CA" => "Canada",
        _ if (v >> 15).is_multiple_of(4) => "United States",
        _ => "USA",
    };
    format!(
        "{} {}, {} {country} {}",
        c.street_fmt(2 + (v & 1)),
        c.city.name,
        c.city.state,
        c.postal
    )
}

/// A fax number next to the phone: same exchange, another line.
fn fax_number(c: &Company, v: u64) -> String {
    let line = (u64::from(c.line) + 1 + v % 89) % 10_000;
    format!("({}) {}-{line:04}", c.area, c.exchange)
}

/// "CNC machined parts" stays, "motor controls" becomes "Motor controls".
fn capitalized(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

fn label_line(label: &str, value: &str) -> String {
    format!(
        "<p class=\"locator-card__line\"><span class=\"locator-card__key\">{label}:</span> {value}</p>\n"
    )
}

/// Cards: a heading, then `Label: value` lines (address on one line, phone
/// or tel, a fax that is not the phone, the website linked or as text).
pub(super) fn label_cards(w: &World, idx: usize, a: &Assoc) -> Built {
    let members = roster(w, idx, 24, 1);
    let mut m = format!(
        "<h1>Supplier Locator</h1>\n<p class=\"lede\">{code} member companies as they describe themselves. Members keep their own details current through the member portal.</p>\n<div class=\"locator-grid\">\n",
        code = a.code
    );
    let mut records = Vec::new();
    for l in &members {
        let c = &l.company;
        let v = l.style;
        let linked = l.shows_website && !(v >> 5).is_multiple_of(3);
        // Some cards give only a fax.
        let phone = l.shows_phone && !(v >> 19).is_multiple_of(5);
        let _ = write!(
            m,
            "<article class=\"locator-card\">\n<h4 class=\"locator-card__heading\">{}</h4>\n<div class=\"locator-card__body\">\n",
            esc(&l.listed_name)
        );
        if l.shows_address {
            m.push_str(&label_line("Address", &esc(&one_line_address(c, v))));
        }
        let fax = (!(v >> 9).is_multiple_of(3)).then(|| label_line("Fax", &fax_number(c, v)));
        let fax_first = (v >> 13).is_multiple_of(2);
        if fax_first && let Some(f) = &fax {
            m.push_str(f);
        }
        if phone {
            let label = ["Phone", "Tel", "Telephone", "Main"][((v >> 11) % 4) as usize];
            m.push_str(&label_line(label, &c.phone_fmt(v >> 3)));
        }
        if !fax_first && let Some(f) = &fax {
            m.push_str(f);
        }
        if l.shows_website {
            let text = if (v >> 17).is_multiple_of(2) {
                format!("www.{}", c.domain)
            } else if linked {
                c.website()
            } else {
                c.domain.clone()
            };
            let value = if linked {
                format!(
                    "<a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a>",
                    esc(&c.website()),
                    esc(&text)
                )
            } else {
                esc(&text)
            };
            m.push_str(&label_line("Website", &value));
        }
        m.push_str("</div>\n</article>\n");
        records.push(org(l, linked, phone, l.shows_address));
    }
    m.push_str("</div>\n<p class=\"locator-note\">Not finding a supplier? Call the association office and we will point you to one.</p>\n");
    Built {
        html: chrome(w, a, "Supplier Locator", &m),
        records,
    }
}

/// One page-builder widget: two wrappers with generated classes.
fn widget(w: &World, salt: u64, kind: &str, inner: &str) -> String {
    format!(
        "<div class=\"pbx-w pbx-w-{t} pbx-{kind}\" data-pbx-widget=\"{kind}\" data-id=\"{t}\"><div class=\"pbx-w__inner\">{inner}</div></div>\n",
        t = token(w, salt)
    )
}

/// A loop item's three nested containers around `widgets`.
fn item(w: &World, salt: u64, extra: &str, widgets: &str) -> String {
    format!(
        "<div class=\"pbx-loop__item pbx-e-{a}{extra}\"><div class=\"pbx-sec pbx-sec-{b}\"><div class=\"pbx-row pbx-row-{c}\"><div class=\"pbx-col pbx-col-{d} pbx-col--full\">\n{widgets}</div></div></div></div>\n",
        a = token(w, salt),
        b = token(w, salt + 1),
        c = token(w, salt + 2),
        d = token(w, salt + 3),
    )
}

fn builder_member(w: &World, k: u64, l: &Listing) -> String {
    let c = &l.company;
    let v = l.style;
    let salt = 0x1000 + k * 16;
    let mut text = format!(
        "<p>{} and {} for {} customers.</p>",
        esc(&capitalized(c.trade.products[0])),
        esc(c.trade.products[1 % c.trade.products.len()]),
        esc(c.trade.industries[(v % c.trade.industries.len() as u64) as usize])
    );
    if l.shows_address {
        let _ = write!(
            text,
            "<p class=\"pbx-where\">{}, {}</p>",
            esc(c.city.name),
            c.city.state
        );
    }
    if l.shows_phone {
        let _ = write!(text, "<p class=\"pbx-tel\">{}</p>", c.phone_fmt(v >> 3));
    }
    let mut widgets = widget(
        w,
        salt,
        "heading",
        &format!(
            "<h3 class=\"pbx-h pbx-h--card\">{}</h3>",
            esc(&l.listed_name)
        ),
    );
    widgets.push_str(&widget(w, salt + 4, "text", &text));
    widgets.push_str(&widget(
        w,
        salt + 5,
        "badge",
        &format!(
            "<a class=\"pbx-chip\" href=\"/specimens/builder-repeater/?network={}\">{} members</a>",
            c.id,
            2 + h(w.seed(), &[0xB1D, u64::from(c.id)]) % 40
        ),
    ));
    if l.shows_website {
        let label = if (v >> 7).is_multiple_of(2) {
            "More info"
        } else {
            "Visit website"
        };
        widgets.push_str(&widget(
            w,
            salt + 6,
            "button",
            &format!(
                "<a class=\"pbx-btn pbx-btn--sm\" href=\"{}\" target=\"_blank\" rel=\"noopener\"><span class=\"pbx-btn__icon\"></span><span class=\"pbx-btn__text\">{label}</span></a>",
                esc(&c.website())
            ),
        ));
    }
    item(w, salt + 8, "", &widgets)
}

/// Page-builder markup: generated class names, a category facet list before
/// the records, the website only behind a button, a members badge, and a
/// promo box that looks like a record in the middle of the list.
pub(super) fn builder_repeater(w: &World, idx: usize, a: &Assoc) -> Built {
    let members = roster(w, idx, 20, 2);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &members {
        *counts.entry(l.company.trade.word).or_default() += 1;
    }
    let mut facets = String::from(
        "<h5 class=\"pbx-h pbx-h--xs\">Filter by capability</h5><ul class=\"pbx-facets\">",
    );
    for (word, n) in &counts {
        let _ = write!(
            facets,
            "<li class=\"pbx-facets__opt\"><a href=\"?capability={}\">{} ({n})</a></li>",
            slug(word),
            esc(word)
        );
    }
    facets.push_str("</ul>");
    let mut m = format!(
        "<div class=\"pbx-sec pbx-sec-{s}\" data-pbx-type=\"section\"><div class=\"pbx-row pbx-row-{r}\">\n<div class=\"pbx-col pbx-col-{c1} pbx-col--third\">\n{facets_w}</div>\n<div class=\"pbx-col pbx-col-{c2} pbx-col--two-thirds\">\n{title}{intro}<div class=\"pbx-loop pbx-loop-{lp}\" data-pbx-widget=\"loop-grid\">\n",
        s = token(w, 1),
        r = token(w, 2),
        c1 = token(w, 3),
        c2 = token(w, 4),
        lp = token(w, 5),
        facets_w = widget(w, 6, "facets", &facets),
        title = widget(
            w,
            7,
            "heading",
            "<h1 class=\"pbx-h pbx-h--xl\">Member companies</h1>"
        ),
        intro = widget(
            w,
            8,
            "text",
            &format!(
                "<p>Meet the manufacturers that make up {}. Use the filters to narrow the list.</p>",
                esc(a.name)
            )
        ),
    );
    let promo_at = members.len() / 2;
    for (k, l) in members.iter().enumerate() {
        if k == promo_at {
            let mut widgets = widget(
                w,
                0x900,
                "heading",
                "<h3 class=\"pbx-h pbx-h--card\">Get the buyer's guide</h3>",
            );
            widgets.push_str(&widget(
                w,
                0x901,
                "text",
                "<p>Lead times, specifications and sourcing checklists in one free download.</p>",
            ));
            widgets.push_str(&widget(
                w,
                0x902,
                "button",
                &format!(
                    "<a class=\"pbx-btn pbx-btn--sm\" href=\"https://guides.example-press.com/{}/buyers-guide-2027\" target=\"_blank\"><span class=\"pbx-btn__text\">Download now</span></a>",
                    a.code.to_lowercase()
                ),
            ));
            m.push_str(&item(w, 0x910, "", &widgets));
        }
        m.push_str(&builder_member(w, k as u64, l));
    }
    m.push_str("</div>\n</div>\n</div></div>\n");
    let records = members
        .iter()
        .map(|l| org(l, l.shows_website, l.shows_phone, l.shows_address))
        .collect();
    Built {
        html: chrome(w, a, "Member Companies", &m),
        records,
    }
}

/// The JSON-LD object of one search card.
fn card_json(l: &Listing, v: u64) -> serde_json::Value {
    let c = &l.company;
    let mut o = json!({
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": l.listed_name,
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": format!("{}.{}", 3 + v % 3, (v >> 4) % 10),
            "reviewCount": 3 + (v >> 8) % 60,
        },
    });
    if l.shows_phone {
        o["telephone"] = json!(c.phone_fmt(v >> 3));
    }
    if l.shows_website {
        o["url"] = json!(c.website());
    }
    if l.shows_address {
        o["address"] = json!({
            "@type": "PostalAddress",
            "streetAddress": c.street_fmt(v),
            "addressLocality": c.city.name,
            "addressRegion": c.city.state,
            "postalCode": c.postal,
            "addressCountry": c.city.country,
        });
    }
    o
}

fn search_card(k: usize, l: &Listing, mention: Option<&str>, near: &str) -> String {
    let c = &l.company;
    let v = l.style;
    let rating = format!("{}.{}", 3 + v % 3, (v >> 4) % 10);
    let mut s = format!(
        "<li class=\"finder-card\" id=\"fc-{id}\">\n<div class=\"finder-card__top\"><h3 class=\"finder-card__title\"><a href=\"/specimens/json-ld-cards/listing/{id}/\">{name}</a></h3>\n<div class=\"finder-card__score\"><span class=\"stars\" aria-label=\"{rating} out of 5\">&#9733;&#9733;&#9733;&#9733;&#9734;</span> <span class=\"score-num\">{rating}</span> <span class=\"score-count\">({n})</span></div></div>\n<p class=\"finder-card__hours\">Open today until 5:00 pm</p>\n<p class=\"finder-card__area\">Serves the {near} area</p>\n<p class=\"finder-card__blurb\">{p0}, {p1}</p>\n<div class=\"finder-card__actions\">",
        id = c.id,
        name = esc(&l.listed_name),
        n = 3 + (v >> 8) % 60,
        near = esc(near),
        p0 = esc(&capitalized(c.trade.products[0])),
        p1 = esc(c.trade.products[1 % c.trade.products.len()]),
    );
    if l.shows_phone {
        if k < 3 {
            let _ = write!(
                s,
                "<a class=\"finder-card__call\" href=\"tel:{}\">{}</a>",
                c.phone_e164(),
                c.phone_fmt(v >> 3)
            );
        } else {
            let _ = write!(
                s,
                "<button type=\"button\" class=\"finder-card__reveal\" data-listing=\"{}\">Show number</button>",
                c.id
            );
        }
    }
    if l.shows_address {
        let _ = write!(
            s,
            " <a class=\"finder-card__map\" href=\"https://maps.example-maps.com/dir/?q={}\" target=\"_blank\">Directions</a>",
            slug(&format!(
                "{} {} {}",
                c.street_fmt(v),
                c.city.name,
                c.city.state
            ))
        );
    }
    s.push_str("</div>\n");
    if let Some(other) = mention {
        let _ = writeln!(
            s,
            "<blockquote class=\"finder-card__review\">&ldquo;Quoted faster than {} and hit every tolerance.&rdquo; <cite>verified buyer</cite></blockquote>",
            esc(other)
        );
    }
    let _ = write!(
        s,
        "<script type=\"application/ld+json\">{}</script>\n</li>\n",
        script_json(&card_json(l, v))
    );
    s
}

/// Search results: cards with a name, a rating and a "Show number" button
/// (the first few show a `tel:` link), one LocalBusiness JSON-LD object per
/// card with phone, site and address, map links, and a sponsored sidebar.
pub(super) fn json_ld_cards(w: &World, idx: usize, a: &Assoc) -> Built {
    let members = roster(w, idx, 18, 3);
    let near = format!("{}, {}", a.city, a.state);
    let taken: HashSet<u32> = members.iter().map(|l| l.company.id).collect();
    let others = outsiders(w, &taken, 6, 0x15D);
    let mut m = format!(
        "<div class=\"finder\">\n<div class=\"finder__main\">\n<h1 class=\"finder__title\">Machine shops near {near}</h1>\n<p class=\"finder__count\">{n} results &middot; Sorted by relevance</p>\n<ol class=\"finder-results\">\n",
        near = esc(&near),
        n = members.len()
    );
    for (k, l) in members.iter().enumerate() {
        let mention = (k % 5 == 2)
            .then(|| others.get(3 + k % 3))
            .flatten()
            .map(|id| w.company(*id).core);
        m.push_str(&search_card(k, l, mention.as_deref(), &near));
    }
    m.push_str("</ol>\n<section class=\"finder-faq\"><h2>Questions buyers ask</h2>\n<h3>How do I pick a machine shop?</h3><p>Ask for certifications, recent parts like yours and lead times before you send drawings.</p>\n<h3>What does CNC machining cost?</h3><p>Most shops quote per part once they have the drawing, material and quantity.</p></section>\n</div>\n<aside class=\"finder__rail\"><h2 class=\"finder__rail-title\">Featured partners</h2>\n");
    for id in others.iter().take(3) {
        let c = w.company(*id);
        let _ = writeln!(
            m,
            "<div class=\"rail-promo\"><span class=\"rail-promo__flag\">Sponsored</span><h3 class=\"rail-promo__name\">{}</h3><p class=\"rail-promo__tel\">{}</p><a class=\"rail-promo__site\" href=\"{}\" rel=\"sponsored\">Visit site</a></div>",
            esc(&c.name),
            c.phone_fmt(u64::from(c.id)),
            esc(&c.website())
        );
    }
    m.push_str("</aside>\n</div>\n");
    let records = members
        .iter()
        .map(|l| org(l, l.shows_website, l.shows_phone, l.shows_address))
        .collect();
    Built {
        html: shell(
            a,
            &format!("Machine shops near {near} | {} Supplier Finder", a.code),
            "<meta name=\"robots\" content=\"noindex\">",
            &m,
        ),
        records,
    }
}
