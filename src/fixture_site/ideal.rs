//! The world's ideal customers: a fixed ICP profile, and about one company
//! in twenty made to meet it, so ICP scoring can be tested against truth.
//!
//! Planting changes a company after it is generated, with its own random
//! stream: employees, city (within the United States) and ERP move into the
//! profile; its name, domain and trade stay, and no other company's draws
//! change. Only companies whose trade already serves the profile's
//! industries are planted, and never one a look-alike is built from (the
//! look-alike must stay in another city).

use rand::Rng;

use super::company::{Company, is_lookalike};
use super::geo::CITIES;
use super::names;
use crate::icp::IcpProfile;

/// States of the ideal customer.
const STATES: &[&str] = &["OH", "MI", "IN", "PA", "WI"];
/// Employee range of the ideal customer (inclusive).
const EMPLOYEES: (u32, u32) = (60, 400);
/// ERP systems of the competitors (as the world names them) and their vendors.
const COMPETITOR_ERPS: &[(&str, &str)] = &[
    ("Epicor Kinetic", "Epicor"),
    ("Infor CloudSuite Industrial", "Infor"),
    ("SYSPRO", "SYSPRO"),
    ("JobBOSS", "JobBOSS"),
];
/// Industry words of the ideal customer: every trade of the aerospace
/// group lists both.
const INDUSTRIES: &[&str] = &["aerospace", "defense"];
/// Planted companies per thousand eligible ones: about a third of the
/// companies are eligible, so one in twenty (or a little less) overall.
const PLANT_PER_MILLE: u64 = 150;

/// The fixed profile the planted companies meet.
pub(crate) fn profile() -> IcpProfile {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    IcpProfile {
        name: "fixture-ideal".into(),
        description: "Mid-sized aerospace and defense machine shops, forges and foundries of the \
                      Great Lakes states that run a competitor's ERP"
            .into(),
        product: "Manufacturing ERP".into(),
        value_proposition: "Job costing and scheduling a shop floor can trust".into(),
        ideal_customer: "Aerospace and defense suppliers with 60 to 400 employees".into(),
        industries: list(INDUSTRIES),
        employees_min: Some(EMPLOYEES.0),
        employees_max: Some(EMPLOYEES.1),
        locations: list(STATES),
        competitors: COMPETITOR_ERPS.iter().map(|(_, v)| v.to_string()).collect(),
        pain_points: list(&["spreadsheet scheduling", "AS9100 traceability"]),
        target_market: "aerospace suppliers".into(),
        keywords: list(&["machining", "forgings", "castings"]),
        weights: crate::icp::IcpWeights {
            industry: 25.0,
            size: 20.0,
            location: 20.0,
            tech: 5.0,
            competitor: 25.0,
            signals: 5.0,
        },
        ..Default::default()
    }
}

/// Whether company `c` meets every criterion of [`profile`].
pub(crate) fn meets(c: &Company) -> bool {
    INDUSTRIES.iter().all(|i| c.trade.industries.contains(i))
        && (EMPLOYEES.0..=EMPLOYEES.1).contains(&c.employees)
        && STATES.contains(&c.city.state)
        && c.erp
            .is_some_and(|e| COMPETITOR_ERPS.iter().any(|(name, _)| *name == e))
}

/// Whether company `i` (built as `c`) is one the world plants.
fn planted(seed: u64, c: &Company) -> bool {
    let i = c.id;
    // A company a look-alike copies (i + 4) keeps its city.
    let copied = i.checked_add(4).is_some_and(is_lookalike);
    !is_lookalike(i)
        && !copied
        && !c.french
        && c.city.country == "US"
        && INDUSTRIES.iter().all(|w| c.trade.industries.contains(w))
        && names::h(seed, &[0x1D, u64::from(i)]) % 1000 < PLANT_PER_MILLE
}

/// Makes `c` an ideal customer when it is one the world plants.
pub(crate) fn plant(seed: u64, c: &mut Company) {
    if !planted(seed, c) {
        return;
    }
    let mut r = names::rng(seed, &[0x1D, u64::from(c.id)]);
    if !(EMPLOYEES.0..=EMPLOYEES.1).contains(&c.employees) {
        // Well inside the range, as a planted customer should be.
        c.employees = r.random_range(80..=350);
    }
    if !STATES.contains(&c.city.state) {
        let ideal: Vec<_> = CITIES
            .iter()
            .filter(|city| STATES.contains(&city.state))
            .collect();
        let city = ideal[r.random_range(0..ideal.len())];
        c.city = city;
        c.postal = format!("{}{:02}", city.postal_prefix, r.random_range(1..99));
        c.area = city.area_codes[r.random_range(0..city.area_codes.len())];
    }
    if !c
        .erp
        .is_some_and(|e| COMPETITOR_ERPS.iter().any(|(name, _)| *name == e))
    {
        c.erp = Some(COMPETITOR_ERPS[r.random_range(0..COMPETITOR_ERPS.len())].0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{World, WorldConfig};
    use super::*;

    #[test]
    fn about_one_company_in_twenty_is_planted_and_every_one_is_ideal() {
        let w = World::new(WorldConfig {
            seed: 11,
            members: 2000,
            ..Default::default()
        });
        let companies: Vec<Company> = (0..2000).map(|i| w.company(i)).collect();
        let planted: Vec<&Company> = companies.iter().filter(|c| planted(w.seed(), c)).collect();
        let share = planted.len() as f64 / 2000.0;
        assert!((0.035..=0.07).contains(&share), "planted {share:.3}");
        assert!(planted.iter().all(|c| meets(c)));
        let ideal = companies.iter().filter(|c| meets(c)).count();
        assert!(ideal > planted.len(), "some meet it by chance too: {ideal}");
        // Look-alikes still sit in another city than their twin.
        for c in companies.iter().filter(|c| c.lookalike_of.is_some()) {
            let twin = &companies[c.lookalike_of.unwrap() as usize];
            assert_ne!(c.city.name, twin.city.name);
        }
    }

    #[test]
    fn planting_leaves_other_companies_as_they_were() {
        let ns = super::super::company::NameSpace::new(11);
        for i in 0..400 {
            let c = ns.company(i);
            let raw = ns.company_unplanted(i);
            if planted(11, &raw) {
                assert!(meets(&c));
                assert_eq!(
                    (c.name.as_str(), c.domain.as_str()),
                    (raw.name.as_str(), raw.domain.as_str())
                );
            } else {
                assert_eq!(
                    (c.employees, c.city.name, c.erp, c.crm, c.postal.as_str()),
                    (
                        raw.employees,
                        raw.city.name,
                        raw.erp,
                        raw.crm,
                        raw.postal.as_str()
                    )
                );
            }
        }
    }
}
