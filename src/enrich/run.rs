//! The ENRICHMENT phase: for each company with a website, run the chains
//! of the kinds asked for and store what they found. A resumed or repeated
//! run skips companies whose kinds are done (unless `--force-full`); a
//! provider that fails moves its chain on and never fails the job.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;

use super::chain::{Chain, ChainResult, Guarded, ProviderLimits, Usage, usage_of};
use super::leads::TitleTable;
use super::website::{SiteReader, TeamPages, WebsiteFirmographics, WebsiteTechstack};
use super::{Kind, Provider};
use crate::config::{CrawlSettings, EnrichSettings};
use crate::crawl::{CrawlOptions, PoliteFetcher};
use crate::model::{EventSender, Phase, PipelineEvent, RunControl};
use crate::signals::VendorTable;
use crate::store::enrichment::KindOutcome;
use crate::store::{EnrichmentRecord, EnrichmentTarget, LeadContact, NewProviderUsage, Writer};

/// Keyless providers, built on the company's own website.
pub const WEBSITE_PROVIDERS: &[&str] = &["website", "fingerprints", "job_postings", "team_pages"];

/// API keys by provider name. Its `Debug` shows names only.
#[derive(Clone, Default)]
pub struct ApiKeys(HashMap<String, String>);

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        write!(f, "ApiKeys({names:?})")
    }
}

impl ApiKeys {
    pub fn new(keys: HashMap<String, String>) -> Self {
        Self(keys)
    }

    /// Keys of `providers` from the keyring or the environment (blocking:
    /// keyring calls; run off the async threads).
    pub fn from_secrets(providers: &[String]) -> Self {
        let secrets = crate::secrets::Secrets::detect();
        let mut out = HashMap::new();
        for p in providers {
            if let Ok(Some((key, _))) = secrets.get(p) {
                out.insert(p.clone(), key);
            }
        }
        Self(out)
    }

    fn get(&self, provider: &str) -> Option<&String> {
        self.0.get(provider)
    }
}

/// What the phase needs.
pub struct EnrichRun {
    pub writer: Writer,
    pub job_id: Option<i64>,
    pub events: EventSender,
    pub control: RunControl,
    pub crawl_settings: CrawlSettings,
    /// Politeness switch, resolver override and the public-address guard.
    pub crawl: CrawlOptions,
    pub settings: EnrichSettings,
    /// The kinds to run (all three by default).
    pub kinds: Vec<Kind>,
    pub force_full: bool,
    /// Where `vendors.toml` and `target_titles.toml` overrides may be.
    pub config_dir: Option<PathBuf>,
    pub keys: ApiKeys,
    /// Enrich only these companies (a domain-list or prospecting run's own).
    pub only: Option<Vec<i64>>,
    /// Announce each company as a lead: `lead_enrichment_start` and `_end`.
    pub lead_events: bool,
}

/// What the phase did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnrichReport {
    /// Companies due for enrichment.
    pub companies: usize,
    pub enriched: usize,
    /// Companies with findings, per kind.
    pub found: BTreeMap<String, usize>,
    pub technologies: usize,
    pub contacts: usize,
    /// Per-provider counts of this run.
    pub providers: BTreeMap<String, Usage>,
    /// Providers of the chains left out, with why (no key, unknown name).
    pub left_out: Vec<String>,
    /// Companies whose own site could not be read, and the first reason.
    pub sites_unreachable: usize,
    pub first_unreachable: Option<String>,
    pub cancelled: bool,
}

impl EnrichReport {
    pub fn summary(&self) -> String {
        let found: Vec<String> = self.found.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let mut s = format!(
            "{} of {} companies enriched ({}); {} technologies, {} contacts",
            self.enriched,
            self.companies,
            if found.is_empty() {
                "nothing found".to_string()
            } else {
                found.join(", ")
            },
            self.technologies,
            self.contacts
        );
        let paid: Vec<String> = self
            .providers
            .iter()
            .filter(|(n, _)| !WEBSITE_PROVIDERS.contains(&n.as_str()))
            .map(|(n, u)| format!("{n} {} hits/{} errors", u.hits, u.errors))
            .collect();
        if !paid.is_empty() {
            s.push_str(&format!("; {}", paid.join(", ")));
        }
        if let Some(why) = &self.first_unreachable {
            s.push_str(&format!(
                "; {} company sites could not be read (e.g. {why})",
                self.sites_unreachable
            ));
        }
        s
    }
}

/// The chains of the kinds asked for, each provider one guard shared by
/// every chain it is in.
struct Built {
    chains: Vec<Chain>,
    reader: Arc<SiteReader>,
    titles: Arc<TitleTable>,
    left_out: Vec<String>,
}

fn keyless_limits() -> ProviderLimits {
    // Politeness is the fetcher's, per domain; one dead site is not the
    // provider failing.
    ProviderLimits {
        per_second: 0.0,
        retries: 0,
        breaker_failures: u32::MAX,
        ..Default::default()
    }
}

fn build(run: &EnrichRun, used_today: &HashMap<String, i64>) -> Result<Built> {
    let fetcher = Arc::new(PoliteFetcher::with_options(
        &run.crawl_settings,
        &run.crawl,
    )?);
    let reader = Arc::new(SiteReader::new(fetcher, run.settings.max_pages_per_site));
    let table = Arc::new(VendorTable::load(run.config_dir.as_deref())?);
    let titles = Arc::new(TitleTable::load(run.config_dir.as_deref())?);
    let http = reqwest::Client::builder()
        .user_agent(run.crawl_settings.user_agent.clone())
        .timeout(Duration::from_secs(run.crawl_settings.timeout_secs.max(1)))
        .build()
        .context("building the HTTP client of the provider APIs")?;
    let mut guards: HashMap<String, Arc<Guarded>> = HashMap::new();
    let mut left_out = Vec::new();
    let mut chains = Vec::new();
    for kind in &run.kinds {
        let (names, min_fields) = match kind {
            Kind::Firmographic => (
                &run.settings.firmographic,
                run.settings.min_fields.firmographic,
            ),
            Kind::Techstack => (&run.settings.techstack, run.settings.min_fields.techstack),
            Kind::Contacts => (&run.settings.contacts, run.settings.min_fields.contacts),
        };
        let mut providers = Vec::new();
        for name in names {
            if let Some(g) = guards.get(name) {
                if g.provider().kinds().contains(kind) {
                    providers.push(g.clone());
                }
                continue;
            }
            let limits = run.settings.providers.get(name).cloned();
            let provider: Arc<dyn Provider> = match name.as_str() {
                "website" => Arc::new(WebsiteFirmographics {
                    reader: reader.clone(),
                }),
                "fingerprints" => Arc::new(WebsiteTechstack::fingerprints(
                    reader.clone(),
                    table.clone(),
                )),
                "job_postings" => Arc::new(WebsiteTechstack::job_postings(
                    reader.clone(),
                    table.clone(),
                )),
                "team_pages" => Arc::new(TeamPages {
                    reader: reader.clone(),
                    titles: titles.clone(),
                    max_contacts: run.settings.max_contacts.max(1),
                }),
                api => {
                    let Some(key) = run.keys.get(api) else {
                        let why = format!("{api}: no API key set");
                        if !left_out.contains(&why) {
                            left_out.push(why);
                        }
                        continue;
                    };
                    let base = limits.as_ref().and_then(|l| l.base_url.as_deref());
                    match super::api::build(api, key.clone(), base, http.clone()) {
                        Ok(p) => p,
                        Err(e) => {
                            left_out.push(format!("{api}: {e:#}"));
                            continue;
                        }
                    }
                }
            };
            let limits = limits.unwrap_or_else(|| {
                if WEBSITE_PROVIDERS.contains(&name.as_str()) {
                    keyless_limits()
                } else {
                    ProviderLimits::default()
                }
            });
            let used = used_today.get(name).copied().unwrap_or(0).max(0) as u64;
            let g = Arc::new(Guarded::new(provider, limits, used));
            guards.insert(name.clone(), g.clone());
            if g.provider().kinds().contains(kind) {
                providers.push(g);
            } else {
                left_out.push(format!("{name}: does not offer {kind}"));
            }
        }
        chains.push(Chain {
            kind: *kind,
            providers,
            min_fields: min_fields.max(1),
        });
    }
    Ok(Built {
        chains,
        reader,
        titles,
        left_out,
    })
}

/// Which provider's part holds an item first.
fn provider_of<T>(
    result: &ChainResult,
    pick: impl Fn(&super::Findings) -> &[T],
    same: impl Fn(&T) -> bool,
) -> String {
    result
        .parts
        .iter()
        .find(|(_, f)| pick(f).iter().any(&same))
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| result.answered_by.join("+"))
}

/// Runs the chains of one company and shapes what they found for the store.
async fn enrich_company(
    built: &Built,
    item: &EnrichmentTarget,
    job_id: Option<i64>,
    max_contacts: usize,
) -> (EnrichmentRecord, Option<String>) {
    let t = &item.target;
    let mut rec = EnrichmentRecord {
        company_id: t.company_id,
        job_id,
        ..Default::default()
    };
    let mut unreachable = None;
    for chain in &built.chains {
        let result = chain.run(t).await;
        for a in &result.attempts {
            if let super::chain::Outcome::Skipped(why) = &a.outcome {
                unreachable.get_or_insert_with(|| why.clone());
            }
        }
        let fields = result.findings.fields_for(chain.kind);
        let found = !result.answered_by.is_empty();
        match chain.kind {
            Kind::Firmographic => {
                if let Some(f) = result.findings.firmographics.clone() {
                    rec.firmographics = Some((
                        f,
                        result.answered_by.join("+"),
                        result.findings.source_url.clone(),
                    ));
                }
            }
            Kind::Techstack => {
                for tech in &result.findings.technologies {
                    let provider = provider_of(
                        &result,
                        |f| &f.technologies,
                        |x| x.vendor == tech.vendor && x.category == tech.category,
                    );
                    rec.technologies.push((tech.clone(), provider));
                }
            }
            Kind::Contacts => {
                let mut leads: Vec<LeadContact> = result
                    .findings
                    .contacts
                    .iter()
                    .map(|c| {
                        let rule = built.titles.rule_for(c.title.as_deref());
                        let provider = provider_of(
                            &result,
                            |f| &f.contacts,
                            |x| x.full_name == c.full_name && x.email == c.email,
                        );
                        let email_source = c
                            .email
                            .as_ref()
                            .map(|_| c.email_source.clone().unwrap_or_else(|| "provider".into()));
                        LeadContact {
                            contact: c.clone(),
                            provider,
                            persona: rule.persona,
                            lead_score_adjustment: rule.adjustment,
                            lead_rule: rule.rule,
                            email_source,
                        }
                    })
                    .collect();
                // Best leads first; the cap applies across providers.
                leads.sort_by_key(|l| std::cmp::Reverse(l.lead_score_adjustment));
                leads.truncate(max_contacts.max(1));
                rec.contacts = leads;
                rec.email_pattern = result.findings.email_pattern.clone();
            }
        }
        rec.kinds.push(KindOutcome {
            kind: chain.kind.as_str(),
            found,
            providers: result.answered_by.join(","),
            attempts: serde_json::to_string(&result.attempts).unwrap_or_else(|_| "[]".into()),
            fields: fields as i64,
        });
    }
    built.reader.forget(t.company_id);
    (rec, unreachable)
}

/// Adds what each provider did since the last flush to `provider_usage`.
async fn flush_usage(
    writer: &Writer,
    chains: &[Chain],
    flushed: &mut BTreeMap<&'static str, Usage>,
) -> Result<()> {
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (name, now) in usage_of(chains) {
        let before = flushed.get(name).cloned().unwrap_or_default();
        let delta = NewProviderUsage {
            provider: name.to_string(),
            day: day.clone(),
            requests: (now.requests - before.requests) as i64,
            errors: (now.errors - before.errors) as i64,
            credits: now.credits - before.credits,
            hits: (now.hits - before.hits) as i64,
            misses: (now.misses - before.misses) as i64,
            quota_rejections: (now.quota_rejections - before.quota_rejections) as i64,
        };
        if delta.requests > 0 || delta.quota_rejections > 0 {
            writer.submit(move |s| s.add_provider_usage(&delta)).await?;
        }
        flushed.insert(name, now);
    }
    Ok(())
}

/// Runs the phase to the end, or until the job is cancelled (what was
/// stored stays; a resumed job goes on with the rest).
pub async fn run_enrichment(run: EnrichRun) -> Result<EnrichReport> {
    let kinds: Vec<&'static str> = run.kinds.iter().map(|k| k.as_str()).collect();
    let (job_id, force) = (run.job_id, run.force_full);
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (targets, used_today) = run
        .writer
        .call(move |s| {
            Ok((
                s.enrichment_targets(job_id, &kinds, force)?,
                s.provider_requests_on(&day)?,
            ))
        })
        .await
        .context("listing companies to enrich")?;
    let targets = match &run.only {
        Some(ids) => targets
            .into_iter()
            .filter(|t| ids.contains(&t.target.company_id))
            .collect(),
        None => targets,
    };
    let built = Arc::new(build(&run, &used_today)?);
    let mut report = EnrichReport {
        companies: targets.len(),
        left_out: built.left_out.clone(),
        ..Default::default()
    };
    for why in &built.left_out {
        tracing::info!(provider = %why, "enrichment provider left out");
    }
    let total = targets.len() as u64;
    let progress = |done: usize, report: &EnrichReport| PipelineEvent::Progress {
        job_id: job_id.unwrap_or(0),
        phase: Phase::Enrichment,
        done: done as u64,
        total: Some(total),
        message: Some(format!(
            "companies ({} technologies, {} contacts)",
            report.technologies, report.contacts
        )),
    };
    let max_contacts = run.settings.max_contacts;
    let control = run.control.clone();
    let (lead_events, events) = (run.lead_events, run.events.clone());
    let mut stream = futures::stream::iter(targets)
        .map(|item| {
            let (built, control) = (built.clone(), control.clone());
            let announce = lead_events.then(|| events.clone());
            async move {
                if !control.proceed().await {
                    return None;
                }
                if let Some(ev) = &announce {
                    ev.emit(PipelineEvent::LeadEnrichmentStart {
                        job_id: job_id.unwrap_or(0),
                        company_id: item.target.company_id,
                        domain: item.target.domain.clone(),
                    });
                }
                let out = enrich_company(&built, &item, job_id, max_contacts).await;
                if let Some(ev) = &announce {
                    ev.emit(PipelineEvent::LeadEnrichmentEnd {
                        job_id: job_id.unwrap_or(0),
                        company_id: item.target.company_id,
                        found: out
                            .0
                            .kinds
                            .iter()
                            .filter(|k| k.found)
                            .map(|k| k.kind.to_string())
                            .collect(),
                        contacts: out.0.contacts.len(),
                        error: out.1.clone(),
                    });
                }
                Some(out)
            }
        })
        .buffer_unordered(run.settings.concurrent_sites.max(1));
    let mut flushed = BTreeMap::new();
    let (mut done, mut last_event) = (0usize, Instant::now());
    while let Some(rec) = stream.next().await {
        let Some((rec, unreachable)) = rec else {
            report.cancelled = true;
            continue;
        };
        if let Some(why) = unreachable {
            report.sites_unreachable += 1;
            report.first_unreachable.get_or_insert(why);
        }
        done += 1;
        report.enriched += usize::from(rec.kinds.iter().any(|k| k.found));
        for k in rec.kinds.iter().filter(|k| k.found) {
            *report.found.entry(k.kind.to_string()).or_default() += 1;
        }
        report.technologies += rec.technologies.len();
        report.contacts += rec.contacts.len();
        run.writer
            .submit(move |s| s.record_enrichment(&rec))
            .await?;
        if done.is_multiple_of(50) {
            flush_usage(&run.writer, &built.chains, &mut flushed).await?;
        }
        if last_event.elapsed() >= Duration::from_millis(250) {
            last_event = Instant::now();
            run.events.emit(progress(done, &report));
        }
    }
    flush_usage(&run.writer, &built.chains, &mut flushed).await?;
    report.providers = usage_of(&built.chains)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    report.cancelled |= run.control.is_cancelled();
    if !report.cancelled {
        run.events.emit(progress(done, &report));
    }
    run.writer.flush().await?;
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::MemberRecord;
    use crate::store::Store;

    /// With the guard on (the default for jobs), a company website on
    /// loopback is refused before any request leaves; the phase completes
    /// and says why nothing was found.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn company_sites_on_private_addresses_are_refused() {
        use crate::fixture_site::{FixtureServer, World, WorldConfig};
        let world = Arc::new(World::new(WorldConfig {
            members: 5,
            ..Default::default()
        }));
        let server = FixtureServer::start(world, 0).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.db")).unwrap();
        let rec = MemberRecord {
            association: "PMA".into(),
            name: "Loopback Labs".into(),
            website: Some(format!("http://{}/", server.addr())),
            source_url: "http://pma.example/members".into(),
            extractor: "generic".into(),
            confidence: 0.8,
            ..Default::default()
        };
        store.list_for_test(&rec).unwrap();
        let writer = Writer::start(store);
        let report = run_enrichment(EnrichRun {
            writer: writer.clone(),
            job_id: None,
            events: EventSender::none(),
            control: RunControl::new(),
            crawl_settings: CrawlSettings::default(),
            crawl: CrawlOptions {
                politeness: false,
                public_only: true,
                ..Default::default()
            },
            settings: EnrichSettings::default(),
            kinds: Kind::ALL.to_vec(),
            force_full: false,
            config_dir: None,
            keys: ApiKeys::default(),
            only: None,
            lead_events: false,
        })
        .await
        .unwrap();
        assert_eq!((report.companies, report.enriched), (1, 0));
        assert_eq!(report.sites_unreachable, 1);
        let why = report.first_unreachable.clone().unwrap();
        assert!(why.contains("public addresses only"), "{why}");
        assert!(report.summary().contains("could not be read"));
        assert!(
            server.request_log().is_empty(),
            "nothing reached the server"
        );
        // No key set: every paid provider is left out, named.
        assert!(
            report
                .left_out
                .iter()
                .any(|l| l.starts_with("clearbit: no API key"))
        );
        server.shutdown().await;
    }

    #[test]
    fn api_keys_never_show_in_debug() {
        let keys = ApiKeys::new(HashMap::from([(
            "hunter".to_string(),
            "sk_SECRET_1234".to_string(),
        )]));
        let shown = format!("{keys:?}");
        assert!(
            shown.contains("hunter") && !shown.contains("SECRET"),
            "{shown}"
        );
    }
}
