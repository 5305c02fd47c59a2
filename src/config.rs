//! Settings file, association seeds, and the data/config/log directories.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
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
    /// Extra association files merged over the bundled `assets/associations.toml`.
    pub associations_files: Vec<PathBuf>,
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
    pub out_dir: PathBuf,
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
        }
    }
}

/// The commented config written on first run. Every value equals the default,
/// so the file documents the settings without changing behaviour.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../assets/default_config.toml");

impl Config {
    /// Reads the config file; writes the commented default there first if it
    /// does not exist. A malformed file is an error naming the file and line.
    pub fn load_or_init(path: &Path) -> Result<Self> {
        if !path.exists() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating config directory {}", parent.display()))?;
            }
            std::fs::write(path, DEFAULT_CONFIG_TOML)
                .with_context(|| format!("writing default config to {}", path.display()))?;
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in config file {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let cfg: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        for (name, r) in [
            ("crawl.association_rate", self.crawl.association_rate),
            ("crawl.default_rate", self.crawl.default_rate),
        ] {
            if !(r.per_second > 0.0 && r.per_second.is_finite()) {
                bail!(
                    "{name}.per_second must be a positive number, got {}",
                    r.per_second
                );
            }
        }
        if self.crawl.user_agent.trim().is_empty() {
            bail!("crawl.user_agent must not be empty");
        }
        Ok(())
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
    fn bundled_associations_have_the_ten() {
        let f = AssociationsFile::bundled().unwrap();
        for code in [
            "PMA", "NEMA", "SOCMA", "AGMA", "AIA", "NTMA", "PMPA", "FIA", "NADCA", "AFS",
        ] {
            assert!(f.find(code).is_some(), "missing {code}");
        }
    }
}
