//! `nam run`, `nam demo` and `nam jobs`: starting, resuming, watching and
//! steering pipeline jobs from the command line.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};

use super::Env;
use crate::model::{JobMode, JobStatus, RunControl, event_channel};
use crate::pipeline::params::{DemoWorld, JobParams, parse_resolve};
use crate::pipeline::progress::{EventFormat, spawn_reporter};
use crate::pipeline::{RunRequest, RunSummary};
use crate::store::{JobControl, Store};

/// Events queued for the reporter before progress starts to coalesce.
const EVENT_QUEUE: usize = 1024;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Crawl and extract, print the summary, and exit (no TUI).
    #[arg(long)]
    pub no_tui: bool,
    /// Companies in the generated world.
    #[arg(long, default_value_t = 120)]
    pub members: usize,
    /// World seed: same seed, same world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Use per-association CSS selectors instead of the generic extractor.
    #[arg(long)]
    pub with_selectors: bool,
    /// Skip rate limits and Crawl-delay (robots.txt is still honoured). For tests.
    #[arg(long, hide = true)]
    pub no_politeness: bool,
    /// How progress is shown.
    #[arg(long, value_enum, default_value_t = EventFormat::Human)]
    pub events: EventFormat,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which phases: `full` runs all eleven; the others run INIT and their own.
    #[arg(long, value_parser = parse_mode, default_value = "full")]
    pub mode: JobMode,
    /// Continue job ID (failed, cancelled or interrupted) where it stopped.
    #[arg(long, value_name = "ID", conflicts_with_all = ["associations", "seed_urls", "associations_file", "dry_run"])]
    pub resume: Option<i64>,
    /// Association codes to crawl (repeatable; default: all configured).
    #[arg(long = "association", short = 'a', value_name = "CODE")]
    pub associations: Vec<String>,
    /// Extra start URL of a site nam has no configuration for (repeatable).
    #[arg(long = "seed-url", value_name = "URL")]
    pub seed_urls: Vec<String>,
    /// Use the associations in this TOML file instead of the configured ones.
    #[arg(long, value_name = "FILE")]
    pub associations_file: Option<PathBuf>,
    /// Stop after N page requests.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<usize>,
    /// Fetch robots.txt only, print what would be fetched, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ignore stored ETag/Last-Modified and the robots.txt cache: fetch everything.
    #[arg(long)]
    pub force_full: bool,
    /// Put URLs from the dead-letter table back into the frontier first.
    #[arg(long)]
    pub retry_dead_letters: bool,
    /// Send hosts ending in SUFFIX to ADDR, e.g. `example=127.0.0.1:8080` for
    /// `nam fixtures serve` (testing against loopback).
    #[arg(long, value_name = "SUFFIX=ADDR")]
    pub resolve: Option<String>,
    /// Let the reading of company websites reach private, loopback and
    /// link-local addresses (off by default: a website address comes from a
    /// page someone else wrote). For a world served on loopback.
    #[arg(long)]
    pub allow_private_sites: bool,
    /// Which enrichment to run: firmographic, techstack, contacts or all
    /// (comma-separated for several).
    #[arg(long, value_name = "KIND", default_value = "all", value_parser = parse_enrichment)]
    pub enrichment: EnrichmentKinds,
    /// Read the companies of a domain list instead of crawling directories:
    /// one domain or URL per line, or a CSV with a domain/website column.
    /// Runs mode `domains`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["associations", "seed_urls", "associations_file", "prospect"])]
    pub domains: Option<PathBuf>,
    /// Prospect for the ICP profile NAME: search the web for fitting
    /// companies (with a search key set), read and score the sites found,
    /// rank. Runs mode `prospect`.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["associations", "seed_urls", "associations_file"])]
    pub prospect: Option<String>,
    /// Extra search term for `--prospect` (repeatable).
    #[arg(long = "search-term", value_name = "TEXT", requires = "prospect")]
    pub search_terms: Vec<String>,
    /// The ICP profile to score companies against (default: the config's
    /// `[icp] profile`).
    #[arg(long, value_name = "NAME", conflicts_with = "prospect")]
    pub profile: Option<String>,
    /// Show job ID: its phases and how many of its companies still lack
    /// research, contacts and scores; then exit.
    #[arg(long, value_name = "ID", conflicts_with_all = ["resume", "domains", "prospect", "dry_run"])]
    pub status: Option<i64>,
    /// Skip rate limits and Crawl-delay (robots.txt is still honoured). For tests.
    #[arg(long, hide = true)]
    pub no_politeness: bool,
    /// How progress is shown.
    #[arg(long, value_enum, default_value_t = EventFormat::Human)]
    pub events: EventFormat,
}

impl RunArgs {
    /// The mode the flags ask for: `--domains` and `--prospect` pick theirs.
    pub fn effective_mode(&self) -> JobMode {
        if self.domains.is_some() {
            JobMode::Domains
        } else if self.prospect.is_some() {
            JobMode::Prospect
        } else {
            self.mode
        }
    }
}

/// The kinds `--enrichment` names (empty: all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichmentKinds(pub Vec<crate::enrich::Kind>);

fn parse_enrichment(s: &str) -> Result<EnrichmentKinds, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("all") {
            return Ok(EnrichmentKinds(Vec::new()));
        }
        match crate::enrich::Kind::parse(part) {
            Some(k) if !out.contains(&k) => out.push(k),
            Some(_) => {}
            None => {
                return Err(format!(
                    "unknown enrichment {part:?}; expected firmographic, techstack, contacts or all"
                ));
            }
        }
    }
    Ok(EnrichmentKinds(out))
}

fn parse_mode(s: &str) -> Result<JobMode, String> {
    JobMode::parse(s).ok_or_else(|| {
        let all: Vec<&str> = JobMode::ALL.iter().map(|m| m.as_str()).collect();
        format!("unknown mode {s:?}; one of {}", all.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub command: Option<JobsCommand>,
    /// How many jobs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Recent jobs with their status and phase (the default).
    List,
    /// One job phase by phase, with its checkpoints.
    Show { id: i64 },
    /// Pause a running job at its next batch boundary.
    Pause { id: i64 },
    /// Let a paused job go on; a failed, cancelled or interrupted one is
    /// resumed in this process (like `nam run --resume ID`).
    Resume {
        id: i64,
        #[arg(long, value_enum, default_value_t = EventFormat::Human)]
        events: EventFormat,
    },
    /// Cancel a running job at its next batch boundary (it stays resumable).
    Cancel { id: i64 },
}

/// Ctrl-C cancels the job at the next batch boundary; a second one quits.
fn cancel_on_ctrl_c(control: RunControl) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\ninterrupt: stopping at the next batch boundary (Ctrl-C again to quit now)");
        control.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
}

/// Runs a request with a reporter and Ctrl-C handling.
async fn run_with_reporter(
    cfg: &crate::config::Config,
    req: RunRequest,
    format: EventFormat,
) -> Result<RunSummary> {
    let (tx, rx) = event_channel(EVENT_QUEUE);
    let reporter = spawn_reporter(rx, format);
    let control = RunControl::new();
    cancel_on_ctrl_c(control.clone());
    let result = crate::pipeline::run(cfg, req, tx, control).await;
    let _ = reporter.await;
    result
}

/// The run's summary lines.
fn summary_lines(s: &RunSummary) -> Vec<String> {
    let Some(id) = s.job_id else {
        return Vec::new();
    };
    if s.already_finished {
        return vec![format!("job {id} had already finished; nothing to do")];
    }
    let mut lines = vec![format!("job {id}: {}", s.status)];
    for d in s.crawl.iter().flat_map(|c| &c.domains) {
        lines.push(format!(
            "  {:<24} {:<18} {:>5} requests{}",
            d.domain,
            d.verdict.as_str(),
            d.requests,
            d.reason
                .as_deref()
                .map(|r| format!("  ({r})"))
                .unwrap_or_default()
        ));
    }
    for p in &s.phases {
        lines.push(format!("  {:<15} {}", p.phase.as_str(), p.summary));
    }
    if s.crawl.as_ref().is_some_and(|c| c.stopped_at_max_pages) {
        lines.push("crawl stopped at --max-pages; run again to continue from the frontier".into());
    }
    lines.push(format!(
        "store: {} companies, {} association listings",
        s.companies, s.memberships
    ));
    lines
}

/// Prints the summary on stdout, or on stderr when stdout carries JSON
/// lines (`--events jsonl`), and fails for a cancelled job.
fn finish(summary: &RunSummary, format: EventFormat) -> Result<()> {
    for line in summary_lines(summary) {
        match format {
            EventFormat::Human => println!("{line}"),
            EventFormat::Jsonl => eprintln!("{line}"),
        }
    }
    match (summary.status, summary.job_id) {
        (JobStatus::Cancelled, Some(id)) => {
            bail!("job {id} was cancelled; continue it with `nam run --resume {id}`")
        }
        _ => Ok(()),
    }
}

pub async fn cmd_demo(env: &Env, db_given: bool, args: &DemoArgs) -> Result<()> {
    let cfg = env.config()?;
    let db = if db_given {
        env.paths.db.clone()
    } else {
        crate::pipeline::demo_db_path(&env.paths.data_dir)
    };
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let world = DemoWorld {
        seed: args.seed,
        members: args.members,
        with_selectors: args.with_selectors,
    };
    eprintln!(
        "demo: serving a generated world of {} companies on 127.0.0.1 and running a full job into {}",
        args.members,
        db.display()
    );
    let req = RunRequest {
        db: db.clone(),
        kind: "demo".into(),
        mode: JobMode::Full,
        params: crate::pipeline::demo::demo_params(world, !args.no_politeness),
        dry_run: false,
        resume: None,
        config_path: Some(env.paths.config.clone()),
    };
    let summary = run_with_reporter(&cfg, req, args.events).await?;
    finish(&summary, args.events)?;
    if args.no_tui {
        return Ok(());
    }
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "not a terminal: skipping the TUI (open it with `nam tui --db {}`)",
            db.display()
        );
        return Ok(());
    }
    crate::tui::run(&db, env.tui_options(cfg)).await
}

fn params_from_args(env: &Env, args: &RunArgs) -> Result<JobParams> {
    let cfg = env.config()?;
    let associations = match &args.associations_file {
        Some(f) => {
            let all = crate::config::AssociationsFile::load(f)?.associations;
            if args.associations.is_empty() {
                all
            } else {
                all.into_iter()
                    .filter(|a| {
                        args.associations
                            .iter()
                            .any(|c| c.eq_ignore_ascii_case(&a.code))
                    })
                    .collect()
            }
        }
        None if args.associations.is_empty() && !args.seed_urls.is_empty() => Vec::new(),
        None => crate::pipeline::select_associations(&cfg, &args.associations)?,
    };
    for s in &args.seed_urls {
        crate::normalize::urls::normalize(s)
            .map_err(|e| anyhow::anyhow!("--seed-url {s:?}: {e}"))?;
    }
    let mode = args.effective_mode();
    if matches!(mode, JobMode::Domains) && args.domains.is_none() {
        bail!("mode domains needs the list: --domains FILE");
    }
    if matches!(mode, JobMode::Prospect) && args.prospect.is_none() {
        bail!("mode prospect needs an ICP profile: --prospect NAME");
    }
    let domains_file = match &args.domains {
        Some(f) => {
            // Read now: a missing or empty list fails before a job exists.
            let list = crate::prospect::read_list(f)?;
            for p in list.problems() {
                eprintln!("{}: {p} (skipped)", f.display());
            }
            Some(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        }
        None => None,
    };
    let associations = if domains_file.is_some() || args.prospect.is_some() {
        Vec::new()
    } else {
        associations
    };
    let crawls = mode == JobMode::Full;
    if crawls && associations.is_empty() && args.seed_urls.is_empty() {
        bail!("nothing to crawl: no association matched and no --seed-url given");
    }
    if let Some(r) = &args.resolve {
        parse_resolve(r)?;
    }
    Ok(JobParams {
        associations,
        seed_urls: args.seed_urls.clone(),
        max_pages: args.max_pages,
        force_full: args.force_full,
        retry_dead_letters: args.retry_dead_letters,
        politeness: !args.no_politeness,
        resolve: args.resolve.clone(),
        allow_private_sites: args.allow_private_sites,
        enrichment: args.enrichment.0.clone(),
        domains_file,
        profile: args.prospect.clone().or_else(|| args.profile.clone()),
        search_terms: args.search_terms.clone(),
        ..Default::default()
    })
}

pub async fn cmd_run(env: &Env, args: &RunArgs) -> Result<()> {
    if let Some(id) = args.status {
        return show_job(env, id);
    }
    let cfg = env.config()?;
    let params = match args.resume {
        Some(_) => JobParams::default(), // the job's own are used
        None => params_from_args(env, args)?,
    };
    let req = RunRequest {
        db: env.paths.db.clone(),
        kind: "run".into(),
        mode: args.effective_mode(),
        params,
        dry_run: args.dry_run,
        resume: args.resume,
        config_path: Some(env.paths.config.clone()),
    };
    let summary = run_with_reporter(&cfg, req, args.events).await?;
    if args.dry_run {
        println!("dry run: robots.txt fetched, nothing else requested, nothing written");
        for p in summary.crawl.iter().flat_map(|c| &c.planned) {
            println!(
                "{:<10} {}  ({})",
                if p.allowed { "would get" } else { "would skip" },
                p.url,
                p.reason
            );
        }
        return Ok(());
    }
    finish(&summary, args.events)
}

pub async fn cmd_jobs(env: &Env, args: &JobsArgs) -> Result<()> {
    let db = &env.paths.db;
    match &args.command {
        None | Some(JobsCommand::List) => list_jobs(env, args.limit),
        Some(JobsCommand::Show { id }) => show_job(env, *id),
        Some(JobsCommand::Pause { id }) => {
            crate::pipeline::control_job(db, *id, JobControl::Pause)?;
            println!("asked job {id} to pause at its next batch boundary");
            Ok(())
        }
        Some(JobsCommand::Cancel { id }) => {
            crate::pipeline::control_job(db, *id, JobControl::Cancel)?;
            println!("asked job {id} to stop at its next batch boundary; it stays resumable");
            Ok(())
        }
        Some(JobsCommand::Resume { id, events }) => {
            let job = Store::open(db)?
                .job(*id)?
                .ok_or_else(|| anyhow::anyhow!("there is no job {id} (see `nam jobs`)"))?;
            if matches!(job.status, JobStatus::Running | JobStatus::Paused) {
                crate::pipeline::control_job(db, *id, JobControl::Resume)?;
                println!("asked job {id} to go on");
                return Ok(());
            }
            let cfg = env.config()?;
            let req = RunRequest {
                db: db.clone(),
                kind: job.kind.clone(),
                mode: job.mode,
                params: JobParams::default(),
                dry_run: false,
                resume: Some(*id),
                config_path: Some(env.paths.config.clone()),
            };
            let summary = run_with_reporter(&cfg, req, *events).await?;
            finish(&summary, *events)
        }
    }
}

fn list_jobs(env: &Env, limit: usize) -> Result<()> {
    // A read-write open marks jobs of dead processes as interrupted first.
    let store = Store::open(&env.paths.db)?;
    let jobs = store.jobs(limit)?;
    if jobs.is_empty() {
        println!("no jobs yet");
    }
    for j in jobs {
        println!(
            "#{:<5} {:<6} {:<9} {:<12} phase {:<15} started {}{}",
            j.id,
            j.kind,
            j.mode,
            j.status,
            j.phase.map(|p| p.as_str()).unwrap_or("-"),
            j.created_at,
            j.error.map(|e| format!("  ({e})")).unwrap_or_default()
        );
    }
    Ok(())
}

fn show_job(env: &Env, id: i64) -> Result<()> {
    let store = Store::open(&env.paths.db)?;
    let Some(j) = store.job(id)? else {
        bail!("there is no job {id} (see `nam jobs`)");
    };
    println!("job {id}: {} {} mode {}", j.kind, j.status, j.mode);
    if let Some(e) = &j.error {
        println!("  error: {e}");
    }
    for p in store.phases(id)? {
        let reason = serde_json::from_str::<serde_json::Value>(&p.stats)
            .ok()
            .and_then(|v| v["reason"].as_str().map(|r| format!("  ({r})")))
            .unwrap_or_default();
        println!(
            "  {:<15} {:<10} {:>6} done{}{}{reason}",
            p.phase.as_str(),
            p.status,
            p.done,
            p.total.map(|t| format!(" of {t}")).unwrap_or_default(),
            p.cursor
                .map(|c| format!("  cursor {c}"))
                .unwrap_or_default()
        );
    }
    let profile = JobParams::from_json(&j.params).ok().and_then(|p| p.profile); // XXX icp default
    let gaps = store.run_gaps(id, profile.as_deref())?;
    println!("  gaps: {}", gaps.summary());
    if j.status.resumable() {
        println!("continue it with `nam run --resume {id}`");
    }
    Ok(())
}
