//! Jobs, their per-phase checkpoints, the process that owns each, and the
//! pause/resume/cancel requests other nam processes leave for them.

use anyhow::{Result, bail};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::model::{JobMode, JobStatus, Phase, PhaseStatus, now_string};

#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub mode: JobMode,
    pub status: JobStatus,
    pub phase: Option<Phase>,
    pub params: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseRow {
    pub phase: Phase,
    pub status: PhaseStatus,
    pub done: i64,
    pub total: Option<i64>,
    pub cursor: Option<String>,
    pub stats: String,
}

/// A job to create.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub mode: JobMode,
    pub params_json: &'a str,
}

/// What another process asks of a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobControl {
    Pause,
    Resume,
    Cancel,
}

impl JobControl {
    pub fn as_str(self) -> &'static str {
        match self {
            JobControl::Pause => "pause",
            JobControl::Resume => "resume",
            JobControl::Cancel => "cancel",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pause" => Some(JobControl::Pause),
            "resume" => Some(JobControl::Resume),
            "cancel" => Some(JobControl::Cancel),
            _ => None,
        }
    }
}

/// Progress and resume cursor of a running phase.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint<'a> {
    pub done: i64,
    pub total: Option<i64>,
    pub cursor: Option<&'a str>,
}

/// This process as the owner of a job: its pid and, on Linux, its start
/// time, so a recycled pid is not mistaken for the original process.
pub fn process_token() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_time(pid).unwrap_or_default())
}

#[cfg(target_os = "linux")]
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime) counts from after the parenthesised command name,
    // which may itself contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_owned)
}

#[cfg(not(target_os = "linux"))]
fn start_time(_pid: u32) -> Option<String> {
    None
}

/// Whether the process a token names still runs.
fn process_alive(token: &str) -> bool {
    let Some((pid, started)) = token.split_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if pid == std::process::id() {
        return started == start_time(pid).unwrap_or_default();
    }
    alive_elsewhere(pid, started)
}

#[cfg(target_os = "linux")]
fn alive_elsewhere(pid: u32, started: &str) -> bool {
    match start_time(pid) {
        Some(now) => started.is_empty() || now == started,
        None => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn alive_elsewhere(_pid: u32, _started: &str) -> bool {
    // Without /proc we cannot tell; a job is then shown as running until
    // it is resumed or its heartbeat is read by a person.
    true
}

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    let mode: String = r.get(2)?;
    let status: String = r.get(3)?;
    let phase: Option<String> = r.get(4)?;
    Ok(JobRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        mode: JobMode::parse(&mode).unwrap_or(JobMode::Full),
        status: JobStatus::parse(&status).unwrap_or(JobStatus::Failed),
        phase: phase.as_deref().and_then(Phase::parse),
        params: r.get(5)?,
        error: r.get(6)?,
        created_at: r.get(7)?,
        finished_at: r.get(8)?,
    })
}

const JOB_COLUMNS: &str = "id, kind, mode, status, phase, params, error, created_at, finished_at";

impl Store {
    /// Creates a running job owned by this process.
    pub fn create_job(&self, job: &NewJob<'_>) -> Result<i64> {
        let now = now_string();
        self.conn().execute(
            "INSERT INTO extraction_jobs (kind, mode, status, params, owner, created_at, started_at, heartbeat_at)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?5, ?5)",
            params![job.kind, job.mode.as_str(), job.params_json, process_token(), now],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Takes over an unfinished job for this process (`--resume`).
    pub fn adopt_job(&self, job_id: i64) -> Result<JobRow> {
        let Some(job) = self.job(job_id)? else {
            bail!("there is no job {job_id} (see `nam jobs`)");
        };
        if matches!(job.status, JobStatus::Running | JobStatus::Paused) {
            bail!(
                "job {job_id} is {} in another nam process; pause or cancel it with `nam jobs`",
                job.status
            );
        }
        self.conn().execute(
            "UPDATE extraction_jobs SET status = 'running', owner = ?2, control = NULL,
                 error = NULL, finished_at = NULL, heartbeat_at = ?3
             WHERE id = ?1",
            params![job_id, process_token(), now_string()],
        )?;
        Ok(job)
    }

    /// Marks `phase` as running and makes it the job's current phase.
    pub fn start_phase(&self, job_id: i64, phase: Phase) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "INSERT INTO job_phases (job_id, phase, status, started_at, updated_at)
             VALUES (?1, ?2, 'running', ?3, ?3)
             ON CONFLICT (job_id, phase) DO UPDATE SET status = 'running', updated_at = ?3",
            params![job_id, phase.as_str(), now],
        )?;
        self.conn().execute(
            "UPDATE extraction_jobs SET phase = ?2, heartbeat_at = ?3 WHERE id = ?1",
            params![job_id, phase.as_str(), now],
        )?;
        Ok(())
    }

    /// Records progress and the resume cursor of a running phase.
    pub fn checkpoint(&self, job_id: i64, phase: Phase, c: &Checkpoint<'_>) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "UPDATE job_phases SET done = ?3, total = ?4, cursor = coalesce(?5, cursor), updated_at = ?6
             WHERE job_id = ?1 AND phase = ?2",
            params![job_id, phase.as_str(), c.done, c.total, c.cursor, now],
        )?;
        self.conn().execute(
            "UPDATE extraction_jobs SET heartbeat_at = ?2 WHERE id = ?1",
            params![job_id, now],
        )?;
        Ok(())
    }

    pub fn finish_phase(
        &self,
        job_id: i64,
        phase: Phase,
        status: PhaseStatus,
        stats_json: &str,
    ) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "INSERT INTO job_phases (job_id, phase, status, stats, started_at, finished_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)
             ON CONFLICT (job_id, phase) DO UPDATE SET status = ?3, stats = ?4, finished_at = ?5, updated_at = ?5",
            params![job_id, phase.as_str(), status.as_str(), stats_json, now],
        )?;
        Ok(())
    }

    /// The stored status of one phase of a job, if it ran.
    pub fn phase_status(&self, job_id: i64, phase: Phase) -> Result<Option<PhaseStatus>> {
        let s: Option<String> = self
            .conn()
            .query_row(
                "SELECT status FROM job_phases WHERE job_id = ?1 AND phase = ?2",
                params![job_id, phase.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(s.as_deref().and_then(PhaseStatus::parse))
    }

    /// The resume cursor a phase of a job left, if any.
    pub fn phase_cursor(&self, job_id: i64, phase: Phase) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT cursor FROM job_phases WHERE job_id = ?1 AND phase = ?2",
                params![job_id, phase.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// A job's phases in pipeline order.
    pub fn phases(&self, job_id: i64) -> Result<Vec<PhaseRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT phase, status, done, total, cursor, stats FROM job_phases WHERE job_id = ?1",
        )?;
        let rows = stmt.query_map([job_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (phase, status, done, total, cursor, stats) = row?;
            let (Some(phase), Some(status)) = (Phase::parse(&phase), PhaseStatus::parse(&status))
            else {
                continue;
            };
            out.push(PhaseRow {
                phase,
                status,
                done,
                total,
                cursor,
                stats,
            });
        }
        out.sort_by_key(|p| p.phase);
        Ok(out)
    }

    pub fn set_job_status(&self, job_id: i64, status: JobStatus) -> Result<()> {
        self.conn().execute(
            "UPDATE extraction_jobs SET status = ?2, heartbeat_at = ?3 WHERE id = ?1",
            params![job_id, status.as_str(), now_string()],
        )?;
        Ok(())
    }

    pub fn finish_job(&self, job_id: i64, status: JobStatus, error: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE extraction_jobs SET status = ?2, error = ?3, finished_at = ?4, control = NULL
             WHERE id = ?1",
            params![job_id, status.as_str(), error, now_string()],
        )?;
        Ok(())
    }

    pub fn job(&self, job_id: i64) -> Result<Option<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM extraction_jobs WHERE id = ?1");
        Ok(self.conn().query_row(&sql, [job_id], job_row).optional()?)
    }

    pub fn jobs(&self, limit: usize) -> Result<Vec<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM extraction_jobs ORDER BY id DESC LIMIT ?1");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([limit as i64], job_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Leaves a request for the process running `job_id`. Fails when the
    /// job is not running or paused in a live process.
    pub fn request_control(&self, job_id: i64, control: JobControl) -> Result<()> {
        self.mark_interrupted_jobs()?;
        let Some(job) = self.job(job_id)? else {
            bail!("there is no job {job_id} (see `nam jobs`)");
        };
        if !matches!(job.status, JobStatus::Running | JobStatus::Paused) {
            bail!(
                "job {job_id} is {}, not running{}",
                job.status,
                if job.status.resumable() {
                    format!("; continue it with `nam run --resume {job_id}`")
                } else {
                    String::new()
                }
            );
        }
        // A pending cancel is not overwritten by a later pause or resume.
        self.conn().execute(
            "UPDATE extraction_jobs SET control = ?2
             WHERE id = ?1 AND (control IS NULL OR control != 'cancel')",
            params![job_id, control.as_str()],
        )?;
        Ok(())
    }

    /// The pending request for `job_id`, cleared as it is read.
    pub fn take_control(&self, job_id: i64) -> Result<Option<JobControl>> {
        let c = self.peek_control(job_id)?;
        if c.is_some() {
            self.conn().execute(
                "UPDATE extraction_jobs SET control = NULL WHERE id = ?1",
                [job_id],
            )?;
        }
        Ok(c)
    }

    /// The pending request for `job_id`, left in place (read-only callers).
    pub fn peek_control(&self, job_id: i64) -> Result<Option<JobControl>> {
        let c: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT control FROM extraction_jobs WHERE id = ?1",
                [job_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(c.flatten().as_deref().and_then(JobControl::parse))
    }

    /// A job running or paused in a live process, other than `except`.
    pub fn live_job(&self, except: Option<i64>) -> Result<Option<i64>> {
        self.mark_interrupted_jobs()?;
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM extraction_jobs WHERE status IN ('running', 'paused')
                   AND id IS NOT ?1 ORDER BY id LIMIT 1",
                [except],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Running or paused jobs whose process is gone become `interrupted`.
    pub fn mark_interrupted_jobs(&self) -> Result<usize> {
        let mut stmt = self.conn().prepare(
            "SELECT id, owner FROM extraction_jobs WHERE status IN ('running', 'paused')",
        )?;
        let live: Vec<(i64, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut n = 0;
        for (id, owner) in live {
            if owner.as_deref().is_some_and(process_alive) {
                continue;
            }
            n += self.conn().execute(
                "UPDATE extraction_jobs SET status = 'interrupted', control = NULL,
                     error = coalesce(error, 'the process running it ended without finishing')
                 WHERE id = ?1 AND status IN ('running', 'paused')",
                [id],
            )?;
        }
        Ok(n)
    }

    pub fn job_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM extraction_jobs", [], |r| r.get(0))?)
    }

    #[cfg(test)]
    pub(crate) fn create_job_for_test(&self, kind: &str) -> Result<()> {
        self.create_job(&NewJob {
            kind,
            mode: JobMode::Full,
            params_json: "{}",
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_of_a_dead_process_reads_as_interrupted_on_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let store = Store::open(&path).unwrap();
        let mine = store
            .create_job(&NewJob {
                kind: "run",
                mode: JobMode::Full,
                params_json: "{}",
            })
            .unwrap();
        let dead = store
            .create_job(&NewJob {
                kind: "run",
                mode: JobMode::Full,
                params_json: "{}",
            })
            .unwrap();
        // A pid far above any real one stands for a process that is gone.
        store
            .conn()
            .execute(
                "UPDATE extraction_jobs SET owner = '4000000000:1' WHERE id = ?1",
                [dead],
            )
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.job(mine).unwrap().unwrap().status, JobStatus::Running);
        let d = store.job(dead).unwrap().unwrap();
        assert_eq!(d.status, JobStatus::Interrupted);
        assert!(d.error.unwrap().contains("ended without finishing"));
        // Control requests only reach live jobs.
        assert!(store.request_control(dead, JobControl::Pause).is_err());
        store.request_control(mine, JobControl::Pause).unwrap();
        assert_eq!(store.peek_control(mine).unwrap(), Some(JobControl::Pause));
        assert_eq!(store.take_control(mine).unwrap(), Some(JobControl::Pause));
        assert_eq!(store.take_control(mine).unwrap(), None);
        // A cancel is not undone by a pause sent right after it.
        store.request_control(mine, JobControl::Cancel).unwrap();
        store.request_control(mine, JobControl::Pause).unwrap();
        assert_eq!(store.take_control(mine).unwrap(), Some(JobControl::Cancel));
        assert_eq!(store.live_job(None).unwrap(), Some(mine));
        assert_eq!(store.live_job(Some(mine)).unwrap(), None);
        // Resuming adopts the interrupted job.
        store.adopt_job(dead).unwrap();
        assert_eq!(store.job(dead).unwrap().unwrap().status, JobStatus::Running);
        assert!(
            store.adopt_job(mine).is_err(),
            "a live job cannot be adopted"
        );
    }

    #[test]
    fn migration_keeps_old_jobs_and_their_phases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // A database at schema 2 with one job and one phase row.
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "foreign_keys", "ON").unwrap();
            let m = rusqlite_migration::Migrations::new(
                super::super::MIGRATION_SQL[..2]
                    .iter()
                    .map(|(_, sql)| rusqlite_migration::M::up(sql))
                    .collect(),
            );
            m.to_latest(&mut conn).unwrap();
            conn.execute_batch(
                "INSERT INTO extraction_jobs (id, kind, status, created_at) VALUES (7, 'run', 'completed', 'x');
                 INSERT INTO job_phases (job_id, phase, status) VALUES (7, 'init', 'completed');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let j = store.job(7).unwrap().unwrap();
        assert_eq!(j.status, JobStatus::Completed);
        assert_eq!(j.mode, JobMode::Full);
        assert_eq!(store.phases(7).unwrap().len(), 1, "phase rows survive");
        assert!(store.foreign_keys_enabled().unwrap());
    }
}
