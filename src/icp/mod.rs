//! Ideal-customer profiles and ICP fit scoring: a business context saved
//! as a named profile, a fit score with its reasons for every company,
//! and a prospect score that ranks companies for outreach.

pub mod profile;
pub mod score;

pub use profile::{IcpProfile, IcpWeights, list_profiles, profiles_dir, search_queries};
pub use score::{CompanyFeatures, FACTORS, IcpScore, Reason, score};
