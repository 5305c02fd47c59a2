//! Leads: which contacts are worth a call. A title is matched against the
//! target titles of `assets/target_titles.toml` for a buyer persona and a
//! lead-score adjustment, always with the rule that produced them; a name
//! is read from an email address where the address spells one.

use std::path::Path;

use anyhow::{Context, Result};
use regex::Regex;
use serde::Deserialize;

/// The built-in target titles.
const BUILTIN: &str = include_str!("../../assets/target_titles.toml");

#[derive(Deserialize)]
struct TitlesFile {
    title: Vec<TitleSpec>,
}

#[derive(Deserialize)]
struct TitleSpec {
    name: String,
    persona: String,
    score: i32,
    patterns: Vec<String>,
}

/// One target title, compiled.
#[derive(Debug)]
pub struct TargetTitle {
    pub name: String,
    /// Technical, Executive, Financial or Operations.
    pub persona: String,
    pub score: i32,
    patterns: Vec<Regex>,
}

/// What a title says about a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRule {
    /// The target title matched, if any.
    pub target: Option<String>,
    pub persona: Option<String>,
    pub adjustment: i32,
    /// Human-readable: which rule gave the adjustment.
    pub rule: String,
}

/// The target titles in priority order.
#[derive(Debug)]
pub struct TitleTable {
    titles: Vec<TargetTitle>,
}

/// Words of titles that are not leads for an ERP/CRM sale: a small
/// penalty, said as such.
const JUNIOR: &[&str] = &[
    "assistant",
    "intern",
    "coordinator",
    "clerk",
    "receptionist",
];

impl TitleTable {
    /// The shipped table.
    pub fn builtin() -> Result<Self> {
        Self::parse(BUILTIN, "the built-in target titles")
    }

    /// `target_titles.toml` in `config_dir` when there is one, else the
    /// shipped table.
    pub fn load(config_dir: Option<&Path>) -> Result<Self> {
        if let Some(path) = config_dir.map(|d| d.join("target_titles.toml"))
            && path.exists()
        {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            return Self::parse(&text, &path.display().to_string());
        }
        Self::builtin()
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let file: TitlesFile =
            toml::from_str(text).with_context(|| format!("{origin}: not a valid titles file"))?;
        let mut titles = Vec::with_capacity(file.title.len());
        for t in file.title {
            let patterns = t
                .patterns
                .iter()
                .map(|p| {
                    Regex::new(p)
                        .with_context(|| format!("{origin}: title {:?}: pattern {p:?}", t.name))
                })
                .collect::<Result<Vec<_>>>()?;
            titles.push(TargetTitle {
                name: t.name,
                persona: t.persona,
                score: t.score,
                patterns,
            });
        }
        Ok(Self { titles })
    }

    pub fn len(&self) -> usize {
        self.titles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
    }

    /// The target title `title` matches, first in table order.
    pub fn target(&self, title: &str) -> Option<&TargetTitle> {
        let norm = normalize_title(title);
        self.titles
            .iter()
            .find(|t| t.patterns.iter().any(|p| p.is_match(&norm)))
    }

    /// Persona, adjustment and the rule behind them.
    pub fn rule_for(&self, title: Option<&str>) -> LeadRule {
        let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
            return LeadRule {
                target: None,
                persona: None,
                adjustment: 0,
                rule: "no title: no adjustment".into(),
            };
        };
        if let Some(t) = self.target(title) {
            return LeadRule {
                target: Some(t.name.clone()),
                persona: Some(t.persona.clone()),
                adjustment: t.score,
                rule: format!(
                    "title {title:?} matches target {} ({}): {:+}",
                    t.name, t.persona, t.score
                ),
            };
        }
        let norm = normalize_title(title);
        if let Some(w) = JUNIOR.iter().find(|w| norm.split(' ').any(|x| x == **w)) {
            return LeadRule {
                target: None,
                persona: None,
                adjustment: -5,
                rule: format!("title {title:?} is a junior role ({w}): -5"),
            };
        }
        LeadRule {
            target: None,
            persona: None,
            adjustment: 0,
            rule: format!("title {title:?} is not a target title: no adjustment"),
        }
    }
}

/// Lower case, "&" as "and", "vice president" as "vp", punctuation and
/// filler words gone: "Vice President, IT & Operations" -> "vp it and
/// operations".
pub fn normalize_title(title: &str) -> String {
    let lower = title
        .to_lowercase()
        .replace('&', " and ")
        .replace("v.p.", "vp")
        .replace("vice-president", "vp")
        .replace("vice president", "vp")
        .replace("sr.", "senior");
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty() && !matches!(*w, "of" | "the" | "for"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Local parts that belong to a function, not a person.
const ROLE_ADDRESSES: &[&str] = &[
    "info",
    "sales",
    "admin",
    "office",
    "contact",
    "contactus",
    "hr",
    "jobs",
    "careers",
    "support",
    "service",
    "quotes",
    "quote",
    "rfq",
    "accounting",
    "accounts",
    "ap",
    "ar",
    "billing",
    "purchasing",
    "marketing",
    "webmaster",
    "web",
    "orders",
    "order",
    "help",
    "hello",
    "team",
    "general",
    "inquiries",
    "enquiries",
    "noreply",
    "no-reply",
    "mail",
    "email",
    "engineering",
    "quality",
    "shipping",
    "receiving",
    "press",
    "media",
    "privacy",
    "legal",
    "reception",
    "customerservice",
    "estimating",
    "employment",
    "recruiting",
    "it",
    "tech",
    "operations",
];

/// Whether an address belongs to a function (`sales@`) rather than a person.
pub fn is_role_address(email: &str) -> bool {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    ROLE_ADDRESSES.contains(&local.as_str())
}

/// First and last name spelled by an address (`jane.doe@`, `jane_doe@`,
/// `jane-doe@`); `None` for role addresses and local parts that do not
/// split into two names (`jdoe@` could be anyone).
pub fn name_from_email(email: &str) -> Option<(String, String)> {
    if is_role_address(email) {
        return None;
    }
    let local = email.split('@').next()?.split('+').next()?;
    let parts: Vec<&str> = local.split(['.', '_', '-']).collect();
    if parts.len() != 2 {
        return None;
    }
    let ok = |p: &str| p.len() >= 2 && p.chars().all(|c| c.is_ascii_alphabetic());
    if !parts.iter().all(|p| ok(p)) {
        return None;
    }
    if ROLE_ADDRESSES.contains(&parts[0].to_lowercase().as_str()) {
        return None;
    }
    Some((capitalize(parts[0]), capitalize(parts[1])))
}

fn capitalize(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_target_titles_with_personas() {
        let t = TitleTable::builtin().unwrap();
        assert_eq!(t.len(), 17);
        let cases = [
            ("Chief Information Officer", "CIO", "Technical"),
            ("Vice President, IT", "VP IT", "Technical"),
            (
                "Director of Information Technology",
                "IT Director",
                "Technical",
            ),
            ("IT Manager", "IT Manager", "Technical"),
            ("President & CEO", "CEO", "Executive"),
            ("Owner", "Owner", "Executive"),
            ("Chief Financial Officer", "CFO", "Financial"),
            ("Controller", "Controller", "Financial"),
            ("Vice President, Operations", "VP Operations", "Operations"),
            ("Plant Manager", "Plant Manager", "Operations"),
            ("VP, Manufacturing", "VP Manufacturing", "Operations"),
        ];
        for (title, target, persona) in cases {
            let r = t.rule_for(Some(title));
            assert_eq!(r.target.as_deref(), Some(target), "{title}");
            assert_eq!(r.persona.as_deref(), Some(persona), "{title}");
            assert!(r.adjustment > 0 && r.rule.contains(target), "{r:?}");
        }
        for title in [
            "VP of Sales",
            "Quality Manager",
            "Purchasing Manager",
            "Director of Engineering",
        ] {
            let r = t.rule_for(Some(title));
            assert_eq!((r.target, r.adjustment), (None, 0), "{title}");
        }
        assert_eq!(t.rule_for(Some("Sales Assistant")).adjustment, -5);
        assert!(t.rule_for(None).rule.contains("no title"));
    }

    #[test]
    fn names_from_addresses() {
        assert_eq!(
            name_from_email("jane.doe@acme.com"),
            Some(("Jane".into(), "Doe".into()))
        );
        assert_eq!(
            name_from_email("MARK_O@acme.com"),
            Some(("Mark".into(), "O".into())).filter(|_| false)
        );
        assert_eq!(name_from_email("sales@acme.com"), None);
        assert_eq!(name_from_email("jdoe@acme.com"), None);
        assert_eq!(name_from_email("sales.team@acme.com"), None);
        assert_eq!(name_from_email("j2.doe@acme.com"), None);
    }

    #[test]
    fn a_bad_titles_file_names_the_title_and_pattern() {
        let err = TitleTable::parse(
            "[[title]]\nname = \"X\"\npersona = \"Technical\"\nscore = 1\npatterns = ['(']\n",
            "t.toml",
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("t.toml") && msg.contains("\"X\""), "{msg}");
    }
}
