//! The generic extractor for layouts nobody configured: find the repeated
//! record structure of a listing page, label each record's fields by content,
//! score candidate groups and keep the best.

pub mod label;

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node};

use super::dom::{block_of_capped, heading_level, is_noise, is_skip};
use super::{Draft, PageCtx};
use label::{Col, Labeled, header_col, label_block};

/// Tags that never hold a whole record on their own.
const NOT_RECORD: &[&str] = &[
    "span", "b", "strong", "em", "i", "small", "td", "th", "br", "img", "label", "font", "sup",
    "sub", "u", "abbr", "html", "body", "head", "thead", "tbody", "tfoot", "hr", "h1", "h2", "h3",
    "h4", "h5", "h6", "dt", "dd", "cite", "time", "picture", "source",
];

/// One candidate group: records as runs of sibling nodes.
struct Group {
    records: Vec<Vec<NodeId>>,
    table_rows: bool,
    /// How the group was formed, for `--explain`.
    kind: &'static str,
    /// Tag and classes of the items of a class-path group (0 for others):
    /// the same items listed in another container have the same.
    sig: u64,
}

#[derive(Default)]
struct Collector {
    by_class_path: HashMap<u64, Vec<NodeId>>,
    by_tag_path: HashMap<u64, Vec<NodeId>>,
    segments: Vec<Group>,
    /// Runs from one heading to the next, keyed by container path and
    /// heading tag, so sibling articles of one list form one group.
    headed: HashMap<u64, Vec<Vec<NodeId>>>,
    count: usize,
}

/// The element's classes with digits removed, as a set: a hash of the
/// sorted distinct class hashes (no strings built; this runs per element).
fn class_key(e: &scraper::node::Element) -> u64 {
    let mut hs = [0u64; 16];
    let mut n = 0;
    for c in e.classes() {
        let mut h = DefaultHasher::new();
        let mut any = false;
        for b in c.bytes().filter(|b| !b.is_ascii_digit()) {
            h.write_u8(b);
            any = true;
        }
        if any && n < hs.len() {
            hs[n] = h.finish();
            n += 1;
        }
    }
    let hs = &mut hs[..n];
    hs.sort_unstable();
    let mut h = DefaultHasher::new();
    let mut last = None;
    for x in hs.iter() {
        if last != Some(*x) {
            h.write_u64(*x);
            last = Some(*x);
        }
    }
    h.finish()
}

/// Tag and classes of element `id`, hashed; 0 when it is no element.
fn item_sig(doc: &Html, id: NodeId) -> u64 {
    let Some(e) = doc.tree.get(id).and_then(|n| n.value().as_element()) else {
        return 0;
    };
    let mut h = DefaultHasher::new();
    (e.name(), class_key(e)).hash(&mut h);
    h.finish().max(1)
}

/// An element's tag name.
fn tag_name<'a>(n: &NodeRef<'a, Node>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

fn hash_of(parent: u64, parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parent.hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

impl Collector {
    fn walk(&mut self, node: NodeRef<'_, Node>, hc: u64, ht: u64, depth: usize) {
        if depth > 150 || self.count > 400_000 {
            return;
        }
        let Some(el) = ElementRef::wrap(node) else {
            return;
        };
        let name = el.value().name();
        if is_skip(name) || is_noise(&el) {
            return;
        }
        self.count += 1;
        let ck = class_key(el.value());
        let mut h = DefaultHasher::new();
        (hc, name, ck).hash(&mut h);
        let hc2 = h.finish();
        let ht2 = hash_of(ht, &[name]);
        if !NOT_RECORD.contains(&name) {
            self.by_class_path.entry(hc2).or_default().push(node.id());
            self.by_tag_path.entry(ht2).or_default().push(node.id());
        }
        self.segments_of(node, name);
        self.heading_runs(node, hc2);
        for c in node.children() {
            self.walk(c, hc2, ht2, depth + 1);
        }
    }

    /// dl split at dt; containers split at hr or at double br.
    fn segments_of(&mut self, node: NodeRef<'_, Node>, name: &str) {
        if name == "dl" {
            let mut recs: Vec<Vec<NodeId>> = Vec::new();
            for c in node.children() {
                match tag_name(&c) {
                    Some("dt") => recs.push(vec![c.id()]),
                    Some(_) => {
                        if let Some(r) = recs.last_mut() {
                            r.push(c.id());
                        }
                    }
                    None => {}
                }
            }
            if recs.len() >= 2 {
                self.segments.push(Group {
                    records: recs,
                    table_rows: false,
                    kind: "definition list split at each <dt>",
                    sig: 0,
                });
            }
            return;
        }
        let hrs = node
            .children()
            .filter(|c| tag_name(c) == Some("hr"))
            .count();
        let brs = node
            .children()
            .filter(|c| tag_name(c) == Some("br"))
            .count();
        if hrs < 2 && brs < 3 {
            return;
        }
        let mut recs: Vec<Vec<NodeId>> = vec![Vec::new()];
        let mut br_run = 0;
        for c in node.children() {
            let t = tag_name(&c);
            let is_ws = c.value().as_text().is_some_and(|t| t.trim().is_empty());
            match t {
                Some("hr") => {
                    recs.push(Vec::new());
                    br_run = 0;
                }
                Some("br") => {
                    br_run += 1;
                    if br_run == 2 {
                        recs.push(Vec::new());
                    } else if let Some(r) = recs.last_mut() {
                        r.push(c.id());
                    }
                }
                _ if is_ws => {}
                _ => {
                    br_run = 0;
                    if let Some(r) = recs.last_mut() {
                        r.push(c.id());
                    }
                }
            }
        }
        recs.retain(|r| !r.is_empty());
        if recs.len() >= 2 {
            self.segments.push(Group {
                records: recs,
                table_rows: false,
                kind: "one container split at <hr> or double <br>",
                sig: 0,
            });
        }
    }

    /// A container whose children are headings with content between them:
    /// each heading and what follows it up to the next heading of the same
    /// or a higher level is one record.
    fn heading_runs(&mut self, node: NodeRef<'_, Node>, path: u64) {
        // h2-h6: an h1 titles the page, not one of its records.
        let level = |n: &NodeRef<'_, Node>| tag_name(n).and_then(heading_level).filter(|l| *l >= 2);
        let mut counts = [0usize; 7];
        for c in node.children() {
            if let Some(l) = level(&c) {
                counts[l as usize] += 1;
            }
        }
        // The most frequent heading level that has content after it.
        let Some(lv) = (2..7).max_by_key(|l| (counts[*l], std::cmp::Reverse(*l))) else {
            return;
        };
        if counts[lv] == 0 {
            return;
        }
        let mut recs: Vec<Vec<NodeId>> = Vec::new();
        let mut open = false;
        for c in node.children() {
            match level(&c) {
                Some(l) if l as usize == lv => {
                    recs.push(vec![c.id()]);
                    open = true;
                }
                Some(l) if (l as usize) < lv => open = false,
                _ => {
                    if open
                        && c.value().as_text().is_none_or(|t| !t.trim().is_empty())
                        && let Some(r) = recs.last_mut()
                    {
                        r.push(c.id());
                    }
                }
            }
        }
        recs.retain(|r| r.len() >= 2);
        if !recs.is_empty() {
            self.headed
                .entry(hash_of(path, &["headed", &lv.to_string()]))
                .or_default()
                .extend(recs);
        }
    }
}

/// `div.card < li.item < ul.grid`: the first node of a record and its
/// nearest ancestors, for `--explain`.
fn describe(doc: &Html, id: NodeId) -> String {
    let Some(n) = doc.tree.get(id) else {
        return String::new();
    };
    let one = |n: NodeRef<'_, Node>| -> Option<String> {
        let e = n.value().as_element()?;
        let cls: Vec<&str> = e.classes().take(2).collect();
        Some(if cls.is_empty() {
            e.name().to_owned()
        } else {
            format!("{}.{}", e.name(), cls.join("."))
        })
    };
    std::iter::once(n)
        .chain(n.ancestors())
        .filter_map(one)
        .take(4)
        .collect::<Vec<_>>()
        .join(" < ")
}

/// The table a row belongs to.
fn table_of(doc: &Html, row: NodeId) -> Option<NodeId> {
    doc.tree
        .get(row)?
        .ancestors()
        .find(|a| a.value().as_element().is_some_and(|e| e.name() == "table"))
        .map(|t| t.id())
}

/// Column kinds of the table a row belongs to, from its header row, and
/// that row.
fn table_columns(doc: &Html, row: NodeId) -> Option<(NodeId, Vec<Col>)> {
    let table = doc.tree.get(table_of(doc, row)?)?;
    let table = ElementRef::wrap(table)?;
    for tr in table
        .descendent_elements()
        .filter(|e| e.value().name() == "tr")
        .take(2)
    {
        let cells: Vec<ElementRef<'_>> = tr
            .child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .collect();
        let all_th = !cells.is_empty() && cells.iter().all(|c| c.value().name() == "th");
        let cols: Vec<Col> = cells
            .iter()
            .map(|c| header_col(&c.text().collect::<String>()))
            .collect();
        let known = cols.iter().filter(|c| **c != Col::Other).count();
        let digits = cells
            .iter()
            .any(|c| c.text().any(|t| t.chars().any(|ch| ch.is_ascii_digit())));
        // Short words without links in every cell: a header written in <td>s.
        let labels = cells.len() >= 2
            && cells.iter().all(|c| {
                c.text().collect::<String>().split_whitespace().count() <= 4
                    && c.descendent_elements().all(|e| e.value().name() != "a")
            });
        if all_th || (cols.contains(&Col::Name) && !digits && (known >= 2 || labels)) {
            return Some((tr.id(), cols));
        }
    }
    None
}

fn is_header_row(node: NodeRef<'_, Node>, header: Option<NodeId>) -> bool {
    let cells: Vec<_> = node
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .collect();
    cells.is_empty() || cells.iter().all(|c| c.value().name() == "th") || header == Some(node.id())
}

struct Scored {
    score: f32,
    records: Vec<Labeled>,
    /// Fraction of the group's items that became records.
    coverage: f32,
    /// Fraction of records with more than a name.
    evidence: f32,
    /// Rows of a table whose header names a name column ("Company", "Firm").
    named_table: bool,
    /// Scored on a sample of the group's items: `records` holds only those.
    sampled: bool,
    /// The group's item signature ([`Group::sig`]).
    sig: u64,
}

/// Why a group was not a record list.
#[derive(Debug, Clone, Copy)]
enum Reject {
    NoRecords,
    OnlyNames { records: usize, emphasized: usize },
    SectionsWithoutContacts { records: usize, reachable: usize },
}

const HEADING_RUNS: &str = "runs from one heading to the next";

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reject::NoRecords => write!(f, "no item reads as a record"),
            Reject::OnlyNames {
                records,
                emphasized,
            } => write!(
                f,
                "{records} records with little besides a name, only {emphasized} of the names set off as a heading, bold text or link"
            ),
            Reject::SectionsWithoutContacts { records, reachable } => write!(
                f,
                "{records} sections under headings, only {reachable} with a website, phone, email or place"
            ),
        }
    }
}

/// Groups longer than this are first scored on this many of their items,
/// spread evenly; only the most promising are then read whole.
const SAMPLE: usize = 32;
/// How many of the best sampled groups are read whole (besides every
/// table with a name column, which may join the chosen one).
const READ_WHOLE: usize = 3;

/// Scores group `g`: every item, or with `sample` an evenly spread sample
/// of that many items whose score stands for the whole group.
fn evaluate(doc: &Html, g: &Group, pc: &PageCtx, sample: Option<usize>) -> Result<Scored, Reject> {
    let (header, cols) = if g.table_rows {
        match g
            .records
            .first()
            .and_then(|r| r.first())
            .and_then(|id| table_columns(doc, *id))
        {
            Some((h, c)) => (Some(h), Some(c)),
            None => (None, None),
        }
    } else {
        (None, None)
    };
    let named_table = cols.as_ref().is_some_and(|c| c.contains(&Col::Name));
    let mut records = Vec::new();
    let mut total = 0.0f32;
    let mut considered = 0usize;
    let mut keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    let n = g.records.len();
    let m = sample.map_or(n, |k| k.clamp(1, n.max(1)));
    let sampled = m < n;
    for rec in (0..m).filter_map(|j| g.records.get(j * n / m)) {
        let nodes: Vec<NodeRef<'_, Node>> = rec.iter().filter_map(|id| doc.tree.get(*id)).collect();
        if g.table_rows
            && let Some(n) = nodes.first()
            && is_header_row(*n, header)
        {
            continue;
        }
        considered += 1;
        let block = block_of_capped(&nodes, true, label::MAX_LINES);
        let Some(l) = label_block(&block, cols.as_deref(), pc) else {
            continue;
        };
        if l.multi {
            total -= 1.0;
            continue;
        }
        if !keys.insert(l.key.clone()) {
            total -= 0.5;
            continue;
        }
        total += l.quality;
        records.push(l);
    }
    if records.is_empty() || considered == 0 {
        return Err(Reject::NoRecords);
    }
    // A sample's score and counts stand for the whole group's.
    let scale = n as f32 / m as f32;
    total *= scale;
    let estimated = records.len() as f32 * scale;
    let coverage = records.len() as f32 / considered as f32;
    // Records with only a name need some other evidence across the group:
    // fields, or at least names set off the way list entries are.
    let evidence = records
        .iter()
        .filter(|r| r.quality > 1.0 + f32::EPSILON)
        .count() as f32
        / records.len() as f32;
    // Sections of a page under headings are records only when most of
    // them give a way to reach an organisation: a home page's news and
    // service sections link to the site's own pages, never to a website,
    // a phone or a place.
    if g.kind == HEADING_RUNS {
        let reachable = records
            .iter()
            .filter(|r| {
                let d = &r.draft;
                d.website.is_some() || d.phone.is_some() || d.email.is_some() || d.city.is_some()
            })
            .count();
        if reachable * 10 < records.len() * 6 {
            return Err(Reject::SectionsWithoutContacts {
                records: records.len(),
                reachable,
            });
        }
    }
    // A header naming the name column says what the rows are.
    let mut factor = if named_table { 1.25 } else { 1.0 };
    if evidence < 0.5 {
        let emphasized = if named_table {
            records.len()
        } else {
            records.iter().filter(|r| r.emphasized).count()
        };
        // Headlines and section titles are sentences or single topics in a
        // short run; a list of names alone must be long and name-shaped.
        let long = records
            .iter()
            .filter(|r| {
                r.draft
                    .name
                    .as_deref()
                    .is_some_and(|n| n.split_whitespace().count() >= 5)
            })
            .count();
        if estimated < 10.0 || emphasized * 10 < records.len() * 9 || long * 5 > records.len() {
            return Err(Reject::OnlyNames {
                records: records.len(),
                emphasized,
            });
        }
        factor *= 0.6;
    }
    Ok(Scored {
        score: total * coverage * coverage * factor,
        records,
        coverage,
        evidence,
        named_table,
        sampled,
        sig: g.sig,
    })
}

/// Finishes the chosen record list with what the other groups read:
/// further tables of organisations (each with a name column) join it, and
/// a group naming mostly the same organisations (the whole card around a
/// chosen header, say) fills the fields the chosen records lack.
fn complete_from_others(best: &mut Scored, others: Vec<Scored>, pc: &PageCtx) {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, r) in best.records.iter().enumerate() {
        index.entry(r.key.clone()).or_insert(i);
    }
    let mut tables = 0;
    let mut filled = 0;
    for o in others {
        let same = o
            .records
            .iter()
            .filter(|r| index.contains_key(r.key.as_str()))
            .count();
        if best.named_table && o.named_table && same * 2 < o.records.len() {
            tables += 1;
            best.records.extend(o.records);
            continue;
        }
        if same * 10 < best.records.len() * 8 {
            continue;
        }
        for r in o.records {
            let Some(&i) = index.get(r.key.as_str()) else {
                continue;
            };
            let d = &mut best.records[i].draft;
            let before = [d.website.is_some(), d.phone.is_some(), d.city.is_some()];
            let x = r.draft;
            d.website = d.website.take().or(x.website);
            d.phone = d.phone.take().or(x.phone);
            d.email = d.email.take().or(x.email);
            if d.city.is_none() && d.state.is_none() {
                d.street = d.street.take().or(x.street);
                d.city = x.city;
                d.state = x.state;
                d.postal_code = d.postal_code.take().or(x.postal_code);
            }
            d.country = d.country.take().or(x.country);
            d.profile_url = d.profile_url.take().or(x.profile_url);
            d.booth = d.booth.take().or(x.booth);
            d.membership_type = d.membership_type.take().or(x.membership_type);
            if before != [d.website.is_some(), d.phone.is_some(), d.city.is_some()] {
                filled += 1;
            }
        }
    }
    if tables > 0 {
        pc.explain(|| format!("generic: {tables} more table(s) with a name column added"));
    }
    if filled > 0 {
        pc.explain(|| {
            format!(
                "generic: {filled} records completed from a group naming the same organisations"
            )
        });
    }
}

/// Adds to the chosen list the groups of the same items (same tag and
/// classes) in other containers that read as records too: a listing split
/// into sections or "page 2" batches. Returns the other groups.
fn join_same_items(best: &mut Scored, others: Vec<Scored>, pc: &PageCtx) -> Vec<Scored> {
    if best.sig == 0 {
        return others;
    }
    let mut rest = Vec::new();
    let mut joined = 0;
    for o in others {
        if o.sig == best.sig && o.score > 0.0 && o.coverage * 10.0 >= best.coverage * 7.0 {
            joined += o.records.len();
            best.records.extend(o.records);
        } else {
            rest.push(o);
        }
    }
    if joined > 0 {
        pc.explain(|| {
            format!("generic: {joined} more records of the same items in other containers")
        });
    }
    rest
}

/// Reads whole the sampled groups that may be chosen or joined: the few
/// with the best estimates that come near the best whole score, and every
/// table with a name column. The other sampled scores stay estimates.
fn read_best_whole(doc: &Html, groups: &[Group], scored: &mut Vec<(usize, Scored)>, pc: &PageCtx) {
    let best_whole = scored
        .iter()
        .filter(|(_, s)| !s.sampled)
        .map(|(_, s)| s.score)
        .fold(0.0f32, f32::max);
    let mut order: Vec<usize> = (0..scored.len()).filter(|i| scored[*i].1.sampled).collect();
    order.sort_by(|a, b| scored[*b].1.score.total_cmp(&scored[*a].1.score));
    let mut whole: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(rank, i)| {
            let s = &scored[**i].1;
            s.named_table || (*rank < READ_WHOLE && s.score * 2.0 >= best_whole)
        })
        .map(|(_, i)| *i)
        .collect();
    // The same items in another container (a listing in several sections
    // or batches) may join whichever of these is chosen.
    let top = whole
        .iter()
        .map(|i| scored[*i].1.score)
        .fold(best_whole, f32::max);
    let sigs: HashSet<u64> = scored
        .iter()
        .filter(|(_, s)| s.sig != 0 && s.score * 2.0 >= top)
        .map(|(_, s)| s.sig)
        .collect();
    for i in order {
        let s = &scored[i].1;
        if s.sig != 0 && sigs.contains(&s.sig) && s.score > 0.0 && !whole.contains(&i) {
            whole.push(i);
        }
    }
    let mut gone = Vec::new();
    for i in whole {
        match evaluate(doc, &groups[scored[i].0], pc, None) {
            Ok(s) => scored[i].1 = s,
            Err(_) => gone.push(i),
        }
    }
    gone.sort_unstable();
    for i in gone.into_iter().rev() {
        scored.remove(i);
    }
}

/// The best group of records on a listing page, with each record's quality.
pub fn extract(doc: &Html, pc: &PageCtx) -> Vec<(Draft, f32)> {
    let mut c = Collector::default();
    c.walk(*doc.root_element(), 0, 0, 0);
    let mut groups: Vec<Group> = Vec::new();
    let mut singles: Vec<NodeId> = Vec::new();
    // Which class-path group each element is in, and its size: a tag-path
    // group that is mostly one class-path group only adds look-alikes from
    // other parts of the page (a hero, a filter list) to it.
    let mut class_group: HashMap<NodeId, (u64, usize)> = HashMap::new();
    for (k, ids) in &c.by_class_path {
        for id in ids {
            class_group.insert(*id, (*k, ids.len()));
        }
    }
    let mostly_one_class = |ids: &[NodeId]| {
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for id in ids {
            if let Some((k, n)) = class_group.get(id)
                && *n >= 2
            {
                *counts.entry(*k).or_default() += 1;
            }
        }
        let top = counts.values().copied().max().unwrap_or(0);
        top < ids.len() && top * 10 >= ids.len() * 8
    };
    for (map, kind) in [
        (
            &c.by_class_path,
            "elements with the same tag and class path",
        ),
        (&c.by_tag_path, "elements with the same tag path"),
    ] {
        for ids in map.values() {
            if ids.len() >= 2 && std::ptr::eq(map, &c.by_tag_path) && mostly_one_class(ids) {
                continue;
            }
            if ids.len() >= 2 {
                let table_rows = doc
                    .tree
                    .get(ids[0])
                    .and_then(|n| n.value().as_element().map(|e| e.name() == "tr"))
                    .unwrap_or(false);
                if table_rows {
                    // Rows of different tables have different columns: one
                    // group per table.
                    let mut per_table: Vec<(Option<NodeId>, Vec<Vec<NodeId>>)> = Vec::new();
                    for id in ids {
                        let t = table_of(doc, *id);
                        match per_table.iter_mut().find(|(k, _)| *k == t) {
                            Some((_, v)) => v.push(vec![*id]),
                            None => per_table.push((t, vec![vec![*id]])),
                        }
                    }
                    for (_, records) in per_table {
                        if records.len() >= 2 {
                            groups.push(Group {
                                records,
                                table_rows,
                                kind: "table rows",
                                sig: 0,
                            });
                        }
                    }
                } else {
                    let sig = if std::ptr::eq(map, &c.by_class_path) {
                        item_sig(doc, ids[0])
                    } else {
                        0
                    };
                    groups.push(Group {
                        records: ids.iter().map(|i| vec![*i]).collect(),
                        table_rows,
                        kind,
                        sig,
                    });
                }
            } else if std::ptr::eq(map, &c.by_class_path) {
                singles.extend(ids.iter().copied());
            }
        }
    }
    groups.append(&mut c.segments);
    for recs in c.headed.into_values() {
        if recs.len() >= 2 {
            groups.push(Group {
                records: recs,
                table_rows: false,
                kind: HEADING_RUNS,
                sig: 0,
            });
        }
    }
    // Identical groups (same records) are evaluated once; long groups are
    // first scored on a sample.
    let mut seen: std::collections::HashSet<&[Vec<NodeId>]> = std::collections::HashSet::new();
    let mut scored: Vec<(usize, Scored)> = Vec::new();
    let mut tried: Vec<(f32, String)> = Vec::new();
    let explaining = pc.trace.is_some();
    for (gi, g) in groups.iter().enumerate() {
        if !seen.insert(&g.records) {
            continue;
        }
        match evaluate(doc, g, pc, Some(SAMPLE)) {
            Ok(s) => scored.push((gi, s)),
            Err(why) => {
                if explaining
                    && g.records.len() >= 5
                    && let Some(id) = g.records.first().and_then(|r| r.first())
                {
                    tried.push((
                        f32::NEG_INFINITY,
                        format!(
                            "rejected: {} items, {} ({}): {why}",
                            g.records.len(),
                            g.kind,
                            describe(doc, *id)
                        ),
                    ));
                }
            }
        }
    }
    read_best_whole(doc, &groups, &mut scored, pc);
    let mut best: Option<Scored> = None;
    let mut others: Vec<Scored> = Vec::new();
    for (gi, s) in scored {
        let g = &groups[gi];
        if explaining && let Some(id) = g.records.first().and_then(|r| r.first()) {
            tried.push((
                s.score,
                format!(
                    "score {:.1}{}: {} records from {} items, {} ({}); {:.0}% of items read as records, {:.0}% with more than a name; first: {:?}",
                    s.score,
                    if s.sampled { " (estimated from a sample)" } else { "" },
                    if s.sampled { g.records.len() } else { s.records.len() },
                    g.records.len(),
                    g.kind,
                    describe(doc, *id),
                    s.coverage * 100.0,
                    s.evidence * 100.0,
                    s.records.first().and_then(|r| r.draft.name.clone()).unwrap_or_default(),
                ),
            ));
        }
        if s.sampled {
            continue;
        }
        if best.as_ref().is_none_or(|b| s.score > b.score) {
            if let Some(b) = best.replace(s) {
                others.push(b);
            }
        } else {
            others.push(s);
        }
    }
    if explaining {
        tried.sort_by(|a, b| b.0.total_cmp(&a.0));
        pc.explain(|| {
            format!(
                "generic: {} candidate groups; the best {} (the first is the record list):",
                seen.len(),
                tried.len().min(8)
            )
        });
        for (_, t) in tried.iter().filter(|t| t.0.is_finite()).take(5) {
            pc.explain(|| format!("  {t}"));
        }
        for (_, t) in tried.iter().filter(|t| !t.0.is_finite()).take(3) {
            pc.explain(|| format!("  {t}"));
        }
    }
    if let Some(b) = best.as_mut() {
        let others = join_same_items(b, others, pc);
        complete_from_others(b, others, pc);
    }
    let best = match best {
        Some(b) => b,
        None => {
            // One record alone on the page (e.g. the last page of a listing):
            // the tightest element holding a strong record.
            let mut one: Option<(f32, usize, Labeled)> = None;
            for id in singles {
                let Some(n) = doc.tree.get(id) else { continue };
                let block = block_of_capped(&[n], true, label::MAX_LINES);
                if block.text_len() > 2000 {
                    continue;
                }
                let Some(l) = label_block(&block, None, pc) else {
                    continue;
                };
                let fields = [
                    l.draft.website.is_some(),
                    l.draft.phone.is_some(),
                    l.draft.city.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if l.multi || (fields < 2 && !(l.name_links_profile && block.lines.len() == 1)) {
                    continue;
                }
                let len = block.text_len();
                if one
                    .as_ref()
                    .is_none_or(|(q, bl, _)| l.quality > *q || (l.quality == *q && len < *bl))
                {
                    one = Some((l.quality, len, l));
                }
            }
            match one {
                Some((q, _, l)) => {
                    pc.explain(|| {
                        "generic: no repeated structure; one record alone on the page".into()
                    });
                    Scored {
                        score: q,
                        records: vec![l],
                        coverage: 1.0,
                        evidence: 1.0,
                        named_table: false,
                        sampled: false,
                        sig: 0,
                    }
                }
                None => return Vec::new(),
            }
        }
    };
    best.records
        .into_iter()
        .map(|l| {
            let conf = (0.35 + 0.2 * l.quality).clamp(0.0, 1.0);
            (l.draft, conf)
        })
        .collect()
}
