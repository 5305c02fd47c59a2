//! Running a job: create or adopt it, run its mode's phases in order
//! (skipping those a resumed job already finished), obey pause/resume/cancel
//! from Ctrl-C and other nam processes, and record how it ended.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use super::params::JobParams;
use super::{PhaseOutcome, RunRequest, RunSummary, phases_of};
use crate::config::Config;
use crate::crawl::{CrawlContext, run_crawl};
use crate::extract::{ExtractRun, run_extraction};
use crate::model::{
    EventSender, JobMode, JobStatus, Phase, PhaseStatus, PipelineEvent, RunControl,
};
use crate::store::{JobControl, NewJob, Store, Writer};

/// How often a running job looks for pause/resume/cancel requests left in
/// the database by another nam process.
const CONTROL_POLL: Duration = Duration::from_millis(200);

/// Leaves a pause, resume or cancel request for a job running in another
/// process (or this one): it acts on it at its next batch boundary.
pub fn control_job(db: &Path, job_id: i64, control: JobControl) -> Result<()> {
    Store::open(db)?.request_control(job_id, control)
}

struct Job<'a> {
    cfg: &'a Config,
    db: &'a Path,
    config_path: Option<std::path::PathBuf>,
    writer: Writer,
    id: i64,
    mode: JobMode,
    params: JobParams,
    resumed: bool,
    events: EventSender,
    control: RunControl,
    summary: RunSummary,
}

/// The job a run works on.
struct Opened {
    id: i64,
    kind: String,
    mode: JobMode,
    params: JobParams,
    resumed: bool,
}

/// Creates the job, or adopts the one to resume; `None` when that one had
/// already completed (nothing to do).
async fn open_job(writer: &Writer, req: &RunRequest) -> Result<Option<Opened>> {
    // Two jobs on one database would claim each other's URLs.
    let other = req.resume;
    if let Some(live) = writer.call_guarded(move |s| s.live_job(other)).await? {
        anyhow::bail!(
            "job {live} is running on this database in another nam process; \
             wait for it, or pause or cancel it with `nam jobs`"
        );
    }
    if let Some(id) = req.resume {
        let job = writer
            .call_guarded(move |s| match s.job(id)? {
                Some(j) if j.status == JobStatus::Completed => Ok(j),
                _ => s.adopt_job(id),
            })
            .await?;
        if job.status == JobStatus::Completed {
            return Ok(None);
        }
        return Ok(Some(Opened {
            id,
            kind: job.kind,
            mode: job.mode,
            params: JobParams::from_json(&job.params)?,
            resumed: true,
        }));
    }
    let (kind, mode, json) = (req.kind.clone(), req.mode, req.params.to_json());
    let id = writer
        .call(move |s| {
            s.create_job(&NewJob {
                kind: &kind,
                mode,
                params_json: &json,
            })
        })
        .await?;
    Ok(Some(Opened {
        id,
        kind: req.kind.clone(),
        mode: req.mode,
        params: req.params.clone(),
        resumed: false,
    }))
}

/// Runs (or resumes) a job to its end, a failure, or a cancellation.
pub async fn run(
    cfg: &Config,
    req: RunRequest,
    events: EventSender,
    control: RunControl,
) -> Result<RunSummary> {
    if req.dry_run {
        return dry_run(cfg, &req, events).await;
    }
    let writer = Writer::open(&req.db)?;
    let Some(opened) = open_job(&writer, &req).await? else {
        writer.close().await?;
        let mut done = RunSummary::empty(req.resume, JobStatus::Completed);
        done.resumed = true;
        done.already_finished = true;
        return Ok(done);
    };
    let Opened {
        id,
        kind,
        mode,
        params,
        resumed,
    } = opened;
    let mut params = params;
    let world = super::demo::serve_if_demo(&mut params).await?;
    events.emit(PipelineEvent::JobStarted {
        job_id: id,
        kind,
        mode,
        resumed,
    });
    let mut job = Job {
        cfg,
        db: &req.db,
        config_path: req.config_path.clone(),
        writer: writer.clone(),
        id,
        mode,
        params,
        resumed,
        events: events.clone(),
        control: control.clone(),
        summary: RunSummary {
            resumed,
            ..RunSummary::empty(Some(id), JobStatus::Running)
        },
    };
    let watcher = tokio::spawn(watch_control(
        writer.clone(),
        id,
        control.clone(),
        events.clone(),
    ));
    let mut result = job.run_phases().await;
    watcher.abort();
    if let Some(w) = world {
        w.shutdown().await;
    }
    // Everything the phases handed the writer must have landed before the
    // job may call itself done.
    if result.is_ok()
        && let Err(e) = writer.flush().await
    {
        result = Err(e);
    }
    let (status, error) = match &result {
        Ok(()) if control.is_cancelled() => (JobStatus::Cancelled, None),
        Ok(()) => (JobStatus::Completed, None),
        Err(e) => (JobStatus::Failed, Some(format!("{e:#}"))),
    };
    let err = error.clone();
    let mut finished = writer
        .call(move |s| {
            s.finish_job(id, status, err.as_deref())?;
            Ok((s.company_count()?, s.membership_count()?))
        })
        .await;
    if finished.is_err() {
        // The writer failed: record the end through a connection of our own.
        let err = error.clone();
        finished = Store::open(&req.db).and_then(|s| {
            s.finish_job(id, status, err.as_deref())?;
            Ok((s.company_count()?, s.membership_count()?))
        });
    }
    events.emit(match &error {
        Some(e) => PipelineEvent::PipelineError {
            job_id: id,
            error: e.clone(),
        },
        None => PipelineEvent::PipelineEnd {
            job_id: id,
            status,
            summary: job
                .summary
                .phases
                .iter()
                .map(|p| format!("{}: {}", p.phase, p.summary))
                .collect::<Vec<_>>()
                .join("; "),
        },
    });
    events.emit(PipelineEvent::JobFinished {
        job_id: id,
        status,
        error,
    });
    writer.close().await?;
    result?;
    let (companies, memberships) = finished?;
    job.summary.status = status;
    job.summary.companies = companies;
    job.summary.memberships = memberships;
    Ok(job.summary)
}

/// Acts on requests other processes leave in the database.
async fn watch_control(writer: Writer, job_id: i64, control: RunControl, events: EventSender) {
    let mut tick = tokio::time::interval(CONTROL_POLL);
    loop {
        tokio::select! {
            _ = control.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Ok(req) = writer.call(move |s| s.take_control(job_id)).await else {
            // Without the database nobody could resume a pause: stop instead.
            control.cancel();
            return;
        };
        let (status, event) = match req {
            None => continue,
            Some(JobControl::Cancel) => {
                tracing::info!(job_id, "cancel requested");
                control.cancel();
                return;
            }
            Some(JobControl::Pause) if !control.is_paused() => {
                control.pause();
                (JobStatus::Paused, PipelineEvent::JobPaused { job_id })
            }
            Some(JobControl::Resume) if control.is_paused() => {
                control.resume();
                (JobStatus::Running, PipelineEvent::JobResumed { job_id })
            }
            Some(_) => continue,
        };
        // The status is committed before anyone hears of the change.
        if writer
            .call(move |s| s.set_job_status(job_id, status))
            .await
            .is_err()
        {
            control.cancel();
            return;
        }
        events.emit(event);
    }
}

impl Job<'_> {
    async fn run_phases(&mut self) -> Result<()> {
        let wanted = phases_of(self.mode);
        let mut crawled = false;
        for phase in Phase::ALL {
            if self.control.is_cancelled() {
                return Ok(());
            }
            // INIT runs on every start: the disk may have filled meanwhile.
            if self.resumed && phase != Phase::Init {
                let id = self.id;
                let status = self.writer.call(move |s| s.phase_status(id, phase)).await?;
                if matches!(status, Some(PhaseStatus::Completed | PhaseStatus::Skipped)) {
                    continue;
                }
            }
            if !wanted.contains(&phase) {
                let reason = format!("not part of mode {}", self.mode);
                self.skip(phase, &reason).await?;
                continue;
            }
            match phase {
                Phase::Init => self.init().await?,
                Phase::Discovery if self.reads_targets() => self.intake().await?,
                Phase::Gatekeeper | Phase::Discovery | Phase::Classification if !crawled => {
                    crawled = true;
                    self.crawl().await?;
                }
                Phase::Gatekeeper | Phase::Discovery | Phase::Classification => {}
                Phase::Extraction => self.extraction().await?,
                Phase::Validation => self.validation().await?,
                Phase::Resolution => self.resolution().await?,
                Phase::Monitor => self.monitor().await?,
                Phase::Enrichment => self.enrichment().await?,
                Phase::Graph => self.graph().await?,
                Phase::Export => self.export().await?,
            }
        }
        Ok(())
    }

    async fn begin(&self, phase: Phase) -> Result<()> {
        let id = self.id;
        self.writer
            .submit(move |s| s.start_phase(id, phase))
            .await?;
        self.events
            .emit(PipelineEvent::PhaseStarted { job_id: id, phase });
        Ok(())
    }

    async fn end(&mut self, phase: Phase, summary: String, stats: serde_json::Value) -> Result<()> {
        self.finish(phase, PhaseStatus::Completed, summary, stats)
            .await
    }

    async fn finish(
        &mut self,
        phase: Phase,
        status: PhaseStatus,
        summary: String,
        stats: serde_json::Value,
    ) -> Result<()> {
        let id = self.id;
        let json = stats.to_string();
        self.writer
            .submit(move |s| s.finish_phase(id, phase, status, &json))
            .await?;
        self.events.emit(PipelineEvent::PhaseFinished {
            job_id: id,
            phase,
            status,
            summary: summary.clone(),
            stats,
        });
        self.summary.phases.push(PhaseOutcome {
            phase,
            status,
            summary,
        });
        Ok(())
    }

    async fn skip(&mut self, phase: Phase, reason: &str) -> Result<()> {
        self.finish(
            phase,
            PhaseStatus::Skipped,
            format!("skipped: {reason}"),
            serde_json::json!({ "reason": reason }),
        )
        .await
    }

    /// INIT: the health check (keys present, disk free, database, config)
    /// written to the job; a blocking problem fails the job here.
    async fn init(&mut self) -> Result<()> {
        self.begin(Phase::Init).await?;
        let paths = crate::config::Paths::resolve(Some(self.db), self.config_path.as_deref())?;
        let min_free = self.cfg.health.min_free_bytes();
        let report = tokio::task::spawn_blocking(move || {
            let secrets = crate::secrets::Secrets::detect();
            super::health::check(&super::health::HealthInput::new(
                &paths,
                Some(&secrets),
                min_free,
            ))
        })
        .await?;
        let stats = serde_json::json!({
            "health": report,
            "associations": self.params.associations.iter().map(|a| &a.code).collect::<Vec<_>>(),
            "seed_urls": self.params.seed_urls,
            "resumed": self.resumed,
        });
        if report.is_blocking() {
            let names: Vec<String> = report
                .blocking()
                .iter()
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            let why = names.join("; ");
            self.finish(
                Phase::Init,
                PhaseStatus::Failed,
                format!("health check failed: {why}"),
                stats,
            )
            .await?;
            anyhow::bail!("health check failed: {why}");
        }
        let warnings = report
            .checks
            .iter()
            .filter(|c| c.status == super::health::CheckStatus::Warn)
            .count();
        let summary = format!(
            "healthy{}; {} associations and {} extra sites to cover",
            if warnings > 0 {
                format!(" with {warnings} warning(s)")
            } else {
                String::new()
            },
            self.params.associations.len(),
            self.params.seed_urls.len()
        );
        self.end(Phase::Init, summary, stats).await
    }

    /// MONITOR: structural baselines of the listings this job fetched, and
    /// drift alerts where a site's layout changed.
    async fn monitor(&mut self) -> Result<()> {
        self.begin(Phase::Monitor).await?;
        let id = self.id;
        let associations = self.params.associations.clone();
        let report = self
            .writer
            .call_guarded(move |s| super::monitor::run_monitor(s, Some(id), &associations))
            .await
            .context("monitor")?;
        for a in &report.alerts {
            self.events.emit(PipelineEvent::DriftAlert {
                job_id: id,
                association: a.association.clone(),
                url: a.url.clone(),
                summary: a.summary.clone(),
            });
        }
        let summary = format!(
            "{} listing pages checked: {} new baselines, {} unchanged, {} drift alerts",
            report.pages,
            report.baselines_new,
            report.unchanged,
            report.alerts.len()
        );
        let stats = serde_json::to_value(&report)?;
        self.end(Phase::Monitor, summary, stats).await
    }

    /// Whether this job reads a list of domains (its own, or a search's)
    /// instead of crawling directories.
    fn reads_targets(&self) -> bool {
        matches!(self.mode, JobMode::Domains | JobMode::Prospect)
    }

    /// The companies a domain-list or prospecting job covers (`None`: the
    /// whole store).
    async fn scope(&self) -> Result<Option<Vec<i64>>> {
        if !self.reads_targets() {
            return Ok(None);
        }
        let id = self.id;
        self.writer.flush().await?;
        Ok(Some(
            self.writer
                .call(move |s| {
                    let mut ids = s.job_companies(id)?;
                    for c in s.prospect_companies(id)? {
                        if !ids.contains(&c) {
                            ids.push(c);
                        }
                    }
                    Ok(ids)
                })
                .await?,
        ))
    }

    /// DISCOVERY of a domain-list or prospecting job: the domains to read
    /// (from the list file, or from a web search for the ICP profile)
    /// added to the job once, then every pending one read.
    async fn intake(&mut self) -> Result<()> {
        self.begin(Phase::Discovery).await?;
        let id = self.id;
        let has_targets = self.writer.call(move |s| s.job_has_targets(id)).await?;
        let mut stats = serde_json::Map::new();
        let mut queries = std::collections::HashMap::new();
        if !has_targets {
            match self.mode {
                JobMode::Domains => {
                    let listed = self.add_list_targets().await?;
                    stats.insert("list".into(), serde_json::to_value(&listed)?);
                }
                _ => {
                    let found = self.search_targets().await?;
                    queries = found.queries_of.clone();
                    stats.insert("search".into(), serde_json::to_value(&found)?);
                }
            }
        } else {
            // Resumed: the queries that found the sites are in the store.
            for lead in self.writer.call(move |s| s.prospect_leads(id)).await? {
                if let (Some(d), Some(q)) = (lead.domain, lead.query) {
                    queries.entry(d).or_insert(q);
                }
            }
        }
        let fetcher = std::sync::Arc::new(crate::crawl::PoliteFetcher::with_options(
            &self.crawl_settings(),
            &crate::crawl::CrawlOptions {
                public_only: !self.private_sites_allowed(),
                ..self.params.crawl_options()?
            },
        )?);
        let run = crate::prospect::IntakeRun {
            writer: self.writer.clone(),
            job_id: id,
            events: self.events.clone(),
            control: self.control.clone(),
            fetcher,
            concurrency: self.cfg.signals.concurrent_sites,
            queries,
        };
        let report = crate::prospect::run_intake(run)
            .await
            .context("reading the sites")?;
        if !report.cancelled {
            stats.insert("intake".into(), serde_json::to_value(&report)?);
            self.end(Phase::Discovery, report.summary(), stats.into())
                .await?;
        }
        Ok(())
    }

    /// A prospecting job's targets: the sites a web search finds for its
    /// ICP profile.
    async fn search_targets(&mut self) -> Result<crate::prospect::search::SearchFound> {
        use crate::prospect::search::{SearchFound, search_sites};
        let Some(name) = self.params.profile.clone() else {
            anyhow::bail!("a prospecting run needs an ICP profile (--prospect NAME)");
        };
        let profile = self.load_profile(&name)?;
        let settings = self.cfg.search.clone();
        let queries = crate::icp::search_queries(
            &profile,
            &self.params.search_terms,
            settings.max_queries.max(1),
        );
        let provider = settings.provider.clone();
        let wanted = vec![provider.clone()];
        let keys =
            tokio::task::spawn_blocking(move || crate::enrich::run::ApiKeys::from_secrets(&wanted))
                .await
                .context("reading the search key")?;
        let Some(key) = keys.get(&provider).cloned() else {
            self.status(format!(
                "no {provider} key set (nam keys set {provider}): ranking the companies \
                 already in the store against ICP profile {name}"
            ));
            return Ok(SearchFound {
                profile: name,
                provider: "store".into(),
                queries,
                ..Default::default()
            });
        };
        self.status(format!(
            "searching {} queries with {provider} for ICP profile {name}",
            queries.len()
        ));
        let http = reqwest::Client::builder()
            .user_agent(self.cfg.crawl.user_agent.clone())
            .timeout(Duration::from_secs(self.cfg.crawl.timeout_secs.max(1)))
            .build()
            .context("building the HTTP client of the search provider")?;
        let searcher =
            crate::enrich::api::TavilySearch::new(key, settings.base_url.as_deref(), http)?;
        // The associations' own sites are directories, not prospects.
        let excluded: Vec<String> = super::select_associations(self.cfg, &[])
            .unwrap_or_default()
            .iter()
            .filter_map(|a| crate::normalize::registrable_domain(&a.base_url))
            .collect();
        let (sites, mut found) = search_sites(
            &searcher,
            &queries,
            settings.max_results,
            &excluded,
            &self.control,
        )
        .await;
        found.profile = name.clone();
        for e in &found.errors {
            self.events.emit(PipelineEvent::Warning {
                job_id: Some(self.id),
                message: format!("search {e}"),
            });
        }
        let leads: Vec<crate::store::NewProspectLead> = sites
            .iter()
            .map(|s| crate::store::NewProspectLead {
                profile: name.clone(),
                provider: provider.clone(),
                query: Some(s.query.clone()),
                rank: Some(s.hit.rank),
                url: s.hit.url.clone(),
                domain: Some(s.domain.clone()),
                title: s.hit.title.clone(),
                snippet: s.hit.snippet.clone(),
                ..Default::default()
            })
            .collect();
        let targets: Vec<crate::store::NewTarget> = sites
            .iter()
            .map(|s| crate::store::NewTarget {
                domain: s.domain.clone(),
                input: s.hit.url.clone(),
                source: format!("search:{provider}"),
                line: None,
            })
            .collect();
        let (id, retry, force) = (
            self.id,
            self.params.retry_dead_letters,
            self.params.force_full,
        );
        self.writer
            .call(move |s| {
                s.add_targets(id, &targets, retry, force)?;
                s.add_prospect_leads(id, &leads)
            })
            .await?;
        self.status(format!(
            "{} sites found by {} searches ({} results left out); reading them",
            found.sites,
            found.queries.len(),
            found.left_out
        ));
        Ok(found)
    }

    fn status(&self, message: String) {
        self.events.emit(PipelineEvent::StatusUpdate {
            job_id: self.id,
            message,
        });
    }

    /// The ICP profile this job scores against: its own, else the config's.
    fn profile_name(&self) -> Option<String> {
        self.params
            .profile
            .clone()
            .or_else(|| self.cfg.icp.profile.clone())
    }

    fn load_profile(&self, name: &str) -> Result<crate::icp::IcpProfile> {
        let dir = match self.config_dir() {
            Some(d) => d,
            None => crate::config::Paths::resolve(Some(self.db), None)?
                .config
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        if self.params.demo.is_some() && name == super::demo::DEMO_PROFILE {
            return super::demo::demo_profile(&dir);
        }
        crate::icp::IcpProfile::load(&dir, name)
    }

    /// End of GRAPH: every company in scope scored against the job's ICP
    /// profile; a prospecting job's leads qualified by their fit (or, with
    /// no search, the store's best fits taken as its leads).
    async fn score(&mut self) -> Result<Option<String>> {
        let Some(name) = self.profile_name() else {
            return Ok(None);
        };
        let profile = match self.load_profile(&name) {
            Ok(p) => p,
            Err(e) if self.mode != JobMode::Prospect => {
                // A missing default profile must not fail a crawl.
                self.events.emit(PipelineEvent::Warning {
                    job_id: Some(self.id),
                    message: format!("no ICP scores: {e:#}"),
                });
                return Ok(Some(format!("no ICP scores ({e:#})")));
            }
            Err(e) => return Err(e),
        };
        let id = self.id;
        let searched = self.writer.call(move |s| s.job_has_targets(id)).await?;
        let only = match self.mode {
            JobMode::Prospect if !searched => None,
            _ => self.scope().await?,
        };
        self.status(format!(
            "scoring {} against ICP profile {name}",
            match &only {
                Some(ids) => format!("{} companies", ids.len()),
                None => "every company".into(),
            }
        ));
        self.writer.flush().await?;
        let p = profile.clone();
        let report = self
            .writer
            .call(move |s| crate::icp::score_store(s, &p, only.as_deref()))
            .await
            .context("ICP scoring")?;
        let mut summary = report.summary();
        if self.mode == JobMode::Prospect {
            let min = self.cfg.icp.qualify_min_fit;
            let provider = if searched { "search" } else { "store" };
            let n = name.clone();
            let (qualified, leads) = self
                .writer
                .call(move |s| {
                    if !searched {
                        let best: Vec<crate::store::NewProspectLead> = s
                            .icp_scores(&n, usize::MAX)?
                            .into_iter()
                            .filter(|x| x.fit >= min)
                            .map(|x| {
                                let site = s.company(x.company_id)?.and_then(|c| c.website);
                                Ok(crate::store::NewProspectLead {
                                    profile: n.clone(),
                                    provider: "store".into(),
                                    url: site.unwrap_or_default(),
                                    company_id: Some(x.company_id),
                                    fit: Some(x.fit),
                                    qualified: true,
                                    ..Default::default()
                                })
                            })
                            .collect::<Result<_>>()?;
                        s.add_prospect_leads(id, &best)?;
                    }
                    s.qualify_prospect_leads(id, &n, min)
                })
                .await?;
            let line = format!(
                "{qualified} of {leads} {} leads qualify (fit at least {min:.0} for {name})",
                provider
            );
            self.status(line.clone());
            summary.push_str(&format!("; {line}"));
        }
        Ok(Some(summary))
    }

    /// The list file's domains added to the job; bad lines reported.
    async fn add_list_targets(&mut self) -> Result<crate::prospect::DomainList> {
        let Some(path) = self.params.domains_file.clone() else {
            anyhow::bail!("a domain-list run needs its list file (--domains FILE)");
        };
        let list = crate::prospect::read_list(&path)?;
        let problems: Vec<String> = list.problems().map(ToString::to_string).collect();
        let mut msg = format!(
            "{} domains to read from {}",
            list.domains.len(),
            path.display()
        );
        if !problems.is_empty() {
            msg.push_str(&format!("; {} lines skipped", problems.len()));
        }
        self.events.emit(PipelineEvent::StatusUpdate {
            job_id: self.id,
            message: msg,
        });
        for p in problems {
            self.events.emit(PipelineEvent::Warning {
                job_id: Some(self.id),
                message: format!("{}: {p}", path.display()),
            });
        }
        let source = format!(
            "list:{}",
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let targets: Vec<crate::store::NewTarget> = list
            .domains
            .iter()
            .map(|d| crate::store::NewTarget {
                domain: d.domain.clone(),
                input: d.input.clone(),
                source: source.clone(),
                line: Some(d.line),
            })
            .collect();
        let (id, retry, force) = (
            self.id,
            self.params.retry_dead_letters,
            self.params.force_full,
        );
        self.writer
            .call(move |s| s.add_targets(id, &targets, retry, force))
            .await?;
        Ok(list)
    }

    /// Whether company-site reads may reach private addresses: asked for,
    /// or a demo (its world is on loopback by construction).
    fn private_sites_allowed(&self) -> bool {
        self.params.allow_private_sites || self.params.demo.is_some()
    }

    fn config_dir(&self) -> Option<std::path::PathBuf> {
        self.config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    }

    /// ENRICHMENT: firmographics, tech stack and contacts per company from
    /// the provider chains (the company's website, paid APIs with keys).
    async fn enrichment(&mut self) -> Result<()> {
        self.begin(Phase::Enrichment).await?;
        self.writer.flush().await?;
        let settings = self.cfg.enrich.clone();
        let mut kinds = self.params.enrichment.clone();
        if kinds.is_empty() {
            kinds = crate::enrich::Kind::ALL.to_vec();
        }
        let mut wanted: Vec<String> = Vec::new();
        for name in settings
            .firmographic
            .iter()
            .chain(&settings.techstack)
            .chain(&settings.contacts)
        {
            if !wanted.contains(name) {
                wanted.push(name.clone());
            }
        }
        // The LLM of company analysis, when its key is set.
        wanted.push("openai".into());
        // Keyring calls block: off the async threads.
        let keys =
            tokio::task::spawn_blocking(move || crate::enrich::run::ApiKeys::from_secrets(&wanted))
                .await
                .context("reading API keys")?;
        let http = reqwest::Client::builder()
            .user_agent(self.cfg.crawl.user_agent.clone())
            .build()
            .context("building the HTTP client of the LLM")?;
        let analysis = crate::enrich::analysis::AnalysisRun::from_settings(
            &self.cfg.llm,
            keys.get("openai").cloned(),
            http,
        )
        .context("the [llm] settings")?;
        let run = crate::enrich::EnrichRun {
            writer: self.writer.clone(),
            job_id: Some(self.id),
            events: self.events.clone(),
            control: self.control.clone(),
            crawl_settings: self.crawl_settings(),
            crawl: crate::crawl::CrawlOptions {
                public_only: !self.private_sites_allowed(),
                ..self.params.crawl_options()?
            },
            settings,
            kinds,
            force_full: self.params.force_full,
            config_dir: self.config_dir(),
            keys,
            only: self.scope().await?,
            lead_events: self.reads_targets(),
            analysis: Some(analysis),
        };
        let report = crate::enrich::run_enrichment(run)
            .await
            .context("enrichment")?;
        if !report.cancelled {
            let stats = serde_json::to_value(&report)?;
            self.end(Phase::Enrichment, report.summary(), stats).await?;
        }
        Ok(())
    }

    /// GRAPH: company websites read for competitor signals, then the
    /// relationship graph rebuilt.
    async fn graph(&mut self) -> Result<()> {
        self.begin(Phase::Graph).await?;
        self.writer.flush().await?;
        let run = crate::signals::GraphRun {
            writer: self.writer.clone(),
            job_id: Some(self.id),
            events: self.events.clone(),
            control: self.control.clone(),
            settings: self.crawl_settings(),
            crawl: crate::crawl::CrawlOptions {
                public_only: !self.private_sites_allowed(),
                ..self.params.crawl_options()?
            },
            force_full: self.params.force_full,
            config_dir: self.config_dir(),
            max_pages: self.cfg.signals.max_pages_per_site,
            concurrency: self.cfg.signals.concurrent_sites,
            only: self.scope().await?,
        };
        let report = crate::signals::run_graph(run).await.context("graph")?;
        if !report.cancelled {
            let mut stats = serde_json::to_value(&report)?;
            let mut summary = report.summary();
            if let Some(scored) = self.score().await? {
                summary.push_str(&format!("; {scored}"));
                stats["icp"] = serde_json::Value::String(scored);
            }
            self.end(Phase::Graph, summary, stats).await?;
        }
        Ok(())
    }

    fn crawl_settings(&self) -> crate::config::CrawlSettings {
        let mut settings = self.cfg.crawl.clone();
        if self.params.demo.is_some() {
            super::demo::demo_settings(&mut settings);
        }
        settings
    }

    /// GATEKEEPER, DISCOVERY and CLASSIFICATION (the crawl records them).
    async fn crawl(&mut self) -> Result<()> {
        let ctx = CrawlContext {
            db: self.db.to_path_buf(),
            writer: Some(self.writer.clone()),
            job_id: Some(self.id),
            events: self.events.clone(),
            control: self.control.clone(),
            settings: self.crawl_settings(),
        };
        let report = run_crawl(&ctx, self.params.crawl_options()?)
            .await
            .context("crawl")?;
        if !report.cancelled {
            self.summary.phases.push(PhaseOutcome {
                phase: Phase::Gatekeeper,
                status: PhaseStatus::Completed,
                summary: report.gatekeeper_summary(),
            });
            self.summary.phases.push(PhaseOutcome {
                phase: Phase::Discovery,
                status: PhaseStatus::Completed,
                summary: report.discovery_summary(),
            });
            self.summary.phases.push(PhaseOutcome {
                phase: Phase::Classification,
                status: PhaseStatus::Completed,
                summary: report.classification_summary(),
            });
        }
        self.summary.crawl = Some(report);
        Ok(())
    }

    /// EXTRACTION over every page whose content was not extracted yet.
    async fn extraction(&mut self) -> Result<()> {
        let associations = self.params.associations.clone();
        let report = self
            .blocking_phase(Phase::Extraction, move |c| {
                run_extraction(&ExtractRun {
                    reader: &c.reader,
                    writer: &c.writer,
                    job_id: Some(c.job_id),
                    associations: &associations,
                    events: &c.events,
                    control: &c.control,
                })
            })
            .await?;
        if !report.cancelled {
            let stats = serde_json::to_value(&report)?;
            self.end(Phase::Extraction, report.summary(), stats).await?;
        }
        self.summary.extract = Some(report);
        Ok(())
    }

    /// Starts `phase` and runs `work` on a blocking thread with a read
    /// connection of its own, once the writer has applied everything queued
    /// before (so the phase reads what earlier phases wrote).
    async fn blocking_phase<R: Send + 'static>(
        &self,
        phase: Phase,
        work: impl FnOnce(&BlockingPhase) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.begin(phase).await?;
        self.writer.flush().await?;
        let db = self.db.to_path_buf();
        let writer = self.writer.clone();
        let events = self.events.clone();
        let control = self.control.clone();
        let job_id = self.id;
        tokio::task::spawn_blocking(move || {
            work(&BlockingPhase {
                reader: Store::open_readonly(&db)?,
                writer,
                job_id,
                events,
                control,
            })
        })
        .await?
        .context(phase.as_str())
    }
}

/// What a phase run by [`Job::blocking_phase`] works with.
struct BlockingPhase {
    reader: Store,
    writer: Writer,
    job_id: i64,
    events: EventSender,
    control: RunControl,
}

impl Job<'_> {
    /// VALIDATION: checks, quality score and grade of every company new or
    /// changed since it was last validated.
    async fn validation(&mut self) -> Result<()> {
        let report = self
            .blocking_phase(Phase::Validation, |c| {
                crate::quality::run_validation(&crate::quality::ValidateRun {
                    reader: &c.reader,
                    writer: &c.writer,
                    job_id: Some(c.job_id),
                    events: &c.events,
                    control: &c.control,
                })
            })
            .await?;
        if !report.cancelled {
            let stats = serde_json::to_value(&report)?;
            self.end(Phase::Validation, report.summary(), stats).await?;
        }
        Ok(())
    }

    /// EXPORT: every table in the configured formats and profile.
    async fn export(&mut self) -> Result<()> {
        let settings = self.cfg.export.clone();
        let db = self.db.to_path_buf();
        let scope = self.scope().await?;
        let report = self
            .blocking_phase(Phase::Export, move |c| {
                super::export::run_export(&super::export::ExportRun {
                    reader: &c.reader,
                    writer: &c.writer,
                    job_id: c.job_id,
                    events: &c.events,
                    settings: &settings,
                    db: &db,
                    scope,
                })
            })
            .await?;
        let stats = serde_json::to_value(&report)?;
        self.end(Phase::Export, report.summary(), stats).await
    }

    /// RESOLUTION: new companies compared with the store; merges, review
    /// candidates. `--force-full` compares every company again.
    async fn resolution(&mut self) -> Result<()> {
        let force_full = self.params.force_full;
        let report = self
            .blocking_phase(Phase::Resolution, move |c| {
                crate::resolve::run_resolution(&crate::resolve::ResolveRun {
                    reader: &c.reader,
                    writer: &c.writer,
                    job_id: Some(c.job_id),
                    events: &c.events,
                    control: &c.control,
                    force_full,
                })
            })
            .await?;
        if !report.cancelled {
            let stats = serde_json::to_value(&report)?;
            self.end(Phase::Resolution, report.summary(), stats).await?;
        }
        Ok(())
    }
}

/// `--dry-run`: robots.txt and the plan; no job, no writes.
async fn dry_run(cfg: &Config, req: &RunRequest, events: EventSender) -> Result<RunSummary> {
    let mut params = req.params.clone();
    let world = super::demo::serve_if_demo(&mut params).await?;
    let ctx = CrawlContext {
        db: req.db.clone(),
        writer: None,
        job_id: None,
        events,
        control: RunControl::new(),
        settings: {
            let mut s = cfg.crawl.clone();
            if params.demo.is_some() {
                super::demo::demo_settings(&mut s);
            }
            s
        },
    };
    let report = run_crawl(&ctx, params.crawl_options()?).await;
    if let Some(w) = world {
        w.shutdown().await;
    }
    Ok(RunSummary {
        crawl: Some(report?),
        ..RunSummary::empty(None, JobStatus::Completed)
    })
}
