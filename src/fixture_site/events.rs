//! Event pages: an overview with sponsors by tier, an exhibitor list with
//! booth numbers and a speaker list. Exhibitors mix the association's own
//! members, companies that are members elsewhere, and non-members that are
//! not in the world at all.

use std::fmt::Write as _;

use rand::Rng;

use super::associations::{ASSOCS, Assoc};
use super::company::name_variant;
use super::geo::CITIES;
use super::layouts::chrome;
use super::names::{self, esc};
use super::truth::{TrueEvent, TrueParticipant};
use super::{FixturePage, World};
use crate::model::ParticipantRole;

struct EventDef {
    code: &'static str,
    name: &'static str,
    slug: &'static str,
    venue: &'static str,
    city: &'static str,
    start: &'static str,
    end: &'static str,
}

static EVENTS: &[EventDef] = &[
    EventDef {
        code: "PMA",
        name: "FABTECH Metalforming Pavilion 2027",
        slug: "metalforming-pavilion-2027",
        venue: "Huntington Place",
        city: "Detroit",
        start: "2027-09-14",
        end: "2027-09-16",
    },
    EventDef {
        code: "AGMA",
        name: "Gear Expo 2027",
        slug: "gear-expo-2027",
        venue: "Huntington Convention Center",
        city: "Cleveland",
        start: "2027-10-19",
        end: "2027-10-21",
    },
    EventDef {
        code: "FIA",
        name: "Forge Fair 2027",
        slug: "forge-fair-2027",
        venue: "Duke Energy Convention Center",
        city: "Cincinnati",
        start: "2027-04-13",
        end: "2027-04-15",
    },
    EventDef {
        code: "NADCA",
        name: "Die Casting Congress & Tabletop 2027",
        slug: "congress-tabletop-2027",
        venue: "Indiana Convention Center",
        city: "Indianapolis",
        start: "2027-10-05",
        end: "2027-10-07",
    },
    EventDef {
        code: "AFS",
        name: "CastExpo 2027",
        slug: "castexpo-2027",
        venue: "Georgia World Congress Center",
        city: "Atlanta",
        start: "2027-04-24",
        end: "2027-04-27",
    },
    EventDef {
        code: "NEMA",
        name: "NEMA Annual Membership Meeting 2027",
        slug: "annual-meeting-2027",
        venue: "The Broadmoor",
        city: "Denver",
        start: "2027-11-03",
        end: "2027-11-04",
    },
];

static NON_MEMBER_SUFFIX: &[&str] = &[
    "Industrial Supply",
    "Equipment Sales",
    "Automation",
    "Software",
    "Consulting Group",
    "Logistics",
    "Staffing",
    "Insurance Agency",
];

static AFFILIATIONS: &[&str] = &[
    "Ohio State University",
    "Purdue University",
    "U.S. Department of Energy",
    "Deloitte",
    "National Institute of Standards and Technology",
];

const TIERS: &[(&str, usize)] = &[("Platinum", 2), ("Gold", 3), ("Silver", 4)];

fn defs_of(a: &Assoc) -> impl Iterator<Item = (usize, &'static EventDef)> + '_ {
    EVENTS
        .iter()
        .enumerate()
        .filter(move |(_, e)| e.code == a.code)
}

fn base(a: &Assoc, e: &EventDef) -> String {
    format!("http://{}/events/{}/", a.host, e.slug)
}

/// Event entry points of one association: overview, exhibitors, speakers.
pub(crate) fn event_urls(_w: &World, a: &Assoc) -> Vec<String> {
    defs_of(a)
        .flat_map(|(_, e)| {
            let b = base(a, e);
            [
                b.clone(),
                format!("{b}exhibitors/"),
                format!("{b}speakers/"),
            ]
        })
        .collect()
}

/// Everyone taking part in event `k`, deterministic per seed.
fn participants(w: &World, k: usize, a_idx: usize) -> Vec<TrueParticipant> {
    let n = w.config().members as u32;
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut r = names::rng(w.seed(), &[0xE7, k as u64]);
    let members = w.members_of(a_idx);
    let mut used = std::collections::HashSet::new();
    let mut pick = |r: &mut rand_chacha::ChaCha8Rng, own: bool| -> Option<u32> {
        for _ in 0..20 {
            let id = if own && !members.is_empty() {
                members[r.random_range(0..members.len())]
            } else {
                r.random_range(0..n)
            };
            if used.insert(id) {
                return Some(id);
            }
        }
        None
    };
    let company = |id: u32, tag: u64| {
        let c = w.company(id);
        name_variant(
            &c,
            names::h(w.seed(), &[0xE8, k as u64, u64::from(id), tag]),
        )
    };
    if EVENTS[k].code != "NEMA" {
        for (tier, count) in TIERS {
            for _ in 0..*count {
                if let Some(id) = pick(&mut r, true) {
                    out.push(TrueParticipant {
                        company_id: Some(id),
                        name: company(id, 1),
                        role: ParticipantRole::Sponsor,
                        sponsor_tier: Some((*tier).to_string()),
                        booth: None,
                        person_name: None,
                        person_title: None,
                    });
                }
            }
        }
        let count = (n as usize / 4).clamp(8, 80);
        for j in 0..count {
            let booth = if k.is_multiple_of(2) {
                format!("{}", 100 + j * 7 + r.random_range(0..5))
            } else {
                format!("{}-{}", (b'A' + (j / 20) as u8) as char, 1 + j % 20)
            };
            let roll = r.random_range(0..100);
            let (id, name) = if roll < 15 {
                let b = names::BRANDS[r.random_range(0..names::BRANDS.len())];
                let s = NON_MEMBER_SUFFIX[r.random_range(0..NON_MEMBER_SUFFIX.len())];
                (None, format!("{b} {s}"))
            } else {
                match pick(&mut r, roll < 65) {
                    Some(id) => (Some(id), company(id, 2)),
                    None => continue,
                }
            };
            out.push(TrueParticipant {
                company_id: id,
                name,
                role: ParticipantRole::Exhibitor,
                sponsor_tier: None,
                booth: Some(booth),
                person_name: None,
                person_title: None,
            });
        }
    }
    for _ in 0..r.random_range(5..9) {
        let first = names::FIRST_NAMES[r.random_range(0..names::FIRST_NAMES.len())];
        let last = names::LAST_NAMES[r.random_range(0..names::LAST_NAMES.len())];
        let title = names::TITLES[r.random_range(0..names::TITLES.len())];
        let (id, name) = if r.random_range(0..5) == 0 {
            (
                None,
                AFFILIATIONS[r.random_range(0..AFFILIATIONS.len())].to_string(),
            )
        } else {
            let id = r.random_range(0..n);
            (Some(id), company(id, 3))
        };
        out.push(TrueParticipant {
            company_id: id,
            name,
            role: ParticipantRole::Speaker,
            sponsor_tier: None,
            booth: None,
            person_name: Some(format!("{first} {last}")),
            person_title: Some(title.to_string()),
        });
    }
    out
}

pub(crate) fn truth(w: &World) -> Vec<TrueEvent> {
    EVENTS
        .iter()
        .enumerate()
        .filter_map(|(k, e)| {
            let (a_idx, a) = ASSOCS.iter().enumerate().find(|(_, a)| a.code == e.code)?;
            let city = CITIES.iter().find(|c| c.name == e.city)?;
            Some(TrueEvent {
                association: a.code.to_string(),
                name: e.name.to_string(),
                url: base(a, e),
                start_date: e.start.to_string(),
                end_date: e.end.to_string(),
                city: e.city.to_string(),
                state: city.state.to_string(),
                participants: participants(w, k, a_idx),
            })
        })
        .collect()
}

fn date_range(e: &EventDef) -> String {
    let p = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match (p(e.start), p(e.end)) {
        (Some(s), Some(t)) => format!("{} &ndash; {}", s.format("%B %-d"), t.format("%B %-d, %Y")),
        _ => format!("{} &ndash; {}", e.start, e.end),
    }
}

/// Route `/events...` on an association host.
pub(crate) fn page(
    w: &World,
    idx: usize,
    a: &Assoc,
    path: &str,
    _query: &str,
) -> Option<FixturePage> {
    if path == "/events/" || path == "/events" {
        let mut m = String::from("<h1>Upcoming Events</h1>\n<ul class=\"event-list\">\n");
        for (_, e) in defs_of(a) {
            let _ = writeln!(
                m,
                "<li class=\"event\"><a href=\"{}\">{}</a> <span class=\"event-date\">{}</span> <span class=\"event-location\">{}, {}</span></li>",
                base(a, e),
                esc(e.name),
                date_range(e),
                esc(e.venue),
                e.city
            );
        }
        m.push_str("<li class=\"event\">Regional networking breakfasts &ndash; dates to be announced</li>\n</ul>");
        return Some(FixturePage::html(chrome(w, a, "Events", &m)));
    }
    let rest = path.strip_prefix("/events/")?;
    let (slug, sub) = rest.split_once('/')?;
    let (k, e) = defs_of(a).find(|(_, e)| e.slug == slug)?;
    let ps = participants(w, k, idx);
    let city = CITIES
        .iter()
        .find(|c| c.name == e.city)
        .map_or("", |c| c.state);
    let head = format!(
        "<div class=\"event-header\"><h1 class=\"event-title\">{}</h1><p class=\"event-meta\"><time datetime=\"{}\">{}</time> &middot; {}, {}, {}</p>\n<nav class=\"event-nav\"><a href=\"{b}\">Overview</a> | <a href=\"{b}exhibitors/\">Exhibitors</a> | <a href=\"{b}speakers/\">Speakers</a> | <a href=\"/login\">Register</a></nav></div>\n",
        esc(e.name),
        e.start,
        date_range(e),
        esc(e.venue),
        e.city,
        city,
        b = base(a, e)
    );
    let mut m = head;
    match sub {
        "" => {
            let _ = writeln!(
                m,
                "<p>Join {} members and suppliers in {} for three days of technical sessions, plant tours and the industry's largest exhibit hall.</p>",
                a.code, e.city
            );
            if ps.iter().any(|p| p.role == ParticipantRole::Sponsor) {
                m.push_str("<section class=\"sponsors\"><h2>Thank You to Our Sponsors</h2>\n");
                for (tier, _) in TIERS {
                    let _ = write!(
                        m,
                        "<div class=\"sponsor-tier sponsor-tier--{}\"><h3>{tier} Sponsors</h3><ul>",
                        tier.to_lowercase()
                    );
                    for p in ps
                        .iter()
                        .filter(|p| p.sponsor_tier.as_deref() == Some(tier))
                    {
                        let logo = p
                            .company_id
                            .map(|id| w.company(id).website())
                            .unwrap_or_default();
                        let _ = write!(
                            m,
                            "<li class=\"sponsor\"><a href=\"{}\"><img src=\"/uploads/sponsors/{}.png\" alt=\"{}\"></a><span class=\"sponsor-name\">{}</span></li>",
                            esc(&logo),
                            names::slug(&p.name),
                            esc(&p.name),
                            esc(&p.name)
                        );
                    }
                    m.push_str("</ul></div>\n");
                }
                m.push_str("</section>\n");
            }
        }
        "exhibitors/" => {
            m.push_str(
                "<h2>Exhibitor List</h2>\n<p class=\"note\">Floor plan subject to change.</p>\n",
            );
            if k % 2 == 0 {
                m.push_str("<table class=\"exhibitors\"><thead><tr><th>Company</th><th>Booth</th></tr></thead><tbody>\n");
                for p in ps.iter().filter(|p| p.role == ParticipantRole::Exhibitor) {
                    let _ = writeln!(
                        m,
                        "<tr class=\"exhibitor\"><td class=\"exhibitor-name\">{}</td><td class=\"booth\">{}</td></tr>",
                        esc(&p.name),
                        esc(p.booth.as_deref().unwrap_or(""))
                    );
                }
                m.push_str("</tbody></table>\n");
            } else {
                m.push_str("<ul class=\"exhibitor-list\">\n");
                for p in ps.iter().filter(|p| p.role == ParticipantRole::Exhibitor) {
                    let _ = writeln!(
                        m,
                        "<li><strong>{}</strong> &mdash; Booth #{}</li>",
                        esc(&p.name),
                        esc(p.booth.as_deref().unwrap_or(""))
                    );
                }
                m.push_str("</ul>\n");
            }
        }
        "speakers/" => {
            m.push_str("<h2>Speakers</h2>\n<div class=\"speakers\">\n");
            for p in ps.iter().filter(|p| p.role == ParticipantRole::Speaker) {
                let _ = writeln!(
                    m,
                    "<div class=\"speaker\"><h3 class=\"speaker-name\">{}</h3><p class=\"speaker-title\">{}</p><p class=\"speaker-company\">{}</p></div>",
                    esc(p.person_name.as_deref().unwrap_or("")),
                    esc(p.person_title.as_deref().unwrap_or("")),
                    esc(&p.name)
                );
            }
            m.push_str("</div>\n");
        }
        _ => return None,
    }
    Some(FixturePage::html(chrome(w, a, e.name, &m)))
}
