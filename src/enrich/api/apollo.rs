//! Apollo.io: organization enrichment (`GET /api/v1/organizations/enrich`)
//! for firmographics and People API Search (`POST
//! /api/v1/mixed_people/api_search`) for contacts, both with the key in
//! the `X-Api-Key` header.
//!
//! People API Search is the documented successor of `mixed_people/search`
//! for API keys; it costs no credits and returns names, titles and
//! LinkedIn URLs but no unlocked emails, so contacts come back without
//! email (placeholders such as `email_not_unlocked@…` are dropped).

use std::fmt;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{self, Secret, nonempty};
use crate::enrich::{
    Contact, EnrichTarget, Findings, Firmographics, Kind, Provider, ProviderError,
};

const KINDS: &[Kind] = &[Kind::Firmographic, Kind::Contacts];

/// How many people one search asks for: a page of likely buyers is
/// plenty for one company.
const PEOPLE_PER_PAGE: u32 = 25;

/// An Apollo.io API client.
pub(crate) struct Apollo {
    key: Secret,
    base: String,
    http: reqwest::Client,
    titles: Vec<String>,
}

impl fmt::Debug for Apollo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Apollo")
            .field("key", &self.key)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct OrgReply {
    organization: Option<Organization>,
}

/// The documented organization record, reduced to what nam reads.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Organization {
    estimated_num_employees: Option<u64>,
    founded_year: Option<i64>,
    annual_revenue_printed: Option<String>,
    industry: Option<String>,
    #[serde(deserialize_with = "http::null_default")]
    naics_codes: Vec<String>,
    short_description: Option<String>,
    phone: Option<String>,
    primary_phone: Option<Phone>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Phone {
    number: Option<String>,
    sanitized_number: Option<String>,
}

#[derive(Debug, Serialize)]
struct PeopleQuery<'a> {
    q_organization_domains_list: [&'a str; 1],
    person_titles: &'a [String],
    page: u32,
    per_page: u32,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PeopleReply {
    #[serde(deserialize_with = "http::null_default")]
    people: Vec<Person>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Person {
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    title: Option<String>,
    email: Option<String>,
    linkedin_url: Option<String>,
}

impl Apollo {
    pub(crate) fn new(key: Secret, base: String, http: reqwest::Client) -> Self {
        Self {
            key,
            base,
            http,
            titles: super::BUYER_TITLES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        }
    }

    async fn lookup(&self, kind: Kind, target: &EnrichTarget) -> Result<Findings, ProviderError> {
        if !KINDS.contains(&kind) {
            return Err(ProviderError::Unsupported(kind));
        }
        // No domain, nothing to look up: both endpoints match on it.
        let domain = http::target_domain(target).ok_or(ProviderError::NotFound)?;
        if kind == Kind::Contacts {
            self.people(&domain).await
        } else {
            self.organization(&domain).await
        }
    }

    async fn organization(&self, domain: &str) -> Result<Findings, ProviderError> {
        let endpoint = format!("{}/api/v1/organizations/enrich", self.base);
        let req = self
            .http
            .get(&endpoint)
            .query(&[("domain", domain)])
            .header("X-Api-Key", self.key.expose());
        let reply: OrgReply = http::send(req, std::slice::from_ref(&self.key))
            .await?
            .json()?;
        // Apollo answers an unknown domain with 200 and no organization.
        let org = reply.organization.ok_or(ProviderError::NotFound)?;
        let phone = org
            .primary_phone
            .and_then(|p| nonempty(p.sanitized_number).or_else(|| nonempty(p.number)))
            .or_else(|| nonempty(org.phone));
        let naics = org
            .naics_codes
            .into_iter()
            .map(|c| c.trim().to_owned())
            .find(|c| !c.is_empty());
        Ok(Findings {
            firmographics: Some(Firmographics {
                employee_count: org
                    .estimated_num_employees
                    .and_then(|n| u32::try_from(n).ok()),
                founded_year: org.founded_year.and_then(|y| u16::try_from(y).ok()),
                revenue_range: nonempty(org.annual_revenue_printed),
                industry: nonempty(org.industry),
                naics,
                description: nonempty(org.short_description),
                phone,
                city: nonempty(org.city),
                state: nonempty(org.state),
                country: nonempty(org.country),
                ..Firmographics::default()
            }),
            source_url: Some(format!("{endpoint}?domain={domain}")),
            // One export credit per organization enriched.
            credits: 1.0,
            ..Findings::default()
        })
    }

    async fn people(&self, domain: &str) -> Result<Findings, ProviderError> {
        let endpoint = format!("{}/api/v1/mixed_people/api_search", self.base);
        let body = PeopleQuery {
            q_organization_domains_list: [domain],
            person_titles: &self.titles,
            page: 1,
            per_page: PEOPLE_PER_PAGE,
        };
        let req = self
            .http
            .post(&endpoint)
            .header("X-Api-Key", self.key.expose())
            .json(&body);
        let reply: PeopleReply = http::send(req, std::slice::from_ref(&self.key))
            .await?
            .json()?;
        let source_url = format!("{endpoint}?q_organization_domains_list[]={domain}");
        let contacts: Vec<Contact> = reply
            .people
            .into_iter()
            .filter_map(|p| contact(p, &source_url))
            .collect();
        if contacts.is_empty() {
            return Err(ProviderError::NotFound);
        }
        Ok(Findings {
            contacts,
            source_url: Some(source_url),
            // People API Search is documented as credit-free.
            credits: 0.0,
            ..Findings::default()
        })
    }
}

fn contact(p: Person, source_url: &str) -> Option<Contact> {
    let first = nonempty(p.first_name);
    let last = nonempty(p.last_name);
    let full_name = nonempty(p.name).or_else(|| match (&first, &last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(f), None) => Some(f.clone()),
        (None, Some(l)) => Some(l.clone()),
        (None, None) => None,
    })?;
    // Apollo stands locked emails in as `email_not_unlocked@domain`.
    let email =
        nonempty(p.email).filter(|e| e.contains('@') && !e.starts_with("email_not_unlocked"));
    Some(Contact {
        full_name,
        first_name: first,
        last_name: last,
        title: nonempty(p.title),
        email,
        phone: None,
        linkedin_url: nonempty(p.linkedin_url),
        source_url: Some(source_url.to_owned()),
        // A database match on name and title, email not verified.
        confidence: 0.6,
        email_source: None,
    })
}

impl Provider for Apollo {
    fn name(&self) -> &'static str {
        "apollo"
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
