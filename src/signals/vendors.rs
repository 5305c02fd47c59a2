//! The vendor table (`assets/vendors.toml`, or `vendors.toml` in the config
//! directory): vendor names, product names and markup fingerprints, compiled
//! into one Aho-Corasick automaton for running text.

use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use anyhow::{Context, Result, bail};
use serde::Deserialize;

const SHIPPED: &str = include_str!("../../assets/vendors.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    vendor: Vec<VendorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorSpec {
    name: String,
    category: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    ambiguous: bool,
    #[serde(default)]
    product: Vec<ProductSpec>,
    #[serde(default)]
    fingerprint: Vec<FingerprintSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductSpec {
    name: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerprintSpec {
    #[serde(rename = "in")]
    place: Place,
    pattern: String,
    #[serde(default)]
    product: Option<String>,
}

/// Where a fingerprint is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// Link targets: `a href`, `form action`, `iframe src`, `link href`.
    Url,
    /// `script src` and inline script text.
    Script,
    /// A response header (`name: value`, matched on the whole line).
    Header,
    /// A cookie set by the site (matched on the cookie's name).
    Cookie,
    /// `<meta>` content (generator and friends).
    Meta,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Url => "url",
            Place::Script => "script",
            Place::Header => "header",
            Place::Cookie => "cookie",
            Place::Meta => "meta",
        }
    }
}

/// What a match names: a vendor, maybe one of its products, and the
/// category that product is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub vendor: String,
    pub product: Option<String>,
    pub category: String,
}

/// One name in running text.
#[derive(Debug, Clone)]
pub struct Alias {
    pub named: Named,
    /// The bare vendor name of an ambiguous vendor ("Sage", "Plex").
    pub ambiguous: bool,
}

/// One markup fingerprint (pattern lowercased).
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub place: Place,
    pub pattern: String,
    pub named: Named,
}

/// The compiled table.
pub struct VendorTable {
    aliases: Vec<Alias>,
    automaton: AhoCorasick,
    pub fingerprints: Vec<Fingerprint>,
    /// Every product alias, for telling "Sage 100" from "Sage Whitfield".
    product_words: Vec<String>,
}

impl std::fmt::Debug for VendorTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorTable")
            .field("aliases", &self.aliases.len())
            .field("fingerprints", &self.fingerprints.len())
            .finish()
    }
}

impl VendorTable {
    /// The table shipped in the binary.
    pub fn builtin() -> Result<VendorTable> {
        Self::parse(SHIPPED).context("assets/vendors.toml")
    }

    /// `vendors.toml` in `config_dir` when there is one, else the shipped
    /// table. A broken file is an error naming it, never a silent fallback.
    pub fn load(config_dir: Option<&Path>) -> Result<VendorTable> {
        if let Some(dir) = config_dir {
            let path = dir.join("vendors.toml");
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                return Self::parse(&text).with_context(|| format!("in {}", path.display()));
            }
        }
        Self::builtin()
    }

    pub fn parse(text: &str) -> Result<VendorTable> {
        let file: File = toml::from_str(text)?;
        let mut aliases = Vec::new();
        let mut patterns = Vec::new();
        let mut fingerprints = Vec::new();
        let mut product_words = Vec::new();
        for v in &file.vendor {
            if v.name.trim().is_empty() {
                bail!("a vendor has an empty name");
            }
            let named = |product: Option<&ProductSpec>| Named {
                vendor: v.name.clone(),
                product: product.map(|p| p.name.clone()),
                category: product
                    .and_then(|p| p.category.clone())
                    .unwrap_or_else(|| v.category.clone()),
            };
            for a in &v.aliases {
                patterns.push(a.clone());
                aliases.push(Alias {
                    named: named(None),
                    ambiguous: v.ambiguous,
                });
            }
            for p in &v.product {
                for a in &p.aliases {
                    patterns.push(a.clone());
                    product_words.push(a.clone());
                    aliases.push(Alias {
                        named: named(Some(p)),
                        ambiguous: false,
                    });
                }
            }
            for f in &v.fingerprint {
                if f.pattern.trim().is_empty() {
                    bail!("vendor {}: a fingerprint has an empty pattern", v.name);
                }
                let product = match &f.product {
                    Some(name) => Some(v.product.iter().find(|p| &p.name == name).with_context(
                        || {
                            format!(
                                "vendor {}: fingerprint names unknown product {name:?}",
                                v.name
                            )
                        },
                    )?),
                    None => None,
                };
                fingerprints.push(Fingerprint {
                    place: f.place,
                    pattern: f.pattern.to_lowercase(),
                    named: named(product),
                });
            }
        }
        if let Some(empty) = patterns.iter().position(|p| p.trim().is_empty()) {
            bail!("vendor {}: an alias is empty", aliases[empty].named.vendor);
        }
        // Leftmost-longest: "Microsoft Dynamics 365 Sales" wins over
        // "Microsoft Dynamics 365" at the same position.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .context("compiling vendor names")?;
        Ok(VendorTable {
            aliases,
            automaton,
            fingerprints,
            product_words,
        })
    }

    /// Vendor names in `text` as (start, end, alias), whole words only.
    pub fn find_names<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = (usize, usize, &'a Alias)> {
        self.automaton
            .find_iter(text)
            .filter(move |m| whole_word(text, m.start(), m.end()))
            .map(move |m| (m.start(), m.end(), &self.aliases[m.pattern().as_usize()]))
    }

    /// Whether `text` starts with a product alias (after a bare ambiguous
    /// vendor name: "Sage| 100").
    pub fn is_product_at(&self, text: &str, start: usize) -> bool {
        self.product_words
            .iter()
            .any(|p| text.get(start..).is_some_and(|t| t.starts_with(p.as_str())))
    }

    /// The vendors, once each, in table order.
    pub fn vendor_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for a in &self.aliases {
            if !out.contains(&a.named.vendor.as_str()) {
                out.push(&a.named.vendor);
            }
        }
        for f in &self.fingerprints {
            if !out.contains(&f.named.vendor.as_str()) {
                out.push(&f.named.vendor);
            }
        }
        out
    }
}

/// No letter or digit touches the match on either side ("Plex" is not in
/// "Plexiglas" or "complex").
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let joins = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !joins(before) && !joins(after)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_covers_the_required_vendors() {
        let t = VendorTable::builtin().unwrap();
        let names = t.vendor_names();
        for v in [
            "SAP",
            "Oracle",
            "Epicor",
            "Infor",
            "Microsoft",
            "SYSPRO",
            "Plex",
            "QAD",
            "IQMS",
            "Acumatica",
            "JobBOSS",
            "E2 Shoptech",
            "Global Shop Solutions",
            "Salesforce",
            "HubSpot",
            "Marketo",
            "Zoho",
        ] {
            assert!(names.contains(&v), "{v} missing from {names:?}");
        }
    }

    #[test]
    fn longest_name_wins_and_words_stay_whole() {
        let t = VendorTable::builtin().unwrap();
        let text =
            "Quotes live in Microsoft Dynamics 365 Sales; complex Plexiglas parts; Plex runs MES.";
        let found: Vec<(String, Option<String>, String)> = t
            .find_names(text)
            .map(|(_, _, a)| {
                (
                    a.named.vendor.clone(),
                    a.named.product.clone(),
                    a.named.category.clone(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "Microsoft".into(),
                    Some("Dynamics 365 Sales".into()),
                    "crm".into()
                ),
                ("Plex".into(), None, "erp".into()),
            ]
        );
        assert!(t.find_names("tree sap and an oracle").next().is_none());
    }

    #[test]
    fn broken_tables_say_what_is_wrong() {
        let err = VendorTable::parse("[[vendor]]\nname = \"X\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("category"), "{err:#}");
        let err = VendorTable::parse(
            "[[vendor]]\nname = \"X\"\ncategory = \"erp\"\nfingerprint = [{ in = \"url\", pattern = \"x.com\", product = \"Nope\" }]\n",
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown product \"Nope\""),
            "{err:#}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("vendors.toml"), "vendor = 3").unwrap();
        let err = VendorTable::load(Some(dir.path())).unwrap_err();
        assert!(format!("{err:#}").contains("vendors.toml"), "{err:#}");
        assert!(VendorTable::load(None).is_ok());
    }
}
