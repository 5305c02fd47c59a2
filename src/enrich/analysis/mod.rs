//! What a company is and sells: business type, NAICS code, products,
//! value propositions, target market, with a confidence.
//!
//! - [`rules`]: keyword tables over the company's pages; always available.
//! - [`LlmClient`]: an OpenAI-compatible chat endpoint, used when one is
//!   configured with a key. Its prompt and raw response are kept as
//!   provenance; a refused, failed or malformed answer falls back to the
//!   rules, with the reason recorded.

mod llm;
pub mod rules;

#[cfg(test)]
mod llm_tests;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use llm::{DEFAULT_LLM_TIMEOUT, LlmClient};

/// How an analysis was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisMethod {
    #[default]
    Rules,
    Llm,
}

impl AnalysisMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisMethod::Rules => "rules",
            AnalysisMethod::Llm => "llm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "rules" => Some(AnalysisMethod::Rules),
            "llm" => Some(AnalysisMethod::Llm),
            _ => None,
        }
    }
}

impl fmt::Display for AnalysisMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a company when it is analysed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisInput {
    pub name: String,
    pub website: Option<String>,
    pub description: Option<String>,
    pub products: Vec<String>,
    /// Industries served, as the company lists them.
    pub industries: Vec<String>,
    /// A NAICS code already known (from a provider or the website).
    pub naics: Option<String>,
    /// Visible text of the company's pages, most telling pages first.
    pub page_text: String,
}

impl AnalysisInput {
    /// Whether there is anything to analyse at all.
    pub fn is_empty(&self) -> bool {
        self.page_text.trim().is_empty()
            && self
                .description
                .as_deref()
                .is_none_or(|d| d.trim().is_empty())
            && self.products.is_empty()
            && self.industries.is_empty()
    }
}

/// What a company is and sells, and how that was worked out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub method: AnalysisMethod,
    /// manufacturer, contract manufacturer, distributor, service provider,
    /// software, system integrator, ...
    pub business_type: Option<String>,
    /// 2 to 6 digits.
    pub naics: Option<String>,
    pub products: Vec<String>,
    pub value_propositions: Vec<String>,
    pub target_market: Option<String>,
    /// 0..1
    pub confidence: f64,
    /// The model asked, when one was.
    pub model: Option<String>,
    /// The request sent to the model (JSON; it never holds the key).
    pub prompt: Option<String>,
    /// The model's raw answer, as received (any echoed key masked).
    pub response: Option<String>,
    /// Why the model's answer was not used.
    pub fallback_reason: Option<String>,
}

/// `s` when it is a NAICS code: 2 to 6 ASCII digits.
pub fn valid_naics(s: &str) -> Option<String> {
    let s = s.trim();
    ((2..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
}

/// Analyses `input`: with the model when a client is given, by the rules
/// otherwise or when the model's answer cannot be used (then the prompt,
/// the raw response and why it was not used are kept).
pub async fn analyse(input: &AnalysisInput, llm: Option<&LlmClient>) -> Analysis {
    let Some(client) = llm else {
        return rules_off_thread(input).await;
    };
    let attempt = client.ask(input).await;
    match attempt.answer {
        Ok(a) => a,
        Err(why) => {
            tracing::info!(model = %client.model(), reason = %why, "LLM analysis fell back to rules");
            let mut a = rules_off_thread(input).await;
            a.model = Some(client.model().to_string());
            a.prompt = Some(attempt.prompt);
            a.response = attempt.response;
            a.fallback_reason = Some(why);
            a
        }
    }
}

/// The rules are CPU work over a page's worth of text: off the async threads.
async fn rules_off_thread(input: &AnalysisInput) -> Analysis {
    let owned = input.clone();
    match tokio::task::spawn_blocking(move || rules::analyse(&owned)).await {
        Ok(a) => a,
        // The task cannot be cancelled; a panic in it is a bug, and the
        // analysis is still worth having.
        Err(_) => rules::analyse(input),
    }
}

/// Page text gathered per company for the rules by default, in characters.
/// The model sees at most its own, smaller budget of it.
pub const DEFAULT_GATHERED_CHARS: usize = 40_000;

/// Analysis as part of an enrichment run.
#[derive(Debug, Clone)]
pub struct AnalysisRun {
    /// The model, when configured and a key is set; rules otherwise.
    pub llm: Option<Arc<LlmClient>>,
    /// Characters of page text gathered per company (the rules read all of
    /// it; the model's prompt is cut to [`LlmClient::max_page_chars`]).
    pub max_page_chars: usize,
}

impl AnalysisRun {
    /// Rules only.
    pub fn rules() -> Self {
        Self {
            llm: None,
            max_page_chars: DEFAULT_GATHERED_CHARS,
        }
    }

    /// From the `[llm]` settings and the `openai` key, when one is set: the
    /// model is used when enabled and keyed, the rules otherwise.
    pub fn from_settings(
        settings: &crate::config::LlmSettings,
        key: Option<String>,
        http: reqwest::Client,
    ) -> anyhow::Result<Self> {
        let llm = match key.filter(|k| !k.trim().is_empty()) {
            Some(key) if settings.enabled => Some(Arc::new(
                LlmClient::new(&settings.base_url, key, settings.model.clone(), http)?
                    .with_max_page_chars(settings.max_page_chars),
            )),
            _ => None,
        };
        Ok(Self {
            llm,
            max_page_chars: DEFAULT_GATHERED_CHARS.max(settings.max_page_chars),
        })
    }
}
