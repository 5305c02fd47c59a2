//! Clients of the paid enrichment providers, written against each one's
//! documented request and response shapes, and of the web-search provider
//! prospecting runs use ([`TavilySearch`]). Base URLs come from config so
//! tests point them at loopback fakes.
//!
//! Each client makes one attempt per call and maps the answer to
//! [`Findings`](crate::enrich::Findings) or a
//! [`ProviderError`](crate::enrich::ProviderError); retries, rate limits,
//! caps and the circuit breaker are the chain's. Keys never appear in a
//! client's `Debug`, in an error, or in `Findings::source_url`.

mod apollo;
mod builtwith;
mod clearbit;
pub(crate) mod http;
mod hunter;
mod places;
mod tavily;
mod zoominfo;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use anyhow::{Result, bail};

use crate::enrich::Provider;
use http::Secret;
pub use tavily::{SearchHit, TAVILY_BASE, TavilySearch};

/// Providers with an API client and their default base URLs. What each
/// answers is its [`Provider::kinds`]: Clearbit firmographic and techstack,
/// Apollo firmographic and contacts, BuiltWith techstack, ZoomInfo
/// firmographic and contacts, Hunter contacts, Google Places firmographic.
pub const API_PROVIDERS: &[(&str, &str)] = &[
    ("clearbit", "https://company.clearbit.com"),
    ("apollo", "https://api.apollo.io"),
    ("builtwith", "https://api.builtwith.com"),
    ("zoominfo", "https://api.zoominfo.com"),
    ("hunter", "https://api.hunter.io"),
    ("google_places", "https://places.googleapis.com"),
];

/// Titles asked for when a provider searches people by role: the owners,
/// executives and functional heads who buy for a B2B company.
pub(crate) const BUYER_TITLES: &[&str] = &[
    "owner",
    "president",
    "ceo",
    "coo",
    "cfo",
    "general manager",
    "vice president",
    "operations manager",
    "plant manager",
    "purchasing manager",
    "procurement",
    "engineering manager",
    "quality manager",
    "it manager",
    "controller",
];

/// Builds the client for `name` with `key`; `base_url` overrides the
/// default (tests point it at loopback).
///
/// For `zoominfo` the key is `username:password` (exchanged for a JWT,
/// cached) or a ready JWT.
pub fn build(
    name: &str,
    key: String,
    base_url: Option<&str>,
    http: reqwest::Client,
) -> Result<Arc<dyn Provider>> {
    let Some((name, default_base)) = API_PROVIDERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
    else {
        let known: Vec<&str> = API_PROVIDERS.iter().map(|(n, _)| *n).collect();
        bail!(
            "no API client for provider {name:?}; known: {}",
            known.join(", ")
        );
    };
    let base = http::base_url(base_url.unwrap_or(default_base))
        .map_err(|e| e.context(format!("provider {name}")))?;
    let key = key.trim().to_owned();
    if key.is_empty() {
        bail!("provider {name}: the API key is empty");
    }
    let client: Arc<dyn Provider> = match *name {
        "clearbit" => Arc::new(clearbit::Clearbit::new(Secret::new(key), base, http)),
        "apollo" => Arc::new(apollo::Apollo::new(Secret::new(key), base, http)),
        "builtwith" => Arc::new(builtwith::BuiltWith::new(Secret::new(key), base, http)),
        "zoominfo" => Arc::new(zoominfo::ZoomInfo::new(key, base, http)),
        "hunter" => Arc::new(hunter::Hunter::new(Secret::new(key), base, http)),
        "google_places" => Arc::new(places::Places::new(Secret::new(key), base, http)),
        other => bail!("provider {other} is listed but has no client"),
    };
    Ok(client)
}
