//! DOM helpers: noise detection, and flattening a record's nodes into text
//! lines and links.

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};

pub use crate::normalize::html::{is_block, is_skip};
use crate::normalize::text::clean_text;

/// One visual line of a record.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub text: String,
    /// Inside h1-h6, strong, b or a `*name*`/`*title*` class.
    pub strong: bool,
    /// Href of the link this line is in (raw).
    pub href: Option<String>,
    /// Lower-cased class names / itemprop of enclosing elements inside the record.
    pub hint: String,
    /// Column index when inside a table cell.
    pub cell: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// A record's nodes flattened.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub lines: Vec<Line>,
    pub links: Vec<Link>,
}

impl Block {
    pub fn text_len(&self) -> usize {
        self.lines.iter().map(|l| l.text.len()).sum()
    }
}

const NOISE_TAGS: &[&str] = &["nav", "header", "footer", "aside", "form"];

const NOISE_TOKENS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "main-menu",
    "mainmenu",
    "site-header",
    "siteheader",
    "site-footer",
    "sitefooter",
    "footer",
    "page-footer",
    "header",
    "page-header",
    "masthead",
    "sidebar",
    "side-bar",
    "breadcrumb",
    "breadcrumbs",
    "social",
    "social-links",
    "socials",
    "share",
    "sharing",
    "cookie",
    "cookies",
    "cookie-banner",
    "pagination",
    "pager",
    "skip-link",
    "topbar",
    "top-bar",
    "utility-nav",
    "subnav",
    "widget",
    "banner",
];

const NOISE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
];

/// Whether an element is page chrome (navigation, header, footer, sidebar,
/// social links, cookie banner, pagination) rather than content.
pub fn is_noise(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    let name = v.name();
    if matches!(name, "header" | "footer") && inside_content(el) {
        return false;
    }
    if NOISE_TAGS.contains(&name) || is_skip(name) {
        return true;
    }
    // One pass over the attributes (looking each up by name interns it).
    for (k, val) in v.attrs() {
        let noise = match k {
            "role" => NOISE_ROLES.iter().any(|n| n.eq_ignore_ascii_case(val)),
            "aria-hidden" => val == "true",
            "hidden" => true,
            "id" => is_noise_token(val),
            _ => false,
        };
        if noise {
            return true;
        }
    }
    v.classes().any(is_noise_token)
}

/// An attribute's value, found by comparing names (`Element::attr` interns
/// the name it is given on every call).
pub fn attr_of<'a>(e: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    e.attrs().find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// A class or id token of page chrome or of an ad slot, in any case.
fn is_noise_token(t: &str) -> bool {
    let t: std::borrow::Cow<'_, str> = if t.bytes().any(|b| b.is_ascii_uppercase()) {
        t.to_ascii_lowercase().into()
    } else {
        t.into()
    };
    NOISE_TOKENS.contains(&t.as_ref()) || is_ad_token(&t)
}

/// A `<header>`/`<footer>` inside an article, section, list item, cell or
/// link is a card's own header (its name), not the page's chrome.
fn inside_content(el: &ElementRef<'_>) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| {
        matches!(
            a.value().name(),
            "article" | "section" | "li" | "td" | "dd" | "main" | "a"
        )
    })
}

/// Class or id tokens of advertising slots and promotions ("ad", "ads",
/// "advert", "sponsored", "promo", "blog-column-ad", "ad-slot").
fn is_ad_token(t: &str) -> bool {
    matches!(
        t,
        "ad" | "ads"
            | "advert"
            | "adverts"
            | "advertisement"
            | "advertising"
            | "sponsored"
            | "promo"
            | "promotion"
            | "adsbygoogle"
    ) || t.starts_with("ad-")
        || t.starts_with("ad_")
        || t.starts_with("ads-")
        || t.starts_with("advert")
        || t.ends_with("-ad")
        || t.ends_with("-ads")
        || t.ends_with("_ad")
        || t.contains("-ad-")
        || t.ends_with("-promo")
        || t.starts_with("promo-")
}

struct Builder<'a> {
    block: Block,
    cur: String,
    cur_strong: bool,
    cur_href: Option<&'a str>,
    cur_hint: String,
    cur_cell: Option<usize>,
    /// Lower-cased classes and itemprops of the elements open around the
    /// current node, space-separated (a stack: cut back on leaving one).
    hints: String,
    /// Stop once the block has more lines than this.
    max_lines: usize,
}

/// What the enclosing elements say about the text inside them.
#[derive(Clone, Copy, Default)]
struct Ctx<'a> {
    strong: bool,
    href: Option<&'a str>,
    cell: Option<usize>,
}

impl<'a> Builder<'a> {
    fn flush(&mut self) {
        let t = clean_text(&self.cur);
        if !t.is_empty() {
            self.block.lines.push(Line {
                text: t,
                strong: self.cur_strong,
                href: self.cur_href.take().map(str::to_owned),
                hint: std::mem::take(&mut self.cur_hint),
                cell: self.cur_cell,
            });
        }
        self.cur.clear();
        self.cur_strong = false;
        self.cur_href = None;
        self.cur_hint.clear();
        self.cur_cell = None;
    }

    fn text(&mut self, t: &str, ctx: Ctx<'a>) {
        if t.trim().is_empty() {
            if !self.cur.is_empty() {
                self.cur.push(' ');
            }
            return;
        }
        if self.cur.trim().is_empty() {
            self.cur_strong = ctx.strong;
            self.cur_hint.clone_from(&self.hints);
            self.cur_cell = ctx.cell;
        } else {
            self.cur_strong &= ctx.strong;
        }
        if self.cur_href.is_none() {
            self.cur_href = ctx.href;
        }
        self.cur.push_str(t);
    }

    /// Adds an element's classes and itemprop to the hint stack; whether
    /// one of them names a name or a title.
    fn push_hints(&mut self, e: &'a scraper::node::Element) -> bool {
        let start = self.hints.len();
        for part in e.classes().chain(attr_of(e, "itemprop")) {
            if !self.hints.is_empty() {
                self.hints.push(' ');
            }
            self.hints
                .extend(part.chars().map(|c| c.to_ascii_lowercase()));
        }
        let added = &self.hints[start..];
        added.contains("name") || added.contains("title")
    }

    fn walk(&mut self, node: NodeRef<'a, Node>, ctx: Ctx<'a>, skip_noise: bool, depth: usize) {
        if depth > 200 || self.block.lines.len() > self.max_lines {
            return;
        }
        match node.value() {
            Node::Text(t) => self.text(&t.text, ctx),
            Node::Element(e) => {
                let name = e.name();
                if is_skip(name) {
                    return;
                }
                if skip_noise
                    && let Some(er) = ElementRef::wrap(node)
                    && is_noise(&er)
                {
                    return;
                }
                let block = is_block(name);
                if block {
                    self.flush();
                }
                let mut c = ctx;
                let mark = self.hints.len();
                let named = self.push_hints(e);
                if named
                    || matches!(
                        name,
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "strong" | "b" | "header"
                    )
                {
                    c.strong = true;
                }
                // A paid link ("rel=sponsored") is an advertisement's, not
                // the record's.
                if name == "a"
                    && attr_of(e, "rel").is_some_and(|r| {
                        r.split_ascii_whitespace()
                            .any(|t| t.eq_ignore_ascii_case("sponsored"))
                    })
                {
                    self.hints.truncate(mark);
                    return;
                }
                if name == "a"
                    && let Some(h) = attr_of(e, "href")
                {
                    let mut text = String::new();
                    if let Some(er) = ElementRef::wrap(node) {
                        for (k, t) in er.text().enumerate() {
                            if k > 0 {
                                text.push(' ');
                            }
                            text.push_str(t);
                        }
                    }
                    let h = h.trim();
                    self.block.links.push(Link {
                        href: h.to_owned(),
                        text: clean_text(&text),
                    });
                    c.href = Some(h);
                    // A link starts its own line fragment so its href is its own.
                    if !self.cur.trim().is_empty() && self.cur_href.is_none() {
                        self.flush();
                    }
                }
                if matches!(name, "td" | "th") {
                    c.cell = Some(cell_index(node));
                }
                for child in node.children() {
                    self.walk(child, c, skip_noise, depth + 1);
                }
                self.hints.truncate(mark);
                if block || name == "a" {
                    self.flush();
                }
            }
            _ => {}
        }
    }
}

/// 1 for `h1` ... 6 for `h6`; `None` for any other tag.
pub fn heading_level(tag: &str) -> Option<u8> {
    match tag {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Index of a td/th among its row's cells (colspan ignored).
pub fn cell_index(node: NodeRef<'_, Node>) -> usize {
    node.prev_siblings()
        .filter(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "td" | "th"))
        })
        .count()
}

/// Flattens sibling nodes (one record) into lines and links. Noise subtrees
/// are skipped when `skip_noise`.
pub fn block_of<'a>(nodes: &[NodeRef<'a, Node>], skip_noise: bool) -> Block {
    block_of_capped(nodes, skip_noise, usize::MAX)
}

/// [`block_of`] that stops once it has more than `max_lines` lines (a
/// caller that rejects longer blocks need not read whole page sections).
pub fn block_of_capped<'a>(
    nodes: &[NodeRef<'a, Node>],
    skip_noise: bool,
    max_lines: usize,
) -> Block {
    let mut b = Builder {
        block: Block::default(),
        cur: String::new(),
        cur_strong: false,
        cur_href: None,
        cur_hint: String::new(),
        cur_cell: None,
        hints: String::new(),
        max_lines,
    };
    for n in nodes {
        b.walk(*n, Ctx::default(), skip_noise, 0);
    }
    b.flush();
    b.block
}

/// All text of noise regions (header/footer/nav/sidebar), for recognizing the
/// site's own contact details.
pub fn noise_text(root: ElementRef<'_>) -> String {
    let mut out = String::new();
    collect_noise(*root, &mut out, 0);
    out
}

fn collect_noise(node: NodeRef<'_, Node>, out: &mut String, depth: usize) {
    if depth > 200 {
        return;
    }
    if let Some(er) = ElementRef::wrap(node) {
        if is_skip(er.value().name()) {
            return;
        }
        if is_noise(&er) {
            for t in er.text() {
                out.push_str(t);
                out.push('\n');
            }
            return;
        }
    }
    for c in node.children() {
        collect_noise(c, out, depth + 1);
    }
}
