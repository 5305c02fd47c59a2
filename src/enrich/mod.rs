//! ENRICHMENT: firmographics, tech stack and contacts for each company,
//! from its own public website first and, when keys are set, from paid
//! providers in an ordered fallback chain per kind.
//!
//! - [`provider`]: the [`Provider`] trait every source implements, its
//!   errors, and what an answer holds ([`Findings`]).
//! - [`chain`]: ordered chains with per-provider rate limits, daily caps,
//!   retries and a circuit breaker; usage counted per provider.
//! - [`website`]: the keyless providers reading the company's own pages.
//! - [`api`]: clients of the paid providers (Clearbit, Apollo, BuiltWith,
//!   ZoomInfo, Hunter, Google Places), base URLs overridable.
//! - [`leads`]: names from email addresses, buyer personas, lead scores.
//! - [`analysis`]: what a company is and sells, by rules or by a model.
//! - [`run`]: the phase itself.

pub mod analysis;
pub mod api;
pub mod chain;
pub mod leads;
pub mod provider;
pub mod run;
pub mod website;

pub use provider::{
    Contact, EnrichTarget, Findings, Firmographics, Kind, Provider, ProviderError, Technology,
};
pub use run::{EnrichReport, EnrichRun, run_enrichment};
