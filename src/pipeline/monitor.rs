//! The MONITOR phase: fingerprints every stored listing page, keeps one
//! baseline per URL and structure, and raises a drift alert when a page no
//! longer looks like its baseline (the site's layout changed under the
//! crawler). Re-running it over the same pages changes nothing: the drifted
//! structure became the baseline when the alert was raised.
//!
//! It emits no events and touches no job tables; the orchestrator does both.

use anyhow::Result;
use serde::Serialize;

use crate::config::AssociationConfig;
use crate::extract::context_for;
use crate::extract::fingerprint::{Fingerprint, compare, fingerprint};
use crate::model::PageType;
use crate::store::{BaselineWrite, DriftAlertWrite, MonitorPage, Store};

/// Pages read from the store at a time.
const BATCH: usize = 50;

/// One drift alert raised by a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftAlertSummary {
    pub association: Option<String>,
    pub url: String,
    /// Names the association, the URL and what changed.
    pub summary: String,
    pub changes: Vec<String>,
}

/// What one monitor run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonitorReport {
    /// Listing pages fingerprinted.
    pub pages: u64,
    /// URLs seen for the first time.
    pub baselines_new: u64,
    /// Pages that still match their baseline.
    pub unchanged: u64,
    pub alerts: Vec<DriftAlertSummary>,
}

/// Runs MONITOR over the stored listing pages (with `job_id`, only the pages
/// that job fetched).
pub fn run_monitor(
    store: &Store,
    job_id: Option<i64>,
    associations: &[AssociationConfig],
) -> Result<MonitorReport> {
    let mut report = MonitorReport::default();
    let mut after = 0i64;
    loop {
        let pages = store.listing_pages_for_monitor(job_id, after, BATCH)?;
        if pages.is_empty() {
            break;
        }
        for page in &pages {
            after = after.max(page.id);
            check_page(store, job_id, associations, page, &mut report)?;
        }
    }
    Ok(report)
}

fn check_page(
    store: &Store,
    job_id: Option<i64>,
    associations: &[AssociationConfig],
    page: &MonitorPage,
    report: &mut MonitorReport,
) -> Result<()> {
    // Extraction reads the page at its final URL; so must the fingerprint,
    // or relative links and own-domain checks would differ. The baseline is
    // keyed by the requested URL, which is what the frontier re-fetches, so
    // each pagination page has its own.
    let read_url = page.final_url.as_deref().unwrap_or(&page.url);
    let page_type = page.page_type.as_deref().and_then(PageType::parse);
    let ctx = context_for(
        associations,
        page.association_code.as_deref(),
        read_url,
        page_type,
    );
    let fp = fingerprint(&page.body, read_url, &ctx);
    report.pages += 1;
    let association = ctx.association.as_deref();
    // A baseline whose features no longer parse (an older fingerprint shape)
    // is replaced silently rather than compared.
    let baseline: Option<Fingerprint> = store
        .latest_baseline(&page.url)?
        .and_then(|b| serde_json::from_str(&b.features).ok());
    match baseline.as_ref().map(|old| compare(old, &fp)) {
        None => report.baselines_new += 1,
        Some(None) => report.unchanged += 1,
        Some(Some(drift)) => {
            let summary = format!(
                "{}: layout of {} changed: {}",
                association.unwrap_or("unknown association"),
                page.url,
                drift.summary
            );
            store.add_drift_alert(&DriftAlertWrite {
                association_code: association,
                url: &page.url,
                job_id,
                summary: &summary,
                changes: &drift.changes,
            })?;
            report.alerts.push(DriftAlertSummary {
                association: association.map(str::to_owned),
                url: page.url.clone(),
                summary,
                changes: drift.changes,
            });
        }
    }
    let features = serde_json::to_string(&fp)?;
    store.record_baseline(&BaselineWrite {
        association_code: association,
        url: &page.url,
        structure_hash: &fp.structure_hash,
        features: &features,
        record_count: i64::try_from(fp.record_count).unwrap_or(i64::MAX),
    })?;
    Ok(())
}
