//! Ground truth: what the generator knows, for tests to compare against.

use serde::{Deserialize, Serialize};

use super::World;
use super::associations::{ASSOCS, Layout};
use super::layouts::listing_location;
use crate::model::ParticipantRole;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub companies: Vec<TrueCompany>,
    pub listings: Vec<TrueListing>,
    pub events: Vec<TrueEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueCompany {
    pub id: u32,
    pub name: String,
    /// Registrable domain, e.g. `acme-stamping.example`.
    pub domain: String,
    /// `http://www.acme-stamping.example/`
    pub website: String,
    pub phone_e164: String,
    pub street: String,
    pub city: String,
    /// Two-letter state or province code.
    pub state: String,
    pub postal_code: String,
    /// `US` or `CA`.
    pub country: String,
    pub founded_year: u16,
    pub employee_count: u32,
    pub erp: Option<String>,
    pub crm: Option<String>,
    /// Set on a distinct company built to look like company `lookalike_of`.
    pub lookalike_of: Option<u32>,
    /// The competitor signals its website carries, planted look-alikes
    /// (a system replaced or compared, a person named Sage) left out.
    pub signals: Vec<TrueSignal>,
    /// The people of its leadership page: (full name, title).
    pub people: Vec<(String, String)>,
    /// How its addresses are made: `{first}.{last}` or `{f}{last}`.
    pub email_pattern: String,
    /// It meets every criterion of [`World::ideal_profile`] (planted or by
    /// chance).
    #[serde(default)]
    pub ideal: bool,
}

/// One competitor signal a correct reader of the company's site finds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrueSignal {
    pub vendor: String,
    /// erp, crm or marketing.
    pub category: String,
    /// uses, hiring or evaluating.
    pub signal_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueListing {
    pub association: String,
    pub company_id: u32,
    pub listed_name: String,
    /// Page (or JSON endpoint) the record appears on.
    pub listing_url: String,
    pub profile_url: Option<String>,
    pub layout: String,
    pub shows_website: bool,
    pub shows_phone: bool,
    pub shows_address: bool,
    pub behind_login: bool,
    /// Phone, city and state as this listing gives them: a plant listing
    /// (see `WorldConfig::plants`) gives the plant's, not the company's.
    pub phone_e164: String,
    pub city: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueEvent {
    pub association: String,
    pub name: String,
    pub url: String,
    pub start_date: String,
    pub end_date: String,
    pub city: String,
    pub state: String,
    pub participants: Vec<TrueParticipant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueParticipant {
    pub company_id: Option<u32>,
    pub name: String,
    pub role: ParticipantRole,
    pub sponsor_tier: Option<String>,
    pub booth: Option<String>,
    pub person_name: Option<String>,
    pub person_title: Option<String>,
}

/// One extra page of the world in a specimen layout (see
/// [`World::specimens`](super::World::specimens)): served on an association
/// host, linked from nowhere, so crawls never reach it; tests fetch `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueSpecimen {
    pub association: String,
    /// Layout name (`label_cards`, ...), or [`HOME_SPECIMEN`] for the
    /// association home page that lists no members.
    pub layout: String,
    pub url: String,
    /// One per organisation the page lists, in page order.
    pub records: Vec<TrueOrg>,
}

/// Layout name of the specimen that is an association's own home page: no
/// member records at all.
pub const HOME_SPECIMEN: &str = "association_home";

/// One organisation a specimen page lists. Fields hold the organisation's
/// true values; the `shows_*` flags (and `website`) say whether the page
/// gives them, as [`TrueListing`] does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueOrg {
    /// As displayed, whitespace collapsed (a rank prefix is not part of it).
    pub name: String,
    /// The world company it is, `None` for organisations made up for the page
    /// (members abroad, exhibitors outside the world).
    pub company_id: Option<u32>,
    /// Registrable domain of its own site, when it has one.
    pub domain: Option<String>,
    /// The `href` exactly as linked when the page links its own site with an
    /// absolute URL (not a profile on the page's site, social or maps).
    pub website: Option<String>,
    /// Main phone (never a fax), E.164.
    pub phone_e164: Option<String>,
    pub shows_phone: bool,
    pub city: Option<String>,
    /// US state or Canadian province code; `None` elsewhere.
    pub state: Option<String>,
    /// The page gives its city (and state, when it has one).
    pub shows_address: bool,
}

pub(crate) fn true_company(w: &World, i: u32) -> TrueCompany {
    let c = w.company(i);
    TrueCompany {
        id: c.id,
        name: c.name.clone(),
        domain: c.domain.clone(),
        website: c.website(),
        phone_e164: c.phone_e164(),
        street: c.street(),
        city: c.city.name.to_string(),
        state: c.city.state.to_string(),
        postal_code: c.postal.clone(),
        country: c.city.country.to_string(),
        founded_year: c.founded,
        employee_count: c.employees,
        erp: c.erp.map(str::to_string),
        crm: c.crm.map(str::to_string),
        lookalike_of: c.lookalike_of,
        signals: signals_of(w, &c),
        people: c
            .people(w.seed())
            .into_iter()
            .map(|(n, t)| (n, t.to_string()))
            .collect(),
        email_pattern: super::company_site::email_pattern(w, &c).to_string(),
        ideal: super::ideal::meets(&c),
    }
}

/// The vendor and category of a system the world names.
fn vendor_of(system: &str) -> (&'static str, &'static str) {
    match system {
        "SAP S/4HANA" => ("SAP", "erp"),
        "Oracle NetSuite" => ("Oracle", "erp"),
        "Epicor Kinetic" => ("Epicor", "erp"),
        "Infor CloudSuite Industrial" => ("Infor", "erp"),
        "Microsoft Dynamics 365" => ("Microsoft", "erp"),
        "Plex" => ("Plex", "erp"),
        "IQMS" => ("IQMS", "erp"),
        "JobBOSS" => ("JobBOSS", "erp"),
        "Global Shop Solutions" => ("Global Shop Solutions", "erp"),
        "SYSPRO" => ("SYSPRO", "erp"),
        "Salesforce" => ("Salesforce", "crm"),
        "HubSpot" => ("HubSpot", "crm"),
        "Microsoft Dynamics 365 Sales" => ("Microsoft", "crm"),
        "Zoho CRM" => ("Zoho", "crm"),
        "Pipedrive" => ("Pipedrive", "crm"),
        _ => ("?", "?"),
    }
}

fn signals_of(w: &World, c: &super::company::Company) -> Vec<TrueSignal> {
    let mut out = std::collections::BTreeSet::new();
    let mut add = |system: &str, category: Option<&str>, signal_type: &str| {
        let (vendor, cat) = vendor_of(system);
        out.insert(TrueSignal {
            vendor: vendor.to_string(),
            category: category.unwrap_or(cat).to_string(),
            signal_type: signal_type.to_string(),
        });
    };
    if let Some(erp) = c.erp {
        // The careers page names it in a job posting; a customer portal
        // link on the contact page shows it runs.
        add(erp, None, "hiring");
        if super::company_site::has_erp_portal(c) {
            add(erp, None, "uses");
        }
    }
    if let Some(crm) = c.crm {
        add(crm, None, "hiring");
        // The tracking script (and Salesforce's web-to-lead form).
        match crm {
            "Salesforce" => {
                add(crm, Some("marketing"), "uses");
                add(crm, None, "uses");
            }
            _ => add(crm, None, "uses"),
        }
    }
    match super::company_site::story(w, c) {
        super::company_site::Story::GoLive { erp, .. } => add(erp, None, "uses"),
        super::company_site::Story::Evaluating(a, b) => {
            add(a, None, "evaluating");
            add(b, None, "evaluating");
        }
        _ => {}
    }
    out.into_iter().collect()
}

/// Listings of one association, in directory order.
pub(crate) fn listings_of(w: &World, idx: usize) -> Vec<TrueListing> {
    let a = &ASSOCS[idx];
    w.members_of(idx)
        .iter()
        .enumerate()
        .map(|(pos, id)| {
            let l = w.listing(idx, *id);
            let (listing_url, profile_url) = listing_location(w, idx, pos, &l);
            TrueListing {
                association: a.code.to_string(),
                company_id: *id,
                listed_name: l.listed_name.clone(),
                listing_url,
                profile_url,
                layout: a.layout.as_str().to_string(),
                // On the listing or, for A–Z and search layouts, its profile page.
                shows_website: l.shows_website,
                shows_phone: l.shows_phone,
                shows_address: l.shows_address,
                behind_login: a.layout == Layout::LoginWall,
                phone_e164: l.company.phone_e164(),
                city: l.company.city.name.to_string(),
                state: l.company.city.state.to_string(),
            }
        })
        .collect()
}

pub(crate) fn build(w: &World) -> GroundTruth {
    let companies = (0..w.config().members as u32)
        .map(|i| true_company(w, i))
        .collect();
    let listings = (0..ASSOCS.len())
        .flat_map(|idx| listings_of(w, idx))
        .collect();
    let events = super::events::truth(w);
    GroundTruth {
        companies,
        listings,
        events,
    }
}
