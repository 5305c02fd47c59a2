//! Clearbit Company API: `GET /v2/companies/find?domain=` with the key as
//! a bearer token, answering firmographics and the `tech` list.
//!
//! Clearbit answers `202 Accepted` when it has not indexed the domain yet
//! and is looking it up in the background ("retry the request later or use
//! the webhook API"). That is not a miss, and a later call may well
//! succeed, so it maps to [`ProviderError::Transient`]: the chain's retry
//! and backoff decide when to ask again.

use std::fmt;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::http::{self, Secret, nonempty};
use crate::enrich::{
    EnrichTarget, Findings, Firmographics, Kind, Provider, ProviderError, Technology,
};

const KINDS: &[Kind] = &[Kind::Firmographic, Kind::Techstack];

/// A Clearbit Company API client.
pub(crate) struct Clearbit {
    key: Secret,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for Clearbit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clearbit")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The documented company record, reduced to what nam reads.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Company {
    description: Option<String>,
    founded_year: Option<i64>,
    phone: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    category: Category,
    #[serde(deserialize_with = "http::null_default")]
    metrics: Metrics,
    #[serde(deserialize_with = "http::null_default")]
    geo: Geo,
    #[serde(deserialize_with = "http::null_default")]
    site: Site,
    #[serde(deserialize_with = "http::null_default")]
    tech: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Category {
    industry: Option<String>,
    naics_code: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Metrics {
    employees: Option<u64>,
    employees_range: Option<String>,
    estimated_annual_revenue: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Geo {
    city: Option<String>,
    state_code: Option<String>,
    country_code: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Site {
    #[serde(deserialize_with = "http::null_default")]
    phone_numbers: Vec<String>,
}

impl Clearbit {
    pub(crate) fn new(key: Secret, base: String, http: reqwest::Client) -> Self {
        Self { key, base, http }
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        // No domain, nothing to look up: Clearbit matches on domain only.
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        let endpoint = format!("{}/v2/companies/find", self.base);
        let req = self
            .http
            .get(&endpoint)
            .query(&[("domain", domain.as_str())])
            .bearer_auth(self.key.expose());
        let reply = http::send(req, std::slice::from_ref(&self.key)).await?;
        if reply.status == reqwest::StatusCode::ACCEPTED {
            return Err(ProviderError::Transient(
                "queued at Clearbit (HTTP 202): ask again later".into(),
            ));
        }
        let company: Company = reply.json()?;
        let mut findings = Findings {
            source_url: Some(format!("{endpoint}?domain={domain}")),
            // Clearbit bills each lookup that answers 200, 202 or 404.
            credits: 1.0,
            ..Findings::default()
        };
        match kind {
            Kind::Techstack => {
                findings.technologies = technologies(&company.tech, findings.source_url.as_deref());
                if findings.technologies.is_empty() {
                    return Err(ProviderError::NotFound);
                }
            }
            _ => findings.firmographics = Some(firmographics(company)),
        }
        Ok(findings)
    }
}

fn firmographics(c: Company) -> Firmographics {
    let phone = nonempty(c.phone).or_else(|| nonempty(c.site.phone_numbers.into_iter().next()));
    Firmographics {
        employee_count: c.metrics.employees.and_then(|n| u32::try_from(n).ok()),
        employee_range: nonempty(c.metrics.employees_range),
        founded_year: c.founded_year.and_then(|y| u16::try_from(y).ok()),
        revenue_range: nonempty(c.metrics.estimated_annual_revenue),
        industry: nonempty(c.category.industry),
        naics: nonempty(c.category.naics_code),
        naics_evidence: None,
        description: nonempty(c.description),
        phone,
        city: nonempty(c.geo.city),
        state: nonempty(c.geo.state_code),
        country: nonempty(c.geo.country_code),
        ..Firmographics::default()
    }
}

/// Clearbit's `tech` holds bare slugs (`google_analytics`) with no
/// per-item category, so each is filed as `other`.
fn technologies(tech: &[String], source_url: Option<&str>) -> Vec<Technology> {
    tech.iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|slug| Technology {
            vendor: slug.to_owned(),
            product: None,
            category: "other".into(),
            evidence_kind: "api".into(),
            evidence: format!("clearbit tech: {slug}"),
            source_url: source_url.map(str::to_owned),
            confidence: 0.7,
        })
        .collect()
}

impl Provider for Clearbit {
    fn name(&self) -> &'static str {
        "clearbit"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn enrich<'a>(
        &'a self,
        kind: Kind,
        target: &'a EnrichTarget,
    ) -> BoxFuture<'a, Result<Findings, ProviderError>> {
        Box::pin(self.lookup(kind, target))
    }
}
