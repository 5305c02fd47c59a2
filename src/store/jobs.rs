//! Jobs and their per-phase progress.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::model::{Phase, now_string};

#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub phase: Option<String>,
    pub params: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl Store {
    pub fn create_job(&self, kind: &str, params_json: &str) -> Result<i64> {
        let now = now_string();
        self.conn().execute(
            "INSERT INTO extraction_jobs (kind, status, params, created_at, started_at)
             VALUES (?1, 'running', ?2, ?3, ?3)",
            params![kind, params_json, now],
        )?;
        Ok(self.conn().last_insert_rowid())
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
            "UPDATE extraction_jobs SET phase = ?2, status = 'running' WHERE id = ?1",
            params![job_id, phase.as_str()],
        )?;
        Ok(())
    }

    /// Records progress and the resume cursor of a running phase.
    pub fn phase_progress(
        &self,
        job_id: i64,
        phase: Phase,
        done: i64,
        total: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE job_phases SET done = ?3, total = ?4, cursor = coalesce(?5, cursor), updated_at = ?6
             WHERE job_id = ?1 AND phase = ?2",
            params![job_id, phase.as_str(), done, total, cursor, now_string()],
        )?;
        Ok(())
    }

    pub fn finish_phase(
        &self,
        job_id: i64,
        phase: Phase,
        status: &str,
        stats_json: &str,
    ) -> Result<()> {
        let now = now_string();
        self.conn().execute(
            "UPDATE job_phases SET status = ?3, stats = ?4, finished_at = ?5, updated_at = ?5
             WHERE job_id = ?1 AND phase = ?2",
            params![job_id, phase.as_str(), status, stats_json, now],
        )?;
        Ok(())
    }

    /// The stored status of one phase of a job, if it ran.
    pub fn phase_status(&self, job_id: i64, phase: Phase) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT status FROM job_phases WHERE job_id = ?1 AND phase = ?2",
                params![job_id, phase.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn finish_job(&self, job_id: i64, status: &str, error: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE extraction_jobs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![job_id, status, error, now_string()],
        )?;
        Ok(())
    }

    pub fn jobs(&self, limit: usize) -> Result<Vec<JobRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, kind, status, phase, params, error, created_at, finished_at
             FROM extraction_jobs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(JobRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                phase: r.get(3)?,
                params: r.get(4)?,
                error: r.get(5)?,
                created_at: r.get(6)?,
                finished_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
