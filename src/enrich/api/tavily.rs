//! Tavily Search: `POST /search` with the key as a bearer token and the
//! query in a JSON body, answering `{results: [{title, url, content,
//! score}]}`. Prospecting runs send their search queries here to find
//! company sites.
//!
//! Tavily gives two codes of its own: 432 (the plan's usage limit) and
//! 433 (the pay-as-you-go limit), both a used-up quota rather than a
//! fault; the rest follow the shared mapping (401/403 refused key, 429
//! rate limit with `Retry-After`, 5xx transient).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::http::{self, Secret, nonempty};
use crate::enrich::ProviderError;
use crate::normalize::clean_text;

/// Tavily's documented base URL.
pub const TAVILY_BASE: &str = "https://api.tavily.com";

/// Longest snippet kept per hit, in characters: enough to judge a result,
/// not a page's worth.
const MAX_SNIPPET: usize = 500;

/// Tavily's ceiling on `max_results` for one search.
const MAX_RESULTS: usize = 20;

/// One search result, in the order the provider ranked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub url: String,
    pub title: Option<String>,
    /// The provider's extract of the page, cleaned and cut short.
    pub snippet: Option<String>,
    /// The provider's relevance score (Tavily: 0..1), when it gave one.
    pub score: Option<f64>,
    /// 1-based position in the answer.
    pub rank: usize,
}

/// A Tavily Search client.
pub struct TavilySearch {
    key: Secret,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for TavilySearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TavilySearch")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
struct Request<'a> {
    query: &'a str,
    max_results: usize,
    search_depth: &'static str,
    include_answer: bool,
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(deserialize_with = "http::null_default")]
    results: Vec<Result_>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Result_ {
    title: Option<String>,
    url: Option<String>,
    content: Option<String>,
    score: Option<f64>,
}

impl TavilySearch {
    /// A client with `key`; `base_url` overrides [`TAVILY_BASE`] (tests
    /// point it at loopback). Fails on an empty key or a bad base URL.
    pub fn new(key: String, base_url: Option<&str>, http: reqwest::Client) -> anyhow::Result<Self> {
        let base = http::base_url(base_url.unwrap_or(TAVILY_BASE))
            .map_err(|e| e.context("search provider tavily"))?;
        let key = key.trim().to_owned();
        if key.is_empty() {
            anyhow::bail!("search provider tavily: the API key is empty");
        }
        Ok(Self {
            key: Secret::new(key),
            base,
            http,
        })
    }

    /// The endpoint searched, for provenance (it holds no key).
    pub fn endpoint(&self) -> String {
        format!("{}/search", self.base)
    }

    /// One search for `query`, at most `max_results` hits (1..=20), best
    /// first. An answer without results is an empty list, not an error.
    pub async fn search(
        &self,
        query: &str,
        max_results: usize,
    ) -> Result<Vec<SearchHit>, ProviderError> {
        let query = query.trim();
        if query.is_empty() {
            return Err(ProviderError::Malformed("empty search query".into()));
        }
        let body = Request {
            query,
            max_results: max_results.clamp(1, MAX_RESULTS),
            search_depth: "basic",
            include_answer: false,
        };
        let req = self
            .http
            .post(self.endpoint())
            .bearer_auth(self.key.expose())
            .json(&body);
        let raw = http::send(req, std::slice::from_ref(&self.key)).await?;
        if matches!(raw.status.as_u16(), 432 | 433) {
            return Err(ProviderError::QuotaExhausted);
        }
        let reply: Reply = raw.json()?;
        Ok(hits(reply, max_results.clamp(1, MAX_RESULTS)))
    }
}

/// Results with a usable http(s) address, ranked from 1 in answer order.
fn hits(reply: Reply, max: usize) -> Vec<SearchHit> {
    reply
        .results
        .into_iter()
        .filter_map(|r| {
            let url = nonempty(r.url)?;
            let parsed = url::Url::parse(&url).ok()?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return None;
            }
            Some((url, r.title, r.content, r.score))
        })
        .take(max)
        .enumerate()
        .map(|(i, (url, title, content, score))| SearchHit {
            url,
            title: nonempty(title.map(|t| clean_text(&t))),
            snippet: nonempty(content.map(|c| clean_text(&c).chars().take(MAX_SNIPPET).collect())),
            score: score.filter(|s| s.is_finite()),
            rank: i + 1,
        })
        .collect()
}
