//! The INIT health check (phase 1 of DESIGN.md) behind `nam doctor`: config,
//! disk space, database integrity, provider keys, association files. Each
//! check is one line a person can act on; a `Blocking` one means a run would
//! fail or damage data, so it must not start.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::config::{AssociationsFile, Config, Paths};
use crate::secrets::{Backend, Secrets};
use crate::store::{self, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Works, but not as well as it could (no keyring, unknown free space).
    Warn,
    /// A run must not start until this is fixed.
    Blocking,
}

impl CheckStatus {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Blocking => "BLOCKING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub name: String,
    pub status: CheckStatus,
    /// One human sentence; never a key value, masked or not.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HealthReport {
    pub checks: Vec<HealthCheck>,
}

impl HealthReport {
    pub fn blocking(&self) -> Vec<&HealthCheck> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Blocking)
            .collect()
    }

    pub fn is_blocking(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.status == CheckStatus::Blocking)
    }

    pub fn to_json(&self) -> String {
        // Serializing plain strings and enums cannot fail; if it ever does,
        // the output is still JSON and says why.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            serde_json::json!({ "error": format!("cannot serialize the health report: {e}") })
                .to_string()
        })
    }

    /// One line per check: `disk         ok: 41.2 GB free in /path (minimum 0.5 GB)`.
    pub fn render_human(&self) -> String {
        self.checks
            .iter()
            .map(|c| format!("{:<13}{}: {}\n", c.name, c.status.label(), c.detail))
            .collect()
    }
}

/// What the health check looks at. The optional overrides let tests run the
/// checks without depending on the machine.
pub struct HealthInput<'a> {
    pub paths: &'a Paths,
    /// `None`: the key store is not probed (reported as a warning).
    pub secrets: Option<&'a Secrets>,
    /// Free bytes below which the disk check blocks (`health.min_free_disk_mb`).
    pub min_free_bytes: u64,
    /// Replaces the measured free space, for tests.
    pub free_space_override: Option<u64>,
}

impl<'a> HealthInput<'a> {
    pub fn new(paths: &'a Paths, secrets: Option<&'a Secrets>, min_free_bytes: u64) -> Self {
        Self {
            paths,
            secrets,
            min_free_bytes,
            free_space_override: None,
        }
    }
}

/// Runs every check. Never fails: a check that cannot run says so in its line.
pub fn check(input: &HealthInput<'_>) -> HealthReport {
    let (config_check, cfg) = check_config(&input.paths.config);
    HealthReport {
        checks: vec![
            config_check,
            check_disk(input),
            check_database(&input.paths.db),
            check_keys(input.secrets),
            check_associations(cfg.as_ref()),
        ],
    }
}

/// The drift alerts MONITOR stored and nobody acknowledged yet, one line
/// each, newest first, for `nam doctor`.
pub fn drift_alert_lines(store: &Store) -> Result<Vec<String>> {
    Ok(store
        .drift_alerts(20, false)?
        .into_iter()
        .map(|a| {
            format!(
                "{}  {}  {}",
                a.created_at,
                a.association_code.as_deref().unwrap_or("-"),
                a.summary
            )
        })
        .collect())
}

fn line(name: &str, status: CheckStatus, detail: impl Into<String>) -> HealthCheck {
    // Messages from parsers and SQLite may span lines; a report line must not.
    let detail: String = detail.into();
    HealthCheck {
        name: name.to_string(),
        status,
        detail: detail.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn check_config(path: &Path) -> (HealthCheck, Option<Config>) {
    if !path.exists() {
        let detail = format!(
            "{} does not exist yet; it will be created with defaults",
            path.display()
        );
        return (line("config", CheckStatus::Ok, detail), None);
    }
    match Config::check_file(path) {
        Ok(cfg) => (
            line(
                "config",
                CheckStatus::Ok,
                format!("{} is valid", path.display()),
            ),
            Some(cfg),
        ),
        Err(problems) => {
            let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
            (line("config", CheckStatus::Blocking, all.join("; ")), None)
        }
    }
}

/// Bytes as a short human figure: GB with one decimal, MB below 0.1 GB.
fn human_bytes(bytes: u64) -> String {
    if bytes >= 100_000_000 {
        format!("{:.1} GB", bytes as f64 / 1e9)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// The database's directory, or its nearest existing ancestor when the
/// directory is not created yet: that is the filesystem it will land on.
fn existing_dir_for(db: &Path) -> PathBuf {
    let mut dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    while !dir.exists() {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
            _ => return PathBuf::from("."),
        }
    }
    dir
}

fn check_disk(input: &HealthInput<'_>) -> HealthCheck {
    let dir = existing_dir_for(&input.paths.db);
    let free = match input.free_space_override {
        Some(free) => free,
        None => match fs4::available_space(&dir) {
            Ok(free) => free,
            Err(e) => {
                return line(
                    "disk",
                    CheckStatus::Warn,
                    format!("cannot measure free space in {}: {e}", dir.display()),
                );
            }
        },
    };
    let min = human_bytes(input.min_free_bytes);
    if free < input.min_free_bytes {
        line(
            "disk",
            CheckStatus::Blocking,
            format!(
                "only {} free in {}, below the minimum of {min}; free some space or lower \
                 health.min_free_disk_mb in the config",
                human_bytes(free),
                dir.display()
            ),
        )
    } else {
        line(
            "disk",
            CheckStatus::Ok,
            format!(
                "{} free in {} (minimum {min})",
                human_bytes(free),
                dir.display()
            ),
        )
    }
}

fn check_database(db: &Path) -> HealthCheck {
    let name = "database";
    let Ok(meta) = std::fs::metadata(db) else {
        return line(
            name,
            CheckStatus::Ok,
            format!(
                "{} does not exist yet; it will be created on first use",
                db.display()
            ),
        );
    };
    // An empty file is what SQLite itself would create: opening it writes the schema.
    if meta.is_file() && meta.len() == 0 {
        return line(
            name,
            CheckStatus::Ok,
            format!(
                "{} is empty; the schema will be created on first use",
                db.display()
            ),
        );
    }
    let ours = store::schema_version();
    match store::check(db) {
        Err(e) => line(name, CheckStatus::Blocking, format!("{e:#}")),
        Ok(r) if !r.is_ok() => line(
            name,
            CheckStatus::Blocking,
            format!(
                "{} failed its integrity check ({} problem(s)): {}",
                db.display(),
                r.problems.len(),
                r.problems.join("; ")
            ),
        ),
        Ok(r) if r.schema_version > ours => line(
            name,
            CheckStatus::Blocking,
            format!(
                "{} has schema version {}, newer than this nam understands ({ours}); upgrade nam",
                db.display(),
                r.schema_version
            ),
        ),
        Ok(r) if r.schema_version < ours => line(
            name,
            CheckStatus::Ok,
            format!(
                "{} is sound; schema {} will be migrated to {ours} on next open",
                db.display(),
                r.schema_version
            ),
        ),
        Ok(r) => line(
            name,
            CheckStatus::Ok,
            format!("{} is sound (schema {})", db.display(), r.schema_version),
        ),
    }
}

fn check_keys(secrets: Option<&Secrets>) -> HealthCheck {
    let name = "keys";
    let Some(secrets) = secrets else {
        return line(name, CheckStatus::Warn, "key store not checked");
    };
    let backend = secrets.backend();
    let mut store = format!(
        "{}, survives reboot: {}",
        backend.store_name(),
        backend.persistence().label()
    );
    // Why a lesser store is in use is what a person needs to fix it.
    for r in secrets.rejected() {
        store.push_str(&format!(
            "; {} not chosen: {}",
            r.backend.store_name(),
            r.reason
        ));
    }
    let reports = match secrets.report() {
        Ok(l) => l,
        Err(e) => {
            return line(
                name,
                CheckStatus::Warn,
                format!("the key store ({store}) cannot be read: {e:#}"),
            );
        }
    };
    // Only the provider and the place are named: the (masked) value is dropped
    // here because this line is stored with the job, and no report, log or
    // screen built from it may show it.
    let found: Vec<String> = reports
        .into_iter()
        .filter_map(|r| {
            r.found.map(|k| {
                format!(
                    "{} ({}, survives reboot: {})",
                    r.provider,
                    k.place(),
                    k.persistence().label()
                )
            })
        })
        .collect();
    let status = if backend == Backend::EnvOnly {
        CheckStatus::Warn
    } else {
        CheckStatus::Ok
    };
    if found.is_empty() {
        line(
            name,
            status,
            format!("no provider keys: enrichment will use company websites only; store: {store}"),
        )
    } else {
        line(
            name,
            status,
            format!("{}; store: {store}", found.join(", ")),
        )
    }
}

fn check_associations(cfg: Option<&Config>) -> HealthCheck {
    let name = "associations";
    let bundled = match AssociationsFile::bundled() {
        Ok(f) => f.associations.len(),
        Err(e) => return line(name, CheckStatus::Blocking, format!("{e:#}")),
    };
    let files = cfg.map(|c| c.associations_files.as_slice()).unwrap_or(&[]);
    let mut extra = 0;
    for path in files {
        match AssociationsFile::load(path) {
            Ok(f) => extra += f.associations.len(),
            Err(e) => return line(name, CheckStatus::Blocking, format!("{e:#}")),
        }
    }
    let detail = if files.is_empty() {
        format!("{bundled} bundled associations")
    } else {
        format!(
            "{bundled} bundled associations plus {extra} from {} configured file(s)",
            files.len()
        )
    };
    line(name, CheckStatus::Ok, detail)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> Paths {
        Paths {
            db: dir.join("data/nam.db"),
            config: dir.join("config.toml"),
            log_dir: dir.join("logs"),
            data_dir: dir.join("data"),
        }
    }

    fn run(paths: &Paths, free: u64, secrets: Option<&Secrets>) -> HealthReport {
        check(&HealthInput {
            paths,
            secrets,
            min_free_bytes: 500_000_000,
            free_space_override: Some(free),
        })
    }

    fn get<'r>(r: &'r HealthReport, name: &str) -> &'r HealthCheck {
        r.checks.iter().find(|c| c.name == name).expect(name)
    }

    #[test]
    fn fresh_setup_is_not_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let r = run(&p, 10_000_000_000, None);
        assert!(!r.is_blocking(), "{}", r.render_human());
        assert_eq!(get(&r, "config").status, CheckStatus::Ok);
        assert!(get(&r, "config").detail.contains("created with defaults"));
        assert_eq!(get(&r, "database").status, CheckStatus::Ok);
        assert!(get(&r, "database").detail.contains("will be created"));
        assert_eq!(get(&r, "keys").status, CheckStatus::Warn);
        assert_eq!(get(&r, "keys").detail, "key store not checked");
        assert_eq!(get(&r, "associations").status, CheckStatus::Ok);
    }

    #[test]
    fn disk_below_minimum_blocks_and_says_how_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let r = run(&p, 200_000_000, None);
        let disk = get(&r, "disk");
        assert_eq!(disk.status, CheckStatus::Blocking);
        assert!(disk.detail.contains("0.2 GB"), "{}", disk.detail);
        assert!(disk.detail.contains("0.5 GB"), "{}", disk.detail);
        assert!(disk.detail.contains("health.min_free_disk_mb"));
        // The data dir does not exist yet: the nearest existing ancestor is measured.
        assert!(disk.detail.contains(&dir.path().display().to_string()));
        assert_eq!(r.blocking(), vec![disk]);

        let r = run(&p, 41_200_000_000, None);
        let disk = get(&r, "disk");
        assert_eq!(disk.status, CheckStatus::Ok);
        assert!(
            disk.detail.starts_with("41.2 GB free in "),
            "{}",
            disk.detail
        );
        assert!(disk.detail.ends_with("(minimum 0.5 GB)"));
    }

    #[test]
    fn real_free_space_is_measured_when_not_injected() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let input = HealthInput::new(&p, None, 0);
        assert_eq!(get(&check(&input), "disk").status, CheckStatus::Ok);
        let input = HealthInput::new(&p, None, u64::MAX);
        assert_eq!(get(&check(&input), "disk").status, CheckStatus::Blocking);
    }

    #[test]
    fn garbage_database_blocks_and_sound_one_passes() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        std::fs::create_dir_all(&p.data_dir).unwrap();
        std::fs::write(&p.db, b"\x00\x01garbage bytes, certainly not SQLite\xff").unwrap();
        let r = run(&p, u64::MAX, None);
        let db = get(&r, "database");
        assert_eq!(db.status, CheckStatus::Blocking);
        assert!(db.detail.contains("not a SQLite database"), "{}", db.detail);

        std::fs::remove_file(&p.db).unwrap();
        drop(Store::open(&p.db).unwrap());
        let r = run(&p, u64::MAX, None);
        assert_eq!(get(&r, "database").status, CheckStatus::Ok);
        assert!(get(&r, "database").detail.contains("is sound"));

        let conn = rusqlite::Connection::open(&p.db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        let r = run(&p, u64::MAX, None);
        let db = get(&r, "database");
        assert_eq!(db.status, CheckStatus::Blocking);
        assert!(db.detail.contains("newer"), "{}", db.detail);
    }

    #[test]
    fn config_syntax_error_reports_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        std::fs::write(&p.config, "[crawl]\nmax_retries = 3\ntimeout_secs = [1,\n").unwrap();
        let r = run(&p, u64::MAX, None);
        let c = get(&r, "config");
        assert_eq!(c.status, CheckStatus::Blocking);
        let at = format!("{}:3:", p.config.display());
        assert!(c.detail.contains(&at), "{}", c.detail);
        assert!(!c.detail.contains('\n'));
    }

    #[test]
    fn config_semantic_error_reports_the_key_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        std::fs::write(
            &p.config,
            "# a comment\n[export]\nout_dir = \"x\"\n\n[crawl]\nassociation_rate = { per_second = -1.0 }\n",
        )
        .unwrap();
        let r = run(&p, u64::MAX, None);
        let c = get(&r, "config");
        assert_eq!(c.status, CheckStatus::Blocking);
        let at = format!("{}:6:", p.config.display());
        assert!(c.detail.contains(&at), "{}", c.detail);
        assert!(c.detail.contains("association_rate.per_second"));
    }

    #[test]
    fn broken_associations_file_blocks_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let extra = dir.path().join("extra.toml");
        std::fs::write(&extra, "[[association]]\ncode = \"X\"\n").unwrap();
        std::fs::write(
            &p.config,
            format!("associations_files = [{:?}]\n", extra.display().to_string()),
        )
        .unwrap();
        let r = run(&p, u64::MAX, None);
        let a = get(&r, "associations");
        assert_eq!(a.status, CheckStatus::Blocking);
        assert!(a.detail.contains("extra.toml"), "{}", a.detail);
    }

    #[test]
    fn keys_name_providers_never_values() {
        const KEY: &str = "sk-PLANTED-123";
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let secrets = Secrets::mock().unwrap();
        secrets.set("hunter", KEY).unwrap();
        let r = run(&p, u64::MAX, Some(&secrets));
        let keys = get(&r, "keys");
        assert_eq!(keys.status, CheckStatus::Ok);
        assert!(
            keys.detail
                .contains("hunter (mock store, survives reboot: no (process memory))"),
            "{}",
            keys.detail
        );
        for out in [r.to_json(), r.render_human()] {
            assert!(out.contains("hunter"));
            assert!(
                !out.contains(&crate::secrets::mask(KEY)),
                "masked key shown:\n{out}"
            );
            for len in 4..=KEY.len() {
                for start in 0..=KEY.len() - len {
                    let piece = &KEY[start..start + len];
                    assert!(!out.contains(piece), "output leaks {piece:?}:\n{out}");
                }
            }
        }
        let back: HealthReport = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert!(r.to_json().contains("\"status\": \"ok\""));
    }

    #[test]
    fn no_keys_is_keyless_mode_not_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let secrets = Secrets::mock().unwrap();
        let r = run(&p, u64::MAX, Some(&secrets));
        let keys = get(&r, "keys");
        // A provider variable set in the test environment would show up here.
        if crate::secrets::PROVIDERS
            .iter()
            .all(|(_, var)| std::env::var_os(var).is_none())
        {
            assert_eq!(keys.status, CheckStatus::Ok);
            assert!(
                keys.detail
                    .starts_with("no provider keys: enrichment will use company websites only"),
                "{}",
                keys.detail
            );
        }
    }
}
