//! Prospecting: search queries from an ICP profile sent to a web-search
//! provider; each result's site (one per domain, directories and social
//! networks left out) becomes a domain target of the run, with the query,
//! rank, title and snippet that found it kept as provenance.

use std::collections::HashMap;

use serde::Serialize;

use crate::enrich::ProviderError;
use crate::enrich::api::{SearchHit, TavilySearch};
use crate::model::RunControl;

/// Sites that are never a company's own: networks, directories,
/// marketplaces, encyclopedias, job boards and search engines.
const NOT_COMPANY_SITES: &[&str] = &[
    "linkedin.com",
    "facebook.com",
    "twitter.com",
    "x.com",
    "youtube.com",
    "instagram.com",
    "tiktok.com",
    "pinterest.com",
    "reddit.com",
    "wikipedia.org",
    "wikimedia.org",
    "yelp.com",
    "yellowpages.com",
    "bbb.org",
    "manta.com",
    "thomasnet.com",
    "globalspec.com",
    "mfg.com",
    "indeed.com",
    "glassdoor.com",
    "ziprecruiter.com",
    "crunchbase.com",
    "zoominfo.com",
    "dnb.com",
    "bloomberg.com",
    "google.com",
    "bing.com",
    "amazon.com",
    "alibaba.com",
    "ebay.com",
    "mapquest.com",
    "medium.com",
];

/// What a prospecting search found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchFound {
    pub profile: String,
    /// The search provider, or `store` when no search key is set.
    pub provider: String,
    pub queries: Vec<String>,
    /// Result sites kept as targets (one per domain).
    pub sites: usize,
    /// Results left out: no usable domain, a directory or social site, an
    /// association's own site, or a domain already found.
    pub left_out: usize,
    /// Queries the provider failed on, with why.
    pub errors: Vec<String>,
    /// domain -> the query that found it first.
    #[serde(skip)]
    pub queries_of: HashMap<String, String>,
}

/// One result site kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundSite {
    pub domain: String,
    pub query: String,
    pub hit: SearchHit,
}

/// Whether a search result's domain can be a company's own site.
pub fn company_site(domain: &str, excluded: &[String]) -> bool {
    let hit = |d: &str| domain == d || domain.ends_with(&format!(".{d}"));
    !NOT_COMPANY_SITES.iter().any(|d| hit(d)) && !excluded.iter().any(|d| hit(d))
}

/// Sends each query to the provider (in order, one at a time: a search API
/// is paced by its plan) and keeps the first hit of each company domain.
/// A refused key or a used-up quota ends the search; other failures skip
/// their query. `excluded` are domains never taken (the associations').
pub async fn search_sites(
    searcher: &TavilySearch,
    queries: &[String],
    max_results: usize,
    excluded: &[String],
    control: &RunControl,
) -> (Vec<FoundSite>, SearchFound) {
    let mut found = SearchFound {
        provider: "tavily".into(),
        queries: queries.to_vec(),
        ..Default::default()
    };
    let mut sites: Vec<FoundSite> = Vec::new();
    for q in queries {
        if !control.proceed().await {
            break;
        }
        let mut answer = searcher.search(q, max_results).await;
        // A rate limit is waited out once (at most ten seconds).
        if let Err(ProviderError::RateLimited(after)) = &answer {
            let wait = after
                .unwrap_or(std::time::Duration::from_secs(1))
                .min(std::time::Duration::from_secs(10));
            tokio::time::sleep(wait).await;
            answer = searcher.search(q, max_results).await;
        }
        let hits = match answer {
            Ok(h) => h,
            Err(e) => {
                let stop = matches!(
                    e,
                    ProviderError::Unauthorized(_) | ProviderError::QuotaExhausted
                );
                found.errors.push(format!("{q:?}: {e}"));
                if stop {
                    break;
                }
                continue;
            }
        };
        for hit in hits {
            let domain = match crate::prospect::domains::domain_of_entry(&hit.url) {
                Ok((d, _)) => d,
                Err(_) => {
                    found.left_out += 1;
                    continue;
                }
            };
            if !company_site(&domain, excluded) || sites.iter().any(|s| s.domain == domain) {
                found.left_out += 1;
                continue;
            }
            found.queries_of.insert(domain.clone(), q.clone());
            sites.push(FoundSite {
                domain,
                query: q.clone(),
                hit,
            });
        }
    }
    found.sites = sites.len();
    (sites, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_networks_directories_and_associations_are_not_company_sites() {
        let assoc = vec!["pma.org".to_string()];
        assert!(company_site("acme-gear.com", &assoc));
        assert!(!company_site("linkedin.com", &assoc));
        assert!(!company_site("en.wikipedia.org", &assoc));
        assert!(!company_site("pma.org", &assoc));
        assert!(!company_site("members.pma.org", &assoc));
        assert!(
            company_site("notlinkedin.com", &assoc),
            "a suffix of a word is not the domain"
        );
    }
}
