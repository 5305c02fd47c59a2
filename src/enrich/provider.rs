//! What every enrichment source implements, and what it answers.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// The three kinds of enrichment, each with its own provider chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Firmographic,
    Techstack,
    Contacts,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Firmographic, Kind::Techstack, Kind::Contacts];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Firmographic => "firmographic",
            Kind::Techstack => "techstack",
            Kind::Contacts => "contacts",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The company a provider is asked about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichTarget {
    pub company_id: i64,
    pub name: String,
    /// Registrable domain, e.g. `acme-stamping.com`.
    pub domain: Option<String>,
    /// The website as listed, e.g. `https://www.acme-stamping.com/`.
    pub website: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

/// Firmographic facts about a company. Every field is optional: a provider
/// fills what it knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Firmographics {
    pub employee_count: Option<u32>,
    /// A range such as `50-99` or `1000+`.
    pub employee_range: Option<String>,
    pub founded_year: Option<u16>,
    pub revenue_range: Option<String>,
    pub industry: Option<String>,
    /// NAICS code, e.g. `332721`.
    pub naics: Option<String>,
    /// Why that NAICS code: the words that chose it.
    pub naics_evidence: Option<String>,
    pub description: Option<String>,
    pub products: Vec<String>,
    pub industries_served: Vec<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

impl Firmographics {
    /// How many of the fields that matter for "enough" are known.
    pub fn known_fields(&self) -> usize {
        [
            self.employee_count.is_some() || self.employee_range.is_some(),
            self.founded_year.is_some(),
            self.revenue_range.is_some(),
            self.industry.is_some() || self.naics.is_some(),
            self.description.is_some(),
        ]
        .into_iter()
        .filter(|b| *b)
        .count()
    }
}

/// One technology a company uses (or, weaker, hires for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technology {
    pub vendor: String,
    pub product: Option<String>,
    /// erp, crm, marketing, cms, analytics, ...
    pub category: String,
    /// How it was seen: url, script, header, cookie, meta, text, careers, api.
    pub evidence_kind: String,
    pub evidence: String,
    pub source_url: Option<String>,
    /// 0..1; page-source fingerprints and go-live news rank above a job
    /// posting that names the system.
    pub confidence: f64,
}

/// One person at a company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub full_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub linkedin_url: Option<String>,
    pub source_url: Option<String>,
    /// 0..1
    pub confidence: f64,
    /// How the email is known: published (on the company's pages),
    /// inferred (from the company's email pattern), provider (an API).
    pub email_source: Option<String>,
}

/// What one provider answered about one company for one kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub firmographics: Option<Firmographics>,
    pub technologies: Vec<Technology>,
    pub contacts: Vec<Contact>,
    /// The company's email pattern, e.g. `{first}.{last}@acme.com`.
    pub email_pattern: Option<String>,
    /// Where the answer came from (an API URL without its key, or the pages read).
    pub source_url: Option<String>,
    /// Credits the request cost at the provider (0 for keyless sources).
    pub credits: f64,
}

impl Findings {
    /// How many useful fields the answer holds for `kind`: the chain stops
    /// at the first provider whose answer has enough.
    pub fn fields_for(&self, kind: Kind) -> usize {
        match kind {
            Kind::Firmographic => self.firmographics.as_ref().map_or(0, |f| f.known_fields()),
            // The stack that matters for a sale: is the ERP known, is the CRM.
            Kind::Techstack => ["erp", "crm"]
                .iter()
                .filter(|c| self.technologies.iter().any(|t| t.category == **c))
                .count(),
            Kind::Contacts => self.contacts.len(),
        }
    }
}

/// Why a provider gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// No key is set: the provider is left out of the chain.
    #[error("no API key is set")]
    NotConfigured,
    /// The key was refused (HTTP 401/403): no point asking again this run.
    #[error("the key was refused (HTTP {0})")]
    Unauthorized(u16),
    /// The provider knows nothing about the company (HTTP 404 or empty).
    #[error("not found")]
    NotFound,
    /// Slow down (HTTP 429); wait at least this long if the provider said.
    #[error("rate limited{}", .0.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited(Option<Duration>),
    /// The provider's own quota or nam's daily cap is used up.
    #[error("daily quota used up")]
    QuotaExhausted,
    /// A body that does not have the documented shape.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// Network trouble or a server error: worth retrying.
    #[error("{0}")]
    Transient(String),
    /// The company's own site could not be read (dead, refused, not
    /// HTML): says nothing about the provider's health.
    #[error("site unreachable: {0}")]
    SiteUnreachable(String),
    /// The kind is not something this provider offers.
    #[error("does not offer {0}")]
    Unsupported(Kind),
}

impl ProviderError {
    /// Whether a retry of the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Transient(_))
    }

    /// Whether the error counts against the provider's health (circuit
    /// breaker); a miss or a refused kind does not.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized(_) | Self::RateLimited(_) | Self::Malformed(_) | Self::Transient(_)
        )
    }
}

/// A source of enrichment: a paid API or the company's own website.
///
/// Implementations answer one company at a time; the chain around them
/// handles rate limits, retries, caps and the circuit breaker, so a
/// provider makes one attempt per call.
pub trait Provider: Send + Sync {
    /// Lower-case name used in config chains, `provider_usage` and provenance.
    fn name(&self) -> &'static str;

    /// The kinds this provider can answer.
    fn kinds(&self) -> &'static [Kind];

    /// Whether calls cost money (and so are skipped when a keyless source
    /// already answered).
    fn is_paid(&self) -> bool {
        true
    }

    /// One attempt at enriching `target` for `kind`.
    fn enrich<'a>(
        &'a self,
        kind: Kind,
        target: &'a EnrichTarget,
    ) -> BoxFuture<'a, Result<Findings, ProviderError>>;
}
