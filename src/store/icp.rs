//! ICP scoring's rows: what scoring reads about each live company, and the
//! scores per profile with their reasons.

use std::collections::HashMap;

use anyhow::{Context, Result};
use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::icp::{CompanyFeatures, IcpScore, Reason};
use crate::model::now_string;

/// A stored score, with the company's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredIcpScore {
    pub profile: String,
    pub company_id: i64,
    pub company_name: String,
    pub fit: f64,
    pub prospect: f64,
    pub reasons: Vec<Reason>,
    pub scored_at: String,
}

/// A JSON list column as strings (anything else as none).
fn json_list(text: Option<String>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
        .unwrap_or_default()
}

/// `only` as a JSON array for `json_each`, or NULL for every company.
fn only_json(only: Option<&[i64]>) -> Result<Option<String>> {
    only.map(|ids| serde_json::to_string(ids).context("listing company ids"))
        .transpose()
}

impl Store {
    /// What scoring needs about active, unmerged companies (`only` these
    /// when given), in id order.
    pub fn icp_features(&self, only: Option<&[i64]>) -> Result<Vec<CompanyFeatures>> {
        let only = only_json(only)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT c.id, c.name, c.naics, c.industries_served, c.description, c.products,
                    c.employee_count, c.employee_range, c.city, c.state, c.country,
                    c.quality_score
             FROM companies c
             WHERE c.status = 'active' AND c.merged_into IS NULL
               AND (?1 IS NULL OR c.id IN (SELECT value FROM json_each(?1)))
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map(params![only], |r| {
            Ok(CompanyFeatures {
                company_id: r.get(0)?,
                name: r.get(1)?,
                naics: r.get(2)?,
                industries: json_list(r.get(3)?),
                description: r.get(4)?,
                products: json_list(r.get(5)?),
                employees: r.get(6)?,
                employee_range: r.get(7)?,
                city: r.get(8)?,
                state: r.get(9)?,
                country: r.get(10)?,
                quality_score: r.get(11)?,
                ..Default::default()
            })
        })?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let index: HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, f)| (f.company_id, i))
            .collect();

        let mut stmt = conn.prepare(
            "SELECT company_id, vendor, category FROM company_technologies
             WHERE ?1 IS NULL OR company_id IN (SELECT value FROM json_each(?1))
             ORDER BY company_id, vendor, category",
        )?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            if let Some(i) = index.get(&r.get::<_, i64>(0)?) {
                out[*i].technologies.push((r.get(1)?, r.get(2)?));
            }
        }

        let mut stmt = conn.prepare(
            "SELECT DISTINCT company_id, vendor, category, signal_type FROM competitor_signals
             WHERE ?1 IS NULL OR company_id IN (SELECT value FROM json_each(?1))
             ORDER BY company_id, vendor, category, signal_type",
        )?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            if let Some(i) = index.get(&r.get::<_, i64>(0)?) {
                out[*i].signals.push((r.get(1)?, r.get(2)?, r.get(3)?));
            }
        }

        let mut stmt = conn.prepare(
            "SELECT company_id, count(*), count(email), max(lead_score_adjustment)
             FROM contacts
             WHERE company_id IS NOT NULL
               AND (?1 IS NULL OR company_id IN (SELECT value FROM json_each(?1)))
             GROUP BY company_id",
        )?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            if let Some(i) = index.get(&r.get::<_, i64>(0)?) {
                let f = &mut out[*i];
                f.contacts = r.get::<_, i64>(1)?.max(0) as usize;
                f.contacts_with_email = r.get::<_, i64>(2)?.max(0) as usize;
                f.best_lead_adjustment = r.get::<_, Option<i64>>(3)?.unwrap_or(0);
            }
        }
        Ok(out)
    }

    /// Stores `scores` against `profile`, replacing those companies' old
    /// scores for it, all or nothing.
    pub fn save_icp_scores(&self, profile: &str, scores: &[IcpScore]) -> Result<()> {
        let now = now_string();
        // A savepoint is a transaction of its own outside one, and nests
        // inside the writer's batch.
        self.savepoint(|s| {
            let conn = s.conn();
            let mut delete = conn
                .prepare_cached("DELETE FROM icp_scores WHERE profile = ?1 AND company_id = ?2")?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO icp_scores (profile, company_id, fit, prospect, reasons, scored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for sc in scores {
                let reasons = serde_json::to_string(&sc.reasons)?;
                delete.execute(params![profile, sc.company_id])?;
                insert.execute(params![
                    profile,
                    sc.company_id,
                    sc.fit,
                    sc.prospect,
                    reasons,
                    now
                ])?;
            }
            Ok(())
        })
    }

    /// The best `limit` scores of `profile`, by prospect then fit, of live
    /// companies.
    pub fn icp_scores(&self, profile: &str, limit: usize) -> Result<Vec<StoredIcpScore>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.profile, s.company_id, c.name, s.fit, s.prospect, s.reasons, s.scored_at
             FROM icp_scores s JOIN companies c ON c.id = s.company_id
             WHERE s.profile = ?1 AND c.status = 'active' AND c.merged_into IS NULL
             ORDER BY s.prospect DESC, s.fit DESC, s.company_id
             LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![profile, limit], stored_score)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every profile's score of one company, best fit first.
    pub fn icp_score_of(&self, company_id: i64) -> Result<Vec<StoredIcpScore>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.profile, s.company_id, c.name, s.fit, s.prospect, s.reasons, s.scored_at
             FROM icp_scores s JOIN companies c ON c.id = s.company_id
             WHERE s.company_id = ?1
             ORDER BY s.fit DESC, s.profile",
        )?;
        let rows = stmt.query_map(params![company_id], stored_score)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many live companies have a score, per profile name.
    pub fn icp_profile_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.profile, COUNT(*)
             FROM icp_scores s JOIN companies c ON c.id = s.company_id
             WHERE c.status = 'active' AND c.merged_into IS NULL
             GROUP BY s.profile ORDER BY s.profile",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn stored_score(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredIcpScore> {
    let reasons: String = r.get(5)?;
    Ok(StoredIcpScore {
        profile: r.get(0)?,
        company_id: r.get(1)?,
        company_name: r.get(2)?,
        fit: r.get(3)?,
        prospect: r.get(4)?,
        // Rows are written by `save_icp_scores`; a hand-edited one that
        // does not parse shows no reasons rather than failing the list.
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        scored_at: r.get(6)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::enrich::Technology;
    use crate::icp::{IcpProfile, score_store};
    use crate::model::MemberRecord;
    use crate::store::EnrichmentRecord;

    fn add(store: &Store, name: &str, state: &str) -> i64 {
        let rec = MemberRecord {
            association: "AIA".into(),
            name: name.into(),
            domain: Some(format!("{}.example", name.to_lowercase().replace(' ', "-"))),
            city: Some("Somewhere".into()),
            state: Some(state.into()),
            country: Some("US".into()),
            source_url: "http://aia.example/".into(),
            extractor: "test".into(),
            ..Default::default()
        };
        store
            .upsert_company_from_member(&rec, &crate::normalize::name_key(name))
            .unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("icp.db")).unwrap();
        (dir, store)
    }

    fn tech(vendor: &str, category: &str) -> (Technology, String) {
        (
            Technology {
                vendor: vendor.into(),
                category: category.into(),
                product: None,
                evidence_kind: "script".into(),
                evidence: "test".into(),
                source_url: None,
                confidence: 0.9,
            },
            "fingerprints".into(),
        )
    }

    fn firmographics(store: &Store, id: i64, employees: u32, industries: &[&str]) {
        let f = crate::enrich::Firmographics {
            employee_count: Some(employees),
            industries_served: industries.iter().map(|s| s.to_string()).collect(),
            description: Some("Precision parts".into()),
            ..Default::default()
        };
        store
            .record_enrichment(&EnrichmentRecord {
                company_id: id,
                firmographics: Some((f, "website".into(), None)),
                technologies: vec![tech("Epicor", "erp"), tech("HubSpot", "crm")],
                ..Default::default()
            })
            .unwrap();
    }

    #[test]
    fn features_gather_firmographics_technologies_signals_and_contacts() {
        let (_dir, store) = store();
        let a = add(&store, "Apex Forge", "OH");
        let b = add(&store, "Bare Gear", "TX");
        firmographics(&store, a, 120, &["Aerospace", "Defense"]);
        store
            .conn()
            .execute_batch(
                "INSERT INTO competitor_signals (company_id, vendor, category, signal_type,
                     source_url, detected_at)
                 VALUES (1, 'Plex', 'erp', 'evaluating', 'http://a/news', 'now'),
                        (1, 'Plex', 'erp', 'evaluating', 'http://a/blog', 'now');
                 INSERT INTO contacts (company_id, full_name, email, email_normalized,
                     lead_score_adjustment, created_at, updated_at)
                 VALUES (1, 'Jane Doe', 'jane@a.example', 'jane@a.example', 15, 'now', 'now'),
                        (1, 'John Roe', NULL, NULL, 5, 'now', 'now');",
            )
            .unwrap();
        let all = store.icp_features(None).unwrap();
        assert_eq!(all.len(), 2);
        let fa = &all[0];
        assert_eq!((fa.company_id, fa.employees), (a, Some(120)));
        assert_eq!(fa.industries, vec!["Aerospace", "Defense"]);
        assert_eq!(fa.state.as_deref(), Some("OH"));
        assert_eq!(fa.technologies.len(), 2);
        assert_eq!(
            fa.signals,
            vec![(
                "Plex".to_string(),
                "erp".to_string(),
                "evaluating".to_string()
            )]
        );
        assert_eq!((fa.contacts, fa.contacts_with_email), (2, 1));
        assert_eq!(fa.best_lead_adjustment, 15);
        let fb = &all[1];
        assert_eq!((fb.contacts, fb.technologies.len()), (0, 0));
        assert!(fb.industries.is_empty());

        let only = store.icp_features(Some(&[b])).unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].company_id, b);
        assert!(store.icp_features(Some(&[])).unwrap().is_empty());
    }

    #[test]
    fn scores_are_saved_replaced_and_ranked_with_reasons() {
        let (_dir, store) = store();
        let a = add(&store, "Apex Forge", "OH");
        let b = add(&store, "Bare Gear", "TX");
        let c = add(&store, "Crest Castings", "MI");
        firmographics(&store, a, 120, &["Aerospace"]);
        firmographics(&store, c, 5000, &["Automotive"]);
        let profile = IcpProfile {
            name: "aero".into(),
            industries: vec!["aerospace".into()],
            employees_min: Some(50),
            employees_max: Some(500),
            locations: vec!["OH".into(), "MI".into()],
            competitors: vec!["Epicor".into()],
            ..Default::default()
        };
        let report = score_store(&store, &profile, None).unwrap();
        assert_eq!(report.scored, 3);
        assert_eq!(report.top[0].0, "Apex Forge");
        let ranked = store.icp_scores("aero", 10).unwrap();
        let ids: Vec<i64> = ranked.iter().map(|s| s.company_id).collect();
        assert_eq!(ids, vec![a, c, b]);
        assert!(ranked[0].fit > ranked[1].fit && ranked[1].fit > ranked[2].fit);
        for s in &ranked {
            let factors: Vec<&str> = s.reasons.iter().map(|r| r.factor.as_str()).collect();
            for f in crate::icp::FACTORS {
                assert!(factors.contains(&f), "{factors:?}");
            }
        }
        assert_eq!(store.icp_scores("aero", 1).unwrap().len(), 1);

        // Scoring one company again replaces its row and leaves the others.
        let other = IcpProfile {
            name: "texas".into(),
            locations: vec!["TX".into()],
            ..Default::default()
        };
        score_store(&store, &other, Some(&[b])).unwrap();
        let mut worse = profile.clone();
        worse.locations = vec!["TX".into()];
        score_store(&store, &worse, Some(&[a])).unwrap();
        let count = |sql: &str| store.debug_query(sql).unwrap()[0][0].clone().unwrap();
        assert_eq!(
            count("SELECT count(*) FROM icp_scores WHERE profile = 'aero'"),
            "3"
        );
        let of_a = store.icp_score_of(a).unwrap();
        assert_eq!(of_a.len(), 1);
        assert!(of_a[0].fit < ranked[0].fit);
        let of_b = store.icp_score_of(b).unwrap();
        let profiles: Vec<&str> = of_b.iter().map(|s| s.profile.as_str()).collect();
        assert_eq!(profiles, vec!["texas", "aero"]);
        assert_eq!(of_b[0].company_name, "Bare Gear");
        assert_eq!(
            store.icp_profile_counts().unwrap(),
            vec![("aero".to_string(), 3), ("texas".to_string(), 1)]
        );
    }
}
