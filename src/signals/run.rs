//! The GRAPH phase: read each company's own website politely, store the
//! competitor signals found, then rebuild the relationship graph.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;
use url::Url;

use super::detect::{Detected, PageInput, detect, names_vendor};
use super::site::{gather, pages_to_visit};
use super::vendors::VendorTable;
use crate::config::CrawlSettings;
use crate::crawl::{CrawlOptions, PoliteFetcher};
use crate::model::{EventSender, Phase, PipelineEvent, RunControl};
use crate::store::{GraphCounts, NewSignal, SiteScan, SiteTarget, Writer};

/// Sites read at the same time (each domain is still paced on its own).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What the GRAPH phase needs.
pub struct GraphRun {
    pub writer: Writer,
    pub job_id: Option<i64>,
    pub events: EventSender,
    pub control: RunControl,
    pub settings: CrawlSettings,
    /// Politeness switch and the loopback resolver of the fixture world.
    pub crawl: CrawlOptions,
    /// Read every site again, not just the ones never read.
    pub force_full: bool,
    /// Where a `vendors.toml` overriding the shipped table may be.
    pub config_dir: Option<PathBuf>,
    pub max_pages: usize,
    pub concurrency: usize,
    /// Read only these companies' sites (a domain-list or prospecting run's).
    pub only: Option<Vec<i64>>,
}

/// What the phase did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GraphReport {
    /// Companies whose site was due for reading.
    pub companies: usize,
    pub sites_read: usize,
    pub sites_failed: usize,
    pub pages: usize,
    pub signals: usize,
    /// Signals by type (uses, hiring, ...).
    pub by_type: BTreeMap<String, usize>,
    pub edges: GraphCounts,
    pub cancelled: bool,
}

impl GraphReport {
    pub fn summary(&self) -> String {
        let types: Vec<String> = self
            .by_type
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        format!(
            "{} company sites read ({} pages, {} failed): {} signals{}; {} relationship edges",
            self.sites_read,
            self.pages,
            self.sites_failed,
            self.signals,
            if types.is_empty() {
                String::new()
            } else {
                format!(" ({})", types.join(", "))
            },
            self.edges.total()
        )
    }
}

/// Runs the phase to the end, or until the job is cancelled (then the sites
/// read so far are stored and a resumed job goes on with the rest).
pub async fn run_graph(run: GraphRun) -> Result<GraphReport> {
    let table = Arc::new(VendorTable::load(run.config_dir.as_deref())?);
    let (job_id, force) = (run.job_id, run.force_full);
    let targets = run
        .writer
        .call(move |s| s.site_scan_targets(job_id, force))
        .await
        .context("listing company sites to read")?;
    let targets = match &run.only {
        Some(ids) => {
            let keep: std::collections::HashSet<i64> = ids.iter().copied().collect();
            targets
                .into_iter()
                .filter(|t| keep.contains(&t.company_id))
                .collect()
        }
        None => targets,
    };
    let fetcher = Arc::new(PoliteFetcher::with_options(&run.settings, &run.crawl)?);
    let mut report = GraphReport {
        companies: targets.len(),
        ..Default::default()
    };
    let total = targets.len() as u64;
    let progress = |done: usize, report: &GraphReport| PipelineEvent::Progress {
        job_id: job_id.unwrap_or(0),
        phase: Phase::Graph,
        done: done as u64,
        total: Some(total),
        message: Some(format!("company sites ({} signals)", report.signals)),
    };
    let control = run.control.clone();
    let max_pages = run.max_pages.max(1);
    let mut scans = futures::stream::iter(targets)
        .map(|t| {
            let (fetcher, table, control) = (fetcher.clone(), table.clone(), control.clone());
            async move {
                if !control.proceed().await {
                    return None;
                }
                Some(read_site(&fetcher, &table, &t, max_pages).await)
            }
        })
        .buffer_unordered(run.concurrency.max(1));
    let mut done = 0;
    let mut last_event = Instant::now();
    while let Some(scan) = scans.next().await {
        let Some(mut scan) = scan else {
            report.cancelled = true;
            continue;
        };
        scan.job_id = job_id;
        done += 1;
        report.pages += scan.pages;
        if scan.error.is_some() {
            report.sites_failed += 1;
        } else {
            report.sites_read += 1;
            report.signals += scan.signals.len();
            for s in &scan.signals {
                *report.by_type.entry(s.signal_type.clone()).or_default() += 1;
            }
        }
        run.writer
            .submit(move |s| s.record_site_scan(&scan))
            .await?;
        if last_event.elapsed() >= Duration::from_millis(250) {
            last_event = Instant::now();
            run.events.emit(progress(done, &report));
        }
    }
    if report.cancelled || run.control.is_cancelled() {
        report.cancelled = true;
        run.writer.flush().await?;
        return Ok(report);
    }
    run.events.emit(progress(done, &report));
    report.edges = run
        .writer
        .call(|s| s.rebuild_relationships())
        .await
        .context("rebuilding the relationship graph")?;
    Ok(report)
}

/// Reads the home page and the telling pages it links to; a page other than
/// the home page that fails is skipped, a home page that fails fails the site.
async fn read_site(
    fetcher: &PoliteFetcher,
    table: &Arc<VendorTable>,
    target: &SiteTarget,
    max_pages: usize,
) -> SiteScan {
    let mut scan = SiteScan {
        company_id: target.company_id,
        site: target.website.clone(),
        ..Default::default()
    };
    let home = match Url::parse(&target.website) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            scan.error = Some(format!("website {u} is not an http(s) address"));
            return scan;
        }
        Err(e) => {
            scan.error = Some(format!("website {:?} is not a URL: {e}", target.website));
            return scan;
        }
    };
    let (home_url, home_html, home_headers) = match fetcher.get_html(&home).await {
        Ok(Some(page)) => (page.url, page.html, page.headers),
        Ok(None) => {
            scan.error = Some(format!("{home} is not an HTML page"));
            return scan;
        }
        Err(e) => {
            scan.error = Some(format!("{e:#}"));
            return scan;
        }
    };
    // The origin actually read (after redirects to www. or https).
    scan.site = home_url
        .join("/")
        .map(|u| u.to_string())
        .unwrap_or_else(|_| home_url.to_string());
    let links = pages_to_visit(&home_url, &home_html, max_pages);
    let mut pages = vec![(home_url, home_html, home_headers)];
    for link in links {
        if let Ok(Some(page)) = fetcher.get_html(&link).await {
            pages.push((page.url, page.html, page.headers));
        }
    }
    scan.pages = pages.len();
    let table = table.clone();
    let own_name = target.name.clone();
    // Parsing is CPU work: off the async threads.
    let found = tokio::task::spawn_blocking(move || {
        let mut found: Vec<(Url, Detected)> = Vec::new();
        for (url, html, headers) in &pages {
            for d in detect(&table, &PageInput { url, html, headers }) {
                if d.evidence_kind == "text" && names_vendor(&own_name, &d.vendor) {
                    continue;
                }
                found.push((url.clone(), d));
            }
        }
        gather(found)
    })
    .await;
    match found {
        Ok(found) => {
            scan.signals = found
                .into_iter()
                .map(|(url, d)| NewSignal {
                    company_id: target.company_id,
                    vendor: d.vendor,
                    product: d.product,
                    category: d.category,
                    signal_type: d.signal_type.as_str().to_string(),
                    evidence_kind: d.evidence_kind.to_string(),
                    evidence: Some(d.snippet),
                    source_url: url.to_string(),
                    strength: d.strength,
                    confidence: d.confidence,
                })
                .collect();
        }
        Err(e) => scan.error = Some(format!("reading the pages failed: {e}")),
    }
    scan
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;
    use crate::store::Store;

    #[test]
    fn a_vendor_in_the_companys_own_name_is_not_a_signal() {
        let d = |vendor: &str, product: Option<&str>| Detected {
            vendor: vendor.into(),
            product: product.map(Into::into),
            category: "erp".into(),
            signal_type: crate::signals::SignalType::Mention,
            evidence_kind: "text",
            snippet: String::new(),
            strength: 0.1,
            confidence: 0.5,
        };
        assert!(names_vendor(
            "Oracle Tool & Die, Inc.",
            &d("Oracle", None).vendor
        ));
        assert!(names_vendor(
            "Global Shop Solutions Users Group",
            &d("Global Shop Solutions", None).vendor
        ));
        assert!(!names_vendor(
            "Kinetic Gear Co",
            &d("Epicor", Some("Kinetic")).vendor
        ));
        assert!(!names_vendor("Oracleton Forge", &d("Oracle", None).vendor));
        assert!(!names_vendor(
            "Acme Stamping",
            &d("SAP", Some("S/4HANA")).vendor
        ));
    }

    /// With the guard on (the default for jobs), a website on loopback is
    /// refused before any request leaves, with a reason naming the address.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn company_sites_on_private_addresses_are_refused() {
        use crate::fixture_site::{FixtureServer, World, WorldConfig};
        let world = Arc::new(World::new(WorldConfig {
            members: 5,
            ..Default::default()
        }));
        let server = FixtureServer::start(world, 0).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let store = Store::open(&db).unwrap();
        let site = format!("http://{}/", server.addr());
        let rec = MemberRecord {
            association: "PMA".into(),
            name: "Loopback Labs".into(),
            website: Some(site.clone()),
            source_url: "http://pma.example/members".into(),
            extractor: "generic".into(),
            confidence: 0.8,
            ..Default::default()
        };
        store.list_for_test(&rec).unwrap();
        let writer = Writer::start(store);
        let report = run_graph(GraphRun {
            writer: writer.clone(),
            job_id: None,
            events: EventSender::none(),
            control: RunControl::new(),
            settings: CrawlSettings::default(),
            crawl: CrawlOptions {
                politeness: false,
                public_only: true,
                ..Default::default()
            },
            force_full: false,
            config_dir: None,
            max_pages: 3,
            concurrency: 1,
            only: None,
        })
        .await
        .unwrap();
        writer.flush().await.unwrap();
        assert_eq!(report.sites_failed, 1);
        assert!(
            server.request_log().is_empty(),
            "nothing reached the server"
        );
        let error = Store::open_readonly(&db)
            .unwrap()
            .debug_query("SELECT error FROM company_site_scans")
            .unwrap()[0][0]
            .clone()
            .unwrap();
        assert!(
            error.contains("127.0.0.1") && error.contains("public addresses only"),
            "{error}"
        );
        server.shutdown().await;
    }

    /// A site that cannot be read is recorded as failed with its reason;
    /// the phase goes on and finishes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unreadable_sites_fail_alone_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let store = Store::open(&db).unwrap();
        // A port nothing listens on, and a website that is not http(s).
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}/", closed.local_addr().unwrap());
        drop(closed);
        for (name, website) in [
            ("Dead Port Inc", dead.as_str()),
            ("Ftp Only Co", "ftp://files.example/"),
        ] {
            let rec = MemberRecord {
                association: "PMA".into(),
                name: name.into(),
                website: Some(website.into()),
                source_url: "http://pma.example/members".into(),
                extractor: "generic".into(),
                confidence: 0.8,
                ..Default::default()
            };
            store.list_for_test(&rec).unwrap();
        }
        let writer = Writer::start(store);
        let settings = CrawlSettings {
            timeout_secs: 2,
            max_retries: 0,
            ..Default::default()
        };
        let report = run_graph(GraphRun {
            writer: writer.clone(),
            job_id: None,
            events: EventSender::none(),
            control: RunControl::new(),
            settings,
            crawl: CrawlOptions {
                politeness: false,
                backoff_min: Duration::from_millis(10),
                ..Default::default()
            },
            force_full: false,
            config_dir: None,
            max_pages: 3,
            concurrency: 2,
            only: None,
        })
        .await
        .unwrap();
        writer.flush().await.unwrap();
        assert_eq!(
            (report.companies, report.sites_failed, report.sites_read),
            (2, 2, 0)
        );
        let store = Store::open_readonly(&db).unwrap();
        let errors = store
            .debug_query("SELECT status, error FROM company_site_scans ORDER BY company_id")
            .unwrap();
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|r| r[0].as_deref() == Some("failed")));
        let texts: Vec<String> = errors.iter().map(|r| r[1].clone().unwrap()).collect();
        assert!(texts[0].contains(&dead), "{}", texts[0]);
        assert!(texts[1].contains("not an http(s) address"), "{}", texts[1]);
    }
}
