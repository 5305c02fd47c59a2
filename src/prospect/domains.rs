//! Reading a list of company domains: one domain or URL per line, or a CSV
//! with a domain/website column. Blank lines, comments, duplicates and
//! entries that are not domains are reported with their line numbers and
//! skipped; nothing else stops the list.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// Header names taken as the domain column of a CSV (lower case, spaces,
/// `-` and `_` ignored).
const DOMAIN_HEADERS: &[&str] = &[
    "domain",
    "domainname",
    "website",
    "websiteurl",
    "web",
    "site",
    "url",
    "homepage",
    "companydomain",
    "companywebsite",
];

/// One domain to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedDomain {
    /// 1-based line of the file.
    pub line: usize,
    /// The text as given.
    pub input: String,
    /// Registrable domain, lower case, no `www.`.
    pub domain: String,
    /// The address given, when it was a full URL (tried first).
    pub url: Option<String>,
}

/// Why a line was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Skip {
    Blank,
    Comment,
    /// The domain is already on line `first`.
    Duplicate {
        first: usize,
    },
    Invalid {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedLine {
    pub line: usize,
    pub text: String,
    #[serde(flatten)]
    pub skip: Skip,
}

impl std::fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: String = self.text.chars().take(60).collect();
        match &self.skip {
            Skip::Blank => write!(f, "line {}: blank", self.line),
            Skip::Comment => write!(f, "line {}: comment", self.line),
            Skip::Duplicate { first } => {
                write!(f, "line {}: {text:?} repeats line {first}", self.line)
            }
            Skip::Invalid { why } => write!(f, "line {}: {text:?}: {why}", self.line),
        }
    }
}

/// A list as read: the domains to visit, in file order, and every line
/// left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DomainList {
    pub domains: Vec<ListedDomain>,
    pub skipped: Vec<SkippedLine>,
    /// The CSV column the domains came from (`None`: one per line).
    pub column: Option<String>,
}

impl DomainList {
    /// Skipped lines that were not blank or comments: what the analyst
    /// should look at.
    pub fn problems(&self) -> impl Iterator<Item = &SkippedLine> {
        self.skipped
            .iter()
            .filter(|s| matches!(s.skip, Skip::Duplicate { .. } | Skip::Invalid { .. }))
    }
}

/// Reads and parses a list file. An unreadable or empty file is an error;
/// bad lines are not.
pub fn read_list(path: &Path) -> Result<DomainList> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the domain list {}", path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Spreadsheets saved on Windows: Windows-1252.
        Err(e) => encoding_rs::WINDOWS_1252
            .decode(e.as_bytes())
            .0
            .into_owned(),
    };
    let list = parse_list(&text);
    if list.domains.is_empty() {
        let why = match list.problems().next() {
            Some(p) => format!("; the first problem: {p}"),
            None => String::new(),
        };
        bail!("{}: no domain to read in the list{why}", path.display());
    }
    Ok(list)
}

/// The domain of one entry: a bare domain, a host or a URL.
pub fn domain_of_entry(entry: &str) -> Result<(String, Option<String>), String> {
    let e = entry
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    if e.is_empty() {
        return Err("empty".into());
    }
    if e.contains(char::is_whitespace) {
        return Err("has spaces; expected a domain such as acme.com or a URL".into());
    }
    if e.contains('@') && !e.contains("://") {
        return Err("looks like an email address, not a domain".into());
    }
    let has_scheme = e.contains("://");
    let with_scheme = if has_scheme {
        e.to_string()
    } else {
        format!("http://{e}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|err| format!("not a domain or URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https sites can be read, not {}:",
            url.scheme()
        ));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(_) => return Err("an IP address is not a company domain".into()),
        None => return Err("has no host".into()),
    };
    if !host.contains('.') {
        return Err(format!("{host:?} has no top-level domain"));
    }
    let domain = crate::normalize::registrable_domain(&host)
        .ok_or_else(|| format!("{host:?} is not under a known public suffix"))?;
    let domain = domain.strip_prefix("www.").unwrap_or(&domain).to_string();
    let given = has_scheme.then(|| url.to_string());
    Ok((domain, given))
}

fn header_key(h: &str) -> String {
    h.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The domain column of a CSV header line, when the first real line is one.
fn csv_column(first: &str) -> Option<(usize, String, u8)> {
    for delim in [b',', b';', b'\t'] {
        if !first.contains(delim as char) && !DOMAIN_HEADERS.contains(&header_key(first).as_str()) {
            continue;
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delim)
            .from_reader(first.as_bytes());
        let Some(Ok(rec)) = rdr.records().next() else {
            continue;
        };
        // The most specific name wins: a "Domain" column over a "URL" one.
        let mut best: Option<(usize, usize, String)> = None;
        for (i, h) in rec.iter().enumerate() {
            if let Some(rank) = DOMAIN_HEADERS.iter().position(|d| *d == header_key(h))
                && best.as_ref().is_none_or(|(r, _, _)| rank < *r)
            {
                best = Some((rank, i, h.trim().to_string()));
            }
        }
        if let Some((_, i, name)) = best {
            return Some((i, name, delim));
        }
    }
    None
}

/// Parses list text (see [`read_list`]).
pub fn parse_list(text: &str) -> DomainList {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = DomainList::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let first_real = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let column = first_real.and_then(|(i, l)| csv_column(l).map(|c| (i, c)));
    if let Some((_, (_, name, _))) = &column {
        out.column = Some(name.clone());
    }
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        let skip = |skip: Skip| SkippedLine {
            line,
            text: trimmed.to_string(),
            skip,
        };
        if trimmed.is_empty() {
            out.skipped.push(skip(Skip::Blank));
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            out.skipped.push(skip(Skip::Comment));
            continue;
        }
        let entry = match &column {
            Some((header_line, _)) if *header_line == i => continue,
            Some((_, (col, name, delim))) => {
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .delimiter(*delim)
                    .flexible(true)
                    .from_reader(raw.as_bytes());
                match rdr.records().next() {
                    Some(Ok(rec)) => match rec.get(*col) {
                        Some(v) if !v.trim().is_empty() => v.trim().to_string(),
                        _ => {
                            out.skipped.push(skip(Skip::Invalid {
                                why: format!("no value in column {name:?}"),
                            }));
                            continue;
                        }
                    },
                    Some(Err(e)) => {
                        out.skipped.push(skip(Skip::Invalid {
                            why: format!("unreadable CSV row: {e}"),
                        }));
                        continue;
                    }
                    None => continue,
                }
            }
            None => trimmed.to_string(),
        };
        match domain_of_entry(&entry) {
            Ok((domain, url)) => {
                if let Some(first) = seen.get(&domain) {
                    out.skipped.push(skip(Skip::Duplicate { first: *first }));
                    continue;
                }
                seen.insert(domain.clone(), line);
                out.domains.push(ListedDomain {
                    line,
                    input: entry,
                    domain,
                    url,
                });
            }
            Err(why) => out.skipped.push(skip(Skip::Invalid { why })),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_with_every_kind_of_bad_line() {
        let text = "\u{feff}# my prospects\nacme.com\n\nhttps://www.Widget.co.uk/about\nACME.COM\nnot a domain\nlocalhost\n192.168.1.4\nmailto:x@y.com\nbob@acme.com\nhttp://shop.gears.example/\n";
        let l = parse_list(text);
        let got: Vec<(&str, usize)> = l
            .domains
            .iter()
            .map(|d| (d.domain.as_str(), d.line))
            .collect();
        assert_eq!(
            got,
            vec![("acme.com", 2), ("widget.co.uk", 4), ("gears.example", 11)]
        );
        assert_eq!(
            l.domains[1].url.as_deref(),
            Some("https://www.widget.co.uk/about")
        );
        assert_eq!(l.domains[0].url, None);
        let kinds: Vec<(usize, &Skip)> = l.skipped.iter().map(|s| (s.line, &s.skip)).collect();
        assert!(matches!(kinds[0], (1, Skip::Comment)));
        assert!(matches!(kinds[1], (3, Skip::Blank)));
        assert!(matches!(kinds[2], (5, Skip::Duplicate { first: 2 })));
        for (line, want) in [
            (6, "spaces"),
            (7, "top-level"),
            (8, "IP address"),
            (9, "mailto"),
            (10, "email"),
        ] {
            let s = l.skipped.iter().find(|s| s.line == line).unwrap();
            assert!(s.to_string().contains(want), "line {line}: {s}");
        }
        assert_eq!(l.problems().count(), 6);
    }

    #[test]
    fn csv_with_a_website_column_and_quoted_cells() {
        let text = "Company,City,Website\n\"Acme, Inc.\",Dayton,https://acme.com\nBeta LLC,Troy,\nGamma,Erie,www.gamma.net\n";
        let l = parse_list(text);
        assert_eq!(l.column.as_deref(), Some("Website"));
        let got: Vec<&str> = l.domains.iter().map(|d| d.domain.as_str()).collect();
        assert_eq!(got, vec!["acme.com", "gamma.net"]);
        let bad = l.problems().next().unwrap();
        assert_eq!(bad.line, 3);
        assert!(bad.to_string().contains("no value in column"), "{bad}");
    }

    #[test]
    fn a_domain_column_beats_a_url_column_and_semicolons_work() {
        let l = parse_list("url;Domain\nhttp://x.com/a;acme.org\n");
        assert_eq!(l.column.as_deref(), Some("Domain"));
        assert_eq!(l.domains[0].domain, "acme.org");
    }

    #[test]
    fn a_one_column_csv_header_is_not_a_domain() {
        let l = parse_list("website\nacme.com\n");
        assert_eq!(l.domains.len(), 1);
        assert!(l.problems().next().is_none());
    }

    #[test]
    fn an_empty_list_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.txt");
        std::fs::write(&p, "# nothing\n\nnope\n").unwrap();
        let e = read_list(&p).unwrap_err().to_string();
        assert!(e.contains("d.txt") && e.contains("no domain"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }
}
