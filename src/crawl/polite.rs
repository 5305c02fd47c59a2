//! One-off requests through the same polite path as the crawl: `nam
//! extract URL`, `nam robots URL` (and later, company websites). robots.txt
//! is read per host and obeyed, requests to a domain are paced, bodies are
//! capped, redirects are followed hop by hop with robots checked on each.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};
use tokio::sync::Mutex;
use url::Url;

use super::fetch::{Fetcher, FetcherConfig, Response};
use super::report::Counters;
use super::retry::{Conditional, Fetched};
use super::robots::RobotsPolicy;
use super::session::{Budget, DomainSession, SessionConfig, SessionStart, fetch_robots};
use super::{CrawlOptions, ResolveOverride};
use crate::config::CrawlSettings;
use crate::normalize::urls as urlnorm;

/// A page read by [`PoliteFetcher::get_html`].
#[derive(Debug, Clone)]
pub struct HtmlPage {
    /// Where the page was found, after redirects.
    pub url: Url,
    pub html: String,
    pub headers: Vec<(String, String)>,
}

/// Polite fetching outside a crawl job (nothing is written to a database).
pub struct PoliteFetcher {
    fetcher: Fetcher,
    /// Each URL is checked before its request (see [`super::guard`]).
    public_only: bool,
    resolve: Option<ResolveOverride>,
    cfg: Arc<SessionConfig>,
    settings: CrawlSettings,
    sessions: Mutex<HashMap<String, Arc<Mutex<DomainSession>>>>,
}

impl PoliteFetcher {
    pub fn new(settings: &CrawlSettings, resolve: Option<ResolveOverride>) -> Result<Self> {
        Self::with_options(
            settings,
            &CrawlOptions {
                resolve,
                ..Default::default()
            },
        )
    }

    /// A fetcher with a job's options: its politeness switch, resolver
    /// override and backoff (the associations and seeds are not used).
    pub fn with_options(settings: &CrawlSettings, opts: &CrawlOptions) -> Result<Self> {
        Ok(Self {
            fetcher: Fetcher::new(&FetcherConfig {
                user_agent: settings.user_agent.clone(),
                timeout: std::time::Duration::from_secs(settings.timeout_secs.max(1)),
                max_body_bytes: settings.max_body_bytes,
                resolve: opts.resolve.clone(),
                public_only: opts.public_only,
            })?,
            public_only: opts.public_only,
            resolve: opts.resolve.clone(),
            cfg: Arc::new(opts.session_config(settings)),
            settings: settings.clone(),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The session of `url`'s domain, reading its robots.txt on first use.
    async fn session(&self, url: &Url) -> Arc<Mutex<DomainSession>> {
        let domain = urlnorm::domain_of(url);
        let mut map = self.sessions.lock().await;
        if let Some(s) = map.get(&domain) {
            return s.clone();
        }
        let robots_url = url.join("/robots.txt").unwrap_or_else(|_| url.clone());
        let (policy, _) = fetch_robots(&self.fetcher, &self.cfg.user_agent, &robots_url).await;
        let s = self.new_session(url, policy);
        map.insert(domain, s.clone());
        s
    }

    /// A session for `url`'s domain under `policy`, its robots.txt request
    /// counted.
    fn new_session(&self, url: &Url, policy: RobotsPolicy) -> Arc<Mutex<DomainSession>> {
        let session = DomainSession::new(
            SessionStart {
                domain: urlnorm::domain_of(url),
                entry: url.clone(),
                rate: self.settings.default_rate,
                policy,
                requests: 1,
                budget: Budget::default(),
            },
            self.cfg.clone(),
            self.fetcher.clone(),
            None,
            Arc::new(Counters::default()),
        );
        Arc::new(Mutex::new(session))
    }

    /// Whether anything answers at `origin`: one GET of its robots.txt
    /// (redirects followed, at most 5 hops, each checked by the
    /// public-address guard). On an answer, the robots.txt read becomes the
    /// policy of the domain's session, so the pages read next neither ask
    /// for it again nor take it from an origin that did not answer. Returns
    /// the origin that answered (after redirects, e.g. `http://www.d/`).
    pub async fn probe(&self, origin: &Url) -> Result<Url> {
        let mut current = origin.join("/robots.txt")?;
        let ua = self.cfg.user_agent.clone();
        for _ in 0..5 {
            if self.public_only {
                super::guard::check_resolved(&current, self.resolve.as_ref())
                    .await
                    .map_err(anyhow::Error::msg)?;
            }
            let r = match self.fetcher.get(&current, None, None).await {
                Ok(r) => r,
                Err(e) => bail!("{}: {e}", origin_of(&current)),
            };
            if (300..400).contains(&r.status) {
                match r.location.as_deref().and_then(|l| current.join(l).ok()) {
                    Some(next) => {
                        current = next;
                        continue;
                    }
                    None => bail!("{current} redirects nowhere (HTTP {})", r.status),
                }
            }
            let policy = match r.status {
                200..=299 => RobotsPolicy::parse(&ua, &r.bytes),
                400..=499 if r.status != 429 => RobotsPolicy::unavailable(&ua, r.status),
                s => RobotsPolicy::unreachable(&ua, &format!("HTTP {s}")),
            };
            let answered = origin_of(&current);
            self.adopt_session(&answered, policy).await;
            return Ok(answered);
        }
        bail!("{origin} redirects more than 5 times")
    }

    /// Starts the session of `url`'s domain with a robots.txt policy already read.
    async fn adopt_session(&self, url: &Url, policy: RobotsPolicy) {
        let session = self.new_session(url, policy);
        self.sessions
            .lock()
            .await
            .insert(urlnorm::domain_of(url), session);
    }

    /// Runs `f` on the robots.txt policy of `url`'s host (read politely,
    /// once per domain).
    pub async fn with_robots<R>(&self, url: &Url, f: impl FnOnce(&RobotsPolicy) -> R) -> R {
        let session = self.session(url).await;
        let s = session.lock().await;
        f(&s.policy)
    }

    /// GETs `url` if robots.txt allows it: paced, size-capped, retried on
    /// 429/5xx, redirects followed within the site.
    pub async fn get(&self, url: &Url) -> Result<Response> {
        // Refused before robots.txt is even asked for.
        if self.public_only {
            super::guard::check_resolved(url, self.resolve.as_ref())
                .await
                .map_err(anyhow::Error::msg)?;
        }
        let session = self.session(url).await;
        let mut s = session.lock().await;
        let Some(d) = s.robots_decide(url).await? else {
            bail!("the daily request cap for {} is used up", s.domain);
        };
        if !d.allowed {
            bail!("robots.txt does not allow {url}: {}", d.reason);
        }
        match s.fetch(url, &Conditional::default()).await? {
            Fetched::Response { resp, .. } => Ok(resp),
            Fetched::OffSite { target, .. } => {
                bail!("{url} redirects to another site: {target}")
            }
            Fetched::Disallowed { target, reason } => {
                bail!("{url} redirects to {target}, which robots.txt does not allow: {reason}")
            }
            Fetched::Failed { error, .. } => bail!("fetching {url}: {error}"),
            Fetched::CapReached => bail!("the daily request cap for {} is used up", s.domain),
        }
    }

    /// GETs an HTML page: its final URL (after redirects), decoded text and
    /// telling headers. `Ok(None)` for a body that is not HTML or text; an
    /// answer other than 200 is an error naming the status.
    pub async fn get_html(&self, url: &Url) -> Result<Option<HtmlPage>> {
        let resp = self.get(url).await?;
        if resp.status != 200 {
            bail!("{url} answered HTTP {}", resp.status);
        }
        let html_like = resp
            .content_type
            .as_deref()
            .is_none_or(|t| t.contains("html") || t.contains("text/plain"));
        if !html_like {
            return Ok(None);
        }
        let (html, _) =
            crate::normalize::charset::decode(&resp.bytes, resp.content_type.as_deref());
        Ok(Some(HtmlPage {
            url: resp.url,
            html,
            headers: resp.headers,
        }))
    }
}

/// `scheme://host[:port]/` of a URL.
fn origin_of(u: &Url) -> Url {
    let mut o = u.clone();
    o.set_path("/");
    o.set_query(None);
    o.set_fragment(None);
    o
}
