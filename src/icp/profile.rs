//! ICP profiles: a business context saved as `profiles/<name>.toml` in the
//! config directory. The file is the profile: it is edited by hand or from
//! the TUI, and read again on every scoring run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigProblem, key_span, line_col, quote_line};

/// A named business context companies are scored against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcpProfile {
    /// The file name without `.toml`; taken from the file when left out.
    pub name: String,
    pub description: String,
    /// What we sell.
    pub product: String,
    pub value_proposition: String,
    /// Who buys it, in words.
    pub ideal_customer: String,
    /// Industry words ("aerospace", "defense"), matched against a company's
    /// industries served, description, products and NAICS title.
    pub industries: Vec<String>,
    /// NAICS code prefixes ("3323", "332").
    pub naics: Vec<String>,
    pub employees_min: Option<u32>,
    pub employees_max: Option<u32>,
    /// Country codes (`US`, `CA`), state or province codes (`OH`) or city
    /// names. `CA` alone is Canada; write `state:CA` for California
    /// (`country:`, `state:` and `city:` say which is meant).
    pub locations: Vec<String>,
    /// Vendors or categories that fit the product ("Salesforce", "crm").
    pub tech_fit: Vec<String>,
    /// Competitor vendors ("Epicor"): a company running one is a
    /// displacement target.
    pub competitors: Vec<String>,
    pub pain_points: Vec<String>,
    pub target_market: String,
    /// Extra words for search queries and, when `industries` is empty, for
    /// the industry match.
    pub keywords: Vec<String>,
    pub weights: IcpWeights,
}

/// How much each factor weighs in the fit score. A factor the profile
/// gives no criteria for is left out of the total, whatever its weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcpWeights {
    pub industry: f64,
    pub size: f64,
    pub location: f64,
    pub tech: f64,
    pub competitor: f64,
    pub signals: f64,
}

impl Default for IcpWeights {
    fn default() -> Self {
        Self {
            industry: 25.0,
            size: 20.0,
            location: 15.0,
            tech: 10.0,
            competitor: 20.0,
            signals: 10.0,
        }
    }
}

impl IcpWeights {
    fn all(&self) -> [(&'static str, f64); 6] {
        [
            ("industry", self.industry),
            ("size", self.size),
            ("location", self.location),
            ("tech", self.tech),
            ("competitor", self.competitor),
            ("signals", self.signals),
        ]
    }
}

/// Where profiles live: `<config dir>/profiles`.
pub fn profiles_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("profiles")
}

/// The file of profile `name` (checked first).
pub fn profile_path(config_dir: &Path, name: &str) -> Result<PathBuf> {
    validate_name(name)?;
    Ok(profiles_dir(config_dir).join(format!("{name}.toml")))
}

/// A profile name is a file name: letters, digits, `-` and `_`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("a profile name must not be empty");
    }
    if name.chars().count() > 64 {
        bail!("profile name {name:?} is longer than 64 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        bail!(
            "profile name {name:?} has {c:?}: use letters, digits, '-' and '_' only \
             (the name is the file name)"
        );
    }
    Ok(())
}

/// Names of the saved profiles, sorted; none when the directory is missing.
pub fn list_profiles(config_dir: &Path) -> Result<Vec<String>> {
    let dir = profiles_dir(config_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && validate_name(stem).is_ok()
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// The starter profile `nam icp new` writes: every field, commented.
const TEMPLATE: &str = include_str!("../../assets/icp_profile.toml");

impl IcpProfile {
    /// A commented starter profile named `name`, as TOML text.
    pub fn template(name: &str) -> String {
        TEMPLATE.replace("{name}", name)
    }

    /// Profile `name` from the config directory.
    pub fn load(config_dir: &Path, name: &str) -> Result<Self> {
        let path = profile_path(config_dir, name)?;
        if !path.exists() {
            bail!(
                "no ICP profile {name:?} ({} does not exist; `nam icp new {name}` writes one)",
                path.display()
            );
        }
        Self::load_file(&path)
    }

    /// A profile file; problems name the file, line and column.
    pub fn load_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading ICP profile {}", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        Self::parse_named(&text, stem).map_err(|(span, message)| {
            let (line, column) = span.map(|s| line_col(&text, s)).unzip();
            anyhow::Error::new(ConfigProblem {
                path: path.to_path_buf(),
                line,
                column,
                message,
            })
            .context("invalid ICP profile")
        })
    }

    /// Parses profile text; `name` is used when the text has none. The
    /// error carries the byte offset it is at, when it has one.
    fn parse_named(text: &str, name: &str) -> std::result::Result<Self, (Option<usize>, String)> {
        let mut profile: IcpProfile = toml::from_str(text).map_err(|e| {
            let mut message = e.message().trim().replace('\n', "; ");
            if let Some(quoted) = e.span().and_then(|s| quote_line(text, s.start)) {
                message.push_str(&format!(" (in `{quoted}`)"));
            }
            (e.span().map(|s| s.start), message)
        })?;
        if profile.name.trim().is_empty() {
            profile.name = name.to_string();
        }
        profile.check().map_err(|e| {
            // Point at the key the problem is about, when it is written.
            let doc = toml::de::DeTable::parse(text).ok();
            let at = doc
                .as_ref()
                .and_then(|d| key_span(d.get_ref(), &e.key))
                .map(|s| s.start);
            (at, e.message)
        })?;
        Ok(profile)
    }

    /// Parses profile text (for tests and the TUI's editor).
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_named(text, "").map_err(|(at, message)| match at {
            Some(at) => {
                let (l, c) = line_col(text, at);
                anyhow::anyhow!("line {l}, column {c}: {message}")
            }
            None => anyhow::anyhow!("{message}"),
        })
    }

    fn check(&self) -> std::result::Result<(), CheckError> {
        let fail = |key: &[&'static str], message: String| {
            Err(CheckError {
                key: key.to_vec(),
                message,
            })
        };
        if let Err(e) = validate_name(&self.name) {
            return fail(&["name"], e.to_string());
        }
        if let (Some(lo), Some(hi)) = (self.employees_min, self.employees_max)
            && lo > hi
        {
            return fail(
                &["employees_min"],
                format!("employees_min ({lo}) is above employees_max ({hi})"),
            );
        }
        for (factor, w) in self.weights.all() {
            if !(w.is_finite() && w >= 0.0) {
                return fail(
                    &["weights", factor],
                    format!("weights.{factor} must be a number of 0 or more, got {w}"),
                );
            }
        }
        if self.weights.all().iter().all(|(_, w)| *w == 0.0) {
            return fail(
                &["weights"],
                "every weight is 0: nothing would be scored".into(),
            );
        }
        if let Some(code) = self
            .naics
            .iter()
            .find(|c| c.is_empty() || !c.chars().all(|c| c.is_ascii_digit()))
        {
            return fail(
                &["naics"],
                format!("naics prefix {code:?} is not digits (e.g. \"3323\")"),
            );
        }
        Ok(())
    }

    /// Writes the profile to `profiles/<name>.toml` (a temporary file
    /// renamed over the old one, so a crash never leaves half a profile).
    pub fn save(&self, config_dir: &Path) -> Result<PathBuf> {
        self.check().map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let path = profile_path(config_dir, &self.name)?;
        let dir = profiles_dir(config_dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let text = toml::to_string_pretty(self).context("writing the profile as TOML")?;
        let tmp = dir.join(format!(".{}.toml.tmp", self.name));
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| {
            let _ = std::fs::remove_file(&tmp);
            format!("replacing {}", path.display())
        })?;
        Ok(path)
    }

    /// Factor weights as (factor, weight), in reason order.
    pub fn weights(&self) -> [(&'static str, f64); 6] {
        self.weights.all()
    }
}

struct CheckError {
    /// The key path to point at.
    key: Vec<&'static str>,
    message: String,
}

/// Web-search queries for finding companies like the ideal customer:
/// industries × keywords (or the product) × locations, the user's own
/// terms first (each with every location). Deduplicated ignoring case,
/// deterministic, at most `max`, spread so the first queries cover
/// different industries and places before repeating one.
pub fn search_queries(profile: &IcpProfile, extra_terms: &[String], max: usize) -> Vec<String> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let or_blank = |v: Vec<String>| if v.is_empty() { vec![String::new()] } else { v };
    let industries = or_blank(clean(&profile.industries));
    let mut what = clean(&profile.keywords);
    if what.is_empty() {
        what = clean(std::slice::from_ref(&profile.target_market));
    }
    let what = or_blank(if what.is_empty() {
        vec!["manufacturers".to_string()]
    } else {
        what
    });
    let places = or_blank(
        profile
            .locations
            .iter()
            .map(|l| place_name(l))
            .filter(|l| !l.is_empty())
            .collect(),
    );

    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |parts: &[&str]| {
        let q = parts
            .iter()
            .flat_map(|p| p.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ");
        if !q.is_empty() && seen.insert(q.to_lowercase()) {
            out.push(q);
        }
    };
    for term in clean(extra_terms) {
        for place in &places {
            push(&[&term, place]);
        }
    }
    // Combinations by the sum of their indexes: (0,0,0), then every
    // combination one step away, and so on.
    let mut combos = Vec::new();
    for (i, ind) in industries.iter().enumerate() {
        for (j, w) in what.iter().enumerate() {
            for (k, place) in places.iter().enumerate() {
                combos.push((i + j + k, i, j, k, [ind, w, place]));
            }
        }
    }
    combos.sort_by_key(|c| (c.0, c.1, c.2, c.3));
    for (.., parts) in combos {
        push(&[parts[0], parts[1], parts[2]]);
    }
    out.truncate(max);
    out
}

/// A location as a search engine reads it: state and province codes as
/// their names ("OH" -> "Ohio"), prefixes (`state:`) dropped.
fn place_name(location: &str) -> String {
    let l = location.trim();
    let (kind, value) = match l.split_once(':') {
        Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
        None => (String::new(), l),
    };
    let upper = value.to_ascii_uppercase();
    if kind != "city" && value.len() == 2 {
        if kind != "state" {
            match upper.as_str() {
                "US" => return "USA".into(),
                "CA" => return "Canada".into(),
                _ => {}
            }
        }
        if let Some((_, name)) = REGIONS.iter().find(|(code, _)| *code == upper) {
            return (*name).to_string();
        }
    }
    value.to_string()
}

/// US states and Canadian provinces by postal code.
pub(crate) const REGIONS: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn profile() -> IcpProfile {
        IcpProfile {
            name: "aero".into(),
            industries: vec!["aerospace".into(), "defense".into()],
            keywords: vec!["machining".into(), "forging".into()],
            locations: vec!["OH".into(), "state:CA".into(), "Toronto".into()],
            ..Default::default()
        }
    }

    #[test]
    fn names_are_file_names() {
        for ok in ["aero", "Aero-2_b"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "a b", "../x", "a.toml", "é"] {
            let err = validate_name(bad).unwrap_err().to_string();
            assert!(err.contains("profile name"), "{err}");
        }
    }

    #[test]
    fn the_template_parses_and_round_trips_through_save() {
        let dir = tempfile::tempdir().unwrap();
        let text = IcpProfile::template("starter");
        let p = IcpProfile::parse(&text).unwrap();
        assert_eq!(p.name, "starter");
        assert!(!p.industries.is_empty() && p.employees_min.is_some());
        let path = p.save(dir.path()).unwrap();
        assert_eq!(path, dir.path().join("profiles/starter.toml"));
        assert_eq!(IcpProfile::load(dir.path(), "starter").unwrap(), p);
        assert_eq!(list_profiles(dir.path()).unwrap(), vec!["starter"]);
        // No temporary file is left behind.
        assert_eq!(
            std::fs::read_dir(profiles_dir(dir.path())).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_profile_without_a_name_takes_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(profiles_dir(dir.path())).unwrap();
        let path = profiles_dir(dir.path()).join("gears.toml");
        std::fs::write(&path, "industries = [\"gears\"]\n").unwrap();
        let p = IcpProfile::load(dir.path(), "gears").unwrap();
        assert_eq!(
            (p.name.as_str(), p.weights),
            ("gears", IcpWeights::default())
        );
        let total: f64 = p.weights().iter().map(|(_, w)| w).sum();
        assert_eq!(total, 100.0);
    }

    #[test]
    fn bad_files_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "description = \"x\"\nindustries = [\"a\",\n").unwrap();
        let msg = format!("{:#}", IcpProfile::load_file(&path).unwrap_err());
        assert!(msg.contains(&format!("{}:2:", path.display())), "{msg}");

        std::fs::write(&path, "description = \"x\"\nindustry = [\"a\"]\n").unwrap();
        let msg = format!("{:#}", IcpProfile::load_file(&path).unwrap_err());
        assert!(msg.contains(&format!("{}:2:1:", path.display())), "{msg}");
        assert!(msg.contains("industry"), "{msg}");

        std::fs::write(&path, "# sizes\nemployees_min = 500\nemployees_max = 50\n").unwrap();
        let msg = format!("{:#}", IcpProfile::load_file(&path).unwrap_err());
        assert!(msg.contains(&format!("{}:2:1:", path.display())), "{msg}");
        assert!(msg.contains("employees_max"), "{msg}");

        std::fs::write(&path, "[weights]\nindustry = -1\n").unwrap();
        let msg = format!("{:#}", IcpProfile::load_file(&path).unwrap_err());
        assert!(
            msg.contains(":2:1:") && msg.contains("weights.industry"),
            "{msg}"
        );

        let missing = IcpProfile::load(dir.path(), "nope")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.toml") && missing.contains("nam icp new"));
        assert!(IcpProfile::load(dir.path(), "../etc").is_err());
    }

    #[test]
    fn queries_cross_industries_words_and_places() {
        let q = search_queries(&profile(), &[], 100);
        assert_eq!(q.len(), 2 * 2 * 3);
        assert_eq!(q[0], "aerospace machining Ohio");
        // The next ones change one thing each.
        assert!(q[1..4].contains(&"aerospace machining California".to_string()));
        assert!(q[1..4].contains(&"defense machining Ohio".to_string()));
        assert!(q[1..4].contains(&"aerospace forging Ohio".to_string()));
        assert!(q.contains(&"defense forging Toronto".to_string()));
        // Deterministic, and capped.
        assert_eq!(search_queries(&profile(), &[], 100), q);
        assert_eq!(search_queries(&profile(), &[], 5), q[..5].to_vec());
    }

    #[test]
    fn user_terms_come_first_and_duplicates_go() {
        let extra = vec![
            "  titanium   machining ".to_string(),
            "TITANIUM machining".into(),
        ];
        let q = search_queries(&profile(), &extra, 4);
        assert_eq!(
            q,
            vec![
                "titanium machining Ohio",
                "titanium machining California",
                "titanium machining Toronto",
                "aerospace machining Ohio",
            ]
        );
        // A bare profile still yields one query per place, never an empty one.
        let bare = IcpProfile {
            locations: vec!["CA".into()],
            ..Default::default()
        };
        assert_eq!(search_queries(&bare, &[], 10), vec!["manufacturers Canada"]);
        assert!(search_queries(&IcpProfile::default(), &[], 0).is_empty());
    }
}
