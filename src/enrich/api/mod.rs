//! Clients of the paid enrichment providers, written against each one's
//! documented request and response shapes. Base URLs come from config so
//! tests point them at loopback fakes.

use std::sync::Arc;

use super::Provider;

/// Builds the client of API provider `name`. (Placeholder until the
/// clients land: every name is unknown.)
pub fn build(
    name: &str,
    _key: String,
    _base_url: Option<&str>,
    _http: reqwest::Client,
) -> anyhow::Result<Arc<dyn Provider>> {
    anyhow::bail!("unknown enrichment provider {name:?}")
}
