//! Text specimens: a roster of `<br>`-separated paragraphs with members
//! abroad, and a long ranked article.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::super::super::associations::Assoc;
use super::super::super::geo::CITIES;
use super::super::super::names::{esc, h, slug};
use super::super::super::truth::TrueOrg;
use super::super::super::{Listing, World, sort_key};
use super::super::chrome;
use super::intl::{self, Abroad};
use super::{Built, org, outsiders, roster, shell};

/// The name line(s) of a roster paragraph: bold, strong or plain, and for
/// some long names broken before "Company", "Corporation" or
/// "Manufacturing".
fn name_lines(name: &str, v: u64) -> String {
    let split = ["Company", "Corporation", "Manufacturing"]
        .iter()
        .filter_map(|word| name.find(&format!(" {word}")))
        .find(|p| *p > 0)
        .filter(|_| v.is_multiple_of(2));
    let body = match split {
        Some(p) => format!("{}<br>\n{}", esc(&name[..p]), esc(&name[p + 1..])),
        None => esc(name),
    };
    match (v >> 4) % 3 {
        0 => format!("<b>{body}</b>"),
        1 => format!("<strong>{body}</strong>"),
        _ => body,
    }
}

fn member_paragraph(l: &Listing) -> String {
    let c = &l.company;
    let v = h(l.style, &[0x9B]);
    let mut lines = vec![name_lines(&l.listed_name, v)];
    if l.shows_address {
        lines.push(esc(&c.street_fmt(l.style)));
        if c.city.country == "CA" {
            lines.push(format!(
                "{}, {}, Canada",
                esc(c.city.name),
                esc(c.city.state_name)
            ));
        } else {
            lines.push(esc(&c.locality_fmt(l.style)));
        }
    }
    if l.shows_phone {
        let label = ["", "Phone: ", "Ph. "][((v >> 8) % 3) as usize];
        lines.push(format!("{label}{}", c.phone_fmt(l.style >> 3)));
    }
    if l.shows_website {
        let text = if (v >> 10).is_multiple_of(2) {
            format!("www.{}", c.domain)
        } else {
            c.website()
        };
        lines.push(format!(
            "<a href=\"{}\">{}</a>",
            esc(&c.website()),
            esc(&text)
        ));
    }
    format!("<p>{}</p>\n", lines.join("<br>\n"))
}

fn abroad_paragraph(m: &Abroad, v: u64) -> String {
    let mut lines = vec![name_lines(&m.name, v | 1)];
    lines.extend(m.lines.iter().map(|s| esc(s)));
    lines.push(esc(&m.phone));
    lines.push(format!("<a href=\"{0}\">{0}</a>", esc(&m.website)));
    format!("<p>{}</p>\n", lines.join("<br>\n"))
}

/// One `<p>` per organisation, lines split by `<br>`: name (bold or not,
/// sometimes over two lines), street, locality, phone, website. A few
/// members are abroad ("Guelph, Ontario, Canada", UK postcodes, ...).
pub(super) fn prose_blocks(w: &World, idx: usize, a: &Assoc) -> Built {
    let mut entries: Vec<(String, String, TrueOrg)> = roster(w, idx, 22, 7)
        .iter()
        .map(|l| {
            (
                sort_key(&l.listed_name),
                member_paragraph(l),
                org(l, l.shows_website, l.shows_phone, l.shows_address),
            )
        })
        .collect();
    for (k, m) in intl::members(w.seed()).into_iter().enumerate() {
        let v = h(w.seed(), &[0x9C, k as u64]);
        entries.push((sort_key(&m.name), abroad_paragraph(&m, v), m.truth));
    }
    entries.sort_by(|x, y| x.0.cmp(&y.0));
    let mut m = format!(
        "<h1>Member Roster</h1>\n<div class=\"roster-text\">\n<p>Members of the {} are listed alphabetically below, overseas members included.</p>\n",
        esc(a.name)
    );
    let mut records = Vec::with_capacity(entries.len());
    for (_, html, truth) in entries {
        m.push_str(&html);
        records.push(truth);
    }
    let _ = writeln!(
        m,
        "<p>Roster current as of March 2027. Send corrections to <a href=\"mailto:roster@{0}\">roster@{0}</a>.</p>\n</div>",
        a.host
    );
    Built {
        html: chrome(w, a, "Member Roster", &m),
        records,
    }
}

static OFFERS: &[(&str, &str, &str, &str)] = &[
    (
        "QuoteLoop",
        "turns emailed RFQs into priced quotes in minutes.",
        "https://quoteloop.example-saas.com/start?src=list",
        "Start a free trial",
    ),
    (
        "ShiftBoard Pro",
        "schedules every machine and operator on one screen.",
        "https://shiftboard.example-saas.com/demo",
        "Book a demo",
    ),
    (
        "CertVault",
        "keeps AS9100 and ISO paperwork audit-ready.",
        "https://certvault.example-saas.com/?utm_source=list",
        "See how it works",
    ),
];

fn offer(k: usize) -> String {
    let (brand, pitch, href, cta) = OFFERS[k % OFFERS.len()];
    format!(
        "<div class=\"inline-offer\"><p class=\"inline-offer__kicker\">Advertisement</p><p class=\"inline-offer__pitch\"><b>{brand}</b> {pitch}</p><a class=\"inline-offer__cta\" href=\"{href}\" target=\"_blank\" rel=\"sponsored\">{cta}</a></div>\n"
    )
}

/// Up to two more office cities for a multi-office firm.
fn other_cities(home: &str, v: u64) -> Vec<&'static str> {
    let n = CITIES.len() as u64;
    (1..=1 + v % 2)
        .map(|j| CITIES[(h(v, &[j]) % n) as usize].name)
        .filter(|c| *c != home)
        .collect()
}

/// One ranked entry and what the page shows of it.
fn ranked_entry(w: &World, k: usize, l: &Listing, others: &[u32]) -> (String, TrueOrg) {
    let c = &l.company;
    let v = h(l.style, &[0xA2]);
    let rank = k + 1;
    let heading = if v.is_multiple_of(2) {
        format!("{rank}) {}", esc(&l.listed_name))
    } else {
        format!("{rank}. {}", esc(&l.listed_name))
    };
    let heading = if (v >> 1).is_multiple_of(3) {
        format!("<strong>{heading}</strong>")
    } else {
        heading
    };
    let mut s = format!(
        "<h3 id=\"pick-{rank}\">{heading}</h3>\n<figure class=\"longread__logo\"><img src=\"/uploads/logos/{sl}.png\" alt=\"{name} logo\" loading=\"lazy\"></figure>\n<p>Since {year}, the company has made {p0} for {ind} buyers. About {emp} people work there today.</p>\n<ul class=\"longread__facts\">\n<li><strong>Country:</strong> {country}</li>\n",
        sl = slug(&l.listed_name),
        name = esc(&l.listed_name),
        year = c.founded,
        p0 = esc(c.trade.products[0]),
        ind = esc(c.trade.industries[(v % c.trade.industries.len() as u64) as usize]),
        emp = c.employees,
        country = if c.city.country == "CA" {
            "Canada"
        } else {
            "United States"
        },
    );
    if l.shows_address {
        let mut cities = vec![c.city.name];
        if (v >> 6).is_multiple_of(4) {
            cities.extend(other_cities(c.city.name, v));
        }
        let region = if c.city.country == "CA" {
            "Province"
        } else {
            "State"
        };
        let _ = write!(
            s,
            "<li><strong>City:</strong> {}</li>\n<li><strong>{region}:</strong> {}</li>\n",
            esc(&cities.join(", ")),
            esc(c.city.state_name)
        );
    }
    let customers: Vec<String> = (0..3)
        .filter_map(|j| others.get((k * 3 + j) % others.len().max(1)))
        .map(|id| esc(&w.company(*id).core))
        .collect();
    let _ = write!(
        s,
        "<li><strong>Founded:</strong> {}</li>\n<li><strong>Specialties:</strong> {}</li>\n<li><strong>Notable customers:</strong> {}</li>\n</ul>\n",
        c.founded,
        esc(&c.trade.products.join(", ")),
        customers.join(", ")
    );
    if l.shows_website {
        let _ = writeln!(
            s,
            "<p>You can find their website <a href=\"{}\" target=\"_blank\" rel=\"noopener\">here</a>.</p>",
            esc(&c.website())
        );
    } else {
        let _ = writeln!(
            s,
            "<p>They do not publish a website; write to <a href=\"mailto:sales@{0}\">sales@{0}</a>.</p>",
            esc(&c.domain)
        );
    }
    let phone = l.shows_phone && (v >> 4).is_multiple_of(2);
    if phone {
        let _ = writeln!(
            s,
            "<p>You can reach them at {}.</p>",
            c.phone_fmt(l.style >> 3)
        );
    }
    (s, org(l, l.shows_website, phone, l.shows_address))
}

/// A long ranked article: `<h3>` "12) Name" per organisation, a logo figure,
/// a blurb, a `<ul>` of `Label: value` items, the website behind "here", a
/// phone in prose for some, ads between entries and FAQ headings after.
pub(super) fn heading_article(w: &World, idx: usize, a: &Assoc) -> Built {
    let members = roster(w, idx, 20, 8);
    let taken: HashSet<u32> = members.iter().map(|l| l.company.id).collect();
    let others = outsiders(w, &taken, 3 * members.len(), 0xA27);
    let mut m = format!(
        "<article class=\"longread\">\n<h1 class=\"longread__title\">The {n} {code} Suppliers Buyers Keep Coming Back To (2027)</h1>\n<p class=\"longread__byline\">By the {code} editorial team &middot; 14 min read</p>\n<p>Every year we ask purchasing managers which suppliers they would hire again. These are the {n} names that came up most, with what they make and how to reach them.</p>\n",
        n = members.len(),
        code = a.code
    );
    m.push_str("<div class=\"inline-offer inline-offer--wide\"><p class=\"inline-offer__kicker\">Free download</p><p class=\"inline-offer__pitch\">Get all 1,200 suppliers from our survey in one spreadsheet.</p><a class=\"inline-offer__cta\" href=\"https://sheets.example-press.com/supplier-survey-2027\" target=\"_blank\">Download the spreadsheet</a></div>\n");
    let mut records = Vec::with_capacity(members.len());
    for (k, l) in members.iter().enumerate() {
        let (html, truth) = ranked_entry(w, k, l, &others);
        m.push_str(&html);
        records.push(truth);
        if k % 5 == 4 && k + 1 < members.len() {
            m.push_str(&offer(k / 5));
        }
    }
    m.push_str("<h2>How we chose</h2>\n<p>Suppliers were ranked by how many buyers named them, then by on-time delivery reported in the survey.</p>\n<h2>Frequently asked questions</h2>\n<h3>How often is this list updated?</h3>\n<p>Once a year, after the spring survey closes.</p>\n<h3>Can my company be considered?</h3>\n<p>Any member company whose customers answer the survey can appear.</p>\n</article>\n");
    Built {
        html: shell(
            a,
            &format!(
                "The {} {} Suppliers Buyers Keep Coming Back To (2027)",
                members.len(),
                a.code
            ),
            "<meta property=\"og:type\" content=\"article\">",
            &m,
        ),
        records,
    }
}
