//! Where a provider gives a code or a body its own meaning, and the
//! ZoomInfo JWT cache.

use serde_json::json;
use wiremock::ResponseTemplate;

use super::*;
use crate::enrich::api::http;

#[tokio::test]
async fn clearbit_202_queued_is_transient() {
    let err = ask("clearbit", Kind::Firmographic, ResponseTemplate::new(202))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Transient(ref m) if m.contains("202")),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn hunter_403_is_its_rate_limit() {
    let body = json!({ "errors": [{ "id": "too_many_requests", "code": 403,
                                    "details": "You have reached the rate limit" }] });
    let err = ask(
        "hunter",
        Kind::Contacts,
        ResponseTemplate::new(403).set_body_json(body),
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::RateLimited(None));
}

#[tokio::test]
async fn hunter_429_without_retry_after_is_the_used_up_plan() {
    let body = json!({ "errors": [{ "id": "too_many_requests", "code": 429,
        "details": "You've reached the limit for the number of searches per billing period." }] });
    let err = ask(
        "hunter",
        Kind::Contacts,
        ResponseTemplate::new(429).set_body_json(body),
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::QuotaExhausted);
}

#[tokio::test]
async fn hunter_nothing_found_is_not_found() {
    let body = json!({ "data": { "domain": DOMAIN, "pattern": null, "emails": [] },
                       "meta": { "results": 0 } });
    let err = ask(
        "hunter",
        Kind::Contacts,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
}

#[tokio::test]
async fn places_invalid_key_400_is_unauthorized() {
    let body = json!({ "error": {
        "code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                      "reason": "API_KEY_INVALID", "domain": "googleapis.com" }]
    } });
    let err = ask(
        "google_places",
        Kind::Firmographic,
        ResponseTemplate::new(400).set_body_json(body),
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized(400));
    // Any other 400 is a refused request, not a refused key.
    let other = json!({ "error": { "code": 400, "status": "INVALID_ARGUMENT",
                                   "message": "Invalid textQuery." } });
    let err = ask(
        "google_places",
        Kind::Firmographic,
        ResponseTemplate::new(400).set_body_json(other),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn builtwith_errors_array_is_read_for_its_meaning() {
    let with = |msg: &str| {
        ResponseTemplate::new(200).set_body_json(json!({
            "Results": [], "Errors": [{ "Lookup": DOMAIN, "Message": msg, "Code": -1 }]
        }))
    };
    let err = ask("builtwith", Kind::Techstack, with("API Key Invalid"))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized(200));
    let err = ask(
        "builtwith",
        Kind::Techstack,
        with("No API credits remaining"),
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::QuotaExhausted);
    let err = ask("builtwith", Kind::Techstack, with("Domain not in index"))
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::NotFound);
}

fn company_reply() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "success": true, "data": { "result": [
        { "data": [{ "employeeCount": 40 }], "matchStatus": "FULL_MATCH" }
    ] } }))
}

#[tokio::test]
async fn zoominfo_authenticates_once_and_reuses_the_jwt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/authenticate"))
        .and(body_partial_json(
            json!({ "username": ZOOMINFO_USER, "password": ZOOMINFO_PASSWORD }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "jwt": ZOOMINFO_JWT })))
        .expect(1)
        .mount(&server)
        .await;
    endpoint("zoominfo", Kind::Firmographic)
        .respond_with(company_reply())
        .expect(2)
        .mount(&server)
        .await;
    let p = client("zoominfo", &server);
    for _ in 0..2 {
        let f = p.enrich(Kind::Firmographic, &target()).await.unwrap();
        assert_eq!(f.firmographics.unwrap().employee_count, Some(40));
    }
    server.verify().await;
}

#[tokio::test]
async fn zoominfo_refused_jwt_is_dropped_and_fetched_again() {
    let server = server_for("zoominfo").await;
    endpoint("zoominfo", Kind::Firmographic)
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    endpoint("zoominfo", Kind::Firmographic)
        .respond_with(company_reply())
        .mount(&server)
        .await;
    let p = client("zoominfo", &server);
    let err = p.enrich(Kind::Firmographic, &target()).await.unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized(401));
    assert!(p.enrich(Kind::Firmographic, &target()).await.is_ok());
    let auths = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/authenticate")
        .count();
    assert_eq!(auths, 2, "the refused JWT must not be reused");
}

#[tokio::test]
async fn zoominfo_ready_jwt_skips_authenticate() {
    let server = MockServer::start().await;
    endpoint("zoominfo", Kind::Firmographic)
        .respond_with(company_reply())
        .mount(&server)
        .await;
    let p = build(
        "zoominfo",
        ZOOMINFO_JWT.into(),
        Some(&server.uri()),
        reqwest::Client::new(),
    )
    .unwrap();
    p.enrich(Kind::Firmographic, &target()).await.unwrap();
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/enrich/company"]);
}

#[tokio::test]
async fn zoominfo_refused_password_is_unauthorized_and_scrubbed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/authenticate"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": format!("bad credentials for {ZOOMINFO_USER}:{ZOOMINFO_PASSWORD}")
        })))
        .mount(&server)
        .await;
    let err = client("zoominfo", &server)
        .enrich(Kind::Contacts, &target())
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized(401));
    assert_no_secret_in_err("zoominfo", &err);
}

#[test]
fn parse_errors_name_the_fault_not_the_value() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        employees: u32,
    }
    let err = http::parse::<Shape>(br#"{"employees": "sk_live_LEAKED"}"#).unwrap_err();
    let text = format!("{err:?} {err}");
    assert!(!text.contains("sk_live_LEAKED"), "{text}");
    assert!(text.contains("unexpected shape"), "{text}");
    let err = http::parse::<Shape>(b"<html>").unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn scrub_masks_raw_and_url_encoded_secrets() {
    let s = http::Secret::new("a b+c/SECRET".into());
    let text = "GET /x?KEY=a+b%2Bc%2FSECRET and a b+c/SECRET";
    let out = http::scrub_all(text, std::slice::from_ref(&s));
    assert!(!out.contains("SECRET"), "{out}");
    assert_eq!(format!("{s:?}"), "Secret(***)");
}

#[test]
fn base_url_keeps_a_path_and_drops_the_trailing_slash() {
    assert_eq!(
        http::base_url("http://127.0.0.1:8080/proxy/").unwrap(),
        "http://127.0.0.1:8080/proxy"
    );
    assert_eq!(
        http::base_url("https://api.hunter.io").unwrap(),
        "https://api.hunter.io"
    );
}
