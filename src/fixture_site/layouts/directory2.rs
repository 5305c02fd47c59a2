//! Directory styles, part two: JSON API, load more, definition list, login
//! wall, search results, and member profile pages.

use std::fmt::Write as _;

use super::super::associations::{Assoc, Layout};
use super::super::names::esc;
use super::super::{FixturePage, Listing, RenderOpts, World};
use super::chrome;
use super::directory::{page_members, page_url, pager, profile_url, qparam};

fn page_count(w: &World, idx: usize, a: &Assoc) -> usize {
    w.members_of(idx).len().div_ceil(a.page_size.max(1)).max(1)
}

/// Routes below the directory path (`rest` is the path after `a.dir`).
pub(crate) fn route(
    w: &World,
    idx: usize,
    a: &Assoc,
    req: super::Req<'_>,
    opts: RenderOpts,
) -> Option<FixturePage> {
    let super::Req { path: rest, query } = req;
    let pages = page_count(w, idx, a);
    let page_q = |k: &str| qparam(query, k).map_or(Some(1), |v| v.parse::<usize>().ok());
    match a.layout {
        Layout::Json if rest.is_empty() => Some(json_shell(w, a)),
        Layout::LoadMore if rest.is_empty() => Some(load_more(w, idx, a, 0, false)),
        Layout::LoadMore if rest == "more" => {
            let off: usize = qparam(query, "offset")?.parse().ok()?;
            (off.is_multiple_of(a.page_size) && off < w.members_of(idx).len())
                .then(|| load_more(w, idx, a, off, true))
        }
        Layout::DefList if rest.is_empty() => page_q("page")
            .filter(|p| (1..=pages).contains(p))
            .map(|p| def_list(w, idx, a, p)),
        Layout::LoginWall if rest.is_empty() || rest == "search" => {
            Some(super::login_page(w, a, "returnUrl=/member-directory/"))
        }
        Layout::SearchResults if rest.is_empty() => page_q("page")
            .filter(|p| (1..=pages).contains(p))
            .map(|p| charset(search_results(w, idx, a, p), opts.bad_charset, false)),
        Layout::SearchResults => {
            let id: u32 = rest
                .strip_prefix("company/")?
                .trim_end_matches('/')
                .parse()
                .ok()?;
            profile(w, idx, a, id).map(|p| charset(p, opts.bad_charset, true))
        }
        _ => None,
    }
}

/// Re-encode a UTF-8 page as Windows-1252: with no charset anywhere
/// (`mislabel` false) or labelled UTF-8 in the header (`mislabel` true).
fn charset(p: FixturePage, bad: bool, mislabel: bool) -> FixturePage {
    if !bad || p.status != 200 {
        return p;
    }
    let text = String::from_utf8_lossy(&p.body).replace("<meta charset=\"utf-8\">\n", "");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let ct = if mislabel {
        "text/html; charset=utf-8"
    } else {
        "text/html"
    };
    FixturePage {
        content_type: ct.to_string(),
        body: bytes.into_owned(),
        ..p
    }
}

fn json_shell(w: &World, a: &Assoc) -> FixturePage {
    let m = format!(
        r#"<h1>Find a Member</h1>
<p class="intro">Search {code} member shops by capability and location.</p>
<div id="member-app" data-endpoint="/api/members?offset=0&amp;limit={n}" data-page-size="{n}">
<div class="spinner">Loading members&hellip;</div>
</div>
<noscript><p class="warning">The member directory requires JavaScript. Please enable JavaScript to search for members.</p></noscript>
<script src="/static/js/vendor/react.production.min.js"></script>
<script>
(function () {{
  var app = document.getElementById('member-app');
  function load(url) {{
    fetch(url, {{headers: {{'Accept': 'application/json'}}}}).then(function (r) {{ return r.json(); }}).then(function (data) {{
      data.members.forEach(function (m) {{
        var div = document.createElement('div'); div.className = 'member-result';
        div.textContent = m.name + ' - ' + (m.city || '') + ', ' + (m.state || '');
        app.appendChild(div);
      }});
      if (data.next) {{ load(data.next); }}
    }});
  }}
  load(app.getAttribute('data-endpoint'));
}})();
</script>"#,
        code = a.code,
        n = a.page_size
    );
    FixturePage::html(chrome(w, a, "Find a Member", &m))
}

/// `GET /api/members?offset=K&limit=L` on the JSON-layout association.
pub(crate) fn json_api(w: &World, idx: usize, a: &Assoc, query: &str) -> Option<FixturePage> {
    let offset: usize = qparam(query, "offset").unwrap_or("0").parse().ok()?;
    let limit: usize = qparam(query, "limit").map_or(Some(a.page_size), |v| v.parse().ok())?;
    let limit = limit.clamp(1, 100);
    let all = w.members_of(idx);
    let members: Vec<serde_json::Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|id| {
            let l = w.listing(idx, *id);
            let c = &l.company;
            serde_json::json!({
                "id": format!("M{:06}", c.id),
                "name": l.listed_name,
                "website": l.shows_website.then(|| c.website()),
                "phone": l.shows_phone.then(|| c.phone_fmt(l.style >> 3)),
                "address": l.shows_address.then(|| serde_json::json!({
                    "line1": c.street_fmt(l.style),
                    "city": c.city.name,
                    "state": c.city.state,
                    "zip": c.postal,
                    "country": if c.city.country == "US" { "United States" } else { "Canada" },
                })),
                "memberType": l.membership,
            })
        })
        .collect();
    let next = (offset + limit < all.len())
        .then(|| format!("/api/members?offset={}&limit={}", offset + limit, limit));
    let body = serde_json::json!({
        "total": all.len(),
        "offset": offset,
        "limit": limit,
        "next": next,
        "members": members,
    });
    let bytes = serde_json::to_vec_pretty(&body).ok()?;
    Some(FixturePage::with_type(200, "application/json", bytes))
}

fn item(l: &Listing) -> String {
    let c = &l.company;
    let mut s = format!(
        "<div class=\"member-item\">\n<h3 class=\"member-item__name\">{}</h3>\n",
        esc(&l.listed_name)
    );
    if l.shows_address {
        let _ = writeln!(
            s,
            "<p class=\"member-item__address\">{}, {}</p>",
            esc(&c.street_fmt(l.style)),
            esc(&c.locality_fmt(l.style))
        );
    }
    if l.shows_phone {
        let _ = writeln!(
            s,
            "<p class=\"member-item__phone\">{}</p>",
            c.phone_fmt(l.style >> 3)
        );
    }
    if l.shows_website {
        let _ = writeln!(
            s,
            "<p class=\"member-item__web\"><a href=\"{0}\">{0}</a></p>",
            esc(&c.website())
        );
    }
    s.push_str("</div>\n");
    s
}

fn load_more(w: &World, idx: usize, a: &Assoc, offset: usize, fragment: bool) -> FixturePage {
    let p = offset / a.page_size + 1;
    let mut m = String::new();
    if !fragment {
        m.push_str("<h1>Member Directory</h1>\n<p class=\"intro\">Precision machining companies, listed in order of membership.</p>\n<div id=\"member-items\" class=\"member-items\">\n");
    }
    for l in page_members(w, idx, a, p) {
        m.push_str(&item(&l));
    }
    if p < page_count(w, idx, a) {
        let _ = writeln!(
            m,
            "<a class=\"load-more button\" href=\"{}\" data-target=\"#member-items\">Load more members</a>",
            esc(&page_url(a, p + 1))
        );
    }
    if fragment {
        FixturePage::html(m)
    } else {
        m.push_str("</div>\n");
        FixturePage::html(chrome(w, a, "Member Directory", &m))
    }
}

fn def_list(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = String::from(
        "<h1>Member Directory</h1>\n<p class=\"intro\">FIA producer members. Supplier members are listed separately.</p>\n<dl class=\"member-list\">\n",
    );
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<div class=\"member\">\n<dt>{}</dt>\n",
            esc(&l.listed_name)
        );
        if l.shows_address {
            let _ = writeln!(
                m,
                "<dd class=\"address\">{}<br>{}{}</dd>",
                esc(&c.street_fmt(l.style)),
                esc(&c.locality_fmt(l.style)),
                if c.city.country == "CA" {
                    "<br>Canada"
                } else {
                    ""
                }
            );
        }
        if l.shows_phone {
            let _ = writeln!(
                m,
                "<dd class=\"phone\">Phone: {}</dd>",
                c.phone_fmt(l.style >> 3)
            );
        }
        if l.shows_website {
            let _ = writeln!(
                m,
                "<dd class=\"web\"><a href=\"{}\">www.{}</a></dd>",
                esc(&c.website()),
                esc(&c.domain)
            );
        }
        let _ = write!(
            m,
            "<dd class=\"products\">Products: {}</dd>\n</div>\n",
            esc(&c.trade.products.join(", "))
        );
    }
    m.push_str("</dl>\n");
    m.push_str(&pager(a, p, page_count(w, idx, a), "next"));
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

fn search_results(w: &World, idx: usize, a: &Assoc, p: usize) -> FixturePage {
    let mut m = String::from(
        "<h1>Foundry &amp; Supplier Locator</h1>\n<form class=\"locator\" action=\"/member-directory/\" method=\"get\"><input name=\"keyword\" placeholder=\"Keyword\"><select name=\"metal\"><option>Any metal</option><option>Aluminum</option><option>Ductile iron</option><option>Steel</option></select><button>Search</button></form>\n",
    );
    let _ = writeln!(
        m,
        "<p class=\"summary\">{} results</p>",
        w.members_of(idx).len()
    );
    for l in page_members(w, idx, a, p) {
        let c = &l.company;
        let _ = write!(
            m,
            "<div class=\"search-result\">\n<h4 class=\"search-result__title\"><a href=\"{}\">{}</a></h4>\n<p class=\"search-result__location\">{}, {}</p>\n<p class=\"search-result__snippet\">{} for the {} markets.</p>\n</div>\n",
            esc(&profile_url(a, &l).unwrap_or_default()),
            esc(&l.listed_name),
            esc(c.city.name),
            c.city.state,
            esc(&capitalize(c.trade.products[0])),
            esc(&c.trade.industries[..2].join(" and "))
        );
    }
    m.push_str(&pager(a, p, page_count(w, idx, a), "next"));
    FixturePage::html(chrome(w, a, "Member Directory", &m))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A member profile page (A–Z and search-results layouts).
pub(crate) fn profile(w: &World, idx: usize, a: &Assoc, id: u32) -> Option<FixturePage> {
    if !w.members_of(idx).contains(&id) {
        return None;
    }
    let l = w.listing(idx, id);
    let c = &l.company;
    let mut rows = Vec::new();
    if l.shows_address {
        rows.push((
            "Address",
            format!(
                "{}<br>{}",
                esc(&c.street_fmt(l.style)),
                esc(&c.locality_fmt(l.style))
            ),
        ));
        rows.push((
            "Country",
            if c.city.country == "US" {
                "United States"
            } else {
                "Canada"
            }
            .to_string(),
        ));
    }
    if l.shows_phone {
        rows.push(("Phone", c.phone_fmt(l.style >> 3)));
    }
    if l.shows_website {
        rows.push((
            "Website",
            format!("<a href=\"{0}\">{0}</a>", esc(&c.website())),
        ));
    }
    rows.push(("Member Type", l.membership.to_string()));
    rows.push(("Products", esc(&c.trade.products.join(", "))));
    rows.push(("Markets Served", esc(&c.trade.industries.join(", "))));
    let mut m = format!(
        "<nav class=\"breadcrumb\"><a href=\"/\">Home</a> &rsaquo; <a href=\"{}\">Member Directory</a> &rsaquo; {}</nav>\n<div class=\"member-profile\">\n<h1 class=\"member-profile__name\">{}</h1>\n<table class=\"member-profile__details\">\n",
        a.dir,
        esc(&l.listed_name),
        esc(&l.listed_name)
    );
    for (k, v) in rows {
        let _ = writeln!(m, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    m.push_str("</table>\n");
    let _ = write!(
        m,
        "<p class=\"member-profile__about\">{} has been a member of {} and supplies {}.</p>\n</div>",
        esc(&l.listed_name),
        a.code,
        esc(&c.trade.products.join(", "))
    );
    Some(FixturePage::html(chrome(w, a, &l.listed_name, &m)))
}
