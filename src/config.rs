//! Settings file, association seeds, and the data/config/log directories.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Where nam keeps its files. Resolved once from the OS conventions
/// (`directories`), with `--db` / `--config` overriding single files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub db: PathBuf,
    pub config: PathBuf,
    pub log_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// Default paths, overridden by explicit `db` / `config` arguments.
    pub fn resolve(db: Option<&Path>, config: Option<&Path>) -> Result<Self> {
        let dirs = directories::ProjectDirs::from("dev", "nam", "nam")
            .context("cannot determine a home directory for nam's data; pass --db and --config")?;
        let data_dir = dirs.data_dir().to_path_buf();
        let log_dir = dirs
            .state_dir()
            .map(|d| d.join("logs"))
            .unwrap_or_else(|| data_dir.join("logs"));
        Ok(Self {
            db: db
                .map(Path::to_path_buf)
                .unwrap_or_else(|| data_dir.join("nam.db")),
            config: config
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dirs.config_dir().join("config.toml")),
            log_dir,
            data_dir,
        })
    }
}

/// A rate limit: requests per second and an optional daily cap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub per_second: f64,
    pub daily_cap: Option<u32>,
}

/// The settings file (`config.toml`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub crawl: CrawlSettings,
    pub export: ExportSettings,
    pub health: HealthSettings,
    pub signals: SignalSettings,
    pub enrich: EnrichSettings,
    /// Company analysis by an OpenAI-compatible model (key: `nam keys set openai`).
    pub llm: LlmSettings,
    /// The web-search provider of prospecting runs (key: `nam keys set tavily`).
    pub search: SearchSettings,
    pub icp: IcpSettings,
    /// Extra association files merged over the bundled `assets/associations.toml`.
    pub associations_files: Vec<PathBuf>,
    /// TUI key bindings: `[keys.<global|input|pane>] action = "key" | ["key", ...]`.
    pub keys: crate::tui::keymap::KeysConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlSettings {
    pub user_agent: String,
    pub timeout_secs: u64,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub max_retries: u32,
    /// Politeness for association sites.
    pub association_rate: RateLimit,
    /// Politeness for every other site (company websites).
    pub default_rate: RateLimit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportSettings {
    /// Directory exports go to when `--out` is not given (default: ./exports).
    /// A job's EXPORT phase takes a relative directory from the database's
    /// directory.
    pub out_dir: PathBuf,
    /// Formats `nam export` and the EXPORT phase write by default.
    pub formats: Vec<crate::export::Format>,
    /// Column profile of company and contact files by default.
    pub profile: crate::export::Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthSettings {
    /// `nam doctor` (and the INIT check) block below this much free disk space
    /// where the database lives, in megabytes (1 MB = 1,000,000 bytes).
    pub min_free_disk_mb: u64,
}

/// The GRAPH phase's reading of company websites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalSettings {
    /// Pages read per company site, the home page included.
    pub max_pages_per_site: usize,
    /// Company sites read at the same time (each is still paced by
    /// `crawl.default_rate`).
    pub concurrent_sites: usize,
}

/// The ENRICHMENT phase: provider chains per kind, their limits, and how
/// company websites are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichSettings {
    /// Firmographic chain, first asked first.
    pub firmographic: Vec<String>,
    /// Tech-stack chain.
    pub techstack: Vec<String>,
    /// Contacts chain.
    pub contacts: Vec<String>,
    /// Fields that are "enough" per kind: the chain stops once the answers
    /// gathered hold this many (firmographic: of employees, founding year,
    /// revenue, industry, description; techstack: of ERP and CRM known;
    /// contacts: people).
    pub min_fields: MinFields,
    /// Contacts kept per company.
    pub max_contacts: usize,
    /// Pages of a company website read, the home page included.
    pub max_pages_per_site: usize,
    /// Companies enriched at the same time (each site is still paced).
    pub concurrent_sites: usize,
    /// Per-provider limits and base URLs: `[enrich.providers.clearbit]`.
    pub providers: std::collections::BTreeMap<String, crate::enrich::chain::ProviderLimits>,
}

/// ICP scoring: the profile runs score against by default, and the fit a
/// prospect needs to qualify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcpSettings {
    /// Name of the profile (`profiles/<name>.toml` next to the config file)
    /// every run scores companies against; none scores nothing.
    pub profile: Option<String>,
    /// Fit (0..100) a company found by a prospecting run needs to qualify.
    pub qualify_min_fit: f64,
}

impl Default for IcpSettings {
    fn default() -> Self {
        Self {
            profile: None,
            qualify_min_fit: 60.0,
        }
    }
}

/// See [`EnrichSettings::min_fields`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinFields {
    pub firmographic: usize,
    pub techstack: usize,
    pub contacts: usize,
}

impl Default for MinFields {
    fn default() -> Self {
        Self {
            firmographic: 3,
            techstack: 2,
            contacts: 2,
        }
    }
}

impl Default for EnrichSettings {
    fn default() -> Self {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Self {
            firmographic: names(&["clearbit", "apollo", "zoominfo", "website", "google_places"]),
            techstack: names(&["builtwith", "fingerprints", "job_postings"]),
            contacts: names(&["apollo", "zoominfo", "team_pages", "hunter"]),
            min_fields: MinFields::default(),
            max_contacts: 5,
            max_pages_per_site: crate::enrich::website::DEFAULT_MAX_PAGES,
            concurrent_sites: 8,
            providers: Default::default(),
        }
    }
}

/// Company analysis by a language model. Without the `openai` key, or
/// with `enabled = false`, the rule-based analysis runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// An OpenAI-compatible endpoint (`/chat/completions` is appended).
    pub base_url: String,
    pub model: String,
    /// Characters of a company's page text put into the prompt, at most.
    pub max_page_chars: usize,
    pub enabled: bool,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            max_page_chars: 6000,
            enabled: true,
        }
    }
}

/// The web-search provider prospecting runs send their queries to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// Only `tavily` for now.
    pub provider: String,
    /// Overrides the provider's own address (a proxy, a test fake).
    pub base_url: Option<String>,
    /// Results asked for per query (Tavily allows 1 to 20).
    pub max_results: usize,
    /// Queries sent per prospecting run, at most.
    pub max_queries: usize,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            provider: "tavily".into(),
            base_url: None,
            max_results: 10,
            max_queries: 6,
        }
    }
}

/// Search providers nam has a client for.
pub const SEARCH_PROVIDERS: &[&str] = &["tavily"];

impl Default for SignalSettings {
    fn default() -> Self {
        Self {
            max_pages_per_site: crate::signals::site::DEFAULT_MAX_PAGES,
            concurrent_sites: crate::signals::run::DEFAULT_CONCURRENCY,
        }
    }
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            min_free_disk_mb: 500,
        }
    }
}

impl HealthSettings {
    pub fn min_free_bytes(&self) -> u64 {
        self.min_free_disk_mb.saturating_mul(1_000_000)
    }
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            user_agent: format!(
                "nam/{} (company directory research crawler)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout_secs: 30,
            max_body_bytes: 8 * 1024 * 1024,
            max_redirects: 10,
            max_retries: 4,
            association_rate: RateLimit {
                per_second: 0.5,
                daily_cap: Some(1000),
            },
            default_rate: RateLimit {
                per_second: 1.0,
                daily_cap: None,
            },
        }
    }
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("exports"),
            formats: vec![crate::export::Format::Csv, crate::export::Format::Parquet],
            profile: crate::export::Profile::Full,
        }
    }
}

/// The commented config written on first run. Every value equals the default,
/// so the file documents the settings without changing behaviour.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../assets/default_config.toml");

/// One problem in a config file, located as precisely as the parser allows.
/// Displays as `PATH:LINE:COL: message`, the shape editors jump to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: PathBuf,
    /// 1-based; `None` when the problem has no place in the text (unreadable file).
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{path}:{l}:{c}: {}", self.message),
            (Some(l), None) => write!(f, "{path}:{l}: {}", self.message),
            _ => write!(f, "{path}: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigProblem {}

/// A problem before it is tied to a file: byte span in the text, message.
type TextProblem = (Option<Range<usize>>, String);

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// The trimmed line holding byte `offset`, cut to a readable length and free
/// of control characters, or `None` when it is blank.
pub(crate) fn quote_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let content = text.lines().nth(line - 1)?.trim();
    let mut quoted: String = content
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    if content.chars().count() > 80 {
        quoted.push('…');
    }
    (!quoted.is_empty()).then_some(quoted)
}

/// Span of the deepest key of `keys` present in the document, so a semantic
/// error points at the offending key (or at its nearest written parent).
pub(crate) fn key_span(root: &toml::de::DeTable<'_>, keys: &[&str]) -> Option<Range<usize>> {
    let mut table = root;
    let mut found = None;
    for k in keys {
        let Some((key, value)) = table.iter().find(|(key, _)| &**key.get_ref() == *k) else {
            break;
        };
        found = Some(key.span());
        match value.get_ref().as_table() {
            Some(t) => table = t,
            None => break,
        }
    }
    found
}

impl Config {
    /// Reads the config file; writes the commented default there first if it
    /// does not exist. A malformed file is an error naming the file and the
    /// line of every problem.
    pub fn load_or_init(path: &Path) -> Result<Self> {
        if !path.exists() {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating config directory {}", parent.display()))?;
            }
            std::fs::write(path, DEFAULT_CONFIG_TOML)
                .with_context(|| format!("writing default config to {}", path.display()))?;
        }
        Self::check_file(path).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("invalid config file:\n{}", lines.join("\n"))
        })
    }

    /// Reads, parses and validates the config file without writing anything.
    /// Every problem carries the file and, where there is one, the line.
    pub fn check_file(path: &Path) -> std::result::Result<Self, Vec<ConfigProblem>> {
        let problem = |line, column, message| ConfigProblem {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![problem(None, None, format!("cannot read the file: {e}"))])?;
        Self::check_text(&text).map_err(|problems| {
            problems
                .into_iter()
                .map(|(span, message)| {
                    let (line, column) = span.map(|s| line_col(&text, s.start)).unzip();
                    problem(line, column, message)
                })
                .collect()
        })
    }

    /// Parses and validates config text; errors say the line and column.
    pub fn parse(text: &str) -> Result<Self> {
        Self::check_text(text).map_err(|problems| {
            let lines: Vec<String> = problems
                .into_iter()
                .map(
                    |(span, message)| match span.map(|s| line_col(text, s.start)) {
                        Some((l, c)) => format!("line {l}, column {c}: {message}"),
                        None => message,
                    },
                )
                .collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        })
    }

    fn check_text(text: &str) -> std::result::Result<Self, Vec<TextProblem>> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let mut message = e.message().trim().replace('\n', "; ");
            // The parser's message does not name the key ("invalid type: string,
            // expected u32"); quoting the line does.
            if let Some(quoted) = e.span().and_then(|s| quote_line(text, s.start)) {
                message.push_str(&format!(" (in `{quoted}`)"));
            }
            vec![(e.span(), message)]
        })?;
        let problems = cfg.semantic_problems();
        if problems.is_empty() {
            return Ok(cfg);
        }
        // The text parsed above, so this parse succeeds; without it the
        // problems are still reported, only without a line.
        let doc = toml::de::DeTable::parse(text).ok();
        Err(problems
            .into_iter()
            .map(|(keys, message)| {
                let span = doc.as_ref().and_then(|d| key_span(d.get_ref(), &keys));
                (span, message)
            })
            .collect())
    }

    /// Values serde accepts but nam cannot use, with the key path of each.
    fn semantic_problems(&self) -> Vec<(Vec<&'static str>, String)> {
        let mut out = Vec::new();
        for (table, r) in [
            ("association_rate", self.crawl.association_rate),
            ("default_rate", self.crawl.default_rate),
        ] {
            if !(r.per_second > 0.0 && r.per_second.is_finite()) {
                out.push((
                    vec!["crawl", table, "per_second"],
                    format!(
                        "crawl.{table}.per_second must be a positive number, got {}",
                        r.per_second
                    ),
                ));
            }
        }
        let bad_url = |raw: &str| crate::enrich::api::http::base_url(raw).err();
        if let Some(e) = bad_url(&self.llm.base_url) {
            out.push((vec!["llm", "base_url"], format!("llm.base_url: {e}")));
        }
        if self.llm.model.trim().is_empty() {
            out.push((vec!["llm", "model"], "llm.model must not be empty".into()));
        }
        if self.llm.max_page_chars == 0 {
            out.push((
                vec!["llm", "max_page_chars"],
                "llm.max_page_chars must be at least 1".into(),
            ));
        }
        if !SEARCH_PROVIDERS.contains(&self.search.provider.as_str()) {
            out.push((
                vec!["search", "provider"],
                format!(
                    "search.provider {:?} is not one of {}",
                    self.search.provider,
                    SEARCH_PROVIDERS.join(", ")
                ),
            ));
        }
        if let Some(e) = self.search.base_url.as_deref().and_then(bad_url) {
            out.push((vec!["search", "base_url"], format!("search.base_url: {e}")));
        }
        if !(1..=20).contains(&self.search.max_results) {
            out.push((
                vec!["search", "max_results"],
                format!(
                    "search.max_results must be 1 to 20, got {}",
                    self.search.max_results
                ),
            ));
        }
        let fit = self.icp.qualify_min_fit;
        if !(0.0..=100.0).contains(&fit) {
            out.push((
                vec!["icp", "qualify_min_fit"],
                format!("icp.qualify_min_fit must be between 0 and 100, got {fit}"),
            ));
        }
        if let Some(Err(e)) = self
            .icp
            .profile
            .as_deref()
            .map(crate::icp::profile::validate_name)
        {
            out.push((vec!["icp", "profile"], format!("icp.profile: {e}")));
        }
        if self.crawl.user_agent.trim().is_empty() {
            out.push((
                vec!["crawl", "user_agent"],
                "crawl.user_agent must not be empty".to_string(),
            ));
        }
        out
    }
}

/// CSS selectors for one association's directory layout. Every field is
/// optional: what is missing falls back to the generic extractor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Selectors {
    /// Container of one member record.
    pub record: Option<String>,
    pub name: Option<String>,
    pub website: Option<String>,
    /// One block holding the whole address, when parts are not marked up.
    pub address: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    pub membership_type: Option<String>,
    pub profile_link: Option<String>,
    /// Link to the next page of the listing.
    pub next_page: Option<String>,
}

/// One association to crawl (an entry of `assets/associations.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationConfig {
    /// Short code, e.g. `PMA`.
    pub code: String,
    pub name: String,
    pub base_url: String,
    /// Member directory entry points.
    #[serde(default)]
    pub directory_urls: Vec<String>,
    /// Event pages (exhibitor and sponsor lists).
    #[serde(default)]
    pub event_urls: Vec<String>,
    #[serde(default)]
    pub selectors: Option<Selectors>,
    /// Overrides the association rate limit for this site.
    #[serde(default)]
    pub rate: Option<RateLimit>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationsFile {
    #[serde(default, rename = "association")]
    pub associations: Vec<AssociationConfig>,
}

/// The bundled association list.
pub const BUNDLED_ASSOCIATIONS: &str = include_str!("../assets/associations.toml");

impl AssociationsFile {
    pub fn parse(text: &str) -> Result<Self> {
        let f: AssociationsFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        for a in &f.associations {
            url::Url::parse(&a.base_url).with_context(|| {
                format!("association {}: bad base_url {:?}", a.code, a.base_url)
            })?;
            for u in a.directory_urls.iter().chain(&a.event_urls) {
                url::Url::parse(u)
                    .with_context(|| format!("association {}: bad URL {u:?}", a.code))?;
            }
        }
        Ok(f)
    }

    pub fn bundled() -> Result<Self> {
        Self::parse(BUNDLED_ASSOCIATIONS).context("in bundled assets/associations.toml")
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading associations file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in associations file {}", path.display()))
    }

    pub fn find(&self, code: &str) -> Option<&AssociationConfig> {
        self.associations
            .iter()
            .find(|a| a.code.eq_ignore_ascii_case(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_file_parses_to_defaults() {
        let cfg = Config::parse(DEFAULT_CONFIG_TOML).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn bad_config_names_the_problem() {
        let err = Config::parse("[crawl]\nmax_retries = \"many\"\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("max_retries"), "{msg}");
        let err = Config::parse("[crawl.default_rate]\nper_second = 0\n").unwrap_err();
        assert!(format!("{err:#}").contains("per_second"));
    }

    #[test]
    fn load_or_init_writes_commented_default_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let cfg = Config::load_or_init(&path).unwrap();
        assert_eq!(cfg, Config::default());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().any(|l| l.starts_with('#')));
        std::fs::write(&path, "[crawl]\nmax_retries = 2\n").unwrap();
        assert_eq!(Config::load_or_init(&path).unwrap().crawl.max_retries, 2);
    }

    #[test]
    fn check_file_locates_syntax_and_semantic_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[crawl]\nmax_retries = 2\nuser_agent = = 1\n").unwrap();
        let problems = Config::check_file(&path).unwrap_err();
        assert_eq!(problems[0].line, Some(3), "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .starts_with(&format!("{}:3:", path.display()))
        );

        std::fs::write(
            &path,
            "# rates\n[crawl]\n\n[crawl.default_rate]\nper_second = 0\n",
        )
        .unwrap();
        let problems = Config::check_file(&path).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].column), (Some(5), Some(1)));
        assert!(problems[0].message.contains("default_rate.per_second"));

        std::fs::write(
            &path,
            "[export]\nout_dir = \"x\"\n[crawl]\nuser_agent = \" \"\n",
        )
        .unwrap();
        let problems = Config::check_file(&path).unwrap_err();
        assert_eq!(problems[0].line, Some(4), "{problems:?}");

        // The error every command sees carries the line too.
        let err = Config::load_or_init(&path).unwrap_err();
        assert!(format!("{err:#}").contains(&format!("{}:4:", path.display())));
    }

    #[test]
    fn old_configs_without_health_get_the_default_minimum() {
        let cfg = Config::parse("[crawl]\nmax_retries = 1\n").unwrap();
        assert_eq!(cfg.health.min_free_disk_mb, 500);
        assert_eq!(cfg.health.min_free_bytes(), 500_000_000);
        let cfg = Config::parse("[health]\nmin_free_disk_mb = 10\n").unwrap();
        assert_eq!(cfg.health.min_free_disk_mb, 10);
    }

    #[test]
    fn llm_and_search_settings_default_and_are_checked() {
        let cfg = Config::parse("[crawl]\nmax_retries = 1\n").unwrap();
        assert_eq!(cfg.llm.base_url, "https://api.openai.com/v1");
        assert_eq!(cfg.llm.model, "gpt-4o-mini");
        assert_eq!((cfg.llm.max_page_chars, cfg.llm.enabled), (6000, true));
        assert_eq!(cfg.search.provider, "tavily");
        assert_eq!(cfg.search.base_url, None);
        assert_eq!((cfg.search.max_results, cfg.search.max_queries), (10, 6));
        let cfg = Config::parse(
            "[llm]\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"llama3\"\nenabled = false\n\
             [search]\nbase_url = \"http://127.0.0.1:9\"\nmax_results = 5\n",
        )
        .unwrap();
        assert_eq!(cfg.llm.model, "llama3");
        assert!(!cfg.llm.enabled);
        assert_eq!(cfg.search.base_url.as_deref(), Some("http://127.0.0.1:9"));
        for (text, key) in [
            ("[llm]\nbase_url = \"not a url\"\n", "llm.base_url"),
            ("[llm]\nmax_page_chars = 0\n", "llm.max_page_chars"),
            ("[search]\nprovider = \"bing\"\n", "search.provider"),
            ("[search]\nmax_results = 50\n", "search.max_results"),
            ("[search]\nbase_url = \"ftp://x\"\n", "search.base_url"),
        ] {
            let err = format!("{:#}", Config::parse(text).unwrap_err());
            assert!(err.contains(key) && err.contains("line 2"), "{text}: {err}");
        }
        // No place for a key in the file.
        assert!(Config::parse("[llm]\napi_key = \"sk-x\"\n").is_err());
    }

    #[test]
    fn icp_settings_default_and_are_checked() {
        assert_eq!(Config::default().icp.qualify_min_fit, 60.0);
        let cfg = Config::parse("[icp]\nprofile = \"aero\"\n").unwrap();
        assert_eq!(cfg.icp.profile.as_deref(), Some("aero"));
        let err = Config::parse("[icp]\nqualify_min_fit = 120\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = Config::parse("[icp]\nprofile = \"../x\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("icp.profile"), "{err:#}");
    }

    #[test]
    fn bundled_associations_have_the_ten() {
        let f = AssociationsFile::bundled().unwrap();
        for code in [
            "PMA", "NEMA", "SOCMA", "AGMA", "AIA", "NTMA", "PMPA", "FIA", "NADCA", "AFS",
        ] {
            assert!(f.find(code).is_some(), "missing {code}");
        }
    }
}
