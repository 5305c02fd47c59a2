//! Directory styles, part one: routing, locations, table, cards, A–Z,
//! free text, microdata.

use std::fmt::Write as _;

use super::super::associations::{ASSOCS, Assoc, Layout};
use super::super::names::{esc, slug};
use super::super::{FixturePage, Listing, RenderOpts, World, sort_key};
use super::{chrome, directory2, drifted};

/// Query parameter value.
pub(crate) fn qparam<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then_some(v)
    })
}

fn page_count(n: usize, size: usize) -> usize {
    n.div_ceil(size.max(1)).max(1)
}

/// URL of page `p` (1-based) of a paginated directory.
pub(crate) fn page_url(a: &Assoc, p: usize) -> String {
    let base = format!("http://{}{}", a.host, a.dir);
    if p <= 1 {
        return base;
    }
    match a.layout {
        Layout::Cards => format!("{base}page/{p}/"),
        Layout::FreeText => format!("{base}?pg={p}"),
        Layout::LoadMore => format!("{base}more?offset={}", (p - 1) * a.page_size),
        Layout::Json => format!(
            "http://{}/api/members?offset={}&limit={}",
            a.host,
            (p - 1) * a.page_size,
            a.page_size
        ),
        _ => format!("{base}?page={p}"),
    }
}

/// First letter bucket of a listed name: 'A'..='Z' or '#'.
pub(crate) fn letter_of(name: &str) -> char {
    match sort_key(name).chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
        _ => '#',
    }
}

fn letter_url(a: &Assoc, l: char) -> String {
    let q = if l == '#' {
        "0-9".to_string()
    } else {
        l.to_string()
    };
    format!("http://{}{}?letter={}", a.host, a.dir, q)
}

pub(crate) fn profile_url(a: &Assoc, l: &Listing) -> Option<String> {
    match a.layout {
        Layout::AtoZ => Some(format!(
            "http://{}{}profile/{}-{}/",
            a.host,
            a.dir,
            l.company.id,
            slug(&l.listed_name)
        )),
        Layout::SearchResults => Some(format!(
            "http://{}{}company/{}/",
            a.host, a.dir, l.company.id
        )),
        _ => None,
    }
}

/// (listing_url, profile_url) of the `pos`-th member (directory order) of association `idx`.
pub(crate) fn listing_location(
    w: &World,
    idx: usize,
    pos: usize,
    l: &Listing,
) -> (String, Option<String>) {
    let a = &ASSOCS[idx];
    let url = match a.layout {
        Layout::AtoZ => letter_url(a, letter_of(&l.listed_name)),
        Layout::LoginWall => format!("http://{}{}", a.host, a.dir),
        Layout::Json => format!(
            "http://{}/api/members?offset={}&limit={}",
            a.host,
            pos / a.page_size * a.page_size,
            a.page_size
        ),
        _ => page_url(a, pos / a.page_size + 1),
    };
    let _ = w;
    (url, profile_url(a, l))
}

/// Every directory URL of an association (for sitemaps).
pub(crate) fn directory_urls(w: &World, idx: usize, a: &Assoc) -> Vec<String> {
    match a.layout {
        Layout::AtoZ => {
            let mut v = vec![format!("http://{}{}", a.host, a.dir)];
            let mut seen = Vec::new();
            for id in w.members_sorted(idx) {
                let l = letter_of(&w.listing(idx, *id).listed_name);
                if !seen.contains(&l) {
                    seen.push(l);
                    v.push(letter_url(a, l));
                }
            }
            v
        }
        Layout::LoginWall | Layout::Json => vec![format!("http://{}{}", a.host, a.dir)],
        _ => (1..=page_count(w.members_of(idx).len(), a.page_size))
            .map(|p| page_url(a, p))
            .collect(),
    }
}

/// Route a directory request; `None` = 404.
pub(crate) fn route(
    w: &World,
    idx: usize,
    a: &Assoc,
    req: super::Req<'_>,
    opts: RenderOpts,
) -> Option<FixturePage> {
    let super::Req { path, query } = req;
    if a.code == "SOCMA" && opts.redirects {
        // A four-hop chain in front of the real directory.
        match (path, query) {
            ("/member-directory/", "") => return Some(FixturePage::redirect(301, "/directory/")),
            ("/directory/", "") => {
                return Some(FixturePage::redirect(
                    302,
                    "http://socma.example/members/directory",
                ));
            }
            ("/members/directory", "") => {
                return Some(FixturePage::redirect(307, "/member-directory/index"));
            }
            ("/member-directory/index", "") => {
                return Some(FixturePage::redirect(308, "/member-directory/?letter=A"));
            }
            _ => {}
        }
    }
    if a.layout == Layout::Json && path == "/api/members" {
        return directory2::json_api(w, idx, a, query);
    }
    let rest = path.strip_prefix(a.dir)?;
    let page_q = |k: &str| qparam(query, k).map_or(Some(1), |v| v.parse::<usize>().ok());
    let n = w.members_of(idx).len();
    let pages = page_count(n, a.page_size);
    let valid = |p: usize| (1..=pages).contains(&p);
    match a.layout {
        Layout::Table if rest.is_empty() && qparam(query, "per_page").is_some() => {
            // "Show N per page", as many directories offer: page 1 of a
            // longer page size (benchmarks read one 2,000-row page).
            let per: usize = qparam(query, "per_page")?.parse().ok()?;
            let wide = Assoc {
                page_size: per.clamp(1, 10_000),
                ..a.clone()
            };
            let p = page_q("page").filter(|p| (1..=page_count(n, wide.page_size)).contains(p))?;
            Some(table(w, idx, &wide, p))
        }
        Layout::Table if rest.is_empty() => {
            let p = page_q("page").filter(|p| valid(*p))?;
            Some(if opts.drift {
                drifted(table_drift(w, idx, a, p))
            } else {
                table(w, idx, a, p)
            })
        }
        Layout::Cards => {
            let p = if rest.is_empty() {
                1
            } else {
                rest.strip_prefix("page/")?
                    .trim_end_matches('/')
                    .parse()
                    .ok()?
            };
            valid(p).then(|| cards(w, idx, a, p))
        }
        Layout::AtoZ if rest.is_empty() => Some(match qparam(query, "letter") {
            Some(l) => a_to_z(
                w,
                idx,
                a,
                Some(if l == "0-9" {
                    '#'
                } else {
                    l.chars().next()?.to_ascii_uppercase()
                }),
            ),
            None => a_to_z(w, idx, a, None),
        }),
        Layout::AtoZ => {
            let id: u32 = rest
                .strip_prefix("profile/")?
                .split('-')
                .next()?
                .parse()
                .ok()?;
            directory2::profile(w, idx, a, id)
        }
        Layout::FreeText if rest.is_empty() => page_q("pg")
            .filter(|p| valid(*p))
            .map(|p| free_text(w, idx, a, p)),
        Layout::Microdata if rest.is_empty() => page_q("page")
            .filter(|p| valid(*p))
            .map(|p| microdata(w, idx, a, p)),
        _ => directory2::route(w, idx, a, super::Req { path: rest, query }, opts),
    }
}

/// Members on page `p` as (position, listing).
pub(crate) fn page_members(w: &World, idx: usize, a: &Assoc, p: usize) -> Vec<Listing> {
    let all = w.members_of(idx);
    let start = (p - 1) * a.page_size;
    all.iter()
        .skip(start)
        .take(a.page_size)
        .map(|id| w.listing(idx, *id))
        .collect()
}

pub(crate) fn pager(a: &Assoc, p: usize, pages: usize, next_class: &str) -> String {
    let mut s = String::from("<nav class=\"pagination\" aria-label=\"Pages\"><ul class=\"pager\">");
    if p > 1 {
        let _ = write!(
            s,
            "<li><a class=\"prev\" rel=\"prev\" href=\"{}\">&laquo; Previous</a></li>",
            esc(&page_url(a, p - 1))
        );
    }
    let lo = p.saturating_sub(3).max(1);
    let hi = (p + 3).min(pages);
    for k in lo..=hi {
        if k == p {
            let _ = write!(s, "<li class=\"active\"><span>{k}</span></li>");
        } else {
            let _ = write!(s, "<li><a href=\"{}\">{k}</a></li>", esc(&page_url(a, k)));
        }
    }
    if p < pages {
        let _ = write!(
            s,
            "<li><a class=\"{next_class}\" rel=\"next\" href=\"{}\">Next &raquo;</a></li>",
            esc(&page_url(a, p + 1))
        );
    }
    s.push_str("</ul></nav>");
    s
}

fn intro(w: &World, idx: usize, a: &Assoc, p: usize) -> String {
    let n = w.members_of(idx).len();
    let first = (p - 1) * a.page_size + 1;
    let last = (p * a.page_size).min(n);
    format!(
        "<h1>Member Directory</h1>\n<p class=\"intro\">{code} members are leading suppliers to North American manufacturing. Use the directory to find a supplier near you.</p>\n<form class=\"directory-search\" action=\"{dir}\" method=\"get\"><input type=\"search\" name=\"q\" placeholder=\"Company name\"><button type=\"submit\">Search</button></form>\n<p class=\"results-count\">Showing {first}&ndash;{last} of {n} members</p>\n",
        code = a.code,
        dir = a.dir
    )
}

fn website_text(l: &Listing) -> String {
    match l.style % 3 {
        0 => format!("www.{}", l.company.domain),
        1 => l.company.website(),
        _ => "Visit website".to_string(),
    }
}

fn table(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = intro(w, idx, a, p);
    m.push_str("<table class=\"member-directory\">\n<thead><tr><th>Company</th><th>Address</th><th>Phone</th><th>Website</th><th>Membership</th></tr></thead>\n<tbody>\n");
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let addr = if l.shows_address {
            format!(
                "<span class=\"street\">{}</span><br><span class=\"city\">{}</span>, <span class=\"state\">{}</span> <span class=\"zip\">{}</span>",
                esc(&c.street_fmt(l.style)),
                esc(c.city.name),
                if l.style % 5 == 4 {
                    c.city.state_name
                } else {
                    c.city.state
                },
                esc(&c.postal)
            )
        } else {
            String::new()
        };
        let phone = if l.shows_phone {
            c.phone_fmt(l.style >> 3)
        } else {
            String::new()
        };
        let web = if l.shows_website {
            format!(
                "<a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a>",
                esc(&c.website()),
                esc(&website_text(&l))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            m,
            "<tr class=\"member-row\"><td class=\"member-name\">{}</td><td class=\"member-address\">{addr}</td><td class=\"member-phone\">{phone}</td><td class=\"member-website\">{web}</td><td class=\"member-type\">{}</td></tr>",
            esc(&l.listed_name),
            l.membership
        );
    }
    m.push_str("</tbody>\n</table>\n");
    m.push_str(&pager(
        a,
        p,
        page_count(w.members_of(idx).len(), a.page_size),
        "next",
    ));
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

/// PMA after a platform upgrade: same data, different markup.
fn table_drift(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = String::from(
        "<div class=\"dir-app\"><h2 class=\"dir-app__heading\">Find a Member</h2>\n<div class=\"dir-app__results\">\n",
    );
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<article class=\"company-listing\" data-member-id=\"{}\">\n<h4 class=\"company-listing__name\">",
            c.id
        );
        if l.shows_website {
            let _ = write!(
                m,
                "<a href=\"{}\">{}</a>",
                esc(&c.website()),
                esc(&l.listed_name)
            );
        } else {
            m.push_str(&esc(&l.listed_name));
        }
        m.push_str("</h4>\n<ul class=\"company-listing__meta\">");
        if l.shows_address {
            let _ = write!(
                m,
                "<li>{}, {}</li>",
                esc(&c.street_fmt(l.style)),
                esc(&c.locality_fmt(l.style))
            );
        }
        if l.shows_phone {
            let _ = write!(m, "<li>Tel. {}</li>", c.phone_fmt(l.style >> 3));
        }
        m.push_str("</ul>\n</article>\n");
    }
    m.push_str("</div>\n");
    let pages = page_count(w.members_of(idx).len(), a.page_size);
    if p < pages {
        let _ = write!(
            m,
            "<div class=\"dir-app__paging\"><a class=\"dir-app__more\" href=\"{}\">More results</a></div>",
            esc(&page_url(a, p + 1))
        );
    }
    m.push_str("</div>");
    FixturePage::html(chrome(w, a, "Find a Member", &m))
}

fn cards(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = intro(w, idx, a, p);
    m.push_str("<div class=\"member-grid\">\n");
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<div class=\"member-card\">\n<img class=\"member-card__logo\" src=\"/wp-content/uploads/logos/{}.png\" alt=\"\">\n<h3 class=\"member-card__title\">{}</h3>\n<span class=\"member-card__badge\">{}</span>\n",
            c.id,
            esc(&l.listed_name),
            l.membership
        );
        if l.shows_address {
            let _ = writeln!(
                m,
                "<div class=\"member-card__address\">{}<br>{}</div>",
                esc(&c.street_fmt(l.style)),
                esc(&c.locality_fmt(l.style))
            );
        }
        if l.shows_phone {
            let _ = writeln!(
                m,
                "<span class=\"member-card__phone\">{}</span>",
                c.phone_fmt(l.style >> 3)
            );
        }
        if l.shows_website {
            let _ = writeln!(
                m,
                "<a class=\"member-card__website\" href=\"{}\">Website</a>",
                esc(&c.website())
            );
        }
        m.push_str("</div>\n");
    }
    m.push_str("</div>\n");
    m.push_str(&pager(
        a,
        p,
        page_count(w.members_of(idx).len(), a.page_size),
        "next",
    ));
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

fn a_to_z(w: &World, idx: usize, a: &Assoc, letter: Option<char>) -> FixturePage {
    let mut m = String::from(
        "<h1>Member Directory</h1>\n<p class=\"intro\">Browse member companies alphabetically. Select a letter.</p>\n<div class=\"az-nav\">",
    );
    for l in "#ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars() {
        let cls = if Some(l) == letter {
            " class=\"current\""
        } else {
            ""
        };
        let label = if l == '#' {
            "0-9".to_string()
        } else {
            l.to_string()
        };
        let _ = write!(
            m,
            "<a{cls} href=\"{}\">{label}</a> ",
            esc(&letter_url(a, l))
        );
    }
    m.push_str("</div>\n");
    if let Some(letter) = letter {
        let _ = write!(
            m,
            "<h2 class=\"letter-heading\">{letter}</h2>\n<ul class=\"member-list\">\n"
        );
        let mut count = 0;
        for id in w.members_sorted(idx) {
            let l = w.listing(idx, *id);
            if letter_of(&l.listed_name) != letter {
                continue;
            }
            count += 1;
            let _ = writeln!(
                m,
                "<li><a class=\"member-link\" href=\"{}\">{}</a></li>",
                esc(&profile_url(a, &l).unwrap_or_default()),
                esc(&l.listed_name)
            );
        }
        if count == 0 {
            m.push_str("<li class=\"empty\">No members found for this letter.</li>\n");
        }
        m.push_str("</ul>\n");
    }
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

fn free_text(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = String::from(
        "<h1>AGMA Member Directory</h1>\n<div class=\"entry-content\">\n<p>The following companies are members in good standing. Listing in this directory does not constitute an endorsement.</p>\n<hr>\n",
    );
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<p class=\"member\"><strong>{}</strong>",
            esc(&l.listed_name)
        );
        if l.shows_address {
            let _ = write!(
                m,
                "<br>\n{}<br>\n{}",
                esc(&c.street_fmt(l.style)),
                esc(&c.locality_fmt(l.style))
            );
            if c.city.country == "CA" {
                m.push_str("<br>\nCanada");
            }
        }
        if l.shows_phone {
            let label = ["Phone: ", "Tel: ", "P: ", ""][(l.style % 4) as usize];
            let _ = write!(m, "<br>\n{label}{}", c.phone_fmt(l.style >> 3));
        }
        if l.shows_website {
            let _ = write!(
                m,
                "<br>\n<a class=\"website\" href=\"{0}\">{0}</a>",
                esc(&c.website())
            );
        }
        m.push_str("</p>\n<hr>\n");
    }
    m.push_str("</div>\n");
    let pages = page_count(w.members_of(idx).len(), a.page_size);
    if p < pages {
        let _ = write!(
            m,
            "<p><a class=\"next-page\" href=\"{}\">Next page &rarr;</a></p>",
            esc(&page_url(a, p + 1))
        );
    }
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

fn microdata(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = intro(w, idx, a, p);
    m.push_str("<div class=\"members\">\n");
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<div class=\"member\" itemscope itemtype=\"https://schema.org/Organization\">\n<h3 itemprop=\"name\">{}</h3>\n",
            esc(&l.listed_name)
        );
        if l.shows_address {
            let _ = writeln!(
                m,
                "<div itemprop=\"address\" itemscope itemtype=\"https://schema.org/PostalAddress\"><span itemprop=\"streetAddress\">{}</span>, <span itemprop=\"addressLocality\">{}</span>, <span itemprop=\"addressRegion\">{}</span> <span itemprop=\"postalCode\">{}</span> <meta itemprop=\"addressCountry\" content=\"{}\"></div>",
                esc(&c.street_fmt(l.style)),
                esc(c.city.name),
                c.city.state,
                esc(&c.postal),
                c.city.country
            );
        }
        if l.shows_phone {
            let _ = writeln!(
                m,
                "<span itemprop=\"telephone\">{}</span>",
                c.phone_fmt(l.style >> 3)
            );
        }
        if l.shows_website {
            let _ = writeln!(
                m,
                "<a itemprop=\"url\" href=\"{}\">{}</a>",
                esc(&c.website()),
                esc(&website_text(&l))
            );
        }
        m.push_str("</div>\n");
    }
    m.push_str("</div>\n");
    m.push_str(&pager(
        a,
        p,
        page_count(w.members_of(idx).len(), a.page_size),
        "next",
    ));
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}
