use super::*;

/// A company as the tests expect to see it.
#[derive(Debug, Clone)]
struct Co {
    id: i64,
    name: String,
    state: Option<String>,
    grade: Option<String>,
    updated_at: String,
    active: bool,
    associations: Vec<&'static str>,
    contacts: i64,
    vendor: Option<&'static str>,
}

/// A deterministic mix with every hard case: names equal but for case,
/// missing grades and states, shared timestamps, merged and rejected
/// companies, listings, contacts and signals on some.
fn world(n: i64) -> (tempfile::TempDir, Store, Vec<Co>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nam.db")).unwrap();
    let names = [
        "acme", "ACME", "Acme", "bolt", "Zeta", "ábaco", "gear", "Gear",
    ];
    let grades = [Some("A"), None, Some("B"), Some("A"), None, Some("C")];
    let states = [Some("OH"), Some("PA"), None, Some("OH"), Some("TX")];
    let mut out = Vec::new();
    for i in 0..n {
        let u = i as usize;
        let name = format!("{} {}", names[u % names.len()], i % 3);
        let co = Co {
            id: 0,
            name,
            state: states[u % states.len()].map(Into::into),
            grade: grades[(u * 7) % grades.len()].map(Into::into),
            updated_at: format!("2026-01-0{}T00:00:00Z", 1 + i % 4),
            active: i % 9 != 4,
            associations: match i % 4 {
                0 => vec!["PMA"],
                1 => vec!["NTMA", "PMA"],
                2 => vec!["FIA"],
                _ => vec![],
            },
            contacts: if i % 5 == 0 { 1 + i % 3 } else { 0 },
            vendor: match i % 11 {
                0 => Some("SAP"),
                3 => Some("hubspot"),
                _ => None,
            },
        };
        store
            .conn()
            .execute(
                "INSERT INTO companies (name, name_key, domain, city, state, quality_grade,
                    quality_score, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'Erie', ?4, ?5, 0.5, ?6, 'now', ?7)",
                rusqlite::params![
                    co.name,
                    co.name.to_lowercase(),
                    format!("c{i}.example"),
                    co.state,
                    co.grade,
                    match (co.active, i % 2) {
                        (true, _) => "active",
                        (false, 0) => "merged",
                        (false, _) => "rejected",
                    },
                    co.updated_at
                ],
            )
            .unwrap();
        let id = store.conn().last_insert_rowid();
        for (k, a) in co.associations.iter().enumerate() {
            store
                .conn()
                .execute(
                    "INSERT INTO association_memberships (association_code, record_key, company_id,
                        raw_name, name_key, source_url, extractor, first_seen_at, last_seen_at)
                     VALUES (?1, ?2, ?3, 'x', 'x', 'http://x.example/', 'test', 'now', 'now')",
                    rusqlite::params![a, format!("{id}-{k}"), id],
                )
                .unwrap();
        }
        for k in 0..co.contacts {
            store
                .conn()
                .execute(
                    "INSERT INTO contacts (company_id, full_name, created_at, updated_at)
                     VALUES (?1, ?2, 'now', 'now')",
                    rusqlite::params![id, format!("Person {k}")],
                )
                .unwrap();
        }
        if let Some(v) = co.vendor {
            store
                .conn()
                .execute(
                    "INSERT INTO competitor_signals (company_id, vendor, product, category,
                        signal_type, source_url, detected_at)
                     VALUES (?1, ?2, ?3, 'erp', 'script', 'http://x.example/', 'now')",
                    rusqlite::params![id, v, if v == "SAP" { Some("S/4HANA") } else { None }],
                )
                .unwrap();
        }
        out.push(Co { id, ..co });
    }
    (dir, store, out)
}

fn sort_key(c: &Co, by: CompanySort) -> Vec<u8> {
    match by {
        // NOCASE folds ASCII letters only.
        CompanySort::Name => c.name.to_ascii_lowercase().into_bytes(),
        CompanySort::Grade => c
            .grade
            .as_deref()
            .unwrap_or(MISSING_LAST)
            .as_bytes()
            .to_vec(),
        CompanySort::State => c
            .state
            .as_deref()
            .unwrap_or(MISSING_LAST)
            .as_bytes()
            .to_vec(),
        CompanySort::Updated => c.updated_at.as_bytes().to_vec(),
    }
}

fn matches(c: &Co, f: &BrowseFilter) -> bool {
    c.active
        && f.association
            .as_deref()
            .is_none_or(|a| c.associations.contains(&a))
        && f.grade
            .as_deref()
            .is_none_or(|g| c.grade.as_deref() == Some(g))
        && f.state
            .as_deref()
            .is_none_or(|s| c.state.as_deref() == Some(s))
        && f.technology.as_deref().is_none_or(|t| {
            c.vendor.is_some_and(|v| {
                v.eq_ignore_ascii_case(t) || (v == "SAP" && "S/4HANA".eq_ignore_ascii_case(t))
            })
        })
        && f.has_contacts.is_none_or(|h| h == (c.contacts > 0))
        && f.ids.as_ref().is_none_or(|ids| ids.contains(&c.id))
}

fn expected(cos: &[Co], f: &BrowseFilter, order: SortOrder) -> Vec<i64> {
    let mut v: Vec<&Co> = cos.iter().filter(|c| matches(c, f)).collect();
    v.sort_by_key(|a| (sort_key(a, order.by), a.id));
    if order.descending {
        v.reverse();
    }
    v.into_iter().map(|c| c.id).collect()
}

const ORDERS: [CompanySort; 4] = [
    CompanySort::Name,
    CompanySort::Grade,
    CompanySort::State,
    CompanySort::Updated,
];

/// Every row, a page at a time, forwards from the start and backwards from
/// the end; both must be the whole list in display order, each row once.
fn walk_both_ways(
    store: &Store,
    f: &BrowseFilter,
    order: SortOrder,
    limit: usize,
    small_set: usize,
) -> (Vec<i64>, Vec<i64>) {
    let mut forward = Vec::new();
    let mut key: Option<PageKey> = None;
    loop {
        let req = PageRequest {
            order,
            after: key.as_ref(),
            backwards: false,
            limit,
        };
        let page = store.company_page_with(f, req, small_set).unwrap();
        assert!(page.len() <= limit);
        let Some(last) = page.last() else { break };
        key = Some(last.key(order.by));
        forward.extend(page.iter().map(|r| r.id));
        assert!(forward.len() < 10_000, "paging does not end");
    }
    let mut pages = Vec::new();
    let mut key: Option<PageKey> = None;
    loop {
        let req = PageRequest {
            order,
            after: key.as_ref(),
            backwards: true,
            limit,
        };
        let page = store.company_page_with(f, req, small_set).unwrap();
        let Some(first) = page.first() else { break };
        key = Some(first.key(order.by));
        pages.push(page.iter().map(|r| r.id).collect::<Vec<_>>());
        assert!(pages.len() < 10_000, "paging does not end");
    }
    pages.reverse();
    (forward, pages.concat())
}

#[test]
fn paging_visits_every_row_once_in_order_both_ways() {
    let (_dir, store, cos) = world(61);
    let all = BrowseFilter::default();
    for by in ORDERS {
        for descending in [false, true] {
            let order = SortOrder { by, descending };
            let want = expected(&cos, &all, order);
            assert_eq!(want.len(), 61 - 7, "merged and rejected left out");
            for limit in [1, 4, 50, 500] {
                let (fwd, back) = walk_both_ways(&store, &all, order, limit, SMALL_SET);
                assert_eq!(fwd, want, "{order:?} forwards, pages of {limit}");
                assert_eq!(back, want, "{order:?} backwards, pages of {limit}");
            }
        }
    }
}

#[test]
fn a_page_next_to_a_middle_key_starts_right_beside_it() {
    let (_dir, store, cos) = world(61);
    let all = BrowseFilter::default();
    for by in ORDERS {
        for descending in [false, true] {
            let order = SortOrder { by, descending };
            let want = expected(&cos, &all, order);
            let first = store
                .company_page(
                    &all,
                    PageRequest {
                        order,
                        after: None,
                        backwards: false,
                        limit: want.len(),
                    },
                )
                .unwrap();
            for i in [0, 1, 17, 30, want.len() - 1] {
                let key = first[i].key(by);
                let after = store
                    .company_page(
                        &all,
                        PageRequest {
                            order,
                            after: Some(&key),
                            backwards: false,
                            limit: 5,
                        },
                    )
                    .unwrap();
                let ids: Vec<i64> = after.iter().map(|r| r.id).collect();
                assert_eq!(
                    ids,
                    want[i + 1..(i + 6).min(want.len())],
                    "{order:?} after {i}"
                );
                let before = store
                    .company_page(
                        &all,
                        PageRequest {
                            order,
                            after: Some(&key),
                            backwards: true,
                            limit: 5,
                        },
                    )
                    .unwrap();
                let ids: Vec<i64> = before.iter().map(|r| r.id).collect();
                assert_eq!(ids, want[i.saturating_sub(5)..i], "{order:?} before {i}");
            }
        }
    }
}

#[test]
fn each_filter_pages_and_counts_the_same_by_either_path() {
    let (_dir, store, cos) = world(80);
    let filters = [
        BrowseFilter {
            association: Some("PMA".into()),
            ..Default::default()
        },
        BrowseFilter {
            association: Some("FIA".into()),
            grade: Some("A".into()),
            ..Default::default()
        },
        BrowseFilter {
            grade: Some("B".into()),
            ..Default::default()
        },
        BrowseFilter {
            state: Some("OH".into()),
            ..Default::default()
        },
        BrowseFilter {
            technology: Some("sap".into()),
            ..Default::default()
        },
        BrowseFilter {
            technology: Some("s/4hana".into()),
            ..Default::default()
        },
        BrowseFilter {
            technology: Some("HubSpot".into()),
            state: Some("PA".into()),
            ..Default::default()
        },
        BrowseFilter {
            has_contacts: Some(true),
            ..Default::default()
        },
        BrowseFilter {
            has_contacts: Some(false),
            ..Default::default()
        },
        BrowseFilter {
            association: Some("nobody".into()),
            ..Default::default()
        },
        BrowseFilter {
            association: Some("PMA".into()),
            grade: Some("A".into()),
            state: Some("OH".into()),
            technology: Some("sap".into()),
            has_contacts: Some(true),
            ids: None,
        },
        BrowseFilter {
            association: Some("NTMA".into()),
            state: Some("PA".into()),
            has_contacts: Some(false),
            ..Default::default()
        },
    ];
    for f in &filters {
        let want_all = expected(&cos, f, SortOrder::default());
        let none = f.association.as_deref() == Some("nobody");
        assert_eq!(want_all.is_empty(), none, "{f:?} should match something");
        for by in ORDERS {
            let order = SortOrder {
                by,
                descending: by == CompanySort::State,
            };
            let want = expected(&cos, f, order);
            // 0 forces the walk of the sort index, SMALL_SET reads the
            // filter's matches.
            for small_set in [0, SMALL_SET] {
                let (fwd, back) = walk_both_ways(&store, f, order, 3, small_set);
                assert_eq!(fwd, want, "{f:?} {order:?} small set {small_set}");
                assert_eq!(back, want, "{f:?} {order:?} small set {small_set}");
            }
        }
        // Every way in gives the same companies and the same count.
        let mut sorted_want = want_all.clone();
        sorted_want.sort_unstable();
        assert_eq!(store.count_by(f, None).unwrap() as usize, want_all.len());
        for d in Driver::ALL.into_iter().filter(|d| d.applies(f)) {
            let n = store.count_by(f, Some(d)).unwrap();
            assert_eq!(n as usize, want_all.len(), "{f:?} counted through {d:?}");
            let mut stmt = store.conn().prepare(d.sql().ids).unwrap();
            bind_filter(&mut stmt, f, None).unwrap();
            bind(&mut stmt, ":cap", &-1).unwrap();
            let mut rows = stmt.raw_query();
            let mut ids = Vec::new();
            while let Some(r) = rows.next().unwrap() {
                ids.push(r.get::<_, i64>(0).unwrap());
            }
            ids.sort_unstable();
            assert_eq!(ids, sorted_want, "{f:?} read through {d:?}");
        }
        assert_eq!(
            store.company_browse_count(f).unwrap() as usize,
            want_all.len()
        );
    }
}

#[test]
fn ids_restrict_the_list_and_combine_with_filters() {
    let (_dir, store, cos) = world(40);
    let merged = cos.iter().find(|c| !c.active).unwrap().id;
    let picked: Vec<i64> = cos.iter().step_by(3).map(|c| c.id).collect();
    // Duplicates, a merged company and an unknown id change nothing.
    let mut ids = picked.clone();
    ids.extend([picked[0], merged, 99_999]);
    let f = BrowseFilter {
        ids: Some(ids),
        ..Default::default()
    };
    for by in ORDERS {
        let order = SortOrder {
            by,
            descending: false,
        };
        let want = expected(&cos, &f, order);
        assert!(!want.contains(&merged));
        assert_eq!(
            want.len(),
            picked
                .iter()
                .filter(|id| cos.iter().any(|c| c.id == **id && c.active))
                .count()
        );
        let (fwd, back) = walk_both_ways(&store, &f, order, 2, SMALL_SET);
        assert_eq!(fwd, want, "{order:?}");
        assert_eq!(back, want, "{order:?}");
    }
    assert_eq!(
        store.company_browse_count(&f).unwrap() as usize,
        expected(&cos, &f, SortOrder::default()).len()
    );
    let narrowed = BrowseFilter {
        state: Some("OH".into()),
        ..f.clone()
    };
    let want = expected(&cos, &narrowed, SortOrder::default());
    assert!(!want.is_empty() && want.len() < expected(&cos, &f, SortOrder::default()).len());
    let (fwd, _) = walk_both_ways(&store, &narrowed, SortOrder::default(), 2, SMALL_SET);
    assert_eq!(fwd, want);
    // No ids: nothing, not everything.
    let empty = BrowseFilter {
        ids: Some(Vec::new()),
        ..Default::default()
    };
    assert_eq!(store.company_browse_count(&empty).unwrap(), 0);
    assert!(
        walk_both_ways(&store, &empty, SortOrder::default(), 5, SMALL_SET)
            .0
            .is_empty()
    );
}

#[test]
fn rows_carry_what_the_table_shows() {
    let (_dir, store, cos) = world(12);
    let page = store
        .company_page(
            &BrowseFilter::default(),
            PageRequest {
                order: SortOrder::default(),
                after: None,
                backwards: false,
                limit: 100,
            },
        )
        .unwrap();
    let want = cos.iter().find(|c| c.id == cos[1].id).unwrap();
    let row = page.iter().find(|r| r.id == want.id).unwrap();
    assert_eq!(row.name, want.name);
    assert_eq!(row.associations, ["NTMA", "PMA"]);
    assert_eq!(row.domain.as_deref(), Some("c1.example"));
    assert_eq!(row.city.as_deref(), Some("Erie"));
    assert_eq!(row.quality_score, Some(0.5));
    let with_contacts = page.iter().find(|r| r.id == cos[10].id).unwrap();
    assert_eq!(with_contacts.contacts, cos[10].contacts);
    assert_eq!(with_contacts.contacts, 2);
    // A limit of zero reads nothing.
    let none = store
        .company_page(
            &BrowseFilter::default(),
            PageRequest {
                limit: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn the_missing_key_is_the_index_expressions_char() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nam.db")).unwrap();
    let same: bool = store
        .conn()
        .query_row("SELECT char(1114111) = ?1", [MISSING_LAST], |r| r.get(0))
        .unwrap();
    assert!(same);
}

/// The query plans SQLite picks: every page of the unfiltered list is a
/// seek in its order's index and never sorts; a page of a small set sorts
/// the set, reading companies by id.
#[test]
fn pages_seek_their_index_instead_of_sorting() {
    let (_dir, store, _) = world(30);
    let plan = |sql: &str| -> String {
        let mut stmt = store
            .conn()
            .prepare(&["EXPLAIN QUERY PLAN ", sql].concat())
            .unwrap();
        // Parameters left unbound are NULL, which the plan does not depend on.
        let mut rows = stmt.raw_query();
        let mut details = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            details.push(r.get::<_, String>(3).unwrap());
        }
        details.join(" | ")
    };
    let indexes = [
        "companies_browse_name",
        "companies_browse_grade",
        "companies_browse_state",
        "companies_browse_updated",
    ];
    for (order, index) in indexes.iter().enumerate() {
        for dir in 0..2 {
            let sql = &WALK[order][dir];
            for (shape, text) in [
                ("first", sql.first),
                ("ties", sql.ties),
                ("after", sql.after),
            ] {
                let p = plan(text);
                // Every filter is checked in the index or in another table:
                // the walk never reads a company row.
                assert!(
                    p.contains(&format!("COVERING INDEX {index}")) && !p.contains("TEMP B-TREE"),
                    "{index} {dir} {shape}: {p}"
                );
                assert!(
                    p.contains("COVERING INDEX memberships_association_company"),
                    "the association test reads no listing row: {p}"
                );
                if shape != "first" {
                    assert!(p.contains("SEARCH"), "{index} {dir} {shape} must seek: {p}");
                }
            }
            let p = plan(SET[order][dir].after);
            assert!(
                p.contains("json_each") || p.contains("VIRTUAL TABLE"),
                "set pages start from the ids: {p}"
            );
            assert!(p.contains("INTEGER PRIMARY KEY"), "{p}");
        }
    }
    // Each driver reads its own index.
    for (d, indexes) in [
        (
            Driver::Technology,
            &[
                "competitor_signals_vendor",
                "competitor_signals_product",
                "COVERING INDEX companies_browse_active",
            ][..],
        ),
        (
            Driver::Contacts,
            &["contacts_company", "COVERING INDEX companies_browse_active"],
        ),
        (Driver::State, &["COVERING INDEX companies_browse_state"]),
        (
            Driver::Association,
            &[
                "COVERING INDEX memberships_association_company",
                "COVERING INDEX companies_browse_active",
            ],
        ),
        (Driver::Grade, &["COVERING INDEX companies_browse_grade"]),
    ] {
        for sql in [d.sql().ids, d.sql().count] {
            let p = plan(sql);
            for index in indexes {
                assert!(p.contains(index), "{d:?} should read {index}: {p}");
            }
            assert!(!p.contains("PRIMARY KEY"), "{d:?} reads company rows: {p}");
        }
        // Sizing a driver reads its own index only.
        let own = indexes[0].trim_start_matches("COVERING INDEX ");
        let p = plan(d.sql().entries);
        assert!(
            p.contains(own) && !p.contains("companies_browse_active"),
            "{d:?}: {p}"
        );
    }
    let p = plan(COUNT_SET);
    assert!(p.contains("COVERING INDEX companies_browse_active"), "{p}");
    let p = plan(COUNT_WALK);
    assert!(p.contains("COVERING INDEX"), "{p}");
    let p = plan(ROWS_SQL);
    assert!(p.contains("contacts_company"), "{p}");
}
