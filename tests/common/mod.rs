//! What several end-to-end tests share: a job request against a fixture
//! world served on loopback, running it to the end, running the `nam`
//! binary in a home of its own, and reading the database it left.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

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

/// The `nam` binary with its database and config in `home`, and nothing of
/// the machine's own (XDG directories, session bus, `NAM_*` variables,
/// search and LLM keys) reaching it.
pub fn nam_in(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nam"));
    cmd.arg("--db")
        .arg(home.join("nam.db"))
        .arg("--config")
        .arg(home.join("config.toml"))
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("NAM_DB")
        .env_remove("NAM_CONFIG")
        .env_remove("NAM_TAVILY_API_KEY")
        .env_remove("NAM_OPENAI_API_KEY");
    cmd
}

/// Every row of `sql` on the database at `db`, each cell as text (NULL
/// as the empty string).
pub fn query(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut stmt = c.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, Option<rusqlite::types::Value>>(i)
                    .map(|v| match v {
                        Some(rusqlite::types::Value::Integer(i)) => i.to_string(),
                        Some(rusqlite::types::Value::Real(f)) => f.to_string(),
                        Some(rusqlite::types::Value::Text(t)) => t,
                        _ => String::new(),
                    })
            })
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}
