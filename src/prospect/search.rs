//! Prospecting: search queries from an ICP profile sent to a web-search
//! provider; the sites found become the run's domain targets.

use std::collections::HashMap;

use serde::Serialize;

/// What a prospecting search found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchFound {
    pub profile: String,
    /// The search provider, or `store` when no search key is set.
    pub provider: String,
    pub queries: Vec<String>,
    /// Result sites kept as targets (one per domain).
    pub sites: usize,
    /// Results left out (no usable domain, a directory or social site, a repeat).
    pub left_out: usize,
    /// Queries the provider failed on, with why.
    pub errors: Vec<String>,
    /// domain -> the query that found it first.
    #[serde(skip)]
    pub queries_of: HashMap<String, String>,
}
