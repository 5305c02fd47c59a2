//! Ideal-customer profiles and ICP fit scoring: a business context saved
//! as a named profile, a fit score with its reasons for every company,
//! and a prospect score that ranks companies for outreach.

pub mod profile;
pub mod score;

use anyhow::{Context, Result};
use serde::Serialize;

pub use profile::{IcpProfile, IcpWeights, list_profiles, profiles_dir, search_queries};
pub use score::{CompanyFeatures, FACTORS, IcpScore, Reason, score};

use crate::store::Store;

/// What a scoring run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScoreReport {
    pub profile: String,
    pub scored: usize,
    /// The best five by fit: (company name, fit).
    pub top: Vec<(String, f64)>,
}

impl ScoreReport {
    pub fn summary(&self) -> String {
        let top: Vec<String> = self
            .top
            .iter()
            .map(|(name, fit)| format!("{name} ({fit:.0})"))
            .collect();
        format!(
            "{} companies scored against ICP profile {}{}",
            self.scored,
            self.profile,
            if top.is_empty() {
                String::new()
            } else {
                format!("; best fit: {}", top.join(", "))
            }
        )
    }
}

/// Scores the live companies (`only` these when given) against `profile`
/// and stores the scores under the profile's name.
pub fn score_store(
    store: &Store,
    profile: &IcpProfile,
    only: Option<&[i64]>,
) -> Result<ScoreReport> {
    let features = store
        .icp_features(only)
        .context("reading companies to score")?;
    let scores: Vec<IcpScore> = features.iter().map(|f| score(profile, f)).collect();
    store
        .save_icp_scores(&profile.name, &scores)
        .context("storing ICP scores")?;
    let mut ranked: Vec<(&CompanyFeatures, &IcpScore)> = features.iter().zip(&scores).collect();
    ranked.sort_by(|a, b| {
        b.1.fit
            .total_cmp(&a.1.fit)
            .then(b.1.prospect.total_cmp(&a.1.prospect))
            .then(a.0.company_id.cmp(&b.0.company_id))
    });
    Ok(ScoreReport {
        profile: profile.name.clone(),
        scored: scores.len(),
        top: ranked
            .iter()
            .take(5)
            .map(|(f, s)| (f.name.clone(), s.fit))
            .collect(),
    })
}
