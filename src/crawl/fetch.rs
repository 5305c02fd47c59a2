//! The HTTP fetcher: one reqwest client (rustls, gzip/brotli, timeouts, a
//! descriptive User-Agent), conditional requests, a body size cap and no
//! automatic redirects: the crawler follows them itself so every hop is
//! checked against robots.txt, rate-limited and loop-checked.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap};
use url::Url;

/// Send hosts ending in one of `host_suffixes` to `addr` (the fixture world
/// on loopback); everything else resolves normally.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveOverride {
    pub host_suffixes: Vec<String>,
    pub addr: SocketAddr,
}

impl ResolveOverride {
    pub fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.host_suffixes.iter().any(|s| {
            let s = s.trim_start_matches('.').to_ascii_lowercase();
            host == s || host.ends_with(&format!(".{s}"))
        })
    }
}

/// `host`'s addresses: the override's when it matches `host`, else the
/// system resolver's.
pub async fn lookup(
    over: Option<&ResolveOverride>,
    host: &str,
    port: u16,
) -> std::io::Result<Vec<SocketAddr>> {
    match over.filter(|o| o.matches(host)) {
        Some(o) => Ok(vec![o.addr]),
        None => Ok(tokio::net::lookup_host((host, port)).await?.collect()),
    }
}

struct SuffixResolver(ResolveOverride);

impl Resolve for SuffixResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let over = self.0.clone();
        Box::pin(async move {
            let addrs = lookup(Some(&over), &host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// How the fetcher is set up.
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub resolve: Option<ResolveOverride>,
    /// Refuse private, loopback, link-local and metadata addresses (see
    /// [`super::guard`]): for company sites, whose addresses come from pages
    /// someone else wrote.
    pub public_only: bool,
}

/// One HTTP response (redirects are not followed).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub url: Url,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub location: Option<String>,
    pub retry_after: Option<Duration>,
    pub bytes: Vec<u8>,
    /// The body was longer than the size cap and was cut.
    pub truncated: bool,
    /// Headers that say what software a site runs (`Set-Cookie`, `Server`,
    /// `X-Powered-By`, other `X-` headers), at most [`MAX_KEPT_HEADERS`].
    pub headers: Vec<(String, String)>,
}

/// Cap on [`Response::headers`]: a hostile server cannot make us keep more.
pub const MAX_KEPT_HEADERS: usize = 32;

fn kept_headers(h: &header::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            n == "set-cookie" || n == "server" || n.starts_with("x-")
        })
        .filter_map(|(name, value)| {
            let v = value.to_str().ok()?;
            Some((name.as_str().to_owned(), v.chars().take(256).collect()))
        })
        .take(MAX_KEPT_HEADERS)
        .collect()
}

/// A transport failure (no usable HTTP response).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("response body broken off: {0}")]
    Body(String),
    #[error("request failed: {0}")]
    Other(String),
}

fn classify_error(e: &reqwest::Error) -> FetchError {
    let chain = error_chain(e);
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Connect(chain)
    } else if e.is_body() || e.is_decode() {
        FetchError::Body(chain)
    } else {
        FetchError::Other(chain)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = inner.source();
    }
    s
}

/// Parses `Retry-After`: delta-seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

fn header_string(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The crawler's HTTP client.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: usize,
    public_only: bool,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Fetcher {
    pub fn new(cfg: &FetcherConfig) -> anyhow::Result<Fetcher> {
        let mut b = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .gzip(true)
            .brotli(true);
        if cfg.public_only {
            // A proxy would resolve names where the guard cannot see them.
            b = b
                .dns_resolver(Arc::new(super::guard::PublicOnlyResolver(
                    cfg.resolve.clone(),
                )))
                .no_proxy();
        } else if let Some(r) = &cfg.resolve {
            b = b
                .dns_resolver(Arc::new(SuffixResolver(r.clone())))
                .no_proxy();
        }
        Ok(Fetcher {
            client: b.build()?,
            max_body: cfg.max_body_bytes.max(1024),
            public_only: cfg.public_only,
        })
    }

    /// GET one URL; `etag`/`last_modified` make it conditional.
    pub async fn get(
        &self,
        url: &Url,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Response, FetchError> {
        if self.public_only {
            super::guard::check_url(url).map_err(FetchError::Other)?;
        }
        let mut req = self.client.get(url.clone()).header(
            header::ACCEPT,
            "text/html,application/xhtml+xml,application/json;q=0.9,application/xml;q=0.8,*/*;q=0.5",
        );
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        if let Some(lm) = last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(|e| classify_error(&e))?;
        let status = resp.status().as_u16();
        let h = resp.headers();
        let content_type = header_string(h, header::CONTENT_TYPE);
        let etag = header_string(h, header::ETAG);
        let last_modified = header_string(h, header::LAST_MODIFIED);
        let location = header_string(h, header::LOCATION);
        let retry_after = header_string(h, header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
        let headers = kept_headers(h);
        let mut bytes = Vec::new();
        let mut truncated = false;
        // Bodies of redirects and 304s are not needed.
        if !(300..400).contains(&status) {
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        let room = self.max_body - bytes.len();
                        if c.len() > room {
                            bytes.extend_from_slice(&c[..room]);
                            truncated = true;
                            break;
                        }
                        bytes.extend_from_slice(&c);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(classify_error(&e)),
                }
            }
        }
        Ok(Response {
            status,
            url: url.clone(),
            content_type,
            etag,
            last_modified,
            location,
            retry_after,
            bytes,
            truncated,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let future = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let d = parse_retry_after(&future).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn suffix_override_matches_whole_labels() {
        let r = ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        assert!(r.matches("pma.example"));
        assert!(r.matches("www.acme.example"));
        assert!(!r.matches("example.com"));
        assert!(!r.matches("notexample"));
    }
}
