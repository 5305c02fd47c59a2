//! The generated loopback world of association and company websites.
//!
//! Ten trade associations (`pma.example`, `nema.example`, ...) each render their
//! member directory in a different real-world style; every company has its own
//! site at `www.<domain>`; events list exhibitors, sponsors and speakers. All
//! of it is a pure function of [`WorldConfig::seed`]: company `i` is generated
//! from `(seed, i)` on request, so `members = 100_000` costs almost nothing
//! until pages are asked for. [`FixtureServer`] serves the world over HTTP on
//! 127.0.0.1, dispatching on the `Host` header, with optional faults
//! ([`FaultConfig`]).

mod associations;
pub mod cli;
mod company;
mod company_site;
mod events;
mod faults;
mod ideal;
// The tables VALIDATION is tested against.
pub(crate) mod geo;
mod layouts;
mod names;
pub mod records;
mod server;
mod truth;

use std::sync::OnceLock;

pub use faults::FaultConfig;
pub use server::{FixtureServer, LoggedRequest};
pub use truth::{
    GroundTruth, HOME_SPECIMEN, TrueCompany, TrueEvent, TrueListing, TrueOrg, TrueParticipant,
    TrueSignal, TrueSpecimen,
};

use associations::{ASSOCS, Layout};
use company::{Company, NameSpace};

/// What world to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    pub seed: u64,
    /// Number of companies in the world (members of one or more associations).
    pub members: usize,
    pub faults: FaultConfig,
    /// Some listings give a plant's address and phone and no website (real
    /// directories do this); resolution cannot decide those pairs alone.
    pub plants: bool,
    /// Plants hostile text in the first company PMA lists (see
    /// [`HOSTILE_NAME`]): a spreadsheet formula as its listed name, a
    /// formula as its membership type and a terminal escape in the name of
    /// the next one, for tests that exports neutralize them.
    pub hostile: bool,
}

/// The listed name of the hostile world's planted company.
pub const HOSTILE_NAME: &str = "=HYPERLINK(\"http://x\",\"click\")";
/// Its membership type: a formula hiding a command.
pub const HOSTILE_MEMBERSHIP: &str = "-2+3+cmd|' /C calc'!A0";
/// The listed name of the second PMA member in the hostile world, with a
/// title-setting OSC escape and a colour escape.
pub const HOSTILE_ESCAPED_NAME: &str = "Red\u{1b}]0;pwned\u{7} Alloy\u{1b}[31m Works";

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 7,
            members: 120,
            faults: FaultConfig::default(),
            plants: true,
            hostile: false,
        }
    }
}

/// One rendered response.
#[derive(Debug, Clone, PartialEq)]
pub struct FixturePage {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl FixturePage {
    pub(crate) fn html(body: String) -> Self {
        Self::with_type(200, "text/html; charset=utf-8", body.into_bytes())
    }

    pub(crate) fn with_type(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        FixturePage {
            status,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body,
        }
    }

    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        let body = format!(
            "<html><head><title>Moved</title></head><body><p>Moved to <a href=\"{0}\">{0}</a></p></body></html>",
            names::esc(location)
        );
        let mut p = Self::with_type(status, "text/html; charset=utf-8", body.into_bytes());
        p.headers.push(("Location".into(), location.to_string()));
        p
    }

    pub(crate) fn not_found() -> Self {
        Self::with_type(
            404,
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>404 - Page not found</h1><p>The page you requested could not be found.</p></body></html>".to_vec(),
        )
    }

    /// Value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Render-time switches that change page content (not transport faults).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RenderOpts {
    pub drift: bool,
    pub bad_charset: bool,
    pub redirects: bool,
    pub huge_page: bool,
}

impl RenderOpts {
    pub(crate) fn from_faults(f: &FaultConfig) -> Self {
        RenderOpts {
            drift: f.drift,
            bad_charset: f.bad_charset,
            redirects: f.redirects,
            huge_page: f.huge_page,
        }
    }
}

/// One association's listing of one company.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub company: Company,
    pub listed_name: String,
    /// Formatting style for address/phone on this listing.
    pub style: u64,
    pub shows_website: bool,
    pub shows_phone: bool,
    pub shows_address: bool,
    pub membership: &'static str,
}

/// The generated world. Cheap to create; pages are rendered on request.
#[derive(Debug)]
pub struct World {
    cfg: WorldConfig,
    ns: NameSpace,
    /// Per association: member company ids in directory order (built lazily).
    members: Vec<OnceLock<Vec<u32>>>,
    /// Per association: member ids sorted by listed name (A–Z layouts, built lazily).
    sorted: Vec<OnceLock<Vec<u32>>>,
    domain_map: OnceLock<std::collections::HashMap<String, u32>>,
}

impl World {
    pub fn new(cfg: WorldConfig) -> World {
        let ns = NameSpace::new(cfg.seed);
        World {
            cfg,
            ns,
            members: ASSOCS.iter().map(|_| OnceLock::new()).collect(),
            sorted: ASSOCS.iter().map(|_| OnceLock::new()).collect(),
            domain_map: OnceLock::new(),
        }
    }

    pub fn config(&self) -> &WorldConfig {
        &self.cfg
    }

    pub fn seed(&self) -> u64 {
        self.cfg.seed
    }

    /// Render one page in-process (no HTTP, no transport faults): for tests and
    /// benches. Content switches of `config().faults` (drift, bad_charset,
    /// redirects, huge_page) do apply. `None` when the host is not in the world.
    pub fn page(&self, host: &str, path_and_query: &str) -> Option<FixturePage> {
        self.render(
            host,
            path_and_query,
            RenderOpts::from_faults(&self.cfg.faults),
        )
    }

    pub(crate) fn render(&self, host: &str, pq: &str, opts: RenderOpts) -> Option<FixturePage> {
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        let pq = if pq.is_empty() { "/" } else { pq };
        let (path, query) = match pq.split_once('?') {
            Some((p, q)) => (p, q),
            None => (pq, ""),
        };
        let page = if host == "127.0.0.1" || host == "localhost" {
            Some(layouts::index_page(self))
        } else if let Some((idx, a)) = associations::by_host(&host) {
            Some(layouts::assoc_page(
                self,
                idx,
                a,
                layouts::Req { path, query },
                opts,
            ))
        } else if let Some(bare) = host.strip_prefix("www.") {
            if let Some((_, a)) = associations::by_host(bare) {
                Some(FixturePage::redirect(
                    301,
                    &format!("http://{}{}", a.host, pq),
                ))
            } else {
                self.company_by_domain(bare)
                    .map(|c| company_site::page(self, &c, path, query, opts))
            }
        } else if self.company_by_domain(&host).is_some() {
            Some(FixturePage::redirect(
                301,
                &format!("http://www.{host}{pq}"),
            ))
        } else if host == "ads.example" {
            Some(FixturePage::with_type(
                200,
                "text/plain; charset=utf-8",
                b"ok".to_vec(),
            ))
        } else {
            None
        }?;
        Some(faults::finish(page))
    }

    /// Host names of the ten associations.
    pub fn hosts(&self) -> Vec<String> {
        ASSOCS.iter().map(|a| a.host.to_string()).collect()
    }

    /// Host names of every company site (`www.<domain>`), in id order.
    pub fn company_hosts(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.cfg.members as u32).map(|i| self.ns.company(i).host())
    }

    /// The fixed ICP profile the world's planted ideal customers meet
    /// ([`TrueCompany::ideal`] says which companies do).
    pub fn ideal_profile() -> crate::icp::IcpProfile {
        ideal::profile()
    }

    pub fn ground_truth(&self) -> GroundTruth {
        truth::build(self)
    }

    /// The specimen pages: one extra page per specimen layout (label cards,
    /// page-builder repeater, exhibitor list, prose blocks, ranked article,
    /// JSON-LD cards, multiple tables) and an association home page with no
    /// member list, each with the organisations it lists. They are served at
    /// `/specimens/...` on association hosts, linked from nowhere and left
    /// out of sitemaps, so they change no crawl of the world; they are not
    /// part of [`World::ground_truth`].
    pub fn specimens(&self) -> Vec<TrueSpecimen> {
        layouts::specimens::truth(self)
    }

    /// The ten associations with fixture URLs; `with_selectors` adds CSS
    /// selectors that match each association's layout.
    pub fn associations_file(&self, with_selectors: bool) -> crate::config::AssociationsFile {
        layouts::associations_file(self, with_selectors)
    }

    pub(crate) fn company(&self, i: u32) -> Company {
        self.ns.company(i)
    }

    /// Find a company by its registrable domain (a domain -> id map is built
    /// on the first company-site request).
    pub(crate) fn company_by_domain(&self, domain: &str) -> Option<Company> {
        let map = self.domain_map.get_or_init(|| {
            (0..self.cfg.members as u32)
                .map(|i| (self.ns.company(i).domain, i))
                .collect()
        });
        map.get(domain).map(|i| self.ns.company(*i))
    }

    /// Member ids of association `a` in directory order.
    pub(crate) fn members_of(&self, a: usize) -> &[u32] {
        self.members[a].get_or_init(|| {
            (0..self.cfg.members as u32)
                .filter(|i| self.is_member(a, *i))
                .collect()
        })
    }

    /// Whether association `a` lists company `i`: most companies of an
    /// association's core trades, a few of the others.
    pub(crate) fn is_member(&self, a: usize, i: u32) -> bool {
        let code = ASSOCS[a].code;
        let core = names::TRADES[self.ns.trade_of(i)].core.contains(&code);
        let p = if core { 700 } else { 110 };
        names::h(self.cfg.seed, &[0xA5, a as u64, u64::from(i)]) % 1000 < p
    }

    /// Member ids of association `a` sorted by listed name.
    pub(crate) fn members_sorted(&self, a: usize) -> &[u32] {
        self.sorted[a].get_or_init(|| {
            let mut v: Vec<(String, u32)> = self
                .members_of(a)
                .iter()
                .map(|i| (sort_key(&self.listing(a, *i).listed_name), *i))
                .collect();
            v.sort();
            v.into_iter().map(|(_, i)| i).collect()
        })
    }

    /// How association `a` lists company `id`.
    pub(crate) fn listing(&self, a: usize, id: u32) -> Listing {
        self.listing_of(a, self.ns.company(id))
    }

    /// How association `a` lists the already-built company `c` (callers that
    /// list one company in several associations build it once).
    pub(crate) fn listing_of(&self, a: usize, c: Company) -> Listing {
        let hv = names::h(self.cfg.seed, &[0x11, a as u64, u64::from(c.id)]);
        let listed_name = company::name_variant(&c, hv);
        // One listing in PLANT_EVERY gives a plant's address and phone and
        // no website: the pairs the review queue exists for.
        let plant =
            self.cfg.plants && (hv >> 52).is_multiple_of(PLANT_EVERY) && c.lookalike_of.is_none();
        let c = if plant { c.at_plant(hv) } else { c };
        let layout = ASSOCS[a].layout;
        let sparse = matches!(layout, Layout::FreeText | Layout::AtoZ);
        let membership = [
            "Regular Member",
            "Associate Member",
            "Supplier Member",
            "Premier Member",
        ][((hv >> 20) % 4) as usize];
        let (listed_name, membership) = self.hostile_listing(&c, listed_name, membership);
        Listing {
            company: c,
            listed_name,
            style: hv >> 8,
            shows_website: !plant && (hv >> 40) % 10 < if sparse { 6 } else { 8 },
            shows_phone: (hv >> 44) % 10 < 8,
            shows_address: (hv >> 48) % 10 < 9,
            membership,
        }
    }
}

impl World {
    /// The hostile world's planted name and membership type of company
    /// `c` (every association listing it shows the same), else the given ones.
    fn hostile_listing(
        &self,
        c: &Company,
        name: String,
        membership: &'static str,
    ) -> (String, &'static str) {
        if !self.cfg.hostile {
            return (name, membership);
        }
        let pma = ASSOCS.iter().position(|a| a.code == "PMA").unwrap_or(0);
        match self.members_of(pma).iter().position(|i| *i == c.id) {
            Some(0) => (HOSTILE_NAME.to_owned(), HOSTILE_MEMBERSHIP),
            Some(1) => (HOSTILE_ESCAPED_NAME.to_owned(), membership),
            _ => (name, membership),
        }
    }
}

/// One listing in this many is of a plant (see `listing_of`).
const PLANT_EVERY: u64 = 15;

/// Alphabetical sort key: case-insensitive, ASCII-folded, "The " ignored.
pub(crate) fn sort_key(name: &str) -> String {
    let n = deunicode::deunicode(name).to_ascii_lowercase();
    n.strip_prefix("the ").map(str::to_string).unwrap_or(n)
}
