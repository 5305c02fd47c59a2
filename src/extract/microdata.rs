//! schema.org microdata (itemscope/itemprop) and JSON-LD organizations.

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use super::{Draft, PageCtx, finish};
use crate::model::MemberRecord;
use crate::normalize::address::parse_address;
use crate::normalize::text::clean_text;

const ORG_TYPES: &[&str] = &[
    "organization",
    "corporation",
    "localbusiness",
    "company",
    "ngo",
    "store",
    "manufacturer",
    "professionalservice",
    "educationalorganization",
    "memberprogrammembership",
];

fn is_org_type(t: &str) -> bool {
    let last = t.rsplit(['/', '#', ':']).next().unwrap_or(t).to_lowercase();
    ORG_TYPES.contains(&last.as_str())
}

/// Organizations from microdata, else from JSON-LD.
pub fn extract(doc: &Html, pc: &PageCtx) -> Vec<MemberRecord> {
    let md = from_microdata(doc, pc);
    if !md.is_empty() {
        return md;
    }
    from_json_ld(doc, pc)
}

/// itemprop values of `scope`, not descending into nested itemscopes.
fn props<'a>(scope: ElementRef<'a>, out: &mut Vec<(String, ElementRef<'a>)>, depth: usize) {
    if depth > 50 {
        return;
    }
    for c in scope.child_elements() {
        if let Some(p) = c.value().attr("itemprop") {
            for name in p.split_whitespace() {
                out.push((name.to_lowercase(), c));
            }
        }
        if c.value().attr("itemscope").is_none() {
            props(c, out, depth + 1);
        }
    }
}

fn prop_value(e: &ElementRef<'_>) -> String {
    let v = e.value();
    let raw = match v.name() {
        "a" | "link" | "area" => v.attr("href").map(str::to_owned),
        "meta" => v.attr("content").map(str::to_owned),
        "img" => v.attr("src").map(str::to_owned),
        "time" => v.attr("datetime").map(str::to_owned),
        _ => v.attr("content").map(str::to_owned),
    };
    clean_text(&raw.unwrap_or_else(|| e.text().collect::<Vec<_>>().join(" ")))
}

fn from_microdata(doc: &Html, pc: &PageCtx) -> Vec<MemberRecord> {
    let Ok(s) = Selector::parse("[itemscope][itemtype]") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for scope in doc.select(&s) {
        let t = scope.value().attr("itemtype").unwrap_or("");
        if !t.split_whitespace().any(is_org_type) {
            continue;
        }
        // Organizations nested in another organization's scope (e.g. "memberOf")
        // and the site's own card in header/footer are skipped.
        if scope.value().attr("itemprop").is_some()
            || scope
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| super::dom::is_noise(&a))
        {
            continue;
        }
        let mut ps = Vec::new();
        props(scope, &mut ps, 0);
        let mut d = Draft::default();
        for (name, el) in &ps {
            let v = prop_value(el);
            match name.as_str() {
                "name" | "legalname" => {
                    d.name.get_or_insert(v);
                }
                "url" | "sameas" if d.website.is_none() => d.website = Some(v),
                "telephone" => {
                    d.phone.get_or_insert(v);
                }
                "email" => {
                    d.email.get_or_insert(v);
                }
                "address" => {
                    let mut inner = Vec::new();
                    props(*el, &mut inner, 0);
                    if inner.is_empty()
                        && let Some(a) = parse_address(&v)
                    {
                        d.street = a.street;
                        d.city = a.city;
                        d.state = a.state;
                        d.postal_code = a.postal_code;
                        d.country = a.country;
                    }
                    for (n, e) in inner {
                        let v = prop_value(&e);
                        match n.as_str() {
                            "streetaddress" => d.street = Some(v),
                            "addresslocality" => {
                                // "Seattle, WA": the state written into the locality.
                                match crate::normalize::address::parse_place(&v) {
                                    Some(p) if p.state.is_some() && p.city.is_some() => {
                                        d.city = p.city;
                                        d.state = p.state;
                                    }
                                    _ => d.city = Some(v),
                                }
                            }
                            "addressregion" => d.state = Some(v),
                            "postalcode" => d.postal_code = Some(v),
                            "addresscountry" => d.country = country(&v),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let own_site = d
            .website
            .as_deref()
            .and_then(crate::normalize::registrable_domain)
            .is_some_and(|dm| pc.is_own_domain(&dm));
        if own_site || d.name.as_deref().is_some_and(|n| pc.is_own_name(n)) {
            continue;
        }
        if let Some(r) = finish(d, pc, "microdata", 0.9) {
            out.push(r);
        }
    }
    out
}

fn country(v: &str) -> Option<String> {
    match v.trim().to_lowercase().as_str() {
        "us" | "usa" | "united states" | "united states of america" => Some("US".into()),
        "ca" | "canada" => Some("CA".into()),
        "" => None,
        _ => Some(v.trim().to_owned()),
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| str_of(Some(x))),
        Value::Object(o) => str_of(o.get("@id").or_else(|| o.get("name"))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn types_of(v: &Value) -> Vec<String> {
    match v.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every JSON-LD object of the page, flattening @graph, arrays and ItemList items.
pub fn json_ld_objects(doc: &Html) -> Vec<Value> {
    let Ok(s) = Selector::parse("script[type]") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for sc in doc.select(&s) {
        if !sc
            .value()
            .attr("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
        {
            continue;
        }
        let text: String = sc.text().collect();
        if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
            flatten(v, &mut out, 0);
        }
    }
    out
}

fn flatten(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 20 {
        return;
    }
    match v {
        Value::Array(a) => a.into_iter().for_each(|x| flatten(x, out, depth + 1)),
        Value::Object(mut o) => {
            if let Some(g) = o.remove("@graph") {
                flatten(g, out, depth + 1);
            }
            if let Some(items) = o.remove("itemListElement") {
                let items = match items {
                    Value::Array(a) => a,
                    x => vec![x],
                };
                for it in items {
                    match it.get("item").cloned() {
                        Some(inner) => flatten(inner, out, depth + 1),
                        None => flatten(it, out, depth + 1),
                    }
                }
            }
            if let Some(m) = o.remove("member") {
                flatten(m, out, depth + 1);
            }
            out.push(Value::Object(o));
        }
        _ => {}
    }
}

/// A Draft from a schema.org Organization object.
pub fn org_draft(o: &Value) -> Draft {
    let mut d = Draft {
        name: str_of(o.get("name").or_else(|| o.get("legalName"))),
        website: str_of(o.get("url")),
        phone: str_of(o.get("telephone")),
        email: str_of(o.get("email")),
        ..Default::default()
    };
    match o.get("address") {
        Some(Value::Object(a)) => {
            d.street = str_of(a.get("streetAddress"));
            d.city = str_of(a.get("addressLocality"));
            d.state = str_of(a.get("addressRegion"));
            d.postal_code = str_of(a.get("postalCode"));
            d.country = str_of(a.get("addressCountry")).and_then(|c| country(&c));
        }
        Some(Value::String(s)) => {
            if let Some(a) = parse_address(s) {
                d.street = a.street;
                d.city = a.city;
                d.state = a.state;
                d.postal_code = a.postal_code;
                d.country = a.country;
            }
        }
        _ => {}
    }
    d
}

fn from_json_ld(doc: &Html, pc: &PageCtx) -> Vec<MemberRecord> {
    pc.json_ld(doc)
        .iter()
        .filter(|o| types_of(o).iter().any(|t| is_org_type(t)))
        .map(org_draft)
        // The site describing itself (its own home page, its own name) is
        // not a member; a listing's entry whose url is its profile page on
        // this site is, with that page as its profile.
        .filter_map(|mut d| {
            let own = d
                .website
                .as_deref()
                .filter(|w| {
                    crate::normalize::registrable_domain(w).is_some_and(|dm| pc.is_own_domain(&dm))
                })
                .map(str::to_owned);
            if let Some(w) = own {
                let home = url::Url::parse(&w)
                    .map(|u| u.path().trim_matches('/').is_empty())
                    .unwrap_or(true);
                if home {
                    return None;
                }
                d.profile_url = Some(w);
                d.website = None;
            }
            (!d.name.as_deref().is_some_and(|n| pc.is_own_name(n))).then_some(d)
        })
        .filter_map(|d| finish(d, pc, "json-ld", 0.9))
        .collect()
}
