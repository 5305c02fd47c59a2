//! A job's parameters, stored as JSON on the job so `--resume ID` can run it
//! again exactly as it was started (a demo job brings its fixture world back).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::AssociationConfig;
use crate::crawl::{CrawlOptions, ResolveOverride};

/// The generated world a demo job crawls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoWorld {
    pub seed: u64,
    pub members: usize,
    pub with_selectors: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct JobParams {
    pub associations: Vec<AssociationConfig>,
    pub seed_urls: Vec<String>,
    pub max_pages: Option<usize>,
    pub force_full: bool,
    pub retry_dead_letters: bool,
    pub politeness: bool,
    /// `SUFFIX=ADDR`: hosts ending in SUFFIX go to ADDR (loopback testing).
    pub resolve: Option<String>,
    pub backoff_min_ms: u64,
    pub demo: Option<DemoWorld>,
    /// Let company-site reads reach private and loopback addresses (the
    /// demo's and tests' loopback world); off by default.
    pub allow_private_sites: bool,
    /// The enrichment kinds to run (empty: all of them).
    pub enrichment: Vec<crate::enrich::Kind>,
    /// A domain-list run's list file.
    pub domains_file: Option<std::path::PathBuf>,
    /// The ICP profile companies are scored against (default: the
    /// config's `[icp] profile`); a prospecting run's profile.
    pub profile: Option<String>,
    /// Extra search terms of a prospecting run.
    pub search_terms: Vec<String>,
}

impl Default for JobParams {
    fn default() -> Self {
        JobParams {
            associations: Vec::new(),
            seed_urls: Vec::new(),
            max_pages: None,
            force_full: false,
            retry_dead_letters: false,
            politeness: true,
            resolve: None,
            backoff_min_ms: 500,
            demo: None,
            allow_private_sites: false,
            enrichment: Vec::new(),
            domains_file: None,
            profile: None,
            search_terms: Vec::new(),
        }
    }
}

/// Parses `SUFFIX=ADDR`, e.g. `example=127.0.0.1:8080`.
pub fn parse_resolve(r: &str) -> Result<ResolveOverride> {
    let Some((suffix, addr)) = r.split_once('=') else {
        bail!("--resolve {r:?}: expected SUFFIX=ADDR, e.g. example=127.0.0.1:8080");
    };
    let addr: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("--resolve {r:?}: bad address {addr:?}"))?;
    Ok(ResolveOverride {
        host_suffixes: vec![suffix.to_string()],
        addr,
    })
}

impl JobParams {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s).context("the job's stored parameters are unreadable")
    }

    /// The crawl these parameters describe.
    pub fn crawl_options(&self) -> Result<CrawlOptions> {
        Ok(CrawlOptions {
            associations: self.associations.clone(),
            seed_urls: self.seed_urls.clone(),
            max_pages: self.max_pages,
            force_full: self.force_full,
            retry_dead_letters: self.retry_dead_letters,
            politeness: self.politeness,
            resolve: self.resolve.as_deref().map(parse_resolve).transpose()?,
            backoff_min: Duration::from_millis(self.backoff_min_ms),
            ..Default::default()
        })
    }
}
