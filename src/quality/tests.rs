//! The phase over a real store: incremental runs, the audit trail, twins,
//! cancellation, resuming, and the fixture world.

use std::path::{Path, PathBuf};

use super::*;
use crate::model::{
    EventSender, JobMode, MemberRecord, Phase, PipelineEvent, RunControl, event_channel,
};
use crate::normalize::name_key;
use crate::store::{Checkpoint, NewJob, QualityAuditEntry, Store, Writer};

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nam.db");
    drop(Store::open(&path).unwrap());
    (dir, path)
}

/// A complete Cleveland listing.
fn listing(assoc: &str, name: &str, domain: &str, phone: &str) -> MemberRecord {
    MemberRecord {
        association: assoc.into(),
        name: name.into(),
        website: Some(format!("http://www.{domain}/")),
        domain: Some(domain.into()),
        phone: Some(phone.into()),
        email: Some(format!("sales@{domain}")),
        street: Some("1200 Industrial Pkwy".into()),
        city: Some("Cleveland".into()),
        state: Some("OH".into()),
        postal_code: Some("44114".into()),
        country: Some("US".into()),
        source_url: format!("http://{}.example/directory/", assoc.to_lowercase()),
        extractor: "configured".into(),
        confidence: 0.9,
        ..Default::default()
    }
}

/// Stores listings as extraction does; returns their company ids.
fn store_listings(path: &Path, recs: &[MemberRecord]) -> Vec<i64> {
    let store = Store::open(path).unwrap();
    recs.iter()
        .map(|r| {
            let key = name_key(&r.name);
            let id = store.upsert_company_from_member(r, &key).unwrap();
            store.upsert_membership(r, &key, Some(id), None).unwrap();
            id
        })
        .collect()
}

fn audit(path: &Path, id: i64) -> Vec<QualityAuditEntry> {
    Store::open_readonly(path)
        .unwrap()
        .quality_audit_of(id)
        .unwrap()
}

fn audit_count(path: &Path) -> i64 {
    Store::open_readonly(path)
        .unwrap()
        .quality_audit_count()
        .unwrap()
}

/// Puts the last validation a second ahead of every update, as the clock
/// would by the next run.
fn time_passes(path: &Path) {
    Store::open(path)
        .unwrap()
        .backdate_companies_for_test()
        .unwrap();
}

#[test]
fn rerun_without_changes_logs_nothing_and_a_changed_postal_code_logs_the_failure() {
    let (_dir, path) = db();
    let ids = store_listings(
        &path,
        &[
            listing(
                "PMA",
                "Acme Stamping",
                "acme-stamping.example",
                "+12165550147",
            ),
            listing("NTMA", "Baker Gear", "baker-gear.example", "+12165550148"),
        ],
    );
    let first = validate_pending(&path).unwrap();
    assert_eq!(first.validated, 2);
    assert_eq!(first.grades["A"], 2, "{}", first.summary());
    assert_eq!(first.checks["state_postal"].pass, 2);
    assert_eq!(first.checks["phone_area_state"].pass, 2);
    assert_eq!(first.checks["email_domain"].pass, 2);
    // Every applicable check is new, and so are score and grade.
    let rows = audit(&path, ids[0]);
    let names: Vec<&str> = rows.iter().map(|r| r.check_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "duplicate_phone_name",
            "duplicate_domain",
            "email_domain",
            "state_postal",
            "phone_area_state",
            "quality_score",
            "quality_grade"
        ]
    );
    let score_row = &rows[5];
    assert_eq!(score_row.detail.as_deref(), Some("none -> 94.0"));
    assert_eq!(score_row.score, Some(94.0));
    assert_eq!(rows[6].detail.as_deref(), Some("none -> A"));
    let logged = audit_count(&path);

    // Validated in the second the companies changed: due once more, and
    // re-validating them changes nothing and logs nothing.
    let again = validate_pending(&path).unwrap();
    assert_eq!(again.audit_rows, 0);
    assert_eq!(again.score_changes, 0);
    assert_eq!(audit_count(&path), logged);

    // A second later nothing is due at all.
    time_passes(&path);
    let idle = validate_pending(&path).unwrap();
    assert_eq!((idle.validated, idle.audit_rows), (0, 0));

    // Pittsburgh's ZIP on the Cleveland company: the state check fails, the
    // score and grade drop, and only that company is validated again.
    Store::open(&path)
        .unwrap()
        .set_postal_code_for_test(ids[0], "15222", "2000-01-01T00:00:02Z")
        .unwrap();
    let after = validate_pending(&path).unwrap();
    assert_eq!(after.validated, 1);
    assert_eq!(after.checks["state_postal"].fail, 1);
    let new_rows: Vec<QualityAuditEntry> = audit(&path, ids[0]).into_iter().skip(7).collect();
    let got: Vec<(&str, &str, &str)> = new_rows
        .iter()
        .map(|r| {
            (
                r.check_name.as_str(),
                r.outcome.as_str(),
                r.detail.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("state_postal", "fail", "ZIP 15222 belongs to PA, not OH"),
            ("quality_score", "warn", "94.0 -> 79.0"),
            ("quality_grade", "warn", "A -> C"),
        ]
    );
    assert!(
        audit(&path, ids[1]).len() == 7,
        "the other company was left alone"
    );
    let c = Store::open_readonly(&path)
        .unwrap()
        .company(ids[0])
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.quality_score, c.quality_grade.as_deref()),
        (Some(79.0), Some("C"))
    );
}

#[test]
fn a_new_duplicate_sends_its_twin_back_for_validation() {
    let (_dir, path) = db();
    let a = store_listings(
        &path,
        &[listing(
            "PMA",
            "Acme Stamping Inc.",
            "acme-stamping.example",
            "+12165550147",
        )],
    )[0];
    validate_pending(&path).unwrap();
    let pass = audit(&path, a);
    assert_eq!(pass[0].check_name, "duplicate_phone_name");
    assert_eq!(pass[0].outcome, "pass");
    time_passes(&path);

    // Same firm under another domain: a hard-key duplicate.
    let b = store_listings(
        &path,
        &[listing(
            "NTMA",
            "ACME STAMPING",
            "acmestamping.example",
            "+12165550147",
        )],
    )[0];
    assert_ne!(a, b);
    let report = validate_pending(&path).unwrap();
    assert_eq!(report.rechecked, 1);
    assert_eq!(report.validated, 2, "b, then a again in the same run");
    assert_eq!(report.checks["duplicate_phone_name"].warn, 2);
    let warn_b = audit(&path, b)
        .into_iter()
        .find(|r| r.check_name == "duplicate_phone_name")
        .unwrap();
    assert_eq!(warn_b.outcome, "warn");
    assert!(
        warn_b
            .detail
            .as_deref()
            .unwrap()
            .starts_with(&format!("company {a} has")),
        "{:?}",
        warn_b.detail
    );
    let warn_a = audit(&path, a)
        .into_iter()
        .rfind(|r| r.check_name == "duplicate_phone_name")
        .unwrap();
    assert_eq!(warn_a.outcome, "warn");
    assert!(
        warn_a
            .detail
            .unwrap()
            .starts_with(&format!("company {b} has"))
    );

    // Both sides now agree; the next run has nothing to log.
    time_passes(&path);
    let idle = validate_pending(&path).unwrap();
    assert_eq!((idle.validated, idle.audit_rows), (0, 0));
}

#[test]
fn a_listing_carrying_another_companys_domain_is_a_duplicate_domain() {
    let (_dir, path) = db();
    let ids = store_listings(
        &path,
        &[
            listing(
                "PMA",
                "Acme Stamping",
                "acme-stamping.example",
                "+12165550147",
            ),
            listing("NTMA", "Baker Gear", "baker-gear.example", "+12165550148"),
        ],
    );
    // Baker's listing now points at Acme's site (the listing keeps its company).
    let mut moved = listing(
        "NTMA",
        "Baker Gear",
        "acme-stamping.example",
        "+12165550148",
    );
    moved.email = None;
    let store = Store::open(&path).unwrap();
    store
        .upsert_membership(&moved, &name_key(&moved.name), Some(ids[1]), None)
        .unwrap();
    drop(store);
    let report = validate_pending(&path).unwrap();
    assert_eq!(
        report.checks["duplicate_domain"].warn, 2,
        "{:?}",
        report.checks
    );
    let row = audit(&path, ids[1])
        .into_iter()
        .find(|r| r.check_name == "duplicate_domain")
        .unwrap();
    assert_eq!(
        row.detail.as_deref(),
        Some(
            format!(
                "domain acme-stamping.example is also listed for company {}",
                ids[0]
            )
            .as_str()
        )
    );
}

#[test]
fn cancelled_before_a_batch_writes_nothing_and_a_later_run_catches_up() {
    let (_dir, path) = db();
    store_listings(
        &path,
        &[listing(
            "PMA",
            "Acme Stamping",
            "acme-stamping.example",
            "+12165550147",
        )],
    );
    let writer = Writer::open(&path).unwrap();
    let reader = Store::open_readonly(&path).unwrap();
    let control = RunControl::new();
    control.cancel();
    let report = run_validation(&ValidateRun {
        reader: &reader,
        writer: &writer,
        job_id: None,
        events: &EventSender::none(),
        control: &control,
    })
    .unwrap();
    writer.flush_blocking().unwrap();
    assert!(report.cancelled);
    assert_eq!(report.validated, 0);
    assert_eq!(audit_count(&path), 0);
    assert!(report.summary().ends_with("(cancelled)"));
    assert_eq!(validate_pending(&path).unwrap().validated, 1);
}

#[test]
fn a_resumed_job_starts_after_its_checkpoint_then_sweeps_what_it_left() {
    let (_dir, path) = db();
    let recs: Vec<MemberRecord> = (0..1500)
        .map(|i| {
            listing(
                "PMA",
                &format!("Company {i}"),
                &format!("company-{i}.example"),
                &format!("+1216555{i:04}"),
            )
        })
        .collect();
    let ids = store_listings(&path, &recs);
    let writer = Writer::open(&path).unwrap();
    let job = writer
        .call_blocking(|s| {
            let j = s.create_job(&NewJob {
                kind: "run",
                mode: JobMode::Validate,
                params_json: "{}",
            })?;
            s.start_phase(j, Phase::Validation)?;
            // As an interrupted run left it: companies up to 1000 done.
            s.checkpoint(
                j,
                Phase::Validation,
                &Checkpoint {
                    done: 1000,
                    total: Some(1500),
                    cursor: Some("1000"),
                },
            )?;
            Ok(j)
        })
        .unwrap();
    let reader = Store::open_readonly(&path).unwrap();
    let (events, mut rx) = event_channel(64);
    let report = run_validation(&ValidateRun {
        reader: &reader,
        writer: &writer,
        job_id: Some(job),
        events: &events,
        control: &RunControl::new(),
    })
    .unwrap();
    writer.flush_blocking().unwrap();
    // The interrupted run never wrote its batch here, so the sweep from the
    // start validates the first thousand after the rest.
    assert_eq!(report.validated, 1500);
    let first_row = |id: i64| audit(&path, id)[0].id;
    assert!(
        first_row(ids[1000]) < first_row(ids[0]),
        "resumed after the cursor"
    );
    assert!(first_row(ids[1499]) < first_row(ids[999]));
    let row = &audit(&path, ids[0])[0];
    assert_eq!(row.job_id, Some(job));
    let cursor = reader.phase_cursor(job, Phase::Validation).unwrap();
    assert_eq!(cursor, Some(ids[999].to_string()), "the sweep's last batch");
    let mut progress = None;
    while let Some(ev) = rx.try_recv() {
        if let PipelineEvent::Progress { done, total, .. } = ev {
            progress = Some((done, total));
        }
    }
    assert_eq!(progress, Some((1500, Some(1500))));
}

#[test]
fn the_fixture_worlds_companies_pass_the_geographic_checks() {
    use crate::fixture_site::{World, WorldConfig};
    let (_dir, path) = db();
    let truth = World::new(WorldConfig {
        seed: 11,
        members: 400,
        ..Default::default()
    })
    .ground_truth();
    let recs: Vec<MemberRecord> = truth
        .companies
        .iter()
        .map(|c| MemberRecord {
            association: "PMA".into(),
            name: c.name.clone(),
            website: Some(c.website.clone()),
            domain: Some(c.domain.clone()),
            phone: Some(c.phone_e164.clone()),
            street: Some(c.street.clone()),
            city: Some(c.city.clone()),
            state: Some(c.state.clone()),
            postal_code: Some(c.postal_code.clone()),
            country: Some(c.country.clone()),
            source_url: "http://pma.example/directory/".into(),
            extractor: "configured".into(),
            confidence: 0.9,
            ..Default::default()
        })
        .collect();
    store_listings(&path, &recs);
    let report = validate_pending(&path).unwrap();
    assert_eq!(report.validated, truth.companies.len() as u64);
    for check in ["state_postal", "phone_area_state"] {
        let n = report.checks[check];
        assert_eq!((n.warn, n.fail), (0, 0), "{check}: {n:?}");
        assert_eq!(n.pass, report.validated, "{check} applies to every company");
    }
}
