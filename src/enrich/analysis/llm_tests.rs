//! The model-backed analysis against a loopback fake of an
//! OpenAI-compatible endpoint: a good answer is used with its prompt and
//! response kept; every kind of bad answer falls back to the rules with
//! the reason, the prompt and whatever came back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const KEY: &str = "sk-proj-SECRET_LLM_KEY_83f2a1";
const MODEL: &str = "gpt-4o-mini";

fn input() -> AnalysisInput {
    AnalysisInput {
        name: "Buckeye Precision Stamping".into(),
        website: Some("https://www.buckeye-stamping.example/".into()),
        description: Some("Family-owned metal stamping manufacturer in Dayton, Ohio.".into()),
        products: vec!["Progressive die stampings".into()],
        industries: vec!["Automotive".into(), "Appliance".into()],
        naics: None,
        page_text: "We manufacture progressive die stampings, deep drawn parts and washers. \
                    ISO 9001 certified, 99% on-time delivery, in-house tooling."
            .into(),
    }
}

fn client(server: &MockServer) -> LlmClient {
    LlmClient::new(
        &format!("{}/v1", server.uri()),
        KEY.into(),
        MODEL.into(),
        reqwest::Client::new(),
    )
    .unwrap()
}

fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "finish_reason": "stop"
        }],
        "usage": { "prompt_tokens": 420, "completion_tokens": 90, "total_tokens": 510 }
    }))
}

const GOOD: &str = r#"{"business_type": "Contract Manufacturer", "naics": "332119",
  "products": ["Progressive die stampings", "Deep drawn parts", "Washers"],
  "value_propositions": ["ISO 9001 certified", "On-time delivery", "In-house tooling"],
  "target_market": "Automotive and appliance OEMs", "confidence": 0.82}"#;

/// The fake answers `reply` to the documented request only: POST
/// /v1/chat/completions with the bearer key, the model, temperature 0 and
/// JSON mode. Anything else gets wiremock's 404 (and a fallback).
async fn ask(reply: ResponseTemplate) -> (Analysis, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({
            "model": MODEL,
            "temperature": 0,
            "response_format": { "type": "json_object" },
        })))
        .respond_with(reply)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let a = analyse(&input(), Some(&c)).await;
    server.verify().await;
    (a, server)
}

fn assert_no_key(a: &Analysis) {
    let shown = format!("{a:?}");
    assert!(!shown.contains(KEY), "key in {shown}");
}

/// A fallback: the rules' answer, with the model named and why it was
/// not used.
fn assert_fell_back(a: &Analysis, reason_has: &str) {
    assert_eq!(a.method, AnalysisMethod::Rules, "{a:?}");
    let why = a.fallback_reason.as_deref().unwrap_or_default();
    assert!(
        why.contains(reason_has),
        "reason {why:?} lacks {reason_has:?}"
    );
    assert_eq!(a.model.as_deref(), Some(MODEL));
    assert!(
        a.prompt
            .as_deref()
            .unwrap()
            .contains("Buckeye Precision Stamping")
    );
    // The rules still ran over the input.
    assert_eq!(a.business_type.as_deref(), Some("manufacturer"));
    assert!(a.value_propositions.iter().any(|v| v == "In-house tooling"));
    assert_no_key(a);
}

#[tokio::test]
async fn a_good_answer_is_used_with_prompt_and_response_kept() {
    let (a, server) = ask(completion(GOOD)).await;
    assert_eq!(a.method, AnalysisMethod::Llm);
    assert_eq!(a.business_type.as_deref(), Some("contract manufacturer"));
    assert_eq!(a.naics.as_deref(), Some("332119"));
    assert_eq!(a.products.len(), 3);
    assert_eq!(a.value_propositions[2], "In-house tooling");
    assert_eq!(
        a.target_market.as_deref(),
        Some("Automotive and appliance OEMs")
    );
    assert_eq!(a.confidence, 0.82);
    assert_eq!(a.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(a.fallback_reason, None);
    // The prompt kept is the request sent, byte for byte.
    let sent = &server.received_requests().await.unwrap()[0];
    let sent: Value = serde_json::from_slice(&sent.body).unwrap();
    let kept: Value = serde_json::from_str(a.prompt.as_deref().unwrap()).unwrap();
    assert_eq!(sent, kept);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["messages"][1]["role"], "user");
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("Industries served: Automotive; Appliance"),
        "{user}"
    );
    assert!(user.contains("in-house tooling"), "{user}");
    assert!(a.response.as_deref().unwrap().contains("chatcmpl-123"));
    assert_no_key(&a);
}

#[tokio::test]
async fn an_answer_in_a_code_fence_is_read() {
    let fenced = format!("```json\n{GOOD}\n```");
    let (a, _) = ask(completion(&fenced)).await;
    assert_eq!(a.method, AnalysisMethod::Llm, "{a:?}");
    assert_eq!(a.naics.as_deref(), Some("332119"));
}

#[tokio::test]
async fn a_refused_key_falls_back_to_the_rules() {
    // The fake quotes the key back; the kept response must not.
    let body = json!({ "error": { "message": format!("Incorrect API key provided: {KEY}"),
                                  "type": "invalid_request_error", "code": "invalid_api_key" } });
    let (a, _) = ask(ResponseTemplate::new(401).set_body_json(body)).await;
    assert_fell_back(&a, "401");
    let response = a.response.as_deref().unwrap();
    assert!(
        response.contains("invalid_api_key") && response.contains("***"),
        "{response}"
    );
}

#[tokio::test]
async fn a_server_error_falls_back_to_the_rules() {
    let (a, _) = ask(ResponseTemplate::new(500).set_body_string("upstream model crashed")).await;
    assert_fell_back(&a, "HTTP 500");
    assert_eq!(a.response.as_deref(), Some("upstream model crashed"));
}

#[tokio::test]
async fn a_rate_limit_falls_back_to_the_rules() {
    let (a, _) = ask(ResponseTemplate::new(429).insert_header("Retry-After", "20")).await;
    assert_fell_back(&a, "rate limited");
}

#[tokio::test]
async fn content_that_is_not_json_falls_back_to_the_rules() {
    let (a, _) = ask(completion(
        "Sure! This company makes stampings {but no JSON",
    ))
    .await;
    assert_fell_back(&a, "not JSON");
    // The raw answer is kept to show what the model said.
    assert!(
        a.response
            .as_deref()
            .unwrap()
            .contains("Sure! This company")
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_completion_falls_back_to_the_rules() {
    let (a, _) =
        ask(ResponseTemplate::new(200).set_body_raw("<html>gateway</html>", "text/html")).await;
    assert_fell_back(&a, "malformed response");
    let (a, _) = ask(ResponseTemplate::new(200).set_body_json(json!({ "choices": [] }))).await;
    assert_fell_back(&a, "no choices");
}

#[tokio::test]
async fn missing_fields_are_named_in_the_fallback() {
    let (a, _) = ask(completion(
        r#"{"business_type": "manufacturer", "products": [], "confidence": 0.5}"#,
    ))
    .await;
    assert_fell_back(&a, "lacks naics, value_propositions, target_market");
}

#[tokio::test]
async fn invalid_values_fall_back_to_the_rules() {
    let with = |field: &str, value: Value| {
        let mut v: Value = serde_json::from_str(GOOD).unwrap();
        v[field] = value;
        v.to_string()
    };
    for (content, why) in [
        (with("confidence", json!(1.7)), "outside 0..1"),
        (with("confidence", json!("high")), "not a number"),
        (with("naics", json!("33211X")), "not 2 to 6 digits"),
        (with("naics", json!(3321190)), "not 2 to 6 digits"),
        (with("products", json!("stampings")), "not an array"),
        (with("products", json!([1, 2])), "other than text"),
    ] {
        let (a, _) = ask(completion(&content)).await;
        assert_fell_back(&a, why);
    }
    // A numeric code of the right length is fine.
    let (a, _) = ask(completion(&with("naics", json!(332119)))).await;
    assert_eq!(a.naics.as_deref(), Some("332119"));
}

#[tokio::test]
async fn a_refusal_falls_back_with_what_the_model_said() {
    let reply = ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{ "message": { "role": "assistant", "content": null,
                                   "refusal": "I can't help with that." } }]
    }));
    let (a, _) = ask(reply).await;
    assert_fell_back(&a, "refused: I can't help with that.");
}

#[tokio::test]
async fn a_slow_model_times_out_and_falls_back() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(GOOD).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let c = client(&server).with_timeout(Duration::from_millis(200));
    let a = analyse(&input(), Some(&c)).await;
    assert_fell_back(&a, "timed out");
    assert_eq!(a.response, None, "nothing came back");
}

#[tokio::test]
async fn page_text_is_cut_to_the_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(GOOD))
        .mount(&server)
        .await;
    let c = client(&server).with_max_page_chars(40);
    let long = AnalysisInput {
        page_text: format!("{}TAIL_BEYOND_BUDGET", "stamping ".repeat(50)),
        ..input()
    };
    let a = analyse(&long, Some(&c)).await;
    let prompt = a.prompt.unwrap();
    assert!(!prompt.contains("TAIL_BEYOND_BUDGET"));
    assert!(prompt.contains("Website text, cut short"));
    // The whole text, and the cut, stay within the budget.
    let sent: Value = serde_json::from_str(&prompt).unwrap();
    let user = sent["messages"][1]["content"].as_str().unwrap();
    let text = user
        .split("\"\"\"\n")
        .nth(1)
        .unwrap()
        .trim_end_matches('\n');
    assert_eq!(text.chars().count(), 40, "{text:?}");
}

#[tokio::test]
async fn without_a_client_the_rules_run_and_nothing_is_sent() {
    let a = analyse(&input(), None).await;
    assert_eq!(a.method, AnalysisMethod::Rules);
    assert_eq!((a.prompt, a.response, a.model), (None, None, None));
    assert_eq!(a.fallback_reason, None);
}

#[test]
fn the_client_hides_its_key_and_checks_its_settings() {
    let c = LlmClient::new(
        "https://api.openai.com/v1/",
        KEY.into(),
        MODEL.into(),
        reqwest::Client::new(),
    )
    .unwrap();
    let shown = format!("{c:?}");
    assert!(
        shown.contains("api.openai.com") && !shown.contains(KEY),
        "{shown}"
    );
    assert_eq!(c.endpoint(), "https://api.openai.com/v1/chat/completions");
    assert!(!c.request_body(&input()).to_string().contains(KEY));
    let http = reqwest::Client::new;
    assert!(LlmClient::new("https://x.example", " ".into(), MODEL.into(), http()).is_err());
    assert!(LlmClient::new("https://x.example", KEY.into(), "".into(), http()).is_err());
    let err = LlmClient::new("file:///etc", KEY.into(), MODEL.into(), http()).unwrap_err();
    assert!(!format!("{err:#}").contains(KEY));
}

#[test]
fn analysis_run_uses_the_model_only_when_enabled_and_keyed() {
    let settings = crate::config::LlmSettings::default();
    let http = reqwest::Client::new;
    let run = AnalysisRun::from_settings(&settings, Some(KEY.into()), http()).unwrap();
    let llm = run.llm.as_ref().unwrap();
    assert_eq!(llm.model(), "gpt-4o-mini");
    assert_eq!(llm.max_page_chars(), settings.max_page_chars);
    assert!(run.max_page_chars >= settings.max_page_chars);
    assert!(!format!("{run:?}").contains(KEY));
    assert!(
        AnalysisRun::from_settings(&settings, None, http())
            .unwrap()
            .llm
            .is_none()
    );
    let off = crate::config::LlmSettings {
        enabled: false,
        ..settings
    };
    assert!(
        AnalysisRun::from_settings(&off, Some(KEY.into()), http())
            .unwrap()
            .llm
            .is_none()
    );
}
