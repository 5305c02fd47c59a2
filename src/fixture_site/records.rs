//! Resolution datasets with ground truth.
//!
//! Every association's listing of every member company becomes one flat
//! source record, the shape of a CSV export or a CRM list, tagged with the
//! true company id. Resolution code imports the records (without the truth),
//! clusters them, and [`pairwise_score`] measures the clustering against the
//! truth. The records come from the same world the fixture server renders
//! (same companies, same listings, same name variants), so a resolution tuned
//! on them is tuned on what the crawler sees.
//!
//! `hard: true` makes the data set harder without touching the crawled world:
//! many distinct firms share a handful of surnames and a few cities, sister
//! companies carry one parent name, names get more typos, and websites and
//! phones are often missing.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::associations::ASSOCS;
use super::company::{Company, TEMPLATES};
use super::geo::CITIES;
use super::names::{self, TRADES};
use super::{Listing, World, WorldConfig};

/// Which data set to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSetConfig {
    pub seed: u64,
    /// Companies in the world; each yields one record per association listing it.
    pub companies: usize,
    /// The hard variant (shared surnames and cities, sister companies, typos,
    /// missing websites and phones).
    pub hard: bool,
}

/// One source record and the company it truly belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrueRecord {
    /// `R-<16 hex>`: a hash, so it says nothing about the company.
    pub external_id: String,
    pub association: String,
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// True company id (the fixture world's company number).
    pub truth: u32,
}

/// Every listing of every member company, grouped by association in
/// directory order. Deterministic in `cfg`; companies are generated in
/// parallel, each once however many associations list it.
pub fn generate(cfg: &RecordSetConfig) -> Vec<TrueRecord> {
    let world = World::new(WorldConfig {
        seed: cfg.seed,
        members: cfg.companies,
        faults: Default::default(),
        plants: false,
        hostile: false,
    });
    let ids = 0..u32::try_from(cfg.companies).unwrap_or(u32::MAX);
    let per_company: Vec<Vec<(usize, TrueRecord)>> = ids
        .into_par_iter()
        .map(|i| records_of(&world, cfg, i))
        .collect();
    let mut by_assoc: Vec<Vec<TrueRecord>> = vec![Vec::new(); ASSOCS.len()];
    for (a, rec) in per_company.into_iter().flatten() {
        by_assoc[a].push(rec);
    }
    by_assoc.into_iter().flatten().collect()
}

/// The records of company `i`: one per association listing it.
fn records_of(world: &World, cfg: &RecordSetConfig, i: u32) -> Vec<(usize, TrueRecord)> {
    let assocs: Vec<usize> = (0..ASSOCS.len())
        .filter(|a| world.is_member(*a, i))
        .collect();
    if assocs.is_empty() {
        return Vec::new();
    }
    let base = world.company(i);
    let company = if cfg.hard { harden(cfg, base) } else { base };
    assocs
        .into_iter()
        .map(|a| {
            let listing = world.listing_of(a, company.clone());
            (a, record(cfg, a, &listing))
        })
        .collect()
}

/// Hash for one decision about one listing; `tag` keeps decisions independent.
fn lh(cfg: &RecordSetConfig, a: usize, id: u32, tag: u64) -> u64 {
    names::h(
        cfg.seed,
        &[0x5EC0 + tag, a as u64, u64::from(id), u64::from(cfg.hard)],
    )
}

fn record(cfg: &RecordSetConfig, a: usize, l: &Listing) -> TrueRecord {
    let c = &l.company;
    let h = |tag| lh(cfg, a, c.id, tag);
    let (p_web, p_phone, p_email, p_street) = if cfg.hard {
        (65, 70, 10, 85)
    } else {
        (100, 100, 20, 100)
    };
    let website = (l.shows_website && h(1) % 100 < p_web).then(|| website_text(&c.domain, h(2)));
    let phone = (l.shows_phone && h(3) % 100 < p_phone).then(|| c.phone_fmt(l.style >> 3));
    let email = (h(4) % 100 < p_email).then(|| {
        let local = ["info", "sales", "office", "contact"][(h(5) % 4) as usize];
        format!("{local}@{}", c.domain)
    });
    let mut name = l.listed_name.clone();
    if cfg.hard && h(6) % 100 < 30 {
        name = misspell(&name, h(7));
    }
    let (street, city, state, postal_code, country) = if l.shows_address {
        let state = if l.style % 5 == 4 {
            c.city.state_name
        } else {
            c.city.state
        };
        let country = match (c.city.country, h(8) % 5) {
            (_, 0) => None,
            ("US", 1) => Some("USA"),
            ("US", 2) => Some("United States"),
            ("CA", 1 | 2) => Some("Canada"),
            (code, _) => Some(code),
        };
        (
            (h(9) % 100 < p_street).then(|| c.street_fmt(l.style)),
            Some(c.city.name.to_owned()),
            Some(state.to_owned()),
            Some(c.postal.clone()),
            country.map(str::to_owned),
        )
    } else {
        (None, None, None, None, None)
    };
    TrueRecord {
        external_id: format!("R-{:016x}", h(0)),
        association: ASSOCS[a].code.to_owned(),
        name,
        website,
        phone,
        email,
        street,
        city,
        state,
        postal_code,
        country,
        truth: c.id,
    }
}

/// A website as people type it into a directory or CRM.
fn website_text(domain: &str, v: u64) -> String {
    match v % 6 {
        0 | 1 => format!("www.{domain}"),
        2 => format!("http://www.{domain}/"),
        3 => format!("https://www.{domain}"),
        4 => domain.to_owned(),
        _ => format!("http://www.{domain}/contact/"),
    }
}

/// One typing error at a letter chosen by `v`: a transposition, a dropped
/// letter, a doubled letter, or two words run together.
fn misspell(name: &str, v: u64) -> String {
    let mut cs: Vec<char> = name.chars().collect();
    // Positions inside words (a letter with letters on both sides), so the
    // error never lands on punctuation and the first letter survives.
    let inner: Vec<usize> = (1..cs.len().saturating_sub(1))
        .filter(|&p| {
            cs[p].is_alphabetic() && cs[p - 1].is_alphabetic() && cs[p + 1].is_alphabetic()
        })
        .collect();
    if inner.is_empty() {
        return name.to_owned();
    }
    let p = inner[((v >> 8) % inner.len() as u64) as usize];
    match v % 4 {
        0 if cs[p] != cs[p + 1] => cs.swap(p, p + 1),
        1 | 0 => {
            cs.remove(p);
        }
        2 => cs.insert(p, cs[p]),
        _ => match cs.iter().position(|c| *c == ' ') {
            Some(s) => {
                cs.remove(s);
            }
            None => {
                cs.remove(p);
            }
        },
    }
    cs.into_iter().collect()
}

/// Surnames the hard variant gives to many unrelated firms.
static COMMON_SURNAMES: &[&str] = &[
    "Keller", "Hoffman", "Anderson", "Schmidt", "Novak", "Thompson", "Olson", "Wagner", "Fischer",
    "Becker", "Walsh", "Nolan",
];

/// Cities the hard variant crowds firms into.
static HOT_CITIES: &[&str] = &[
    "Cleveland",
    "Chicago",
    "Detroit",
    "Milwaukee",
    "Houston",
    "Pittsburgh",
];

/// What a parent of sister companies calls itself.
static GROUP_WORDS: &[&str] = &[
    "Industries",
    "Group",
    "Holdings",
    "Enterprises",
    "Companies",
];

/// Share (percent) of firms renamed onto a common surname, moved to a hot
/// city, and of ten-company blocks whose first three become sister companies.
const P_SURNAME: u64 = 40;
const P_HOT_CITY: u64 = 50;
const P_SISTERS: u64 = 30;

/// The hard variant of company `c`, a pure function of `(seed, c.id)`.
///
/// French-named Québec firms are left alone (a surname swap would make them
/// English names in Québec). Every hardened firm keeps a unique domain and
/// phone, so the truth stays what the records can in principle tell apart.
fn harden(cfg: &RecordSetConfig, mut c: Company) -> Company {
    let seed = cfg.seed;
    let crowd = Crowd::of(cfg.companies);
    if c.french {
        return c;
    }
    let i = c.id;
    let h = |tag: u64| names::h(seed, &[0x4A7D, tag, u64::from(i)]);
    let block = u64::from(i / 10);
    let bh = |tag: u64| names::h(seed, &[0x4A7E, tag, block]);
    // The first three companies of a chosen block of ten are divisions of one
    // parent (look-alikes, i % 10 == 9, are never among them).
    let sister = i % 10 < 3 && bh(0) % 100 < P_SISTERS;
    let mut city = c.city;
    if sister {
        // Half the parents carry a common surname; the group word keeps
        // unrelated parents of one surname apart most of the time.
        let parent = if bh(1) % 2 == 0 {
            crowd.surname(bh(1) >> 8)
        } else {
            names::BRANDS[((bh(1) >> 8) % names::BRANDS.len() as u64) as usize]
        };
        let group = GROUP_WORDS[(bh(6) % GROUP_WORDS.len() as u64) as usize];
        // 7 and 14 are not multiples of the trade count: three distinct trades.
        let trade = &TRADES[((bh(2) + u64::from(i % 10) * 7) % TRADES.len() as u64) as usize];
        c.core = match bh(3) % 3 {
            0 => format!("{parent} {group} {} Division", trade.word),
            1 => format!("{parent} {group} {}", trade.word),
            _ => format!("{} Division of {parent} {group}", trade.word),
        };
        c.brand = parent;
        // A division is not a legal entity of its own.
        c.suffix = "";
        c.domain = format!(
            "{}{}-{}.example",
            names::slug(parent),
            names::slug(trade.word).replace('-', ""),
            token(seed, i)
        );
        // Half the sister blocks sit in one city (one site, several plants).
        if bh(4) % 2 == 0 {
            city = crowd.city(bh(5));
        }
    } else if h(1) % 1000 < crowd.surname_permille {
        let brand = crowd.surname(h(2));
        let tpl = TEMPLATES[(h(3) % TEMPLATES.len() as u64) as usize];
        c.core = tpl.replace("{b}", brand).replace("{t}", c.trade.word);
        c.brand = brand;
        c.domain = format!(
            "{}{}-{}.example",
            names::slug(brand),
            names::slug(c.trade.word).replace('-', ""),
            token(seed, i)
        );
    }
    if !sister && h(4) % 1000 < crowd.city_permille {
        city = crowd.city(h(5));
    }
    if !std::ptr::eq(city, c.city) {
        c.city = city;
        c.area = city.area_codes[(h(6) % city.area_codes.len() as u64) as usize];
        c.postal = if city.country == "US" {
            format!("{}{:02}", city.postal_prefix, 1 + h(7) % 98)
        } else {
            c.postal
        };
    }
    c.name = match c.suffix {
        "" => c.core.clone(),
        s => format!("{} {s}", c.core),
    };
    // A distinct number per company: crowded area codes must not make two
    // firms share a phone.
    let n = (u64::from(i) * 1_000_003 + seed % 7_101_000) % 7_101_000;
    c.exchange = 201 + (n / 9000) as u16;
    c.line = 1000 + (n % 9000) as u16;
    c
}

/// How crowded the hard variant is. Per 2,000 companies it puts 40% of firms
/// on a dozen common surnames and half of them in six hot cities; a larger
/// world draws on more surnames and cities (further brands, further cities)
/// and, once those run out, renames and moves a smaller share, so that the
/// number of firms per shared name and city, and so the difficulty per
/// record, stays what it is at 2,000 rather than growing with the world
/// until records cannot be told apart at all.
struct Crowd {
    surnames: usize,
    cities: usize,
    surname_permille: u64,
    city_permille: u64,
}

impl Crowd {
    fn of(companies: usize) -> Crowd {
        let scale = companies.div_ceil(2000).max(1);
        let other_cities = CITIES.len().min(super::geo::non_qc_count());
        let want_surnames = COMMON_SURNAMES.len() * scale;
        let surnames = want_surnames.min(COMMON_SURNAMES.len() + names::BRANDS.len());
        let want_cities = HOT_CITIES.len() * scale;
        let cities = want_cities.min(HOT_CITIES.len() + other_cities);
        Crowd {
            surnames,
            cities,
            surname_permille: P_SURNAME * 10 * surnames as u64 / want_surnames as u64,
            city_permille: P_HOT_CITY * 10 * cities as u64 / want_cities as u64,
        }
    }

    fn surname(&self, v: u64) -> &'static str {
        let k = (v % self.surnames as u64) as usize;
        match COMMON_SURNAMES.get(k) {
            Some(s) => s,
            None => names::BRANDS[(k - COMMON_SURNAMES.len()) % names::BRANDS.len()],
        }
    }

    fn city(&self, v: u64) -> &'static super::geo::City {
        let k = (v % self.cities as u64) as usize;
        if k < HOT_CITIES.len() {
            return hot_city(k as u64);
        }
        &CITIES[(k - HOT_CITIES.len()) % super::geo::non_qc_count().max(1)]
    }
}

fn hot_city(v: u64) -> &'static super::geo::City {
    let name = HOT_CITIES[(v % HOT_CITIES.len() as u64) as usize];
    CITIES.iter().find(|c| c.name == name).unwrap_or(&CITIES[0])
}

/// A short base-36 token unique per company id (an odd multiplier is a
/// bijection on u32), so renamed firms keep distinct domains.
fn token(seed: u64, i: u32) -> String {
    let mut v = i.wrapping_mul(0x9E37_79B1) ^ (seed as u32);
    let mut out = Vec::new();
    loop {
        out.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the records as a CSV import file (no truth column):
/// `id,company,website,phone,email,street,city,state,zip,country,association`.
pub fn write_csv(records: &[TrueRecord], path: &Path) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record([
        "id",
        "company",
        "website",
        "phone",
        "email",
        "street",
        "city",
        "state",
        "zip",
        "country",
        "association",
    ])?;
    for r in records {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            r.external_id.clone(),
            r.name.clone(),
            o(&r.website),
            o(&r.phone),
            o(&r.email),
            o(&r.street),
            o(&r.city),
            o(&r.state),
            o(&r.postal_code),
            o(&r.country),
            r.association.clone(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `external_id -> true company id`.
pub fn truth_map(records: &[TrueRecord]) -> HashMap<String, u32> {
    records
        .iter()
        .map(|r| (r.external_id.clone(), r.truth))
        .collect()
}

/// Pairwise precision and recall of a clustering against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairScore {
    /// correct / predicted (1.0 when nothing was predicted).
    pub precision: f64,
    /// correct / true (1.0 when there is nothing to find).
    pub recall: f64,
    /// Record pairs that belong to one company in truth.
    pub true_pairs: u64,
    /// Record pairs the assignment puts in one company.
    pub predicted_pairs: u64,
    /// Pairs in both.
    pub correct_pairs: u64,
}

impl PairScore {
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        if self.precision + self.recall == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        }
    }
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores `assignment` (`external_id -> canonical company id`) against
/// `truth`, from contingency counts (never pair by pair).
///
/// True pairs count every record of the truth, so records missing from the
/// assignment (say, rows an import skipped) cost recall. Assigned ids absent
/// from the truth are ignored, and an id assigned twice counts once (first wins).
pub fn pairwise_score(assignment: &[(String, i64)], truth: &HashMap<String, u32>) -> PairScore {
    let mut truth_sizes: HashMap<u32, u64> = HashMap::new();
    for t in truth.values() {
        *truth_sizes.entry(*t).or_default() += 1;
    }
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut cluster_sizes: HashMap<i64, u64> = HashMap::new();
    let mut cells: HashMap<(i64, u32), u64> = HashMap::new();
    for (ext, cluster) in assignment {
        let Some(t) = truth.get(ext) else { continue };
        if !seen.insert(ext.as_str()) {
            continue;
        }
        *cluster_sizes.entry(*cluster).or_default() += 1;
        *cells.entry((*cluster, *t)).or_default() += 1;
    }
    let true_pairs: u64 = truth_sizes.values().map(|n| pairs(*n)).sum();
    let predicted_pairs: u64 = cluster_sizes.values().map(|n| pairs(*n)).sum();
    let correct_pairs: u64 = cells.values().map(|n| pairs(*n)).sum();
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            1.0
        } else {
            num as f64 / den as f64
        }
    };
    PairScore {
        precision: ratio(correct_pairs, predicted_pairs),
        recall: ratio(correct_pairs, true_pairs),
        true_pairs,
        predicted_pairs,
        correct_pairs,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn cfg(companies: usize, hard: bool) -> RecordSetConfig {
        RecordSetConfig {
            seed: 7,
            companies,
            hard,
        }
    }

    #[test]
    fn pairwise_score_of_a_hand_made_assignment() {
        // Truth: {a,b,c} is company 1, {d,e} is company 2, f is company 3.
        // True pairs: 3 + 1 = 4.
        let truth: HashMap<String, u32> =
            [("a", 1), ("b", 1), ("c", 1), ("d", 2), ("e", 2), ("f", 3)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
        // Predicted: {a,b} -> 10, {c,d,e} -> 20, f -> 30.
        // Predicted pairs: 1 + 3 = 4; correct: ab, de = 2.
        let assignment: Vec<(String, i64)> = [
            ("a", 10),
            ("b", 10),
            ("c", 20),
            ("d", 20),
            ("e", 20),
            ("f", 30),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let s = pairwise_score(&assignment, &truth);
        assert_eq!(
            (s.true_pairs, s.predicted_pairs, s.correct_pairs),
            (4, 4, 2)
        );
        assert!((s.precision - 0.5).abs() < 1e-12);
        assert!((s.recall - 0.5).abs() < 1e-12);
        // Perfect assignment.
        let perfect: Vec<(String, i64)> = truth
            .iter()
            .map(|(k, v)| (k.clone(), i64::from(*v)))
            .collect();
        let p = pairwise_score(&perfect, &truth);
        assert_eq!((p.precision, p.recall), (1.0, 1.0));
        // Everything in one cluster: 15 predicted pairs, 4 correct.
        let lumped: Vec<(String, i64)> = truth.keys().map(|k| (k.clone(), 1)).collect();
        let l = pairwise_score(&lumped, &truth);
        assert_eq!((l.predicted_pairs, l.correct_pairs), (15, 4));
        assert_eq!(l.recall, 1.0);
        // A record missing from the assignment costs recall: drop "c".
        let partial: Vec<(String, i64)> =
            perfect.iter().filter(|(k, _)| k != "c").cloned().collect();
        let q = pairwise_score(&partial, &truth);
        assert_eq!((q.true_pairs, q.correct_pairs), (4, 2));
        assert_eq!(q.precision, 1.0);
    }

    #[test]
    fn generation_is_deterministic_and_ids_do_not_leak() {
        let a = generate(&cfg(300, false));
        let b = generate(&cfg(300, false));
        assert_eq!(a, b);
        assert!(a.len() > 300, "{}", a.len());
        let ids: HashSet<&str> = a.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids.len(), a.len(), "external ids are unique");
        assert!(
            a.iter()
                .all(|r| r.external_id.starts_with("R-") && r.external_id.len() == 18)
        );
        // Another seed gives other records.
        let c = generate(&RecordSetConfig {
            seed: 8,
            ..cfg(300, false)
        });
        assert_ne!(a, c);
        // Some company is listed by several associations.
        let m = truth_map(&a);
        let mut per: HashMap<u32, usize> = HashMap::new();
        for t in m.values() {
            *per.entry(*t).or_default() += 1;
        }
        assert!(per.values().any(|n| *n >= 2));
    }

    #[test]
    fn records_follow_the_crawled_listings() {
        let world = World::new(WorldConfig {
            seed: 7,
            members: 200,
            faults: Default::default(),
            plants: false,
            hostile: false,
        });
        let recs = generate(&cfg(200, false));
        let pma: Vec<&TrueRecord> = recs.iter().filter(|r| r.association == "PMA").collect();
        let members = world.members_of(0);
        assert_eq!(pma.len(), members.len());
        for (r, id) in pma.iter().zip(members) {
            let l = world.listing(0, *id);
            assert_eq!(r.truth, *id);
            assert_eq!(r.name, l.listed_name);
            assert_eq!(r.website.is_some(), l.shows_website);
            assert_eq!(r.phone.is_some(), l.shows_phone);
            if let Some(p) = &r.phone {
                let digits: String = p.chars().filter(char::is_ascii_digit).collect();
                assert!(digits.ends_with(&l.company.phone_e164()[2..]), "{p}");
            }
            assert_eq!(r.city.is_some(), l.shows_address);
        }
    }

    #[test]
    fn hard_variant_crowds_names_and_cities_and_drops_websites() {
        // 2,000 companies: the size at which the crowd is the dozen common
        // surnames and six hot cities (larger worlds draw on more).
        let easy = generate(&cfg(2000, false));
        let hard = generate(&cfg(2000, true));
        // Same companies, same listings: only the contents differ.
        assert_eq!(easy.len(), hard.len());
        assert_eq!(hard, generate(&cfg(2000, true)));

        let share = |rs: &[TrueRecord], f: &dyn Fn(&TrueRecord) -> bool| {
            rs.iter().filter(|r| f(r)).count() as f64 / rs.len() as f64
        };
        let web_easy = share(&easy, &|r| r.website.is_some());
        let web_hard = share(&hard, &|r| r.website.is_some());
        assert!(
            web_hard < 0.55 && web_hard < web_easy * 0.75,
            "{web_easy} {web_hard}"
        );
        let phone_hard = share(&hard, &|r| r.phone.is_some());
        assert!(phone_hard < 0.65, "{phone_hard}");

        // Share of firms named after one of a dozen common surnames.
        let surname_share = |rs: &[TrueRecord]| {
            let all: HashSet<u32> = rs.iter().map(|r| r.truth).collect();
            let common: HashSet<u32> = rs
                .iter()
                .filter(|r| {
                    let n = r.name.to_lowercase();
                    let n = n.strip_prefix("the ").unwrap_or(&n);
                    COMMON_SURNAMES
                        .iter()
                        .any(|s| n.starts_with(&s.to_lowercase()))
                })
                .map(|r| r.truth)
                .collect();
            common.len() as f64 / all.len() as f64
        };
        let (se, sh) = (surname_share(&easy), surname_share(&hard));
        assert!(
            se < 0.15 && sh > 0.4,
            "common surnames: easy {se}, hard {sh}"
        );
        // Over a third of the firms sit in the six crowded cities.
        let firms_in_hot = |rs: &[TrueRecord]| {
            let all: HashSet<u32> = rs.iter().map(|r| r.truth).collect();
            let hot: HashSet<u32> = rs
                .iter()
                .filter(|r| r.city.as_deref().is_some_and(|c| HOT_CITIES.contains(&c)))
                .map(|r| r.truth)
                .collect();
            hot.len() as f64 / all.len() as f64
        };
        assert!(firms_in_hot(&hard) > 0.4, "{}", firms_in_hot(&hard));
        assert!(firms_in_hot(&easy) < 0.2, "{}", firms_in_hot(&easy));
        // Sister divisions: one parent name, several distinct firms.
        let divisions: HashSet<u32> = hard
            .iter()
            .filter(|r| r.name.to_lowercase().contains("division"))
            .map(|r| r.truth)
            .collect();
        assert!(divisions.len() > 50, "{}", divisions.len());
        // Every firm keeps its own phone number and domain.
        let mut phone_owner: HashMap<String, u32> = HashMap::new();
        for r in &hard {
            if let Some(p) = &r.phone {
                let d: String = p.chars().filter(char::is_ascii_digit).collect();
                let d = d[d.len() - 10..].to_owned();
                assert_eq!(*phone_owner.entry(d).or_insert(r.truth), r.truth);
            }
        }
    }

    #[test]
    fn misspell_changes_a_name_but_keeps_its_first_letter() {
        for v in 0..40u64 {
            let m = misspell("Keller Stamping Inc.", v);
            assert_ne!(m, "Keller Stamping Inc.", "v={v}");
            assert!(m.starts_with('K'));
        }
    }

    #[test]
    fn csv_has_the_import_header_and_one_row_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let recs = generate(&cfg(100, true));
        write_csv(&recs, &path).unwrap();
        let mut rd = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(
            header,
            [
                "id",
                "company",
                "website",
                "phone",
                "email",
                "street",
                "city",
                "state",
                "zip",
                "country",
                "association"
            ]
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), recs.len());
        assert_eq!(&rows[0][0], recs[0].external_id);
        assert_eq!(&rows[0][1], recs[0].name);
    }
}
