//! VALIDATION: hard-key duplicates, cross-field checks, a quality score and
//! grade for every active company, and an audit trail of what changed.
//!
//! # Which companies
//!
//! Active companies never validated or changed since (`validated_at` NULL or
//! not later than `updated_at`), in id order, a batch at a time; the phase's
//! checkpoint records the last id, so a resumed job goes on from there. A
//! company's evidence is its row plus its listings (`association_memberships`).
//!
//! # Checks
//!
//! Each gives pass, warn or fail with a detail sentence, or no outcome when
//! it does not apply (see [`checks`]):
//!
//! | check | outcome |
//! |---|---|
//! | `duplicate_phone_name` | warn when another active company has the same E.164 phone and name key (the detail names it) |
//! | `duplicate_domain` | warn when listings of another active company carry this company's domain |
//! | `email_domain` | the listings' emails against the website domain: match pass, free mail or another domain warn |
//! | `state_postal` | US ZIP prefix or Canadian postal district against the state or province: mismatch fail |
//! | `phone_area_state` | NANP area code against the state or province: mismatch warn (numbers move) |
//!
//! The tables behind the last three are data files in `assets/`
//! (`us_zip_prefixes.csv`, `ca_postal_districts.csv`, `nanp_area_codes.csv`,
//! `free_mail_domains.txt`), embedded and parsed once.
//!
//! # Score and grade
//!
//! `score = 100 × (0.5 × completeness + 0.3 × consistency + 0.2 × source)`,
//! rounded to one decimal:
//!
//! - **completeness**: weighted share of the fields present: name 10,
//!   website 15, phone 15, email (on any listing) 10, street 10, city 10,
//!   state 10, postal code 10, country 10 (of 100).
//! - **consistency**: `max(0, 1 − 0.5 × failed checks − 0.2 × warned checks)`;
//!   1 when no check applies (a missing value already costs completeness).
//! - **source**: `0.5 × mean confidence + 0.5 × corroboration`, where the
//!   mean is over the company's field provenance (its listings' confidence
//!   when it has none) and corroboration is 0, 0.5, 0.8 or 1 for 0, 1, 2 or
//!   3+ associations listing it.
//!
//! Grade: A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F; a failed check caps the
//! grade at C, since one of the two values it compared is wrong.
//!
//! # Audit
//!
//! `quality_score`, `quality_grade`, `validated_at` and `quality_checks`
//! (the outcome and a hash of the detail of each check) are written on the
//! company. A row goes to `quality_audit_log` for every score or grade change
//! (detail `"old -> new"`, outcome the new grade read as a verdict: A/B pass,
//! C/D warn, F fail) and for every check outcome that is new or differs from
//! the stored record. Re-validating an unchanged company writes no rows.
//!
//! When a company turns out to duplicate one validated earlier whose record
//! says the key was unique, that twin is sent back for validation (its
//! `validated_at` cleared), so both sides report the duplicate.

pub mod checks;
mod run;
pub mod score;
pub mod tables;

pub use checks::{CheckResult, Outcome};
pub use run::{
    OutcomeCounts, QUALITY_GRADE, QUALITY_SCORE, ValidateRun, ValidationReport, run_validation,
    validate_pending,
};
pub use score::{Grade, Score};

#[cfg(test)]
mod tests;
