//! Command-line interface: argument types and the dispatcher `main` calls.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Paths};
use crate::export::{ExportRequest, Format, Profile, What};
use crate::secrets::Secrets;
use crate::store::{self, Store};

mod extract;
mod icp;
mod review;
mod run;

pub use run::{DemoArgs, RunArgs};

#[derive(Debug, Parser)]
#[command(
    name = "nam",
    version,
    about = "A terminal workbench for B2B company intelligence",
    long_about = "nam crawls trade-association member directories politely, turns pages into \
company, contact and event records with provenance, resolves duplicates, and exports \
CRM-ready files. Everything lives in one local SQLite file.\n\nRun `nam` alone to open the \
TUI on the default database, or `nam demo` to try it on a generated loopback world."
)]
pub struct Cli {
    /// Database file (default: the OS data directory, see `nam doctor`).
    #[arg(long, global = true, env = "NAM_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Config file (default: the OS config directory; written with comments on first run).
    #[arg(long, global = true, env = "NAM_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal UI (the default when no command is given).
    Tui,
    /// Run the whole pipeline on a generated loopback world, then open the TUI.
    Demo(DemoArgs),
    /// Run (or resume) a pipeline job: the eleven phases of `full`, or a mode's subset.
    Run(RunArgs),
    /// Extract companies from one saved page or URL; prints JSON lines.
    Extract(extract::ExtractArgs),
    /// Explain robots.txt verdicts for URLs.
    Robots(crate::crawl::robots::RobotsArgs),
    /// Serve the generated fixture world on loopback, or print its ground truth.
    Fixtures(crate::fixture_site::cli::FixturesArgs),
    /// List URLs that failed after their retries.
    DeadLetters {
        /// Include letters already re-queued.
        #[arg(long)]
        all: bool,
    },
    /// Import companies from a CSV file (header row required; a name column is mandatory).
    Import(ImportArgs),
    /// Export companies and association listings to CSV and/or Parquet.
    Export(ExportArgs),
    /// Manage provider API keys in the OS keyring.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Check the installation: paths, config, database, keyring.
    Doctor,
    /// List jobs, show one, or pause, resume or cancel a running one.
    Jobs(run::JobsArgs),
    /// The merge-review queue: list pairs, merge, keep apart, skip, undo.
    Review(review::ReviewArgs),
    /// ICP profiles (TOML files next to the config file) and fit scores.
    Icp(icp::IcpArgs),
}

impl Cli {
    /// `nam extract` reads a page and prints records: it creates no data
    /// directory, log file or database.
    pub fn writes_no_files(&self) -> bool {
        matches!(self.command, Some(Command::Extract(_)))
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV file with a header row.
    pub file: PathBuf,
    /// Association code recorded for rows without an `association` column.
    #[arg(long, default_value = "IMPORT")]
    pub association: String,
}

/// `--format`: one format, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
    /// CSV and Parquet.
    Both,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format; repeat for several (default: the config's
    /// `export.formats`, CSV and Parquet).
    #[arg(long = "format", value_enum)]
    pub formats: Vec<FormatArg>,
    /// Output directory (default: `export.out_dir` from the config, `exports`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which tables: `memberships` writes every source record with its
    /// external id and the canonical company it resolved to.
    #[arg(long, value_enum, default_value_t = What::All)]
    pub what: What,
    /// Column profile of the company and contact files (default: the
    /// config's `export.profile`, `full`).
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Restrict to companies (and their rows) matching FIELD OP VALUE;
    /// repeat to combine (AND). Fields: association, grade (A best:
    /// `grade>=B` is A or B), state, technology, has-contacts.
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
}

impl ExportArgs {
    /// The formats asked for, or `default` when none was.
    fn formats(&self, default: &[Format]) -> Vec<Format> {
        if self.formats.is_empty() {
            return default.to_vec();
        }
        let mut out = Vec::new();
        for f in &self.formats {
            let add: &[Format] = match f {
                FormatArg::Csv => &[Format::Csv],
                FormatArg::Parquet => &[Format::Parquet],
                FormatArg::Both => &[Format::Csv, Format::Parquet],
            };
            for f in add {
                if !out.contains(f) {
                    out.push(*f);
                }
            }
        }
        out
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store a key. Reads it from standard input (typed without echo on a terminal).
    Set {
        /// Provider name (see `nam keys list`).
        provider: String,
    },
    /// Show each provider's key (masked), the store holding it and whether
    /// that store survives a reboot.
    List,
    /// Delete a stored key.
    Delete { provider: String },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database (or migrate it to the current schema).
    Init,
    /// Copy the database to FILE with SQLite's online backup API.
    Backup { file: PathBuf },
    /// Replace the database with the backup in FILE (the current one is saved first).
    Restore { file: PathBuf },
    /// Check integrity without changing anything; exits non-zero on problems.
    Check,
    /// Row counts per table.
    Stats,
}

/// Everything a command needs to know about where things are.
pub struct Env {
    pub paths: Paths,
}

impl Env {
    pub fn new(cli: &Cli) -> Result<Self> {
        Ok(Self {
            paths: Paths::resolve(cli.db.as_deref(), cli.config.as_deref())?,
        })
    }

    pub fn config(&self) -> Result<Config> {
        Config::load_or_init(&self.paths.config)
    }

    /// The config if its file exists, else the defaults; never writes (for
    /// commands that must leave no trace, like `nam extract`).
    pub fn config_readonly(&self) -> Result<Config> {
        if !self.paths.config.exists() {
            return Ok(Config::default());
        }
        Config::check_file(&self.paths.config).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        })
    }

    pub fn open_store(&self) -> Result<Store> {
        Store::open(&self.paths.db)
    }

    /// What the TUI needs besides the database.
    pub fn tui_options(&self, config: crate::config::Config) -> crate::tui::TuiOptions {
        crate::tui::TuiOptions {
            config,
            config_path: Some(self.paths.config.clone()),
            secrets: std::sync::Arc::new(Secrets::detect()),
        }
    }
}

/// Runs the parsed command line. `main` prints the error and sets the exit code.
pub async fn dispatch(cli: Cli, env: Env) -> Result<()> {
    match cli.command {
        None | Some(Command::Tui) => {
            let cfg = env.config()?;
            crate::tui::run(&env.paths.db, env.tui_options(cfg)).await
        }
        Some(Command::Demo(args)) => run::cmd_demo(&env, cli.db.is_some(), &args).await,
        Some(Command::Run(args)) => run::cmd_run(&env, &args).await,
        Some(Command::Extract(args)) => extract::run(args, &env.config_readonly()?.crawl).await,
        Some(Command::Robots(args)) => {
            let mut out = std::io::stdout();
            let settings = env.config_readonly()?.crawl;
            crate::crawl::robots::cli(args, &settings, &mut out).await?;
            Ok(())
        }
        Some(Command::Fixtures(args)) => crate::fixture_site::cli::run(args).await,
        Some(Command::DeadLetters { all }) => cmd_dead_letters(&env, all),
        Some(Command::Import(args)) => cmd_import(&env, &args),
        Some(Command::Export(args)) => cmd_export(&env, &args),
        Some(Command::Keys(cmd)) => tokio::task::spawn_blocking(move || cmd_keys(cmd)).await?,
        Some(Command::Db(cmd)) => cmd_db(&env, cmd),
        Some(Command::Doctor) => tokio::task::spawn_blocking(move || cmd_doctor(&env)).await?,
        Some(Command::Jobs(args)) => run::cmd_jobs(&env, &args).await,
        Some(Command::Review(args)) => {
            tokio::task::spawn_blocking(move || review::cmd_review(&env, &args)).await?
        }
        Some(Command::Icp(args)) => {
            tokio::task::spawn_blocking(move || icp::cmd_icp(&env, &args)).await?
        }
    }
}

fn cmd_dead_letters(env: &Env, all: bool) -> Result<()> {
    let store = Store::open_readonly(&env.paths.db)?;
    let letters = store.dead_letters(all)?;
    if letters.is_empty() {
        println!("no dead letters");
        return Ok(());
    }
    for d in letters {
        println!(
            "{:<5} {:>3} tries  {}  {}{}",
            d.status_code
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            d.attempts,
            d.url,
            d.error,
            if d.requeued_at.is_some() {
                "  (re-queued)"
            } else {
                ""
            }
        );
    }
    println!("re-queue them with `nam run --retry-dead-letters`");
    Ok(())
}

fn cmd_import(env: &Env, args: &ImportArgs) -> Result<()> {
    let mut store = env.open_store()?;
    let started = std::time::Instant::now();
    let progress = |rows: usize| {
        eprintln!(
            "{}: {rows} rows written ({:.0} rows/s)",
            args.file.display(),
            rows as f64 / started.elapsed().as_secs_f64().max(1e-9)
        );
    };
    let report = crate::import::import_csv_with(
        &mut store,
        &args.file,
        &crate::import::ImportOptions {
            association: &args.association,
            progress: Some(&progress),
        },
    )?;
    for (line, problem) in &report.skipped {
        eprintln!("{}:{line}: skipped: {problem}", args.file.display());
    }
    println!(
        "imported {} rows from {} into {} ({} new companies, {} skipped) in {:.1?}",
        report.imported,
        args.file.display(),
        env.paths.db.display(),
        report.companies_created,
        report.skipped.len(),
        started.elapsed()
    );
    if !report.skipped.is_empty() {
        bail!(
            "{} rows were skipped; the good rows were imported",
            report.skipped.len()
        );
    }
    Ok(())
}

fn cmd_export(env: &Env, args: &ExportArgs) -> Result<()> {
    let filter = crate::export::parse_filters(&args.filters)?;
    let settings = env.config()?.export;
    let out = args.out.clone().unwrap_or(settings.out_dir);
    let req = ExportRequest {
        formats: args.formats(&settings.formats),
        what: args.what,
        profile: args.profile.unwrap_or(settings.profile),
        filter,
        ..ExportRequest::new(&out)
    };
    let store = Store::open_readonly(&env.paths.db)?;
    let started = std::time::Instant::now();
    let summary = crate::export::export(&store, &req)?;
    for f in &summary.files {
        println!("{:>9} rows  {}", f.rows, f.path.display());
        for s in &f.skipped {
            println!("{:>9} skipped: {}", s.rows, s.reason);
        }
    }
    println!(
        "{} files, {} rows in {:.1?}",
        summary.files.len(),
        summary.rows(),
        started.elapsed()
    );
    Ok(())
}

/// Reads a secret: without echo from a terminal, else one line from stdin.
fn read_secret(prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim().to_owned());
    }
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let mut secret = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(anyhow::anyhow!("cancelled"));
                }
                KeyCode::Char(c) => secret.push(c),
                KeyCode::Backspace => {
                    secret.pop();
                }
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e.into()),
        }
    };
    crossterm::terminal::disable_raw_mode()?;
    eprintln!();
    result.map(|()| secret)
}

fn cmd_keys(cmd: KeysCommand) -> Result<()> {
    let secrets = Secrets::detect();
    match cmd {
        KeysCommand::Set { provider } => {
            let key = read_secret(&format!("API key for {provider}: "))?;
            secrets.set(&provider, &key)?;
            let backend = secrets.backend();
            println!(
                "stored the {provider} key ({}) in the {}; survives reboot: {}",
                crate::secrets::mask(&key),
                backend.store_name(),
                backend.persistence().label()
            );
            if !backend.persistence().survives_reboot() {
                println!(
                    "note: set it again after a reboot, or run nam where a Secret Service \
                     (e.g. gnome-keyring) is unlocked; `nam doctor` says why none was used"
                );
            }
        }
        KeysCommand::List => {
            println!(
                "key store: {}; survives reboot: {}",
                secrets.backend().store_name(),
                secrets.backend().persistence().label()
            );
            print!("{}", crate::secrets::render_key_table(&secrets.report()?));
        }
        KeysCommand::Delete { provider } => {
            if secrets.delete(&provider)? {
                println!("deleted the {provider} key");
            } else {
                println!("no stored key for {provider}");
            }
        }
    }
    Ok(())
}

fn print_check(report: &store::CheckReport) {
    println!(
        "{}: schema version {} (this nam: {})",
        report.path.display(),
        report.schema_version,
        store::schema_version()
    );
    for p in &report.problems {
        println!("  problem: {p}");
    }
}

fn cmd_db(env: &Env, cmd: DbCommand) -> Result<()> {
    let db = &env.paths.db;
    match cmd {
        DbCommand::Init => {
            let store = env.open_store()?;
            println!(
                "database {} ready (schema {}, journal {})",
                db.display(),
                store.applied_migrations()?,
                store.journal_mode()?
            );
        }
        DbCommand::Backup { file } => {
            let store = Store::open_readonly(db)?;
            store.backup_to(&file)?;
            println!("backed up {} to {}", db.display(), file.display());
        }
        DbCommand::Restore { file } => {
            let mut store = env.open_store()?;
            let saved = store.restore_from(&file)?;
            println!(
                "restored {} from {}; the previous content is saved in {}",
                db.display(),
                file.display(),
                saved.display()
            );
        }
        DbCommand::Check => {
            let report = store::check(db)?;
            print_check(&report);
            if !report.is_ok() {
                bail!(
                    "{} failed its check ({} problems)",
                    db.display(),
                    report.problems.len()
                );
            }
            println!("ok");
        }
        DbCommand::Stats => {
            let store = Store::open_readonly(db)?;
            for (table, n) in store.stats()? {
                println!("{table:<26} {n:>10}");
            }
        }
    }
    Ok(())
}

/// Runs the INIT health check and prints it; fails (non-zero exit) when a
/// check is blocking. Reads only: the config is not created here.
fn cmd_doctor(env: &Env) -> Result<()> {
    use crate::pipeline::health;
    println!("nam {}", env!("CARGO_PKG_VERSION"));
    println!("database  {}", env.paths.db.display());
    println!("config    {}", env.paths.config.display());
    println!("logs      {}", env.paths.log_dir.display());
    // The minimum comes from the config when it is valid; a broken config is
    // reported by the check itself, so the default minimum stands in here.
    let min_free = Config::check_file(&env.paths.config)
        .map(|c| c.health)
        .unwrap_or_default()
        .min_free_bytes();
    let secrets = Secrets::detect();
    let report = health::check(&health::HealthInput::new(
        &env.paths,
        Some(&secrets),
        min_free,
    ));
    print!("{}", report.render_human());
    print_key_stores(&secrets);
    let blocking = report.blocking();
    if !blocking.is_empty() {
        let names: Vec<&str> = blocking.iter().map(|c| c.name.as_str()).collect();
        bail!("blocking problem(s): {}", names.join(", "));
    }
    if env.paths.db.exists() {
        let store = Store::open_readonly(&env.paths.db)?;
        for l in health::drift_alert_lines(&store)? {
            println!("drift     {l}");
        }
    }
    Ok(())
}

/// The doctor's key section: the chosen store, why the others were not
/// chosen, then the same per-key table as `nam keys list` (masked keys; the
/// health check above, which jobs store, names providers only).
fn print_key_stores(secrets: &Secrets) {
    for line in secrets.store_summary() {
        println!("key store    {line}");
    }
    match secrets.report() {
        Ok(reports) => print!("{}", crate::secrets::render_key_table(&reports)),
        Err(e) => println!("key store    cannot list the keys: {e:#}"),
    }
}

/// Resolves a possibly relative path against the current directory, for messages.
pub fn display_path(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}
