//! `nam fixtures ...`: serve the fixture world or write its ground truth.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use anyhow::Context;

use super::{FaultConfig, FixtureServer, World, WorldConfig, records};

#[derive(Debug, Clone, Args)]
pub struct FixturesArgs {
    #[command(subcommand)]
    pub command: FixturesCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum FixturesCommand {
    /// Serve the generated world on 127.0.0.1 until Ctrl-C.
    Serve(ServeArgs),
    /// Write the ground truth (companies, listings, events) as JSON.
    Truth(TruthArgs),
    /// Write a resolution data set: one CSV row per association listing of
    /// every company, and optionally the true company of each row as JSON.
    Records(RecordsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RecordsArgs {
    /// Number of companies (each listed by one or more associations).
    #[arg(long, default_value_t = 1000)]
    pub companies: usize,
    /// The hard variant: shared surnames and cities, sister companies, typos,
    /// missing websites and phones.
    #[arg(long)]
    pub hard: bool,
    /// World seed: same seed, same records.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// CSV to write (`id,company,website,phone,...,association`).
    #[arg(long)]
    pub out: PathBuf,
    /// JSON object `{"<id>": <true company id>, ...}` to write.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct WorldArgs {
    /// World seed: same seed, same bytes.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Number of companies in the world.
    #[arg(long, default_value_t = 120)]
    pub members: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    #[command(flatten)]
    pub world: WorldArgs,
    /// First N requests to each URL on pmpa.example get 429 with Retry-After: 1.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub rate_limit: u32,
    /// First N requests to each URL on agma.example get 503/500.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub error_burst: u32,
    /// Delay every response from forging.example by MS milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub slow_ms: u64,
    /// First N requests to each URL on nema.example: connection closed without a response.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub resets: u32,
    /// First N requests to each URL on aia.example: body shorter than Content-Length.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub truncate: u32,
    /// AFS directory in Windows-1252 without charset; AFS profiles mislabelled UTF-8.
    #[arg(long)]
    pub bad_charset: bool,
    /// SOCMA directory behind a 4-hop redirect chain; SOCMA /news/ loops.
    #[arg(long)]
    pub redirects: bool,
    /// http://ntma.example/resources/ becomes a ~6 MB page.
    #[arg(long)]
    pub huge_page: bool,
    /// PMA directory layout drifts (table -> divs).
    #[arg(long)]
    pub drift: bool,
    /// Every fault above at once (counts 2, slow 300 ms).
    #[arg(long)]
    pub all_faults: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TruthArgs {
    #[command(flatten)]
    pub world: WorldArgs,
    /// Output file ("-" = stdout).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
}

impl ServeArgs {
    pub fn faults(&self) -> FaultConfig {
        if self.all_faults {
            return FaultConfig {
                rate_limit: 2,
                error_burst: 2,
                slow_ms: 300,
                resets: 2,
                truncate: 2,
                bad_charset: true,
                redirects: true,
                huge_page: true,
                drift: self.drift,
            };
        }
        FaultConfig {
            rate_limit: self.rate_limit,
            error_burst: self.error_burst,
            slow_ms: self.slow_ms,
            resets: self.resets,
            truncate: self.truncate,
            bad_charset: self.bad_charset,
            redirects: self.redirects,
            huge_page: self.huge_page,
            drift: self.drift,
        }
    }
}

pub async fn run(args: FixturesArgs) -> anyhow::Result<()> {
    match args.command {
        FixturesCommand::Serve(s) => serve(s).await,
        FixturesCommand::Truth(t) => {
            let world = World::new(WorldConfig {
                seed: t.world.seed,
                members: t.world.members,
                faults: FaultConfig::default(),
                plants: true,
                hostile: false,
            });
            let json = serde_json::to_string_pretty(&world.ground_truth())?;
            if t.out.as_os_str() == "-" {
                println!("{json}");
            } else {
                std::fs::write(&t.out, json)?;
                eprintln!("ground truth written to {}", t.out.display());
            }
            Ok(())
        }
        FixturesCommand::Records(r) => write_records(&r),
    }
}

fn write_records(r: &RecordsArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let records = records::generate(&records::RecordSetConfig {
        seed: r.seed,
        companies: r.companies,
        hard: r.hard,
    });
    records::write_csv(&records, &r.out)?;
    if let Some(path) = &r.truth {
        // Sorted, so the same seed writes the same bytes.
        let truth: std::collections::BTreeMap<String, u32> =
            records::truth_map(&records).into_iter().collect();
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut out, &truth)?;
        // A flush error on drop would be lost.
        std::io::Write::flush(&mut out)?;
    }
    eprintln!(
        "{} records of {} companies written to {} in {:.2?}",
        records.len(),
        r.companies,
        r.out.display(),
        started.elapsed()
    );
    Ok(())
}

async fn serve(s: ServeArgs) -> anyhow::Result<()> {
    let cfg = WorldConfig {
        seed: s.world.seed,
        members: s.world.members,
        faults: s.faults(),
        plants: true,
        hostile: false,
    };
    let world = Arc::new(World::new(cfg));
    let server = FixtureServer::start(world.clone(), s.port).await?;
    let addr = server.addr();
    println!(
        "nam fixture world (seed {}, {} companies) listening on http://{addr}/",
        s.world.seed, s.world.members
    );
    println!("Sites are chosen by the Host header:");
    for h in world.hosts() {
        println!("  curl -H 'Host: {h}' http://{addr}/");
    }
    let first = world.company_hosts().take(3).collect::<Vec<_>>();
    for h in &first {
        println!("  curl -H 'Host: {h}' http://{addr}/      (company site)");
    }
    println!(
        "Or resolve *.example yourself: curl --resolve pma.example:{p}:127.0.0.1 http://pma.example:{p}/",
        p = addr.port()
    );
    println!("Index page: http://{addr}/   Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    server.shutdown().await;
    Ok(())
}
