//! Extraction: turns stored pages into member records, events and
//! participants, with provenance on every field.
//!
//! [`extract_page`] is pure (no I/O): it picks the configured selectors when
//! present, structured data (microdata, JSON-LD, JSON bodies) when the page has
//! it, and otherwise the generic extractor, which finds the repeated record
//! structure of any listing layout. [`run_extraction`] is the EXTRACTION phase
//! over the store.

pub mod classify;
pub mod configured;
pub mod dom;
pub mod events;
pub mod fingerprint;
pub mod generic;
pub mod json;
pub mod microdata;
pub mod profile;
mod run;

use std::collections::HashSet;

use scraper::{Html, Selector};

use crate::config::Selectors;
use crate::model::{EventRecord, FieldProvenance, MemberRecord, PageType};
use crate::normalize::text::clean_text;
use crate::normalize::{
    name_key, normalize_email, normalize_phone, normalize_website, registrable_domain,
};

pub(crate) use run::context_for;
pub use run::{ExtractReport, ExtractRun, extract_pending, run_extraction};

/// What the caller knows about a page.
#[derive(Debug, Clone, Default)]
pub struct ExtractContext {
    /// Association code stamped on the records.
    pub association: Option<String>,
    /// Association display name (records naming the association itself are dropped).
    pub association_name: Option<String>,
    /// The association's own site; its domain is "own" like the page's.
    pub association_base_url: Option<String>,
    pub selectors: Option<Selectors>,
    /// From classification; `None` = guess.
    pub page_type: Option<PageType>,
    /// Only the page's structure is wanted (the crawler's survey): records
    /// keep their name and profile link, and the costly normalization of
    /// phones, addresses, websites and provenance is skipped.
    pub structure_only: bool,
    /// Record why each structure was chosen (`nam extract --explain`).
    pub explain: bool,
}

/// Everything read from one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extraction {
    pub members: Vec<MemberRecord>,
    pub events: Vec<EventRecord>,
    /// Member profile pages linked from the records.
    pub profile_links: Vec<String>,
    /// Further listing pages (pagination, A–Z letters, JSON `next`).
    pub next_pages: Vec<String>,
    /// What the page was treated as.
    pub page_type: Option<PageType>,
    /// Why, step by step, when [`ExtractContext::explain`] was set.
    pub explanation: Vec<String>,
}

/// A record before normalization into a [`MemberRecord`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub name: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub membership_type: Option<String>,
    pub profile_url: Option<String>,
    pub booth: Option<String>,
}

/// Page-level facts the extractors share.
#[derive(Debug, Clone, Default)]
pub struct PageCtx {
    pub source_url: String,
    pub base: Option<url::Url>,
    pub own_domains: Vec<String>,
    /// Phones found in header/footer/nav: the site's own.
    pub noise_phones: HashSet<String>,
    pub own_name_key: Option<String>,
    /// Name keys the page gives its own site (see `learn_site_names`).
    pub site_names: HashSet<String>,
    pub association: String,
    pub structure_only: bool,
    /// Filled when the caller asked why (`nam extract --explain`).
    pub trace: Option<std::cell::RefCell<Vec<String>>>,
    /// The page's JSON-LD objects, parsed on first use (see [`PageCtx::json_ld`]).
    json_ld: std::cell::OnceCell<Vec<serde_json::Value>>,
}

impl PageCtx {
    pub fn new(url: &str, ctx: &ExtractContext) -> Self {
        let base = url::Url::parse(url).ok();
        let mut own_domains = Vec::new();
        for u in [Some(url), ctx.association_base_url.as_deref()]
            .into_iter()
            .flatten()
        {
            if let Some(d) = registrable_domain(u)
                && !own_domains.contains(&d)
            {
                own_domains.push(d);
            }
        }
        PageCtx {
            source_url: url.to_owned(),
            base,
            own_domains,
            noise_phones: HashSet::new(),
            own_name_key: ctx.association_name.as_deref().map(name_key),
            site_names: HashSet::new(),
            association: ctx.association.clone().unwrap_or_default(),
            structure_only: ctx.structure_only,
            trace: ctx.explain.then(Default::default),
            json_ld: std::cell::OnceCell::new(),
        }
    }

    /// Every JSON-LD object of the page `doc` (the page this context was
    /// made for), parsed once however many readers ask.
    pub fn json_ld(&self, doc: &Html) -> &[serde_json::Value] {
        self.json_ld.get_or_init(|| microdata::json_ld_objects(doc))
    }

    /// Notes one reason for `--explain`; free when nobody asked.
    pub fn explain(&self, msg: impl FnOnce() -> String) {
        if let Some(t) = &self.trace {
            t.borrow_mut().push(msg());
        }
    }

    pub fn is_own_domain(&self, d: &str) -> bool {
        self.own_domains.iter().any(|o| o == d)
    }

    pub fn is_own_email(&self, e: &str) -> bool {
        e.rsplit('@')
            .next()
            .is_some_and(|d| registrable_domain(d).is_some_and(|r| self.is_own_domain(&r)))
    }

    pub fn is_own_name(&self, n: &str) -> bool {
        self.is_own_name_key(&name_key(n))
    }

    /// [`PageCtx::is_own_name`] of a name's [`name_key`].
    pub fn is_own_name_key(&self, k: &str) -> bool {
        !k.is_empty() && (self.own_name_key.as_deref() == Some(k) || self.site_names.contains(k))
    }

    /// The site's own name as the page declares it: `og:site_name`, and
    /// JSON-LD organizations or web sites whose url is this site's home.
    fn learn_site_names(&mut self, doc: &Html) {
        if let Ok(s) = Selector::parse(r#"meta[property="og:site_name"]"#) {
            for m in doc.select(&s) {
                if let Some(c) = m.value().attr("content") {
                    self.site_names.insert(name_key(c));
                }
            }
        }
        let mut names = Vec::new();
        for o in self.json_ld(doc) {
            let home = o
                .get("url")
                .and_then(|u| u.as_str())
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| {
                    u.path().trim_matches('/').is_empty()
                        && registrable_domain(u.as_str()).is_some_and(|d| self.is_own_domain(&d))
                });
            if home && let Some(n) = o.get("name").and_then(|n| n.as_str()) {
                names.push(name_key(n));
            }
        }
        self.site_names.extend(names);
        self.site_names.remove("");
    }

    fn learn_noise(&mut self, doc: &Html) {
        let text = dom::noise_text(doc.root_element());
        for p in crate::normalize::phone::find_phones(&text) {
            if let Some(n) = normalize_phone(p) {
                self.noise_phones.insert(n);
            }
        }
    }
}

/// Builds the final record: cleans and normalizes every field and gives each
/// value its provenance.
pub fn finish(d: Draft, pc: &PageCtx, extractor: &str, confidence: f32) -> Option<MemberRecord> {
    let name = clean_text(d.name.as_deref()?);
    let name = name
        .trim_matches(|c: char| c == ',' || c == '-' || c == '|' || c.is_whitespace())
        .to_owned();
    if name.is_empty() || name.len() > 200 || name_key(&name).is_empty() {
        return None;
    }
    let profile_url = d
        .profile_url
        .and_then(|u| normalize_website(&u, pc.base.as_ref()));
    if pc.structure_only {
        return Some(MemberRecord {
            association: pc.association.clone(),
            name,
            profile_url,
            source_url: pc.source_url.clone(),
            extractor: extractor.to_owned(),
            confidence: confidence.clamp(0.0, 1.0),
            ..Default::default()
        });
    }
    let opt = |s: Option<String>| s.map(|v| clean_text(&v)).filter(|v| !v.is_empty());
    let website = d
        .website
        .and_then(|w| normalize_website(&w, pc.base.as_ref()));
    let domain = website.as_deref().and_then(registrable_domain);
    let (website, domain) = match domain {
        Some(dm) if !pc.is_own_domain(&dm) => (website, Some(dm)),
        _ => (None, None),
    };
    let phone = d.phone.and_then(|p| {
        normalize_phone(&p).or_else(|| Some(clean_text(&p)).filter(|s| !s.is_empty()))
    });
    let email = d.email.and_then(|e| normalize_email(&e));
    let state_country = d
        .state
        .as_deref()
        .and_then(crate::normalize::address::state_code);
    // States are US state and Canadian province codes; a region of another
    // country ("QLD", "Bavaria") is not one.
    let state = state_country.map(|(c, _)| c.to_owned());
    let postal = d
        .postal_code
        .map(|p| match crate::normalize::address::postal_code(&p) {
            Some((z, _)) => z,
            None => clean_text(&p),
        });
    let country = opt(d.country).or_else(|| state_country.map(|(_, c)| c.to_owned()));
    let mut rec = MemberRecord {
        association: pc.association.clone(),
        name,
        website,
        domain,
        phone,
        email,
        street: opt(d.street),
        city: opt(d.city),
        state,
        postal_code: postal.filter(|p| !p.is_empty()),
        country,
        membership_type: opt(d.membership_type),
        profile_url,
        source_url: pc.source_url.clone(),
        extractor: extractor.to_owned(),
        confidence: confidence.clamp(0.0, 1.0),
        provenance: Default::default(),
        external_id: None,
    };
    stamp_provenance(&mut rec, extractor, chrono::Utc::now());
    Some(rec)
}

/// Names of the fields of a record that hold a value.
pub fn present_fields(r: &MemberRecord) -> Vec<&'static str> {
    let f: [(&str, bool); 13] = [
        ("name", !r.name.is_empty()),
        ("website", r.website.is_some()),
        ("domain", r.domain.is_some()),
        ("phone", r.phone.is_some()),
        ("email", r.email.is_some()),
        ("street", r.street.is_some()),
        ("city", r.city.is_some()),
        ("state", r.state.is_some()),
        ("postal_code", r.postal_code.is_some()),
        ("country", r.country.is_some()),
        ("membership_type", r.membership_type.is_some()),
        ("profile_url", r.profile_url.is_some()),
        ("association", !r.association.is_empty()),
    ];
    f.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect()
}

/// Gives every present field without provenance an entry from this extractor.
pub fn stamp_provenance(
    rec: &mut MemberRecord,
    extractor: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    for f in present_fields(rec) {
        rec.provenance
            .entry(f.to_owned())
            .or_insert_with(|| FieldProvenance {
                source_url: rec.source_url.clone(),
                extractor: extractor.to_owned(),
                at,
                confidence: rec.confidence,
            });
    }
}

fn looks_like_json(body: &str) -> bool {
    let t = body.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// Extracts everything from one page. Pure: no I/O, never panics on any input.
pub fn extract_page(body: &str, url: &str, ctx: &ExtractContext) -> Extraction {
    let mut pc = PageCtx::new(url, ctx);
    let mut out = extract_with(body, url, ctx, &mut pc);
    if let Some(t) = pc.trace.take() {
        out.explanation = t.into_inner();
    }
    out
}

/// Ends every `<script>` at its first `</script>`. A comment opener inside a
/// script (`<script><!-- ... <script>...</script> -->`, common in saved and
/// "prettified" pages where the closing `-->` got escaped) otherwise makes
/// an HTML5 parser read the rest of the page as script text.
pub fn close_scripts(body: &str) -> std::borrow::Cow<'_, str> {
    let lower = body.to_ascii_lowercase();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(i) = lower[at..].find("<script") {
        let open = at + i;
        let Some(gt) = lower[open..].find('>') else {
            break;
        };
        let content = open + gt + 1;
        let end = lower[content..]
            .find("</script")
            .map_or(lower.len(), |e| content + e);
        if let Some(c) = lower[content..end].find("<!--") {
            let o = out.get_or_insert_with(|| String::with_capacity(body.len()));
            let mut pos = content + c;
            o.push_str(&body[copied..pos]);
            // Every opener in this script loses its meaning.
            while pos < end {
                match lower[pos..end].find("<!--") {
                    Some(k) => {
                        o.push_str(&body[pos..pos + k]);
                        o.push_str("<! --");
                        pos += k + 4;
                    }
                    None => {
                        o.push_str(&body[pos..end]);
                        pos = end;
                    }
                }
            }
            copied = end;
        }
        at = end.max(content);
    }
    match out {
        Some(mut o) => {
            o.push_str(&body[copied..]);
            std::borrow::Cow::Owned(o)
        }
        None => std::borrow::Cow::Borrowed(body),
    }
}

fn extract_with(body: &str, url: &str, ctx: &ExtractContext, pc: &mut PageCtx) -> Extraction {
    if looks_like_json(body)
        && let Ok(v) =
            serde_json::from_str::<serde_json::Value>(body.trim_start_matches('\u{feff}'))
    {
        pc.explain(|| "the body is JSON: records from its arrays of objects".into());
        return json::extract(&v, pc);
    }
    let body = close_scripts(body);
    let doc = Html::parse_document(&body);
    pc.learn_noise(&doc);
    pc.learn_site_names(&doc);
    let mut out = Extraction {
        next_pages: pagination_links(&doc, pc, ctx.selectors.as_ref()),
        ..Default::default()
    };
    let page_type = ctx.page_type.or_else(|| guess_page_type(&doc, url));
    out.page_type = page_type;
    pc.explain(|| match page_type {
        Some(t) => format!("read as a {} page", t.as_str()),
        None => "read as a listing (no page type given or guessed)".into(),
    });
    let mut members: Vec<MemberRecord> = Vec::new();
    match page_type {
        Some(PageType::Event) | Some(PageType::ExhibitorList) => {
            out.events = events::extract(&doc, pc, ctx);
            // An exhibitor list is a list of companies too: structured data
            // listing organizations gives its records, else the exhibitors
            // and sponsors the event sections name (never the speakers).
            let structured = microdata::extract(&doc, pc);
            members = if structured.len() >= 2 {
                structured
            } else {
                participant_records(&out.events, pc)
            };
            let now = chrono::Utc::now();
            for m in &mut members {
                if m.membership_type.is_none() {
                    m.membership_type = Some("exhibitor".into());
                    let ex = m.extractor.clone();
                    stamp_provenance(m, &ex, now);
                }
            }
            let n = members.len();
            pc.explain(|| format!("an event page: {n} exhibiting companies kept as records"));
        }
        Some(PageType::CompanySite) | Some(PageType::LoginWall) | Some(PageType::Other) => {
            return out;
        }
        Some(PageType::MemberProfile) => {
            members.extend(profile::extract(&doc, pc, ctx.selectors.as_ref()));
        }
        _ => {
            members = listing_records(&doc, pc, ctx);
            if members.len() <= 1
                && ctx.page_type.is_none()
                && profile::looks_like_profile(&doc, url)
            {
                let p = profile::extract(&doc, pc, ctx.selectors.as_ref());
                if !p.is_empty() {
                    members = p;
                    out.page_type = Some(PageType::MemberProfile);
                }
            }
        }
    }
    // One record per company name on a page.
    let mut seen = HashSet::new();
    members.retain(|m| seen.insert(name_key(&m.name)));
    let mut links: Vec<String> = members
        .iter()
        .filter_map(|m| m.profile_url.clone())
        .collect();
    links.dedup();
    out.profile_links = links;
    out.members = members;
    out
}

/// Exhibitors and sponsors of an event as company records.
fn participant_records(events: &[EventRecord], pc: &PageCtx) -> Vec<MemberRecord> {
    use crate::model::ParticipantRole;
    events
        .iter()
        .flat_map(|e| &e.participants)
        .filter(|p| {
            matches!(
                p.role,
                ParticipantRole::Exhibitor | ParticipantRole::Sponsor
            )
        })
        .filter_map(|p| {
            let d = Draft {
                name: p.company_name.clone(),
                website: p.company_domain.as_ref().map(|d| format!("http://{d}/")),
                booth: p.booth.clone(),
                membership_type: Some(p.role.as_str().to_owned()),
                ..Default::default()
            };
            finish(d, pc, "event", p.confidence)
        })
        .collect()
}

/// The records of a listing: configured selectors, else structured data
/// (microdata, JSON-LD), else the generic extractor.
fn listing_records(doc: &Html, pc: &PageCtx, ctx: &ExtractContext) -> Vec<MemberRecord> {
    let mut members = Vec::new();
    if let Some(sel) = ctx.selectors.as_ref() {
        members = configured::extract(doc, pc, sel);
        let n = members.len();
        pc.explain(|| format!("configured selectors: {n} records"));
    }
    if !members.is_empty() {
        return members;
    }
    // Structured data wins when it lists organizations; one organization
    // alone is as often the publisher of the page as a listed member.
    let structured = microdata::extract(doc, pc);
    let n = structured.len();
    pc.explain(|| format!("schema.org microdata / JSON-LD organizations: {n} records"));
    if n >= 2 {
        return structured;
    }
    members = generic::extract(doc, pc)
        .into_iter()
        .filter_map(|(d, c)| finish(d, pc, "generic", c))
        .collect();
    if members.is_empty() {
        structured
    } else {
        members
    }
}

/// Light classification when the crawler did not say: events by their
/// headings and dates, profiles by URL shape, everything else as a listing.
pub fn guess_page_type(doc: &Html, url: &str) -> Option<PageType> {
    let lower_url = url.to_lowercase();
    let headings: String = Selector::parse("h1, h2, h3")
        .ok()
        .map(|s| {
            doc.select(&s)
                .map(|h| h.text().collect::<String>().to_lowercase())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let eventish = ["exhibitor", "sponsor", "speaker"]
        .iter()
        .any(|w| headings.contains(w));
    if eventish
        && (lower_url.contains("event")
            || lower_url.contains("expo")
            || lower_url.contains("show")
            || lower_url.contains("conference")
            || events::has_date(&headings)
            || events::page_has_date(doc))
    {
        return Some(PageType::Event);
    }
    None
}

/// Pagination and A–Z links of a listing page (same site only).
fn pagination_links(doc: &Html, pc: &PageCtx, sel: Option<&Selectors>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |h: &str| {
        if let Some(u) = normalize_website(h, pc.base.as_ref()) {
            let own = registrable_domain(&u).is_some_and(|d| pc.is_own_domain(&d));
            if own && u != pc.source_url && !out.contains(&u) {
                out.push(u);
            }
        }
    };
    if let Some(s) = sel
        .and_then(|s| s.next_page.as_deref())
        .and_then(|s| Selector::parse(s).ok())
    {
        for a in doc.select(&s) {
            if let Some(h) = a.value().attr("href") {
                push(h);
            }
        }
    }
    // Endpoints a script loads the directory rows from.
    if let Ok(d_sel) = Selector::parse("[data-endpoint], [data-url], [data-api], [data-src]") {
        for e in doc.select(&d_sel) {
            for attr in ["data-endpoint", "data-url", "data-api", "data-src"] {
                if let Some(h) = e.value().attr(attr) {
                    push(h);
                }
            }
        }
    }
    let Ok(a_sel) = Selector::parse("a[href]") else {
        return out;
    };
    for a in doc.select(&a_sel) {
        let Some(h) = a.value().attr("href") else {
            continue;
        };
        if h.starts_with('#') {
            continue;
        }
        let rel_next = dom::attr_of(a.value(), "rel").is_some_and(|r| r.contains("next"));
        let hl = h.to_lowercase();
        let pagey = hl.contains("page=")
            || hl.contains("/page/")
            || hl.contains("offset=")
            || hl.contains("start=")
            || hl.contains("pg=")
            || hl.contains("letter=");
        if !rel_next && !pagey {
            // Most links: only a "Next" text can make them pagination.
            let next = a
                .text()
                .map(str::trim_start)
                .find(|t| !t.is_empty())
                .and_then(|t| t.get(..4))
                .is_some_and(|t| t.eq_ignore_ascii_case("next"));
            if next {
                push(h);
            }
            continue;
        }
        let text = clean_text(&a.text().collect::<String>()).to_lowercase();
        let texty = text.starts_with("next")
            || text == "›"
            || text == "»"
            || text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty()
            || text.len() == 1 && text.chars().all(|c| c.is_ascii_alphabetic());
        if rel_next
            || text.starts_with("next")
            || (pagey
                && (texty
                    || ["prev", "last", "first", "more", "next"]
                        .iter()
                        .any(|w| text.contains(w))))
        {
            push(h);
        }
    }
    out
}
