//! Association sites: page chrome (nav, sidebar, ads, footer), routing, and
//! the ten directory styles (in `directory.rs` and `directory2.rs`), plus
//! the unlinked specimen pages of further layouts (`specimens/`).

mod directory;
mod directory2;
pub(crate) mod specimens;

pub(crate) use directory::listing_location;

use std::fmt::Write as _;

use super::associations::{ASSOCS, Assoc, Layout};
use super::faults::LAST_MODIFIED_DRIFT;
use super::names::{esc, h};
use super::{FixturePage, RenderOpts, World, events};
use crate::config::{AssociationConfig, AssociationsFile, Selectors};

/// Wrap `main` in the association's page chrome.
pub(crate) fn chrome(w: &World, a: &Assoc, title: &str, main: &str) -> String {
    let mut s = String::with_capacity(main.len() + 4096);
    let ga = h(w.seed(), &[0x6A, a.host.len() as u64]) % 90_000_000 + 10_000_000;
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {name}</title>
<meta name="description" content="{tagline}">
<link rel="stylesheet" href="/assets/site.css">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-{ga}"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag('js', new Date()); gtag('config', 'G-{ga}');</script>
</head>
<body class="page">
<div class="top-bar"><a href="/login">Member Login</a> | <a href="/join/">Join</a> | <a href="/cart/">Cart (0)</a></div>
<header class="site-header" style="background:{color}">
<a class="logo" href="/"><img src="/assets/logo.svg" alt="{code} logo"> <span>{name}</span></a>
<nav class="main-nav" aria-label="Main">
<ul>
<li><a href="/">Home</a></li>
<li><a href="/about/">About {code}</a></li>
<li><a href="{dir}">Member Directory</a></li>
<li><a href="/events/">Events</a></li>
<li><a href="/advocacy/">Advocacy</a></li>
<li><a href="/news/">News</a></li>
<li><a href="/contact/">Contact Us</a></li>
</ul>
</nav>
</header>
<div class="container">
<main id="content" class="content">
{main}
</main>
<aside class="sidebar">
<div class="widget widget-join"><h3>Join {code}</h3><p>Membership connects you with industry peers, market data and advocacy.</p><a class="button" href="/join/">Become a Member</a></div>
<div class="widget widget-news"><h3>Latest News</h3><ul><li><a href="/news/">{code} releases quarterly business conditions report</a></li><li><a href="/news/">Workforce development grants now open</a></li></ul></div>
{ad}
</aside>
</div>
<footer class="site-footer">
<div class="footer-contact" itemscope itemtype="https://schema.org/Organization">
<strong itemprop="name">{name}</strong><br>
{street}<br>
{city}, {state} {zip}<br>
Phone: {phone}<br>
<a href="mailto:info@{host}">info@{host}</a>
</div>
<div class="social"><a href="https://www.linkedin.com/company/{lc}">LinkedIn</a> <a href="https://twitter.com/{code}">X (Twitter)</a> <a href="https://www.facebook.com/{code}org">Facebook</a> <a href="https://www.youtube.com/@{code}">YouTube</a></div>
<p class="copyright">© 2026 {name}. All rights reserved. <a href="/privacy-policy/">Privacy Policy</a> | <a href="/terms/">Terms of Use</a></p>
</footer>
</body>
</html>
"#,
        title = esc(title),
        name = esc(a.name),
        tagline = esc(a.tagline),
        color = a.color,
        code = a.code,
        lc = a.code.to_lowercase(),
        dir = a.dir,
        ad = ad(w, a, title),
        street = esc(a.street),
        city = a.city,
        state = a.state,
        zip = a.zip,
        phone = a.phone,
        host = a.host,
    );
    s
}

/// A sidebar ad naming some company of the world (noise, not a listing).
fn ad(w: &World, a: &Assoc, title: &str) -> String {
    let n = w.config().members as u64;
    if n == 0 {
        return String::new();
    }
    let id = (h(
        w.seed(),
        &[0xAD, super::names::hs(a.host), super::names::hs(title)],
    ) % n) as u32;
    let c = w.company(id);
    format!(
        r#"<div class="widget ad-slot"><span class="ad-label">Advertisement</span><a href="http://ads.example/click?cid={id}&amp;src={code}" rel="sponsored nofollow"><img src="http://ads.example/banner/{id}.png" alt="{name}"><p>{name}: {product} for {industry} since {year}.</p></a></div>"#,
        code = a.code,
        name = esc(&c.core),
        product = esc(c.trade.products[0]),
        industry = esc(c.trade.industries[0]),
        year = c.founded,
    )
}

fn simple(w: &World, a: &Assoc, title: &str, body: &str) -> FixturePage {
    FixturePage::html(chrome(
        w,
        a,
        title,
        &format!("<h1>{}</h1>\n{body}", esc(title)),
    ))
}

/// The path and query of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Req<'a> {
    pub path: &'a str,
    pub query: &'a str,
}

/// Route one request to an association host.
pub(crate) fn assoc_page(
    w: &World,
    idx: usize,
    a: &Assoc,
    req: Req<'_>,
    opts: RenderOpts,
) -> FixturePage {
    let Req { path, query } = req;
    match path {
        "/robots.txt" => FixturePage::with_type(
            200,
            "text/plain; charset=utf-8",
            a.robots.as_bytes().to_vec(),
        ),
        "/sitemap.xml" if a.sitemap => sitemap(w, idx, a),
        "/" | "/index.html" => home(w, a, opts),
        "/about/" | "/about" => about(w, a),
        "/assets/site.css" => FixturePage::with_type(
            200,
            "text/css",
            b"body{font-family:sans-serif;margin:0}.container{display:flex}.sidebar{width:260px}"
                .to_vec(),
        ),
        "/login" | "/login/" => login_page(w, a, query),
        "/members-only/" | "/members-only" | "/members/" | "/my-account/" => {
            FixturePage::redirect(302, &format!("/login?returnUrl={}", path))
        }
        "/old-directory" if a.code == "SOCMA" => FixturePage::redirect(301, a.dir),
        "/loop-a" if a.code == "SOCMA" => FixturePage::redirect(302, "/loop-b"),
        "/loop-b" if a.code == "SOCMA" => FixturePage::redirect(302, "/loop-a"),
        "/news/" | "/news" if a.code == "SOCMA" && opts.redirects => {
            FixturePage::redirect(302, if path == "/news/" { "/news" } else { "/news/" })
        }
        "/resources/" if a.code == "NTMA" => resources(w, a, opts.huge_page),
        "/contact/" => simple(
            w,
            a,
            "Contact Us",
            &format!(
                "<p>Questions about membership? Call {} or email <a href=\"mailto:membership@{}\">membership@{}</a>.</p><form class=\"contact-form\" action=\"/contact/\" method=\"post\"><label>Your name <input name=\"name\"></label><label>Message <textarea name=\"msg\"></textarea></label><button>Send</button></form>",
                a.phone, a.host, a.host
            ),
        ),
        "/advocacy/" | "/news/" | "/news" | "/join/" | "/privacy-policy/" | "/terms/" => simple(
            w,
            a,
            match path {
                "/advocacy/" => "Advocacy",
                "/join/" => "Join",
                "/privacy-policy/" => "Privacy Policy",
                "/terms/" => "Terms of Use",
                _ => "News",
            },
            "<p>Content for this section is updated regularly. Please check back soon.</p>",
        ),
        _ if path.starts_with("/events") => {
            events::page(w, idx, a, path, query).unwrap_or_else(FixturePage::not_found)
        }
        _ if path.starts_with(specimens::PREFIX) => {
            specimens::page(w, a, path).unwrap_or_else(FixturePage::not_found)
        }
        _ => directory::route(w, idx, a, req, opts).unwrap_or_else(FixturePage::not_found),
    }
}

fn home(w: &World, a: &Assoc, opts: RenderOpts) -> FixturePage {
    let extra = match a.code {
        "NTMA" => "<li><a href=\"/resources/\">Technical resources library</a></li>",
        "SOCMA" if opts.redirects => {
            "<li><a href=\"/old-directory\">Old member directory link</a></li>"
        }
        _ => "",
    };
    let main = format!(
        "<section class=\"hero\"><h1>{name}</h1><p class=\"lead\">{tagline}</p><a class=\"button\" href=\"{dir}\">Find a member company</a></section>\n<section class=\"quick-links\"><h2>Quick links</h2><ul><li><a href=\"{dir}\">Member Directory</a></li><li><a href=\"/events/\">Upcoming events</a></li><li><a href=\"/about/\">About us</a></li>{extra}</ul></section>",
        name = esc(a.name),
        tagline = esc(a.tagline),
        dir = a.dir,
    );
    FixturePage::html(chrome(w, a, "Home", &main))
}

fn about(w: &World, a: &Assoc) -> FixturePage {
    let n = w
        .members_of(ASSOCS.iter().position(|x| x.code == a.code).unwrap_or(0))
        .len();
    simple(
        w,
        a,
        &format!("About {}", a.code),
        &format!(
            "<p>The {name} ({code}) represents {n} member companies across North America. {tagline}.</p><p>Our staff is based in {city}, {state}. The association is governed by a board of directors elected by the membership.</p><h2>Staff</h2><ul class=\"staff\"><li>Executive Director</li><li>Director of Membership</li><li>Events Manager</li></ul>",
            name = esc(a.name),
            code = a.code,
            tagline = esc(a.tagline),
            city = a.city,
            state = a.state,
        ),
    )
}

pub(crate) fn login_page(w: &World, a: &Assoc, query: &str) -> FixturePage {
    let ret = query.strip_prefix("returnUrl=").unwrap_or("/");
    let main = format!(
        r#"<div class="login-box"><h1>Member Login</h1><p class="notice">This content is available to {code} members only. Please sign in to continue.</p>
<form id="loginForm" class="login-form" action="/login" method="post">
<input type="hidden" name="returnUrl" value="{ret}">
<label for="username">Username or email</label><input type="text" id="username" name="username" autocomplete="username">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<label><input type="checkbox" name="remember"> Remember me</label>
<button type="submit">Sign In</button>
</form>
<p><a href="/login/forgot">Forgot your password?</a> | Not a member? <a href="/join/">Join {code}</a></p></div>"#,
        code = a.code,
        ret = esc(ret),
    );
    FixturePage::html(chrome(w, a, "Member Login", &main))
}

fn resources(w: &World, a: &Assoc, huge: bool) -> FixturePage {
    let mut main = String::from(
        "<h1>Technical Resources</h1><p>Standards, white papers and safety bulletins for members.</p><ul class=\"resources\">",
    );
    let n = if huge { 40_000 } else { 20 };
    for k in 0..n {
        let _ = writeln!(
            main,
            "<li class=\"resource\"><a href=\"/resources/doc-{k}.pdf\">Technical bulletin {k}: tolerances, surface finish and inspection practice</a> <span class=\"meta\">PDF, {} KB</span></li>",
            100 + k % 900
        );
    }
    main.push_str("</ul>");
    FixturePage::html(chrome(w, a, "Technical Resources", &main))
}

fn sitemap(w: &World, idx: usize, a: &Assoc) -> FixturePage {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut urls = vec![
        format!("http://{}/", a.host),
        format!("http://{}/about/", a.host),
    ];
    urls.extend(directory::directory_urls(w, idx, a));
    urls.extend(events::event_urls(w, a));
    for u in urls {
        let _ = writeln!(
            s,
            "  <url><loc>{}</loc><lastmod>2026-11-02</lastmod></url>",
            esc(&u)
        );
    }
    s.push_str("</urlset>\n");
    FixturePage::with_type(200, "application/xml", s.into_bytes())
}

/// Page for `http://127.0.0.1:PORT/` and `http://localhost:PORT/`.
pub(crate) fn index_page(w: &World) -> FixturePage {
    let mut s = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nam fixture world</title></head><body><h1>nam fixture world</h1>\n<p>Every site is served on this address and chosen by the <code>Host</code> header. Try <code>curl -H 'Host: pma.example' http://127.0.0.1:PORT/</code>, or point <code>*.example</code> at 127.0.0.1.</p>\n<h2>Associations</h2><ul>\n",
    );
    for a in ASSOCS {
        let _ = writeln!(
            s,
            "<li><a href=\"http://{h}/\">{h}</a>: {n} ({code}), directory <a href=\"http://{h}{d}\">{d}</a>, layout <code>{l}</code></li>",
            h = a.host,
            n = esc(a.name),
            code = a.code,
            d = a.dir,
            l = a.layout.as_str()
        );
    }
    let _ = write!(
        s,
        "</ul><p>{} companies, seed {}. Company sites: ",
        w.config().members,
        w.seed()
    );
    for i in 0..w.config().members.min(10) as u32 {
        let c = w.company(i);
        let _ = write!(s, "<a href=\"{0}\">{0}</a> ", esc(&c.website()));
    }
    s.push_str("...</p></body></html>\n");
    FixturePage::html(s)
}

/// Content of drifted pages carries a newer Last-Modified.
pub(crate) fn drifted(mut p: FixturePage) -> FixturePage {
    p.headers
        .push(("Last-Modified".into(), LAST_MODIFIED_DRIFT.into()));
    p
}

pub(crate) fn associations_file(w: &World, with_selectors: bool) -> AssociationsFile {
    let associations = ASSOCS
        .iter()
        .map(|a| AssociationConfig {
            code: a.code.to_string(),
            name: a.name.to_string(),
            base_url: format!("http://{}/", a.host),
            directory_urls: vec![format!("http://{}{}", a.host, a.dir)],
            event_urls: events::event_urls(w, a),
            selectors: if with_selectors {
                selectors(a.layout)
            } else {
                None
            },
            rate: None,
        })
        .collect();
    AssociationsFile { associations }
}

fn sel(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// CSS selectors matching each layout (not the drifted PMA layout).
pub(crate) fn selectors(l: Layout) -> Option<Selectors> {
    Some(match l {
        Layout::Table => Selectors {
            record: sel("table.member-directory tbody tr.member-row"),
            name: sel("td.member-name"),
            website: sel("td.member-website a"),
            street: sel("td.member-address .street"),
            city: sel("td.member-address .city"),
            state: sel("td.member-address .state"),
            postal_code: sel("td.member-address .zip"),
            phone: sel("td.member-phone"),
            membership_type: sel("td.member-type"),
            next_page: sel("a.next[rel=next]"),
            ..Default::default()
        },
        Layout::Cards => Selectors {
            record: sel("div.member-card"),
            name: sel("h3.member-card__title"),
            website: sel("a.member-card__website"),
            address: sel("div.member-card__address"),
            phone: sel("span.member-card__phone"),
            membership_type: sel("span.member-card__badge"),
            next_page: sel("nav.pagination a.next"),
            ..Default::default()
        },
        Layout::AtoZ => Selectors {
            record: sel("ul.member-list > li"),
            name: sel("a.member-link"),
            profile_link: sel("a.member-link"),
            ..Default::default()
        },
        Layout::FreeText => Selectors {
            record: sel("div.entry-content > p.member"),
            name: sel("strong"),
            website: sel("a.website"),
            next_page: sel("a.next-page"),
            ..Default::default()
        },
        Layout::Microdata => Selectors {
            record: sel("[itemtype='https://schema.org/Organization'].member"),
            name: sel("[itemprop=name]"),
            website: sel("a[itemprop=url]"),
            street: sel("[itemprop=streetAddress]"),
            city: sel("[itemprop=addressLocality]"),
            state: sel("[itemprop=addressRegion]"),
            postal_code: sel("[itemprop=postalCode]"),
            phone: sel("[itemprop=telephone]"),
            next_page: sel("a[rel=next]"),
            ..Default::default()
        },
        Layout::LoadMore => Selectors {
            record: sel("div.member-item"),
            name: sel(".member-item__name"),
            website: sel(".member-item__web a"),
            address: sel(".member-item__address"),
            phone: sel(".member-item__phone"),
            next_page: sel("a.load-more"),
            ..Default::default()
        },
        Layout::DefList => Selectors {
            record: sel("dl.member-list > div.member"),
            name: sel("dt"),
            website: sel("dd.web a"),
            address: sel("dd.address"),
            phone: sel("dd.phone"),
            next_page: sel("a.next"),
            ..Default::default()
        },
        Layout::SearchResults => Selectors {
            record: sel("div.search-result"),
            name: sel("h4.search-result__title a"),
            profile_link: sel("h4.search-result__title a"),
            address: sel("p.search-result__location"),
            next_page: sel("ul.pager a[rel=next]"),
            ..Default::default()
        },
        Layout::Json
        | Layout::LoginWall
        | Layout::LabelCards
        | Layout::BuilderRepeater
        | Layout::ExhibitorList
        | Layout::ProseBlocks
        | Layout::HeadingArticle
        | Layout::JsonLdCards
        | Layout::MultiTable => return None,
    })
}
