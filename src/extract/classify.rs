//! Page classification (phase CLASSIFICATION): a page type for every
//! fetched page, with the evidence that decided it and a confidence.

use scraper::{Html, Selector};

use super::Extraction;
use crate::model::PageType;

/// The verdict for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub page_type: PageType,
    pub evidence: Vec<String>,
    pub confidence: f32,
}

/// What the classifier looks at.
#[derive(Debug, Clone, Copy)]
pub struct PageFacts<'a> {
    pub url: &'a str,
    /// Where redirects ended, when different.
    pub final_url: &'a str,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
    /// What discovery expected (`directory`, `profile`, `event`, ...).
    pub hint: Option<&'a str>,
    /// The page is on an association's site (not a company's).
    pub association_site: bool,
    /// The page is a configured directory entry point.
    pub directory_seed: bool,
}

const LOGIN_PATHS: &[&str] = &["login", "signin", "sign-in", "log-in", "sso", "auth"];
const LOGIN_WORDS: &[&str] = &[
    "members only",
    "member login",
    "please sign in",
    "please log in",
    "sign in to continue",
    "log in to continue",
    "available to members",
];

fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default()
}

fn verdict(page_type: PageType, evidence: Vec<String>, confidence: f32) -> Classification {
    Classification {
        page_type,
        evidence,
        confidence,
    }
}

/// The record structure of a page, as far as discovery cares: where its
/// pagination and profile links go, and whether it holds records at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Structure {
    /// Further listing pages (pagination, A–Z letters, JSON `next`).
    pub next_pages: Vec<String>,
    /// Member profile pages linked from the records.
    pub profile_links: Vec<String>,
    pub has_records: bool,
}

/// What the crawler learns about a fetched page.
#[derive(Debug, Clone)]
pub struct PageSurvey {
    pub classification: Classification,
    pub structure: Structure,
}

/// The crawler's one question to extraction: what is this page, and which
/// structural links does it have? Records themselves are the EXTRACTION
/// phase's business; nothing of them leaves this function.
pub fn survey(f: &PageFacts<'_>, ctx: &super::ExtractContext) -> PageSurvey {
    let ctx = super::ExtractContext {
        structure_only: true,
        explain: false,
        ..ctx.clone()
    };
    let ex = super::extract_page(f.body, f.final_url, &ctx);
    PageSurvey {
        classification: classify(f, &ex),
        structure: Structure {
            has_records: !ex.members.is_empty(),
            next_pages: ex.next_pages,
            profile_links: ex.profile_links,
        },
    }
}

/// A page of a directory site read as the crawl and EXTRACTION read it: the
/// survey classifies it, then extraction reads it as that type (`nam
/// extract`, and the benchmark of it). The classification leads the
/// explanation when `ctx.explain` is set.
pub fn extract_directory_page(
    body: &str,
    page_url: &str,
    mut ctx: super::ExtractContext,
) -> Extraction {
    let facts = PageFacts {
        url: page_url,
        final_url: page_url,
        status: 200,
        content_type: None,
        body,
        hint: None,
        association_site: true,
        directory_seed: true,
    };
    // One full reading as the survey reads it (type guessed); classified
    // as a type read the same way, it is the answer, else read again as
    // the classified type.
    let guessed = super::ExtractContext {
        page_type: None,
        ..ctx.clone()
    };
    let first = super::extract_page(body, page_url, &guessed);
    let class = classify(&facts, &first);
    let read_as = |t: Option<PageType>| match t.unwrap_or(PageType::DirectoryListing) {
        PageType::ExhibitorList => PageType::Event,
        t => t,
    };
    let mut ex = if read_as(first.page_type) == read_as(Some(class.page_type)) {
        first
    } else {
        ctx.page_type = Some(class.page_type);
        super::extract_page(body, page_url, &ctx)
    };
    ex.page_type = Some(class.page_type);
    if ctx.explain {
        ex.explanation.insert(
            0,
            format!(
                "classified as {} ({:.2}): {}",
                class.page_type.as_str(),
                class.confidence,
                class.evidence.join("; ")
            ),
        );
    }
    ex
}

/// Whether the page's markup says "password" anywhere (any case): pages
/// that do not are never parsed again to look for a password field.
fn mentions_password(body: &str) -> bool {
    const W: &[u8] = b"password";
    body.as_bytes()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.eq_ignore_ascii_case(&b'p'))
        .any(|(i, _)| {
            body.as_bytes()
                .get(i..i + W.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(W))
        })
}

/// Classifies a page given the extractor's reading of it.
pub fn classify(f: &PageFacts<'_>, ex: &Extraction) -> Classification {
    if f.status == 401 || f.status == 403 {
        return verdict(
            PageType::LoginWall,
            vec![format!("HTTP {} (authentication required)", f.status)],
            0.95,
        );
    }
    let final_path = path_of(f.final_url);
    if f.final_url != f.url
        && LOGIN_PATHS
            .iter()
            .any(|w| final_path.split('/').any(|seg| seg == *w))
    {
        return verdict(
            PageType::LoginWall,
            vec![format!("redirected to a login page ({final_path})")],
            0.95,
        );
    }
    let is_json = f.content_type.is_some_and(|c| c.contains("json"))
        || f.body.trim_start().starts_with(['{', '[']);
    let records = ex.members.len();
    // A login box in a site header is not a wall: the page must have
    // nothing else to offer (no records, events or listing links) and
    // either say so or be little more than the form.
    let nothing_else = records == 0
        && ex.events.is_empty()
        && ex.next_pages.is_empty()
        && ex.profile_links.is_empty();
    if !is_json && nothing_else && mentions_password(f.body) {
        let doc = Html::parse_document(f.body);
        let password = Selector::parse("input[type=password]")
            .ok()
            .is_some_and(|s| doc.select(&s).next().is_some());
        if password {
            let main = super::profile::main_root(&doc);
            let text = main.text().collect::<String>().to_lowercase();
            let words = LOGIN_WORDS.iter().find(|w| text.contains(*w));
            let short = text.split_whitespace().count() < 150;
            if words.is_some() || short {
                let mut ev = vec!["a password field".to_string()];
                if let Some(w) = words {
                    ev.push(format!("text says {w:?}"));
                }
                if short {
                    ev.push("little content besides the form".into());
                }
                ev.push("no member records, events or listing links".into());
                let conf = if ev.len() > 3 { 0.95 } else { 0.8 };
                return verdict(PageType::LoginWall, ev, conf);
            }
        }
    }
    if !f.association_site {
        return verdict(
            PageType::CompanySite,
            vec!["host is not an association site".into()],
            0.9,
        );
    }
    if !ex.events.is_empty() {
        let participants: usize = ex.events.iter().map(|e| e.participants.len()).sum();
        let path = path_of(f.url);
        let listy = ["exhibitor", "sponsor", "speaker"]
            .iter()
            .any(|w| path.contains(w));
        let t = if listy {
            PageType::ExhibitorList
        } else {
            PageType::Event
        };
        return verdict(
            t,
            vec![
                format!(
                    "{} event(s) with {participants} participant(s) found",
                    ex.events.len()
                ),
                if listy {
                    "URL names a participant list".into()
                } else {
                    "event dates or headings".into()
                },
            ],
            0.85,
        );
    }
    if ex.page_type == Some(PageType::MemberProfile) || (f.hint == Some("profile") && records <= 1)
    {
        let mut ev = Vec::new();
        if f.hint == Some("profile") {
            ev.push("linked as a profile from a listing".into());
        }
        if records == 1 {
            ev.push("one company record with contact fields".into());
        }
        if ev.is_empty() {
            ev.push("profile page structure".into());
        }
        let conf = if records == 1 { 0.9 } else { 0.6 };
        return verdict(PageType::MemberProfile, ev, conf);
    }
    let extractor = ex
        .members
        .first()
        .map(|m| m.extractor.clone())
        .unwrap_or_default();
    if records >= 2 {
        return verdict(
            PageType::DirectoryListing,
            vec![format!("{records} repeated member records ({extractor})")],
            (0.6 + 0.05 * records as f32).min(0.95),
        );
    }
    if records == 1 && (f.hint == Some("directory") || f.directory_seed) {
        return verdict(
            PageType::DirectoryListing,
            vec![
                "one member record".into(),
                "reached as a directory page".into(),
            ],
            0.6,
        );
    }
    if (f.directory_seed || f.hint == Some("directory")) && !ex.next_pages.is_empty() {
        return verdict(
            PageType::DirectoryListing,
            vec!["directory entry point linking to listing pages".into()],
            0.6,
        );
    }
    let mut ev = vec!["no member records, events or login form".to_string()];
    if is_json {
        ev.push("JSON without member records".into());
    }
    verdict(PageType::Other, ev, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{ExtractContext, extract_page};

    fn facts<'a>(url: &'a str, body: &'a str) -> PageFacts<'a> {
        PageFacts {
            url,
            final_url: url,
            status: 200,
            content_type: Some("text/html"),
            body,
            hint: None,
            association_site: true,
            directory_seed: false,
        }
    }

    fn run(f: &PageFacts<'_>) -> Classification {
        let ex = extract_page(f.body, f.url, &ExtractContext::default());
        classify(f, &ex)
    }

    #[test]
    fn login_form_is_a_login_wall_with_evidence() {
        let body = r#"<html><body><h1>Member Login</h1><p>This content is available to members only. Please sign in to continue.</p>
          <form><input name="u"><input type="password" name="p"><button>Sign in</button></form></body></html>"#;
        let c = run(&facts("http://a.example/members/", body));
        assert_eq!(c.page_type, PageType::LoginWall);
        assert!(c.evidence.iter().any(|e| e.contains("password")), "{c:?}");
        let mut f = facts("http://a.example/members/", "<html></html>");
        f.final_url = "http://a.example/login?returnUrl=/members/";
        assert_eq!(run(&f).page_type, PageType::LoginWall);
        let mut g = facts("http://a.example/x", "<html></html>");
        g.status = 403;
        assert_eq!(run(&g).page_type, PageType::LoginWall);
    }

    #[test]
    fn a_header_login_box_is_not_a_wall() {
        let filler = "Our association serves precision manufacturers with standards, training and advocacy. ".repeat(30);
        let body = format!(
            r#"<html><body><header><form><input name="u"><input type="password" name="p"><button>Member login</button></form></header>
              <main><h1>About us</h1><p>{filler}</p></main></body></html>"#
        );
        let c = run(&facts("http://a.example/about/", &body));
        assert_eq!(c.page_type, PageType::Other, "{c:?}");
    }

    #[test]
    fn listing_profile_company_and_other() {
        let listing = std::fs::read_to_string("fixtures/extract/table.html").unwrap();
        let c = run(&facts("http://pma.example/directory/", &listing));
        assert_eq!(c.page_type, PageType::DirectoryListing, "{c:?}");
        assert!(c.evidence[0].contains("member records"));

        let profile = std::fs::read_to_string("fixtures/extract/profile_acme.html").unwrap();
        let mut f = facts("http://pma.example/members/acme", &profile);
        f.hint = Some("profile");
        assert_eq!(run(&f).page_type, PageType::MemberProfile);

        let mut co = facts(
            "http://www.acme.example/about",
            "<html><body><p>About us</p></body></html>",
        );
        co.association_site = false;
        assert_eq!(run(&co).page_type, PageType::CompanySite);

        let nav = std::fs::read_to_string("fixtures/extract/nav_only.html").unwrap();
        assert_eq!(
            run(&facts("http://pma.example/about/", &nav)).page_type,
            PageType::Other
        );
    }

    #[test]
    fn event_pages() {
        let ev = std::fs::read_to_string("fixtures/extract/event.html").unwrap();
        let c = run(&facts("http://pma.example/events/expo-2026/", &ev));
        assert_eq!(c.page_type, PageType::Event, "{c:?}");
        let c = run(&facts(
            "http://pma.example/events/expo-2026/exhibitors/",
            &ev,
        ));
        assert_eq!(c.page_type, PageType::ExhibitorList, "{c:?}");
    }
}
