//! The clients against wiremock fakes on loopback: one matrix of error
//! mappings run over every provider, and per-provider answers in the
//! documented shapes (see the sibling files).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod answers;
mod quirks;
mod tavily;

use std::sync::Arc;
use std::time::Duration;

use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use super::build;
use crate::enrich::{EnrichTarget, Findings, Kind, Provider, ProviderError};

pub(super) const CLEARBIT_KEY: &str = "sk_clearbit_SECRET_4f9a2c";
pub(super) const APOLLO_KEY: &str = "apollo_SECRET_77d1e0";
pub(super) const BUILTWITH_KEY: &str = "0b1c2d3e-SECRET-4f5a-6b7c-8d9e0f1a2b3c";
pub(super) const ZOOMINFO_USER: &str = "api-user@buyer.example";
pub(super) const ZOOMINFO_PASSWORD: &str = "zi_PASSWORD_SECRET_31";
pub(super) const ZOOMINFO_JWT: &str = "eyJhbGciOiJSUzI1NiJ9.JWT_SECRET_PAYLOAD.c2lnbmF0dXJl";
pub(super) const HUNTER_KEY: &str = "hunter_SECRET_5e6f7a8b9c";
pub(super) const PLACES_KEY: &str = "AIzaSy_PLACES_SECRET_x1y2";

/// Every provider, and the kind each is asked for in the shared matrix.
pub(super) const ALL: &[(&str, Kind)] = &[
    ("clearbit", Kind::Firmographic),
    ("apollo", Kind::Firmographic),
    ("apollo", Kind::Contacts),
    ("builtwith", Kind::Techstack),
    ("zoominfo", Kind::Firmographic),
    ("zoominfo", Kind::Contacts),
    ("hunter", Kind::Contacts),
    ("google_places", Kind::Firmographic),
];

pub(super) const DOMAIN: &str = "acme-stamping.com";

pub(super) fn target() -> EnrichTarget {
    EnrichTarget {
        company_id: 7,
        name: "Acme Stamping".into(),
        domain: Some(DOMAIN.into()),
        website: Some("https://www.acme-stamping.com/".into()),
        city: Some("Detroit".into()),
        state: Some("MI".into()),
        country: Some("US".into()),
    }
}

pub(super) fn key_of(name: &str) -> String {
    match name {
        "clearbit" => CLEARBIT_KEY.into(),
        "apollo" => APOLLO_KEY.into(),
        "builtwith" => BUILTWITH_KEY.into(),
        "zoominfo" => format!("{ZOOMINFO_USER}:{ZOOMINFO_PASSWORD}"),
        "hunter" => HUNTER_KEY.into(),
        "google_places" => PLACES_KEY.into(),
        other => panic!("no key for {other}"),
    }
}

/// Every secret string a provider holds, none of which may leak.
pub(super) fn secrets_of(name: &str) -> Vec<String> {
    match name {
        "zoominfo" => vec![ZOOMINFO_PASSWORD.into(), ZOOMINFO_JWT.into(), key_of(name)],
        _ => vec![key_of(name)],
    }
}

pub(super) fn client(name: &str, server: &MockServer) -> Arc<dyn Provider> {
    build(
        name,
        key_of(name),
        Some(&server.uri()),
        reqwest::Client::new(),
    )
    .unwrap()
}

/// The provider's endpoint for `kind`, matched on method, path, the
/// target's domain and the credential where the docs put it: a request
/// that lacks any of these gets wiremock's 404 and fails the test.
pub(super) fn endpoint(name: &str, kind: Kind) -> MockBuilder {
    match (name, kind) {
        ("clearbit", _) => Mock::given(method("GET"))
            .and(path("/v2/companies/find"))
            .and(query_param("domain", DOMAIN))
            .and(header(
                "authorization",
                format!("Bearer {CLEARBIT_KEY}").as_str(),
            )),
        ("apollo", Kind::Contacts) => Mock::given(method("POST"))
            .and(path("/api/v1/mixed_people/api_search"))
            .and(header("x-api-key", APOLLO_KEY))
            .and(body_partial_json(serde_json::json!({
                "q_organization_domains_list": [DOMAIN],
            }))),
        ("apollo", _) => Mock::given(method("GET"))
            .and(path("/api/v1/organizations/enrich"))
            .and(query_param("domain", DOMAIN))
            .and(header("x-api-key", APOLLO_KEY)),
        ("builtwith", _) => Mock::given(method("GET"))
            .and(path("/v21/api.json"))
            .and(query_param("KEY", BUILTWITH_KEY))
            .and(query_param("LOOKUP", DOMAIN)),
        ("zoominfo", Kind::Contacts) => Mock::given(method("POST"))
            .and(path("/search/contact"))
            .and(header(
                "authorization",
                format!("Bearer {ZOOMINFO_JWT}").as_str(),
            ))
            .and(body_partial_json(serde_json::json!({
                "companyWebsite": "http://www.acme-stamping.com",
            }))),
        ("zoominfo", _) => Mock::given(method("POST"))
            .and(path("/enrich/company"))
            .and(header(
                "authorization",
                format!("Bearer {ZOOMINFO_JWT}").as_str(),
            ))
            .and(body_partial_json(serde_json::json!({
                "matchCompanyInput": [{ "companyWebsite": "http://www.acme-stamping.com" }],
            }))),
        ("hunter", _) => Mock::given(method("GET"))
            .and(path("/v2/domain-search"))
            .and(query_param("domain", DOMAIN))
            .and(query_param("api_key", HUNTER_KEY)),
        ("google_places", _) => Mock::given(method("POST"))
            .and(path("/v1/places:searchText"))
            .and(header("x-goog-api-key", PLACES_KEY))
            .and(wiremock::matchers::header_exists("x-goog-fieldmask"))
            .and(body_partial_json(serde_json::json!({
                "textQuery": "Acme Stamping, Detroit, MI, US",
            }))),
        (other, _) => panic!("no endpoint for {other}"),
    }
}

/// A fake for `name`: ZoomInfo's `/authenticate` answers with the JWT
/// when asked with the stored username and password.
pub(super) async fn server_for(name: &str) -> MockServer {
    let server = MockServer::start().await;
    if name == "zoominfo" {
        Mock::given(method("POST"))
            .and(path("/authenticate"))
            .and(body_partial_json(serde_json::json!({
                "username": ZOOMINFO_USER,
                "password": ZOOMINFO_PASSWORD,
            })))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({ "jwt": ZOOMINFO_JWT })),
            )
            .mount(&server)
            .await;
    }
    server
}

/// Asks `name` for `kind` against an endpoint answering `reply`.
pub(super) async fn ask(
    name: &str,
    kind: Kind,
    reply: ResponseTemplate,
) -> Result<Findings, ProviderError> {
    let server = server_for(name).await;
    endpoint(name, kind)
        .respond_with(reply)
        .mount(&server)
        .await;
    client(name, &server).enrich(kind, &target()).await
}

/// No secret of `name` in the error's `Debug` or `Display`.
pub(super) fn assert_no_secret_in_err(name: &str, err: &ProviderError) {
    for s in secrets_of(name) {
        assert!(
            !format!("{err:?}").contains(&s),
            "{name}: secret in {err:?}"
        );
        assert!(!err.to_string().contains(&s), "{name}: secret in {err}");
    }
}

/// No secret of `name` anywhere in the answer's URLs.
pub(super) fn assert_no_secret_in_findings(name: &str, f: &Findings) {
    let urls = f
        .source_url
        .iter()
        .chain(f.contacts.iter().filter_map(|c| c.source_url.as_ref()))
        .chain(f.technologies.iter().filter_map(|t| t.source_url.as_ref()));
    for u in urls {
        for s in secrets_of(name) {
            assert!(!u.contains(&s), "{name}: secret in source_url {u}");
        }
    }
}

async fn expect_err(
    reply: impl Fn() -> ResponseTemplate,
    check: impl Fn(&ProviderError) -> bool,
    what: &str,
) {
    for (name, kind) in ALL {
        let err = ask(name, *kind, reply()).await.expect_err(name);
        assert!(check(&err), "{name} {kind}: expected {what}, got {err:?}");
        assert_no_secret_in_err(name, &err);
    }
}

#[tokio::test]
async fn http_401_is_unauthorized_everywhere() {
    expect_err(
        || ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid api key"}"#),
        |e| *e == ProviderError::Unauthorized(401),
        "Unauthorized(401)",
    )
    .await;
}

#[tokio::test]
async fn http_404_is_not_found_everywhere() {
    expect_err(
        || ResponseTemplate::new(404).set_body_string(r#"{"error":"unknown record"}"#),
        |e| *e == ProviderError::NotFound,
        "NotFound",
    )
    .await;
}

#[tokio::test]
async fn http_429_with_retry_after_is_rate_limited_for_that_long() {
    expect_err(
        || ResponseTemplate::new(429).insert_header("Retry-After", "7"),
        |e| *e == ProviderError::RateLimited(Some(Duration::from_secs(7))),
        "RateLimited(Some(7s))",
    )
    .await;
}

#[tokio::test]
async fn http_5xx_is_transient() {
    expect_err(
        || ResponseTemplate::new(503).set_body_string("upstream overloaded"),
        |e| matches!(e, ProviderError::Transient(_)) && e.is_retryable(),
        "Transient",
    )
    .await;
}

#[tokio::test]
async fn truncated_json_is_malformed() {
    expect_err(
        || ResponseTemplate::new(200).set_body_string(r#"{"unexpected": true"#),
        |e| matches!(e, ProviderError::Malformed(_)),
        "Malformed",
    )
    .await;
}

#[tokio::test]
async fn html_body_is_malformed() {
    expect_err(
        || {
            ResponseTemplate::new(200)
                .set_body_raw("<html><body>Maintenance</body></html>", "text/html")
        },
        |e| matches!(e, ProviderError::Malformed(_)),
        "Malformed",
    )
    .await;
}

/// A body of the wrong shape that echoes the key back must not carry it
/// into the error: serde's own messages quote the offending value.
#[tokio::test]
async fn malformed_reason_never_quotes_the_body() {
    for (name, kind) in ALL {
        let echo = serde_json::json!({
            "organization": key_of(name), "people": key_of(name), "Results": key_of(name),
            "data": key_of(name), "places": key_of(name), "tech": key_of(name),
        });
        let err = ask(name, *kind, ResponseTemplate::new(200).set_body_json(echo))
            .await
            .expect_err(name);
        assert!(
            matches!(err, ProviderError::Malformed(_)),
            "{name}: {err:?}"
        );
        assert_no_secret_in_err(name, &err);
    }
}

/// Nothing listening: the transport error (whose URL would hold the
/// BuiltWith and Hunter keys) is transient and carries no secret.
#[tokio::test]
async fn connection_refused_is_transient_and_scrubbed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for (name, kind) in ALL {
        let p = build(name, key_of(name), Some(&base), reqwest::Client::new()).unwrap();
        let err = p.enrich(*kind, &target()).await.expect_err(name);
        assert!(
            matches!(err, ProviderError::Transient(_)),
            "{name}: {err:?}"
        );
        assert_no_secret_in_err(name, &err);
    }
}

#[tokio::test]
async fn a_kind_not_offered_is_unsupported_without_a_request() {
    let server = MockServer::start().await;
    for (name, _) in super::API_PROVIDERS {
        let p = client(name, &server);
        for kind in Kind::ALL {
            if p.kinds().contains(&kind) {
                continue;
            }
            let err = p.enrich(kind, &target()).await.expect_err(name);
            assert_eq!(err, ProviderError::Unsupported(kind), "{name}");
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_domain_is_not_found_without_a_request() {
    let server = MockServer::start().await;
    let bare = EnrichTarget {
        domain: None,
        website: None,
        ..target()
    };
    for (name, kind) in ALL {
        let err = client(name, &server)
            .enrich(*kind, &bare)
            .await
            .expect_err(name);
        assert_eq!(err, ProviderError::NotFound, "{name}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn build_knows_every_listed_name_and_hides_the_key() {
    for (name, default_base) in super::API_PROVIDERS {
        assert!(default_base.starts_with("https://"), "{name}");
        let p = build(name, key_of(name), None, reqwest::Client::new()).unwrap();
        assert_eq!(p.name(), *name);
        assert!(!p.kinds().is_empty());
        assert!(p.is_paid());
    }
    // Debug of each concrete client, the only place it could be printed.
    let http = reqwest::Client::new;
    let base = || "https://example.test".to_owned();
    let s = super::http::Secret::new;
    let debugs = [
        format!(
            "{:?}",
            super::clearbit::Clearbit::new(s(CLEARBIT_KEY.into()), base(), http())
        ),
        format!(
            "{:?}",
            super::apollo::Apollo::new(s(APOLLO_KEY.into()), base(), http())
        ),
        format!(
            "{:?}",
            super::builtwith::BuiltWith::new(s(BUILTWITH_KEY.into()), base(), http())
        ),
        format!(
            "{:?}",
            super::zoominfo::ZoomInfo::new(key_of("zoominfo"), base(), http())
        ),
        format!(
            "{:?}",
            super::hunter::Hunter::new(s(HUNTER_KEY.into()), base(), http())
        ),
        format!(
            "{:?}",
            super::places::Places::new(s(PLACES_KEY.into()), base(), http())
        ),
    ];
    for d in debugs {
        assert!(d.contains("example.test"), "{d}");
        for (name, _) in super::API_PROVIDERS {
            for secret in secrets_of(name) {
                assert!(!d.contains(&secret), "key in {d}");
            }
        }
    }
}

#[test]
fn build_refuses_unknown_names_bad_base_urls_and_empty_keys() {
    let http = reqwest::Client::new;
    let err = build("clearbitt", "k".into(), None, http()).err().unwrap();
    assert!(err.to_string().contains("no API client"), "{err}");
    assert!(err.to_string().contains("google_places"), "{err}");
    for bad in [
        "not a url",
        "ftp://api.example",
        "https://api.example/?key=1",
        "http://u:p@h",
    ] {
        let err = build("hunter", "k".into(), Some(bad), http()).err();
        assert!(err.is_some(), "{bad} accepted");
        assert!(format!("{:#}", err.unwrap()).contains("base URL"), "{bad}");
    }
    assert!(build("hunter", "  ".into(), None, http()).is_err());
    // A trailing slash and any case of the name are fine.
    let p = build("Hunter", "k".into(), Some("http://127.0.0.1:9/"), http()).unwrap();
    assert_eq!(p.name(), "hunter");
}
