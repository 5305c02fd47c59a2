//! What a company's detail view shows besides the company row: its contacts,
//! event participations and merge history.

use anyhow::Result;
use rusqlite::params;
use serde::Serialize;

use super::Store;
use super::resolution::{DECISION_COLUMNS, decision_from};
use crate::model::DecisionRow;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactLine {
    pub full_name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventLine {
    pub event: String,
    pub start_date: Option<String>,
    pub role: String,
    pub detail: Option<String>,
}

impl Store {
    pub fn contacts_of(&self, company_id: i64) -> Result<Vec<ContactLine>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT full_name, title, email, phone, coalesce(source_url, provider)
             FROM contacts WHERE company_id = ?1 ORDER BY full_name LIMIT 200",
        )?;
        let rows = stmt.query_map([company_id], |r| {
            Ok(ContactLine {
                full_name: r.get(0)?,
                title: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                source: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn events_of(&self, company_id: i64) -> Result<Vec<EventLine>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.name, e.start_date, p.role, coalesce(p.sponsor_tier, p.booth, p.person_name)
             FROM event_participants p JOIN events e ON e.id = p.event_id
             WHERE p.company_id = ?1 ORDER BY e.start_date DESC, e.name LIMIT 200",
        )?;
        let rows = stmt.query_map([company_id], |r| {
            Ok(EventLine {
                event: r.get(0)?,
                start_date: r.get(1)?,
                role: r.get(2)?,
                detail: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Decisions (standing or undone) that involved this company, newest first.
    pub fn decisions_of(&self, company_id: i64) -> Result<Vec<DecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM merge_decisions
             WHERE left_id = ?1 OR right_id = ?1 OR survivor_id = ?1 ORDER BY id DESC LIMIT 100"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![company_id], decision_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The newest standing analyst decision: what `u` in the review pane undoes.
    pub fn last_analyst_decision(&self) -> Result<Option<DecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM merge_decisions
             WHERE undone_at IS NULL AND decided_by = 'analyst' ORDER BY id DESC LIMIT 1"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query_map([], decision_from)?;
        Ok(rows.next().transpose()?)
    }
}
