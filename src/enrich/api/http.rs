//! The one request path every API client shares: a per-request timeout,
//! status codes mapped to [`ProviderError`], JSON parsed into the
//! provider's documented shape, and every error text scrubbed of secrets.
//!
//! A client makes one attempt per call: retries, waits and circuit
//! breaking belong to the chain around it.

use std::fmt;
use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;

use crate::enrich::ProviderError;

/// How long one request may take, connect to last byte. Enrichment APIs
/// answer in a second or two; a minute-long stall is a fault to retry.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// Bodies above this are not read: no documented answer comes near it, and
/// a runaway body should not be buffered whole.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// A credential held by a client. Its `Debug` never shows the value, so a
/// client's hand-written `Debug` can show the field, and [`scrub_all`]
/// removes it from any text that may have picked it up.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for the one place it belongs: a header or query parameter.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not even the masked head and tail: a short key would be half shown.
        f.write_str("Secret(***)")
    }
}

/// `text` with every secret in `secrets` masked, raw and URL-encoded.
pub(crate) fn scrub_all(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.0.is_empty() {
            continue;
        }
        out = out.replace(&s.0, "***");
        let encoded: String = url::form_urlencoded::byte_serialize(s.0.as_bytes()).collect();
        if encoded != s.0 {
            out = out.replace(&encoded, "***");
        }
    }
    out
}

/// A response read whole: status, the headers that matter, and the body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The shared mapping of a status to an answer: `Ok(())` for 2xx, the
    /// matching error otherwise. Providers with their own meanings for a
    /// code (Hunter's 429, Clearbit's 202) look at the reply first.
    pub(crate) fn check(&self) -> Result<(), ProviderError> {
        let code = self.status.as_u16();
        match code {
            200..=299 => Ok(()),
            401 | 403 => Err(ProviderError::Unauthorized(code)),
            404 => Err(ProviderError::NotFound),
            402 => Err(ProviderError::QuotaExhausted),
            429 => Err(ProviderError::RateLimited(self.retry_after)),
            500..=599 => Err(ProviderError::Transient(format!(
                "HTTP {code} from provider"
            ))),
            // 400/422 and the like: the provider refused the request as sent.
            // Asking again will not help, and it is a fault to count.
            _ => Err(ProviderError::Malformed(format!("unexpected HTTP {code}"))),
        }
    }

    /// The body parsed as `T`, after [`Reply::check`].
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        self.check()?;
        parse(&self.body)
    }
}

/// `body` parsed as `T`. The reason names the kind and place of the fault
/// only: serde's own message quotes the offending value, and a provider
/// may echo the request (and its key) back in a body.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Io => "unreadable body",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        ProviderError::Malformed(format!("{what} at line {} column {}", e.line(), e.column()))
    })
}

/// Sends `req` once with the shared timeout and reads the reply whole.
/// Transport failures become [`ProviderError::Transient`] with the URL
/// removed and `secrets` scrubbed from what remains.
pub(crate) async fn send(req: RequestBuilder, secrets: &[Secret]) -> Result<Reply, ProviderError> {
    send_within(req, secrets, TIMEOUT).await
}

/// [`send`] with its own timeout: a language model may think for longer
/// than an enrichment API answers.
pub(crate) async fn send_within(
    req: RequestBuilder,
    secrets: &[Secret],
    timeout: Duration,
) -> Result<Reply, ProviderError> {
    let transient = |e: reqwest::Error| {
        let e = e.without_url();
        let mut text = e.to_string();
        // reqwest's Display stops at the outer error; the cause (refused,
        // reset, timed out) is what tells an operator what happened.
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        ProviderError::Transient(scrub_all(&text, secrets))
    };
    let mut resp = req.timeout(timeout).send().await.map_err(transient)?;
    let status = resp.status();
    let retry_after = retry_after(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transient)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::Malformed(format!(
                "body over {} MiB",
                MAX_BODY / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

/// `Retry-After` as a wait: delta-seconds, or an HTTP date from now.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// The base URL checked and without a trailing slash: http(s), a host, no
/// query or fragment (paths are appended to it).
pub(crate) fn base_url(raw: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| anyhow::anyhow!("base URL {raw:?} does not parse: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        anyhow::bail!("base URL {raw:?} must be http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        anyhow::bail!("base URL {raw:?} has no host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        anyhow::bail!("base URL {raw:?} must not have a query or fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        anyhow::bail!("base URL must not carry credentials; keys come from the keyring");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The company's registrable domain: the listed one, else the website's.
pub(crate) fn target_domain(target: &crate::enrich::EnrichTarget) -> Option<String> {
    target
        .domain
        .as_deref()
        .and_then(crate::normalize::registrable_domain)
        .or_else(|| {
            target
                .website
                .as_deref()
                .and_then(crate::normalize::registrable_domain)
        })
}

/// Trimmed, and `None` when empty: providers send `""` for unknown.
pub(crate) fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Reads `null` as the type's default: providers send `null` for an empty
/// list or object as often as they leave it out.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}
