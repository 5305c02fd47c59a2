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

use super::analysis::{Analysis, AnalysisInput, AnalysisMethod, AnalysisRun, analyse};
use super::chain::{Chain, ChainResult, Guarded, ProviderLimits, Usage, usage_of};
use super::leads::TitleTable;
use super::website::{
    PageRole, SitePage, SiteReader, TeamPages, WebsiteFirmographics, WebsiteTechstack,
};
use super::{EnrichTarget, Kind, Provider};
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

    pub fn get(&self, provider: &str) -> Option<&String> {
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
    /// Analyse each company (business type, NAICS, products, ...) from
    /// what was found and the pages already read; `None` skips it.
    pub analysis: Option<AnalysisRun>,
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
    /// Companies analysed, by the model, and those whose model answer
    /// could not be used (with the first reason).
    pub analysed: usize,
    pub analysed_by_llm: usize,
    pub llm_fallbacks: usize,
    pub first_llm_fallback: Option<String>,
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
        if self.analysed > 0 {
            s.push_str(&format!(
                "; {} companies analysed ({} by the model)",
                self.analysed, self.analysed_by_llm
            ));
        }
        if let Some(why) = &self.first_llm_fallback {
            s.push_str(&format!(
                "; {} model answers not used (e.g. {why})",
                self.llm_fallbacks
            ));
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
    analysis: Option<AnalysisRun>,
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
        analysis: run.analysis.clone(),
    })
}

/// Pages that say what a company is and sells, in the order they say it
/// best; team, careers and news pages speak of other things.
fn page_weight(role: PageRole) -> Option<u8> {
    match role {
        PageRole::Home => Some(0),
        PageRole::About => Some(1),
        PageRole::Products => Some(2),
        PageRole::Other => Some(3),
        PageRole::Contact => Some(4),
        PageRole::Team | PageRole::Careers | PageRole::News => None,
    }
}

/// The visible text of the telling pages, at most `max` characters. A
/// line already taken (the menu, the footer) is not taken again.
fn analysis_text(pages: &[SitePage], max: usize) -> String {
    let mut telling: Vec<(u8, &SitePage)> = pages
        .iter()
        .filter_map(|p| page_weight(p.role).map(|w| (w, p)))
        .collect();
    telling.sort_by_key(|(w, _)| *w);
    let mut seen = std::collections::HashSet::new();
    let (mut out, mut room) = (String::new(), max);
    for (_, page) in telling {
        let doc = scraper::Html::parse_document(&page.html);
        let text = crate::normalize::text::clean_lines(&crate::signals::detect::visible_text(&doc));
        for line in text.lines() {
            if room == 0 {
                return out;
            }
            if !seen.insert(line.to_string()) {
                continue;
            }
            let taken: String = line.chars().take(room).collect();
            room -= taken.chars().count();
            out.push_str(&taken);
            out.push('\n');
        }
    }
    out
}

/// What the run knows about the company, analysed; `None` when there is
/// nothing to analyse (no page read, nothing found).
async fn analyse_company(
    run: &AnalysisRun,
    reader: &SiteReader,
    t: &EnrichTarget,
    rec: &EnrichmentRecord,
) -> Option<Analysis> {
    // The pages the providers read, never fetched again.
    let page_text = match reader.cached(t.company_id) {
        Some(pages) => {
            let max = run.max_page_chars;
            tokio::task::spawn_blocking(move || analysis_text(&pages, max))
                .await
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let f = rec.firmographics.as_ref().map(|(f, _, _)| f);
    let input = AnalysisInput {
        name: t.name.clone(),
        website: t.website.clone(),
        description: f.and_then(|f| f.description.clone()),
        products: f.map(|f| f.products.clone()).unwrap_or_default(),
        industries: f.map(|f| f.industries_served.clone()).unwrap_or_default(),
        naics: f.and_then(|f| f.naics.clone()),
        page_text,
    };
    if input.is_empty() {
        return None;
    }
    Some(analyse(&input, run.llm.as_deref()).await)
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
    if let Some(run) = &built.analysis {
        rec.analysis = analyse_company(run, &built.reader, t, &rec).await;
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
        Some(ids) => {
            let keep: std::collections::HashSet<i64> = ids.iter().copied().collect();
            targets
                .into_iter()
                .filter(|t| keep.contains(&t.target.company_id))
                .collect()
        }
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
        if let Some(a) = &rec.analysis {
            report.analysed += 1;
            report.analysed_by_llm += usize::from(a.method == AnalysisMethod::Llm);
            if let Some(why) = &a.fallback_reason {
                report.llm_fallbacks += 1;
                report.first_llm_fallback.get_or_insert_with(|| why.clone());
            }
        }
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
            analysis: None,
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

    const LLM_KEY: &str = "sk-proj-SECRET_RUN_KEY_51c9";

    /// Enriches two companies of the fixture world (firmographics only)
    /// with the model answering `reply`; returns each one's stored
    /// analysis and name, the report, and the pages the sites served.
    async fn enrich_with_llm(
        reply: wiremock::ResponseTemplate,
    ) -> (Vec<(String, Analysis)>, EnrichReport, Vec<String>) {
        use crate::crawl::ResolveOverride;
        use crate::enrich::analysis::LlmClient;
        use crate::fixture_site::{FixtureServer, World, WorldConfig};
        use wiremock::matchers::{header, method, path};
        let world = Arc::new(World::new(WorldConfig {
            members: 4,
            ..Default::default()
        }));
        let truth = world.ground_truth();
        let server = FixtureServer::start(world, 0).await.unwrap();
        let llm = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header(
                "authorization",
                format!("Bearer {LLM_KEY}").as_str(),
            ))
            .respond_with(reply)
            .expect(2)
            .mount(&llm)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.db")).unwrap();
        let mut ids = Vec::new();
        for c in truth.companies.iter().take(2) {
            let rec = MemberRecord {
                association: "PMA".into(),
                name: c.name.clone(),
                website: Some(c.website.clone()),
                source_url: "http://pma.example/members".into(),
                extractor: "generic".into(),
                confidence: 0.8,
                ..Default::default()
            };
            ids.push((store.list_for_test(&rec).unwrap(), c.name.clone()));
        }
        let writer = Writer::start(store);
        let client = LlmClient::new(
            &format!("{}/v1", llm.uri()),
            LLM_KEY.into(),
            "gpt-4o-mini".into(),
            reqwest::Client::new(),
        )
        .unwrap();
        let report = run_enrichment(EnrichRun {
            writer: writer.clone(),
            job_id: None,
            events: EventSender::none(),
            control: RunControl::new(),
            crawl_settings: CrawlSettings::default(),
            crawl: CrawlOptions {
                politeness: false,
                public_only: false,
                resolve: Some(ResolveOverride {
                    host_suffixes: vec!["example".into()],
                    addr: server.addr(),
                }),
                ..Default::default()
            },
            settings: EnrichSettings::default(),
            kinds: vec![Kind::Firmographic],
            force_full: false,
            config_dir: None,
            keys: ApiKeys::default(),
            only: None,
            lead_events: false,
            analysis: Some(AnalysisRun {
                llm: Some(Arc::new(client)),
                max_page_chars: 20_000,
            }),
        })
        .await
        .unwrap();
        llm.verify().await;
        let mut out = Vec::new();
        for (id, name) in ids {
            let a = writer
                .call(move |s| s.company_analysis(id))
                .await
                .unwrap()
                .expect("an analysis row");
            out.push((name, a));
        }
        let served = server
            .request_log()
            .iter()
            .map(|r| format!("{}{}", r.host, r.path_and_query))
            .collect();
        server.shutdown().await;
        (out, report, served)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn enrichment_stores_the_models_analysis_with_its_prompt() {
        let content = r#"{"business_type": "manufacturer", "naics": "332710",
            "products": ["CNC machined parts"], "value_propositions": ["ISO 9001 certified"],
            "target_market": "Industrial OEMs", "confidence": 0.74}"#;
        let reply = wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "model": "gpt-4o-mini",
            "choices": [{ "message": { "role": "assistant", "content": content } }]
        }));
        let (rows, report, served) = enrich_with_llm(reply).await;
        for (name, a) in &rows {
            assert_eq!(a.method, AnalysisMethod::Llm, "{name}: {a:?}");
            assert_eq!(a.naics.as_deref(), Some("332710"));
            assert_eq!(a.confidence, 0.74);
            let prompt = a.prompt.as_deref().unwrap();
            assert!(prompt.contains(&format!("Company: {name}")), "{prompt}");
            // The pages the website provider read went into the prompt.
            assert!(prompt.contains("Website text"), "{prompt}");
            assert!(
                a.response
                    .as_deref()
                    .unwrap()
                    .contains("CNC machined parts")
            );
            assert_eq!(a.fallback_reason, None);
            for text in [prompt, a.response.as_deref().unwrap()] {
                assert!(!text.contains(LLM_KEY));
            }
        }
        assert_eq!((report.analysed, report.analysed_by_llm), (2, 2));
        assert!(
            report
                .summary()
                .contains("2 companies analysed (2 by the model)")
        );
        // Analysis read the cached pages: no page was fetched twice.
        let mut seen = std::collections::HashSet::new();
        for page in &served {
            assert!(seen.insert(page), "{page} fetched twice: {served:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_garbage_answer_leaves_the_rules_analysis_and_says_why() {
        let reply = wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "choices": [{ "message": { "role": "assistant",
                                       "content": "I think it is a machine shop, maybe?" } }]
        }));
        let (rows, report, _) = enrich_with_llm(reply).await;
        for (name, a) in &rows {
            assert_eq!(a.method, AnalysisMethod::Rules, "{name}: {a:?}");
            let why = a.fallback_reason.as_deref().unwrap();
            assert!(why.contains("not JSON"), "{why}");
            assert!(a.prompt.as_deref().unwrap().contains(name.as_str()));
            assert!(
                a.response
                    .as_deref()
                    .unwrap()
                    .contains("machine shop, maybe")
            );
            // The rules read the same pages: the promises are in the page
            // text only, not in the firmographics.
            assert!(!a.value_propositions.is_empty(), "{a:?}");
            assert!(a.confidence > 0.0, "{a:?}");
        }
        assert_eq!((report.analysed, report.analysed_by_llm), (2, 0));
        assert_eq!(report.llm_fallbacks, 2);
        assert!(report.summary().contains("model answers not used"));
    }

    #[test]
    fn analysis_text_takes_telling_pages_first_each_line_once_within_budget() {
        let page = |path: &str, body: &str| {
            let url = url::Url::parse(&format!("http://a.example{path}")).unwrap();
            SitePage {
                role: PageRole::of(&url),
                url,
                html: format!("<html><body><nav>Home About</nav><p>{body}</p></body></html>"),
                headers: Vec::new(),
            }
        };
        let pages = vec![
            page("/careers/", "We are hiring welders"),
            page("/about-us/", "Founded in 1962"),
            page("/", "Metal stampings"),
        ];
        let text = analysis_text(&pages, 1000);
        let at = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s} not in {text:?}"))
        };
        assert!(at("Metal stampings") < at("Founded in 1962"), "{text:?}");
        assert!(!text.contains("hiring"), "{text:?}");
        assert_eq!(text.matches("Home About").count(), 1, "{text:?}");
        let cut = analysis_text(&pages, 12);
        assert_eq!(cut.chars().filter(|c| *c != '\n').count(), 12, "{cut:?}");
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
