//! Domain types shared by every stage. Stages exchange these (and the store),
//! never each other's internals.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

mod control;
mod events;
mod resolution;
mod status;

pub use control::RunControl;
pub use events::{EventReceiver, EventSender, PipelineEvent, event_channel};
pub use resolution::{
    CandidateRow, CompanyRow, DecidedBy, DecisionKind, DecisionRow, MatchRow, MergeSnapshot,
    PairEvidence, RowPatch,
};
pub use status::{AccessVerdict, Delta, JobMode, JobStatus, PhaseStatus, UrlStatus};

/// The current time as stored in the database: RFC 3339, UTC, seconds.
pub fn now_string() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Where one field value came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldProvenance {
    pub source_url: String,
    /// Which extractor or provider produced it: `configured`, `generic`, `microdata`, `json-ld`, ...
    pub extractor: String,
    pub at: DateTime<Utc>,
    /// 0.0 ..= 1.0
    pub confidence: f32,
}

/// Field name -> provenance of its current value.
pub type Provenance = BTreeMap<String, FieldProvenance>;

/// One company as listed by one association (a row of `association_memberships`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub association: String,
    /// Display name as listed.
    pub name: String,
    pub website: Option<String>,
    /// Registrable domain of `website`.
    pub domain: Option<String>,
    /// E.164 when it parses, else the cleaned text.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub membership_type: Option<String>,
    pub profile_url: Option<String>,
    /// Page the record was read from.
    pub source_url: String,
    pub extractor: String,
    pub confidence: f32,
    pub provenance: Provenance,
    /// The id the source gave the record (an imported list's `id` column),
    /// so it can be traced to the canonical company it resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Role of a company or person at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Exhibitor,
    Sponsor,
    Speaker,
    Attendee,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exhibitor => "exhibitor",
            Self::Sponsor => "sponsor",
            Self::Speaker => "speaker",
            Self::Attendee => "attendee",
        }
    }
}

/// One exhibitor, sponsor or speaker of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantRecord {
    pub role: ParticipantRole,
    pub company_name: Option<String>,
    pub company_domain: Option<String>,
    pub sponsor_tier: Option<String>,
    pub booth: Option<String>,
    pub person_name: Option<String>,
    pub person_title: Option<String>,
    pub source_url: String,
    pub confidence: f32,
}

/// An event and its participants as extracted from one or more pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub association: Option<String>,
    pub name: String,
    /// ISO dates (YYYY-MM-DD) when known.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub venue: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    /// Canonical URL of the event page; the identity of the event.
    pub url: String,
    pub participants: Vec<ParticipantRecord>,
    pub provenance: Provenance,
}

/// What kind of page a fetched URL turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageType {
    DirectoryListing,
    MemberProfile,
    Event,
    ExhibitorList,
    CompanySite,
    LoginWall,
    Other,
}

impl PageType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectoryListing => "directory_listing",
            Self::MemberProfile => "member_profile",
            Self::Event => "event",
            Self::ExhibitorList => "exhibitor_list",
            Self::CompanySite => "company_site",
            Self::LoginWall => "login_wall",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "directory_listing" => Self::DirectoryListing,
            "member_profile" => Self::MemberProfile,
            "event" => Self::Event,
            "exhibitor_list" => Self::ExhibitorList,
            "company_site" => Self::CompanySite,
            "login_wall" => Self::LoginWall,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// The gatekeeper's verdict on a domain.
/// The eleven pipeline phases of DESIGN.md, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Init,
    Gatekeeper,
    Discovery,
    Classification,
    Extraction,
    Enrichment,
    Validation,
    Resolution,
    Graph,
    Export,
    Monitor,
}

impl Phase {
    pub const ALL: [Phase; 11] = [
        Phase::Init,
        Phase::Gatekeeper,
        Phase::Discovery,
        Phase::Classification,
        Phase::Extraction,
        Phase::Enrichment,
        Phase::Validation,
        Phase::Resolution,
        Phase::Graph,
        Phase::Export,
        Phase::Monitor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Gatekeeper => "gatekeeper",
            Self::Discovery => "discovery",
            Self::Classification => "classification",
            Self::Extraction => "extraction",
            Self::Enrichment => "enrichment",
            Self::Validation => "validation",
            Self::Resolution => "resolution",
            Self::Graph => "graph",
            Self::Export => "export",
            Self::Monitor => "monitor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A canonical company as read back from the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
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
    /// A band such as `50-99` when the count itself is not known.
    pub employee_range: Option<String>,
    pub founded_year: Option<i64>,
    pub industry: Option<String>,
    pub quality_score: Option<f64>,
    pub quality_grade: Option<String>,
    pub status: String,
    /// Association codes this company is listed by.
    pub associations: Vec<String>,
    pub provenance: Provenance,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
        assert_eq!(Phase::parse("nope"), None);
    }

    #[test]
    fn page_type_names_round_trip() {
        for t in [
            PageType::DirectoryListing,
            PageType::MemberProfile,
            PageType::Event,
            PageType::ExhibitorList,
            PageType::CompanySite,
            PageType::LoginWall,
            PageType::Other,
        ] {
            assert_eq!(PageType::parse(t.as_str()), Some(t));
        }
    }
}
