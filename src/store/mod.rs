//! The SQLite layer. All SQL lives here, as methods of [`Store`], with bound
//! parameters; one file per aggregate.

mod analysis;
mod baselines;
mod browse;
mod companies;
pub mod crawl;
mod detail;
pub mod enrichment;
mod events;
mod export;
pub mod extraction;
mod graph;
pub mod icp;
mod import;
mod jobs;
mod memberships;
pub mod provenance;
mod quality;
mod resolution;
mod search_feed;
pub mod targets;
mod workbench;
mod writer;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use rusqlite_migration::{M, Migrations};

pub use baselines::{BaselineRow, BaselineWrite, DriftAlertRow, DriftAlertWrite, MonitorPage};
pub use browse::{
    BrowseFilter, CompanyListRow, CompanySort, PageKey, PageRequest, SMALL_SET, SortOrder,
};
pub use companies::CompanyFilter;
pub use detail::{ContactLine, EventLine};
pub use enrichment::{EnrichmentRecord, EnrichmentTarget, LeadContact};
pub use export::{
    Cell, CompanyLists, ExportColumn, ExportFilter, ExportKind, ExportPart, ExportSource,
    LIST_SEPARATOR, NewContact,
};
pub use extraction::ExtractionPage;
pub use graph::{GraphCounts, RelationLine, SiteScan, SiteTarget};
pub use icp::StoredIcpScore;
pub use import::{BulkImport, BulkImportStats, BulkOptions, ImportRecord};
pub use jobs::{Checkpoint, JobControl, JobRow, NewJob, PhaseRow, process_token};
pub use memberships::{MembershipRow, UPSERT_MEMBERSHIP_SQL, record_key};
pub use quality::{
    AuditRow, MembershipEvidence, QualityAuditEntry, QualityBatch, QualityCandidate, QualityWrite,
    QualityWriteOutcome, Twin,
};
pub use resolution::{LinkTables, MergeRecord, PairWrite};
pub use search_feed::{SearchFeedItem, SearchRow, SearchWatermark};
pub use targets::{NewProspectLead, NewTarget, ProspectLeadRow, RunGaps, SiteCompany, TargetRow};
pub use workbench::{
    ALL_ASSOCIATIONS, AssociationQuality, COMPLETENESS_FIELDS, DeadLetterRow, ExportRun,
    GRADE_LETTERS, NewExportRun, NewProviderUsage, NewSignal, ProviderUsage, SignalGroup,
    SignalGroupBy, SignalRow,
};
pub use writer::{MAX_BATCH, Writer, WriterStats};

/// Migrations embedded from `schema/`, applied in order; the applied count is
/// recorded in SQLite's `user_version`.
pub(crate) const MIGRATION_SQL: &[(&str, &str)] = &[
    ("0001_init.sql", include_str!("../../schema/0001_init.sql")),
    (
        "0002_crawl_budget.sql",
        include_str!("../../schema/0002_crawl_budget.sql"),
    ),
    ("0003_jobs.sql", include_str!("../../schema/0003_jobs.sql")),
    (
        "0004_monitor.sql",
        include_str!("../../schema/0004_monitor.sql"),
    ),
    (
        "0005_resolution.sql",
        include_str!("../../schema/0005_resolution.sql"),
    ),
    (
        "0006_browse.sql",
        include_str!("../../schema/0006_browse.sql"),
    ),
    (
        "0007_export_log.sql",
        include_str!("../../schema/0007_export_log.sql"),
    ),
    (
        "0008_review_queue.sql",
        include_str!("../../schema/0008_review_queue.sql"),
    ),
    (
        "0009_signals_graph.sql",
        include_str!("../../schema/0009_signals_graph.sql"),
    ),
    (
        "0010_enrichment.sql",
        include_str!("../../schema/0010_enrichment.sql"),
    ),
    (
        "0011_prospecting.sql",
        include_str!("../../schema/0011_prospecting.sql"),
    ),
    (
        "0012_lean_import.sql",
        include_str!("../../schema/0012_lean_import.sql"),
    ),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATION_SQL.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// Applies pending migrations with foreign keys off, as SQLite's recipe for
/// rebuilding a table asks (a rebuilt parent must not cascade into its
/// children), then checks the keys and turns them back on.
fn migrate(conn: &mut Connection) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let result = migrations().to_latest(conn);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result?;
    let broken: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        bail!("{broken} rows break foreign keys after migrating");
    }
    Ok(())
}

/// Number of migrations this binary knows.
pub fn schema_version() -> usize {
    MIGRATION_SQL.len()
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses files that exist, are not empty and are not SQLite databases, before
/// SQLite gets a chance to touch them.
fn ensure_sqlite_file(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return Ok(()); // does not exist (yet)
    };
    let mut head = [0u8; 16];
    let n = f
        .read(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    if n == 0 {
        return Ok(());
    }
    if n < 16 || &head != SQLITE_MAGIC {
        bail!(
            "{} is not a SQLite database (wrong file header); nothing was changed",
            path.display()
        );
    }
    Ok(())
}

/// The database. Owns one connection; the pipeline's writer holds one, readers
/// (TUI panes, exports) open their own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` in WAL mode with
    /// foreign keys on, and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating database directory {}", parent.display()))?;
        }
        ensure_sqlite_file(path)?;
        let mut conn = Connection::open(path)
            .with_context(|| format!("opening database {}", path.display()))?;
        Self::configure(&conn).with_context(|| format!("opening database {}", path.display()))?;
        let current: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map(|v| v.max(0) as usize)
            .with_context(|| format!("reading schema version of {}", path.display()))?;
        if current > schema_version() {
            bail!(
                "{} has schema version {current}, newer than this nam understands ({}); upgrade nam",
                path.display(),
                schema_version()
            );
        }
        // Only a database behind this binary's schema is migrated: the
        // foreign-key check after migrating reads every table, which a
        // million-company store should not pay on every open.
        if current < schema_version() {
            migrate(&mut conn).with_context(|| format!("migrating database {}", path.display()))?;
        }
        let store = Self {
            conn,
            path: path.to_path_buf(),
        };
        // A job whose process died is shown as such from now on.
        let n = store.mark_interrupted_jobs()?;
        if n > 0 {
            tracing::info!(jobs = n, "marked jobs of dead processes as interrupted");
        }
        Ok(store)
    }

    /// Opens an existing database for reading only (no migration).
    pub fn open_readonly(path: &Path) -> Result<Self> {
        if !path.exists() {
            bail!("database {} does not exist", path.display());
        }
        ensure_sqlite_file(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn configure(conn: &Connection) -> rusqlite::Result<()> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            tracing::warn!(mode, "database is not in WAL mode");
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the store's own modules only: SQL lives here.
    fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Tuning for the writer: a larger page cache, so big batches reach the
    /// WAL once, at commit, instead of page by page; and the per-operation
    /// savepoint journals in memory rather than in a temporary file.
    pub(crate) fn tune_for_writing(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -65_536)?; // KiB: 64 MiB
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(())
    }

    /// Starts a writer batch. Foreign keys are checked at commit: a batch
    /// lands or fails whole anyway, and deferred checks spare SQLite a
    /// statement journal per insert.
    pub(crate) fn begin_immediate(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON;")?;
        Ok(())
    }

    pub(crate) fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    pub(crate) fn rollback_quietly(&self) {
        if self.conn.is_autocommit() {
            return;
        }
        if let Err(e) = self.conn.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "rollback failed");
        }
    }

    /// Runs `op` under a savepoint: on error its writes are undone and the
    /// surrounding transaction goes on.
    pub(crate) fn savepoint(&self, op: impl FnOnce(&Store) -> Result<()>) -> Result<()> {
        self.conn.execute_batch("SAVEPOINT op")?;
        match op(self) {
            Ok(()) => {
                self.conn.execute_batch("RELEASE op")?;
                Ok(())
            }
            Err(e) => {
                if let Err(rb) = self.conn.execute_batch("ROLLBACK TO op; RELEASE op") {
                    tracing::error!(error = %rb, "rollback to savepoint failed");
                }
                Err(e)
            }
        }
    }

    /// Rows of a read-only query as text (NULL as `None`), for tests and
    /// diagnostics. Refuses statements that would write.
    pub fn debug_query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let mut st = self.conn.prepare(sql)?;
        if !st.readonly() {
            bail!("debug_query runs read-only statements only");
        }
        let n = st.column_count();
        let rows = st.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Text(t) => {
                            Some(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(b) => Some(hex::encode(b)),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Runs `f` in one transaction: all of it lands or none does.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rb) = self.conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %rb, "rollback failed");
                }
                Err(e)
            }
        }
    }

    /// `user_version`: how many migrations are applied.
    pub fn applied_migrations(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(v.max(0) as usize)
    }

    pub fn journal_mode(&self) -> Result<String> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?)
    }

    pub fn foreign_keys_enabled(&self) -> Result<bool> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
        Ok(v == 1)
    }

    /// Row counts of the main tables, for `nam db stats`.
    pub fn stats(&self) -> Result<Vec<(&'static str, i64)>> {
        // Table names cannot be bound parameters; each query is a fixed literal.
        const QUERIES: &[(&str, &str)] = &[
            ("companies", "SELECT count(*) FROM companies"),
            (
                "association_memberships",
                "SELECT count(*) FROM association_memberships",
            ),
            ("contacts", "SELECT count(*) FROM contacts"),
            ("events", "SELECT count(*) FROM events"),
            (
                "event_participants",
                "SELECT count(*) FROM event_participants",
            ),
            ("pages", "SELECT count(*) FROM pages"),
            ("url_queue", "SELECT count(*) FROM url_queue"),
            ("dead_letter", "SELECT count(*) FROM dead_letter"),
            (
                "competitor_signals",
                "SELECT count(*) FROM competitor_signals",
            ),
            (
                "entity_relationships",
                "SELECT count(*) FROM entity_relationships",
            ),
            ("merge_candidates", "SELECT count(*) FROM merge_candidates"),
            ("merge_decisions", "SELECT count(*) FROM merge_decisions"),
            ("extraction_jobs", "SELECT count(*) FROM extraction_jobs"),
        ];
        QUERIES
            .iter()
            .map(|(name, sql)| Ok((*name, self.conn.query_row(sql, [], |r| r.get(0))?)))
            .collect()
    }

    /// Copies the live database to `dest` with SQLite's online backup API, so
    /// a backup taken while the pipeline writes is still consistent.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            bail!(
                "backup target {} already exists; choose a new file",
                dest.display()
            );
        }
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = Connection::open(dest)
            .with_context(|| format!("creating backup file {}", dest.display()))?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
        backup
            .run_to_completion(256, std::time::Duration::from_millis(0), None)
            .with_context(|| format!("writing backup {}", dest.display()))?;
        Ok(())
    }

    /// Replaces this database's content with the backup at `src` after checking
    /// that `src` is a sound nam database. The current content is first saved
    /// next to the database, so a restore never loses work; that path is returned.
    pub fn restore_from(&mut self, src: &Path) -> Result<PathBuf> {
        let report = check(src)?;
        if !report.is_ok() {
            bail!(
                "{} failed its integrity check: {}",
                src.display(),
                report.problems.join("; ")
            );
        }
        if report.schema_version > schema_version() {
            bail!(
                "{} was written by a newer nam (schema {})",
                src.display(),
                report.schema_version
            );
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let safety = self
            .path
            .with_extension(format!("before-restore-{stamp}.db"));
        self.backup_to(&safety)?;
        let source = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        {
            let backup = rusqlite::backup::Backup::new(&source, &mut self.conn)?;
            backup
                .run_to_completion(256, std::time::Duration::from_millis(0), None)
                .with_context(|| format!("restoring from {}", src.display()))?;
        }
        migrate(&mut self.conn)?;
        Ok(safety)
    }
}

/// Result of `nam db check`.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub path: PathBuf,
    pub schema_version: usize,
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a database file without modifying it: header, integrity, foreign
/// keys, schema version. Errors (rather than a report) when the file is not a
/// SQLite database at all.
pub fn check(path: &Path) -> Result<CheckReport> {
    if !path.exists() {
        bail!("database {} does not exist", path.display());
    }
    ensure_sqlite_file(path)?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    let not_db = |e: rusqlite::Error| {
        anyhow::anyhow!("{} is not a readable SQLite database: {e}", path.display())
    };
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(not_db)?;
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(not_db)?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(not_db)?
        .collect::<rusqlite::Result<_>>()
        .map_err(not_db)?;
    problems.extend(rows.into_iter().filter(|r| r != "ok"));
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").map_err(not_db)?;
    let fk: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "foreign key violation in {}",
                r.get::<_, String>(0)?
            ))
        })
        .map_err(not_db)?
        .collect::<rusqlite::Result<_>>()
        .map_err(not_db)?;
    problems.extend(fk);
    let has_companies: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'companies'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(not_db)?;
    if has_companies.is_none() {
        problems.push("no nam schema (table companies missing)".into());
    }
    Ok(CheckReport {
        path: path.to_path_buf(),
        schema_version: version.max(0) as usize,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_open_applies_all_migrations_in_wal_with_fk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/nam.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.applied_migrations().unwrap(), schema_version());
        assert_eq!(store.journal_mode().unwrap().to_lowercase(), "wal");
        assert!(store.foreign_keys_enabled().unwrap());
        drop(store);
        // Re-open: nothing re-applied, nothing lost.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.applied_migrations().unwrap(), schema_version());
        let views: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN
                 ('company_summary','job_summary','event_summary','competitor_report')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(views, 4);
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn refuses_non_sqlite_file_without_touching_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(&path, b"hello, this is not a database at all").unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(format!("{err:#}").contains("not a SQLite database"));
        let err = check(&path).unwrap_err();
        assert!(format!("{err:#}").contains(&path.display().to_string()));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nam.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(format!("{err:#}").contains("newer"));
    }

    #[test]
    fn check_reports_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nam.db");
        {
            let store = Store::open(&path).unwrap();
            for i in 0..300 {
                store
                    .conn()
                    .execute(
                        "INSERT INTO quality_audit_log (entity_type, entity_id, check_name, outcome, detail, created_at)
                         VALUES ('company', ?1, 'x', 'pass', ?2, 'now')",
                        rusqlite::params![i, "x".repeat(200)],
                    )
                    .unwrap();
            }
            store
                .conn()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
        }
        assert!(check(&path).unwrap().is_ok());
        // Scribble over the middle of the file, keeping the header intact.
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 8192] {
            *b = 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        let result = check(&path);
        match result {
            Ok(report) => assert!(!report.is_ok(), "corruption not detected"),
            Err(e) => assert!(format!("{e:#}").contains("nam.db")),
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "check modified the file"
        );
    }

    #[test]
    fn backup_and_restore_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nam.db");
        let backup = dir.path().join("backup.db");
        let mut store = Store::open(&path).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO companies (name, name_key, domain, created_at, updated_at)
                 VALUES ('Acme', 'acme', 'acme.example', 'now', 'now')",
                [],
            )
            .unwrap();
        store.backup_to(&backup).unwrap();
        assert!(
            store.backup_to(&backup).is_err(),
            "must not overwrite a backup"
        );
        store.conn().execute("DELETE FROM companies", []).unwrap();
        let safety = store.restore_from(&backup).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM companies", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // The pre-restore state was kept.
        let saved = Store::open_readonly(&safety).unwrap();
        let n: i64 = saved
            .conn()
            .query_row("SELECT count(*) FROM companies", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
