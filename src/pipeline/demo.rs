//! `nam demo`: the whole pipeline on the generated loopback world. A demo
//! job records its world (seed, size) in its parameters, so `nam run
//! --resume ID` brings the same world back up by itself.

use std::sync::Arc;

use anyhow::Result;

use super::params::{DemoWorld, JobParams};
use super::{RunRequest, RunSummary};
use crate::config::{Config, CrawlSettings, RateLimit};
use crate::fixture_site::{FixtureServer, World, WorldConfig};
use crate::model::{EventSender, JobMode, RunControl};

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    pub db: std::path::PathBuf,
    pub world: DemoWorld,
    /// Rate limits and Crawl-delay (robots.txt is honoured either way).
    pub politeness: bool,
}

fn world_of(d: DemoWorld) -> World {
    World::new(WorldConfig {
        seed: d.seed,
        members: d.members,
        ..Default::default()
    })
}

/// Serves a demo world on 127.0.0.1 (a free port).
pub async fn serve_world(d: DemoWorld) -> Result<FixtureServer> {
    FixtureServer::start(Arc::new(world_of(d)), 0).await
}

/// A demo job brings its generated world back up (same seed, same pages)
/// and sends the world's host names to it.
pub async fn serve_if_demo(params: &mut JobParams) -> Result<Option<FixtureServer>> {
    let Some(d) = params.demo else {
        return Ok(None);
    };
    let w = serve_world(d).await?;
    params.resolve = Some(format!("example={}", w.addr()));
    Ok(Some(w))
}

/// Loopback rates for the demo: the site is our own server. Crawl-delay in
/// the world's robots.txt is still honoured.
pub fn demo_settings(settings: &mut CrawlSettings) {
    let fast = RateLimit {
        per_second: 50.0,
        daily_cap: None,
    };
    settings.association_rate = fast;
    settings.default_rate = fast;
}

/// The job parameters of a demo run.
/// The ICP profile a demo scores its companies against: the fixture
/// world's own (its planted ideal customers meet it), written to the
/// profiles directory the first time a demo needs it.
pub const DEMO_PROFILE: &str = "demo-ideal";

/// The demo profile, from its file when there is one (the analyst may have
/// edited it), else the world's, saved there.
pub fn demo_profile(config_dir: &std::path::Path) -> Result<crate::icp::IcpProfile> {
    if let Ok(p) = crate::icp::IcpProfile::load(config_dir, DEMO_PROFILE) {
        return Ok(p);
    }
    let mut p = crate::fixture_site::World::ideal_profile();
    p.name = DEMO_PROFILE.into();
    p.save(config_dir)?;
    Ok(p)
}

pub fn demo_params(d: DemoWorld, politeness: bool) -> JobParams {
    JobParams {
        profile: Some(DEMO_PROFILE.into()),
        associations: world_of(d).associations_file(d.with_selectors).associations,
        politeness,
        backoff_min_ms: 100,
        demo: Some(d),
        // The demo's company sites live on loopback.
        allow_private_sites: true,
        ..Default::default()
    }
}

/// Runs a `full` job over the fixture world into `req.db`.
pub async fn run_demo(
    cfg: &Config,
    req: &DemoRequest,
    events: EventSender,
    control: RunControl,
) -> Result<RunSummary> {
    let run = RunRequest {
        db: req.db.clone(),
        kind: "demo".into(),
        mode: JobMode::Full,
        params: demo_params(req.world, req.politeness),
        dry_run: false,
        resume: None,
        config_path: None,
    };
    super::run(cfg, run, events, control).await
}
