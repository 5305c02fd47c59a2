//! Which HTML elements carry no visible text and which break a line: shared
//! by extraction (flattening records) and signals (reading a page's text).

const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "select", "option", "button",
    "input", "textarea", "head", "object", "canvas",
];

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "ul",
    "br",
    "caption",
    "body",
    "html",
];

/// Elements whose content is not visible text (scripts, styles, form
/// controls, the head).
pub fn is_skip(name: &str) -> bool {
    SKIP_TAGS.contains(&name)
}

/// Elements that start a new line of text.
pub fn is_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name)
}
