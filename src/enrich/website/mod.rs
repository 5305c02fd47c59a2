//! The keyless providers: a company's own public website, read through the
//! polite fetcher (robots.txt, pacing, the public-address guard).
//!
//! One [`SiteReader`] reads each site once per run and shares the pages
//! among the four providers built on it: `website` (firmographics),
//! `fingerprints` (tech stack from page source, headers and cookies),
//! `job_postings` (tech stack named in job ads, weaker evidence) and
//! `team_pages` (contacts with target titles).

pub mod contacts;
pub mod firmo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::OnceCell;
use url::Url;

use super::leads::TitleTable;
use super::{EnrichTarget, Findings, Kind, Provider, ProviderError, Technology};
use crate::crawl::PoliteFetcher;
use crate::signals::VendorTable;
use crate::signals::detect::{PageInput, SignalType, detect, names_vendor};
use crate::signals::site::pages_to_visit;

/// What a page of a company's site is for, from its address and link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRole {
    Home,
    About,
    Team,
    Careers,
    Contact,
    News,
    Products,
    Other,
}

impl PageRole {
    /// The role of a page from its address.
    pub fn of(url: &Url) -> PageRole {
        let path = url.path().to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| path.contains(w));
        if path == "/" || path.is_empty() || path.starts_with("/index.") {
            PageRole::Home
        } else if has(&["leadership", "team", "management", "people", "staff"]) {
            PageRole::Team
        } else if has(&["career", "jobs", "employment", "join"]) {
            PageRole::Careers
        } else if has(&["contact"]) {
            PageRole::Contact
        } else if has(&["news", "press", "blog", "media", "case-stud"]) {
            PageRole::News
        } else if has(&["about", "company", "who-we-are", "history"]) {
            PageRole::About
        } else if has(&["product", "capabilit", "services", "solutions"]) {
            PageRole::Products
        } else {
            PageRole::Other
        }
    }
}

/// One page of a company's site.
#[derive(Debug, Clone)]
pub struct SitePage {
    pub url: Url,
    pub role: PageRole,
    pub html: String,
    pub headers: Vec<(String, String)>,
}

type Pages = Result<Arc<Vec<SitePage>>, String>;

/// Reads each company's site once and hands the pages to every provider
/// that asks; [`SiteReader::forget`] drops them when the company is done.
pub struct SiteReader {
    fetcher: Arc<PoliteFetcher>,
    max_pages: usize,
    cache: Mutex<HashMap<i64, Arc<OnceCell<Pages>>>>,
}

/// Pages read per company by default: home, about, products, team,
/// careers, news, contact.
pub const DEFAULT_MAX_PAGES: usize = 8;

impl SiteReader {
    pub fn new(fetcher: Arc<PoliteFetcher>, max_pages: usize) -> Self {
        Self {
            fetcher,
            max_pages: max_pages.max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The pages of the target's site, read on first use.
    pub async fn pages(&self, target: &EnrichTarget) -> Result<Arc<Vec<SitePage>>, ProviderError> {
        let cell = {
            let mut cache = self
                .cache
                .lock()
                .map_err(|_| ProviderError::Transient("site cache poisoned".into()))?;
            cache.entry(target.company_id).or_default().clone()
        };
        cell.get_or_init(|| self.read(target))
            .await
            .clone()
            .map_err(ProviderError::SiteUnreachable)
    }

    /// The pages of a company already read, without reading anything:
    /// `None` when none were read (or the site could not be).
    pub fn cached(&self, company_id: i64) -> Option<Arc<Vec<SitePage>>> {
        let cell = self.cache.lock().ok()?.get(&company_id)?.clone();
        cell.get().and_then(|pages| pages.as_ref().ok().cloned())
    }

    /// Drops the pages of a company once all its kinds are done.
    pub fn forget(&self, company_id: i64) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&company_id);
        }
    }

    async fn read(&self, target: &EnrichTarget) -> Pages {
        let website = target
            .website
            .clone()
            .or_else(|| target.domain.as_ref().map(|d| format!("https://{d}/")))
            .ok_or_else(|| "no website is known".to_string())?;
        let home = match Url::parse(&website) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(u) => return Err(format!("website {u} is not an http(s) address")),
            Err(e) => return Err(format!("website {website:?} is not a URL: {e}")),
        };
        let first = match self.fetcher.get_html(&home).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(format!("{home} is not an HTML page")),
            Err(e) => return Err(format!("{e:#}")),
        };
        let links = site_links(&first.url, &first.html, self.max_pages);
        let mut pages = vec![SitePage {
            role: PageRole::Home,
            url: first.url,
            html: first.html,
            headers: first.headers,
        }];
        for link in links {
            // A page other than the home page that fails is skipped.
            if let Ok(Some(p)) = self.fetcher.get_html(&link).await {
                pages.push(SitePage {
                    role: PageRole::of(&p.url),
                    url: p.url,
                    html: p.html,
                    headers: p.headers,
                });
            }
        }
        Ok(Arc::new(pages))
    }
}

/// Same-site links of the home page worth reading, at most `max - 1`: the
/// signals reader's telling links plus the about and products pages
/// firmographics need.
pub fn site_links(home: &Url, html: &str, max: usize) -> Vec<Url> {
    let mut links = pages_to_visit(home, html, max);
    if let Ok(sel) = scraper::Selector::parse("a[href]") {
        let doc = scraper::Html::parse_document(html);
        for a in doc.select(&sel) {
            let Some(url) = a.value().attr("href").and_then(|h| home.join(h).ok()) else {
                continue;
            };
            if url.host_str() == home.host_str()
                && matches!(PageRole::of(&url), PageRole::About | PageRole::Products)
                && !links.contains(&url)
                && links.len() + 1 < max
            {
                links.push(url);
            }
        }
    }
    links
}

/// Runs CPU-bound page reading off the async threads.
async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ProviderError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ProviderError::Transient(format!("reading pages failed: {e}")))
}

fn site_source(pages: &[SitePage]) -> Option<String> {
    pages.first().map(|p| p.url.to_string())
}

/// `website`: firmographics from the home, about and products pages.
pub struct WebsiteFirmographics {
    pub reader: Arc<SiteReader>,
}

impl Provider for WebsiteFirmographics {
    fn name(&self) -> &'static str {
        "website"
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Firmographic]
    }
    fn is_paid(&self) -> bool {
        false
    }
    fn enrich<'a>(
        &'a self,
        _kind: Kind,
        target: &'a EnrichTarget,
    ) -> BoxFuture<'a, Result<Findings, ProviderError>> {
        async move {
            let pages = self.reader.pages(target).await?;
            let year = chrono::Datelike::year(&chrono::Utc::now());
            let source_url = site_source(&pages);
            let f = off_thread(move || firmo::firmographics(&pages, year)).await?;
            match f {
                Some(f) => Ok(Findings {
                    firmographics: Some(f),
                    source_url,
                    ..Default::default()
                }),
                None => Err(ProviderError::NotFound),
            }
        }
        .boxed()
    }
}

/// Which pages a tech-stack provider reads, and which signals it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TechSource {
    /// Page source, headers, cookies and go-live news: what the site runs.
    Fingerprints,
    /// Job ads that name a system: weaker evidence of use.
    JobPostings,
}

/// `fingerprints` and `job_postings`: the tech stack from the vendor table
/// in `assets/vendors.toml` (the same one competitor signals use).
pub struct WebsiteTechstack {
    reader: Arc<SiteReader>,
    table: Arc<VendorTable>,
    source: TechSource,
}

impl WebsiteTechstack {
    pub fn fingerprints(reader: Arc<SiteReader>, table: Arc<VendorTable>) -> Self {
        Self {
            reader,
            table,
            source: TechSource::Fingerprints,
        }
    }

    pub fn job_postings(reader: Arc<SiteReader>, table: Arc<VendorTable>) -> Self {
        Self {
            reader,
            table,
            source: TechSource::JobPostings,
        }
    }
}

/// Technologies of one source on the pages, one per (vendor, category),
/// the most confident sighting kept. A vendor in the company's own name is
/// not evidence ("Oracle Tool & Die").
pub fn technologies(
    table: &VendorTable,
    pages: &[SitePage],
    source: TechSource,
    own_name: &str,
) -> Vec<Technology> {
    let mut best: HashMap<(String, String), Technology> = HashMap::new();
    for page in pages {
        let input = PageInput {
            url: &page.url,
            html: &page.html,
            headers: &page.headers,
        };
        for d in detect(table, &input) {
            let keep = match source {
                TechSource::Fingerprints => d.signal_type == SignalType::Uses,
                TechSource::JobPostings => d.signal_type == SignalType::Hiring,
            };
            if !keep || (d.evidence_kind == "text" && names_vendor(own_name, &d.vendor)) {
                continue;
            }
            let (kind, confidence) = match source {
                TechSource::Fingerprints => (d.evidence_kind.to_string(), d.confidence),
                TechSource::JobPostings => ("careers".to_string(), (d.confidence * 0.7).min(0.7)),
            };
            let t = Technology {
                vendor: d.vendor.clone(),
                product: d.product.clone(),
                category: d.category.clone(),
                evidence_kind: kind,
                evidence: d.snippet.clone(),
                source_url: Some(page.url.to_string()),
                confidence,
            };
            let key = (d.vendor, d.category);
            if best.get(&key).is_none_or(|b| t.confidence > b.confidence) {
                best.insert(key, t);
            }
        }
    }
    let mut out: Vec<Technology> = best.into_values().collect();
    out.sort_by(|a, b| (&a.category, &a.vendor).cmp(&(&b.category, &b.vendor)));
    out
}

impl Provider for WebsiteTechstack {
    fn name(&self) -> &'static str {
        match self.source {
            TechSource::Fingerprints => "fingerprints",
            TechSource::JobPostings => "job_postings",
        }
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Techstack]
    }
    fn is_paid(&self) -> bool {
        false
    }
    fn enrich<'a>(
        &'a self,
        _kind: Kind,
        target: &'a EnrichTarget,
    ) -> BoxFuture<'a, Result<Findings, ProviderError>> {
        async move {
            let pages = self.reader.pages(target).await?;
            let (table, source, name) = (self.table.clone(), self.source, target.name.clone());
            let source_url = site_source(&pages);
            let techs = off_thread(move || technologies(&table, &pages, source, &name)).await?;
            if techs.is_empty() {
                return Err(ProviderError::NotFound);
            }
            Ok(Findings {
                technologies: techs,
                source_url,
                ..Default::default()
            })
        }
        .boxed()
    }
}

/// `team_pages`: people with target titles from team and leadership pages,
/// emails from the addresses the site publishes and its inferred pattern.
pub struct TeamPages {
    pub reader: Arc<SiteReader>,
    pub titles: Arc<TitleTable>,
    /// Contacts kept per company, best titles first.
    pub max_contacts: usize,
}

impl Provider for TeamPages {
    fn name(&self) -> &'static str {
        "team_pages"
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Contacts]
    }
    fn is_paid(&self) -> bool {
        false
    }
    fn enrich<'a>(
        &'a self,
        _kind: Kind,
        target: &'a EnrichTarget,
    ) -> BoxFuture<'a, Result<Findings, ProviderError>> {
        async move {
            let pages = self.reader.pages(target).await?;
            let titles = self.titles.clone();
            let max = self.max_contacts;
            let domain = target.domain.clone();
            let source_url = site_source(&pages);
            let (people, pattern) =
                off_thread(move || contacts::contacts(&pages, &titles, domain.as_deref(), max))
                    .await?;
            if people.is_empty() {
                return Err(ProviderError::NotFound);
            }
            Ok(Findings {
                contacts: people,
                email_pattern: pattern,
                source_url,
                ..Default::default()
            })
        }
        .boxed()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_roles_from_addresses() {
        let role = |p: &str| PageRole::of(&Url::parse(&format!("https://a.example{p}")).unwrap());
        assert_eq!(role("/"), PageRole::Home);
        assert_eq!(role("/about-us/"), PageRole::About);
        assert_eq!(role("/leadership/"), PageRole::Team);
        assert_eq!(role("/careers/"), PageRole::Careers);
        assert_eq!(role("/contact/"), PageRole::Contact);
        assert_eq!(role("/news/2024/"), PageRole::News);
        assert_eq!(role("/products/"), PageRole::Products);
        assert_eq!(role("/privacy/"), PageRole::Other);
    }
}
