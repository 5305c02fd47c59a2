//! The Tavily Search client against a loopback fake of its documented API.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::enrich::ProviderError;
use crate::enrich::api::{SearchHit, TAVILY_BASE, TavilySearch};

const TAVILY_KEY: &str = "tvly-dev-SECRET_9c4e1a7b";
const QUERY: &str = "precision metal stamping manufacturer Ohio";

fn client(server: &MockServer) -> TavilySearch {
    TavilySearch::new(
        TAVILY_KEY.into(),
        Some(&server.uri()),
        reqwest::Client::new(),
    )
    .unwrap()
}

/// The documented request: POST /search, bearer key, the query and its
/// options in the body. Anything else gets wiremock's 404.
async fn server_answering(reply: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header(
            "authorization",
            format!("Bearer {TAVILY_KEY}").as_str(),
        ))
        .and(body_json(json!({
            "query": QUERY,
            "max_results": 5,
            "search_depth": "basic",
            "include_answer": false,
        })))
        .respond_with(reply)
        .expect(1)
        .mount(&server)
        .await;
    server
}

async fn search(reply: ResponseTemplate) -> Result<Vec<SearchHit>, ProviderError> {
    let server = server_answering(reply).await;
    let out = client(&server).search(QUERY, 5).await;
    server.verify().await;
    out
}

fn assert_no_key(err: &ProviderError) {
    assert!(!format!("{err:?}").contains(TAVILY_KEY), "{err:?}");
    assert!(!err.to_string().contains(TAVILY_KEY), "{err}");
}

#[tokio::test]
async fn three_results_become_ranked_hits() {
    let body = json!({
        "query": QUERY,
        "answer": null,
        "response_time": 0.82,
        "results": [
            { "title": "Acme Stamping | Progressive Die Stampings",
              "url": "https://www.acme-stamping.com/",
              "content": "Acme Stamping is an ISO 9001 certified\n  metal stamping company in Dayton, Ohio.",
              "score": 0.91, "raw_content": null },
            { "title": "Buckeye Metal Forming", "url": "https://buckeyeforming.com/capabilities",
              "content": "Deep drawn stampings and assemblies.", "score": 0.77 },
            { "title": "Ohio stamping suppliers - directory", "url": "https://thomasnet.example/ohio",
              "content": "List of suppliers", "score": 0.42 }
        ]
    });
    let hits = search(ResponseTemplate::new(200).set_body_json(body))
        .await
        .unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits.iter().map(|h| h.rank).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(hits[0].url, "https://www.acme-stamping.com/");
    assert_eq!(
        hits[0].title.as_deref(),
        Some("Acme Stamping | Progressive Die Stampings")
    );
    // Whitespace of the extract collapsed.
    assert_eq!(
        hits[0].snippet.as_deref(),
        Some("Acme Stamping is an ISO 9001 certified metal stamping company in Dayton, Ohio.")
    );
    assert_eq!(hits[0].score, Some(0.91));
    assert_eq!(hits[2].url, "https://thomasnet.example/ohio");
}

#[tokio::test]
async fn results_without_a_web_address_are_skipped_and_ranks_stay_dense() {
    let body = json!({ "results": [
        { "title": "no url", "content": "x", "score": 0.9 },
        { "title": "mail", "url": "mailto:sales@acme.example", "score": 0.8 },
        { "title": "Real", "url": "http://real.example/", "content": null, "score": null }
    ] });
    let hits = search(ResponseTemplate::new(200).set_body_json(body))
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].rank, hits[0].url.as_str()),
        (1, "http://real.example/")
    );
    assert_eq!((hits[0].snippet.clone(), hits[0].score), (None, None));
}

#[tokio::test]
async fn no_results_is_an_empty_list() {
    let hits = search(ResponseTemplate::new(200).set_body_json(json!({ "results": [] })))
        .await
        .unwrap();
    assert!(hits.is_empty());
}

#[tokio::test]
async fn http_401_is_unauthorized_without_the_key() {
    // The fake quotes the key back, as some servers do.
    let err = search(ResponseTemplate::new(401).set_body_string(format!(
        "{{\"detail\":{{\"error\":\"invalid key {TAVILY_KEY}\"}}}}"
    )))
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized(401));
    assert_no_key(&err);
}

#[tokio::test]
async fn http_429_is_rate_limited_with_its_retry_after() {
    let err = search(ResponseTemplate::new(429).insert_header("Retry-After", "12"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProviderError::RateLimited(Some(Duration::from_secs(12)))
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn plan_limits_432_and_433_are_a_used_up_quota() {
    for code in [432, 433] {
        let err = search(ResponseTemplate::new(code)).await.unwrap_err();
        assert_eq!(err, ProviderError::QuotaExhausted, "{code}");
    }
}

#[tokio::test]
async fn http_5xx_is_transient() {
    let err = search(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn malformed_bodies_are_malformed_and_never_quote_the_key() {
    for reply in [
        ResponseTemplate::new(200).set_body_string(r#"{"results": [ {"url": "#),
        ResponseTemplate::new(200).set_body_raw("<html>Maintenance</html>", "text/html"),
        // The wrong shape, echoing the key where the list should be.
        ResponseTemplate::new(200).set_body_json(json!({ "results": TAVILY_KEY })),
    ] {
        let err = search(reply).await.unwrap_err();
        assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn connection_refused_is_transient_and_scrubbed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = TavilySearch::new(TAVILY_KEY.into(), Some(&base), reqwest::Client::new()).unwrap();
    let err = c.search(QUERY, 5).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
    assert_no_key(&err);
}

#[test]
fn debug_hides_the_key_and_new_checks_its_inputs() {
    let c = TavilySearch::new(TAVILY_KEY.into(), None, reqwest::Client::new()).unwrap();
    let shown = format!("{c:?}");
    assert!(
        shown.contains(TAVILY_BASE) && !shown.contains(TAVILY_KEY),
        "{shown}"
    );
    assert_eq!(c.endpoint(), "https://api.tavily.com/search");
    assert!(TavilySearch::new("  ".into(), None, reqwest::Client::new()).is_err());
    let bad = TavilySearch::new("k".into(), Some("ftp://x"), reqwest::Client::new()).unwrap_err();
    assert!(format!("{bad:#}").contains("base URL"), "{bad:#}");
}

#[tokio::test]
async fn an_empty_query_sends_nothing() {
    let server = MockServer::start().await;
    let err = client(&server).search("   ", 5).await.unwrap_err();
    assert!(matches!(err, ProviderError::Malformed(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}
