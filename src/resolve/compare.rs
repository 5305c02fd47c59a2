//! Comparing two company records field by field (strsim), with name words
//! weighted by how rare they are in the data.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use strsim::{jaro_winkler, normalized_damerau_levenshtein};

use crate::model::{MatchRow, PairEvidence};

/// Names of the features, in vector order (index 0 is the bias).
pub const FEATURES: &[&str] = &[
    "bias",
    "name_tokens",
    "name_jaro_winkler",
    "domain",
    "phone",
    "city",
    "state",
    "postal_code",
    "street",
    "unshared_rare_word",
    "same_name_key",
    "compact_name",
    "name_ambiguous",
    "clean_similar_name",
];

/// Long legal forms whose misspellings ("Corporatin", "Compayn") the name key
/// cannot recognise; a near match at the end of a name is dropped here.
const LONG_LEGAL_FORMS: &[&str] = &["corporation", "incorporated", "company", "limited"];

/// The name key's words without a trailing misspelled legal form.
fn key_words(key: &str) -> Vec<String> {
    let mut words: Vec<String> = key.split_whitespace().map(str::to_owned).collect();
    if words.len() > 1
        && let Some(last) = words.last()
        && last.len() >= 6
        && LONG_LEGAL_FORMS
            .iter()
            .any(|f| normalized_damerau_levenshtein(last, f) >= 0.75)
    {
        words.pop();
    }
    words
}

/// A record ready for comparison: normalized once, compared many times.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub id: i64,
    pub key: String,
    /// The key without spaces: "BeckerPrecision" and "Becker Precision" agree.
    pub compact: String,
    pub words: Vec<String>,
    pub domain: Option<String>,
    /// E.164 only (free text phones do not compare reliably).
    pub phone: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal: Option<String>,
    pub street: Option<String>,
    /// IDF of each word and whether the name is ambiguous, filled in by
    /// [`Rarity::annotate`] so comparisons do no lookups (empty: look up).
    pub idf: Vec<f64>,
    pub ambiguous: Option<bool>,
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(|v| crate::normalize::clean_text(v).to_lowercase())
        .filter(|v| !v.is_empty())
}

/// Street text for comparison: lower case, punctuation gone, the usual
/// abbreviations folded, the suite dropped.
fn street_key(s: &str) -> String {
    let s = s.to_lowercase();
    let s = s
        .split([',', '#'])
        .next()
        .unwrap_or_default()
        .split(" suite ")
        .next()
        .unwrap_or_default()
        .split(" ste ")
        .next()
        .unwrap_or_default()
        .to_owned();
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "street" => "st",
            "avenue" => "ave",
            "road" => "rd",
            "boulevard" => "blvd",
            "drive" => "dr",
            "lane" => "ln",
            "parkway" => "pkwy",
            "highway" => "hwy",
            "court" => "ct",
            "place" => "pl",
            "north" => "n",
            "south" => "s",
            "east" => "e",
            "west" => "w",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Prepared {
    pub fn from_row(r: &MatchRow) -> Prepared {
        let key = if r.name_key.is_empty() {
            crate::normalize::name_key(&r.name)
        } else {
            r.name_key.clone()
        };
        let words = key_words(&key);
        Prepared {
            id: r.id,
            compact: words.concat(),
            key: words.join(" "),
            words,
            domain: r.domain.clone(),
            phone: r.phone.clone().filter(|p| p.starts_with('+')),
            city: lower(&r.city),
            state: r
                .state
                .as_deref()
                .map(|s| {
                    crate::normalize::address::state_code(s)
                        .map(|(c, _)| c.to_owned())
                        .unwrap_or_else(|| s.trim().to_uppercase())
                })
                .filter(|s| !s.is_empty()),
            postal: r
                .postal_code
                .as_deref()
                .map(|p| {
                    let p: String = p
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                        .to_uppercase();
                    // ZIP+4 compares on its first five digits.
                    if p.len() == 9 && p.chars().all(|c| c.is_ascii_digit()) {
                        p[..5].to_owned()
                    } else {
                        p
                    }
                })
                .filter(|p| !p.is_empty()),
            street: r
                .street
                .as_deref()
                .map(street_key)
                .filter(|s| !s.is_empty()),
            idf: Vec::new(),
            ambiguous: None,
        }
    }

    /// `city|state`, the blocking key for place.
    pub fn place(&self) -> Option<String> {
        match (&self.city, &self.state) {
            (Some(c), Some(s)) => Some(format!("{c}|{}", s.to_lowercase())),
            (Some(c), None) => Some(c.clone()),
            _ => None,
        }
    }
}

/// How rare each name word is in the data (rare words weigh more), and
/// which names are ambiguous: carried by records that disagree on domain,
/// phone or city, so the name alone cannot say which firm is meant.
#[derive(Debug, Clone, Default)]
pub struct Rarity {
    df: HashMap<String, u32>,
    n: f64,
    max_idf: f64,
    ambiguous: HashSet<String>,
}

/// The distinct domains, phones and places seen under one name.
#[derive(Default)]
struct NameGroup<'a> {
    domain: Option<&'a str>,
    phone: Option<&'a str>,
    place: Option<(&'a str, Option<&'a str>)>,
    ambiguous: bool,
}

impl<'a> NameGroup<'a> {
    fn see(&mut self, r: &'a Prepared) {
        fn differs<T: PartialEq + Copy>(slot: &mut Option<T>, v: Option<T>) -> bool {
            match (*slot, v) {
                (_, None) => false,
                (None, Some(x)) => {
                    *slot = Some(x);
                    false
                }
                (Some(a), Some(b)) => a != b,
            }
        }
        let place = r.city.as_deref().map(|c| (c, r.state.as_deref()));
        let d = differs(&mut self.domain, r.domain.as_deref());
        let p = differs(&mut self.phone, r.phone.as_deref());
        let c = differs(&mut self.place, place);
        self.ambiguous |= d || p || c;
    }
}

impl Rarity {
    pub fn new<'a>(records: impl Iterator<Item = &'a Prepared>) -> Rarity {
        let mut df: HashMap<String, u32> = HashMap::default();
        let mut groups: HashMap<&'a str, NameGroup<'a>> = HashMap::default();
        let mut n = 0usize;
        for r in records {
            n += 1;
            groups.entry(r.compact.as_str()).or_default().see(r);
            let mut seen: Vec<&str> = r.words.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                *df.entry(w.to_owned()).or_default() += 1;
            }
        }
        let n = n.max(1) as f64;
        let ambiguous = groups
            .into_iter()
            .filter(|(_, g)| g.ambiguous)
            .map(|(k, _)| k.to_owned())
            .collect();
        Rarity {
            df,
            n,
            max_idf: (1.0 + n).ln(),
            ambiguous,
        }
    }

    /// True when records under this compact name disagree on domain, phone
    /// or city.
    pub fn is_ambiguous(&self, compact: &str) -> bool {
        self.ambiguous.contains(compact)
    }

    /// Stores each word's IDF and the name's ambiguity on the record.
    pub fn annotate(&self, p: &mut Prepared) {
        p.idf = p.words.iter().map(|w| self.idf(w)).collect();
        p.ambiguous = Some(self.is_ambiguous(&p.compact));
    }

    /// Every word seen, with its document frequency.
    pub fn vocabulary(&self) -> impl Iterator<Item = (&str, u32)> {
        self.df.iter().map(|(w, n)| (w.as_str(), *n))
    }

    pub fn doc_freq(&self, word: &str) -> u32 {
        self.df.get(word).copied().unwrap_or(0)
    }

    /// Inverse document frequency: ln(1 + N / df); an unseen word is as rare
    /// as a word seen once.
    pub fn idf(&self, word: &str) -> f64 {
        (1.0 + self.n / f64::from(self.doc_freq(word).max(1))).ln()
    }
}

/// How well `word` is matched in `other`: 1 for the same word, the
/// Jaro-Winkler similarity for a near spelling of a longer word, else 0.
fn best_match(word: &str, other: &[String]) -> f64 {
    if other.iter().any(|o| o == word) {
        return 1.0;
    }
    let mut best: f64 = 0.0;
    let first = word.as_bytes().first();
    for o in other {
        // A typing error keeps the first letter and changes the length by
        // at most two: anything else is another word (and skipping it keeps
        // the string metrics, the costly part, off most pairs).
        if word.len() < 4
            || o.len() < 4
            || o.as_bytes().first() != first
            || word.len().abs_diff(o.len()) > 2
        {
            continue;
        }
        let s = jaro_winkler(word, o);
        if s >= 0.9 {
            best = best.max(s);
        } else if word.len() >= 5 && o.len() >= 5 {
            // One typing error in a word of five letters or more.
            let d = osa_similarity(word, o);
            if d >= 0.8 {
                best = best.max(d);
            }
        }
    }
    best
}

/// Rarity-weighted soft overlap of two word lists (a Dice coefficient where
/// each word weighs its IDF and a near spelling counts by its similarity),
/// and the IDF of the rarest word either side has that the other lacks,
/// relative to the rarest possible word.
fn token_overlap(a: &Prepared, b: &Prepared, rarity: &Rarity) -> (f64, f64) {
    let mut matched = 0.0;
    let mut total = 0.0;
    let mut unshared: f64 = 0.0;
    for (x, ys) in [(a, &b.words), (b, &a.words)] {
        for (i, w) in x.words.iter().enumerate() {
            let idf = match x.idf.get(i) {
                Some(v) => *v,
                None => rarity.idf(w),
            };
            let m = best_match(w, ys);
            matched += idf * m;
            total += idf;
            if m == 0.0 {
                // A number one name has and the other lacks ("West 2",
                // "Plant 3") tells firms apart however common it is.
                let weight = if w.bytes().all(|c| c.is_ascii_digit()) {
                    rarity.max_idf
                } else {
                    idf
                };
                unshared = unshared.max(weight);
            }
        }
    }
    let overlap = if total > 0.0 { matched / total } else { 0.0 };
    (overlap, unshared / rarity.max_idf.max(1.0))
}

fn agree<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> f64 {
    match (a, b) {
        (Some(x), Some(y)) if x == y => 1.0,
        (Some(_), Some(_)) => -1.0,
        _ => 0.0,
    }
}

/// The comparison without words: the feature vector (see [`FEATURES`]) and
/// whether hard evidence conflicts. What bulk scoring needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub values: [f64; FEATURE_COUNT],
    pub hard_conflict: bool,
}

/// Number of features.
pub const FEATURE_COUNT: usize = 14;

/// Positions in the feature vector ([`FEATURES`] order) of the features
/// other code reads by name.
pub mod feature {
    pub const BIAS: usize = 0;
    pub const NAME_TOKENS: usize = 1;
    pub const DOMAIN: usize = 3;
    pub const PHONE: usize = 4;
    pub const CITY: usize = 5;
    pub const STATE: usize = 6;
    pub const POSTAL: usize = 7;
    pub const STREET: usize = 8;
    pub const SAME_NAME_KEY: usize = 10;
    pub const COMPACT: usize = 11;
    /// Those that depend on the names alone, each within 0..=1.
    pub const NAMES: [usize; 7] = [1, 2, 9, 10, 11, 12, 13];
}

/// One minus the optimal-string-alignment distance over the longer length:
/// a transposition is one edit, and no allocation beyond two rows.
fn osa_similarity(a: &str, b: &str) -> f64 {
    let len = a.chars().count().max(b.chars().count());
    if len == 0 {
        return 1.0;
    }
    1.0 - strsim::osa_distance(a, b) as f64 / len as f64
}

/// The most the logit of a linear model over [`features`] can be for this
/// pair, from the exact field agreements and the best the names could do.
/// Cheap (no string metrics): pairs whose bound is below a threshold need
/// no comparison.
pub fn logit_bound(a: &Prepared, b: &Prepared, weights: &[f64]) -> f64 {
    use feature::*;
    let w = |i: usize| weights.get(i).copied().unwrap_or(0.0);
    let names: f64 = NAMES.iter().map(|&i| w(i).max(0.0)).sum();
    let street = if a.street.is_some() && b.street.is_some() {
        w(STREET).abs()
    } else {
        0.0
    };
    w(BIAS)
        + names
        + w(DOMAIN) * agree(&a.domain, &b.domain)
        + w(PHONE) * agree(&a.phone, &b.phone)
        + w(CITY) * agree(&a.city, &b.city)
        + w(STATE) * agree(&a.state, &b.state)
        + w(POSTAL) * agree(&a.postal, &b.postal)
        + street
}

/// Compares two records field by field.
pub fn features(a: &Prepared, b: &Prepared, rarity: &Rarity) -> Features {
    let (mut overlap, mut unshared) = token_overlap(a, b, rarity);
    let jw = jaro_winkler(&a.key, &b.key);
    let compact = if a.compact == b.compact {
        1.0
    } else {
        osa_similarity(&a.compact, &b.compact)
    };
    // Words run together ("BeckerPrecision"): the names agree even though
    // their words do not. (Only when the word counts differ: "West" and
    // "East" in names of one length are different words, not a typo.)
    if compact >= 0.9 && a.words.len() != b.words.len() {
        overlap = overlap.max(compact);
        unshared = 0.0;
    }
    let amb = |p: &Prepared| {
        p.ambiguous
            .unwrap_or_else(|| rarity.is_ambiguous(&p.compact))
    };
    let ambiguous = if amb(a) || amb(b) { 1.0 } else { 0.0 };
    let domain = agree(&a.domain, &b.domain);
    let phone = agree(&a.phone, &b.phone);
    let city = agree(&a.city, &b.city);
    let state = agree(&a.state, &b.state);
    let postal = agree(&a.postal, &b.postal);
    let street = match (&a.street, &b.street) {
        (Some(x), Some(y)) => 2.0 * jaro_winkler(x, y) - 1.0,
        _ => 0.0,
    };
    let same_key = if a.compact == b.compact { 1.0 } else { 0.0 };
    // The same (or nearly the same) unambiguous name with nothing that
    // disagrees: on its own the strongest evidence a directory listing
    // offers (an interaction the additive features cannot express).
    let no_conflict = [domain, phone, city, state, postal]
        .iter()
        .all(|v| *v >= 0.0);
    let clean_same = if overlap >= 0.9 && ambiguous == 0.0 && no_conflict {
        overlap
    } else {
        0.0
    };
    // Different domains; different phones in different cities; or, in one
    // city, a different street and postal code: two firms, or one that
    // moved, and only the analyst can tell which.
    let hard_conflict =
        domain < 0.0 || (phone < 0.0 && city < 0.0) || (street < 0.0 && postal < 0.0);
    Features {
        values: [
            1.0, overlap, jw, domain, phone, city, state, postal, street, unshared, same_key,
            compact, ambiguous, clean_same,
        ],
        hard_conflict,
    }
}

/// The reasons in words for a feature vector.
pub fn explain(f: &Features) -> (Vec<String>, Vec<String>) {
    let v = &f.values;
    let (overlap, same_key, ambiguous, street) = (v[1], v[10], v[12], v[8]);
    let mut agreed = Vec::new();
    let mut conflicted = Vec::new();
    if same_key > 0.0 {
        agreed.push("same name".to_owned());
    } else if overlap >= 0.8 {
        agreed.push(format!(
            "similar names ({:.0}% of name weight)",
            overlap * 100.0
        ));
    } else {
        conflicted.push(format!(
            "names differ ({:.0}% of name weight shared)",
            overlap * 100.0
        ));
    }
    for (x, what) in [
        (v[3], "domain"),
        (v[4], "phone"),
        (v[5], "city"),
        (v[6], "state"),
        (v[7], "postal code"),
    ] {
        if x > 0.0 {
            agreed.push(format!("same {what}"));
        } else if x < 0.0 {
            conflicted.push(format!("different {what}"));
        }
    }
    if street > 0.6 {
        agreed.push("same street address".to_owned());
    } else if street < 0.0 {
        conflicted.push("different street address".to_owned());
    }
    if ambiguous > 0.0 {
        conflicted.push("other firms carry this name".to_owned());
    }
    (agreed, conflicted)
}

/// The evidence of a scored pair, with the reasons in words.
pub fn evidence(f: &Features, score: f64) -> PairEvidence {
    let (agreed, conflicted) = explain(f);
    PairEvidence {
        features: f.values.to_vec(),
        score,
        agreed,
        conflicted,
        hard_conflict: f.hard_conflict,
    }
}

/// Compares two records: the features and the reasons in words. The score
/// is left at 0; the model fills it in.
pub fn compare(a: &Prepared, b: &Prepared, rarity: &Rarity) -> PairEvidence {
    evidence(&features(a, b, rarity), 0.0)
}

/// Same E.164 phone and same name key: a hard key for a merge (unless the
/// domains disagree).
pub fn hard_key_match(a: &Prepared, b: &Prepared) -> bool {
    a.phone.is_some() && a.phone == b.phone && a.key == b.key && agree(&a.domain, &b.domain) >= 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(name: &str, city: &str, phone: Option<&str>) -> Prepared {
        Prepared::from_row(&MatchRow {
            name: name.into(),
            name_key: crate::normalize::name_key(name),
            city: Some(city.into()),
            state: Some("OH".into()),
            phone: phone.map(Into::into),
            ..Default::default()
        })
    }

    #[test]
    fn rare_shared_words_count_more_than_common_ones() {
        let rows: Vec<Prepared> = (0..50)
            .map(|i| {
                // Fifty brands unlike each other (not one typo apart).
                let first = (b'a' + (i % 26) as u8) as char;
                let brand = format!("{first}{}", &"qvwzxjkpyr"[..3 + i / 26]);
                prep(&format!("{brand} Manufacturing"), "Akron", None)
            })
            .chain([
                prep("Zeltwanger Manufacturing", "Akron", None),
                prep("Zeltwanger Tooling", "Akron", None),
            ])
            .collect();
        let rarity = Rarity::new(rows.iter());
        let rare = compare(&rows[50], &rows[51], &rarity);
        let common = compare(&rows[0], &rows[1], &rarity);
        assert!(
            rare.features[1] > common.features[1],
            "a shared rare word ({:.2}) must outweigh a shared common one ({:.2})",
            rare.features[1],
            common.features[1]
        );
    }

    #[test]
    fn typos_still_match_and_conflicts_are_named() {
        let a = prep("Keller Precision Stamping", "Akron", Some("+13305550101"));
        let b = prep("Kellre Precision Stamping", "Akron", Some("+13305550101"));
        let c = prep("Keller Precision Stamping", "Dayton", Some("+19375550199"));
        let rarity = Rarity::new([&a, &b, &c].into_iter());
        let ab = compare(&a, &b, &rarity);
        assert!(ab.features[1] > 0.9, "{:?}", ab.features);
        assert!(ab.agreed.contains(&"same phone".to_owned()));
        assert!(!ab.hard_conflict);
        let ac = compare(&a, &c, &rarity);
        assert!(ac.hard_conflict, "different phones in different cities");
        assert!(ac.conflicted.contains(&"different city".to_owned()));
        assert!(hard_key_match(&a, &a.clone()));
        assert!(!hard_key_match(&a, &b), "name keys differ");
    }

    #[test]
    fn the_field_bound_is_never_below_the_score() {
        let model = crate::resolve::Model::shipped().unwrap();
        let names = [
            "Keller Precision Stamping",
            "Kellre Precision Stamping",
            "Acme Gear",
        ];
        let cities = ["Akron", "Dayton"];
        let phones = [None, Some("+13305550101"), Some("+19375550199")];
        let mut rows = Vec::new();
        for n in names {
            for c in cities {
                for p in phones {
                    let mut r = prep(n, c, p);
                    r.street = (c == "Akron").then(|| street_key("12 Main Street"));
                    r.postal = p.map(|_| if c == "Akron" { "44301" } else { "45402" }.into());
                    rows.push(r);
                }
            }
        }
        let rarity = Rarity::new(rows.iter());
        let mut pruned = 0;
        for a in &rows {
            for b in &rows {
                let f = features(a, b, &rarity);
                let z: f64 = model.weights.iter().zip(f.values).map(|(w, x)| w * x).sum();
                let bound = logit_bound(a, b, &model.weights);
                assert!(z <= bound + 1e-9, "{z} > {bound} for {a:?} / {b:?}");
                pruned += usize::from(bound < 0.0);
            }
        }
        assert!(pruned > 0, "some pairs are ruled out by their fields alone");
    }

    #[test]
    fn every_feature_has_a_name() {
        assert_eq!(FEATURES.len(), FEATURE_COUNT);
    }

    #[test]
    fn streets_compare_without_suites_and_abbreviations() {
        assert_eq!(
            street_key("1200 North Main Street, Suite 300"),
            "1200 n main st"
        );
        assert_eq!(street_key("1200 N. Main St."), "1200 n main st");
    }
}
