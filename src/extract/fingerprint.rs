//! Structural fingerprints of listing pages, for the MONITOR phase.
//!
//! A [`Fingerprint`] describes a page by its shape, not its content: a
//! histogram of element paths, how many records the extractor finds and how
//! often each key field is filled. [`compare`] decides whether two
//! fingerprints of the same URL differ in a way an analyst must hear about (the
//! site's layout changed under the crawler) and says what changed in words.

use std::collections::{BTreeMap, HashMap};

use scraper::{ElementRef, Html, Node};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ExtractContext, extract_page, looks_like_json};

/// Paths kept per page: enough for chrome plus the record list, small enough
/// to store one JSON blob per baseline.
const TOP_PATHS: usize = 64;
/// Trailing segments kept per path: deep wrapper soups still give distinct,
/// readable paths, and a new outer wrapper does not rename every path.
const PATH_SEGMENTS: usize = 8;
/// Guard against pathological nesting; deeper elements are not counted.
const MAX_DEPTH: usize = 256;
/// Tag-path cosine similarity below this is a layout change.
const SIMILARITY_THRESHOLD: f64 = 0.8;
/// A record count change smaller than this is never drift (2 -> 3 records).
const COUNT_FLOOR: usize = 5;
/// A field hit rate falling by this much is drift.
const FIELD_DROP: f64 = 0.3;
/// Hit rates over fewer records than this are too noisy to compare.
const MIN_RECORDS_FOR_RATES: usize = 5;
/// A path must repeat at least this often to count as a list.
const MIN_REPEAT: u32 = 3;
/// Segments shown when a path is named in a sentence.
const SHOWN_SEGMENTS: usize = 3;

/// Fields whose hit rates are tracked ("selector hit rates").
pub const TRACKED_FIELDS: [&str; 5] = ["name", "website", "phone", "city", "state"];

/// Tags whose subtrees say nothing about the visible layout.
const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas",
];

/// The shape of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Element paths (`body>main>table>tbody>tr`: tag plus first class, digits
    /// removed) and how often each occurs; the [`TOP_PATHS`] most frequent.
    pub tag_paths: BTreeMap<String, u32>,
    /// Records the extractor finds on the page.
    pub record_count: usize,
    /// Share of records with each of [`TRACKED_FIELDS`].
    pub field_hits: BTreeMap<String, f64>,
    /// Hash of the kept path names (not their counts), so a page with one more
    /// member keeps its hash.
    pub structure_hash: String,
}

/// What changed between a baseline and a new fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The changes in one line.
    pub summary: String,
    /// One sentence per change.
    pub changes: Vec<String>,
}

/// Fingerprints a page (HTML, or a JSON listing body).
pub fn fingerprint(html: &str, url: &str, ctx: &ExtractContext) -> Fingerprint {
    let histogram = if looks_like_json(html) {
        match serde_json::from_str::<serde_json::Value>(html.trim_start_matches('\u{feff}')) {
            Ok(v) => json_paths(&v),
            Err(_) => html_paths(html),
        }
    } else {
        html_paths(html)
    };
    let tag_paths = top_paths(histogram);
    let ex = extract_page(html, url, ctx);
    let (record_count, hits) = if ex.members.is_empty() {
        // Exhibitor lists yield participants rather than members.
        let parts: Vec<_> = ex.events.iter().flat_map(|e| &e.participants).collect();
        let hits = [
            parts.iter().filter(|p| p.company_name.is_some()).count(),
            parts.iter().filter(|p| p.company_domain.is_some()).count(),
            0,
            0,
            0,
        ];
        (parts.len(), hits)
    } else {
        let m = &ex.members;
        let hits = [
            m.iter().filter(|r| !r.name.is_empty()).count(),
            m.iter().filter(|r| r.website.is_some()).count(),
            m.iter().filter(|r| r.phone.is_some()).count(),
            m.iter().filter(|r| r.city.is_some()).count(),
            m.iter().filter(|r| r.state.is_some()).count(),
        ];
        (m.len(), hits)
    };
    let field_hits = TRACKED_FIELDS
        .iter()
        .zip(hits)
        .map(|(f, n)| {
            let rate = if record_count == 0 {
                0.0
            } else {
                n as f64 / record_count as f64
            };
            ((*f).to_owned(), rate)
        })
        .collect();
    let structure_hash = structure_hash(&tag_paths);
    Fingerprint {
        tag_paths,
        record_count,
        field_hits,
        structure_hash,
    }
}

fn structure_hash(paths: &BTreeMap<String, u32>) -> String {
    let mut h = Sha256::new();
    for p in paths.keys() {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())[..16].to_owned()
}

/// Keeps the most frequent paths; ties go by name so the choice is stable.
fn top_paths(all: HashMap<String, u32>) -> BTreeMap<String, u32> {
    let mut v: Vec<(String, u32)> = all.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(TOP_PATHS);
    v.into_iter().collect()
}

/// One path segment: tag plus its first class with digits removed, so
/// `post-123` and `post-124` (or an id-bearing class per page) look alike.
fn segment(el: &ElementRef<'_>) -> String {
    let tag = el.value().name();
    let class = el.value().classes().next().map(|c| {
        let c: String = c
            .chars()
            .filter(|ch| !ch.is_ascii_digit())
            .collect::<String>()
            .to_ascii_lowercase();
        c.trim_matches(|ch| ch == '-' || ch == '_').to_owned()
    });
    match class {
        Some(c) if !c.is_empty() => format!("{tag}.{c}"),
        _ => tag.to_owned(),
    }
}

fn html_paths(html: &str) -> HashMap<String, u32> {
    let doc = Html::parse_document(html);
    let mut out: HashMap<String, u32> = HashMap::new();
    let root = doc.root_element();
    let body = root
        .children()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "body")
        .unwrap_or(root);
    // Depth-first with an explicit stack: pages nest deeply and recursion
    // would put the thread's stack at the mercy of the site.
    let mut stack: Vec<(ElementRef<'_>, Vec<String>)> = vec![(body, Vec::new())];
    while let Some((el, parent)) = stack.pop() {
        if SKIP_TAGS.contains(&el.value().name()) || parent.len() >= MAX_DEPTH {
            continue;
        }
        let mut chain = parent;
        chain.push(segment(&el));
        let start = chain.len().saturating_sub(PATH_SEGMENTS);
        *out.entry(chain[start..].join(">")).or_default() += 1;
        for child in el.children() {
            if let Node::Element(_) = child.value()
                && let Some(c) = ElementRef::wrap(child)
            {
                stack.push((c, chain.clone()));
            }
        }
    }
    out
}

/// JSON listings: key paths with `[]` for array items stand in for tag paths.
fn json_paths(v: &serde_json::Value) -> HashMap<String, u32> {
    let mut out: HashMap<String, u32> = HashMap::new();
    let mut stack: Vec<(&serde_json::Value, String, usize)> = vec![(v, "$".to_owned(), 0)];
    while let Some((v, path, depth)) = stack.pop() {
        *out.entry(path.clone()).or_default() += 1;
        if depth >= PATH_SEGMENTS {
            continue;
        }
        match v {
            serde_json::Value::Object(m) => {
                for (k, c) in m {
                    stack.push((c, format!("{path}.{k}"), depth + 1));
                }
            }
            serde_json::Value::Array(a) => {
                for c in a {
                    stack.push((c, format!("{path}[]"), depth + 1));
                }
            }
            _ => {}
        }
    }
    out
}

fn cosine(a: &BTreeMap<String, u32>, b: &BTreeMap<String, u32>) -> f64 {
    let norm = |m: &BTreeMap<String, u32>| {
        m.values()
            .map(|v| f64::from(*v) * f64::from(*v))
            .sum::<f64>()
            .sqrt()
    };
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 && nb == 0.0 {
        return 1.0;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let dot: f64 = a
        .iter()
        .filter_map(|(k, v)| b.get(k).map(|w| f64::from(*v) * f64::from(*w)))
        .sum();
    dot / (na * nb)
}

/// The last few segments of a path: enough to recognise it in a sentence.
fn short(path: &str) -> String {
    let segs: Vec<&str> = path.split('>').collect();
    segs[segs.len().saturating_sub(SHOWN_SEGMENTS)..].join(">")
}

/// Repeated paths of `from` that lost more than half their occurrences in
/// `to`, most frequent first (shorter first on ties: the list item before its
/// cells).
fn vanished<'a>(
    from: &'a BTreeMap<String, u32>,
    to: &BTreeMap<String, u32>,
) -> Vec<(&'a str, u32)> {
    let mut v: Vec<(&str, u32)> = from
        .iter()
        .filter(|(k, n)| **n >= MIN_REPEAT && to.get(*k).copied().unwrap_or(0) * 2 < **n)
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| depth(a.0).cmp(&depth(b.0)))
            .then_with(|| a.0.cmp(b.0))
    });
    v
}

fn depth(path: &str) -> usize {
    path.matches('>').count()
}

/// Occurrences of elements below `path` in `paths`. Paths are suffixes, so a
/// full-length path is matched without its first segment.
fn descendants(path: &str, paths: &BTreeMap<String, u32>) -> u32 {
    let segs: Vec<&str> = path.split('>').collect();
    let tail = if segs.len() >= PATH_SEGMENTS {
        segs[1..].join(">")
    } else {
        path.to_owned()
    };
    let (head, inner) = (format!("{tail}>"), format!(">{tail}>"));
    paths
        .iter()
        .filter(|(q, _)| q.starts_with(&head) || q.contains(&inner))
        .map(|(_, n)| *n)
        .sum()
}

/// The path that most likely holds one record each: its count is close to
/// the record count, and among those the one with the most inside it (the
/// row rather than its cells, or a pager that happens to have as many links).
fn record_path<'a>(
    candidates: &[(&'a str, u32)],
    records: usize,
    paths: &BTreeMap<String, u32>,
) -> Option<(&'a str, u32)> {
    if records < MIN_REPEAT as usize {
        return candidates.first().copied();
    }
    let tolerance = (records / 4).max(1);
    candidates
        .iter()
        .filter(|(_, n)| (*n as usize).abs_diff(records) <= tolerance)
        .min_by(|a, b| {
            descendants(b.0, paths)
                .cmp(&descendants(a.0, paths))
                .then_with(|| {
                    (a.1 as usize)
                        .abs_diff(records)
                        .cmp(&(b.1 as usize).abs_diff(records))
                })
                .then_with(|| depth(a.0).cmp(&depth(b.0)))
                .then_with(|| a.0.cmp(b.0))
        })
        .copied()
}

fn pct(r: f64) -> String {
    format!("{:.0}%", (r * 100.0).round())
}

fn list(paths: &[(&str, u32)]) -> String {
    paths
        .iter()
        .take(3)
        .map(|(p, n)| format!("{} ({n})", short(p)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sentences about the element structure.
fn structure_changes(old: &Fingerprint, new: &Fingerprint) -> Vec<String> {
    let similarity = cosine(&old.tag_paths, &new.tag_paths);
    let gone = vanished(&old.tag_paths, &new.tag_paths);
    let appeared = vanished(&new.tag_paths, &old.tag_paths);
    let old_list = record_path(&gone, old.record_count, &old.tag_paths);
    // A record list that vanished is a layout change even when heavy page
    // chrome keeps the overall similarity high.
    let list_gone = old.record_count >= MIN_REPEAT as usize
        && record_path(
            &vanished(&old.tag_paths, &BTreeMap::new()),
            old.record_count,
            &old.tag_paths,
        )
        .is_some_and(|(p, _)| {
            let now = new.tag_paths.get(p).copied().unwrap_or(0) as usize;
            // Still holding the (fewer) records: the list shrank, it did not move.
            let still_list = new.record_count > 0
                && now.abs_diff(new.record_count) <= (new.record_count / 4).max(1);
            gone.iter().any(|(g, _)| *g == p) && !still_list
        });
    if similarity >= SIMILARITY_THRESHOLD && !list_gone {
        return Vec::new();
    }
    let new_target = if new.record_count > 0 {
        new.record_count
    } else {
        old.record_count
    };
    let new_list = record_path(&appeared, new_target, &new.tag_paths);
    let mut out = Vec::new();
    if similarity < SIMILARITY_THRESHOLD {
        out.push(format!(
            "page layout changed: element structure {} similar to the baseline",
            pct(similarity)
        ));
    }
    match (old_list, new_list) {
        (Some((o, on)), Some((n, nn))) => out.push(format!(
            "record list moved: {} ({on} per page) gone; {} appears {nn} times",
            short(o),
            short(n)
        )),
        (Some((o, on)), None) => out.push(format!(
            "record list {} ({on} per page) gone; no repeated structure replaces it",
            short(o)
        )),
        _ => {
            if !gone.is_empty() {
                out.push(format!("gone: {}", list(&gone)));
            }
            if !appeared.is_empty() {
                out.push(format!("new: {}", list(&appeared)));
            }
        }
    }
    out
}

fn count_change(old: usize, new: usize) -> Option<String> {
    if new == 0 && old >= 2 {
        return Some(format!("no records found (was {old})"));
    }
    let big = new * 2 < old || new * 2 > old * 3;
    if !big || old.abs_diff(new) < COUNT_FLOOR {
        return None;
    }
    let verb = if new < old { "fell" } else { "rose" };
    Some(format!("records per page {verb} from {old} to {new}"))
}

fn field_changes(old: &Fingerprint, new: &Fingerprint) -> Vec<String> {
    if old.record_count.min(new.record_count) < MIN_RECORDS_FOR_RATES {
        return Vec::new();
    }
    TRACKED_FIELDS
        .iter()
        .filter_map(|f| {
            let was = old.field_hits.get(*f).copied().unwrap_or(0.0);
            let now = new.field_hits.get(*f).copied().unwrap_or(0.0);
            // A small epsilon so 0.9 -> 0.6 (exactly 0.3 in decimal) counts.
            (was - now >= FIELD_DROP - 1e-9)
                .then(|| format!("{f} found on {} of records (was {})", pct(now), pct(was)))
        })
        .collect()
}

/// Whether `new` drifted from the baseline `old`, and how. Content changes
/// (other names, a member more or less) are not drift.
pub fn compare(old: &Fingerprint, new: &Fingerprint) -> Option<Drift> {
    let mut changes = structure_changes(old, new);
    changes.extend(count_change(old.record_count, new.record_count));
    changes.extend(field_changes(old, new));
    if changes.is_empty() {
        return None;
    }
    Some(Drift {
        summary: changes.join("; "),
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://assoc.example/directory/?page=2";
    const CITIES: [(&str, &str); 4] = [
        ("Cleveland", "OH"),
        ("Dayton", "OH"),
        ("Erie", "PA"),
        ("Flint", "MI"),
    ];

    struct Row {
        name: String,
        phone: bool,
    }

    fn rows(prefix: &str, n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| Row {
                name: format!(
                    "{prefix} {} Stamping Inc",
                    ["Acme", "Birch", "Cobalt", "Delta", "Ember"][i % 5]
                ) + &format!(" {}", i + 1),
                phone: true,
            })
            .collect()
    }

    fn chrome(main: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head><title>Directory</title><script>var x = 1;</script></head><body>\
             <header class=\"site-header\"><nav class=\"main-nav\"><ul>\
             <li><a href=\"/\">Home</a></li><li><a href=\"/about/\">About</a></li>\
             <li><a href=\"/events/\">Events</a></li><li><a href=\"/directory/\">Directory</a></li>\
             </ul></nav></header><main class=\"site-main\"><h1>Member Directory</h1>{main}\
             <nav class=\"pagination\"><a href=\"?page=1\">1</a> <a href=\"?page=3\" rel=\"next\">Next</a></nav>\
             </main><footer class=\"site-footer\"><p>Assoc, 1 Main St, Cleveland, OH 44101. (216) 555-0100</p></footer></body></html>"
        )
    }

    fn address(i: usize) -> (String, &'static str, &'static str) {
        let (city, state) = CITIES[i % CITIES.len()];
        (format!("{} Industrial Pkwy", 100 + i), city, state)
    }

    fn table_page(rows: &[Row]) -> String {
        let mut m = String::from(
            "<table class=\"member-directory\"><thead><tr><th>Company</th><th>Address</th><th>Phone</th><th>Web</th></tr></thead><tbody>",
        );
        for (i, r) in rows.iter().enumerate() {
            let (street, city, state) = address(i);
            let phone = if r.phone {
                format!("(330) 555-{:04}", 1000 + i)
            } else {
                String::new()
            };
            m.push_str(&format!(
                "<tr class=\"member-row\"><td class=\"member-name\">{}</td>\
                 <td class=\"member-address\">{street}, {city}, {state} 4410{}</td>\
                 <td class=\"member-phone\">{phone}</td>\
                 <td class=\"member-website\"><a href=\"http://www.member{i}.example/\">Website</a></td></tr>",
                r.name,
                i % 10
            ));
        }
        m.push_str("</tbody></table>");
        chrome(&m)
    }

    fn card_page(rows: &[Row]) -> String {
        let mut m = String::from("<div class=\"dir-app\"><div class=\"dir-app__results\">");
        for (i, r) in rows.iter().enumerate() {
            let (street, city, state) = address(i);
            m.push_str(&format!(
                "<article class=\"company-listing\"><h4 class=\"company-listing__name\">\
                 <a href=\"http://www.member{i}.example/\">{}</a></h4>\
                 <ul class=\"company-listing__meta\"><li>{street}, {city}, {state} 4410{}</li>\
                 <li>Tel. (330) 555-{:04}</li></ul></article>",
                r.name,
                i % 10,
                1000 + i
            ));
        }
        m.push_str("</div></div>");
        chrome(&m)
    }

    fn fp(html: &str) -> Fingerprint {
        fingerprint(html, URL, &ExtractContext::default())
    }

    #[test]
    fn fingerprint_sees_records_fields_and_paths() {
        let f = fp(&table_page(&rows("Old", 20)));
        assert_eq!(f.record_count, 20, "{f:?}");
        assert_eq!(f.field_hits["name"], 1.0);
        assert!(f.field_hits["phone"] > 0.9, "{f:?}");
        assert!(f.field_hits["city"] > 0.9, "{f:?}");
        let row = "body>main.site-main>table.member-directory>tbody>tr.member-row";
        assert_eq!(f.tag_paths.get(row), Some(&20), "{:?}", f.tag_paths);
        assert!(f.tag_paths.keys().all(|p| !p.contains("script")));
        assert_eq!(f.structure_hash.len(), 16);
    }

    #[test]
    fn identical_fingerprints_do_not_drift() {
        let f = fp(&table_page(&rows("Old", 20)));
        assert_eq!(compare(&f, &f.clone()), None);
    }

    #[test]
    fn content_changes_do_not_drift() {
        let old = fp(&table_page(&rows("Old", 20)));
        let renamed = fp(&table_page(&rows("New", 20)));
        assert_eq!(compare(&old, &renamed), None);
        assert_eq!(old.structure_hash, renamed.structure_hash);
        let one_more = fp(&table_page(&rows("New", 21)));
        assert_eq!(compare(&old, &one_more), None);
        // A short page staying short is no drift either (2 -> 3 records).
        let two = fp(&table_page(&rows("Old", 2)));
        let three = fp(&table_page(&rows("Old", 3)));
        assert_eq!(compare(&two, &three), None);
    }

    #[test]
    fn table_replaced_by_cards_drifts_and_names_the_move() {
        let old = fp(&table_page(&rows("Old", 20)));
        let new = fp(&card_page(&rows("Old", 20)));
        let d = compare(&old, &new).expect("layout change must drift");
        let moved = d
            .changes
            .iter()
            .find(|c| c.starts_with("record list moved"))
            .unwrap_or_else(|| panic!("no record-list sentence: {d:?}"));
        assert!(
            moved.contains("tbody>tr.member-row (20 per page) gone"),
            "{moved}"
        );
        assert!(
            moved.contains("article.company-listing appears 20 times"),
            "{moved}"
        );
        assert!(d.summary.contains("record list moved"));
    }

    #[test]
    fn phone_hit_rate_collapse_drifts() {
        let old = fp(&table_page(&rows("Old", 20)));
        let mut no_phone = rows("Old", 20);
        for r in &mut no_phone {
            r.phone = false;
        }
        let new = fp(&table_page(&no_phone));
        let d = compare(&old, &new).expect("phone collapse must drift");
        assert_eq!(
            d.changes,
            vec!["phone found on 0% of records (was 100%)".to_owned()]
        );
    }

    #[test]
    fn record_count_collapse_drifts() {
        let old = fp(&table_page(&rows("Old", 20)));
        let new = fp(&table_page(&[]));
        let d = compare(&old, &new).expect("empty list must drift");
        assert!(
            d.changes.iter().any(|c| c == "no records found (was 20)"),
            "{d:?}"
        );
    }

    #[test]
    fn json_listings_fingerprint_by_key_paths() {
        let body = r#"{"members":[{"name":"Acme Stamping","website":"http://acme.example"},{"name":"Birch Tool","website":"http://birch.example"}]}"#;
        let f = fingerprint(
            body,
            "http://assoc.example/api/members",
            &ExtractContext::default(),
        );
        assert_eq!(f.tag_paths.get("$.members[].name"), Some(&2), "{f:?}");
    }
}
