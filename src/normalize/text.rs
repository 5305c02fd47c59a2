//! Untrusted text from the web: terminal escape sequences and control
//! characters are stripped, whitespace collapsed, HTML snippets sanitized.
//! Entities are already decoded by the HTML parser.

/// Removes ANSI/VT escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \`,
/// other two-byte `ESC x`, and their 8-bit C1 forms), then every other control
/// character, and collapses runs of whitespace into one space.
pub fn clean_text(s: &str) -> String {
    let stripped = strip_escapes(s);
    let mut out = String::with_capacity(stripped.len());
    let mut pending_space = false;
    for c in stripped.chars() {
        if c.is_whitespace() || c == '\u{a0}' {
            pending_space = true;
            continue;
        }
        if c.is_control() || is_invisible_format(c) {
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Like [`clean_text`] but keeps line breaks (one per line, each line collapsed,
/// empty lines dropped).
pub fn clean_lines(s: &str) -> String {
    strip_escapes(s)
        .split('\n')
        .map(clean_text)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bidi overrides and zero-width characters can disguise text in a terminal.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

pub(crate) fn strip_escapes(s: &str) -> String {
    if !s
        .chars()
        .any(|c| c == '\u{1b}' || ('\u{80}'..='\u{9f}').contains(&c))
    {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let (csi, osc) = match c {
            '\u{1b}' => match chars.get(i + 1) {
                Some('[') => {
                    i += 2;
                    (true, false)
                }
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    i += 2;
                    (false, true)
                }
                Some(_) => {
                    i += 2;
                    continue;
                }
                None => {
                    i += 1;
                    continue;
                }
            },
            '\u{9b}' => {
                i += 1;
                (true, false)
            }
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                i += 1;
                (false, true)
            }
            _ => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        if csi {
            // Parameters and intermediates, then one final byte in @..~.
            while i < chars.len() {
                let d = chars[i];
                i += 1;
                if ('@'..='~').contains(&d) {
                    break;
                }
            }
        } else if osc {
            // Until BEL, ST (ESC \) or the 8-bit ST.
            while i < chars.len() {
                let d = chars[i];
                if d == '\u{7}' || d == '\u{9c}' {
                    i += 1;
                    break;
                }
                if d == '\u{1b}' && chars.get(i + 1) == Some(&'\\') {
                    i += 2;
                    break;
                }
                i += 1;
            }
        }
    }
    out
}

/// Sanitizes an HTML snippet before it is stored (ammonia's safe defaults:
/// no scripts, no event handlers, no javascript: URLs).
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(&strip_escapes(html))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn strips_terminal_escapes_and_controls() {
        assert_eq!(
            clean_text("Acme\u{1b}[31m Red\u{1b}[0m  Inc"),
            "Acme Red Inc"
        );
        assert_eq!(clean_text("\u{1b}]0;pwned title\u{7}Acme"), "Acme");
        assert_eq!(
            clean_text("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(clean_text("a\u{0}b\u{8}c\r\n\t d"), "abc d");
        assert_eq!(clean_text("\u{9b}2JAcme"), "Acme");
        assert_eq!(clean_text("x\u{202e}y\u{200b}z"), "xyz");
        assert_eq!(clean_text("  \u{a0}Acme \n Tool  "), "Acme Tool");
        assert_eq!(clean_text("trailing\u{1b}"), "trailing");
    }

    #[test]
    fn lines_are_kept() {
        assert_eq!(clean_lines("a  b\n\n c \n"), "a b\nc");
    }

    #[test]
    fn html_is_sanitized() {
        let s = sanitize_html(
            "<p onclick=\"x()\">Hi<script>alert(1)</script><a href=\"javascript:x\">l</a></p>",
        );
        assert!(!s.contains("script"));
        assert!(!s.contains("onclick"));
        assert!(!s.contains("javascript"));
        assert!(s.contains("Hi"));
    }
}
