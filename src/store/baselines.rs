//! The MONITOR phase's tables: structural baselines of listing pages
//! (`source_baselines`) and the drift alerts raised against them.

use anyhow::Result;
use chrono::{SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::model::now_string;

/// One stored baseline: the structure of a URL as last seen with this hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRow {
    pub id: i64,
    pub association_code: Option<String>,
    pub url: String,
    pub structure_hash: String,
    /// The fingerprint as JSON; the monitor owns its shape.
    pub features: String,
    pub record_count: Option<i64>,
    pub first_seen_at: String,
    pub last_seen_at: String,
}

/// A baseline to record.
#[derive(Debug, Clone, Default)]
pub struct BaselineWrite<'a> {
    pub association_code: Option<&'a str>,
    pub url: &'a str,
    pub structure_hash: &'a str,
    pub features: &'a str,
    pub record_count: i64,
}

/// A drift alert to add.
#[derive(Debug, Clone, Default)]
pub struct DriftAlertWrite<'a> {
    pub association_code: Option<&'a str>,
    pub url: &'a str,
    pub job_id: Option<i64>,
    pub summary: &'a str,
    pub changes: &'a [String],
}

/// One row of `drift_alerts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftAlertRow {
    pub id: i64,
    pub association_code: Option<String>,
    pub url: String,
    pub job_id: Option<i64>,
    pub summary: String,
    pub changes: Vec<String>,
    pub created_at: String,
    pub acknowledged_at: Option<String>,
}

/// A stored listing page as the monitor reads it.
#[derive(Debug, Clone)]
pub struct MonitorPage {
    pub id: i64,
    pub url: String,
    pub final_url: Option<String>,
    pub association_code: Option<String>,
    pub page_type: Option<String>,
    pub body: String,
}

/// Milliseconds, so the latest of two baselines recorded in the same second
/// (a revert right after a drift) is still the one seen last.
fn seen_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// The baseline of `url` seen most recently.
    pub fn latest_baseline(&self, url: &str) -> Result<Option<BaselineRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, association_code, url, structure_hash, features, record_count,
                        first_seen_at, last_seen_at
                 FROM source_baselines WHERE url = ?1
                 ORDER BY last_seen_at DESC, id DESC LIMIT 1",
                [url],
                |r| {
                    Ok(BaselineRow {
                        id: r.get(0)?,
                        association_code: r.get(1)?,
                        url: r.get(2)?,
                        structure_hash: r.get(3)?,
                        features: r.get(4)?,
                        record_count: r.get(5)?,
                        first_seen_at: r.get(6)?,
                        last_seen_at: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a baseline: a new row for a structure not seen at this URL,
    /// otherwise the existing row is bumped to now with the latest features.
    pub fn record_baseline(&self, b: &BaselineWrite<'_>) -> Result<()> {
        self.conn().execute(
            "INSERT INTO source_baselines
               (association_code, url, structure_hash, features, record_count, first_seen_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (url, structure_hash) DO UPDATE SET
                association_code = coalesce(excluded.association_code, source_baselines.association_code),
                features = excluded.features, record_count = excluded.record_count,
                last_seen_at = excluded.last_seen_at",
            params![
                b.association_code,
                b.url,
                b.structure_hash,
                b.features,
                b.record_count,
                seen_now()
            ],
        )?;
        Ok(())
    }

    /// Adds a drift alert; returns its id.
    pub fn add_drift_alert(&self, a: &DriftAlertWrite<'_>) -> Result<i64> {
        let changes = serde_json::to_string(a.changes)?;
        self.conn().execute(
            "INSERT INTO drift_alerts (association_code, url, job_id, summary, changes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                a.association_code,
                a.url,
                a.job_id,
                a.summary,
                changes,
                now_string()
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The newest drift alerts first; acknowledged ones only when asked.
    pub fn drift_alerts(
        &self,
        limit: usize,
        include_acknowledged: bool,
    ) -> Result<Vec<DriftAlertRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, association_code, url, job_id, summary, changes, created_at, acknowledged_at
             FROM drift_alerts WHERE ?1 OR acknowledged_at IS NULL
             ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![include_acknowledged, limit as i64], |r| {
            let changes: String = r.get(5)?;
            Ok(DriftAlertRow {
                id: r.get(0)?,
                association_code: r.get(1)?,
                url: r.get(2)?,
                job_id: r.get(3)?,
                summary: r.get(4)?,
                // Written by add_drift_alert; a hand-edited row still lists.
                changes: serde_json::from_str(&changes).unwrap_or_default(),
                created_at: r.get(6)?,
                acknowledged_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Marks an alert as seen by the analyst; false when there is no such
    /// unacknowledged alert.
    pub fn acknowledge_drift_alert(&self, id: i64) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE drift_alerts SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
            params![id, now_string()],
        )? > 0)
    }

    /// Up to `limit` stored directory and exhibitor listing pages with id >
    /// `after_id`, in id order; with `job_id`, only pages that job fetched.
    pub fn listing_pages_for_monitor(
        &self,
        job_id: Option<i64>,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<MonitorPage>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, url, final_url, association_code, page_type, body FROM pages
             WHERE id > ?1 AND body IS NOT NULL
               AND page_type IN ('directory_listing', 'exhibitor_list')
               AND (status_code IS NULL OR status_code < 400)
               AND (?2 IS NULL OR job_id = ?2)
             ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after_id, job_id, limit as i64], |r| {
            Ok(MonitorPage {
                id: r.get(0)?,
                url: r.get(1)?,
                final_url: r.get(2)?,
                association_code: r.get(3)?,
                page_type: r.get(4)?,
                body: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
