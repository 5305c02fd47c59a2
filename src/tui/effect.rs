//! Work the app asks for and its answers. Panes describe work as [`Work`];
//! the loop runs it off the UI thread with [`run_work`] and hands back a
//! [`Loaded`]. Every piece of work is tagged with a sequence number and a
//! [`Slot`]; an answer to a query older than the latest one for its slot is
//! dropped, so a slow result never overwrites a newer one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use super::panes::ExportView;
use super::panes::companies::CompanyQuery;
use super::panes::jobs::JobSpec;
use crate::enrich::analysis::Analysis;
use crate::export::{ExportedFile, Profile};
use crate::icp::IcpProfile;
use crate::model::{Company, DecisionKind, DecisionRow, MemberRecord};
use crate::resolve::review::{self, ReviewItem};
use crate::search::browse::{CompanySearch, SearchHandle};
use crate::secrets::Secrets;
use crate::store::{
    AssociationQuality, CompanyListRow, ContactLine, DeadLetterRow, DriftAlertRow, EventLine,
    ExportRun, JobControl, JobRow, NewExportRun, PageKey, PhaseRow, ProviderUsage, RelationLine,
    SignalGroup, SignalGroupBy, SignalRow, Store, StoredIcpScore,
};

/// Which answer an answer replaces. Queries in the same slot of a pane
/// supersede each other; writes are always delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Main,
    Detail,
    Side,
    Count,
    Write,
}

impl Slot {
    pub fn is_query(self) -> bool {
        self != Slot::Write
    }
}

/// A secret typed by the analyst: never printed, not even in debug output.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Which page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq)]
pub enum PageAt {
    First,
    Last,
    After(PageKey),
    Before(PageKey),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// The status bar's counts.
    StatusCounts,
    Jobs {
        selected: Option<i64>,
    },
    ControlJob {
        job_id: i64,
        control: JobControl,
    },
    /// Started by the loop itself (it owns the pipeline's event channel).
    StartJob(Box<JobSpec>),
    Companies {
        query: CompanyQuery,
        page: PageAt,
        limit: usize,
    },
    CompanyCount(CompanyQuery),
    CompanyDetail(i64),
    ReviewNext,
    Decide {
        kind: DecisionKind,
        left: i64,
        right: i64,
    },
    UndoLast,
    AcceptAbove(f64),
    DeadLetters,
    RetryDeadLetter(i64),
    RetryAllDeadLetters,
    DiscardDeadLetter(i64),
    SignalGroups(SignalGroupBy),
    Signals {
        by: SignalGroupBy,
        key: String,
    },
    Quality,
    Keys,
    SetKey {
        provider: String,
        secret: Secret,
    },
    DeleteKey(String),
    Exports,
    Export {
        view: ExportView,
        profile: Profile,
    },
    /// The ICP profiles, and the chosen one (else the first) in full.
    Profiles {
        selected: Option<String>,
    },
    /// Writes a starter profile with this name (never over an existing one).
    NewProfile(String),
    /// Writes an edited profile over its file.
    SaveProfile(Box<IcpProfile>),
    /// Scores every company against the profile with this name.
    ScoreProfile(String),
}

#[derive(Debug, Clone)]
pub struct JobsData {
    pub jobs: Vec<JobRow>,
    pub phases: Vec<PhaseRow>,
    pub drift: Vec<DriftAlertRow>,
    /// How many of the selected job's companies lack research, contacts
    /// and scores.
    pub gaps: Option<crate::store::RunGaps>,
}

#[derive(Debug, Clone)]
pub struct CompanyPage {
    pub page: PageAt,
    pub rows: Vec<CompanyListRow>,
    /// The page came back full: there may be more in its direction.
    pub full: bool,
    /// A search ran before the index had caught up with the store.
    pub partial_search: bool,
}

#[derive(Debug, Clone)]
pub struct CompanyDetail {
    pub company: Company,
    pub memberships: Vec<MemberRecord>,
    pub contacts: Vec<ContactLine>,
    pub events: Vec<EventLine>,
    pub signals: Vec<SignalRow>,
    pub relationships: Vec<RelationLine>,
    pub decisions: Vec<DecisionRow>,
    /// Its score against each ICP profile, best fit first.
    pub icp: Vec<StoredIcpScore>,
    pub analysis: Option<Analysis>,
}

#[derive(Debug, Clone)]
pub struct ReviewData {
    /// The next pairs, most uncertain first: the pane shows the first and
    /// moves to the next the moment a decision is made, while it is written.
    pub items: Vec<ReviewItem>,
    pub pending: i64,
    pub decided: i64,
    pub last: Option<DecisionRow>,
}

#[derive(Debug, Clone)]
pub struct QualityData {
    pub associations: Vec<AssociationQuality>,
    pub providers: Vec<ProviderUsage>,
}

#[derive(Debug, Clone)]
pub struct KeysData {
    pub backend: String,
    /// Provider, masked key and where it was found.
    pub keys: Vec<(String, Option<(String, String)>)>,
}

/// Companies ranked against a profile the Profiles pane shows.
pub const PROFILE_TOP: usize = 20;

#[derive(Debug, Clone)]
pub struct ProfilesData {
    /// Where the profile files are (`<config dir>/profiles`).
    pub dir: PathBuf,
    /// Every profile with the number of companies scored against it.
    pub profiles: Vec<(String, i64)>,
    pub selected: Option<SelectedProfile>,
}

#[derive(Debug, Clone)]
pub struct SelectedProfile {
    pub name: String,
    /// The profile, or why its file does not read.
    pub profile: Result<IcpProfile, String>,
    /// Its best-ranked companies, by prospect score.
    pub top: Vec<StoredIcpScore>,
}

#[derive(Debug, Clone)]
pub enum Loaded {
    StatusCounts(super::app::Counts),
    Jobs(JobsData),
    Companies(CompanyPage),
    /// A company count and the view (`CompanyQuery::count_key`) it counts.
    Count {
        key: String,
        count: i64,
    },
    Detail(Box<CompanyDetail>),
    Review(Box<ReviewData>),
    DeadLetters(Vec<DeadLetterRow>),
    SignalGroups(Vec<SignalGroup>),
    Signals(Vec<SignalRow>),
    Quality(QualityData),
    Keys(KeysData),
    Exports(Vec<ExportRun>),
    Exported(Vec<ExportedFile>),
    Profiles(Box<ProfilesData>),
    /// A profile file was written: the profile's name and what to say.
    ProfileSaved {
        name: String,
        message: String,
    },
    /// A change went through; what to tell the analyst.
    Done(String),
}

/// What running work needs: the database, where exports go, the key store
/// and the search index.
///
/// The index has one writer (`indexer`, held while a refresh runs, which can
/// take a while on a first build) and any number of searchers (`searcher`, a
/// handle that a refresh never blocks); `search_ready` turns true once the
/// index has caught up with the store, until then searches see what it has.
#[derive(Clone)]
pub struct WorkEnv {
    pub db: PathBuf,
    pub export_dir: PathBuf,
    /// The config file's directory; ICP profiles are in its `profiles/`.
    pub config_dir: PathBuf,
    pub secrets: Arc<Secrets>,
    indexer: Arc<Mutex<Option<CompanySearch>>>,
    searcher: Arc<Mutex<Option<SearchHandle>>>,
    search_ready: Arc<AtomicBool>,
}

fn poisoned<T>(_: T) -> anyhow::Error {
    anyhow::anyhow!("search index lock poisoned")
}

impl WorkEnv {
    pub fn new(db: &Path, export_dir: &Path, secrets: Arc<Secrets>) -> Self {
        Self {
            db: db.to_path_buf(),
            export_dir: export_dir.to_path_buf(),
            config_dir: super::config_dir(None),
            secrets,
            indexer: Arc::new(Mutex::new(None)),
            searcher: Arc::new(Mutex::new(None)),
            search_ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The same, with ICP profiles in `dir` (the config file's directory).
    pub fn with_config_dir(mut self, dir: &Path) -> Self {
        self.config_dir = dir.to_path_buf();
        self
    }

    fn read(&self) -> Result<Store> {
        Store::open_readonly(&self.db)
    }

    fn write(&self) -> Result<Store> {
        Store::open(&self.db)
    }

    /// Brings the search index up to date with the store, opening it first
    /// (searches can use it from the moment it is open).
    pub fn refresh_search(&self) -> Result<()> {
        let store = self.read()?;
        let mut indexer = self.indexer.lock().map_err(poisoned)?;
        if indexer.is_none() {
            let index = CompanySearch::open(&self.db)?;
            *self.searcher.lock().map_err(poisoned)? = Some(index.handle());
            *indexer = Some(index);
        }
        if let Some(index) = indexer.as_mut() {
            let report = index.refresh(&store)?;
            if !report.busy {
                self.search_ready.store(true, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    pub fn search_ready(&self) -> bool {
        self.search_ready.load(Ordering::SeqCst)
    }

    /// Company ids matching the search text, best first.
    fn search_ids(&self, text: &str) -> Result<Vec<i64>> {
        let handle = self.searcher.lock().map_err(poisoned)?.clone();
        let handle = match handle {
            Some(h) => h,
            None => {
                // Nobody opened the index yet (tests, or the very first
                // keystroke): open and catch it up here.
                self.refresh_search()?;
                self.searcher
                    .lock()
                    .map_err(poisoned)?
                    .clone()
                    .context("the search index did not open")?
            }
        };
        handle.search(text, SEARCH_LIMIT)
    }
}

/// Review pairs read ahead of the one on screen.
pub const REVIEW_PREFETCH: usize = 4;

/// Search-as-you-type shows at most this many matches.
pub const SEARCH_LIMIT: usize = 1000;

/// The store-level filter for a company query (search text resolved to ids).
fn browse_filter(env: &WorkEnv, q: &CompanyQuery) -> Result<crate::store::BrowseFilter> {
    let mut filter = q.filter.clone();
    if !q.search.trim().is_empty() {
        filter.ids = Some(env.search_ids(q.search.trim())?);
    }
    Ok(filter)
}

/// Runs one piece of work (blocking: call from `spawn_blocking`).
pub fn run_work(env: &WorkEnv, work: Work) -> Result<Loaded> {
    Ok(match work {
        Work::StatusCounts => {
            let store = env.read()?;
            let candidates = store.candidate_counts()?;
            Loaded::StatusCounts(super::app::Counts {
                // The browse count reads the narrow status index, not every row.
                companies: store.company_browse_count(&crate::store::BrowseFilter::default())?,
                pending_review: with_status(&candidates, "pending"),
                dead_letters: store.dead_letter_count()?,
            })
        }
        Work::Jobs { selected } => {
            let store = env.read()?;
            let jobs = store.jobs(50)?;
            let selected = selected.or_else(|| jobs.first().map(|j| j.id));
            let phases = match selected {
                Some(id) => store.phases(id)?,
                None => Vec::new(),
            };
            let gaps = match selected.and_then(|id| jobs.iter().find(|j| j.id == id)) {
                Some(j) => {
                    let profile = crate::pipeline::JobParams::from_json(&j.params)
                        .ok()
                        .and_then(|p| p.profile);
                    Some(store.run_gaps(j.id, profile.as_deref())?)
                }
                None => None,
            };
            Loaded::Jobs(JobsData {
                jobs,
                phases,
                gaps,
                drift: store.drift_alerts(20, false)?,
            })
        }
        Work::ControlJob { job_id, control } => {
            crate::pipeline::control_job(&env.db, job_id, control)?;
            Loaded::Done(format!("asked job {job_id} to {}", control.as_str()))
        }
        Work::StartJob(_) => bail!("jobs are started by the app loop"),
        Work::Companies { query, page, limit } => {
            let store = env.read()?;
            let filter = browse_filter(env, &query)?;
            let (after, backwards) = match &page {
                PageAt::First => (None, false),
                PageAt::Last => (None, true),
                PageAt::After(k) => (Some(k), false),
                PageAt::Before(k) => (Some(k), true),
            };
            let rows = store.company_page(
                &filter,
                crate::store::PageRequest {
                    order: query.order,
                    after,
                    backwards,
                    limit,
                },
            )?;
            Loaded::Companies(CompanyPage {
                partial_search: !query.search.trim().is_empty() && !env.search_ready(),
                full: rows.len() >= limit,
                page,
                rows,
            })
        }
        Work::CompanyCount(query) => {
            let store = env.read()?;
            Loaded::Count {
                key: query.count_key(),
                count: store.company_browse_count(&browse_filter(env, &query)?)?,
            }
        }
        Work::CompanyDetail(id) => {
            let store = env.read()?;
            let company = store
                .company(id)?
                .with_context(|| format!("company {id} is not in the store"))?;
            Loaded::Detail(Box::new(CompanyDetail {
                memberships: store.memberships_of(id)?,
                contacts: store.contacts_of(id)?,
                events: store.events_of(id)?,
                signals: store.signals_in(SignalGroupBy::Company, &id.to_string(), 100)?,
                relationships: store.relationships_of(id, 200)?,
                decisions: store.decisions_of(id)?,
                icp: store.icp_score_of(id)?,
                analysis: store.company_analysis(id)?,
                company,
            }))
        }
        Work::ReviewNext => {
            let store = env.read()?;
            let items = review::queue(&store, Some(REVIEW_PREFETCH))?;
            let counts = store.candidate_counts()?;
            let count = |status| with_status(&counts, status);
            Loaded::Review(Box::new(ReviewData {
                items,
                pending: count("pending"),
                decided: count("approved") + count("rejected") + count("skipped"),
                last: store.last_analyst_decision()?,
            }))
        }
        Work::Decide { kind, left, right } => {
            let mut store = env.write()?;
            let id = match kind {
                DecisionKind::Merge => review::merge(&mut store, left, right)?,
                other => review::answer(&mut store, other, left, right)?,
            };
            Loaded::Done(format!(
                "decision {id}: {} #{left} and #{right}",
                match kind {
                    DecisionKind::Merge => "merged",
                    DecisionKind::KeepApart => "kept apart",
                    DecisionKind::Skip => "skipped",
                }
            ))
        }
        Work::UndoLast => {
            let mut store = env.write()?;
            let Some(last) = store.last_analyst_decision()? else {
                return Ok(Loaded::Done("nothing to undo".into()));
            };
            review::undo(&mut store, last.id)?;
            Loaded::Done(format!(
                "undid decision {} (#{} and #{})",
                last.id, last.left_id, last.right_id
            ))
        }
        Work::AcceptAbove(score) => {
            let mut store = env.write()?;
            let ids = review::accept_above(&mut store, score)?;
            Loaded::Done(format!(
                "merged {} pairs scoring {score:.2} or more",
                ids.len()
            ))
        }
        Work::DeadLetters => Loaded::DeadLetters(env.read()?.dead_letter_rows(false)?),
        Work::RetryDeadLetter(id) => {
            let ok = env.write()?.retry_dead_letter(id)?;
            Loaded::Done(if ok {
                format!("dead letter {id} queued again; the next crawl fetches it")
            } else {
                format!("dead letter {id} is gone")
            })
        }
        Work::RetryAllDeadLetters => {
            let n = env.write()?.retry_all_dead_letters()?;
            Loaded::Done(format!("{n} dead letters queued again"))
        }
        Work::DiscardDeadLetter(id) => {
            let ok = env.write()?.discard_dead_letter(id)?;
            Loaded::Done(if ok {
                format!("dead letter {id} discarded")
            } else {
                format!("dead letter {id} is gone")
            })
        }
        Work::SignalGroups(by) => Loaded::SignalGroups(env.read()?.signal_groups(by)?),
        Work::Signals { by, key } => Loaded::Signals(env.read()?.signals_in(by, &key, 200)?),
        Work::Quality => {
            let store = env.read()?;
            Loaded::Quality(QualityData {
                associations: store.quality_overview()?,
                providers: store.provider_usage_summary()?,
            })
        }
        Work::Keys => Loaded::Keys(KeysData {
            backend: env.secrets.backend().describe().to_string(),
            keys: env
                .secrets
                .list()?
                .into_iter()
                .map(|(p, k)| {
                    let found = k.map(|(masked, source)| {
                        let place = match source {
                            crate::secrets::KeySource::Keyring => {
                                env.secrets.backend().describe().to_string()
                            }
                            crate::secrets::KeySource::Env(var) => format!("${var}"),
                        };
                        (masked, place)
                    });
                    (p.to_string(), found)
                })
                .collect(),
        }),
        Work::SetKey { provider, secret } => {
            env.secrets.set(&provider, &secret.0)?;
            Loaded::Done(format!(
                "key for {provider} stored in {}",
                env.secrets.backend().describe()
            ))
        }
        Work::DeleteKey(provider) => {
            let removed = env.secrets.delete(&provider)?;
            Loaded::Done(if removed {
                format!("key for {provider} deleted")
            } else {
                format!("no stored key for {provider}")
            })
        }
        Work::Exports => Loaded::Exports(env.read()?.export_runs(100)?),
        Work::Export { view, profile } => Loaded::Exported(export_view(env, &view, profile)?),
        Work::Profiles { selected } => Loaded::Profiles(Box::new(profiles(env, selected)?)),
        Work::NewProfile(name) => {
            let path = crate::icp::profile::profile_path(&env.config_dir, &name)?;
            if path.exists() {
                bail!(
                    "{} already exists; pick another name or e to edit it",
                    path.display()
                );
            }
            let profile = IcpProfile::parse(&IcpProfile::template(&name))
                .context("reading the starter profile")?;
            let path = profile.save(&env.config_dir)?;
            Loaded::ProfileSaved {
                message: format!("wrote {}; e edits it, s scores with it", path.display()),
                name,
            }
        }
        Work::SaveProfile(profile) => {
            let path = profile.save(&env.config_dir)?;
            Loaded::ProfileSaved {
                name: profile.name.clone(),
                message: format!("saved {}", path.display()),
            }
        }
        Work::ScoreProfile(name) => {
            let profile = IcpProfile::load(&env.config_dir, &name)?;
            let report = crate::icp::score_store(&env.write()?, &profile, None)?;
            Loaded::Done(report.summary())
        }
    })
}

/// The profiles in the config directory with their scored counts, and
/// `selected` (else the first) read in full with its ranking.
fn profiles(env: &WorkEnv, selected: Option<String>) -> Result<ProfilesData> {
    let store = env.read()?;
    let names = crate::icp::list_profiles(&env.config_dir)?;
    let counts = store.icp_profile_counts()?;
    let scored = |name: &str| {
        counts
            .iter()
            .find(|(p, _)| p == name)
            .map_or(0, |(_, n)| *n)
    };
    let chosen = selected
        .filter(|s| names.contains(s))
        .or_else(|| names.first().cloned());
    let selected = match chosen {
        Some(name) => Some(SelectedProfile {
            profile: IcpProfile::load(&env.config_dir, &name).map_err(|e| format!("{e:#}")),
            top: store.icp_scores(&name, PROFILE_TOP)?,
            name,
        }),
        None => None,
    };
    Ok(ProfilesData {
        dir: crate::icp::profiles_dir(&env.config_dir),
        profiles: names.iter().map(|n| (n.clone(), scored(n))).collect(),
        selected,
    })
}

/// Candidates in one status, from `Store::candidate_counts`.
fn with_status(counts: &[(String, i64)], status: &str) -> i64 {
    counts
        .iter()
        .filter(|(s, _)| s == status)
        .map(|(_, n)| n)
        .sum()
}

/// Writes the rows a view shows (all pages, with its filters) as CSV and
/// Parquet in `profile`, and records the export.
fn export_view(env: &WorkEnv, view: &ExportView, profile: Profile) -> Result<Vec<ExportedFile>> {
    let store = env.read()?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let (name, filters, files) = match view {
        ExportView::Companies(query) => {
            let filter = browse_filter(env, query)?;
            let mut companies = Vec::new();
            let mut after: Option<PageKey> = None;
            loop {
                let rows = store.company_page(
                    &filter,
                    crate::store::PageRequest {
                        order: query.order,
                        after: after.as_ref(),
                        backwards: false,
                        limit: 5000,
                    },
                )?;
                let Some(last) = rows.last() else { break };
                after = Some(last.key(query.order.by));
                for r in &rows {
                    if let Some(c) = store.company(r.id)? {
                        companies.push(c);
                    }
                }
                if rows.len() < 5000 {
                    break;
                }
            }
            let stem = format!("companies-{}-{stamp}", profile.name());
            let files =
                crate::export::export_companies(&companies, profile, &env.export_dir, &stem)?;
            ("companies", query.describe(), files)
        }
        ExportView::Signals { by, key } => {
            let rows: Vec<Vec<Option<String>>> = store
                .signals_in(*by, key, usize::MAX >> 1)?
                .into_iter()
                .map(|s| {
                    vec![
                        Some(s.company_id.to_string()),
                        Some(s.company_name),
                        Some(s.vendor),
                        s.product,
                        Some(s.category),
                        Some(s.signal_type),
                        s.evidence,
                        Some(s.source_url),
                        Some(format!("{:.2}", s.confidence)),
                        Some(s.detected_at),
                    ]
                })
                .collect();
            let headers = [
                "company_id",
                "company",
                "vendor",
                "product",
                "category",
                "signal_type",
                "evidence",
                "source_url",
                "confidence",
                "detected_at",
            ];
            let stem = format!("signals-{stamp}");
            let files = crate::export::export_table(&headers, &rows, &env.export_dir, &stem)?;
            ("signals", format!("{} {key}", by.label()), files)
        }
        ExportView::DeadLetters => {
            let rows: Vec<Vec<Option<String>>> = store
                .dead_letter_rows(false)?
                .into_iter()
                .map(|d| {
                    vec![
                        Some(d.id.to_string()),
                        Some(d.url),
                        Some(d.phase),
                        d.status_code.map(|c| c.to_string()),
                        Some(d.error),
                        Some(d.attempts.to_string()),
                        Some(d.last_failed_at),
                    ]
                })
                .collect();
            let headers = [
                "id",
                "url",
                "phase",
                "status",
                "error",
                "attempts",
                "last_failed_at",
            ];
            let stem = format!("dead-letters-{stamp}");
            let files = crate::export::export_table(&headers, &rows, &env.export_dir, &stem)?;
            ("dead_letters", String::new(), files)
        }
    };
    let rows = files.first().map(|f| f.rows).unwrap_or(0);
    drop(store);
    env.write()?.record_export(&NewExportRun {
        view: name.to_string(),
        profile: profile.name().to_string(),
        filters,
        rows: rows as i64,
        files: files.iter().map(|f| f.path.display().to_string()).collect(),
    })?;
    Ok(files)
}
