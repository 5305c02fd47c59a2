//! Deterministic company generation: company `i` is a pure function of
//! `(seed, i)`, so a world of 100,000 companies never has to exist in memory.
//!
//! Names are unique by construction: non-look-alike companies map through an
//! affine permutation onto (brand, trade, round) triples; every tenth company
//! is a look-alike of another (same brand, different trade and city) whose
//! domain carries its city.

use rand::Rng;

use super::geo::{self, CITIES, City, STREET_NAMES, STREET_TYPES};
use super::names::{self, BRANDS, CRMS, ERPS, FR_BRANDS, TRADES, Trade};

/// Qualifiers that keep names unique once (brand, trade) pairs run out.
static ROUNDS: &[&str] = &[
    "West", "East", "North", "South", "Central", "Pacific", "Atlantic", "Southern", "Northern",
    "Gulf", "Mountain", "Valley", "Coastal", "Lakes", "Plains", "Ridge",
];

/// Name templates: `{b}` brand, `{t}` trade word.
pub(crate) static TEMPLATES: &[&str] = &[
    "{b} {t}",
    "{b} Precision {t}",
    "{b} {t} Manufacturing",
    "{b} & Sons {t}",
    "{b} {t} Company",
    "{b} {t} Works",
    "{b} Brothers {t}",
    "{b} {t} Technologies",
    "{b} Industrial {t}",
];

static SUFFIXES_US: &[&str] = &[
    "Inc.",
    "LLC",
    "Corporation",
    "Co.",
    "Corp.",
    "Incorporated",
    "L.L.C.",
    "",
];
static SUFFIXES_CA: &[&str] = &["Ltd.", "Inc.", "Limited", "Corp."];
static SUFFIXES_QC: &[&str] = &["Ltée", "Inc.", "S.E.N.C."];

/// Every tenth company (i % 10 == 9) is a look-alike of company i - 4.
pub(crate) fn is_lookalike(i: u32) -> bool {
    i % 10 == 9
}

#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub id: u32,
    pub brand: &'static str,
    pub brand_idx: usize,
    pub trade: &'static Trade,
    pub trade_idx: usize,
    /// Name without legal suffix, e.g. "Keller Precision Stamping".
    pub core: String,
    /// Legal suffix ("" when none).
    pub suffix: &'static str,
    /// Canonical name: core + suffix.
    pub name: String,
    /// Registrable domain, e.g. `keller-stamping.example`.
    pub domain: String,
    pub city: &'static City,
    pub street_no: u32,
    pub street_name: &'static str,
    pub street_type: usize,
    pub suite: Option<u32>,
    /// Full postal code: "44114" or "M5V 2T6".
    pub postal: String,
    pub area: u16,
    pub exchange: u16,
    pub line: u16,
    pub founded: u16,
    pub employees: u32,
    pub erp: Option<&'static str>,
    pub crm: Option<&'static str>,
    pub lookalike_of: Option<u32>,
    /// French-named Québec company (rendered in Windows-1252 on its own site).
    pub french: bool,
}

/// Parameters of the name permutation, fixed per seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameSpace {
    seed: u64,
    a: u64,
    b: u64,
}

impl NameSpace {
    pub fn new(seed: u64) -> Self {
        let m = Self::m();
        // Multipliers coprime with m (m = brands * trades); pick by seed.
        let candidates = [7919u64, 104_729, 15_485_863, 2_147_483_647, 1_000_003];
        let mut a = candidates[(names::h(seed, &[1]) % candidates.len() as u64) as usize];
        while gcd(a, m) != 1 {
            a += 2;
        }
        let b = names::h(seed, &[2]) % m;
        NameSpace { seed, a, b }
    }

    fn m() -> u64 {
        (BRANDS.len() * TRADES.len()) as u64
    }

    /// (brand index, trade index, round) of non-look-alike number `k`.
    fn triple(&self, k: u64) -> (usize, usize, u64) {
        let m = Self::m();
        let p = (self.a.wrapping_mul(k % m) % m + self.b) % m;
        let brand = (p % BRANDS.len() as u64) as usize;
        let trade = (p / BRANDS.len() as u64) as usize;
        (brand, trade, k / m)
    }

    /// Trade index of company `i` without building it (used to decide memberships).
    pub fn trade_of(&self, i: u32) -> usize {
        if is_lookalike(i) {
            let mut r = names::rng(self.seed, &[0xC0, u64::from(i)]);
            (self.trade_of(i - 4) + 1 + r.random_range(0..TRADES.len() - 1)) % TRADES.len()
        } else {
            let k = u64::from(i) - (u64::from(i) + 1) / 10;
            self.triple(k).1
        }
    }

    /// Company `i`, planted as an ideal customer when it is one (see
    /// [`super::ideal`]).
    pub fn company(&self, i: u32) -> Company {
        let mut c = self.company_unplanted(i);
        super::ideal::plant(self.seed, &mut c);
        c
    }

    /// Company `i` as its own random stream makes it.
    pub(crate) fn company_unplanted(&self, i: u32) -> Company {
        let seed = self.seed;
        let mut r = names::rng(seed, &[0xC0, u64::from(i)]);
        let twin = if is_lookalike(i) {
            Some(self.company(i - 4))
        } else {
            None
        };
        let (brand_idx, trade_idx, round, french) = match &twin {
            Some(tw) => {
                let t = (tw.trade_idx + 1 + r.random_range(0..TRADES.len() - 1)) % TRADES.len();
                (tw.brand_idx, t, 0, tw.french)
            }
            None => {
                let k = u64::from(i) - (u64::from(i) + 1) / 10;
                let (b, t, round) = self.triple(k);
                // A few brand slots become French-named companies in Québec.
                (b, t, round, b % 23 == 5)
            }
        };
        let lookalike_of = twin.as_ref().map(|t| t.id);
        let twin_city = twin.as_ref().map(|t| t.city.name);
        let trade = &TRADES[trade_idx];
        let city = loop {
            let c = if french {
                let q = geo::first_qc();
                &CITIES[q + r.random_range(0..CITIES.len() - q)]
            } else {
                &CITIES[r.random_range(0..geo::non_qc_count())]
            };
            if Some(c.name) != twin_city {
                break c;
            }
        };
        let (brand, core) = if french {
            let fb = FR_BRANDS[brand_idx % FR_BRANDS.len()];
            let core = match r.random_range(0..3) {
                0 => format!("{} {}", trade.fr, fb),
                1 => format!("{} {} et Fils", trade.fr, fb),
                _ if trade.fr.starts_with(['A', 'E', 'É', 'I', 'O', 'U']) => {
                    format!("Société {} d'{}", fb, trade.fr)
                }
                _ => format!("Société {} de {}", fb, trade.fr),
            };
            (fb, core)
        } else {
            let b = BRANDS[brand_idx];
            let tpl = TEMPLATES[r.random_range(0..TEMPLATES.len())];
            (b, tpl.replace("{b}", b).replace("{t}", trade.word))
        };
        let core = if round > 0 {
            let q = ROUNDS[((round - 1) % ROUNDS.len() as u64) as usize];
            let n = (round - 1) / ROUNDS.len() as u64;
            if n == 0 {
                format!("{core} {q}")
            } else {
                format!("{core} {q} {}", n + 1)
            }
        } else {
            core
        };
        let suffix = if french {
            SUFFIXES_QC[r.random_range(0..SUFFIXES_QC.len())]
        } else if city.country == "CA" {
            SUFFIXES_CA[r.random_range(0..SUFFIXES_CA.len())]
        } else {
            SUFFIXES_US[r.random_range(0..SUFFIXES_US.len())]
        };
        let name = match suffix {
            "" => core.clone(),
            "Inc." | "Incorporated" | "Ltd." | "Limited" if r.random_bool(0.5) => {
                format!("{core}, {suffix}")
            }
            _ => format!("{core} {suffix}"),
        };
        let mut dom = if french {
            format!("{}-{}", names::slug(brand), names::slug(trade.fr))
        } else {
            format!("{}-{}", names::slug(brand), names::slug(trade.word))
        };
        if round > 0 {
            dom.push('-');
            dom.push_str(&names::slug(&core[core.rfind(' ').map_or(0, |p| p + 1)..]));
            let q = ROUNDS[((round - 1) % ROUNDS.len() as u64) as usize];
            if !dom.ends_with(&names::slug(q)) {
                dom.push('-');
                dom.push_str(&names::slug(q));
            }
        }
        if lookalike_of.is_some() {
            dom.push('-');
            dom.push_str(&names::slug(city.name));
        }
        let domain = format!("{dom}.example");
        let street_no = r.random_range(100..9900);
        let street_name = STREET_NAMES[r.random_range(0..STREET_NAMES.len())];
        let street_type = r.random_range(0..STREET_TYPES.len());
        let suite = if r.random_bool(0.3) {
            Some(r.random_range(1..30) * 10 + 100)
        } else {
            None
        };
        let postal = if city.country == "US" {
            format!("{}{:02}", city.postal_prefix, r.random_range(1..99))
        } else {
            let l = |r: &mut rand_chacha::ChaCha8Rng| (b'A' + r.random_range(0..20)) as char;
            format!(
                "{} {}{}{}",
                city.postal_prefix,
                r.random_range(1..9),
                l(&mut r),
                r.random_range(1..9)
            )
        };
        let area = city.area_codes[r.random_range(0..city.area_codes.len())];
        let mut exchange = r.random_range(201..990);
        if exchange == 555 || exchange % 100 == 11 {
            exchange += 2;
        }
        let line = r.random_range(1000..9999);
        let founded = r.random_range(1902..2016);
        let employees = match r.random_range(0..10) {
            0..=3 => r.random_range(8..60),
            4..=7 => r.random_range(60..400),
            _ => r.random_range(400..4000),
        };
        let erp = if r.random_bool(0.7) {
            Some(ERPS[r.random_range(0..ERPS.len())])
        } else {
            None
        };
        let crm = if r.random_bool(0.6) {
            Some(CRMS[r.random_range(0..CRMS.len())])
        } else {
            None
        };
        Company {
            id: i,
            brand,
            brand_idx,
            trade,
            trade_idx,
            core,
            suffix,
            name,
            domain,
            city,
            street_no,
            street_name,
            street_type,
            suite,
            postal,
            area,
            exchange,
            line,
            founded,
            employees,
            erp,
            crm,
            lookalike_of,
            french,
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Company {
    /// The company as a directory lists one of its plants: another city of
    /// the same state or province (when there is one), the plant's street,
    /// postal code and phone. Real directories do this, and it is what
    /// leaves a resolver genuinely unsure: same name, different place.
    pub fn at_plant(&self, v: u64) -> Company {
        let mut r = names::rng(v, &[0x9A, u64::from(self.id)]);
        let others: Vec<&'static City> = CITIES
            .iter()
            .filter(|c| c.state == self.city.state && c.name != self.city.name)
            .collect();
        let mut plant = self.clone();
        if !others.is_empty() {
            plant.city = others[r.random_range(0..others.len())];
        }
        plant.street_no = r.random_range(100..9900);
        plant.street_name = STREET_NAMES[r.random_range(0..STREET_NAMES.len())];
        plant.suite = None;
        if plant.city.country == "US" {
            plant.postal = format!("{}{:02}", plant.city.postal_prefix, r.random_range(1..99));
        }
        plant.area = plant.city.area_codes[r.random_range(0..plant.city.area_codes.len())];
        plant.exchange = r.random_range(201..990);
        if plant.exchange == 555 || plant.exchange % 100 == 11 {
            plant.exchange += 2;
        }
        plant.line = r.random_range(1000..9999);
        plant
    }

    pub fn website(&self) -> String {
        format!("http://www.{}/", self.domain)
    }

    pub fn host(&self) -> String {
        format!("www.{}", self.domain)
    }

    pub fn phone_e164(&self) -> String {
        format!("+1{}{}{}", self.area, self.exchange, self.line)
    }

    /// Phone in one of several real-world formats (`style` picks one).
    pub fn phone_fmt(&self, style: u64) -> String {
        let (a, e, l) = (self.area, self.exchange, self.line);
        match style % 6 {
            0 => format!("({a}) {e}-{l}"),
            1 => format!("{a}.{e}.{l}"),
            2 => format!("{a}-{e}-{l}"),
            3 => format!("+1 {a} {e} {l}"),
            4 => format!("1-{a}-{e}-{l}"),
            _ => format!("+1 ({a}) {e}-{l}"),
        }
    }

    /// Street line, canonical form: "1234 Industrial Drive, Suite 200".
    pub fn street(&self) -> String {
        self.street_fmt(0)
    }

    /// Street line in one of several formats.
    pub fn street_fmt(&self, style: u64) -> String {
        if self.french {
            let t = geo::FR_STREET_TYPES[self.street_type % geo::FR_STREET_TYPES.len()];
            let base = format!("{}, {} {}", self.street_no, t, self.brand_street());
            return match self.suite {
                Some(s) => format!("{base}, bureau {s}"),
                None => base,
            };
        }
        let (long, short) = STREET_TYPES[self.street_type];
        let ty = if style.is_multiple_of(2) { long } else { short };
        let base = format!("{} {} {}", self.street_no, self.street_name, ty);
        match self.suite {
            None => base,
            Some(s) => match style % 4 {
                0 => format!("{base}, Suite {s}"),
                1 => format!("{base}, Ste. {s}"),
                2 => format!("{base} Ste {s}"),
                _ => format!("{base} #{s}"),
            },
        }
    }

    fn brand_street(&self) -> &'static str {
        [
            "Notre-Dame",
            "Sainte-Catherine",
            "Saint-Laurent",
            "de l'Industrie",
            "Principale",
        ][self.street_no as usize % 5]
    }

    /// "Cleveland, OH 44114" or "Cleveland, Ohio 44114".
    pub fn locality_fmt(&self, style: u64) -> String {
        let st = if style % 3 == 2 {
            self.city.state_name
        } else {
            self.city.state
        };
        format!("{}, {} {}", self.city.name, st, self.postal)
    }

    pub fn people(&self, seed: u64) -> Vec<(String, &'static str)> {
        let mut r = names::rng(seed, &[0x7E, u64::from(self.id)]);
        let n = r.random_range(3..7);
        let mut out = Vec::with_capacity(n);
        for (k, _) in (0..n).enumerate() {
            let first = names::FIRST_NAMES[r.random_range(0..names::FIRST_NAMES.len())];
            let last = names::LAST_NAMES[r.random_range(0..names::LAST_NAMES.len())];
            let title = if k == 0 {
                names::TITLES[0]
            } else {
                names::TITLES[r.random_range(1..names::TITLES.len())]
            };
            out.push((format!("{first} {last}"), title));
        }
        out
    }
}

/// How an association lists a company's name: canonical or a realistic variant.
pub(crate) fn name_variant(c: &Company, v: u64) -> String {
    let n = &c.name;
    match v % 14 {
        0..=4 => n.clone(),
        5 => c.core.clone(),
        6 => n.replace(" & ", " and ").replace(" and Sons", " & Sons"),
        7 => n
            .replace("Manufacturing", "Mfg.")
            .replace("Company", "Co.")
            .replace("Brothers", "Bros.")
            .replace("Technologies", "Tech")
            .replace("Corporation", "Corp."),
        8 => n.to_uppercase().replace([',', '.'], ""),
        9 => typo(n, v),
        10 => match c.suffix {
            "Inc." | "Incorporated" => format!("{}, Incorporated", c.core),
            "LLC" | "L.L.C." => format!("{} L.L.C.", c.core),
            "Corporation" => format!("{} Corp", c.core),
            _ => n.replace(',', ""),
        },
        11 => format!("The {}", c.core),
        12 => n.replace(" & ", " and ").replace(" Company", " Co"),
        _ => n
            .to_lowercase()
            .split(' ')
            .map(cap)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn cap(w: &str) -> String {
    let mut cs = w.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().collect::<String>() + cs.as_str(),
        None => String::new(),
    }
}

/// Swap two adjacent letters inside the first word longer than four letters.
fn typo(n: &str, v: u64) -> String {
    let chars: Vec<char> = n.chars().collect();
    let mut start = 0;
    for (i, w) in n.split(' ').enumerate() {
        let len = w.chars().count();
        if len > 4 && w.chars().all(|c| c.is_alphabetic()) {
            let pos = start + 1 + (v as usize + i) % (len - 2);
            let mut out = chars.clone();
            out.swap(pos, pos + 1);
            if out[pos] != out[pos + 1] {
                return out.into_iter().collect();
            }
        }
        start += len + 1;
    }
    n.to_string()
}
