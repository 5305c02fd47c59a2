//! BuiltWith Domain API: `GET /v21/api.json?KEY=…&LOOKUP=domain`, the
//! technologies seen on the site's pages.
//!
//! The key travels in the query string, so it is the client most at risk
//! of leaking it: the URL kept as `source_url` is rebuilt without it,
//! transport errors lose their URL, and error text is scrubbed.
//! BuiltWith reports lookup problems (a bad key, no credits left, a
//! domain it cannot read) in an `Errors` array, sometimes with HTTP 200.

use std::collections::HashSet;
use std::fmt;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::http::{self, Secret};
use crate::enrich::{EnrichTarget, Findings, Kind, Provider, ProviderError, Technology};

const KINDS: &[Kind] = &[Kind::Techstack];

/// A BuiltWith Domain API client.
pub(crate) struct BuiltWith {
    key: Secret,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for BuiltWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltWith")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Reply {
    #[serde(deserialize_with = "http::null_default")]
    results: Vec<LookupResult>,
    #[serde(deserialize_with = "http::null_default")]
    errors: Vec<LookupError>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct LookupResult {
    #[serde(deserialize_with = "http::null_default")]
    result: Paths,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Paths {
    #[serde(deserialize_with = "http::null_default")]
    paths: Vec<Path>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Path {
    #[serde(deserialize_with = "http::null_default")]
    technologies: Vec<Tech>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Tech {
    name: String,
    tag: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    categories: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct LookupError {
    message: String,
}

impl BuiltWith {
    pub(crate) fn new(key: Secret, base: String, http: reqwest::Client) -> Self {
        Self { key, base, http }
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        let endpoint = format!("{}/v21/api.json", self.base);
        // LIVEONLY drops technologies no longer on the site; NOMETA skips
        // the names and addresses block nam does not read.
        let req = self.http.get(&endpoint).query(&[
            ("KEY", self.key.expose()),
            ("LOOKUP", domain.as_str()),
            ("LIVEONLY", "yes"),
            ("NOMETA", "yes"),
        ]);
        let raw = http::send(req, std::slice::from_ref(&self.key)).await?;
        let reply: Reply = raw.json()?;
        let source_url = format!("{endpoint}?LOOKUP={domain}");
        let technologies = technologies(&reply, &source_url);
        if technologies.is_empty() {
            return Err(lookup_error(&reply.errors, raw.status.as_u16()));
        }
        Ok(Findings {
            technologies,
            source_url: Some(source_url),
            // A Domain API lookup costs one credit.
            credits: 1.0,
            ..Findings::default()
        })
    }
}

/// What an empty answer means, read from BuiltWith's `Errors` messages.
/// Only the kind of failure is kept: a message may quote the request.
fn lookup_error(errors: &[LookupError], status: u16) -> ProviderError {
    for e in errors {
        let m = e.message.to_ascii_lowercase();
        if m.contains("key") {
            return ProviderError::Unauthorized(status);
        }
        if m.contains("credit") || m.contains("quota") || m.contains("limit") {
            return ProviderError::QuotaExhausted;
        }
    }
    ProviderError::NotFound
}

fn technologies(reply: &Reply, source_url: &str) -> Vec<Technology> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let techs = reply
        .results
        .iter()
        .flat_map(|r| &r.result.paths)
        .flat_map(|p| &p.technologies);
    for t in techs {
        let name = t.name.trim();
        // One site lists the same technology under each of its paths.
        if name.is_empty() || !seen.insert(name.to_ascii_lowercase()) {
            continue;
        }
        let cats = t.categories.join(", ");
        let evidence = if cats.is_empty() {
            format!("builtwith: {name}")
        } else {
            format!("builtwith: {name} ({cats})")
        };
        out.push(Technology {
            vendor: name.to_owned(),
            product: None,
            category: category(t.tag.as_deref(), &t.categories),
            evidence_kind: "api".into(),
            evidence,
            source_url: Some(source_url.to_owned()),
            // Fingerprints of the live pages: strong evidence of use.
            confidence: 0.8,
        });
    }
    out
}

/// nam's category for a BuiltWith tag, falling back to the tag itself so
/// nothing BuiltWith knows is lost, and `other` when it gave none.
fn category(tag: Option<&str>, categories: &[String]) -> String {
    let tag = tag.unwrap_or("").trim().to_ascii_lowercase();
    let in_cats = |word: &str| {
        categories
            .iter()
            .any(|c| c.to_ascii_lowercase().contains(word))
    };
    if in_cats("crm") {
        return "crm".into();
    }
    if in_cats("marketing automation") {
        return "marketing".into();
    }
    match tag.as_str() {
        "" => "other".into(),
        "analytics" => "analytics".into(),
        "cms" => "cms".into(),
        "shop" | "ecommerce" | "payment" => "ecommerce".into(),
        "ads" => "marketing".into(),
        "hosting" | "cdn" | "ns" | "ssl" | "server" | "web server" => "hosting".into(),
        "mx" => "email".into(),
        _ => tag,
    }
}

impl Provider for BuiltWith {
    fn name(&self) -> &'static str {
        "builtwith"
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
