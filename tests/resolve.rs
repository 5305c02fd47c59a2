//! RESOLUTION against the fixture world's ground truth: accuracy of the
//! automatic decisions, the review band, undo, decisions that survive
//! re-runs, and incremental joins with stable ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use nam::fixture_site::records::{self, RecordSetConfig, TrueRecord, pairwise_score};
use nam::model::{DecisionKind, MemberRecord};
use nam::normalize::{name_key, normalize_phone, registrable_domain};
use nam::resolve::{resolve_pending, review};
use nam::store::Store;

fn member(r: &TrueRecord) -> MemberRecord {
    MemberRecord {
        association: r.association.clone(),
        name: r.name.clone(),
        domain: r.website.as_deref().and_then(registrable_domain),
        website: r.website.clone(),
        phone: r
            .phone
            .as_deref()
            .map(|p| normalize_phone(p).unwrap_or_else(|| p.to_owned())),
        email: r.email.clone(),
        street: r.street.clone(),
        city: r.city.clone(),
        state: r.state.clone(),
        postal_code: r.postal_code.clone(),
        country: r.country.clone(),
        source_url: "file:///records.csv".into(),
        extractor: "import".into(),
        confidence: 1.0,
        external_id: Some(r.external_id.clone()),
        ..Default::default()
    }
}

/// Loads records the way extraction and import attach them (hard keys only).
fn load(db: &Path, recs: &[TrueRecord]) {
    let mut store = Store::open(db).unwrap();
    store
        .transaction(|s| {
            for r in recs {
                let m = member(r);
                let key = name_key(&m.name);
                let id = s.upsert_company_from_member(&m, &key)?;
                s.upsert_membership(&m, &key, Some(id), None)?;
            }
            Ok(())
        })
        .unwrap();
}

struct Outcome {
    precision: f64,
    recall: f64,
    review_share: f64,
}

fn evaluate(db: &Path, recs: &[TrueRecord]) -> Outcome {
    let store = Store::open(db).unwrap();
    let truth = records::truth_map(recs);
    let score = pairwise_score(&store.membership_assignment().unwrap(), &truth);
    // Records whose company is in a pending candidate pair.
    let pending = store.pending_candidates(None).unwrap();
    let mut in_review: HashMap<i64, ()> = HashMap::new();
    for c in &pending {
        in_review.insert(c.left_id, ());
        in_review.insert(c.right_id, ());
    }
    let counted = store
        .membership_assignment()
        .unwrap()
        .iter()
        .filter(|(_, c)| in_review.contains_key(c))
        .count();
    Outcome {
        precision: score.precision,
        recall: score.recall,
        review_share: counted as f64 / recs.len() as f64,
    }
}

fn check_accuracy(companies: usize, hard: bool) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nam.db");
    let recs = records::generate(&RecordSetConfig {
        seed: 11,
        companies,
        hard,
    });
    load(&db, &recs);
    let report = resolve_pending(&db, false).unwrap();
    let o = evaluate(&db, &recs);
    eprintln!(
        "{companies} companies (hard: {hard}), {} records: precision {:.4} recall {:.4} review {:.2}% ({})",
        recs.len(),
        o.precision,
        o.recall,
        o.review_share * 100.0,
        report.summary()
    );
    if std::env::var("SHOW").is_ok() {
        eprintln!("{}", serde_json::to_string(&report).unwrap());
        let store = Store::open(&db).unwrap();
        let truth = records::truth_map(&recs);
        let mut company_truth: HashMap<i64, u32> = HashMap::new();
        for (ext, c) in store.membership_assignment().unwrap() {
            company_truth.insert(c, truth[&ext]);
        }
        for c in store.pending_candidates(None).unwrap() {
            let same = company_truth.get(&c.left_id) == company_truth.get(&c.right_id);
            let l = store.company(c.left_id).unwrap().unwrap();
            let r = store.company(c.right_id).unwrap().unwrap();
            eprintln!(
                "CAND {} {:.2} {} / {} | {:?} | {:?}",
                if same { "SAME" } else { "DIFF" },
                c.score,
                l.name,
                r.name,
                c.evidence.agreed,
                c.evidence.conflicted
            );
        }
    }
    assert!(o.precision >= 0.98, "precision {:.4}", o.precision);
    assert!(o.recall >= 0.95, "recall {:.4}", o.recall);
    assert!(o.review_share < 0.05, "review band {:.4}", o.review_share);
}

#[test]
fn automatic_decisions_are_accurate_on_2000_companies() {
    check_accuracy(2000, false);
}

#[test]
fn automatic_decisions_are_accurate_on_the_hard_variant() {
    check_accuracy(2000, true);
}

/// The 100,000-company check (about a minute in release): run with
/// `cargo test --release --test resolve -- --ignored`.
#[test]
#[ignore]
fn automatic_decisions_are_accurate_on_100000_companies() {
    check_accuracy(100_000, false);
    check_accuracy(100_000, true);
}

struct Obs;
impl nam::resolve::engine::Observer for Obs {
    fn progress(&self, _: u64, _: u64) {}
    fn cancelled(&self) -> bool {
        false
    }
}

/// Calibration: fits the model's weights on labelled candidate pairs of the
/// normal and hard record sets (other seeds than the accuracy tests use) and
/// prints them for assets/resolve.toml. `cargo test --release --test resolve
/// -- --ignored fit_weights --nocapture`.
#[test]
#[ignore]
fn fit_weights() {
    use nam::resolve::compare::{Prepared, Rarity, compare};
    use nam::resolve::engine::{Blocking, blocked_pairs};
    let mut examples: Vec<(Vec<f64>, f64)> = Vec::new();
    let mut blocked_true = 0usize;
    let mut all_true = 0usize;
    for (seed, hard) in [(3, false), (5, true), (9, true)] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nam.db");
        let recs = records::generate(&RecordSetConfig {
            seed,
            companies: 3000,
            hard,
        });
        load(&db, &recs);
        let store = Store::open(&db).unwrap();
        let truth = records::truth_map(&recs);
        let mut company_truth: HashMap<i64, u32> = HashMap::new();
        for (ext, c) in store.membership_assignment().unwrap() {
            company_truth.insert(c, truth[&ext]);
        }
        let rows = store.company_rows().unwrap();
        let prepared: Vec<Prepared> = rows.iter().map(Prepared::from_row).collect();
        let rarity = Rarity::new(prepared.iter());
        let queries: Vec<usize> = (0..rows.len()).collect();
        let roots: Vec<usize> = (0..rows.len()).collect();
        let pairs = blocked_pairs(
            &Blocking {
                prepared: &prepared,
                rarity: &rarity,
                queries: &queries,
                roots: &roots,
            },
            &Obs,
        )
        .unwrap()
        .unwrap();
        let mut per_truth: HashMap<u32, usize> = HashMap::new();
        for r in &rows {
            *per_truth.entry(company_truth[&r.id]).or_default() += 1;
        }
        all_true += per_truth.values().map(|n| n * (n - 1) / 2).sum::<usize>();
        for (a, b) in pairs {
            let same = company_truth[&rows[a].id] == company_truth[&rows[b].id];
            blocked_true += usize::from(same);
            let mut e = compare(&prepared[a], &prepared[b], &rarity);
            if std::env::var("SHOW").is_ok() {
                let mut m = nam::resolve::Model::shipped().unwrap();
                m.score(&mut e);
                let show = |r: &nam::model::CompanyRow| {
                    format!(
                        "{} [{}] {:?} {:?} {:?} {:?}",
                        r.name, r.name_key, r.domain, r.phone, r.city, r.street
                    )
                };
                if (same && e.score < 0.95) || (!same && e.score >= 0.3) {
                    eprintln!(
                        "{} {:.2} {} || {} || {:?}",
                        if same { "TRUE " } else { "FALSE" },
                        e.score,
                        show(&rows[a]),
                        show(&rows[b]),
                        e.features.iter().map(|f| (f * 100.0).round() / 100.0).collect::<Vec<_>>()
                    );
                }
            }
            examples.push((e.features, if same { 1.0 } else { 0.0 }));
        }
    }
    eprintln!(
        "blocking found {blocked_true} of {all_true} true company pairs; {} examples",
        examples.len()
    );
    let mut m = nam::resolve::Model::shipped().unwrap();
    m.l2 = 0.001;
    let fitted = m.fitted_for(&examples, 4000);
    let w: Vec<String> = fitted.weights.iter().map(|w| format!("{w:.2}")).collect();
    eprintln!("weights = [{}]", w.join(", "));
    // Where the errors are at the shipped thresholds.
    let (mut fp, mut fneg, mut band) = (0, 0, 0);
    for (x, y) in &examples {
        let p = fitted.probability(x);
        if p >= fitted.auto_merge && *y == 0.0 {
            fp += 1;
        } else if p < fitted.review_floor && *y == 1.0 {
            fneg += 1;
        } else if p >= fitted.review_floor && p < fitted.auto_merge {
            band += 1;
        }
    }
    eprintln!("fitted: {fp} false auto-merges, {fneg} true pairs below the floor, {band} in the band");
}
