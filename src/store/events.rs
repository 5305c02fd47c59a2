//! Events and their participants.

use anyhow::Result;
use rusqlite::params;

use super::Store;
use crate::model::{EventRecord, ParticipantRecord, now_string};
use crate::normalize::name_key;

/// Identity of a participant within an event and role: the company's name key,
/// plus the person's name for speakers.
pub fn participant_key(p: &ParticipantRecord) -> String {
    let company = p
        .company_name
        .as_deref()
        .map(name_key)
        .filter(|k| !k.is_empty())
        .or_else(|| p.company_domain.clone())
        .unwrap_or_default();
    match &p.person_name {
        Some(person) => format!("{company}|{}", name_key(person)),
        None => company,
    }
}

impl Store {
    /// Inserts or refreshes an event (identity: its URL). Returns its id.
    pub fn upsert_event(&self, ev: &EventRecord) -> Result<i64> {
        let now = now_string();
        Ok(self.conn().query_row(
            "INSERT INTO events (name, name_key, association_code, start_date, end_date, venue, city, state,
                country, url, provenance, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
             ON CONFLICT (url) DO UPDATE SET
                name = excluded.name, name_key = excluded.name_key,
                association_code = coalesce(excluded.association_code, association_code),
                start_date = coalesce(excluded.start_date, start_date),
                end_date = coalesce(excluded.end_date, end_date),
                venue = coalesce(excluded.venue, venue), city = coalesce(excluded.city, city),
                state = coalesce(excluded.state, state), country = coalesce(excluded.country, country),
                provenance = excluded.provenance, updated_at = excluded.updated_at
             RETURNING id",
            params![
                ev.name,
                name_key(&ev.name),
                ev.association,
                ev.start_date,
                ev.end_date,
                ev.venue,
                ev.city,
                ev.state,
                ev.country,
                ev.url,
                super::provenance::encode(&ev.provenance)?,
                now
            ],
            |r| r.get(0),
        )?)
    }

    /// Inserts or refreshes one participant (identity: event, role, participant key).
    pub fn upsert_participant(
        &self,
        event_id: i64,
        p: &ParticipantRecord,
        company_id: Option<i64>,
    ) -> Result<i64> {
        let now = now_string();
        let prov = serde_json::json!({
            "role": { "source_url": p.source_url, "extractor": "generic", "at": now, "confidence": p.confidence }
        });
        Ok(self.conn().query_row(
            "INSERT INTO event_participants (event_id, company_id, role, participant_key, company_name,
                company_domain, sponsor_tier, booth, person_name, person_title, source_url, confidence,
                provenance, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (event_id, role, participant_key) DO UPDATE SET
                company_id = coalesce(excluded.company_id, company_id),
                company_name = excluded.company_name, company_domain = coalesce(excluded.company_domain, company_domain),
                sponsor_tier = excluded.sponsor_tier, booth = excluded.booth,
                person_name = excluded.person_name, person_title = excluded.person_title,
                source_url = excluded.source_url, confidence = excluded.confidence
             RETURNING id",
            params![
                event_id,
                company_id,
                p.role.as_str(),
                participant_key(p),
                p.company_name,
                p.company_domain,
                p.sponsor_tier,
                p.booth,
                p.person_name,
                p.person_title,
                p.source_url,
                p.confidence,
                prov.to_string(),
                now
            ],
            |r| r.get(0),
        )?)
    }

    pub fn event_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))?)
    }

    /// (role, company name, company id, tier, booth, person) of an event's participants.
    #[allow(clippy::type_complexity)]
    pub fn event_participants(
        &self,
        event_url: &str,
    ) -> Result<
        Vec<(
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        )>,
    > {
        let mut stmt = self.conn().prepare(
            "SELECT p.role, p.company_name, p.company_id, p.sponsor_tier, p.booth, p.person_name
             FROM event_participants p JOIN events e ON e.id = p.event_id WHERE e.url = ?1 ORDER BY p.id",
        )?;
        let rows = stmt.query_map([event_url], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
