//! VALIDATION: hard-key duplicates, cross-field checks, a quality score and
//! grade for every active company.

pub mod tables;
