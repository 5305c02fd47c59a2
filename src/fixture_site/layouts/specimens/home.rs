//! An association's own home page as a specimen: its Organization JSON-LD,
//! its name in the title and `og:site_name`, feature and news cards, and
//! contact details in the footer. It lists no members: zero records.

use std::fmt::Write as _;

use serde_json::json;

use super::super::super::World;
use super::super::super::associations::Assoc;
use super::super::super::names::esc;
use super::{Built, script_json};

static FEATURES: &[(&str, &str, &str)] = &[
    (
        "Advocacy",
        "We speak for specialty manufacturers on trade, permitting and chemical safety rules.",
        "/advocacy/",
    ),
    (
        "Education",
        "Webinars, plant-safety courses and an annual operations conference.",
        "/events/",
    ),
    (
        "Networking",
        "Meet peers at regional meetings and the members-only forum.",
        "/join/",
    ),
];

static NEWS: &[(&str, &str)] = &[
    (
        "Board elects new chair for 2027",
        "The board met in March and elected its officers for the coming year.",
    ),
    (
        "Quarterly business conditions: orders steady",
        "Survey respondents expect flat to modest growth through the summer.",
    ),
    (
        "Comments filed on proposed reporting rule",
        "Our letter asks regulators to align deadlines with existing programs.",
    ),
    (
        "Registration opens for the fall operations meeting",
        "Early pricing runs through the end of June.",
    ),
];

fn org_json(a: &Assoc) -> serde_json::Value {
    json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": a.name,
        "alternateName": a.code,
        "url": format!("http://{}/", a.host),
        "logo": format!("http://{}/assets/logo.svg", a.host),
        "telephone": a.phone,
        "email": format!("info@{}", a.host),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": a.street,
            "addressLocality": a.city,
            "addressRegion": a.state,
            "postalCode": a.zip,
            "addressCountry": "US",
        },
        "sameAs": [
            format!("https://www.linkedin.com/company/{}", a.code.to_lowercase()),
            format!("https://twitter.com/{}", a.code),
        ],
    })
}

/// The home page of association `a` (no member list).
pub(super) fn page(w: &World, idx: usize, a: &Assoc) -> Built {
    let members = w.members_of(idx).len();
    let mut features = String::new();
    for (title, text, href) in FEATURES {
        let _ = writeln!(
            features,
            "<div class=\"pillar\"><h3 class=\"pillar__title\">{title}</h3><p>{text}</p><a class=\"pillar__more\" href=\"{href}\">Learn more</a></div>"
        );
    }
    let mut news = String::new();
    for (k, (title, text)) in NEWS.iter().enumerate() {
        let _ = writeln!(
            news,
            "<div class=\"story\"><p class=\"story__date\">March {}, 2027</p><h3 class=\"story__title\"><a href=\"/news/\">{title}</a></h3><p>{text}</p><a class=\"story__more\" href=\"/news/\">Read more</a></div>",
            20 - 4 * k
        );
    }
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} | Home</title>
<meta property="og:site_name" content="{name}">
<meta property="og:title" content="{name}">
<meta property="og:url" content="http://{host}/">
<meta name="description" content="{tagline}">
<script type="application/ld+json">{json}</script>
</head>
<body class="home">
<div class="utility"><a href="/login">Member Login</a> <a href="/join/">Join</a></div>
<div class="brandbar"><a href="/"><img src="/assets/logo.svg" alt="{code}"> {name}</a>
<ul class="brandbar__menu"><li><a href="/about/">About</a></li><li><a href="{dir}">Members</a></li><li><a href="/events/">Events</a></li><li><a href="/news/">News</a></li><li><a href="/contact/">Contact</a></li></ul></div>
<div class="splash"><h1>{tagline}</h1><p>{members} member companies. One voice.</p><a class="splash__cta" href="/join/">Become a member</a></div>
<div class="pillars"><h2>What we do</h2>
{features}</div>
<div class="stories"><h2>Latest news</h2>
{news}</div>
<div class="calendar"><h2>Upcoming</h2><p><a href="/events/">See all events</a></p></div>
<div class="site-foot">
<p class="site-foot__name"><strong>{name}</strong></p>
<p>{street}<br>{city}, {state} {zip}</p>
<p>Tel: {phone} &middot; <a href="mailto:info@{host}">info@{host}</a></p>
<p><a href="https://www.linkedin.com/company/{lc}">LinkedIn</a> <a href="https://twitter.com/{code}">X</a></p>
<p>&copy; 2027 {name}</p>
</div>
</body>
</html>
"#,
        name = esc(a.name),
        host = a.host,
        tagline = esc(a.tagline),
        json = script_json(&org_json(a)),
        code = a.code,
        dir = a.dir,
        street = esc(a.street),
        city = a.city,
        state = a.state,
        zip = a.zip,
        phone = a.phone,
        lc = a.code.to_lowercase(),
    );
    Built {
        html,
        records: Vec::new(),
    }
}
