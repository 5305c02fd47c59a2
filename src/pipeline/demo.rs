//! `nam demo`: the whole pipeline on the generated loopback world.

use std::sync::Arc;

use anyhow::Result;

use super::{RunRequest, RunSummary};
use crate::config::{Config, RateLimit};
use crate::crawl::{CrawlOptions, ResolveOverride};
use crate::fixture_site::{FixtureServer, World, WorldConfig};
use crate::model::EventSender;

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    pub db: std::path::PathBuf,
    pub members: usize,
    pub seed: u64,
    pub with_selectors: bool,
    /// Rate limits and Crawl-delay (robots.txt is honoured either way).
    pub politeness: bool,
}

/// Starts the fixture world on 127.0.0.1, crawls and extracts it into `db`.
/// Politeness stays on, at loopback rates: the demo site is our own server.
pub async fn run_demo(
    cfg: &Config,
    req: &DemoRequest,
    events: EventSender,
) -> Result<(RunSummary, u16)> {
    let world = Arc::new(World::new(WorldConfig {
        seed: req.seed,
        members: req.members,
        ..Default::default()
    }));
    let server = FixtureServer::start(world.clone(), 0).await?;
    let addr = server.addr();
    let mut cfg = cfg.clone();
    let fast = RateLimit {
        per_second: 50.0,
        daily_cap: None,
    };
    cfg.crawl.association_rate = fast;
    cfg.crawl.default_rate = fast;
    let run = RunRequest {
        db: req.db.clone(),
        kind: "demo".into(),
        crawl: CrawlOptions {
            associations: world.associations_file(req.with_selectors).associations,
            resolve: Some(ResolveOverride {
                host_suffixes: vec!["example".into()],
                addr,
            }),
            backoff_min: std::time::Duration::from_millis(100),
            politeness: req.politeness,
            ..Default::default()
        },
    };
    let result = super::run(&cfg, run, events).await;
    server.shutdown().await;
    Ok((result?, addr.port()))
}
