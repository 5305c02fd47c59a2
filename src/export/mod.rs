//! Exports: the canonical data as polars frames written to CSV and Parquet,
//! in nam's own columns or a CRM's import profile.
//!
//! One streaming query per table reads the rows ([`Store::stream_export_part`]),
//! straight into typed polars columns; each table is read once however many
//! formats are written. Every text cell is cleaned of terminal escapes and
//! control characters; CSV cells that would run as a spreadsheet formula
//! are neutralized (rule in [`cell`]); phone numbers and numbers are
//! written as they are. Multi-value fields (associations, technologies)
//! are `;`-joined in CSV and list columns in Parquet.
//!
//! File names carry one UTC timestamp per export
//! (`companies-20261202T154200Z.csv`) and are checked to stay inside the
//! output directory. Files are written to a temporary name and renamed into
//! place, so a crash never leaves a half-written export where a finished
//! one is expected.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use polars::prelude::Column;

use crate::store::{ExportFilter, ExportSource, Store};

pub mod cell;
mod crm;
pub mod filter;
mod profile;
mod table;

pub use cell::{clean_cell, is_formula_like, neutralize_cell};
pub use filter::parse_filters;
pub use profile::{Profile, export_companies, export_table};
use table::Table;
pub(crate) use table::write_frame;

/// Output formats.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
        }
    }
}

/// Which tables an export writes.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// Companies, contacts, events (with participants), signals and
    /// memberships.
    #[default]
    All,
    /// Canonical companies only.
    Companies,
    /// Contacts with their company.
    Contacts,
    /// Events and their participants (two files).
    Events,
    /// Competitor signals.
    Signals,
    /// Source records (association listings and imported rows) only, each
    /// with its external id and the canonical company it resolved to.
    Memberships,
    /// Contacts as leads: persona, lead score, email source, ICP fit.
    Leads,
}

impl What {
    fn includes(self, table: What) -> bool {
        self == What::All || self == table
    }
}

/// Rows a profile left out of a file, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub reason: String,
    pub rows: usize,
}

/// One file written by an export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedFile {
    pub path: PathBuf,
    pub rows: usize,
    /// Rows the profile left out (HubSpot rows without a key, ...); on the
    /// first part of a split file only.
    pub skipped: Vec<Skipped>,
}

/// HubSpot's importer reads at most 1,048,576 rows per file (a spreadsheet's
/// limit); files are split well below it.
pub const HUBSPOT_MAX_ROWS: usize = 1_000_000;

/// What to export, in which formats and profile, and where.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Each table is written once per format.
    pub formats: Vec<Format>,
    pub what: What,
    /// Column profile of the company and contact files; events, signals and
    /// memberships are always in nam's columns.
    pub profile: Profile,
    pub filter: ExportFilter,
    pub out_dir: PathBuf,
    /// HubSpot files hold at most this many rows; more go to `-part2`, ...
    pub split_rows: usize,
    /// The timestamp in the file names (default: now, `YYYYMMDDTHHMMSSZ`).
    pub stamp: Option<String>,
}

impl ExportRequest {
    /// Every table in both formats, nam's columns, no filter.
    pub fn new(out_dir: &Path) -> Self {
        ExportRequest {
            formats: vec![Format::Csv, Format::Parquet],
            what: What::All,
            profile: Profile::Full,
            filter: ExportFilter::default(),
            out_dir: out_dir.to_path_buf(),
            split_rows: HUBSPOT_MAX_ROWS,
            stamp: None,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub files: Vec<ExportedFile>,
}

impl ExportSummary {
    /// Rows written over every file.
    pub fn rows(&self) -> usize {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// A stem is a plain file name: letters, digits, `-`, `_` and `.`, not
/// starting with `.`. Anything else (a separator, `..`) could put the file
/// outside the output directory.
fn check_stem(stem: &str) -> Result<()> {
    let plain = !stem.is_empty()
        && !stem.starts_with('.')
        && !stem.contains("..")
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        bail!("export file name {stem:?} is not a plain file name; refusing to write it");
    }
    Ok(())
}

/// `out_dir/<stem>.<ext>`, checked to stay directly inside `out_dir`.
pub(crate) fn file_in(out_dir: &Path, stem: &str, format: Format) -> Result<PathBuf> {
    check_stem(stem)?;
    let path = out_dir.join(format!("{stem}.{}", format.extension()));
    if path.parent() != Some(out_dir) {
        bail!(
            "export file {} would leave {}",
            path.display(),
            out_dir.display()
        );
    }
    Ok(path)
}

/// The default timestamp in file names.
pub fn stamp_now() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// A text column for [`export_table`]: cleaned, and neutralized when
/// `neutralize` (CSV only: Parquet readers do not evaluate formulas, and
/// there the raw value is the truth).
fn text_col(name: &str, values: Vec<Option<String>>, neutralize: bool) -> Column {
    let values: Vec<Option<String>> = values
        .into_iter()
        .map(|v| {
            v.map(|s| {
                let clean = clean_cell(&s);
                if neutralize {
                    neutralize_cell(&clean).into_owned()
                } else {
                    clean.into_owned()
                }
            })
        })
        .collect();
    Column::new(name.into(), values)
}

/// One file set to write: a table under a stem, split into parts of at
/// most `split` rows when given.
struct Output {
    stem: String,
    table: Table,
    skipped: Vec<Skipped>,
    split: Option<usize>,
}

fn output(stem: &str, table: Table) -> Output {
    Output {
        stem: stem.to_owned(),
        table,
        skipped: Vec::new(),
        split: None,
    }
}

/// The files of the company and contact tables in `req.profile`.
fn profile_outputs(store: &Store, req: &ExportRequest) -> Result<Vec<Output>> {
    let mut outs = Vec::new();
    let read = |source| Table::read(store, source, &req.filter);
    let split = Some(req.split_rows.max(1));
    if req.what.includes(What::Companies) {
        let companies = read(ExportSource::Companies)?;
        match req.profile {
            Profile::Full => outs.push(output("companies", companies)),
            Profile::Hubspot => {
                let (table, skipped) = crm::hubspot_companies(&companies)?;
                outs.push(Output {
                    skipped,
                    split,
                    ..output("hubspot-companies", table)
                });
            }
            Profile::Salesforce => outs.push(output(
                "salesforce-accounts",
                crm::salesforce_accounts(&companies)?,
            )),
        }
    }
    if req.what.includes(What::Contacts) {
        let contacts = read(ExportSource::Contacts)?;
        match req.profile {
            Profile::Full => outs.push(output("contacts", contacts)),
            Profile::Hubspot => {
                for (stem, with_company) in [
                    ("hubspot-contacts", false),
                    ("hubspot-contacts-with-companies", true),
                ] {
                    let (table, skipped) = crm::hubspot_contacts(&contacts, with_company)?;
                    outs.push(Output {
                        skipped,
                        split,
                        ..output(stem, table)
                    });
                }
            }
            Profile::Salesforce => {
                let (table, skipped) = crm::salesforce_contacts(&contacts)?;
                outs.push(Output {
                    skipped,
                    ..output("salesforce-contacts", table)
                });
            }
        }
    }
    Ok(outs)
}

/// Writes the tables `req` names; see [`export_with`].
pub fn export(store: &Store, req: &ExportRequest) -> Result<ExportSummary> {
    export_with(store, req, &mut |_| {})
}

/// Writes the tables `req` names in each of its formats to `req.out_dir`,
/// calling `on_file` after each file, and returns every file with its row
/// count (and the rows a profile skipped).
pub fn export_with(
    store: &Store,
    req: &ExportRequest,
    on_file: &mut dyn FnMut(&ExportedFile),
) -> Result<ExportSummary> {
    if req.formats.is_empty() {
        bail!("no export format given (csv, parquet or both)");
    }
    std::fs::create_dir_all(&req.out_dir)
        .with_context(|| format!("creating export directory {}", req.out_dir.display()))?;
    let stamp = req.stamp.clone().unwrap_or_else(stamp_now);
    let mut summary = ExportSummary::default();
    let mut write = |out: Output| -> Result<()> {
        write_output(&req.out_dir, &stamp, &req.formats, out, &mut |f| {
            on_file(&f);
            summary.files.push(f);
        })
    };
    for out in profile_outputs(store, req)? {
        write(out)?;
    }
    let plain = [
        (What::Events, ExportSource::Events, "events"),
        (
            What::Events,
            ExportSource::Participants,
            "event-participants",
        ),
        (What::Signals, ExportSource::Signals, "signals"),
        (What::Memberships, ExportSource::Memberships, "memberships"),
        (What::Leads, ExportSource::Leads, "leads"),
    ];
    for (what, source, stem) in plain {
        if req.what.includes(what) {
            write(output(stem, Table::read(store, source, &req.filter)?))?;
        }
    }
    Ok(summary)
}

/// Writes one table in every format (split into parts when asked).
fn write_output(
    out_dir: &Path,
    stamp: &str,
    formats: &[Format],
    out: Output,
    done: &mut dyn FnMut(ExportedFile),
) -> Result<()> {
    let mut unique: Vec<Format> = Vec::new();
    for &format in formats {
        if !unique.contains(&format) {
            unique.push(format);
        }
    }
    // Each format is written on its own thread: Parquet's compression and
    // CSV's formatting are mostly single-threaded, and a one-read export of
    // both takes the time of the slower one.
    let written: Vec<Result<Vec<ExportedFile>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = unique
            .iter()
            .map(|&format| {
                let out = &out;
                scope.spawn(move || write_format(out_dir, stamp, format, out))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("an export writer thread panicked")))
            })
            .collect()
    });
    for files in written {
        for f in files? {
            done(f);
        }
    }
    Ok(())
}

/// Writes `out` in one format (split into parts when asked).
fn write_format(
    out_dir: &Path,
    stamp: &str,
    format: Format,
    out: &Output,
) -> Result<Vec<ExportedFile>> {
    let df = out.table.frame(format)?;
    let per_file = out.split.unwrap_or(usize::MAX).max(1);
    let parts = df.height().div_ceil(per_file).max(1);
    let mut files = Vec::with_capacity(parts);
    for part in 0..parts {
        let stem = if part == 0 {
            format!("{}-{stamp}", out.stem)
        } else {
            format!("{}-{stamp}-part{}", out.stem, part + 1)
        };
        let path = file_in(out_dir, &stem, format)?;
        let offset = part * per_file;
        let mut chunk = if parts == 1 {
            df.clone()
        } else {
            df.slice(i64::try_from(offset)?, per_file)
        };
        write_frame(&mut chunk, format, &path)?;
        files.push(ExportedFile {
            path,
            rows: chunk.height(),
            skipped: if part == 0 {
                out.skipped.clone()
            } else {
                Vec::new()
            },
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests;
