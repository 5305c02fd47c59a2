//! The rule-based analysis: keyword tables from `assets/analysis.toml`
//! over the company's pages and what enrichment already found. It never
//! fails and never leaves the machine; its confidence says how much
//! evidence it saw.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Analysis, AnalysisInput, AnalysisMethod, valid_naics};
use crate::enrich::website::firmo::naics_for;
use crate::normalize::clean_text;

/// One business type and the words that point to it.
#[derive(Debug, Clone, Deserialize)]
pub struct BusinessType {
    pub name: String,
    #[serde(default = "one")]
    pub weight: f64,
    pub keywords: Vec<String>,
}

/// A value proposition and the phrases that state it.
#[derive(Debug, Clone, Deserialize)]
pub struct ValueProposition {
    pub label: String,
    pub phrases: Vec<String>,
}

/// A market a company may serve.
#[derive(Debug, Clone, Deserialize)]
pub struct Market {
    pub name: String,
    pub keywords: Vec<String>,
}

fn one() -> f64 {
    1.0
}

/// The tables of `assets/analysis.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Tables {
    #[serde(default, rename = "business_type")]
    pub business_types: Vec<BusinessType>,
    #[serde(default, rename = "value_proposition")]
    pub value_propositions: Vec<ValueProposition>,
    #[serde(default, rename = "market")]
    pub markets: Vec<Market>,
}

/// The bundled tables (checked by the tests below).
pub static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    toml::from_str(include_str!("../../../assets/analysis.toml")).unwrap_or_default()
});

/// A keyword counts at most this often: a page that repeats one word in
/// every paragraph is one piece of evidence, not ten.
const MAX_MENTIONS: usize = 3;

/// Products kept, and the longest a product phrase may be.
const MAX_PRODUCTS: usize = 12;
const MAX_PRODUCT_CHARS: usize = 60;

/// "We manufacture X, Y and Z", "our products include ...", "supplier
/// of ...": the list after the verb, up to the end of the sentence.
static PRODUCT_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(
        r"(?i)\b(?:we\s+(?:design\s+and\s+)?(?:manufacture|make|produce|fabricate|distribute|stock)|(?:our\s+)?products\s+include|(?:manufacturer|producer|supplier|distributor|fabricator)\s+of|speciali[sz](?:e|es|ing)\s+in)\s+([^.;:!?\n]{3,200})",
    )
    .expect("built-in pattern compiles")
});

/// Words a product list trails off into.
const NOT_PRODUCTS: &[&str] = &["more", "much more", "other", "others", "etc", "many more"];

/// Whole-word mentions of `word` in `hay` (both lower case), a trailing
/// "s" allowed, counted up to [`MAX_MENTIONS`].
pub fn mentions(hay: &str, word: &str) -> usize {
    if word.is_empty() {
        return 0;
    }
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut count = 0;
    let mut from = 0;
    while count < MAX_MENTIONS {
        let Some(at) = hay[from..].find(word) else {
            break;
        };
        let start = from + at;
        let end = start + word.len();
        let after = hay[end..].chars().next();
        if edge(hay[..start].chars().next_back()) && (edge(after) || after == Some('s')) {
            count += 1;
        }
        from = end;
    }
    count
}

/// The business type the text names most, with its evidence score (the
/// weighted mentions); `None` when no keyword is there.
pub fn business_type(tables: &Tables, text: &str) -> Option<(String, f64)> {
    let mut best: Option<(&str, f64)> = None;
    for t in &tables.business_types {
        let hits: usize = t.keywords.iter().map(|k| mentions(text, k)).sum();
        let score = hits as f64 * t.weight;
        if score > 0.0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((&t.name, score));
        }
    }
    best.map(|(n, s)| (n.to_string(), s))
}

/// The value propositions stated, in table order.
pub fn value_propositions(tables: &Tables, text: &str) -> Vec<String> {
    tables
        .value_propositions
        .iter()
        .filter(|v| v.phrases.iter().any(|p| mentions(text, p) > 0))
        .map(|v| v.label.clone())
        .collect()
}

/// The markets named, most mentioned first (table order among equals).
pub fn markets(tables: &Tables, text: &str) -> Vec<String> {
    let mut found: Vec<(usize, usize, &str)> = tables
        .markets
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                m.keywords.iter().map(|k| mentions(text, k)).sum(),
                i,
                &*m.name,
            )
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    found.sort_by_key(|(n, i, _)| (std::cmp::Reverse(*n), *i));
    found.into_iter().map(|(_, _, m)| m.to_string()).collect()
}

/// Where a product list turns into something else: "brackets and washers
/// for OEMs", "bolts in our warehouse".
const LIST_ENDS: &[&str] = &[
    " for ", " in ", " with ", " from ", " at ", " to ", " since ", " that ", " which ", " by ",
];

/// Leading words that are not part of a product's name.
const LEADING: &[&str] = &["and ", "or ", "a ", "an ", "the ", "all ", "our "];

/// Products named in sentences like "we manufacture X, Y and Z".
pub fn product_phrases(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in PRODUCT_PHRASE.captures_iter(text) {
        let list = &c[1];
        // ASCII lower case keeps byte offsets, so the cut applies to `list`.
        let lower = list.to_ascii_lowercase();
        let end = LIST_ENDS
            .iter()
            .filter_map(|w| lower.find(w))
            .min()
            .unwrap_or(list.len());
        for item in list[..end].split([',', ';']).flat_map(|p| p.split(" and ")) {
            let mut item = clean_text(item);
            while let Some(a) = LEADING
                .iter()
                .find(|a| item.to_ascii_lowercase().starts_with(**a))
            {
                item = item[a.len()..].trim().to_string();
            }
            let lower = item.to_lowercase();
            if item.chars().count() < 3
                || item.chars().count() > MAX_PRODUCT_CHARS
                || NOT_PRODUCTS.contains(&lower.as_str())
                || out.iter().any(|o| o.to_lowercase() == lower)
            {
                continue;
            }
            out.push(item);
            if out.len() >= MAX_PRODUCTS {
                return out;
            }
        }
    }
    out
}

/// The whole of what is known, as one lower-case text.
fn corpus(input: &AnalysisInput) -> String {
    let mut text = String::new();
    for part in input
        .description
        .iter()
        .chain(&input.products)
        .chain(&input.industries)
    {
        text.push_str(part);
        text.push('\n');
    }
    text.push_str(&input.page_text);
    text.to_lowercase()
}

/// The rule-based analysis of `input` with the bundled tables.
pub fn analyse(input: &AnalysisInput) -> Analysis {
    analyse_with(&TABLES, input)
}

/// [`analyse`] with given tables.
pub fn analyse_with(tables: &Tables, input: &AnalysisInput) -> Analysis {
    let text = corpus(input);
    let kind = business_type(tables, &text);
    let listed = input.naics.as_deref().and_then(valid_naics);
    let naics = listed.clone().or_else(|| {
        let mut words = input.products.clone();
        words.extend(input.industries.iter().cloned());
        naics_for(&text, &words).map(|(code, _)| code.code.clone())
    });
    let listed_products: Vec<String> = input
        .products
        .iter()
        .map(|p| clean_text(p))
        .filter(|p| !p.is_empty())
        .take(MAX_PRODUCTS)
        .collect();
    let products = if listed_products.is_empty() {
        let mut found = product_phrases(&input.page_text);
        if found.is_empty()
            && let Some(d) = &input.description
        {
            found = product_phrases(d);
        }
        found
    } else {
        listed_products.clone()
    };
    let values = value_propositions(tables, &text);
    let served: Vec<String> = input
        .industries
        .iter()
        .map(|i| clean_text(i))
        .filter(|i| !i.is_empty())
        .take(6)
        .collect();
    let target = if served.is_empty() {
        markets(tables, &text)
    } else {
        served.clone()
    };
    // Each kind of evidence adds its share; rules never claim certainty.
    let mut confidence = 0.0;
    if let Some((_, score)) = &kind {
        confidence += 0.35 * (score.min(4.0) / 4.0);
    }
    if naics.is_some() {
        confidence += if listed.is_some() { 0.2 } else { 0.15 };
    }
    if !products.is_empty() {
        confidence += if listed_products.is_empty() {
            0.1
        } else {
            0.15
        };
    }
    confidence += 0.05 * values.len().min(3) as f64;
    if !target.is_empty() {
        confidence += if served.is_empty() { 0.1 } else { 0.15 };
    }
    Analysis {
        method: AnalysisMethod::Rules,
        business_type: kind.map(|(k, _)| k),
        naics,
        products,
        value_propositions: values,
        target_market: (!target.is_empty()).then(|| target.join(", ")),
        confidence: (confidence.min(0.9) * 100.0).round() / 100.0,
        ..Analysis::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STAMPER: &str = "Buckeye Precision Stamping\n\
        Founded in 1962, Buckeye Precision Stamping is a family-owned metal stamping \
        manufacturer in Dayton, Ohio. We manufacture progressive die stampings, deep drawn \
        parts, brackets and washers for OEMs and Tier 1 suppliers.\n\
        Our in-house tool room designs and builds every die, and our engineering support team \
        offers design for manufacturability reviews before the first hit.\n\
        ISO 9001:2015 and IATF 16949 certified. 99.2% on-time delivery for ten years running.\n\
        Our stamping presses run from 60 to 600 tons; in-house tooling keeps changes fast.\n\
        Industries: automotive, appliance, agricultural equipment and HVAC.";

    const DISTRIBUTOR: &str = "Great Lakes Fastener Supply is an authorized distributor of \
        industrial fasteners. We stock bolts, nuts, anchors and threaded rod in our 80,000 \
        square foot warehouse, with same-day shipping on orders placed by 3 pm. \
        Vendor managed inventory and kanban bin programs for construction and energy customers. \
        Our line card includes more than 40 brands; as a master distributor we sell wholesale only.";

    const CONTRACT: &str = "Harbor EMS is a contract manufacturer for medical device and \
        aerospace OEMs. We build to print: PCB assembly, box builds and cable harnesses, from \
        prototypes to high-volume production. AS9100 and ISO 13485 certified, ITAR registered. \
        Contract manufacturing with quick turnaround and full engineering support.";

    fn input(text: &str) -> AnalysisInput {
        AnalysisInput {
            name: "Test Co".into(),
            page_text: text.into(),
            ..AnalysisInput::default()
        }
    }

    #[test]
    fn the_bundled_tables_load() {
        assert!(TABLES.business_types.len() >= 5);
        assert!(TABLES.value_propositions.len() >= 10);
        assert!(TABLES.markets.len() >= 8);
        assert!(TABLES.business_types.iter().all(|t| t.weight > 0.0));
    }

    #[test]
    fn mentions_are_whole_words_and_capped() {
        assert_eq!(mentions("metal stampings and stamping", "stamping"), 2);
        assert_eq!(mentions("restamping", "stamping"), 0);
        assert_eq!(mentions("api, api, api, api, api", "api"), MAX_MENTIONS);
        assert_eq!(mentions("rapid", "api"), 0);
    }

    #[test]
    fn a_stamper_is_a_manufacturer_with_its_promises() {
        let a = analyse(&input(STAMPER));
        assert_eq!(a.method, AnalysisMethod::Rules);
        assert_eq!(a.business_type.as_deref(), Some("manufacturer"));
        // The NAICS matcher of the website provider, over the page text.
        assert_eq!(a.naics.as_deref(), Some("332119"));
        for v in [
            "On-time delivery",
            "ISO 9001 certified",
            "IATF 16949 certified",
            "In-house tooling",
            "Engineering support",
            "Family owned",
        ] {
            assert!(a.value_propositions.iter().any(|x| x == v), "{v}: {a:?}");
        }
        assert!(
            !a.value_propositions.iter().any(|x| x == "AS9100 certified"),
            "{a:?}"
        );
        assert!(
            a.products.iter().any(|p| p == "progressive die stampings"),
            "{:?}",
            a.products
        );
        assert!(
            a.products.iter().any(|p| p == "washers"),
            "{:?}",
            a.products
        );
        let market = a.target_market.clone().unwrap();
        assert!(market.starts_with("Automotive"), "{market}");
        assert!(market.contains("Agriculture"), "{market}");
        assert!(
            a.confidence > 0.6 && a.confidence <= 0.9,
            "{}",
            a.confidence
        );
        assert!(a.prompt.is_none() && a.response.is_none() && a.fallback_reason.is_none());
    }

    #[test]
    fn a_distributor_is_told_from_a_manufacturer() {
        let a = analyse(&input(DISTRIBUTOR));
        assert_eq!(a.business_type.as_deref(), Some("distributor"));
        assert!(
            a.value_propositions
                .iter()
                .any(|v| v.starts_with("Inventory programs")),
            "{a:?}"
        );
        assert_eq!(
            a.products,
            vec![
                "industrial fasteners",
                "bolts",
                "nuts",
                "anchors",
                "threaded rod"
            ]
        );
        let market = a.target_market.unwrap();
        assert!(
            market.contains("Construction") && market.contains("Energy"),
            "{market}"
        );
    }

    #[test]
    fn contract_manufacturing_outweighs_its_manufacturing_words() {
        let a = analyse(&input(CONTRACT));
        assert_eq!(a.business_type.as_deref(), Some("contract manufacturer"));
        for v in [
            "AS9100 certified",
            "ISO 13485 certified",
            "ITAR registered",
            "Quick turnaround",
            "Engineering support",
        ] {
            assert!(a.value_propositions.iter().any(|x| x == v), "{v}: {a:?}");
        }
        assert!(a.target_market.unwrap().starts_with("Medical"));
    }

    #[test]
    fn what_enrichment_found_comes_first() {
        let a = analyse(&AnalysisInput {
            name: "Buckeye".into(),
            products: vec!["Progressive die stampings".into(), " ".into()],
            industries: vec!["Automotive".into(), "Appliance".into()],
            naics: Some("332119".into()),
            description: Some("A metal stamping manufacturer.".into()),
            ..AnalysisInput::default()
        });
        assert_eq!(a.products, vec!["Progressive die stampings"]);
        assert_eq!(a.target_market.as_deref(), Some("Automotive, Appliance"));
        assert_eq!(a.naics.as_deref(), Some("332119"));
        assert_eq!(a.business_type.as_deref(), Some("manufacturer"));
        // A listed code that is not a NAICS code is not reused.
        let b = analyse(&AnalysisInput {
            naics: Some("n/a".into()),
            ..input("We make widgets.")
        });
        assert_eq!(b.naics, None);
    }

    #[test]
    fn no_evidence_is_no_confidence() {
        let a = analyse(&input("Welcome to our website. Contact us today."));
        assert_eq!(a.business_type, None);
        assert_eq!(a.naics, None);
        assert!(a.products.is_empty() && a.value_propositions.is_empty());
        assert_eq!(a.target_market, None);
        assert_eq!(a.confidence, 0.0);
        // Some evidence, some confidence; more evidence, more.
        let thin = analyse(&input("We are a metal stamping manufacturer."));
        assert!(thin.confidence > 0.0, "{thin:?}");
        assert!(analyse(&input(STAMPER)).confidence > thin.confidence);
    }
}
