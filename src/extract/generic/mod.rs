//! The generic extractor for layouts nobody configured: find the repeated
//! record structure of a listing page, label each record's fields by content,
//! score candidate groups and keep the best.

pub mod label;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node};

use super::dom::{block_of, is_noise, is_skip};
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
}

#[derive(Default)]
struct Collector {
    by_class_path: HashMap<u64, Vec<NodeId>>,
    by_tag_path: HashMap<u64, Vec<NodeId>>,
    segments: Vec<Group>,
    count: usize,
}

fn class_key(e: &scraper::node::Element) -> String {
    let mut cls: Vec<String> = e
        .classes()
        .map(|c| {
            c.chars()
                .filter(|ch| !ch.is_ascii_digit())
                .collect::<String>()
        })
        .filter(|c| !c.is_empty())
        .collect();
    cls.sort();
    cls.dedup();
    cls.join(".")
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
        let hc2 = hash_of(hc, &[name, &ck]);
        let ht2 = hash_of(ht, &[name]);
        if !NOT_RECORD.contains(&name) {
            self.by_class_path.entry(hc2).or_default().push(node.id());
            self.by_tag_path.entry(ht2).or_default().push(node.id());
        }
        self.segments_of(node, name);
        for c in node.children() {
            self.walk(c, hc2, ht2, depth + 1);
        }
    }

    /// dl split at dt; containers split at hr or at double br.
    fn segments_of(&mut self, node: NodeRef<'_, Node>, name: &str) {
        let tag = |n: &NodeRef<'_, Node>| n.value().as_element().map(|e| e.name().to_owned());
        if name == "dl" {
            let mut recs: Vec<Vec<NodeId>> = Vec::new();
            for c in node.children() {
                match tag(&c).as_deref() {
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
                });
            }
            return;
        }
        let hrs = node
            .children()
            .filter(|c| tag(c).as_deref() == Some("hr"))
            .count();
        let brs = node
            .children()
            .filter(|c| tag(c).as_deref() == Some("br"))
            .count();
        if hrs < 2 && brs < 3 {
            return;
        }
        let mut recs: Vec<Vec<NodeId>> = vec![Vec::new()];
        let mut br_run = 0;
        for c in node.children() {
            let t = tag(&c);
            let is_ws = c.value().as_text().is_some_and(|t| t.trim().is_empty());
            match t.as_deref() {
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
            });
        }
    }
}

/// Column kinds of the table a row belongs to, from its header row.
fn table_columns(doc: &Html, row: NodeId) -> Option<Vec<Col>> {
    let row = doc.tree.get(row)?;
    let table = row
        .ancestors()
        .find(|a| a.value().as_element().is_some_and(|e| e.name() == "table"))?;
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
        if all_th || (known >= 2 && !digits && cols.contains(&Col::Name)) {
            return Some(cols);
        }
    }
    None
}

fn is_header_row(node: NodeRef<'_, Node>, cols: Option<&[Col]>) -> bool {
    let cells: Vec<_> = node
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .collect();
    if cells.is_empty() {
        return true;
    }
    if cells.iter().all(|c| c.value().name() == "th") {
        return true;
    }
    // A td header row: every cell text maps to its own column kind.
    cols.is_some_and(|cols| {
        cells
            .iter()
            .zip(cols)
            .all(|(c, k)| *k != Col::Other && header_col(&c.text().collect::<String>()) == *k)
            && cells
                .iter()
                .all(|c| !c.text().any(|t| t.chars().any(|ch| ch.is_ascii_digit())))
    })
}

struct Scored {
    score: f32,
    records: Vec<Labeled>,
}

fn evaluate(doc: &Html, g: &Group, pc: &PageCtx) -> Option<Scored> {
    let cols = if g.table_rows {
        g.records
            .first()
            .and_then(|r| r.first())
            .and_then(|id| table_columns(doc, *id))
    } else {
        None
    };
    let mut records = Vec::new();
    let mut total = 0.0f32;
    let mut considered = 0usize;
    let mut keys: Vec<String> = Vec::new();
    for rec in &g.records {
        let nodes: Vec<NodeRef<'_, Node>> = rec.iter().filter_map(|id| doc.tree.get(*id)).collect();
        if g.table_rows
            && let Some(n) = nodes.first()
            && is_header_row(*n, cols.as_deref())
        {
            continue;
        }
        considered += 1;
        let block = block_of(&nodes, true);
        let Some(l) = label_block(&block, cols.as_deref(), pc) else {
            continue;
        };
        if l.multi {
            total -= 1.0;
            continue;
        }
        let key = l
            .draft
            .name
            .as_deref()
            .map(crate::normalize::name_key)
            .unwrap_or_default();
        if keys.contains(&key) {
            total -= 0.5;
            continue;
        }
        keys.push(key);
        total += l.quality;
        records.push(l);
    }
    if records.is_empty() || considered == 0 {
        return None;
    }
    let coverage = records.len() as f32 / considered as f32;
    // Records with only a name need some other evidence across the group.
    let evidence = records
        .iter()
        .filter(|r| r.quality > 1.0 + f32::EPSILON)
        .count() as f32
        / records.len() as f32;
    if evidence < 0.5 {
        return None;
    }
    Some(Scored {
        score: total * coverage * coverage,
        records,
    })
}

/// The best group of records on a listing page, with each record's quality.
pub fn extract(doc: &Html, pc: &PageCtx) -> Vec<(Draft, f32)> {
    let mut c = Collector::default();
    c.walk(*doc.root_element(), 0, 0, 0);
    let mut groups: Vec<Group> = Vec::new();
    let mut singles: Vec<NodeId> = Vec::new();
    for map in [&c.by_class_path, &c.by_tag_path] {
        for ids in map.values() {
            if ids.len() >= 2 {
                let table_rows = doc
                    .tree
                    .get(ids[0])
                    .and_then(|n| n.value().as_element().map(|e| e.name() == "tr"))
                    .unwrap_or(false);
                groups.push(Group {
                    records: ids.iter().map(|i| vec![*i]).collect(),
                    table_rows,
                });
            } else if std::ptr::eq(map, &c.by_class_path) {
                singles.extend(ids.iter().copied());
            }
        }
    }
    groups.append(&mut c.segments);
    // Identical groups (same records) are evaluated once.
    let mut seen: std::collections::HashSet<Vec<Vec<NodeId>>> = std::collections::HashSet::new();
    let mut best: Option<Scored> = None;
    for g in &groups {
        if !seen.insert(g.records.clone()) {
            continue;
        }
        if let Some(s) = evaluate(doc, g, pc)
            && best.as_ref().is_none_or(|b| s.score > b.score)
        {
            best = Some(s);
        }
    }
    let best = match best {
        Some(b) => b,
        None => {
            // One record alone on the page (e.g. the last page of a listing):
            // the tightest element holding a strong record.
            let mut one: Option<(f32, usize, Labeled)> = None;
            for id in singles {
                let Some(n) = doc.tree.get(id) else { continue };
                let block = block_of(&[n], true);
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
                Some((q, _, l)) => Scored {
                    score: q,
                    records: vec![l],
                },
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
