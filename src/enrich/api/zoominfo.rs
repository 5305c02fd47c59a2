//! ZoomInfo Enterprise API: `POST /authenticate` for a JWT, then `POST
//! /enrich/company` for firmographics and `POST /search/contact` for
//! contacts, each with `Authorization: Bearer <jwt>`.
//!
//! The stored key is either `username:password` (split at the first
//! colon; the JWT is fetched and cached for 55 of its 60 minutes) or a
//! JWT made elsewhere (PKI flow), used as is until ZoomInfo refuses it.
//! A refused cached JWT is dropped so the next call authenticates again;
//! the call itself still makes one attempt.
//!
//! Contact Search returns people, titles and an accuracy score but no
//! emails: those cost a Contact Enrich credit each, which is left to a
//! later, deliberate step.

use std::fmt;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::http::{self, Secret, nonempty};
use crate::enrich::{
    Contact, EnrichTarget, Findings, Firmographics, Kind, Provider, ProviderError,
};

const KINDS: &[Kind] = &[Kind::Firmographic, Kind::Contacts];

/// A JWT from `/authenticate` lives 60 minutes; renew with margin.
const JWT_LIFETIME: Duration = Duration::from_secs(55 * 60);

const OUTPUT_FIELDS: &[&str] = &[
    "id",
    "name",
    "website",
    "employeeCount",
    "employeeRange",
    "revenueRange",
    "foundedYear",
    "phone",
    "city",
    "state",
    "country",
    "primaryIndustry",
    "naicsCodes",
    "descriptionList",
];

/// Levels searched for contacts: the people who buy for a company.
const MANAGEMENT_LEVELS: &str = "C Level Exec,VP Level Exec,Director,Manager";

const CONTACTS_PER_PAGE: u32 = 25;

/// How the client proves who it is.
enum Credentials {
    /// Exchanged at `/authenticate` for a JWT.
    Password { username: String, password: Secret },
    /// A ready JWT.
    Jwt(Secret),
}

/// A ZoomInfo API client.
pub(crate) struct ZoomInfo {
    whole_key: Secret,
    credentials: Credentials,
    base: String,
    http: reqwest::Client,
    /// The JWT fetched with the password and when it was fetched.
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl fmt::Debug for ZoomInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match self.credentials {
            Credentials::Password { .. } => "username:password",
            Credentials::Jwt(_) => "jwt",
        };
        f.debug_struct("ZoomInfo")
            .field("key", &self.whole_key)
            .field("auth", &auth)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct AuthRequest<'a> {
    username: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
struct AuthReply {
    jwt: String,
}

#[derive(Debug, Deserialize)]
struct EnrichReply {
    #[serde(deserialize_with = "http::null_default")]
    data: EnrichData,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct EnrichData {
    #[serde(deserialize_with = "http::null_default")]
    result: Vec<EnrichResult>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct EnrichResult {
    #[serde(deserialize_with = "http::null_default")]
    data: Vec<Company>,
    match_status: Option<String>,
}

/// The documented company output fields nam asks for.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Company {
    employee_count: Option<u64>,
    employee_range: Option<String>,
    revenue_range: Option<String>,
    /// Documented as a string (`"2000"`); numbers are taken too.
    founded_year: Option<serde_json::Value>,
    phone: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    primary_industry: Vec<String>,
    #[serde(deserialize_with = "http::null_default")]
    naics_codes: Vec<Code>,
    #[serde(deserialize_with = "http::null_default")]
    description_list: Vec<Description>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Code {
    id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Description {
    description: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactSearch<'a> {
    company_website: &'a str,
    management_level: &'a str,
    rpp: u32,
    page: u32,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ContactReply {
    #[serde(deserialize_with = "http::null_default")]
    data: Vec<Person>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Person {
    first_name: Option<String>,
    last_name: Option<String>,
    job_title: Option<String>,
    contact_accuracy_score: Option<f64>,
}

impl ZoomInfo {
    /// `key` is `username:password` or a ready JWT (see the module docs).
    pub(crate) fn new(key: String, base: String, http: reqwest::Client) -> Self {
        let credentials = match key.split_once(':') {
            Some((user, pass)) => Credentials::Password {
                username: user.trim().to_owned(),
                password: Secret::new(pass.to_owned()),
            },
            None => Credentials::Jwt(Secret::new(key.trim().to_owned())),
        };
        Self {
            whole_key: Secret::new(key),
            credentials,
            base,
            http,
            cached: Mutex::new(None),
        }
    }

    /// Every secret the client holds, for scrubbing error text.
    fn secrets(&self, jwt: Option<&Secret>) -> Vec<Secret> {
        let mut v = vec![self.whole_key.clone()];
        if let Credentials::Password { password, .. } = &self.credentials {
            v.push(password.clone());
        }
        v.extend(jwt.cloned());
        v
    }

    /// The JWT to send: the ready one, the cached one while fresh, or a new
    /// one from `/authenticate`.
    async fn jwt(&self) -> Result<Secret, ProviderError> {
        let (username, password) = match &self.credentials {
            Credentials::Jwt(jwt) => return Ok(jwt.clone()),
            Credentials::Password { username, password } => (username, password),
        };
        // Held across the request so concurrent calls authenticate once.
        let mut cached = self.cached.lock().await;
        if let Some((jwt, at)) = cached.as_ref()
            && at.elapsed() < JWT_LIFETIME
        {
            return Ok(jwt.clone());
        }
        let req = self
            .http
            .post(format!("{}/authenticate", self.base))
            .json(&AuthRequest {
                username,
                password: password.expose(),
            });
        let reply = http::send(req, &self.secrets(None)).await?;
        // A 404 from /authenticate is a wrong base URL, not a missing company.
        if reply.status == reqwest::StatusCode::NOT_FOUND {
            return Err(ProviderError::Malformed(
                "no /authenticate at this base URL".into(),
            ));
        }
        let auth: AuthReply = reply.json()?;
        let jwt = Secret::new(auth.jwt);
        *cached = Some((jwt.clone(), Instant::now()));
        Ok(jwt)
    }

    /// POSTs `body` to `path` with the JWT, dropping a cached JWT that
    /// ZoomInfo refused.
    async fn post<B: Serialize + Sync, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ProviderError> {
        let jwt = self.jwt().await?;
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(jwt.expose())
            .json(body);
        let reply = http::send(req, &self.secrets(Some(&jwt))).await?;
        if reply.status == reqwest::StatusCode::UNAUTHORIZED {
            *self.cached.lock().await = None;
        }
        reply.json()
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        // Documented input format for companyWebsite: `http://www.example.com`.
        let website = format!("http://www.{domain}");
        if kind == Kind::Contacts {
            self.contacts(&website, &domain).await
        } else {
            self.company(&website, &domain).await
        }
    }

    async fn company(&self, website: &str, domain: &str) -> Result<Findings, ProviderError> {
        let body = serde_json::json!({
            "matchCompanyInput": [{ "companyWebsite": website }],
            "outputFields": OUTPUT_FIELDS,
        });
        let reply: EnrichReply = self.post("/enrich/company", &body).await?;
        let company = reply
            .data
            .result
            .into_iter()
            .filter(|r| r.match_status.as_deref() != Some("NO_MATCH"))
            .find_map(|r| r.data.into_iter().next())
            .ok_or(ProviderError::NotFound)?;
        Ok(Findings {
            firmographics: Some(firmographics(company)),
            source_url: Some(format!(
                "{}/enrich/company?companyWebsite={domain}",
                self.base
            )),
            // One record credit per company matched.
            credits: 1.0,
            ..Findings::default()
        })
    }

    async fn contacts(&self, website: &str, domain: &str) -> Result<Findings, ProviderError> {
        let body = ContactSearch {
            company_website: website,
            management_level: MANAGEMENT_LEVELS,
            rpp: CONTACTS_PER_PAGE,
            page: 1,
        };
        let reply: ContactReply = self.post("/search/contact", &body).await?;
        let source_url = format!("{}/search/contact?companyWebsite={domain}", self.base);
        let contacts: Vec<Contact> = reply
            .data
            .into_iter()
            .filter_map(|p| contact(p, &source_url))
            .collect();
        if contacts.is_empty() {
            return Err(ProviderError::NotFound);
        }
        Ok(Findings {
            contacts,
            source_url: Some(source_url),
            // Searches cost no record credits; enriching a contact does.
            credits: 0.0,
            ..Findings::default()
        })
    }
}

fn firmographics(c: Company) -> Firmographics {
    let founded_year = match c.founded_year {
        Some(serde_json::Value::String(s)) => s.trim().parse::<u16>().ok(),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|y| u16::try_from(y).ok()),
        _ => None,
    };
    Firmographics {
        employee_count: c.employee_count.and_then(|n| u32::try_from(n).ok()),
        employee_range: nonempty(c.employee_range),
        founded_year: founded_year.filter(|y| *y > 0),
        revenue_range: nonempty(c.revenue_range),
        industry: nonempty(c.primary_industry.into_iter().next()),
        naics: nonempty(c.naics_codes.into_iter().find_map(|n| n.id)),
        description: nonempty(c.description_list.into_iter().find_map(|d| d.description)),
        phone: nonempty(c.phone),
        city: nonempty(c.city),
        state: nonempty(c.state),
        country: nonempty(c.country),
        ..Firmographics::default()
    }
}

fn contact(p: Person, source_url: &str) -> Option<Contact> {
    let first = nonempty(p.first_name);
    let last = nonempty(p.last_name);
    let full_name = match (&first, &last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(n), None) | (None, Some(n)) => n.clone(),
        (None, None) => return None,
    };
    Some(Contact {
        full_name,
        first_name: first,
        last_name: last,
        title: nonempty(p.job_title),
        source_url: Some(source_url.to_owned()),
        // ZoomInfo's accuracy score runs 75..99.
        confidence: p
            .contact_accuracy_score
            .map_or(0.6, |s| (s / 100.0).clamp(0.0, 1.0)),
        ..Contact::default()
    })
}

impl Provider for ZoomInfo {
    fn name(&self) -> &'static str {
        "zoominfo"
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
