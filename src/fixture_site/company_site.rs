//! One website per company at `www.<domain>`: home, about, products, team,
//! careers, contact. The page source carries technology fingerprints (meta
//! generator, script URLs, cookies, response headers) for the CMS, the CRM
//! and sometimes the ERP. French-named Québec companies serve Windows-1252
//! pages declared only by `<meta charset>`.

use std::fmt::Write as _;

use super::company::Company;
use super::names::{self, esc};
use super::{FixturePage, RenderOpts, World};

/// (meta generator, X-Powered-By, session cookie) per CMS.
static CMS: &[(&str, &str, &str)] = &[
    ("WordPress 6.4.3", "PHP/8.2.14", "PHPSESSID"),
    ("WordPress 6.2.1", "PHP/7.4.33", "PHPSESSID"),
    ("Drupal 10 (https://www.drupal.org)", "PHP/8.1.27", "SSESS"),
    ("Wix.com Website Builder", "", "XSRF-TOKEN"),
    ("Squarespace", "", "crumb"),
    ("Microsoft SharePoint", "ASP.NET", "ASP.NET_SessionId"),
    (
        "Joomla! - Open Source Content Management",
        "PHP/8.0.30",
        "joomla_user_state",
    ),
];

fn cms(c: &Company, seed: u64) -> (&'static str, &'static str, &'static str) {
    CMS[(names::h(seed, &[0xC5, u64::from(c.id)]) % CMS.len() as u64) as usize]
}

/// Script tags that fingerprint the CRM / marketing tools.
fn crm_fingerprint(c: &Company) -> String {
    let id = 1_000_000 + c.id * 7;
    match c.crm {
        Some("HubSpot") => format!("<script type=\"text/javascript\" id=\"hs-script-loader\" async defer src=\"//js.hs-scripts.com/{id}.js\"></script>"),
        Some("Salesforce") => format!("<script type=\"text/javascript\">piAId = '{id}'; piCId = '1234'; (function() {{ var s = document.createElement('script'); s.src = 'https://pi.pardot.com/pd.js'; document.getElementsByTagName('head')[0].appendChild(s); }})();</script>"),
        Some("Zoho CRM") => "<script src=\"https://salesiq.zoho.com/widget\" defer></script>".to_string(),
        Some("Microsoft Dynamics 365 Sales") => "<script src=\"https://mktdplp102cdn.azureedge.net/public/latest/js/form-loader.js?v=1.84.2007\"></script>".to_string(),
        Some("Pipedrive") => "<script src=\"https://webforms.pipedrive.com/f/loader\"></script>".to_string(),
        _ => String::new(),
    }
}

/// Whether the contact page links to a portal that fingerprints the ERP.
pub(crate) fn has_erp_portal(c: &Company) -> bool {
    erp_portal(c).is_some()
}

/// A customer/supplier portal link that fingerprints the ERP.
fn erp_portal(c: &Company) -> Option<String> {
    let s = names::slug(c.brand);
    let url = match c.erp? {
        "Oracle NetSuite" => format!(
            "https://{}.app.netsuite.com/app/login/secure/enterpriselogin.nl",
            4_000_000 + c.id
        ),
        "Epicor Kinetic" => format!("https://{s}.epicorsaas.com/EpicorERP/Apps/ERP/Home/"),
        "Microsoft Dynamics 365" => format!("https://{s}.operations.dynamics.com/"),
        "Plex" => "https://cloud.plex.com/SupplierPortal".to_string(),
        "Infor CloudSuite Industrial" => "https://supplierportal.inforcloudsuite.com/".to_string(),
        "SAP S/4HANA" => "https://supplier.ariba.com/".to_string(),
        _ => return None,
    };
    Some(url)
}

fn shell(w: &World, c: &Company, title: &str, main: &str) -> String {
    let (generator, _, _) = cms(c, w.seed());
    let mut s = String::with_capacity(main.len() + 3000);
    let charset = if c.french { "windows-1252" } else { "utf-8" };
    let gtm = format!(
        "{:X}",
        names::h(w.seed(), &[0x67, u64::from(c.id)]) % 0xFFFFFF
    );
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{generator}">
<title>{title} - {name}</title>
<link rel="canonical" href="{site}">
<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-{gtm}"></script>
{crm}
</head>
<body>
<header class="site-header"><a class="brand" href="/">{core}</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about-us/">About Us</a></li><li><a href="/products/">Capabilities</a></li><li><a href="/leadership/">Leadership</a></li><li><a href="/careers/">Careers</a></li><li><a href="/news/">News</a></li><li><a href="/contact/">Contact</a></li></ul></nav>
<a class="cta" href="/contact/">Request a Quote</a></header>
<main>
{main}
</main>
<footer class="site-footer"><p>{name} &middot; {street} &middot; {locality} &middot; {phone}</p>
<p>ISO 9001:2015 Certified &middot; <a href="https://www.linkedin.com/company/{slug}/">LinkedIn</a> &middot; <a href="/privacy/">Privacy</a></p>
<p>&copy; 2026 {name}</p></footer>
</body>
</html>
"#,
        lang = if c.french { "fr-CA" } else { "en-US" },
        title = esc(title),
        name = esc(&c.name),
        core = esc(&c.core),
        site = esc(&c.website()),
        crm = crm_fingerprint(c),
        street = esc(&c.street()),
        locality = esc(&c.locality_fmt(0)),
        phone = c.phone_fmt(0),
        slug = names::slug(&c.core),
    );
    s
}

/// The company's email pattern: `{first}.{last}` for most, `{f}{last}`
/// for about a third.
pub(crate) fn email_pattern(w: &World, c: &Company) -> &'static str {
    if names::h(w.seed(), &[0xE3, u64::from(c.id)]).is_multiple_of(3) {
        "{f}{last}"
    } else {
        "{first}.{last}"
    }
}

/// The local part of a person's address at company `c`.
pub(crate) fn email_local(w: &World, c: &Company, full_name: &str) -> String {
    let slug = names::slug(full_name);
    let parts: Vec<&str> = slug.split('-').filter(|p| !p.is_empty()).collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return slug;
    };
    match email_pattern(w, c) {
        "{f}{last}" => format!("{}{last}", &first[..1]),
        _ => format!("{first}.{last}"),
    }
}

fn founded_phrase(c: &Company, v: u64) -> String {
    let y = c.founded;
    match v % 4 {
        0 => format!("Founded in {y}"),
        1 => format!("Since {y}"),
        2 => format!("Established in {y}"),
        _ => format!("Family owned and operated since {y}"),
    }
}

/// Employee count, phrased the many ways real sites do.
fn employees_phrase(c: &Company, v: u64) -> String {
    let n = c.employees;
    let round = |n: u32| {
        if n >= 1000 {
            n / 100 * 100
        } else if n >= 100 {
            n / 50 * 50
        } else {
            n / 10 * 10
        }
    };
    match v % 6 {
        0 => format!("over {} employees", round(n).max(5)),
        1 => format!("a team of {n}"),
        2 => {
            let (lo, hi) = match n {
                0..=49 => (10, 49),
                50..=99 => (50, 99),
                100..=249 => (100, 249),
                250..=499 => (250, 499),
                500..=999 => (500, 999),
                _ => (1000, 4999),
            };
            format!("{lo}-{hi} employees")
        }
        3 => format!("{n} dedicated employees"),
        4 => format!("more than {} skilled team members", round(n).max(5)),
        _ => format!("{n} people"),
    }
}

pub(crate) fn page(
    w: &World,
    c: &Company,
    path: &str,
    _query: &str,
    _opts: RenderOpts,
) -> FixturePage {
    let v = names::h(w.seed(), &[0x5E, u64::from(c.id)]);
    let t = c.trade;
    let main = match path {
        "/robots.txt" => {
            return FixturePage::with_type(
                200,
                "text/plain",
                b"User-agent: *\nDisallow: /wp-admin/\nDisallow: /cart/\n".to_vec(),
            );
        }
        "/" | "/index.html" => format!(
            "<section class=\"hero\"><h1>{core}</h1><p>{products} for the {ind} industries.</p></section>\n<section><h2>Why {brand}?</h2><p>{founded}, we combine engineering support, in-house tooling and on-time delivery. Our {city} facility runs two shifts with {emp}.</p></section>",
            core = esc(&c.core),
            products = esc(&capitalize(&t.products[..2].join(" and "))),
            ind = esc(&t.industries[..3].join(", ")),
            brand = esc(c.brand),
            founded = founded_phrase(c, v),
            city = esc(c.city.name),
            emp = esc(&employees_phrase(c, v >> 8)),
        ),
        "/about-us/" | "/about/" => format!(
            "<h1>About {name}</h1><p>{founded}, {name} has grown from a small job shop into a trusted supplier of {products}. Today we employ {emp} at our {city}, {state} headquarters.</p>\n<h2>Industries Served</h2><ul class=\"industries\">{ind}</ul>\n<h2>Products</h2><ul class=\"products\">{prod}</ul>",
            name = esc(&c.name),
            founded = founded_phrase(c, v),
            products = esc(&t.products.join(", ")),
            emp = esc(&employees_phrase(c, v >> 8)),
            city = esc(c.city.name),
            state = c.city.state_name,
            ind = t
                .industries
                .iter()
                .map(|i| format!("<li>{}</li>", esc(&capitalize(i))))
                .collect::<String>(),
            prod = t
                .products
                .iter()
                .map(|p| format!("<li>{}</li>", esc(&capitalize(p))))
                .collect::<String>(),
        ),
        "/products/" => format!(
            "<h1>Capabilities</h1><ul>{}</ul><p>Materials: carbon steel, stainless, aluminum, brass.</p>",
            t.products
                .iter()
                .map(|p| format!("<li>{}</li>", esc(&capitalize(p))))
                .collect::<String>()
        ),
        "/leadership/" | "/team/" => {
            let mut m = String::from("<h1>Leadership Team</h1>\n<div class=\"team\">\n");
            for (name, title) in c.people(w.seed()) {
                let _ = writeln!(
                    m,
                    "<div class=\"team-member\"><h3>{}</h3><p class=\"title\">{}</p></div>",
                    esc(&name),
                    esc(title)
                );
            }
            m.push_str("</div>");
            m
        }
        "/careers/" => careers(c),
        "/news/" => news(w, c),
        "/contact/" => {
            let (first, _) = c.people(w.seed()).into_iter().next().unwrap_or_default();
            let person = email_local(w, c, &first);
            let mut m = format!(
                "<h1>Contact Us</h1>\n<div class=\"contact\"><address>{name}<br>{street}<br>{loc}<br>{country}</address>\n<p>Phone: <a href=\"tel:{e164}\">{phone}</a><br>Fax: {fax}</p>\n<p>Sales: <a href=\"mailto:sales@{d}\">sales@{d}</a><br>General: <a href=\"mailto:info@{d}\">info@{d}</a><br>{fname}: <a href=\"mailto:{person}@{d}\">{person}@{d}</a></p></div>\n",
                name = esc(&c.name),
                street = esc(&c.street()),
                loc = esc(&c.locality_fmt(0)),
                country = if c.city.country == "US" {
                    "USA"
                } else {
                    "Canada"
                },
                e164 = c.phone_e164(),
                phone = c.phone_fmt(0),
                fax = c.phone_fmt(0).replace(
                    &format!("{}", c.line),
                    &format!("{}", c.line.saturating_add(1).min(9999))
                ),
                d = c.domain,
                fname = esc(&first),
            );
            m.push_str("<iframe class=\"map\" src=\"https://www.google.com/maps/embed?pb=!1m18\" loading=\"lazy\"></iframe>\n");
            if let Some(url) = erp_portal(c) {
                let _ = writeln!(
                    m,
                    "<p class=\"portal\">Existing customers: <a href=\"{}\">Customer &amp; supplier portal</a></p>",
                    esc(&url)
                );
            }
            if c.crm == Some("Salesforce") {
                m.push_str("<form action=\"https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8\" method=\"POST\"><input type=hidden name=\"oid\" value=\"00D5g000004\"><input name=\"company\"><button>Request a quote</button></form>\n");
            } else {
                m.push_str("<form action=\"/contact/\" method=\"post\"><input name=\"email\"><textarea name=\"message\"></textarea><button>Request a quote</button></form>\n");
            }
            m
        }
        "/privacy/" => {
            "<h1>Privacy Policy</h1><p>We use cookies to improve your experience.</p>".to_string()
        }
        _ => return FixturePage::not_found(),
    };
    let title = match path {
        "/" | "/index.html" => "Home",
        "/about-us/" | "/about/" => "About Us",
        "/products/" => "Capabilities",
        "/leadership/" | "/team/" => "Leadership",
        "/careers/" => "Careers",
        "/news/" => "News",
        "/contact/" => "Contact",
        _ => "Privacy",
    };
    let html = shell(w, c, title, &main);
    let (_, powered, cookie) = cms(c, w.seed());
    let mut p = if c.french {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&html);
        FixturePage::with_type(200, "text/html", bytes.into_owned())
    } else {
        FixturePage::html(html)
    };
    if !powered.is_empty() {
        p.headers.push(("X-Powered-By".into(), powered.into()));
    }
    p.headers.push((
        "Set-Cookie".into(),
        format!("{cookie}={:016x}; Path=/; HttpOnly", v),
    ));
    if c.crm == Some("HubSpot") {
        // Pages served through HubSpot carry its hub id.
        p.headers
            .push(("X-HS-Hub-Id".into(), format!("{}", 1_000_000 + c.id * 7)));
        p.headers.push((
            "Set-Cookie".into(),
            "__cf_bm=fixture; Path=/; HttpOnly".into(),
        ));
    }
    p
}

/// What a company's news page says about ERP systems, planted so the
/// signals truth has positives in running text and look-alikes that are
/// not use: a system replaced or compared, a person named Sage, Plexiglas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Story {
    /// The company went live on its ERP, replacing `old`; `compared` and
    /// `old` were only compared or left.
    GoLive {
        erp: &'static str,
        old: &'static str,
        compared: &'static str,
    },
    /// The company is evaluating two systems.
    Evaluating(&'static str, &'static str),
    /// A blog post comparing two systems the company does not use.
    Comparison(&'static str, &'static str),
    /// Names that look like vendors and are not: a person, a material.
    LookAlikes,
}

/// The story of company `c`'s news page (every company has one).
pub(crate) fn story(w: &World, c: &Company) -> Story {
    let v = names::h(w.seed(), &[0x4E, u64::from(c.id)]);
    // Systems other than the company's own, picked by the seed.
    let others: Vec<&'static str> = names::ERPS
        .iter()
        .copied()
        .filter(|e| Some(*e) != c.erp)
        .collect();
    let n = others.len() as u64;
    let ia = (v >> 8) % n;
    let ib = (ia + 1 + (v >> 24) % (n - 1)) % n;
    let (a, b) = (others[ia as usize], others[ib as usize]);
    match (v % 4, c.erp) {
        (0, Some(erp)) => Story::GoLive {
            erp,
            old: a,
            compared: b,
        },
        (0 | 1, _) => Story::Evaluating(a, b),
        (2, _) => Story::Comparison(a, b),
        _ => Story::LookAlikes,
    }
}

fn news(w: &World, c: &Company) -> String {
    let body = match story(w, c) {
        Story::GoLive { erp, old, compared } => format!(
            "<article><h2>{brand} goes live on a new ERP</h2><p>After a six-month implementation, {brand} went live on {erp} at its {city} plant, replacing a patchwork of spreadsheets and an aging {old} installation.</p><p>The selection team compared {compared} and {old} before the decision.</p></article>",
            brand = esc(c.brand),
            city = esc(c.city.name),
        ),
        Story::Evaluating(a, b) => format!(
            "<article><h2>Growing into a second shift</h2><p>As part of our growth plan we are evaluating {a} and {b} to replace our spreadsheets.</p></article>"
        ),
        Story::Comparison(a, b) => format!(
            "<article><h2>{a} vs. {b}: which ERP fits a job shop?</h2><p>Readers often ask how {a} compares with {b}. Unlike {a}, our scheduler is a whiteboard, and we like it that way.</p></article>"
        ),
        Story::LookAlikes => "<article><h2>People and plant news</h2><p>Please welcome Sage Whitfield, our new controller.</p><p>New Plexiglas guards now cover every press, and complex assemblies ship weekly.</p><p>Our oracle of scheduling, Pat, retires this spring after 31 years.</p></article>".to_string(),
    };
    format!(
        "<h1>News</h1>\n{body}\n<article><h2>Open house</h2><p>Join us for tours of the {} shop floor this fall.</p></article>",
        esc(&c.core)
    )
}

fn careers(c: &Company) -> String {
    let mut m = format!(
        "<h1>Careers at {}</h1><p>We offer competitive pay, 401(k) matching, and tuition reimbursement. Equal Opportunity Employer.</p>\n<div class=\"jobs\">\n",
        esc(&c.core)
    );
    let mut job = |title: &str, text: String| {
        let _ = writeln!(
            m,
            "<div class=\"job\"><h3>{}</h3><p>{}</p></div>",
            esc(title),
            esc(&text)
        );
    };
    job(
        "CNC Machinist - 2nd Shift",
        "Set up and operate CNC equipment. Read blueprints and GD&T. 3+ years experience."
            .to_string(),
    );
    if let Some(erp) = c.erp {
        job(
            "Production Planner / Scheduler",
            format!(
                "Maintain the production schedule and material requirements in our {erp} ERP system. Experience with {erp} strongly preferred."
            ),
        );
    }
    if let Some(crm) = c.crm {
        job(
            "Inside Sales Representative",
            format!(
                "Manage quotes and customer accounts; keep opportunities up to date in {crm}. Knowledge of manufacturing processes a plus."
            ),
        );
    }
    job(
        "Quality Inspector",
        "Perform first-article and in-process inspection using CMM and hand gauges.".to_string(),
    );
    m.push_str("</div>");
    m
}

fn capitalize(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|f| f.to_uppercase().collect::<String>() + cs.as_str())
        .unwrap_or_default()
}
