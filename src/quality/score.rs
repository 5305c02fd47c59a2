//! The quality score and grade (the formula is in the module doc of
//! [`crate::quality`]).

use std::collections::BTreeSet;

use serde::Serialize;

use super::checks::{CheckResult, Outcome};
use crate::store::QualityCandidate;

/// Weight of each field in completeness; they sum to 100.
const FIELD_WEIGHTS: [(&str, f64); 9] = [
    ("name", 10.0),
    ("website", 15.0),
    ("phone", 15.0),
    ("email", 10.0),
    ("street", 10.0),
    ("city", 10.0),
    ("state", 10.0),
    ("postal_code", 10.0),
    ("country", 10.0),
];

const COMPLETENESS_SHARE: f64 = 0.5;
const CONSISTENCY_SHARE: f64 = 0.3;
const SOURCE_SHARE: f64 = 0.2;
const FAIL_PENALTY: f64 = 0.5;
const WARN_PENALTY: f64 = 0.2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    pub const ALL: [Grade; 5] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::F];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
        }
    }

    /// A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F.
    pub fn of_score(score: f64) -> Grade {
        match score {
            s if s >= 85.0 => Grade::A,
            s if s >= 70.0 => Grade::B,
            s if s >= 55.0 => Grade::C,
            s if s >= 40.0 => Grade::D,
            _ => Grade::F,
        }
    }

    /// The audit outcome of a score or grade change: the new grade read as
    /// a verdict (A/B pass, C/D warn, F fail).
    pub fn outcome(self) -> Outcome {
        match self {
            Grade::A | Grade::B => Outcome::Pass,
            Grade::C | Grade::D => Outcome::Warn,
            Grade::F => Outcome::Fail,
        }
    }
}

/// The score and its parts, each 0..=1 (the score 0..=100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub completeness: f64,
    pub consistency: f64,
    pub source: f64,
    /// Rounded to one decimal, so re-scoring unchanged data never logs a
    /// change in the last bits of a float.
    pub score: f64,
    pub grade: Grade,
}

fn present(v: Option<&str>) -> bool {
    v.is_some_and(|s| !s.trim().is_empty())
}

/// Share of the weighted fields the company has.
pub fn completeness(c: &QualityCandidate) -> f64 {
    let has_email = c.memberships.iter().any(|m| present(m.email.as_deref()));
    let has = |field: &str| match field {
        "name" => present(Some(&c.name)),
        "website" => present(c.website.as_deref()),
        "phone" => present(c.phone.as_deref()),
        "email" => has_email,
        "street" => present(c.street.as_deref()),
        "city" => present(c.city.as_deref()),
        "state" => present(c.state.as_deref()),
        "postal_code" => present(c.postal_code.as_deref()),
        "country" => present(c.country.as_deref()),
        _ => false,
    };
    FIELD_WEIGHTS
        .iter()
        .filter(|(f, _)| has(f))
        .map(|(_, w)| w)
        .sum::<f64>()
        / 100.0
}

/// 1 minus 0.5 per failed and 0.2 per warned check, at least 0.
pub fn consistency(checks: &[CheckResult]) -> f64 {
    let penalty: f64 = checks
        .iter()
        .map(|c| match c.outcome {
            Outcome::Pass => 0.0,
            Outcome::Warn => WARN_PENALTY,
            Outcome::Fail => FAIL_PENALTY,
        })
        .sum();
    (1.0 - penalty).max(0.0)
}

/// Half the mean confidence of the company's field provenance (of its
/// listings when it has none), half corroboration by independent sources:
/// 0, 0.5, 0.8, 1 for 0, 1, 2, 3+ associations listing it.
pub fn source(c: &QualityCandidate) -> f64 {
    let confidences: Vec<f64> = if c.provenance.is_empty() {
        c.memberships
            .iter()
            .map(|m| f64::from(m.confidence))
            .collect()
    } else {
        c.provenance
            .values()
            .map(|p| f64::from(p.confidence))
            .collect()
    };
    let mean = if confidences.is_empty() {
        0.0
    } else {
        confidences.iter().map(|v| v.clamp(0.0, 1.0)).sum::<f64>() / confidences.len() as f64
    };
    let sources: BTreeSet<&str> = c
        .memberships
        .iter()
        .map(|m| m.association.as_str())
        .collect();
    let corroboration = match sources.len() {
        0 => 0.0,
        1 => 0.5,
        2 => 0.8,
        _ => 1.0,
    };
    0.5 * mean + 0.5 * corroboration
}

/// Scores a company given its check results.
pub fn score(c: &QualityCandidate, checks: &[CheckResult]) -> Score {
    let completeness = completeness(c);
    let consistency = consistency(checks);
    let source = source(c);
    let raw = 100.0
        * (COMPLETENESS_SHARE * completeness
            + CONSISTENCY_SHARE * consistency
            + SOURCE_SHARE * source);
    let score = (raw * 10.0).round() / 10.0;
    let mut grade = Grade::of_score(score);
    // A failed check means one of two values is wrong: whatever else the
    // record has, it is not better than C.
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        grade = grade.max(Grade::C);
    }
    Score {
        completeness,
        consistency,
        source,
        score,
        grade,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldProvenance;
    use crate::store::MembershipEvidence;

    fn full() -> QualityCandidate {
        let prov = FieldProvenance {
            source_url: "http://pma.example/directory/".into(),
            extractor: "configured".into(),
            at: chrono::Utc::now(),
            confidence: 0.9,
        };
        QualityCandidate {
            name: "Acme".into(),
            website: Some("http://www.acme.example/".into()),
            phone: Some("+12165550147".into()),
            street: Some("1 Main St".into()),
            city: Some("Cleveland".into()),
            state: Some("OH".into()),
            postal_code: Some("44114".into()),
            country: Some("US".into()),
            provenance: [
                ("name".to_string(), prov.clone()),
                ("phone".to_string(), prov),
            ]
            .into_iter()
            .collect(),
            memberships: vec![MembershipEvidence {
                association: "PMA".into(),
                email: Some("sales@acme.example".into()),
                confidence: 0.9,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn check(outcome: Outcome) -> CheckResult {
        CheckResult {
            name: "x",
            outcome,
            detail: String::new(),
        }
    }

    #[test]
    fn formula() {
        let c = full();
        let s = score(&c, &[check(Outcome::Pass)]);
        assert_eq!(s.completeness, 1.0);
        assert_eq!(s.consistency, 1.0);
        // 0.5 * 0.9 + 0.5 * 0.5 (one association)
        assert!((s.source - 0.7).abs() < 1e-6);
        assert_eq!(s.score, 94.0);
        assert_eq!(s.grade, Grade::A);

        // A second and third association corroborate.
        let mut c3 = c.clone();
        for a in ["NTMA", "AGMA"] {
            c3.memberships.push(MembershipEvidence {
                association: a.into(),
                ..Default::default()
            });
        }
        assert!(score(&c3, &[]).score > s.score);

        // A warning costs 6 points, a failure 15 and caps the grade at C.
        assert_eq!(score(&c, &[check(Outcome::Warn)]).score, 88.0);
        let failed = score(&c, &[check(Outcome::Fail)]);
        assert_eq!(failed.score, 79.0);
        assert_eq!(failed.grade, Grade::C);

        // Missing phone and email: 25 weight points of 100 gone.
        let mut thin = c.clone();
        thin.phone = None;
        thin.memberships[0].email = None;
        assert_eq!(completeness(&thin), 0.75);
        assert_eq!(score(&thin, &[]).score, 81.5);

        // A bare name with no evidence.
        let bare = QualityCandidate {
            name: "Acme".into(),
            ..Default::default()
        };
        let b = score(&bare, &[]);
        assert_eq!(b.score, 35.0);
        assert_eq!(b.grade, Grade::F);
    }

    #[test]
    fn grade_bounds() {
        assert_eq!(Grade::of_score(85.0), Grade::A);
        assert_eq!(Grade::of_score(84.9), Grade::B);
        assert_eq!(Grade::of_score(55.0), Grade::C);
        assert_eq!(Grade::of_score(39.9), Grade::F);
        assert_eq!(Grade::F.outcome(), Outcome::Fail);
    }
}
