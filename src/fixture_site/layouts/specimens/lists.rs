//! List and table specimens: an event's exhibitor list and a page of
//! several tables.

use std::collections::HashSet;
use std::fmt::Write as _;

use rand::Rng;

use super::super::super::associations::Assoc;
use super::super::super::names::{self, BRANDS, esc, h, slug};
use super::super::super::truth::TrueOrg;
use super::super::super::{Listing, World, sort_key};
use super::super::chrome;
use super::{Built, name_only, org, outsiders, roster};

/// Words that make a name no world company has (exhibitors from outside).
static OUTSIDE_TRADES: &[&str] = &[
    "Shop Supplies",
    "Tooling Distributors",
    "Safety Products",
    "Material Handling",
    "Quality Labs",
];

/// One exhibitor as listed: its line and its truth.
struct Exhibitor {
    name: String,
    /// `<a href>` around the name, when linked.
    href: Option<String>,
    booth: String,
    truth: TrueOrg,
}

fn booth(v: u64, k: usize) -> String {
    match v % 4 {
        0 => format!("Stand: {}{}", char::from(b'A' + (k / 12) as u8), 10 + k),
        1 => format!("Booth {}", 100 + k * 6),
        2 => format!("Booth #{}", 1200 + k * 4),
        _ => format!("Stand {}-{}", char::from(b'A' + (k / 12) as u8), 1 + k),
    }
}

fn world_exhibitor(l: &Listing, k: usize, base: &str) -> Exhibitor {
    let c = &l.company;
    let v = h(l.style, &[0xE1]);
    // Linked to its own site, to the show's profile of it, or not at all.
    let (href, own) = match v % 3 {
        0 if l.shows_website => (Some(c.website()), true),
        1 => (
            Some(format!("{base}exhibitor/{}/", slug(&l.listed_name))),
            false,
        ),
        _ => (None, false),
    };
    Exhibitor {
        name: l.listed_name.clone(),
        href,
        booth: booth(v >> 8, k),
        truth: org(l, own, false, false),
    }
}

/// An event's exhibitor list: the show's name and dates, names linked or
/// plain inside each list item, booth labels as separate elements, letter
/// headings. Every exhibitor is a record; booth labels never are.
pub(super) fn exhibitor_list(w: &World, idx: usize, a: &Assoc) -> Built {
    let base = format!("http://{}/specimens/exhibitor-list/", a.host);
    let mut listed = roster(w, idx, 16, 4);
    let taken: HashSet<u32> = listed.iter().map(|l| l.company.id).collect();
    // Exhibitors that are not members of the association.
    listed.extend(
        outsiders(w, &taken, 8, 0xE4)
            .into_iter()
            .map(|id| w.listing(idx, id)),
    );
    let mut all: Vec<Exhibitor> = listed
        .iter()
        .enumerate()
        .map(|(k, l)| world_exhibitor(l, k, &base))
        .collect();
    let mut r = names::rng(w.seed(), &[0xE5, idx as u64]);
    for k in 0..3 {
        let b = BRANDS[r.random_range(0..BRANDS.len())];
        let name = format!("{b} {}", OUTSIDE_TRADES[k % OUTSIDE_TRADES.len()]);
        all.push(Exhibitor {
            truth: name_only(&name),
            booth: booth(r.random_range(0..4), 30 + k),
            name,
            href: None,
        });
    }
    all.sort_by_key(|e| sort_key(&e.name));
    let mut m = format!(
        "<div class=\"show-banner\"><h1 class=\"show-banner__name\">{code} Supplier Showcase 2027</h1>\n<p class=\"show-banner__when\"><time datetime=\"2027-03-09\">March 9</time>&ndash;<time datetime=\"2027-03-11\">11, 2027</time> &middot; Lakeside Exhibition Hall, Columbus, OH</p>\n<p class=\"show-banner__cta\"><a href=\"/join/\">Book a stand</a> &middot; <a href=\"/specimens/exhibitor-list/floor-plan.pdf\">Floor plan (PDF)</a></p></div>\n<h2>Exhibitors</h2>\n<p class=\"show-count\">{n} companies exhibiting. Stand allocations are provisional.</p>\n",
        code = a.code,
        n = all.len()
    );
    let mut letter = None;
    for e in &all {
        let first = sort_key(&e.name)
            .chars()
            .next()
            .map(|c| c.to_ascii_uppercase());
        if first != letter {
            if letter.is_some() {
                m.push_str("</ul>\n");
            }
            letter = first;
            let _ = write!(
                m,
                "<h3 class=\"xl-letter\">{}</h3>\n<ul class=\"xl-roll\">\n",
                first.unwrap_or('#')
            );
        }
        let name = match &e.href {
            Some(u) => format!(
                "<a class=\"xl-co\" href=\"{}\">{}</a>",
                esc(u),
                esc(&e.name)
            ),
            None => esc(&e.name),
        };
        let _ = writeln!(
            m,
            "<li class=\"xl-roll__row\">{name} <span class=\"xl-stand\">{}</span></li>",
            esc(&e.booth)
        );
    }
    if letter.is_some() {
        m.push_str("</ul>\n");
    }
    Built {
        html: chrome(w, a, &format!("{} Supplier Showcase 2027", a.code), &m),
        records: all.into_iter().map(|e| e.truth).collect(),
    }
}

fn location(l: &Listing) -> String {
    if l.shows_address {
        format!("{}, {}", esc(l.company.city.name), l.company.city.state)
    } else {
        String::new()
    }
}

/// Comma-separated names of `n` other world firms (customers, partners).
fn firm_list(w: &World, others: &[u32], k: usize, n: usize) -> String {
    if others.is_empty() {
        return String::new();
    }
    (0..n)
        .map(|j| esc(&w.company(others[(k * 3 + j) % others.len()]).core))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Two tables of organisations (name columns "Member" and "Company"), a
/// statistics table between them, and columns of other firms' names. Some
/// companies are in both tables: one record each.
pub(super) fn multi_table(w: &World, idx: usize, a: &Assoc) -> Built {
    let first = roster(w, idx, 12, 5);
    let mut second: Vec<Listing> = first.iter().step_by(4).cloned().collect();
    let shared = second.len();
    second.extend(
        roster(w, idx, 30, 6)
            .into_iter()
            .filter(|l| !first.iter().any(|f| f.company.id == l.company.id))
            .take(8),
    );
    second.sort_by_key(|l| h(w.seed(), &[0x7AB, u64::from(l.company.id)]));
    let taken: HashSet<u32> = first.iter().chain(&second).map(|l| l.company.id).collect();
    let others = outsiders(w, &taken, 3 * taken.len(), 0x7AC);
    let mut m = format!(
        "<h1>{code} Supplier Report 2027</h1>\n<p class=\"report-lede\">Who grew, who supplies whom, and where the work is. Figures come from the {code} member survey.</p>\n<h2>Top members by reported growth</h2>\n<table class=\"report-grid\">\n<thead><tr><th>Rank</th><th>Member</th><th>Location</th><th>Phone</th><th>Website</th><th>Key customers</th></tr></thead>\n<tbody>\n",
        code = a.code
    );
    let mut records = Vec::new();
    for (k, l) in first.iter().enumerate() {
        let c = &l.company;
        let phone = if l.shows_phone {
            c.phone_fmt(l.style >> 3)
        } else {
            String::new()
        };
        let web = if l.shows_website {
            format!(
                "<a href=\"{}\" rel=\"nofollow\">www.{}</a>",
                esc(&c.website()),
                esc(&c.domain)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            m,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{phone}</td><td>{web}</td><td>{}</td></tr>",
            k + 1,
            esc(&l.listed_name),
            location(l),
            firm_list(w, &others, k, 3)
        );
        records.push(org(l, l.shows_website, l.shows_phone, l.shows_address));
    }
    m.push_str("</tbody>\n</table>\n<h2>Where the work comes from</h2>\n<table class=\"report-grid report-grid--stats\">\n<thead><tr><th>Process</th><th>Share</th><th>Change</th></tr></thead>\n<tbody>\n");
    let mut words: Vec<&str> = first.iter().map(|l| l.company.trade.word).collect();
    words.sort_unstable();
    words.dedup();
    for (k, word) in words.iter().enumerate() {
        let _ = writeln!(
            m,
            "<tr><td>{}</td><td>{}%</td><td>{:+} pts</td></tr>",
            esc(word),
            8 + h(w.seed(), &[0x7AD, k as u64]) % 30,
            (h(w.seed(), &[0x7AE, k as u64]) % 9) as i64 - 4
        );
    }
    m.push_str("</tbody>\n</table>\n<h2>Companies that raised capacity</h2>\n<table class=\"report-grid\">\n<thead><tr><th>Company</th><th>Specialty</th><th>Location</th><th>Partners</th></tr></thead>\n<tbody>\n");
    for (k, l) in second.iter().enumerate() {
        let c = &l.company;
        let name = if k % 2 == 0 {
            format!(
                "<a href=\"/specimens/multi-table/company/{}/\">{}</a>",
                c.id,
                esc(&l.listed_name)
            )
        } else {
            esc(&l.listed_name)
        };
        let _ = writeln!(
            m,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(c.trade.products[0]),
            location(l),
            firm_list(w, &others, k + 5, 2)
        );
        if !first.iter().any(|f| f.company.id == c.id) {
            records.push(org(l, false, false, l.shows_address));
        }
    }
    m.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        m,
        "<p class=\"report-note\">{shared} companies appear in both tables.</p>"
    );
    Built {
        html: chrome(w, a, &format!("{} Supplier Report 2027", a.code), &m),
        records,
    }
}
