//! What several end-to-end tests share: a job request against a fixture
//! world served on loopback, and running it to the end.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use nam::config::Config;
use nam::fixture_site::{FixtureServer, World};
use nam::model::{JobMode, PipelineEvent, RunControl, event_channel};
use nam::pipeline::{JobParams, RunRequest, RunSummary, run};

/// A `mode` job over every association of `world`, served by `server`,
/// without politeness delays, into `db`.
pub fn request(db: &Path, server: &FixtureServer, world: &World, mode: JobMode) -> RunRequest {
    RunRequest {
        db: db.to_path_buf(),
        kind: "run".into(),
        mode,
        params: JobParams {
            associations: world.associations_file(false).associations,
            politeness: false,
            resolve: Some(format!("example={}", server.addr())),
            backoff_min_ms: 50,
            ..Default::default()
        },
        dry_run: false,
        resume: None,
        config_path: Some(db.with_extension("toml")),
    }
}

/// Runs the job to the end; its summary and every event it sent.
pub async fn run_collecting(req: RunRequest) -> (RunSummary, Vec<PipelineEvent>) {
    let (tx, mut rx) = event_channel(100_000);
    let summary = run(&Config::default(), req, tx, RunControl::new())
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(e) = rx.try_recv() {
        events.push(e);
    }
    (summary, events)
}
