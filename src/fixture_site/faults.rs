//! Faults on demand. Every switch targets documented hosts/URLs so tests can
//! assert it. Transport faults (rate limit, error bursts, resets, truncation,
//! slowness) happen only through [`super::FixtureServer`]; content switches
//! (drift, bad charset, redirects, huge page) also apply to `World::page`.
//! `robots.txt` is never faulted.
//!
//! | field         | effect                                                                 | target                                  |
//! |---------------|------------------------------------------------------------------------|-----------------------------------------|
//! | `rate_limit`  | first N requests to each URL: `429 Too Many Requests`, `Retry-After: 1` | every path on `pmpa.example`            |
//! | `error_burst` | first N requests to each URL: 503 (odd attempts) / 500 (even)           | every path on `agma.example`            |
//! | `slow_ms`     | every response delayed by this many milliseconds                       | every path on `forging.example`         |
//! | `resets`      | first N requests to each URL: connection closed, no response           | every path on `nema.example`            |
//! | `truncate`    | first N requests to each URL: `Content-Length` > bytes sent            | every path on `aia.example`             |
//! | `bad_charset` | directory pages in Windows-1252 with no charset; profiles mislabelled `charset=utf-8` | `afsinc.example/member-directory/**` |
//! | `redirects`   | chain 301→302→307→308 before the directory; `/news/` loops             | `socma.example/member-directory/`, `socma.example/news/` |
//! | `huge_page`   | a ~6 MB resources page linked from the home page                       | `ntma.example/resources/`               |
//! | `drift`       | the directory switches from a table to a div layout (new bytes)        | `pma.example/directory/**`              |
//!
//! Always on (not faults): `www.<association>` 301 → bare host; bare company
//! domain 301 → `www.`; `ETag` (SHA-256 of the body) and `Last-Modified` on
//! every 200, with `304 Not Modified` for `If-None-Match` / `If-Modified-Since`;
//! `http://socma.example/old-directory` → 301 → `/member-directory/` (one hop);
//! `http://socma.example/loop-a` ↔ `/loop-b` (a loop); French-named Québec
//! company sites are Windows-1252 with a `<meta charset>` only.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FixturePage;

/// Fault switches, all off by default. See the module docs for targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// First N requests to each URL on `pmpa.example` get 429 + `Retry-After: 1`.
    pub rate_limit: u32,
    /// First N requests to each URL on `agma.example` get 503 / 500.
    pub error_burst: u32,
    /// Every response from `forging.example` is delayed this many milliseconds.
    pub slow_ms: u64,
    /// First N requests to each URL on `nema.example`: the connection is closed without a response.
    pub resets: u32,
    /// First N requests to each URL on `aia.example`: the body is cut short of `Content-Length`.
    pub truncate: u32,
    /// AFS directory served as Windows-1252 without charset; AFS profiles mislabelled UTF-8.
    pub bad_charset: bool,
    /// SOCMA directory behind a 4-hop redirect chain; SOCMA `/news/` is a redirect loop.
    pub redirects: bool,
    /// `http://ntma.example/resources/` becomes a ~6 MB page.
    pub huge_page: bool,
    /// PMA directory layout drifts (table -> divs).
    pub drift: bool,
}

pub(crate) const RATE_LIMIT_HOST: &str = "pmpa.example";
pub(crate) const ERROR_BURST_HOST: &str = "agma.example";
pub(crate) const SLOW_HOST: &str = "forging.example";
pub(crate) const RESET_HOST: &str = "nema.example";
pub(crate) const TRUNCATE_HOST: &str = "aia.example";

/// Last-Modified of every page (drifted pages are newer).
pub(crate) const LAST_MODIFIED: &str = "Mon, 02 Nov 2026 08:00:00 GMT";
pub(crate) const LAST_MODIFIED_DRIFT: &str = "Fri, 20 Nov 2026 08:00:00 GMT";

/// A transport fault the server should inject for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    RateLimit,
    Error(u16),
    Reset,
    Truncate,
}

/// Decide the transport fault for the `n`-th (1-based) request to this URL.
pub(crate) fn transport(f: &FaultConfig, host: &str, path: &str, n: u32) -> Option<Transport> {
    if path == "/robots.txt" {
        return None;
    }
    if host == RATE_LIMIT_HOST && n <= f.rate_limit {
        return Some(Transport::RateLimit);
    }
    if host == ERROR_BURST_HOST && n <= f.error_burst {
        return Some(Transport::Error(if n % 2 == 1 { 503 } else { 500 }));
    }
    if host == RESET_HOST && n <= f.resets {
        return Some(Transport::Reset);
    }
    if host == TRUNCATE_HOST && n <= f.truncate {
        return Some(Transport::Truncate);
    }
    None
}

/// Whether responses from this host should be delayed, and by how long.
pub(crate) fn delay_ms(f: &FaultConfig, host: &str) -> u64 {
    if host == SLOW_HOST { f.slow_ms } else { 0 }
}

/// ETag of a body: a quoted prefix of its SHA-256 (stable across runs).
pub(crate) fn etag(body: &[u8]) -> String {
    let d = Sha256::digest(body);
    format!("\"{}\"", &hex::encode(d)[..20])
}

/// Add validators to successful responses.
pub(crate) fn finish(mut p: FixturePage) -> FixturePage {
    if p.status == 200 {
        if p.header("ETag").is_none() {
            p.headers.push(("ETag".into(), etag(&p.body)));
        }
        if p.header("Last-Modified").is_none() {
            p.headers
                .push(("Last-Modified".into(), LAST_MODIFIED.into()));
        }
    }
    p
}

/// Whether a conditional request can be answered with 304.
pub(crate) fn not_modified(
    p: &FixturePage,
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
) -> bool {
    if p.status != 200 {
        return false;
    }
    if let Some(inm) = if_none_match {
        let tag = p.header("ETag").unwrap_or("");
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == tag
        });
    }
    if let (Some(ims), Some(lm)) = (if_modified_since, p.header("Last-Modified")) {
        let parse = |s: &str| chrono::DateTime::parse_from_rfc2822(s.trim()).ok();
        if let (Some(a), Some(b)) = (parse(ims), parse(lm)) {
            return b <= a;
        }
    }
    false
}
