//! ICP fit and prospect scores: pure functions of a profile and what the
//! store knows about a company. Every factor gives a reason, including the
//! ones without data, so a score can always be explained.
//!
//! The fit is the share of the points available that a company earns:
//! `fit = 100 × Σ points / Σ max` over the six factors the profile gives
//! criteria for (a factor without criteria has `max = 0` and says so).
//! Per factor, `points = weight × level` with a level in 0..=1:
//!
//! | factor     | level |
//! |------------|-------|
//! | industry   | 1 an industry word among the industries served, or a NAICS prefix; 0.8 a word in the description, products or name (or NAICS title); 0.5 a keyword only; 0.2 no industry data; else 0 |
//! | size       | 1 headcount in range; a band's share inside the range; 0.25 size unknown; else 0 |
//! | location   | 1 city, state or country listed; 0.3 location unknown; else 0 |
//! | tech       | matched `tech_fit` entries / min(2, entries); 0.25 no technology known; else 0 |
//! | competitor | 1 runs a competitor (used or hired for); 0.25 runs another system of a competitor's category; 0.15 none seen |
//! | signals    | Σ per distinct (vendor, type): evaluating 0.6, hiring 0.3, partner or sponsor 0.1, mention 0.05; halved when unrelated to the profile's vendors and categories; capped at 1 |

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::IcpProfile;
use crate::enrich::website::firmo::NAICS;

/// The fit factors, in the order reasons are given.
pub const FACTORS: [&str; 6] = [
    "industry",
    "size",
    "location",
    "tech",
    "competitor",
    "signals",
];

/// What scoring reads about one company.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyFeatures {
    pub company_id: i64,
    pub name: String,
    pub naics: Option<String>,
    /// Industries served, as the company lists them.
    pub industries: Vec<String>,
    pub description: Option<String>,
    pub products: Vec<String>,
    pub employees: Option<i64>,
    /// A band such as `51-200` or `10000+`.
    pub employee_range: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    /// (vendor, category) of the technologies it runs.
    pub technologies: Vec<(String, String)>,
    /// (vendor, category, signal type) of its competitor signals.
    pub signals: Vec<(String, String, String)>,
    pub contacts: usize,
    pub contacts_with_email: usize,
    /// The best lead-score adjustment among its contacts.
    pub best_lead_adjustment: i64,
    /// The validation quality score, 0..100.
    pub quality_score: Option<f64>,
}

/// One factor's share of a score and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// One of [`FACTORS`], or `reach` (which scales fit into prospect and
    /// is not part of the fit).
    pub factor: String,
    pub points: f64,
    /// The factor's weight; 0 when the profile gives it no criteria.
    pub max: f64,
    pub detail: String,
}

/// A company's scores against one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcpScore {
    pub company_id: i64,
    /// 0..100: how well the company matches the profile.
    pub fit: f64,
    /// 0..100: fit scaled by how reachable the company is.
    pub prospect: f64,
    /// One per factor of [`FACTORS`], then `reach`.
    pub reasons: Vec<Reason>,
}

/// Level (0..=1) and detail of one factor, or `None` when the profile
/// has no criteria for it.
type Level = Option<(f64, String)>;

/// Scores company `f` against `profile`.
///
/// `prospect = fit × (0.5 + 0.5 × reach)`: an unreachable company keeps
/// half its fit. `reach` (0..=1) adds 0.3 × min(contacts, 3)/3, 0.3 ×
/// min(contacts with email, 2)/2, 0.25 × the best lead adjustment (0..=20)
/// / 20, and 0.15 × quality score / 100 (0.5 of that when unscored).
pub fn score(profile: &IcpProfile, f: &CompanyFeatures) -> IcpScore {
    let levels: [(&str, f64, Level, &str); 6] = [
        (
            "industry",
            profile.weights.industry,
            industry(profile, f),
            "profile names no industries, NAICS codes or keywords",
        ),
        (
            "size",
            profile.weights.size,
            size(profile, f),
            "profile sets no employee range",
        ),
        (
            "location",
            profile.weights.location,
            location(profile, f),
            "profile names no locations",
        ),
        (
            "tech",
            profile.weights.tech,
            tech(profile, f),
            "profile names no tech fit",
        ),
        (
            "competitor",
            profile.weights.competitor,
            competitor(profile, f),
            "profile names no competitors",
        ),
        (
            "signals",
            profile.weights.signals,
            Some(signals(profile, f)),
            "",
        ),
    ];
    let mut reasons = Vec::with_capacity(7);
    for (factor, weight, level, unscored) in levels {
        let reason = match level {
            Some((level, detail)) => Reason {
                factor: factor.to_string(),
                points: round1(weight * level.clamp(0.0, 1.0)),
                max: weight,
                detail,
            },
            None => Reason {
                factor: factor.to_string(),
                points: 0.0,
                max: 0.0,
                detail: format!("{unscored}: not scored"),
            },
        };
        reasons.push(reason);
    }
    let (points, max) = reasons
        .iter()
        .fold((0.0, 0.0), |(p, m), r| (p + r.points, m + r.max));
    let fit = if max > 0.0 {
        round1(100.0 * points / max)
    } else {
        0.0
    };
    let (reach, detail) = reach(f);
    let prospect = round1(fit * (0.5 + 0.5 * reach));
    reasons.push(Reason {
        factor: "reach".into(),
        points: round1(100.0 * reach),
        max: 100.0,
        detail: format!("{detail}: prospect = fit × {:.2}", 0.5 + 0.5 * reach),
    });
    IcpScore {
        company_id: f.company_id,
        fit,
        prospect,
        reasons,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Whether `needle` occurs in `hay` as whole words (a plural "s" allowed);
/// both lower case.
fn has_phrase(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(at) = hay[from..].find(needle) {
        let start = from + at;
        let end = start + needle.len();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let after = hay[end..].chars().next();
        if edge(hay[..start].chars().next_back()) && (edge(after) || after == Some('s')) {
            return true;
        }
        from = end;
    }
    false
}

fn lower_list(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn industry(p: &IcpProfile, f: &CompanyFeatures) -> Level {
    let words = lower_list(&p.industries);
    let keywords = lower_list(&p.keywords);
    let prefixes: Vec<&str> = p.naics.iter().map(|s| s.trim()).collect();
    if words.is_empty() && keywords.is_empty() && prefixes.is_empty() {
        return None;
    }
    // Without industry words, the keywords are the industry criteria.
    let (words, keywords) = if words.is_empty() && prefixes.is_empty() {
        (keywords, Vec::new())
    } else {
        (words, keywords)
    };
    let served = f.industries.join(" ; ").to_lowercase();
    let naics_title = f
        .naics
        .as_deref()
        .and_then(|code| NAICS.iter().find(|n| n.code == code))
        .map(|n| n.title.to_lowercase())
        .unwrap_or_default();
    let text = [
        f.description.clone().unwrap_or_default(),
        f.products.join(" ; "),
        f.name.clone(),
        naics_title,
    ]
    .join(" ; ")
    .to_lowercase();
    let mut best = (0.0, String::new());
    let mut consider = |level: f64, detail: String| {
        if level > best.0 {
            best = (level, detail);
        }
    };
    if let Some(w) = words.iter().find(|w| has_phrase(&served, w)) {
        consider(1.0, format!("serves {w} (industries served)"));
    }
    if let Some(code) = &f.naics
        && let Some(pre) = prefixes.iter().find(|p| code.starts_with(*p))
    {
        consider(1.0, format!("NAICS {code} is under {pre}"));
    }
    if let Some(w) = words.iter().find(|w| has_phrase(&text, w)) {
        consider(
            0.8,
            format!("{w} named in its description, products or name"),
        );
    }
    if let Some(k) = keywords.iter().find(|k| has_phrase(&text, k)) {
        consider(0.5, format!("keyword {k} in its description or products"));
    }
    if best.0 > 0.0 {
        return Some(best);
    }
    let no_data = f.industries.is_empty()
        && f.description.is_none()
        && f.products.is_empty()
        && f.naics.is_none();
    if no_data {
        return Some((0.2, "no industry data".into()));
    }
    let seen = if f.industries.is_empty() {
        f.naics
            .as_deref()
            .map(|c| format!("NAICS {c}"))
            .unwrap_or_else(|| "its description".into())
    } else {
        format!("serves {}", f.industries.join(", "))
    };
    Some((0.0, format!("{seen}: no {}", words.join("/"))))
}

/// Lower and upper bound of an employee band: `51-200`, `10000+`, `250`.
fn band_bounds(band: &str) -> Option<(u64, u64)> {
    let b = band.replace([',', ' '], "");
    if let Some(lo) = b.strip_suffix('+') {
        let lo: u64 = lo.parse().ok()?;
        // An open band counts as reaching ten times its start.
        return Some((lo, lo.saturating_mul(10)));
    }
    match b.split_once(['-', '–']) {
        Some((lo, hi)) => {
            let (lo, hi): (u64, u64) = (lo.parse().ok()?, hi.parse().ok()?);
            (lo <= hi).then_some((lo, hi))
        }
        None => b.parse().ok().map(|n| (n, n)),
    }
}

fn size(p: &IcpProfile, f: &CompanyFeatures) -> Level {
    if p.employees_min.is_none() && p.employees_max.is_none() {
        return None;
    }
    let lo = u64::from(p.employees_min.unwrap_or(0));
    let hi = p.employees_max.map_or(u64::MAX, u64::from);
    let want = match p.employees_max {
        Some(max) => format!("{lo}-{max}"),
        None => format!("{lo}+"),
    };
    if let Some(n) = f.employees.filter(|n| *n >= 0) {
        let n = n as u64;
        return Some(if (lo..=hi).contains(&n) {
            (1.0, format!("{n} employees, within {want}"))
        } else {
            (0.0, format!("{n} employees, outside {want}"))
        });
    }
    let Some(band) = f.employee_range.as_deref() else {
        return Some((0.25, "size unknown".into()));
    };
    let Some((blo, bhi)) = band_bounds(band) else {
        return Some((0.25, format!("size unknown (band {band:?} unreadable)")));
    };
    let (olo, ohi) = (blo.max(lo), bhi.min(hi));
    if olo > ohi {
        return Some((0.0, format!("{band} employees, outside {want}")));
    }
    let share = (ohi - olo + 1) as f64 / (bhi - blo + 1) as f64;
    Some(if share >= 1.0 {
        (1.0, format!("{band} employees, within {want}"))
    } else {
        (
            share,
            format!(
                "{band} employees, {:.0}% of the band within {want}",
                share * 100.0
            ),
        )
    })
}

fn location(p: &IcpProfile, f: &CompanyFeatures) -> Level {
    let wanted: Vec<&str> = p
        .locations
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let norm = |s: &Option<String>| s.as_deref().map(|v| v.trim().to_lowercase());
    let (city, state, country) = (norm(&f.city), norm(&f.state), norm(&f.country));
    if city.is_none() && state.is_none() && country.is_none() {
        return Some((0.3, "location unknown".into()));
    }
    let is = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
    for w in &wanted {
        let lower = w.to_lowercase();
        let (kind, value) = match lower.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            // A bare two-letter code is a country when it is one (US, CA),
            // else a state or province; anything longer is a city.
            None if lower.len() == 2 && matches!(lower.as_str(), "us" | "ca") => {
                ("country", lower.as_str())
            }
            None if lower.len() == 2 => ("state", lower.as_str()),
            None => ("city", lower.as_str()),
        };
        let hit = match kind {
            "country" => is(&country, value),
            "state" => is(&state, value),
            _ => is(&city, value),
        };
        if hit {
            return Some((1.0, format!("{} is in {w}", place(f))));
        }
    }
    Some((0.0, format!("{} is not in {}", place(f), wanted.join(", "))))
}

fn place(f: &CompanyFeatures) -> String {
    let parts: Vec<&str> = [&f.city, &f.state, &f.country]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .collect();
    parts.join(", ")
}

/// Whether vendor `v` is the one `name` means: equal, or one the start of
/// the other ("Epicor" and "Epicor Kinetic"), ignoring case.
fn same_vendor(v: &str, name: &str) -> bool {
    let (v, n) = (v.trim().to_lowercase(), name.trim().to_lowercase());
    if v.is_empty() || n.is_empty() {
        return false;
    }
    v == n || v.starts_with(&format!("{n} ")) || n.starts_with(&format!("{v} "))
}

fn tech(p: &IcpProfile, f: &CompanyFeatures) -> Level {
    let entries: Vec<&String> = p.tech_fit.iter().filter(|s| !s.trim().is_empty()).collect();
    if entries.is_empty() {
        return None;
    }
    if f.technologies.is_empty() {
        return Some((0.25, "no technology known".into()));
    }
    let matched: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            f.technologies
                .iter()
                .find(|(v, c)| same_vendor(v, e) || c.eq_ignore_ascii_case(e.trim()))
                .map(|(v, c)| format!("{e} ({v} {c})"))
        })
        .collect();
    if matched.is_empty() {
        let known: BTreeSet<&str> = f.technologies.iter().map(|(v, _)| v.as_str()).collect();
        let known: Vec<&str> = known.into_iter().collect();
        return Some((0.0, format!("runs {}: no tech fit", known.join(", "))));
    }
    let need = entries.len().min(2) as f64;
    Some((
        (matched.len() as f64 / need).min(1.0),
        format!("tech fit: {}", matched.join(", ")),
    ))
}

/// The systems a company runs: technologies, and signals of use or hiring.
fn systems(f: &CompanyFeatures) -> impl Iterator<Item = (&str, &str)> {
    f.technologies
        .iter()
        .map(|(v, c)| (v.as_str(), c.as_str()))
        .chain(
            f.signals
                .iter()
                .filter(|(_, _, t)| t == "uses" || t == "hiring")
                .map(|(v, c, _)| (v.as_str(), c.as_str())),
        )
}

fn competitor(p: &IcpProfile, f: &CompanyFeatures) -> Level {
    let names: Vec<&String> = p
        .competitors
        .iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if names.is_empty() {
        return None;
    }
    if let Some((v, c)) = systems(f).find(|(v, _)| names.iter().any(|n| same_vendor(v, n))) {
        return Some((
            1.0,
            format!("runs competitor {v} ({c}): displacement target"),
        ));
    }
    let categories = competitor_categories(p, f);
    if let Some((v, c)) = systems(f).find(|(_, c)| categories.contains(*c)) {
        return Some((0.25, format!("runs {v} ({c}), not a named competitor")));
    }
    Some((
        0.15,
        format!(
            "no {} system seen",
            if categories.is_empty() {
                "competitor".to_string()
            } else {
                categories.into_iter().collect::<Vec<_>>().join("/")
            }
        ),
    ))
}

/// Categories the profile's competitors are in. A vendor's category is
/// what the store says about it; ERP is assumed when no company row names
/// one (competitors of a nam user are mostly ERP vendors).
fn competitor_categories(p: &IcpProfile, f: &CompanyFeatures) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = f
        .technologies
        .iter()
        .map(|(v, c)| (v.as_str(), c.as_str()))
        .chain(f.signals.iter().map(|(v, c, _)| (v.as_str(), c.as_str())))
        .filter(|(v, _)| p.competitors.iter().any(|n| same_vendor(v, n)))
        .map(|(_, c)| c.to_lowercase())
        .collect();
    if out.is_empty() && !p.competitors.is_empty() {
        out.insert("erp".into());
    }
    out
}

fn signals(p: &IcpProfile, f: &CompanyFeatures) -> (f64, String) {
    let categories = competitor_categories(p, f);
    let related = |v: &str, c: &str| {
        p.competitors
            .iter()
            .chain(&p.tech_fit)
            .any(|n| same_vendor(v, n) || c.eq_ignore_ascii_case(n.trim()))
            || categories.contains(&c.to_lowercase())
    };
    let any_focus = !(p.competitors.is_empty() && p.tech_fit.is_empty());
    let distinct: BTreeSet<(&str, &str, &str)> = f
        .signals
        .iter()
        .map(|(v, c, t)| (t.as_str(), v.as_str(), c.as_str()))
        .collect();
    let mut level: f64 = 0.0;
    let mut said = Vec::new();
    for (t, v, c) in distinct {
        let base = match t {
            "evaluating" => 0.6,
            "hiring" => 0.3,
            "partner" | "sponsor" => 0.1,
            "mention" => 0.05,
            _ => 0.0,
        };
        if base == 0.0 {
            continue;
        }
        let full = !any_focus || related(v, c);
        level += if full { base } else { base / 2.0 };
        said.push(format!("{t} {v}{}", if full { "" } else { " (unrelated)" }));
    }
    if said.is_empty() {
        return (0.0, "no buying signals seen".into());
    }
    (level.min(1.0), format!("signals: {}", said.join(", ")))
}

fn reach(f: &CompanyFeatures) -> (f64, String) {
    let people = f.contacts.min(3) as f64 / 3.0;
    let emails = f.contacts_with_email.min(2) as f64 / 2.0;
    let lead = f.best_lead_adjustment.clamp(0, 20) as f64 / 20.0;
    let quality = f.quality_score.map_or(0.5, |q| (q / 100.0).clamp(0.0, 1.0));
    let reach = 0.3 * people + 0.3 * emails + 0.25 * lead + 0.15 * quality;
    let quality = match f.quality_score {
        Some(q) => format!("quality {q:.0}"),
        None => "quality unscored".into(),
    };
    (
        reach,
        format!(
            "{} contacts, {} with email, best lead {:+}, {quality}",
            f.contacts, f.contacts_with_email, f.best_lead_adjustment
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn profile() -> IcpProfile {
        IcpProfile {
            name: "aero".into(),
            industries: vec!["aerospace".into(), "defense".into()],
            naics: vec!["3327".into()],
            employees_min: Some(60),
            employees_max: Some(400),
            locations: vec!["OH".into(), "MI".into(), "Toronto".into()],
            tech_fit: vec!["Salesforce".into(), "crm".into()],
            competitors: vec!["Epicor".into(), "Infor".into()],
            keywords: vec!["machining".into()],
            ..Default::default()
        }
    }

    fn ideal() -> CompanyFeatures {
        CompanyFeatures {
            company_id: 7,
            name: "Keller Forge Inc.".into(),
            industries: vec!["Aerospace".into(), "Oil and gas".into()],
            employees: Some(120),
            city: Some("Cleveland".into()),
            state: Some("OH".into()),
            country: Some("US".into()),
            technologies: vec![
                ("Epicor".into(), "erp".into()),
                ("Salesforce".into(), "crm".into()),
            ],
            signals: vec![
                ("Infor".into(), "erp".into(), "evaluating".into()),
                ("Plex".into(), "erp".into(), "evaluating".into()),
            ],
            contacts: 3,
            contacts_with_email: 2,
            best_lead_adjustment: 20,
            quality_score: Some(100.0),
            ..Default::default()
        }
    }

    fn reason<'a>(s: &'a IcpScore, factor: &str) -> &'a Reason {
        s.reasons.iter().find(|r| r.factor == factor).unwrap()
    }

    fn level(factor: &str, f: &CompanyFeatures) -> f64 {
        let s = score(&profile(), f);
        let r = reason(&s, factor);
        r.points / r.max
    }

    #[test]
    fn an_ideal_company_fits_fully_and_every_factor_says_why() {
        let s = score(&profile(), &ideal());
        assert_eq!((s.fit, s.prospect), (100.0, 100.0), "{:#?}", s.reasons);
        let factors: Vec<&str> = s.reasons.iter().map(|r| r.factor.as_str()).collect();
        assert_eq!(factors[..6], FACTORS);
        assert_eq!(factors[6], "reach");
        assert!(s.reasons.iter().all(|r| !r.detail.is_empty()));
        assert!(reason(&s, "competitor").detail.contains("Epicor"));
    }

    #[test]
    fn industry_by_served_list_naics_text_and_keywords() {
        let mut f = ideal();
        assert_eq!(level("industry", &f), 1.0);
        f.industries = vec!["Automotive".into()];
        assert_eq!(level("industry", &f), 0.0);
        f.naics = Some("332710".into());
        assert_eq!(level("industry", &f), 1.0);
        f.naics = Some("332111".into());
        f.description = Some("Forgings for Defense programs".into());
        assert_eq!(level("industry", &f), 0.8);
        f.description = Some("CNC machining of housings".into());
        assert_eq!(level("industry", &f), 0.5);
        // The NAICS title counts as text: 332111 is iron and steel forging.
        let p = IcpProfile {
            industries: vec!["forging".into()],
            ..profile()
        };
        let s = score(&p, &f);
        assert_eq!(reason(&s, "industry").points, p.weights.industry * 0.8);
        let bare = CompanyFeatures::default();
        assert_eq!(level("industry", &bare), 0.2);
        assert_eq!(
            reason(&score(&profile(), &bare), "industry").detail,
            "no industry data"
        );
        // "defenseless" is not "defense"; "defenses" is.
        f = CompanyFeatures {
            industries: vec!["defenseless".into()],
            ..Default::default()
        };
        assert_eq!(level("industry", &f), 0.0);
        f.industries = vec!["Defenses".into()];
        assert_eq!(level("industry", &f), 1.0);
    }

    #[test]
    fn size_by_count_or_band_overlap() {
        let mut f = ideal();
        f.employees = Some(401);
        assert_eq!(level("size", &f), 0.0);
        f.employees = Some(60);
        assert_eq!(level("size", &f), 1.0);
        f.employees = None;
        f.employee_range = Some("100-249".into());
        assert_eq!(level("size", &f), 1.0);
        f.employee_range = Some("250-499".into());
        let l = level("size", &f);
        assert!((l - 151.0 / 250.0).abs() < 0.01, "{l}");
        f.employee_range = Some("1000+".into());
        assert_eq!(level("size", &f), 0.0);
        f.employee_range = Some("10-49".into());
        assert_eq!(level("size", &f), 0.0);
        f.employee_range = None;
        assert_eq!(level("size", &f), 0.25);
        let s = score(&profile(), &f);
        assert_eq!(reason(&s, "size").detail, "size unknown");
        // An open-ended profile range.
        let p = IcpProfile {
            employees_max: None,
            ..profile()
        };
        f.employees = Some(5000);
        assert_eq!(reason(&score(&p, &f), "size").points, p.weights.size);
    }

    #[test]
    fn location_by_state_city_or_country() {
        let mut f = ideal();
        assert_eq!(level("location", &f), 1.0);
        f.state = Some("TX".into());
        assert_eq!(level("location", &f), 0.0);
        f.city = Some("Toronto".into());
        assert_eq!(level("location", &f), 1.0);
        f = CompanyFeatures::default();
        assert_eq!(level("location", &f), 0.3);
        // CA is Canada unless written as a state.
        let p = |loc: &str| IcpProfile {
            locations: vec![loc.into()],
            ..profile()
        };
        let cal = CompanyFeatures {
            state: Some("CA".into()),
            country: Some("US".into()),
            ..Default::default()
        };
        let lvl = |p: &IcpProfile| reason(&score(p, &cal), "location").points;
        assert_eq!(lvl(&p("CA")), 0.0);
        assert!(lvl(&p("state:CA")) > 0.0);
        assert!(lvl(&p("US")) > 0.0);
    }

    #[test]
    fn tech_fit_counts_matched_entries() {
        let mut f = ideal();
        assert_eq!(level("tech", &f), 1.0);
        f.technologies = vec![("HubSpot".into(), "crm".into())];
        assert_eq!(level("tech", &f), 0.5);
        f.technologies = vec![("SAP".into(), "erp".into())];
        assert_eq!(level("tech", &f), 0.0);
        f.technologies.clear();
        assert_eq!(level("tech", &f), 0.25);
        let p = IcpProfile {
            tech_fit: Vec::new(),
            ..profile()
        };
        let s = score(&p, &f);
        let r = reason(&s, "tech");
        assert_eq!((r.points, r.max), (0.0, 0.0));
        assert!(r.detail.contains("not scored"));
    }

    #[test]
    fn a_competitor_in_use_or_hired_for_is_a_displacement_target() {
        let mut f = ideal();
        f.technologies.clear();
        f.signals = vec![("Infor".into(), "erp".into(), "hiring".into())];
        assert_eq!(level("competitor", &f), 1.0);
        // Evaluating a competitor is a signal, not use.
        f.signals = vec![("Epicor".into(), "erp".into(), "evaluating".into())];
        assert_eq!(level("competitor", &f), 0.15);
        f.technologies = vec![("SAP".into(), "erp".into())];
        assert_eq!(level("competitor", &f), 0.25);
        // "Epicor Kinetic" is Epicor.
        f.technologies = vec![("Epicor Kinetic".into(), "erp".into())];
        assert_eq!(level("competitor", &f), 1.0);
    }

    #[test]
    fn signals_weigh_by_type_and_relevance() {
        let mut f = ideal();
        f.technologies.clear();
        f.signals = vec![("SAP".into(), "erp".into(), "hiring".into())];
        assert!((level("signals", &f) - 0.3).abs() < 1e-9);
        // An unrelated category counts half.
        f.signals = vec![("Marketo".into(), "marketing".into(), "hiring".into())];
        assert!((level("signals", &f) - 0.15).abs() < 1e-9);
        // Duplicates count once; the sum is capped.
        f.signals = vec![
            ("SAP".into(), "erp".into(), "evaluating".into()),
            ("SAP".into(), "erp".into(), "evaluating".into()),
            ("Plex".into(), "erp".into(), "evaluating".into()),
        ];
        assert_eq!(level("signals", &f), 1.0);
        f.signals = vec![("SAP".into(), "erp".into(), "uses".into())];
        assert_eq!(level("signals", &f), 0.0);
        let s = score(&profile(), &f);
        assert_eq!(reason(&s, "signals").detail, "no buying signals seen");
    }

    #[test]
    fn prospect_scales_fit_by_reach() {
        let mut f = ideal();
        let full = score(&profile(), &f);
        f.contacts = 0;
        f.contacts_with_email = 0;
        f.best_lead_adjustment = 0;
        f.quality_score = None;
        let cold = score(&profile(), &f);
        assert_eq!(cold.fit, full.fit);
        // reach = 0.15 × 0.5: prospect = fit × (0.5 + 0.0375).
        assert_eq!(cold.prospect, round1(full.fit * 0.5375));
        assert!(reason(&cold, "reach").detail.contains("0 contacts"));
    }

    #[test]
    fn unknown_everything_scores_low_but_explained() {
        let s = score(&profile(), &CompanyFeatures::default());
        assert!(s.fit > 0.0 && s.fit < 25.0, "{}", s.fit);
        assert_eq!(s.reasons.len(), 7);
        for r in &s.reasons[..6] {
            assert!(r.max > 0.0 && r.points <= r.max, "{r:?}");
        }
    }
}
