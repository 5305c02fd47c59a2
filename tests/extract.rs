#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]
//! Extraction tests: one hand-made page per layout style with exact records,
//! robustness (malformed, empty, navigation-only, 5 MB, fuzz), and the
//! EXTRACTION phase over a store.

use nam::config::{AssociationConfig, Selectors};
use nam::extract::{ExtractContext, extract_page, extract_pending};
use nam::model::{MemberRecord, PageType, ParticipantRole};
use nam::store::{ExtractionPage, Store};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/extract/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ctx() -> ExtractContext {
    ExtractContext {
        association: Some("PTA".into()),
        association_name: Some("Precision Tooling Association".into()),
        association_base_url: Some("http://pta.example/".into()),
        ..Default::default()
    }
}

fn extract(name: &str) -> Vec<MemberRecord> {
    let body = fixture(name);
    extract_page(&body, "http://pta.example/members", &ctx()).members
}

/// (name, domain, phone, street, city, state, zip, country)
type Row = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const ACME: Row = (
    "Acme Stamping & Mfg., Inc.",
    Some("acme-stamping.example"),
    Some("+13125550147"),
    Some("1200 W. Industrial Pkwy"),
    "Chicago",
    "IL",
    Some("60609"),
    "US",
);
const BAKER: Row = (
    "Baker Gear Works LLC",
    Some("bakergear.example"),
    Some("+14165550199"),
    Some("55 King St W"),
    "Toronto",
    "ON",
    Some("M5V 2T6"),
    "CA",
);
const COASTAL: Row = (
    "Coastal Forge Co.",
    Some("coastalforge.example"),
    Some("+16175550123"),
    Some("8 Harbor Rd"),
    "Boston",
    "MA",
    Some("02110"),
    "US",
);

fn assert_rows(got: &[MemberRecord], want: &[Row], with_street: bool) {
    let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, want.iter().map(|w| w.0).collect::<Vec<_>>());
    for (m, w) in got.iter().zip(want) {
        assert_eq!(m.domain.as_deref(), w.1, "{}", w.0);
        assert_eq!(m.phone.as_deref(), w.2, "{}", w.0);
        if with_street {
            assert_eq!(m.street.as_deref(), w.3, "{}", w.0);
            assert_eq!(m.postal_code.as_deref(), w.6, "{}", w.0);
        }
        assert_eq!(m.city.as_deref(), Some(w.4), "{}", w.0);
        assert_eq!(m.state.as_deref(), Some(w.5), "{}", w.0);
        assert_eq!(m.country.as_deref(), Some(w.7), "{}", w.0);
        assert_eq!(m.association, "PTA");
        assert!(m.source_url.starts_with("http://pta.example/"));
        // Every present field has provenance.
        for f in nam::extract::present_fields(m) {
            let p = m
                .provenance
                .get(f)
                .unwrap_or_else(|| panic!("{}: no provenance for {f}", m.name));
            assert_eq!(p.source_url, m.source_url);
            assert_eq!(p.extractor, m.extractor);
        }
        assert!(m.confidence > 0.5 && m.confidence <= 1.0);
    }
}

#[test]
fn table_with_header_row() {
    let got = extract("table.html");
    assert_rows(&got, &[ACME, BAKER, COASTAL], false);
    assert_eq!(got[0].membership_type.as_deref(), Some("Regular Member"));
    assert_eq!(got[1].membership_type.as_deref(), Some("Associate Member"));
    assert_eq!(
        got[0].website.as_deref(),
        Some("http://www.acme-stamping.example/")
    );
    assert_eq!(
        got[0].profile_url.as_deref(),
        Some("http://pta.example/members/acme-stamping")
    );
    assert!(got.iter().all(|m| m.extractor == "generic"));
    let ex = extract_page(&fixture("table.html"), "http://pta.example/members", &ctx());
    assert!(
        ex.next_pages
            .contains(&"http://pta.example/members?page=2".to_owned())
    );
    assert_eq!(ex.profile_links.len(), 3);
}

#[test]
fn card_grid_with_rows_and_social_links() {
    let got = extract("cards.html");
    assert_rows(&got, &[ACME, BAKER, COASTAL], true);
    assert_eq!(got[2].membership_type.as_deref(), Some("Supplier Member"));
    // The association's own phone in the header/footer never lands on a record.
    assert!(
        got.iter()
            .all(|m| m.phone.as_deref() != Some("+12165550100"))
    );
}

#[test]
fn br_hr_text_blocks() {
    assert_rows(&extract("blocks.html"), &[ACME, BAKER, COASTAL], true);
}

#[test]
fn definition_list() {
    assert_rows(&extract("dl.html"), &[ACME, BAKER, COASTAL], true);
}

#[test]
fn microdata_organizations() {
    let got = extract("microdata.html");
    assert_rows(&got, &[ACME, BAKER], true);
    assert!(got.iter().all(|m| m.extractor == "microdata"));
}

#[test]
fn json_ld_item_list_skips_the_association_itself() {
    let got = extract("jsonld.html");
    assert_rows(&got, &[ACME, COASTAL], true);
    assert!(got.iter().all(|m| m.extractor == "json-ld"));
}

#[test]
fn json_endpoint_body() {
    let body = fixture("members.json");
    let ex = extract_page(&body, "http://pta.example/api/members?offset=0", &ctx());
    let got = ex.members;
    assert_rows(&got, &[ACME, BAKER, COASTAL], true);
    assert!(got.iter().all(|m| m.extractor == "json"));
    assert_eq!(
        ex.next_pages,
        vec!["http://pta.example/api/members?offset=3".to_owned()]
    );
    assert_eq!(
        got[0].profile_url.as_deref(),
        Some("http://pta.example/members/acme-stamping")
    );
}

#[test]
fn a_to_z_list_records_profile_links_and_profile_page_gives_one_record() {
    let got = extract("az.html");
    let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Acme Stamping & Mfg., Inc.",
            "Atlas Tool & Die Corp.",
            "Baker Gear Works LLC",
            "Coastal Forge Co."
        ]
    );
    assert_eq!(
        got[1].profile_url.as_deref(),
        Some("http://pta.example/members/atlas-tool")
    );
    assert!(got.iter().all(|m| m.website.is_none() && m.phone.is_none()));

    let body = fixture("profile_acme.html");
    let mut c = ctx();
    c.page_type = Some(PageType::MemberProfile);
    let ex = extract_page(&body, "http://pta.example/members/acme-stamping", &c);
    assert_eq!(ex.members.len(), 1);
    let p = &ex.members[0];
    assert_eq!(p.name, "Acme Stamping & Mfg., Inc.");
    assert_eq!(p.domain.as_deref(), Some("acme-stamping.example"));
    assert_eq!(
        p.phone.as_deref(),
        Some("+13125550147"),
        "fax is not the phone"
    );
    assert_eq!(p.email.as_deref(), Some("sales@acme-stamping.example"));
    assert_eq!(p.street.as_deref(), Some("1200 W. Industrial Pkwy"));
    assert_eq!(p.postal_code.as_deref(), Some("60609"));
    assert_eq!(p.membership_type.as_deref(), Some("Regular Member"));
    assert_eq!(
        p.profile_url.as_deref(),
        Some("http://pta.example/members/acme-stamping")
    );
    assert_eq!(p.extractor, "profile");
    assert_eq!(p.provenance["phone"].extractor, "profile");
    // Unclassified, the profile is recognized by its URL and shape.
    let ex = extract_page(&body, "http://pta.example/members/acme-stamping", &ctx());
    assert_eq!(ex.members.len(), 1);
    assert_eq!(ex.page_type, Some(PageType::MemberProfile));
}

#[test]
fn event_page_with_sponsors_exhibitors_speakers() {
    let ex = extract_page(
        &fixture("event.html"),
        "http://pta.example/events/fabtech-2027",
        &ctx(),
    );
    // Sponsors and exhibitors are company records too; speakers are not.
    let mut names: Vec<(&str, Option<&str>)> = ex
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.membership_type.as_deref()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("Acme Stamping & Mfg., Inc.", Some("sponsor")),
            ("Baker Gear Works LLC", Some("sponsor")),
            ("Coastal Forge Co.", Some("exhibitor")),
        ]
    );
    assert_eq!(ex.events.len(), 1);
    let e = &ex.events[0];
    assert_eq!(e.name, "FabTech Expo 2027");
    assert_eq!(e.start_date.as_deref(), Some("2027-06-03"));
    assert_eq!(e.end_date.as_deref(), Some("2027-06-05"));
    assert_eq!(e.venue.as_deref(), Some("Huntington Convention Center"));
    assert_eq!(
        (e.city.as_deref(), e.state.as_deref()),
        (Some("Cleveland"), Some("OH"))
    );
    let got: Vec<(
        ParticipantRole,
        &str,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
    )> = e
        .participants
        .iter()
        .map(|p| {
            (
                p.role,
                p.company_name.as_deref().unwrap_or(""),
                p.sponsor_tier.as_deref(),
                p.booth.as_deref(),
                p.person_name.as_deref(),
                p.person_title.as_deref(),
            )
        })
        .collect();
    use ParticipantRole::*;
    assert_eq!(
        got,
        vec![
            (
                Sponsor,
                "Acme Stamping & Mfg., Inc.",
                Some("Platinum"),
                None,
                None,
                None
            ),
            (
                Sponsor,
                "Baker Gear Works LLC",
                Some("Gold"),
                None,
                None,
                None
            ),
            (
                Exhibitor,
                "Acme Stamping & Mfg., Inc.",
                None,
                Some("1234"),
                None,
                None
            ),
            (
                Exhibitor,
                "Coastal Forge Co.",
                None,
                Some("A12"),
                None,
                None
            ),
            (
                Speaker,
                "Coastal Forge Co.",
                None,
                None,
                Some("Jane Doe"),
                Some("VP Engineering")
            ),
            (
                Speaker,
                "Baker Gear Works LLC",
                None,
                None,
                Some("Raj Patel"),
                Some("CEO")
            ),
        ]
    );
    assert_eq!(
        e.participants[0].company_domain.as_deref(),
        Some("acme-stamping.example")
    );
    assert!(e.provenance.contains_key("start_date"));
}

#[test]
fn configured_selectors_win_and_fall_back_per_field() {
    let mut c = ctx();
    c.selectors = Some(Selectors {
        record: Some("div.card.member".into()),
        name: Some("h3".into()),
        website: Some("a.btn".into()),
        address: Some("address".into()),
        phone: Some("p.phone".into()),
        membership_type: Some("p.level".into()),
        ..Default::default()
    });
    let got: Vec<MemberRecord> =
        extract_page(&fixture("cards.html"), "http://pta.example/members", &c).members;
    assert_rows(&got, &[ACME, BAKER, COASTAL], true);
    assert!(got.iter().all(|m| m.extractor == "configured"));
    // A record selector matching nothing falls back to the generic extractor.
    c.selectors = Some(Selectors {
        record: Some("div.nope".into()),
        ..Default::default()
    });
    let got = extract_page(&fixture("cards.html"), "http://pta.example/members", &c).members;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m.extractor == "generic"));
}

#[test]
fn navigation_only_empty_and_malformed_pages_give_no_false_records() {
    assert!(extract("nav_only.html").is_empty());
    assert!(extract("empty.html").is_empty());
    let got = extract("malformed.html");
    let known = [ACME.0, BAKER.0, COASTAL.0];
    assert!(
        got.iter().all(|m| known.contains(&m.name.as_str())),
        "{got:?}"
    );
    assert!(!got.is_empty());
}

#[test]
fn terminal_escapes_and_controls_are_stripped() {
    let page = "<html><body><main><div class=m><h3>Evil\u{1b}[2J\u{1b}]0;owned\u{7} Tool &amp; Die\u{0} Inc.</h3><p>(312) 555-0147</p><a href='http://evil.example/'>w</a></div>\
        <div class=m><h3>Good Tool Inc.</h3><p>(312) 555-0148</p><a href='http://good.example/'>w</a></div></main></body></html>";
    let got = extract_page(page, "http://pta.example/members", &ctx()).members;
    assert_eq!(got[0].name, "Evil Tool & Die Inc.");
    assert!(got.iter().all(|m| !m.name.chars().any(char::is_control)));
}

#[test]
fn five_megabyte_pages() {
    // 5 MB of navigation and prose: nothing.
    let mut big = String::from("<html><body><nav><ul>");
    while big.len() < 5_000_000 {
        big.push_str("<li><a href='/x'>Home</a></li><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>");
    }
    big.push_str("</ul></nav></body></html>");
    assert!(
        extract_page(&big, "http://pta.example/", &ctx())
            .members
            .is_empty()
    );
    // 5 MB of member cards: every card, nothing else.
    let mut big = String::from("<html><body><main>");
    let mut n = 0;
    while big.len() < 5_000_000 {
        big.push_str(&format!(
            "<div class='card'><h3>Member {n} Tooling Inc.</h3><p>Phone: (312) 555-{:04}</p><p><a href='http://m{n}.example/'>Website</a></p><p>Chicago, IL 60609</p></div>",
            n % 10000
        ));
        n += 1;
    }
    big.push_str("</main></body></html>");
    let got = extract_page(&big, "http://pta.example/members", &ctx()).members;
    assert_eq!(got.len(), n);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<div class='card'>".to_owned()),
            Just("</div>".to_owned()),
            Just("<table><tr><th>Company</th><th>Phone</th></tr><tr><td>".to_owned()),
            Just("</td><td>".to_owned()),
            Just("<br>".to_owned()),
            Just("<hr>".to_owned()),
            Just("<dl><dt>".to_owned()),
            Just("<dd>".to_owned()),
            Just("<h3>Acme Tool Inc.</h3>".to_owned()),
            Just("(312) 555-0147".to_owned()),
            Just("Chicago, IL 60609".to_owned()),
            Just("<a href='http://acme.example/'>web</a>".to_owned()),
            Just("<a href='/members/x'>Profile</a>".to_owned()),
            Just(
                "<script type='application/ld+json'>{\"@type\":\"Organization\",\"name\":"
                    .to_owned()
            ),
            Just("<nav>".to_owned()),
            Just("\u{1b}[31m".to_owned()),
            Just("Booth 12".to_owned()),
            Just("June 3-5, 2027".to_owned()),
            Just("<h2>Exhibitors</h2><ul><li>".to_owned()),
            "\\PC{0,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,400}") {
            let ex = extract_page(&s, "http://pta.example/members", &ctx());
            for m in &ex.members {
                prop_assert!(!m.name.is_empty());
                prop_assert!(!m.name.chars().any(char::is_control));
            }
        }

        #[test]
        fn html_fragments_never_panic(parts in proptest::collection::vec(fragment(), 0..40)) {
            let page = parts.concat();
            for pt in [None, Some(PageType::MemberProfile), Some(PageType::Event)] {
                let mut c = ctx();
                c.page_type = pt;
                let ex = extract_page(&page, "http://pta.example/members", &c);
                for m in &ex.members {
                    prop_assert!(!m.name.chars().any(char::is_control));
                    prop_assert!(m.confidence >= 0.0 && m.confidence <= 1.0);
                }
            }
        }
    }
}

fn pta() -> AssociationConfig {
    AssociationConfig {
        code: "PTA".into(),
        name: "Precision Tooling Association".into(),
        base_url: "http://pta.example/".into(),
        directory_urls: vec!["http://pta.example/members".into()],
        event_urls: vec![],
        selectors: None,
        rate: None,
    }
}

#[test]
fn run_extraction_merges_profiles_links_participants_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nam.db");
    let store = Store::open(&db).unwrap();
    store
        .insert_extraction_page(&ExtractionPage {
            url: "http://pta.example/members/az",
            association: Some("PTA"),
            page_type: Some("directory_listing"),
            body: &fixture("az.html"),
            content_hash: "h1",
        })
        .unwrap();
    store
        .insert_extraction_page(&ExtractionPage {
            url: "http://pta.example/members/acme-stamping",
            association: Some("PTA"),
            page_type: Some("member_profile"),
            body: &fixture("profile_acme.html"),
            content_hash: "h2",
        })
        .unwrap();
    store
        .insert_extraction_page(&ExtractionPage {
            url: "http://pta.example/events/fabtech-2027",
            association: Some("PTA"),
            page_type: Some("event"),
            body: &fixture("event.html"),
            content_hash: "h3",
        })
        .unwrap();
    store
        .insert_extraction_page(&ExtractionPage {
            url: "http://pta.example/sitemap",
            association: Some("PTA"),
            page_type: None,
            body: &fixture("nav_only.html"),
            content_hash: "h4",
        })
        .unwrap();

    let r = extract_pending(&db, &[pta()]).unwrap();
    assert_eq!(r.pages, 4);
    assert_eq!(r.events, 1);
    assert_eq!(r.participants, 6);
    // Four listings (the profile record lands on the same row as its
    // listing) and the event's two sponsors and one exhibitor, each a
    // record of the event page.
    assert_eq!(store.membership_count().unwrap(), 7);
    // Acme is listed and sponsors; the other sponsor and the exhibitor are
    // companies the event page alone names.
    assert_eq!(store.company_count().unwrap(), 6);
    let acme = store
        .companies(&Default::default())
        .unwrap()
        .into_iter()
        .find(|c| c.name.starts_with("Acme"))
        .unwrap();
    assert_eq!(
        acme.domain.as_deref(),
        Some("acme-stamping.example"),
        "profile fields merged"
    );
    assert_eq!(acme.phone.as_deref(), Some("+13125550147"));
    assert_eq!(acme.provenance["phone"].extractor, "profile");
    // Its listing row (with the profile merged) and its sponsor row.
    let recs = store.memberships_of(acme.id).unwrap();
    assert_eq!(recs.len(), 2);
    assert!(
        recs.iter().any(|r| r.city.as_deref() == Some("Chicago")),
        "{recs:?}"
    );
    // Participants link to companies by domain, then name key.
    let parts = store
        .event_participants("http://pta.example/events/fabtech-2027")
        .unwrap();
    assert_eq!(parts.len(), 6);
    assert!(parts.iter().all(|p| p.2.is_some()), "{parts:?}");

    // Re-run: nothing pending, nothing changes.
    let again = extract_pending(&db, &[pta()]).unwrap();
    assert_eq!(again.pages, 0);
    assert_eq!(store.membership_count().unwrap(), 7);
    // Changed content is extracted again, without duplicates.
    store
        .insert_extraction_page(&ExtractionPage {
            url: "http://pta.example/members/az",
            association: Some("PTA"),
            page_type: Some("directory_listing"),
            body: &fixture("az.html"),
            content_hash: "h1b",
        })
        .unwrap();
    let third = extract_pending(&db, &[pta()]).unwrap();
    assert_eq!(third.pages, 1);
    assert_eq!(store.membership_count().unwrap(), 7);
    assert_eq!(store.company_count().unwrap(), 6);
    assert_eq!(
        store
            .event_participants("http://pta.example/events/fabtech-2027")
            .unwrap()
            .len(),
        6
    );
}

#[path = "common/mod.rs"]
mod common;

/// `nam extract --explain` says what the page was read as and which
/// structure became the record list, and leaves no file behind.
#[test]
fn extract_explains_and_writes_no_files() {
    let home = tempfile::tempdir().unwrap();
    let page = home.path().join("page.html");
    std::fs::write(&page, fixture("table.html")).unwrap();
    let before: Vec<_> = std::fs::read_dir(home.path()).unwrap().collect();
    let out = common::nam_in(home.path())
        .args([
            "extract",
            "--explain",
            "--base-url",
            "http://pta.example/members",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("explain: classified as directory_listing"),
        "{err}"
    );
    assert!(err.contains("the first is the record list"), "{err}");
    assert!(err.contains("table rows"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().count() >= 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
    // Nothing but the page itself: no database, config, data or log directory.
    let after: Vec<_> = std::fs::read_dir(home.path()).unwrap().collect();
    assert_eq!(before.len(), after.len(), "{after:?}");
}

/// A `<script>` whose comment opener was never closed (a saved, prettified
/// page) does not swallow the listing after it.
#[test]
fn a_script_with_an_open_comment_ends_at_its_close_tag() {
    let rows: String = (1..=4)
        .map(|i| {
            format!("<tr><td>Member Works {i} Inc</td><td>(312) 555-01{i:02}</td><td>Chicago, IL</td></tr>")
        })
        .collect();
    let page = format!(
        "<html><body><div class=\"ad\"><script type=\"text/lazyad\"><!-- <div></div><script>x()</script> --&gt;</script></div>\
         <table><tr><th>Company</th><th>Phone</th><th>City</th></tr>{rows}</table></body></html>"
    );
    let ex = extract_page(&page, "http://pta.example/members", &ctx());
    assert_eq!(ex.members.len(), 4, "{:?}", ex.members);
    assert_eq!(ex.members[0].city.as_deref(), Some("Chicago"));
}

/// An article of firms under numbered headings, each with a label list and
/// a link to its site, gives one record per heading; a home page's topic
/// and news sections under headings give none.
#[test]
fn heading_runs_are_records_only_with_contacts() {
    let firms: String = (1..=6)
        .map(|i| {
            format!(
                "<h3>{i}) Harbor Capital {i}</h3><p>Invests in industrial firms.</p>\
                 <ul><li>Country: USA</li><li>City: Boston</li></ul>\
                 <p>You can find their website <a href=\"https://harbor{i}.example/\">here</a>.</p>"
            )
        })
        .collect();
    let page = format!("<html><body><article>{firms}</article></body></html>");
    let ex = extract_page(&page, "http://news.example/list", &ctx());
    assert_eq!(ex.members.len(), 6, "{:?}", ex.members);
    assert_eq!(ex.members[0].name, "Harbor Capital 1");
    assert_eq!(ex.members[0].city.as_deref(), Some("Boston"));
    assert_eq!(ex.members[0].domain.as_deref(), Some("harbor1.example"));

    let topics: String = [
        "Advocacy",
        "Education",
        "Networking",
        "Standards",
        "Safety",
        "Events",
    ]
    .iter()
    .map(|t| format!("<h2>{t}</h2><p>What we do for members in {t}. <a href=\"/{t}\">More</a></p>"))
    .collect();
    let home = format!("<html><body><main>{topics}</main></body></html>");
    let ex = extract_page(&home, "http://pta.example/", &ctx());
    assert!(ex.members.is_empty(), "{:?}", ex.members);
}
