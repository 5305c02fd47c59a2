use super::*;
use crate::model::MemberRecord;

struct World {
    dir: tempfile::TempDir,
    store: Store,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nam.db")).unwrap();
        World { dir, store }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("nam.db")
    }

    fn add(&self, name: &str, domain: Option<&str>, city: Option<&str>) -> i64 {
        let rec = MemberRecord {
            association: "PMA".into(),
            name: name.into(),
            domain: domain.map(Into::into),
            city: city.map(Into::into),
            source_url: "http://pma.example/".into(),
            extractor: "test".into(),
            ..Default::default()
        };
        self.store
            .upsert_company_from_member(&rec, &crate::normalize::name_key(name))
            .unwrap()
    }
}

/// A small world with the cases the searches below need.
fn sample() -> (World, Vec<i64>) {
    let w = World::new();
    let ids = vec![
        w.add(
            "Acme Stamping Inc.",
            Some("acme-stamping.example"),
            Some("Cleveland"),
        ),
        w.add("ACME Tooling", None, Some("Erie")),
        w.add(
            "Brightline Gear",
            Some("brightline.example"),
            Some("Rockford"),
        ),
        w.add("Gearbox Industries", None, Some("Akron")),
        w.add("Zürich Präzision AG", None, Some("Montréal")),
        w.add("Erie Tool Works", None, Some("Pittsburgh")),
        w.add("Acme Gear Works", None, None),
    ];
    (w, ids)
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[test]
fn the_last_word_is_a_prefix_and_every_word_must_match() {
    let (w, ids) = sample();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    let r = s.refresh(&w.store).unwrap();
    assert!(r.rebuilt);
    assert_eq!((r.upserted, r.docs), (7, 7));
    let acme = [ids[0], ids[1], ids[6]];
    assert_eq!(sorted(s.search("acme", 10).unwrap()), acme);
    assert_eq!(
        sorted(s.search("a", 10).unwrap()),
        sorted(vec![ids[0], ids[1], ids[3], ids[4], ids[6]])
    );
    assert_eq!(sorted(s.search("ac", 10).unwrap()), acme);
    assert_eq!(s.search("acme st", 10).unwrap(), [ids[0]]);
    assert_eq!(s.search("acme stamping", 10).unwrap(), [ids[0]]);
    // Only the last word is a prefix.
    assert!(s.search("acm stamping", 10).unwrap().is_empty());
    // Every word must match.
    assert_eq!(s.search("acme gear", 10).unwrap(), [ids[6]]);
    assert!(s.search("acme rockford", 10).unwrap().is_empty());
    // City and domain words match too; the top-level domain does not.
    assert_eq!(s.search("brightline rock", 10).unwrap(), [ids[2]]);
    assert_eq!(s.search("stamping clev", 10).unwrap(), [ids[0]]);
    assert!(s.search("example", 10).unwrap().is_empty());
    // Nothing to search for, or no room for it.
    assert!(s.search("  -- ", 10).unwrap().is_empty());
    assert!(s.search("acme", 0).unwrap().is_empty());
    assert_eq!(s.search("acme", 2).unwrap().len(), 2);
}

#[test]
fn case_and_accents_do_not_matter() {
    let (w, ids) = sample();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    s.refresh(&w.store).unwrap();
    for q in [
        "zur",
        "ZÜR",
        "zürich",
        "Zurich praz",
        "PRÄZISION",
        "montre",
        "MONTRÉAL",
    ] {
        assert_eq!(s.search(q, 10).unwrap(), [ids[4]], "{q}");
    }
}

#[test]
fn long_prefixes_match_beyond_the_indexed_ones() {
    let w = World::new();
    let long = w.add("Internationalization Fasteners", None, None);
    w.add("Internal Gear Co", None, None);
    let mut s = CompanySearch::open(&w.db()).unwrap();
    s.refresh(&w.store).unwrap();
    assert!("internationaliz".len() > MAX_PREFIX);
    assert_eq!(s.search("internationaliz", 10).unwrap(), [long]);
    assert_eq!(s.search("INTERNATIONALIZATION fast", 10).unwrap(), [long]);
    assert_eq!(s.search("internal", 10).unwrap().len(), 1);
    assert_eq!(s.search("intern", 10).unwrap().len(), 2);
}

#[test]
fn whole_words_and_name_matches_rank_first() {
    let (w, ids) = sample();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    s.refresh(&w.store).unwrap();
    // "gear" in full: the two with the word Gear before Gearbox.
    let hits = s.search("gear", 10).unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[2], ids[3], "{hits:?}");
    // Erie Tool Works is named Erie; ACME Tooling is only in Erie.
    let hits = s.search("erie", 10).unwrap();
    assert_eq!(hits, [ids[5], ids[1]]);
}

#[test]
fn refresh_follows_renames_merges_deletions_and_new_companies() {
    let (w, ids) = sample();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    s.refresh(&w.store).unwrap();
    let handle = s.handle();
    // Nothing changed: nothing done.
    let r = s.refresh(&w.store).unwrap();
    assert_eq!(
        r,
        RefreshReport {
            docs: 7,
            ..Default::default()
        }
    );

    w.store
        .rename_company_for_test(ids[6], "Summit Gear Works")
        .unwrap();
    w.store.mark_merged_for_test(ids[1], ids[0]).unwrap();
    w.store.delete_company_for_test(ids[3]).unwrap();
    let new = w.add("Quasar Castings", None, Some("Erie"));
    // Until the refresh, searches see the last commit.
    assert_eq!(handle.search("acme gear", 10).unwrap(), [ids[6]]);
    assert!(handle.search("summit", 10).unwrap().is_empty());
    assert!(handle.search("quasar", 10).unwrap().is_empty());

    let r = s.refresh(&w.store).unwrap();
    assert!(!r.rebuilt);
    assert_eq!((r.upserted, r.removed, r.docs), (2, 2, 6));
    // The handle taken before the refresh sees it too.
    for h in [&handle, &s.handle()] {
        assert!(h.search("acme gear", 10).unwrap().is_empty());
        assert_eq!(h.search("summit ge", 10).unwrap(), [ids[6]]);
        // Neither the merged nor the renamed one is an Acme any more.
        assert_eq!(h.search("acme", 10).unwrap(), [ids[0]]);
        assert!(h.search("gearbox", 10).unwrap().is_empty());
        assert_eq!(h.search("quas", 10).unwrap(), [new]);
        assert_eq!(sorted(h.search("erie", 10).unwrap()), [ids[5], new]);
    }
    // A reopened index carries on from its stored watermark.
    drop(s);
    let mut s = CompanySearch::open(&w.db()).unwrap();
    assert_eq!(s.len(), 6);
    let r = s.refresh(&w.store).unwrap();
    assert_eq!((r.rebuilt, r.upserted, r.removed), (false, 0, 0));
    // An undone merge brings the company back.
    let mut row = w.store.company_row(ids[1]).unwrap().unwrap();
    row.status = "active".into();
    row.merged_into = None;
    w.store.write_company_row(&row).unwrap();
    let r = s.refresh(&w.store).unwrap();
    assert_eq!((r.upserted, r.docs), (1, 7));
    assert_eq!(s.search("tooling", 10).unwrap(), [ids[1]]);
}

#[test]
fn a_corrupt_index_is_wiped_and_rebuilt() {
    let (w, ids) = sample();
    let dir = index_dir(&w.db());
    assert_eq!(dir, w.dir.path().join("nam.db.search"));
    {
        let mut s = CompanySearch::open(&w.db()).unwrap();
        s.refresh(&w.store).unwrap();
    }
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    assert!(s.is_empty());
    let r = s.refresh(&w.store).unwrap();
    assert!(r.rebuilt);
    assert_eq!(s.search("brightline", 5).unwrap(), [ids[2]]);
    drop(s);

    // A segment file gone missing.
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    std::fs::remove_file(segment).unwrap();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    assert!(s.refresh(&w.store).unwrap().rebuilt);
    assert_eq!(s.search("brightline", 5).unwrap(), [ids[2]]);
    drop(s);

    // A directory that is not an index at all.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"a file where the directory should be").unwrap();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    assert!(s.refresh(&w.store).unwrap().rebuilt);
    assert_eq!(s.len(), 7);
}

#[test]
fn an_index_of_another_format_is_rebuilt() {
    let (w, ids) = sample();
    {
        let mut s = CompanySearch::open(&w.db()).unwrap();
        s.refresh(&w.store).unwrap();
        // Rewrite the commit's payload as an older nam would have left it.
        let mut writer = s.writer(None).unwrap();
        let mut commit = writer.prepare_commit().unwrap();
        commit.set_payload(r#"{"format":0,"watermark":{"max_id":1,"change_seq":0}}"#);
        commit.commit().unwrap();
    }
    let mut s = CompanySearch::open(&w.db()).unwrap();
    assert!(s.is_empty(), "wiped at open");
    let r = s.refresh(&w.store).unwrap();
    assert!(r.rebuilt);
    assert_eq!(s.search("zur", 5).unwrap(), [ids[4]]);
}

#[test]
fn a_refresh_while_another_holds_the_index_is_skipped() {
    let (w, _) = sample();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    let other = CompanySearch::open(&w.db()).unwrap();
    let held = other.writer(None).unwrap();
    let r = s.refresh(&w.store).unwrap();
    assert!(r.busy && !r.rebuilt && r.upserted == 0, "{r:?}");
    drop(held);
    assert_eq!(s.refresh(&w.store).unwrap().upserted, 7);
}

#[test]
fn searches_run_while_a_refresh_builds() {
    let mut w = World::new();
    w.store
        .transaction(|st| {
            for i in 0..3000 {
                let rec = MemberRecord {
                    association: "PMA".into(),
                    name: format!("Company {i} Stamping"),
                    source_url: "http://pma.example/".into(),
                    extractor: "test".into(),
                    ..Default::default()
                };
                st.upsert_company_from_member(&rec, &format!("company {i} stamping"))?;
            }
            Ok(())
        })
        .unwrap();
    let mut s = CompanySearch::open(&w.db()).unwrap();
    let handle = s.handle();
    let db = w.db();
    let refresher = std::thread::spawn(move || {
        let store = Store::open_readonly(&db).unwrap();
        s.refresh(&store).unwrap()
    });
    // Every answer is a whole generation: nothing, or all the companies.
    let mut answers = std::collections::BTreeSet::new();
    while !refresher.is_finished() {
        answers.insert(handle.search("stamp", 5000).unwrap().len());
    }
    let report = refresher.join().unwrap();
    assert_eq!(report.docs, 3000);
    answers.insert(handle.search("stamp", 5000).unwrap().len());
    assert!(answers.iter().all(|n| *n == 0 || *n == 3000), "{answers:?}");
    assert!(answers.contains(&3000));
}

#[test]
fn folding_splits_and_strips() {
    assert_eq!(
        fold_words("Zürich-Präzision  AG!"),
        ["zurich", "prazision", "ag"]
    );
    assert_eq!(domain_words("acme-stamping.example"), ["acme", "stamping"]);
    assert_eq!(domain_words("acme.co.uk"), ["acme", "co"]);
    let words = fold_words("gear gearbox");
    assert_eq!(
        prefixes(&words),
        ["g", "ge", "gea", "gear", "gearb", "gearbo", "gearbox"]
    );
}
