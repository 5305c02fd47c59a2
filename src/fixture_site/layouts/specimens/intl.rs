//! Members abroad: a few organisations outside the world's US and Canadian
//! companies, made up from the seed for the prose-blocks specimen, with
//! addresses written the way their countries write them.

use rand::Rng;

use super::super::super::names::{self, BRANDS, TRADES, slug};
use super::super::super::truth::TrueOrg;

/// How a place's address lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// Street, town, postcode and country on one line:
    /// "12 Mill Lane, Sheffield S1 2AB, United Kingdom".
    OneLine,
    /// Street line, then "Town, Country".
    TownCountry,
    /// Street line, then "Town, Region, Country".
    TownRegionCountry,
    /// Street line, then "Postcode Town, Country".
    PostcodeTown,
}

struct Place {
    city: &'static str,
    /// Region as written after the town ("Ontario"), when the form has one.
    region: &'static str,
    /// Province code for Canada, `None` elsewhere (not a US state or a
    /// Canadian province).
    state: Option<&'static str>,
    country: &'static str,
    /// Country code used in the made-up domain and the legal form.
    cc: &'static str,
    form: Form,
}

static PLACES: &[Place] = &[
    Place {
        city: "Sheffield",
        region: "",
        state: None,
        country: "United Kingdom",
        cc: "uk",
        form: Form::OneLine,
    },
    Place {
        city: "Guelph",
        region: "Ontario",
        state: Some("ON"),
        country: "Canada",
        cc: "ca",
        form: Form::TownRegionCountry,
    },
    Place {
        city: "Leeds",
        region: "",
        state: None,
        country: "United Kingdom",
        cc: "uk",
        form: Form::TownCountry,
    },
    Place {
        city: "Monterrey",
        region: "Nuevo León",
        state: None,
        country: "Mexico",
        cc: "mx",
        form: Form::TownRegionCountry,
    },
    Place {
        city: "Moncton",
        region: "New Brunswick",
        state: Some("NB"),
        country: "Canada",
        cc: "ca",
        form: Form::TownRegionCountry,
    },
    Place {
        city: "Stuttgart",
        region: "",
        state: None,
        country: "Germany",
        cc: "de",
        form: Form::PostcodeTown,
    },
];

/// One member abroad: its lines as printed and its truth.
#[derive(Debug, Clone)]
pub(super) struct Abroad {
    pub name: String,
    /// Address lines, already in the place's form.
    pub lines: Vec<String>,
    pub phone: String,
    pub website: String,
    pub truth: TrueOrg,
}

/// The members abroad of the world with seed `seed`, one per place.
pub(super) fn members(seed: u64) -> Vec<Abroad> {
    PLACES
        .iter()
        .enumerate()
        .map(|(k, p)| member(seed, k, p))
        .collect()
}

fn member(seed: u64, k: usize, p: &Place) -> Abroad {
    let mut r = names::rng(seed, &[0xAB50, k as u64]);
    let brand = BRANDS[r.random_range(0..BRANDS.len())];
    let trade = TRADES[r.random_range(0..TRADES.len())].word;
    let name = match p.cc {
        "uk" => format!("{brand} {trade} International Ltd"),
        "ca" => format!("{brand} {trade} Canada Inc."),
        "mx" => format!("{brand} {trade} de México, S.A. de C.V."),
        _ => format!("{brand} {trade} Deutschland GmbH"),
    };
    let domain = format!("{}-{}-{}.example", slug(brand), slug(trade), p.cc);
    let no = r.random_range(2..240);
    let (lines, phone, e164) = match p.cc {
        "uk" => {
            let line = r.random_range(0..1000);
            let (code, area, out) = if p.city == "Sheffield" {
                ("S", "114", r.random_range(1..14))
            } else {
                ("LS", "113", r.random_range(1..28))
            };
            let letters: String = (0..2)
                .map(|_| char::from(b'A' + r.random_range(0..26u8)))
                .collect();
            let postcode = format!("{code}{out} {}{letters}", r.random_range(1..10));
            let street = format!(
                "{no} {} Lane",
                ["Mill", "Station", "Canal", "Forge"][no % 4]
            );
            let lines = if p.form == Form::OneLine {
                vec![format!("{street}, {} {postcode}, {}", p.city, p.country)]
            } else {
                vec![street, format!("{}, {}", p.city, p.country)]
            };
            (
                lines,
                format!("+44 {area} 496 0{line:03}"),
                format!("+44{area}4960{line:03}"),
            )
        }
        "ca" => {
            let area = if p.city == "Guelph" { 519 } else { 506 };
            let ex = r.random_range(301..899);
            let line = r.random_range(1000..9999);
            (
                vec![
                    format!("{no} Speedvale Avenue"),
                    format!("{}, {}, {}", p.city, p.region, p.country),
                ],
                format!("({area}) {ex}-{line}"),
                format!("+1{area}{ex}{line}"),
            )
        }
        "mx" => {
            let (a, b) = (r.random_range(8000..8999), r.random_range(1000..9999));
            (
                vec![
                    format!("Av. Constitución {no}0 Pte."),
                    format!("{}, {}, {}", p.city, p.region, p.country),
                ],
                format!("+52 81 {a} {b}"),
                format!("+5281{a}{b}"),
            )
        }
        _ => {
            let (a, b) = (r.random_range(200..999), r.random_range(1000..9999));
            (
                vec![
                    format!("Industriestraße {no}"),
                    format!("70{} {}, {}", r.random_range(100..999), p.city, p.country),
                ],
                format!("+49 711 {a} {b}"),
                format!("+49711{a}{b}"),
            )
        }
    };
    let website = format!("http://www.{domain}/");
    Abroad {
        truth: TrueOrg {
            name: name.clone(),
            company_id: None,
            domain: Some(domain),
            website: Some(website.clone()),
            phone_e164: Some(e164),
            shows_phone: true,
            city: Some(p.city.to_string()),
            state: p.state.map(str::to_string),
            shows_address: true,
        },
        name,
        lines,
        phone,
        website,
    }
}
