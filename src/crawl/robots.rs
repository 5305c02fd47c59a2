//! robots.txt (RFC 9309). Verdicts come from the `texting_robots` crate;
//! this module adds what it lacks: the RFC's handling of unavailable and
//! unreachable files, the product token of our User-Agent, and an
//! explanation naming the line that decided each URL.
//!
//! Bodies and URLs are tidied before the crate sees them, for what it does
//! not do itself: it skips a byte-order mark, whole or cut short, but not
//! the U+FFFD such a cut mark becomes in our lossily decoded cached copy;
//! and it percent-encodes non-ASCII characters (in rules and URLs alike)
//! but compares existing `%xx` escapes byte for byte, so `%c3%a9` and
//! `%C3%A9` differ to it. Parsing and matching stay the crate's.

use texting_robots::Robot;

/// How the robots.txt of a site was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsSource {
    /// A 2xx response with this body.
    Fetched,
    /// 4xx: "unavailable", everything may be crawled (RFC 9309 §2.3.1.3).
    Unavailable(u16),
    /// 5xx or network failure: "unreachable", nothing may be crawled (§2.3.1.4).
    Unreachable(String),
}

/// One allow/disallow line of the group(s) that apply to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLine {
    /// 1-based line number in robots.txt.
    pub line: usize,
    pub allow: bool,
    pub pattern: String,
}

impl std::fmt::Display for RuleLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {}: {}",
            self.line,
            if self.allow { "Allow" } else { "Disallow" },
            self.pattern
        )
    }
}

/// The verdict for one URL and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub rule: Option<RuleLine>,
    pub reason: String,
}

/// The policy of one site for one crawler.
#[derive(Debug)]
pub struct RobotsPolicy {
    robot: Option<Robot>,
    pub source: RobotsSource,
    pub agent_token: String,
    /// The user-agent line of the group that applies ("*" or our token).
    pub group: Option<String>,
    rules: Vec<RuleLine>,
    pub crawl_delay: Option<f64>,
    pub sitemaps: Vec<String>,
    /// Set when the file could not be parsed at all (everything allowed).
    pub parse_error: Option<String>,
}

/// The product token of a User-Agent string: `nam/0.1 (...)` -> `nam`.
pub fn product_token(user_agent: &str) -> String {
    user_agent
        .split(|c: char| c == '/' || c.is_whitespace())
        .find(|t| !t.is_empty())
        .unwrap_or("*")
        .to_string()
}

/// What may stand before the first line in place of a UTF-8 byte-order
/// mark, longest first: the mark, U+FFFD (a cut-short mark after lossy
/// decoding), and the mark cut short after two bytes or one.
const BOM_REMNANTS: [&[u8]; 4] = [b"\xEF\xBB\xBF", b"\xEF\xBF\xBD", b"\xEF\xBB", b"\xEF"];

/// `body` without the byte-order mark(s), whole or partial, it starts with.
fn strip_bom(mut body: &[u8]) -> &[u8] {
    while let Some(rest) = BOM_REMNANTS.iter().find_map(|m| body.strip_prefix(*m)) {
        body = rest;
    }
    body
}

/// Upper-cases the two hex digits of each `%xx` escape in place, the
/// normal form of RFC 3986 §6.2.2.1 that RFC 9309 §2.2.2 recommends.
fn upper_hex_escapes(text: &mut [u8]) {
    let mut i = 0;
    while i + 2 < text.len() {
        if text[i] == b'%' && text[i + 1].is_ascii_hexdigit() && text[i + 2].is_ascii_hexdigit() {
            text[i + 1].make_ascii_uppercase();
            text[i + 2].make_ascii_uppercase();
            i += 3;
        } else {
            i += 1;
        }
    }
}

/// Whether a robots.txt line is a Sitemap line (in any spelling the crate
/// accepts); its URL is reported as written, so its escapes are left alone.
fn is_sitemap_line(line: &[u8]) -> bool {
    let key: Vec<u8> = line
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'\t'))
        .take(8)
        .map(u8::to_ascii_lowercase)
        .collect();
    [&b"sitemap"[..], b"site-map", b"site map"]
        .iter()
        .any(|k| key.starts_with(k))
}

/// The body handed to the crate: no leading byte-order mark, and the
/// escapes of every line but Sitemap ones in upper-case hex. Line breaks are
/// kept, so line numbers still point into the file as fetched.
fn prepare_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for line in strip_bom(body).split_inclusive(|b| matches!(b, b'\n' | b'\r')) {
        let start = out.len();
        out.extend_from_slice(line);
        if !is_sitemap_line(line) {
            upper_hex_escapes(&mut out[start..]);
        }
    }
    out
}

/// The URL (or path) handed to the crate: its escapes in upper-case hex.
/// Raw non-ASCII characters are left for the crate to encode.
fn prepare_url(url: &str) -> String {
    let mut bytes = url.as_bytes().to_vec();
    upper_hex_escapes(&mut bytes);
    // Only ASCII letters changed, so the bytes are still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| url.to_string())
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("").trim()
}

/// The allow/disallow lines of the groups that apply to `token` (merged, as
/// RFC 9309 §2.2.1 asks), falling back to the `*` groups.
fn applicable_rules(txt: &str, token: &str) -> (Option<String>, Vec<RuleLine>) {
    let token = token.to_ascii_lowercase();
    // (agents of the group, rules)
    let mut groups: Vec<(Vec<String>, Vec<RuleLine>)> = Vec::new();
    let mut in_agents = false;
    for (i, raw) in txt.lines().enumerate() {
        let line = strip_comment(raw);
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        match key.as_str() {
            "user-agent" => {
                if !in_agents {
                    groups.push((Vec::new(), Vec::new()));
                    in_agents = true;
                }
                if let Some(g) = groups.last_mut() {
                    g.0.push(value.to_ascii_lowercase());
                }
            }
            "allow" | "disallow" => {
                in_agents = false;
                if let Some(g) = groups.last_mut() {
                    g.1.push(RuleLine {
                        line: i + 1,
                        allow: key == "allow",
                        pattern: value,
                    });
                }
            }
            "sitemap" => {}
            _ => in_agents = false,
        }
    }
    let mine: Vec<&(Vec<String>, Vec<RuleLine>)> = groups
        .iter()
        .filter(|(agents, _)| agents.contains(&token))
        .collect();
    let (name, chosen) = if mine.is_empty() {
        (
            "*".to_string(),
            groups
                .iter()
                .filter(|(agents, _)| agents.iter().any(|a| a == "*"))
                .collect::<Vec<_>>(),
        )
    } else {
        (token.clone(), mine)
    };
    if chosen.is_empty() {
        return (None, Vec::new());
    }
    let rules = chosen
        .into_iter()
        .flat_map(|(_, r)| r.iter().cloned())
        .filter(|r| !r.pattern.is_empty())
        .collect();
    (Some(name), rules)
}

/// Does one robots pattern match the URL? Asked of the crate with a
/// one-rule file so matching semantics (`*`, `$`, percent-encoding) are
/// the crate's, not ours.
fn pattern_matches(pattern: &str, url: &str) -> bool {
    let txt = format!("User-agent: *\nDisallow: {pattern}\n");
    match Robot::new("*", txt.as_bytes()) {
        Ok(r) => !r.allowed(url),
        Err(_) => false,
    }
}

impl RobotsPolicy {
    /// Parses a fetched robots.txt for a crawler with this User-Agent.
    pub fn parse(user_agent: &str, body: &[u8]) -> RobotsPolicy {
        let token = product_token(user_agent);
        let body = prepare_body(body);
        let txt = String::from_utf8_lossy(&body).into_owned();
        let (group, rules) = applicable_rules(&txt, &token);
        match Robot::new(&token, &body) {
            Ok(robot) => RobotsPolicy {
                crawl_delay: robot
                    .delay
                    .map(f64::from)
                    .filter(|d| d.is_finite() && *d >= 0.0),
                sitemaps: robot.sitemaps.clone(),
                robot: Some(robot),
                source: RobotsSource::Fetched,
                agent_token: token,
                group,
                rules,
                parse_error: None,
            },
            Err(e) => RobotsPolicy {
                robot: None,
                source: RobotsSource::Fetched,
                agent_token: token,
                group: None,
                rules: Vec::new(),
                crawl_delay: None,
                sitemaps: Vec::new(),
                parse_error: Some(format!("{e:#}")),
            },
        }
    }

    /// A site whose robots.txt answered 4xx: everything allowed.
    pub fn unavailable(user_agent: &str, status: u16) -> RobotsPolicy {
        RobotsPolicy {
            robot: None,
            source: RobotsSource::Unavailable(status),
            agent_token: product_token(user_agent),
            group: None,
            rules: Vec::new(),
            crawl_delay: None,
            sitemaps: Vec::new(),
            parse_error: None,
        }
    }

    /// A site whose robots.txt could not be fetched (5xx, network): nothing allowed.
    pub fn unreachable(user_agent: &str, why: &str) -> RobotsPolicy {
        RobotsPolicy {
            robot: None,
            source: RobotsSource::Unreachable(why.to_string()),
            agent_token: product_token(user_agent),
            group: None,
            rules: Vec::new(),
            crawl_delay: None,
            sitemaps: Vec::new(),
            parse_error: None,
        }
    }

    /// Quick verdict.
    pub fn allowed(&self, url: &str) -> bool {
        match (&self.source, &self.robot) {
            (RobotsSource::Unreachable(_), _) => false,
            (_, Some(r)) => r.allowed(&prepare_url(url)),
            _ => true,
        }
    }

    /// Verdict with the rule that decided it.
    pub fn decide(&self, url: &str) -> Decision {
        match &self.source {
            RobotsSource::Unreachable(why) => {
                return Decision {
                    allowed: false,
                    rule: None,
                    reason: format!("robots.txt unreachable ({why}): nothing may be crawled"),
                };
            }
            RobotsSource::Unavailable(code) => {
                return Decision {
                    allowed: true,
                    rule: None,
                    reason: format!("robots.txt unavailable (HTTP {code}): everything allowed"),
                };
            }
            RobotsSource::Fetched => {}
        }
        if let Some(e) = &self.parse_error {
            return Decision {
                allowed: true,
                rule: None,
                reason: format!("robots.txt could not be parsed ({e}): everything allowed"),
            };
        }
        let allowed = self.allowed(url);
        if url_path(url) == "/robots.txt" {
            return Decision {
                allowed: true,
                rule: None,
                reason: "robots.txt itself is always allowed".into(),
            };
        }
        // Longest matching pattern wins; on a tie, allow wins (RFC 9309 §2.2.2).
        let prepared = prepare_url(url);
        let best = self
            .rules
            .iter()
            .filter(|r| pattern_matches(&r.pattern, &prepared))
            .max_by_key(|r| (r.pattern.len(), r.allow));
        let group = self.group.as_deref().unwrap_or("*");
        match best {
            Some(r) if r.allow == allowed => Decision {
                allowed,
                reason: format!("group user-agent: {group}, longest match {r}"),
                rule: Some(r.clone()),
            },
            _ if self.group.is_none() => Decision {
                allowed,
                rule: None,
                reason: format!(
                    "no group for user-agent {:?} or *: everything allowed",
                    self.agent_token
                ),
            },
            None => Decision {
                allowed,
                rule: None,
                reason: format!("group user-agent: {group}, no rule matches: allowed"),
            },
            Some(_) => Decision {
                allowed,
                rule: None,
                reason: format!("group user-agent: {group}"),
            },
        }
    }

    /// The rules of the group that applies to us.
    pub fn rules(&self) -> &[RuleLine] {
        &self.rules
    }
}

fn url_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split('?').next().unwrap_or("/").to_string(),
    }
}

/// `nam robots`: explain robots.txt verdicts.
#[derive(Debug, Clone, clap::Args)]
pub struct RobotsArgs {
    /// A robots.txt file on disk, or a site URL whose /robots.txt is fetched.
    #[arg(value_name = "ROBOTS_FILE_OR_SITE_URL")]
    pub source: String,
    /// User-Agent to evaluate for (its product token is matched).
    #[arg(long, default_value = concat!("nam/", env!("CARGO_PKG_VERSION")))]
    pub agent: String,
    /// URLs (or paths) to check.
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
}

/// Runs `nam robots`; returns the number of disallowed URLs.
pub async fn cli(
    args: RobotsArgs,
    settings: &crate::config::CrawlSettings,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<usize> {
    use anyhow::Context;
    let is_url = args.source.starts_with("http://") || args.source.starts_with("https://");
    if is_url {
        let site = crate::normalize::urls::normalize(&args.source)?;
        // The one polite path, as the agent being asked about.
        let mut settings = settings.clone();
        settings.user_agent = args.agent.clone();
        let polite = super::polite::PoliteFetcher::new(&settings, None)?;
        return polite
            .with_robots(&site, |policy| explain(&args, policy, out))
            .await;
    }
    let body = std::fs::read(&args.source)
        .with_context(|| format!("cannot read robots file {}", args.source))?;
    explain(&args, &RobotsPolicy::parse(&args.agent, &body), out)
}

/// Prints the verdict for each URL; returns how many are disallowed.
fn explain(
    args: &RobotsArgs,
    policy: &RobotsPolicy,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<usize> {
    writeln!(
        out,
        "robots: {}  agent token: {}  group: {}{}",
        args.source,
        policy.agent_token,
        policy.group.as_deref().unwrap_or("(none)"),
        policy
            .crawl_delay
            .map(|d| format!("  crawl-delay: {d}s"))
            .unwrap_or_default()
    )?;
    let mut disallowed = 0;
    for u in &args.urls {
        let d = policy.decide(u);
        if !d.allowed {
            disallowed += 1;
        }
        writeln!(
            out,
            "{:<10} {}  ({})",
            if d.allowed { "allowed" } else { "DISALLOWED" },
            u,
            d.reason
        )?;
    }
    Ok(disallowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "FooBot/1.0 (+https://foo.example/bot)";

    fn p(txt: &str) -> RobotsPolicy {
        RobotsPolicy::parse(UA, txt.as_bytes())
    }

    #[test]
    fn product_token_is_the_first_word() {
        assert_eq!(product_token(UA), "FooBot");
        assert_eq!(product_token("nam"), "nam");
    }

    /// RFC 9309 §5.1, the example file.
    const RFC_EXAMPLE: &str = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\nUser-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\nUser-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\nUser-Agent: quxbot\n\nEOF\n";

    #[test]
    fn rfc_example_groups() {
        let foo = RobotsPolicy::parse("foobot", RFC_EXAMPLE.as_bytes());
        assert!(foo.allowed("http://x.example/example/page.html"));
        assert!(foo.allowed("http://x.example/example/allowed.gif"));
        assert!(!foo.allowed("http://x.example/publications/"));
        assert!(!foo.allowed("http://x.example/"));
        for bot in ["barbot", "bazbot"] {
            let b = RobotsPolicy::parse(bot, RFC_EXAMPLE.as_bytes());
            assert!(!b.allowed("http://x.example/example/page.html"), "{bot}");
            assert!(b.allowed("http://x.example/example/other.gif"), "{bot}");
        }
        // An empty group allows everything.
        let qux = RobotsPolicy::parse("quxbot", RFC_EXAMPLE.as_bytes());
        assert!(qux.allowed("http://x.example/example/page.html"));
        // Everyone else gets the * group.
        let other = RobotsPolicy::parse("otherbot", RFC_EXAMPLE.as_bytes());
        assert!(!other.allowed("http://x.example/a/b.gif"));
        assert!(other.allowed("http://x.example/a/b.gif?x"));
        assert!(!other.allowed("http://x.example/example/x"));
        assert!(other.allowed("http://x.example/publications/x"));
    }

    #[test]
    fn groups_for_the_same_agent_are_merged() {
        // RFC 9309 §2.2.1: two groups for ExampleBot are combined.
        let txt = "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n";
        let r = RobotsPolicy::parse("examplebot/2.0", txt.as_bytes());
        for path in ["/foo", "/bar", "/baz"] {
            assert!(!r.allowed(&format!("http://x.example{path}")), "{path}");
        }
        assert!(r.allowed("http://x.example/qux"));
        assert_eq!(r.rules().len(), 3);
    }

    #[test]
    fn agent_matching_is_case_insensitive_and_falls_back_to_star() {
        let txt = "User-agent: *\nDisallow: /private\n\nUser-agent: FOOBOT\nDisallow: /foo-only\n";
        let r = p(txt);
        assert_eq!(r.group.as_deref(), Some("foobot"));
        assert!(r.allowed("http://x.example/private"));
        assert!(!r.allowed("http://x.example/foo-only/x"));
        let other = RobotsPolicy::parse("nam/0.1", txt.as_bytes());
        assert!(!other.allowed("http://x.example/private"));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        // RFC 9309 §2.2.2 examples.
        let r = p("User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n");
        assert!(r.allowed("http://x.example/example/page/"));
        assert!(!r.allowed("http://x.example/example/page/disallowed.gif"));
        let tie = p("User-agent: *\nAllow: /folder\nDisallow: /folder\n");
        assert!(tie.allowed("http://x.example/folder/page"));
        let d = r.decide("http://x.example/example/page/disallowed.gif");
        assert_eq!(d.rule.as_ref().map(|r| r.line), Some(3));
        assert!(d.reason.contains("longest match"), "{}", d.reason);
    }

    #[test]
    fn wildcards_and_end_anchor() {
        // RFC 9309 §2.2.3.
        let r = p("User-agent: *\nDisallow: /*.php$\nDisallow: /fish*\nAllow: /fish/salmon\n");
        assert!(!r.allowed("http://x.example/index.php"));
        assert!(!r.allowed("http://x.example/folder/file.php"));
        assert!(r.allowed("http://x.example/index.php?x=1"));
        assert!(r.allowed("http://x.example/index.php5"));
        assert!(!r.allowed("http://x.example/fish.html"));
        assert!(!r.allowed("http://x.example/fishheads/yummy.html"));
        assert!(r.allowed("http://x.example/fish/salmon"));
        assert!(r.allowed("http://x.example/Fish.asp"));
        let d = r.decide("http://x.example/folder/file.php");
        assert_eq!(d.rule.map(|r| r.pattern), Some("/*.php$".to_string()));
    }

    #[test]
    fn percent_encoding_is_equivalent() {
        // RFC 9309 §2.2.2: /foo/bar/ツ and /foo/bar/%E3%83%84 are the same path.
        let r = p("User-agent: *\nDisallow: /foo/bar/ツ\n");
        assert!(!r.allowed("http://x.example/foo/bar/%E3%83%84"));
        assert!(!r.allowed("http://x.example/foo/bar/ツ"));
        let r2 = p("User-agent: *\nDisallow: /foo/bar/%E3%83%84\n");
        assert!(!r2.allowed("http://x.example/foo/bar/%E3%83%84"));
        assert!(r2.allowed("http://x.example/foo/bar/baz"));
    }

    #[test]
    fn bom_comments_and_crawl_delay() {
        let txt = "\u{feff}User-agent: * # everyone\nDisallow: /tmp # scratch\nCrawl-delay: 2\nSitemap: http://x.example/sitemap.xml\n";
        let r = p(txt);
        assert!(!r.allowed("http://x.example/tmp/a"));
        assert!(r.allowed("http://x.example/tmpx".replace("tmpx", "ok").as_str()));
        assert_eq!(r.crawl_delay, Some(2.0));
        assert_eq!(r.sitemaps, vec!["http://x.example/sitemap.xml".to_string()]);
        assert_eq!(
            r.decide("http://x.example/tmp/a").rule.map(|r| r.line),
            Some(2)
        );
    }

    #[test]
    fn robots_txt_itself_and_empty_disallow() {
        let r = p("User-agent: *\nDisallow: /\n");
        assert!(r.allowed("http://x.example/robots.txt"));
        assert!(!r.allowed("http://x.example/"));
        let open = p("User-agent: *\nDisallow:\n");
        assert!(open.allowed("http://x.example/anything"));
    }

    #[test]
    fn unavailable_allows_and_unreachable_disallows() {
        let u = RobotsPolicy::unavailable(UA, 404);
        assert!(u.decide("http://x.example/a").allowed);
        let d = RobotsPolicy::unreachable(UA, "HTTP 503");
        let dec = d.decide("http://x.example/a");
        assert!(!dec.allowed);
        assert!(dec.reason.contains("unreachable"));
    }

    /// nam's own User-Agent, as the crawler sends it.
    fn nam_ua() -> String {
        crate::config::CrawlSettings::default().user_agent
    }

    /// A UTF-8 byte-order mark, whole or cut short, as it may start a body.
    const BOMS: [&[u8]; 4] = [b"\xEF\xBB\xBF", b"\xEF\xBB", b"\xEF", "\u{feff}".as_bytes()];

    fn with_prefix(prefix: &[u8], txt: &str) -> Vec<u8> {
        [prefix, txt.as_bytes()].concat()
    }

    #[test]
    fn a_bom_or_part_of_one_does_not_hide_the_first_group() {
        for bom in BOMS {
            let body = with_prefix(bom, "User-agent: *\nDisallow: /private/\n");
            let r = RobotsPolicy::parse(&nam_ua(), &body);
            assert!(!r.allowed("http://x.example/private/x"), "{bom:x?}");
            assert!(r.allowed("http://x.example/public/x"), "{bom:x?}");
            assert_eq!(r.group.as_deref(), Some("*"), "{bom:x?}");
            let d = r.decide("http://x.example/private/x");
            assert!(!d.allowed, "{bom:x?}");
            assert_eq!(d.rule.map(|l| l.line), Some(2), "{bom:x?}: {}", d.reason);
        }
    }

    #[test]
    fn a_bom_then_blank_lines_or_spaces_does_not_hide_the_first_group() {
        for bom in BOMS {
            for (gap, line) in [("\n\n", 4), ("\r\n \t\r\n", 4), ("  \t", 2)] {
                let txt = format!("{gap}User-agent: *\nDisallow: /private/\n");
                let r = RobotsPolicy::parse(&nam_ua(), &with_prefix(bom, &txt));
                let d = r.decide("http://x.example/private/x");
                assert!(!d.allowed, "{bom:x?} {gap:?}");
                assert_eq!(d.rule.map(|l| l.line), Some(line), "{bom:x?} {gap:?}");
                assert!(r.allowed("http://x.example/public/x"), "{bom:x?} {gap:?}");
            }
        }
    }

    #[test]
    fn a_bom_before_a_group_for_our_agent_keeps_that_group() {
        let txt = "User-agent: nam\nDisallow: /nam-only/\n\nUser-agent: *\nDisallow: /\n";
        for bom in BOMS {
            let r = RobotsPolicy::parse(&nam_ua(), &with_prefix(bom, txt));
            assert_eq!(r.group.as_deref(), Some("nam"), "{bom:x?}");
            assert!(!r.allowed("http://x.example/nam-only/x"), "{bom:x?}");
            assert!(r.allowed("http://x.example/elsewhere"), "{bom:x?}");
            let d = r.decide("http://x.example/nam-only/x");
            assert!(
                d.reason.contains("user-agent: nam"),
                "{bom:x?}: {}",
                d.reason
            );
            assert_eq!(d.rule.map(|l| l.line), Some(2), "{bom:x?}");
        }
    }

    #[test]
    fn a_cut_bom_survives_the_lossy_cached_copy() {
        // The gatekeeper re-reads robots.txt from a lossily decoded cache, in
        // which a cut-short BOM has become U+FFFD.
        let txt = "User-agent: *\nDisallow: /private/\n\nUser-agent: OtherBot\nDisallow: /\n";
        for bom in BOMS {
            let body = with_prefix(bom, txt);
            let cached = String::from_utf8_lossy(&body).into_owned();
            let r = RobotsPolicy::parse(&nam_ua(), cached.as_bytes());
            assert!(!r.allowed("http://x.example/private/x"), "{cached:?}");
            assert!(r.allowed("http://x.example/public/x"), "{cached:?}");
            assert_eq!(r.group.as_deref(), Some("*"), "{cached:?}");
        }
    }

    /// The forms of one café URL: raw, encoded with upper and with lower hex.
    const CAFE_URLS: [&str; 5] = [
        "http://x.example/café/menu",
        "http://x.example/caf%C3%A9/menu",
        "http://x.example/caf%c3%a9/menu",
        "/café/menu",
        "/caf%c3%a9/menu",
    ];

    #[test]
    fn a_non_ascii_rule_blocks_the_url_in_every_encoding() {
        let r = RobotsPolicy::parse(&nam_ua(), "User-agent: *\nDisallow: /café/\n".as_bytes());
        for url in CAFE_URLS {
            assert!(!r.allowed(url), "{url}");
            let d = r.decide(url);
            assert!(!d.allowed, "{url}");
            assert_eq!(d.rule.map(|l| l.line), Some(2), "{url}: {}", d.reason);
        }
        assert!(r.allowed("http://x.example/cafe/menu"));
        assert!(r.allowed("http://x.example/caf%C3%A8/menu"));
    }

    #[test]
    fn a_percent_encoded_rule_blocks_the_url_in_every_encoding() {
        for rule in ["/caf%C3%A9/", "/caf%c3%a9/", "/caf%C3%a9/"] {
            let txt = format!("User-agent: *\nDisallow: {rule}\n");
            let r = RobotsPolicy::parse(&nam_ua(), txt.as_bytes());
            for url in CAFE_URLS {
                assert!(!r.allowed(url), "{rule} {url}");
                assert_eq!(r.decide(url).rule.map(|l| l.line), Some(2), "{rule} {url}");
            }
            assert!(r.allowed("http://x.example/cafe/menu"), "{rule}");
        }
    }

    #[test]
    fn hex_case_is_ignored_in_wildcard_rules_but_sitemaps_are_kept() {
        let txt = "User-agent: *\nAllow: /caf%c3%a9/*.pdf$\nDisallow: /caf%c3%a9/\n\
                   Sitemap: http://x.example/caf%c3%a9.xml\n";
        let r = RobotsPolicy::parse(&nam_ua(), txt.as_bytes());
        assert!(r.allowed("http://x.example/café/menu.pdf"));
        assert!(r.allowed("http://x.example/caf%C3%A9/menu.pdf"));
        assert!(!r.allowed("http://x.example/caf%C3%A9/menu.pdf?v=2"));
        assert!(!r.allowed("http://x.example/café/menu"));
        assert_eq!(
            r.sitemaps,
            vec!["http://x.example/caf%c3%a9.xml".to_string()]
        );
    }

    #[tokio::test]
    async fn cli_explains_each_url() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("robots.txt");
        std::fs::write(
            &f,
            "User-agent: *\nDisallow: /members-only/\nCrawl-delay: 1\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let n = cli(
            RobotsArgs {
                source: f.display().to_string(),
                agent: "nam/0.1".into(),
                urls: vec![
                    "http://pma.example/members-only/x".into(),
                    "http://pma.example/directory/".into(),
                ],
            },
            &crate::config::CrawlSettings::default(),
            &mut out,
        )
        .await
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(n, 1);
        assert!(
            s.contains("DISALLOWED http://pma.example/members-only/x"),
            "{s}"
        );
        assert!(s.contains("line 2: Disallow: /members-only/"), "{s}");
        assert!(
            s.contains("allowed    http://pma.example/directory/"),
            "{s}"
        );
        assert!(s.contains("crawl-delay: 1s"), "{s}");
    }
}
