//! Hunter Domain Search: `GET /v2/domain-search?domain=&api_key=`, the
//! people with an address at the domain and the domain's email pattern.
//!
//! Hunter gives two codes its own meaning: 403 is its per-second rate
//! limit and 429 is the plan's searches for the billing period used up.
//! A 429 that carries `Retry-After` is still read as a rate limit (the
//! server says when to come back); without it, as quota exhausted.
//! The key travels in the query string: `source_url` is rebuilt without it.

use std::fmt;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::http::{self, Secret, nonempty};
use crate::enrich::{Contact, EnrichTarget, Findings, Kind, Provider, ProviderError};

const KINDS: &[Kind] = &[Kind::Contacts];

/// A Hunter API client.
pub(crate) struct Hunter {
    key: Secret,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for Hunter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hunter")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(deserialize_with = "http::null_default")]
    data: Data,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Data {
    pattern: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    emails: Vec<Email>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Email {
    value: Option<String>,
    confidence: Option<f64>,
    first_name: Option<String>,
    last_name: Option<String>,
    position: Option<String>,
    linkedin: Option<String>,
    phone_number: Option<String>,
}

impl Hunter {
    pub(crate) fn new(key: Secret, base: String, http: reqwest::Client) -> Self {
        Self { key, base, http }
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        let endpoint = format!("{}/v2/domain-search", self.base);
        // `type=personal` leaves out role addresses (info@, sales@): nam
        // wants people, and those carry no name.
        let req = self.http.get(&endpoint).query(&[
            ("domain", domain.as_str()),
            ("type", "personal"),
            ("api_key", self.key.expose()),
        ]);
        let raw = http::send(req, std::slice::from_ref(&self.key)).await?;
        match raw.status.as_u16() {
            403 => return Err(ProviderError::RateLimited(raw.retry_after)),
            429 if raw.retry_after.is_none() => return Err(ProviderError::QuotaExhausted),
            _ => {}
        }
        let reply: Reply = raw.json()?;
        let source_url = format!("{endpoint}?domain={domain}&type=personal");
        let contacts: Vec<Contact> = reply
            .data
            .emails
            .into_iter()
            .filter_map(|e| contact(e, &source_url))
            .collect();
        let email_pattern = reply
            .data
            .pattern
            .as_deref()
            .and_then(|p| pattern(p, &domain));
        if contacts.is_empty() && email_pattern.is_none() {
            return Err(ProviderError::NotFound);
        }
        Ok(Findings {
            contacts,
            email_pattern,
            source_url: Some(source_url),
            // A domain search costs one credit per call that finds anything.
            credits: 1.0,
            ..Findings::default()
        })
    }
}

/// Hunter's local-part pattern (`{first}.{last}`) as a full address
/// pattern; `None` when empty or already odd (holding an `@`).
fn pattern(p: &str, domain: &str) -> Option<String> {
    let p = p.trim();
    if p.is_empty() || p.contains('@') {
        return None;
    }
    Some(format!("{p}@{domain}"))
}

fn contact(e: Email, source_url: &str) -> Option<Contact> {
    let email = nonempty(e.value).filter(|v| v.contains('@'))?;
    let first = nonempty(e.first_name);
    let last = nonempty(e.last_name);
    let full_name = match (&first, &last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(n), None) | (None, Some(n)) => n.clone(),
        // An address with no person behind it is not a contact.
        (None, None) => return None,
    };
    Some(Contact {
        full_name,
        first_name: first,
        last_name: last,
        title: nonempty(e.position),
        email: Some(email),
        phone: nonempty(e.phone_number),
        linkedin_url: nonempty(e.linkedin),
        source_url: Some(source_url.to_owned()),
        // Hunter scores each address 0..100.
        confidence: e.confidence.map_or(0.5, |c| (c / 100.0).clamp(0.0, 1.0)),
        email_source: Some("provider".into()),
    })
}

impl Provider for Hunter {
    fn name(&self) -> &'static str {
        "hunter"
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
