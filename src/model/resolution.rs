//! Types of entity resolution shared by the resolver, the store, the CLI and
//! the TUI's review pane.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::status::text_enum;

text_enum! {
    /// An answer to "are these two companies one firm?".
    DecisionKind {
        Merge => "merge",
        KeepApart => "keep_apart",
        /// Not sure: leave them apart and do not ask again.
        Skip => "skip",
    }
}

text_enum! {
    /// Who decided.
    DecidedBy {
        Analyst => "analyst",
        /// The resolver, above its automatic threshold.
        Auto => "auto",
        /// The resolver, on a hard key (same phone and same name key).
        HardKey => "hard_key",
    }
}

/// The columns of a `companies` row that matching reads: what RESOLUTION
/// loads for every company (a whole row with its provenance is several times
/// larger, and is read only for the companies a merge changes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchRow {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub domain: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// `active` or `merged`.
    pub merged: bool,
    pub merged_into: Option<i64>,
    pub resolved: bool,
}

impl From<&CompanyRow> for MatchRow {
    fn from(r: &CompanyRow) -> MatchRow {
        MatchRow {
            id: r.id,
            name: r.name.clone(),
            name_key: r.name_key.clone(),
            domain: r.domain.clone(),
            phone: r.phone.clone(),
            street: r.street.clone(),
            city: r.city.clone(),
            state: r.state.clone(),
            postal_code: r.postal_code.clone(),
            merged: r.status == "merged",
            merged_into: r.merged_into,
            resolved: r.resolved_at.is_some(),
        }
    }
}

/// Every column of a `companies` row: what a merge changes and an undo
/// restores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyRow {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub domain: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub employee_count: Option<i64>,
    pub employee_range: Option<String>,
    pub revenue_range: Option<String>,
    pub founded_year: Option<i64>,
    pub industry: Option<String>,
    pub naics: Option<String>,
    pub description: Option<String>,
    pub quality_score: Option<f64>,
    pub quality_grade: Option<String>,
    pub status: String,
    pub merged_into: Option<i64>,
    /// JSON text: field -> provenance.
    pub provenance: String,
    pub enriched_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub validated_at: Option<String>,
}

/// Column name -> JSON value, for the columns that differ.
pub type RowPatch = BTreeMap<String, serde_json::Value>;

impl CompanyRow {
    fn as_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        }
    }

    /// The values of `self` in the columns where `other` differs: applied to
    /// `other`, it gives back `self`.
    pub fn patch_from(&self, other: &CompanyRow) -> RowPatch {
        let mine = self.as_map();
        let theirs = other.as_map();
        mine.into_iter()
            .filter(|(k, v)| theirs.get(k) != Some(v))
            .collect()
    }

    /// `self` with the columns of `patch` overwritten.
    pub fn patched(&self, patch: &RowPatch) -> anyhow::Result<CompanyRow> {
        let mut m = self.as_map();
        for (k, v) in patch {
            m.insert(k.clone(), v.clone());
        }
        Ok(serde_json::from_value(serde_json::Value::Object(m))?)
    }
}

/// What a merge changed, kept with its decision so it can be undone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeSnapshot {
    /// The survivor's columns before the merge (only those the merge changed).
    pub survivor_before: RowPatch,
    /// The absorbed company's columns before the merge (likewise).
    pub loser_before: RowPatch,
    /// Rows that pointed at the absorbed company and were re-pointed.
    pub memberships: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<i64>,
}

/// One compared pair: the features, the score and the reasons in words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairEvidence {
    pub features: Vec<f64>,
    pub score: f64,
    /// "same phone", "different cities", ...
    pub agreed: Vec<String>,
    pub conflicted: Vec<String>,
    /// Evidence that forbids an automatic merge (different domains, or
    /// different phones in different cities).
    pub hard_conflict: bool,
}

/// A pair waiting for (or past) an analyst's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateRow {
    pub id: i64,
    pub left_id: i64,
    pub right_id: i64,
    pub score: f64,
    pub evidence: PairEvidence,
    pub status: String,
    pub created_at: String,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    pub id: i64,
    pub left_id: i64,
    pub right_id: i64,
    pub decision: DecisionKind,
    pub decided_by: DecidedBy,
    pub survivor_id: Option<i64>,
    pub score: Option<f64>,
    pub features: Vec<f64>,
    pub snapshot: MergeSnapshot,
    pub decided_at: String,
    pub undone_at: Option<String>,
}
