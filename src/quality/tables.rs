//! Reference tables for the cross-field checks, shipped as editable files in
//! `assets/` and parsed once on first use.
//!
//! A malformed line is skipped with a warning rather than failing the phase:
//! the tables are data an analyst may edit, and one bad line should cost one
//! lookup, not the whole validation.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const US_ZIP_PREFIXES: &str = include_str!("../../assets/us_zip_prefixes.csv");
const CA_POSTAL_DISTRICTS: &str = include_str!("../../assets/ca_postal_districts.csv");
const NANP_AREA_CODES: &str = include_str!("../../assets/nanp_area_codes.csv");
const FREE_MAIL_DOMAINS: &str = include_str!("../../assets/free_mail_domains.txt");

/// The data lines of a bundled CSV: comments (`#`), blank lines and the
/// header row dropped, each line split on commas.
fn data_rows<'a>(name: &'a str, text: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').map(str::trim).collect::<Vec<_>>())
        .inspect(move |cells| {
            if cells.len() < 2 {
                tracing::warn!(table = name, line = ?cells, "skipping malformed table line");
            }
        })
        .filter(|cells| cells.len() >= 2)
}

/// "OH" or "NT NU" -> ["OH"] / ["NT", "NU"]. The cells borrow from the
/// embedded files, so the tables hold no copies.
fn regions(cell: &'static str) -> Vec<&'static str> {
    cell.split_whitespace().collect()
}

/// Regions by US ZIP prefix (0..=999).
struct ZipTable {
    by_prefix: Vec<Vec<&'static str>>,
}

fn zip_table() -> &'static ZipTable {
    static T: OnceLock<ZipTable> = OnceLock::new();
    T.get_or_init(|| {
        let mut by_prefix = vec![Vec::new(); 1000];
        for cells in data_rows("us_zip_prefixes", US_ZIP_PREFIXES) {
            let (Ok(from), Ok(to)) = (cells[0].parse::<usize>(), cells[1].parse::<usize>()) else {
                tracing::warn!(line = ?cells, "skipping malformed ZIP prefix line");
                continue;
            };
            let Some(states) = cells.get(2).map(|c| regions(c)) else {
                continue;
            };
            for slot in by_prefix.iter_mut().take(to.min(999) + 1).skip(from) {
                slot.extend(states.iter().copied());
            }
        }
        ZipTable { by_prefix }
    })
}

/// The states (or territories) a US ZIP code's first three digits belong to;
/// empty when the prefix is not in use or the code is not a ZIP.
pub fn zip_regions(zip: &str) -> &'static [&'static str] {
    let digits = zip
        .get(..3)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
    match digits.and_then(|p| p.parse::<usize>().ok()) {
        Some(p) => zip_table().by_prefix.get(p).map_or(&[], Vec::as_slice),
        None => &[],
    }
}

/// The provinces or territories a Canadian postal code's first letter serves.
pub fn postal_district_regions(postal: &str) -> &'static [&'static str] {
    static T: OnceLock<HashMap<char, Vec<&'static str>>> = OnceLock::new();
    let table = T.get_or_init(|| {
        data_rows("ca_postal_districts", CA_POSTAL_DISTRICTS)
            .filter_map(|cells| {
                let letter = cells[0].chars().next()?.to_ascii_uppercase();
                Some((letter, regions(cells[1])))
            })
            .collect()
    });
    postal
        .trim()
        .chars()
        .next()
        .and_then(|c| table.get(&c.to_ascii_uppercase()))
        .map_or(&[], Vec::as_slice)
}

/// The states, provinces or territories a NANP area code serves; empty for
/// non-geographic and unknown codes.
pub fn area_code_regions(area_code: u16) -> &'static [&'static str] {
    static T: OnceLock<HashMap<u16, Vec<&'static str>>> = OnceLock::new();
    let table = T.get_or_init(|| {
        data_rows("nanp_area_codes", NANP_AREA_CODES)
            .filter_map(|cells| Some((cells[0].parse::<u16>().ok()?, regions(cells[1]))))
            .collect()
    });
    table.get(&area_code).map_or(&[], Vec::as_slice)
}

/// Whether a registrable domain is a free-mail or consumer ISP domain.
pub fn is_free_mail(domain: &str) -> bool {
    static T: OnceLock<HashSet<&'static str>> = OnceLock::new();
    T.get_or_init(|| {
        FREE_MAIL_DOMAINS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
    .contains(domain.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::address::state_code;

    /// Every US state, DC and every Canadian province and territory.
    const ALL_REGIONS: &[&str] = &[
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
        "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
        "VT", "VA", "WA", "WV", "WI", "WY", "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON",
        "PE", "QC", "SK", "YT",
    ];

    #[test]
    fn every_state_and_province_has_area_codes() {
        let mut covered: HashSet<&str> = HashSet::new();
        for code in 200..1000u16 {
            covered.extend(area_code_regions(code).iter().copied());
        }
        for r in ALL_REGIONS {
            assert!(covered.contains(r), "no area code for {r}");
        }
    }

    #[test]
    fn every_us_state_has_zip_prefixes_and_every_province_a_district() {
        let mut covered: HashSet<&str> = HashSet::new();
        for p in 0..1000 {
            covered.extend(zip_regions(&format!("{p:03}00")).iter().copied());
        }
        for letter in 'A'..='Z' {
            covered.extend(postal_district_regions(&letter.to_string()).iter().copied());
        }
        for r in ALL_REGIONS {
            assert!(covered.contains(r), "no postal code for {r}");
        }
    }

    #[test]
    fn every_region_in_the_tables_is_a_known_code_or_territory() {
        // Territories and military mail the address normalizer does not
        // know: listed so lookups stay complete, never matched by a state.
        let extra = ["VI", "GU", "AS", "MP", "PW", "FM", "MH", "AA", "AE", "AP"];
        let mut all: Vec<&str> = Vec::new();
        for code in 0..1000u16 {
            all.extend(area_code_regions(code));
            all.extend(zip_regions(&format!("{code:03}00")));
        }
        for letter in 'A'..='Z' {
            all.extend(postal_district_regions(&letter.to_string()));
        }
        for r in all {
            assert!(
                state_code(r).is_some() || extra.contains(&r),
                "{r} is neither a state nor a known territory"
            );
        }
    }

    #[test]
    fn known_lookups() {
        assert_eq!(zip_regions("44114"), ["OH"]);
        assert_eq!(zip_regions("10001"), ["NY"]);
        assert_eq!(zip_regions("20500"), ["DC"]);
        assert_eq!(zip_regions("00501"), ["NY"]);
        assert_eq!(
            zip_regions("73301"),
            ["TX"],
            "Austin's IRS ZIP inside Oklahoma's range"
        );
        assert_eq!(
            zip_regions("88510"),
            ["TX"],
            "El Paso inside New Mexico's range"
        );
        assert!(zip_regions("00100").is_empty(), "000-004 are not in use");
        assert!(zip_regions("ABCDE").is_empty());
        assert_eq!(postal_district_regions("M5V 2T6"), ["ON"]);
        assert_eq!(postal_district_regions("x0a 0h0"), ["NT", "NU"]);
        assert!(postal_district_regions("D1A 1A1").is_empty());
        assert_eq!(area_code_regions(216), ["OH"]);
        assert_eq!(area_code_regions(867), ["NT", "NU", "YT"]);
        assert_eq!(area_code_regions(902), ["NS", "PE"]);
        assert!(
            area_code_regions(800).is_empty(),
            "toll-free is not geographic"
        );
        assert!(is_free_mail("gmail.com"));
        assert!(is_free_mail("Hotmail.com"));
        assert!(!is_free_mail("acme.com"));
    }
}
