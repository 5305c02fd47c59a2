//! Google Places API (New) Text Search: `POST /v1/places:searchText` with
//! `X-Goog-Api-Key` and an `X-Goog-FieldMask` naming only the fields nam
//! reads (the mask sets the billing tier), for phone and location.
//!
//! A text search on a company name finds namesakes, so a place counts
//! only when its `websiteUri` has the company's registrable domain; with
//! none such, the answer is [`ProviderError::NotFound`].
//!
//! Google answers a bad key with 400 `INVALID_ARGUMENT` and reason
//! `API_KEY_INVALID`, which is read as [`ProviderError::Unauthorized`].

use std::fmt;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{self, Secret, nonempty};
use crate::enrich::{EnrichTarget, Findings, Firmographics, Kind, Provider, ProviderError};

const KINDS: &[Kind] = &[Kind::Firmographic];

/// The fields asked for: the Pro tier, no Enterprise fields beyond phone
/// and website, which nam needs.
const FIELD_MASK: &str = "places.id,places.displayName,places.websiteUri,\
places.nationalPhoneNumber,places.internationalPhoneNumber,places.addressComponents";

/// Candidates looked at per search: the company is near the top or not there.
const PAGE_SIZE: u32 = 5;

/// A Google Places API (New) client.
pub(crate) struct Places {
    key: Secret,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for Places {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Places")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchText<'a> {
    text_query: &'a str,
    page_size: u32,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Reply {
    #[serde(deserialize_with = "http::null_default")]
    places: Vec<Place>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Place {
    id: Option<String>,
    website_uri: Option<String>,
    national_phone_number: Option<String>,
    international_phone_number: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    address_components: Vec<AddressComponent>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AddressComponent {
    long_text: Option<String>,
    short_text: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    types: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ErrorReply {
    #[serde(deserialize_with = "http::null_default")]
    error: ErrorBody,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    #[serde(deserialize_with = "http::null_default")]
    details: Vec<ErrorDetail>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ErrorDetail {
    reason: Option<String>,
}

impl Places {
    pub(crate) fn new(key: Secret, base: String, http: reqwest::Client) -> Self {
        Self { key, base, http }
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        // Without a domain no place could be confirmed as the company.
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        let query = text_query(target);
        if query.is_empty() {
            return Err(ProviderError::NotFound);
        }
        let endpoint = format!("{}/v1/places:searchText", self.base);
        let req = self
            .http
            .post(&endpoint)
            .header("X-Goog-Api-Key", self.key.expose())
            .header("X-Goog-FieldMask", FIELD_MASK)
            .json(&SearchText {
                text_query: &query,
                page_size: PAGE_SIZE,
            });
        let raw = http::send(req, std::slice::from_ref(&self.key)).await?;
        if raw.status == reqwest::StatusCode::BAD_REQUEST && key_invalid(&raw.body) {
            return Err(ProviderError::Unauthorized(400));
        }
        let reply: Reply = raw.json()?;
        let place = reply
            .places
            .into_iter()
            .find(|p| same_domain(p.website_uri.as_deref(), &domain))
            .ok_or(ProviderError::NotFound)?;
        let source_url = match place.id.as_deref() {
            Some(id) => format!("{}/v1/places/{id}", self.base),
            None => endpoint,
        };
        Ok(Findings {
            firmographics: Some(firmographics(place)),
            source_url: Some(source_url),
            // Billed per request, not in credits: one request.
            credits: 1.0,
            ..Findings::default()
        })
    }
}

/// `Acme Stamping, Detroit, MI, US`: name plus whatever location is known.
fn text_query(t: &EnrichTarget) -> String {
    [
        Some(t.name.as_str()),
        t.city.as_deref(),
        t.state.as_deref(),
        t.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

fn same_domain(website: Option<&str>, domain: &str) -> bool {
    website
        .and_then(crate::normalize::registrable_domain)
        .is_some_and(|d| d.eq_ignore_ascii_case(domain))
}

fn key_invalid(body: &[u8]) -> bool {
    http::parse::<ErrorReply>(body).is_ok_and(|e| {
        e.error
            .details
            .iter()
            .any(|d| d.reason.as_deref() == Some("API_KEY_INVALID"))
    })
}

fn firmographics(p: Place) -> Firmographics {
    let part = |ty: &str, short: bool| {
        p.address_components
            .iter()
            .find(|c| c.types.iter().any(|t| t == ty))
            .and_then(|c| {
                let (a, b) = if short {
                    (&c.short_text, &c.long_text)
                } else {
                    (&c.long_text, &c.short_text)
                };
                nonempty(a.clone()).or_else(|| nonempty(b.clone()))
            })
    };
    let city = part("locality", false).or_else(|| part("postal_town", false));
    let state = part("administrative_area_level_1", true);
    let country = part("country", true);
    Firmographics {
        phone: nonempty(p.international_phone_number).or_else(|| nonempty(p.national_phone_number)),
        city,
        state,
        country,
        ..Firmographics::default()
    }
}

impl Provider for Places {
    fn name(&self) -> &'static str {
        "google_places"
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
