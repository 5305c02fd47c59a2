//! Word lists and small deterministic helpers (hashing, escaping, slugs).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and a list of parts.
pub(crate) fn h(seed: u64, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(splitmix(seed), |acc, p| splitmix(acc ^ splitmix(*p)))
}

/// Hash of a string (FNV-1a), for mixing names into hashes.
pub(crate) fn hs(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A ChaCha RNG for one generated thing.
pub(crate) fn rng(seed: u64, parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(h(seed, parts))
}

/// Escape text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Lowercase ASCII slug: "Müller Gear & Tool" -> "muller-gear-tool".
pub(crate) fn slug(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Company brand names: family names (look-alikes share these) and coined brands.
pub(crate) static BRANDS: &[&str] = &[
    "Keller",
    "Hoffman",
    "Anderson",
    "Schmidt",
    "Novak",
    "Kowalski",
    "Brennan",
    "Whitfield",
    "Dalton",
    "Harmon",
    "Lindqvist",
    "Okafor",
    "Patel",
    "Nakamura",
    "Moreno",
    "Castillo",
    "Fitzgerald",
    "Gallagher",
    "Jablonski",
    "Kaminski",
    "Larsen",
    "Mahoney",
    "Nguyen",
    "Olson",
    "Petrov",
    "Quinlan",
    "Rasmussen",
    "Sorensen",
    "Thompson",
    "Underwood",
    "Vasquez",
    "Walsh",
    "Yoder",
    "Zimmerman",
    "Becker",
    "Carlson",
    "Dietrich",
    "Eckert",
    "Fischer",
    "Gruber",
    "Hansen",
    "Iverson",
    "Jansen",
    "Krueger",
    "Lambert",
    "Mercer",
    "Nolan",
    "Ostrowski",
    "Prescott",
    "Reinhardt",
    "Stanton",
    "Tillman",
    "Vogel",
    "Wagner",
    "Brandt",
    "Conway",
    "Delgado",
    "Ellison",
    "Foster",
    "Garrison",
    "Holloway",
    "Ingram",
    "Jennings",
    "Kessler",
    "Lowry",
    "McAllister",
    "Norberg",
    "O'Brien",
    "Pfeiffer",
    "Radcliffe",
    "Sutherland",
    "Talbot",
    "Vance",
    "Whitaker",
    "Acme",
    "Apex",
    "Summit",
    "Keystone",
    "Pinnacle",
    "Liberty",
    "Heartland",
    "Meridian",
    "Cascade",
    "Ironwood",
    "Redline",
    "Bluewater",
    "Northstar",
    "Tri-State",
    "Great Lakes",
    "Allied",
    "Continental",
    "Pioneer",
    "Precision Alloy",
    "Sterling",
    "Vanguard",
    "Crestline",
    "Falcon",
    "Titan",
    "Atlas",
    "Midwest",
    "Lakeshore",
    "Anchor",
    "Beacon",
    "Eagle",
    "Frontier",
    "Granite",
    "Horizon",
    "Paragon",
    "Quantum",
    "Reliance",
    "Sentinel",
    "Trident",
    "Unity",
    "Victory",
    "Müller",
    "Schäfer",
    "Köhler",
    "Weiß",
    "Jørgensen",
];

/// French family names used for companies in Québec.
pub(crate) static FR_BRANDS: &[&str] = &[
    "Lévesque",
    "Bélanger",
    "Côté",
    "Gagné",
    "Tremblay",
    "Pelletier",
    "Bouchard",
    "Gauthier",
    "Bérubé",
    "Ouellet",
    "Fréchette",
    "Dufresne",
];

/// One line of business.
#[derive(Debug)]
pub(crate) struct Trade {
    /// As used in a company name: "Stamping", "Tool & Die".
    pub word: &'static str,
    /// French equivalent for Québec names ("Estampage").
    pub fr: &'static str,
    pub products: &'static [&'static str],
    pub industries: &'static [&'static str],
    /// Association codes whose core membership this trade is.
    pub core: &'static [&'static str],
}

const IND_A: &[&str] = &[
    "automotive",
    "appliance",
    "HVAC",
    "agricultural equipment",
    "medical devices",
];
const IND_B: &[&str] = &[
    "aerospace",
    "defense",
    "oil and gas",
    "mining",
    "heavy truck",
];
const IND_C: &[&str] = &[
    "electrical",
    "telecommunications",
    "renewable energy",
    "data centers",
    "lighting",
];
const IND_D: &[&str] = &[
    "pharmaceutical",
    "agricultural",
    "coatings",
    "personal care",
    "food processing",
];

pub(crate) static TRADES: &[Trade] = &[
    Trade {
        word: "Stamping",
        fr: "Estampage",
        products: &[
            "progressive die stampings",
            "deep drawn parts",
            "brackets",
            "clips",
        ],
        industries: IND_A,
        core: &["PMA"],
    },
    Trade {
        word: "Metal Stamping",
        fr: "Estampage de métal",
        products: &["fourslide stampings", "washers", "shields"],
        industries: IND_A,
        core: &["PMA"],
    },
    Trade {
        word: "Tool & Die",
        fr: "Outillage",
        products: &["progressive dies", "transfer dies", "fixtures", "gauges"],
        industries: IND_A,
        core: &["NTMA", "PMA"],
    },
    Trade {
        word: "Machine",
        fr: "Usinage",
        products: &["CNC machined parts", "prototypes", "assemblies"],
        industries: IND_B,
        core: &["NTMA"],
    },
    Trade {
        word: "Precision Machining",
        fr: "Usinage de précision",
        products: &["5-axis milled parts", "turned components", "manifolds"],
        industries: IND_B,
        core: &["NTMA", "PMPA"],
    },
    Trade {
        word: "Screw Products",
        fr: "Décolletage",
        products: &["Swiss-turned parts", "fittings", "pins", "bushings"],
        industries: IND_A,
        core: &["PMPA"],
    },
    Trade {
        word: "Gear",
        fr: "Engrenages",
        products: &["spur gears", "helical gears", "bevel gears", "gearboxes"],
        industries: IND_B,
        core: &["AGMA"],
    },
    Trade {
        word: "Power Transmission",
        fr: "Transmission",
        products: &["speed reducers", "couplings", "drive shafts"],
        industries: IND_B,
        core: &["AGMA"],
    },
    Trade {
        word: "Forge",
        fr: "Forge",
        products: &["open die forgings", "closed die forgings", "rolled rings"],
        industries: IND_B,
        core: &["FIA"],
    },
    Trade {
        word: "Forging",
        fr: "Forgeage",
        products: &[
            "impression die forgings",
            "upset forgings",
            "seamless rings",
        ],
        industries: IND_B,
        core: &["FIA", "AIA"],
    },
    Trade {
        word: "Die Casting",
        fr: "Moulage sous pression",
        products: &[
            "aluminum die castings",
            "zinc die castings",
            "magnesium castings",
        ],
        industries: IND_A,
        core: &["NADCA"],
    },
    Trade {
        word: "Foundry",
        fr: "Fonderie",
        products: &[
            "gray iron castings",
            "ductile iron castings",
            "sand castings",
        ],
        industries: IND_B,
        core: &["AFS"],
    },
    Trade {
        word: "Castings",
        fr: "Moulage",
        products: &["investment castings", "steel castings", "bronze castings"],
        industries: IND_B,
        core: &["AFS", "AIA"],
    },
    Trade {
        word: "Pattern",
        fr: "Modelage",
        products: &["foundry patterns", "core boxes", "3D printed molds"],
        industries: IND_B,
        core: &["AFS"],
    },
    Trade {
        word: "Electric",
        fr: "Électrique",
        products: &["motors", "switchgear", "transformers", "enclosures"],
        industries: IND_C,
        core: &["NEMA"],
    },
    Trade {
        word: "Lighting",
        fr: "Éclairage",
        products: &["LED luminaires", "emergency lighting", "controls"],
        industries: IND_C,
        core: &["NEMA"],
    },
    Trade {
        word: "Controls",
        fr: "Contrôles",
        products: &["motor controls", "sensors", "relays", "PLC panels"],
        industries: IND_C,
        core: &["NEMA", "AIA"],
    },
    Trade {
        word: "Wire & Cable",
        fr: "Fils et câbles",
        products: &["building wire", "cord sets", "harnesses"],
        industries: IND_C,
        core: &["NEMA"],
    },
    Trade {
        word: "Chemical",
        fr: "Chimie",
        products: &["specialty intermediates", "custom synthesis", "surfactants"],
        industries: IND_D,
        core: &["SOCMA"],
    },
    Trade {
        word: "Coatings",
        fr: "Revêtements",
        products: &["powder coatings", "industrial primers", "specialty resins"],
        industries: IND_D,
        core: &["SOCMA"],
    },
    Trade {
        word: "Aerospace",
        fr: "Aérospatiale",
        products: &[
            "flight control components",
            "structural assemblies",
            "engine parts",
        ],
        industries: IND_B,
        core: &["AIA"],
    },
    Trade {
        word: "Avionics",
        fr: "Avionique",
        products: &["cockpit displays", "wire harnesses", "sensors"],
        industries: IND_B,
        core: &["AIA", "NEMA"],
    },
    Trade {
        word: "Heat Treating",
        fr: "Traitement thermique",
        products: &["carburizing", "induction hardening", "vacuum heat treating"],
        industries: IND_A,
        core: &["FIA", "AGMA"],
    },
    Trade {
        word: "Fabrication",
        fr: "Fabrication",
        products: &[
            "laser cut parts",
            "welded assemblies",
            "sheet metal enclosures",
        ],
        industries: IND_A,
        core: &["PMA"],
    },
    Trade {
        word: "Spring",
        fr: "Ressorts",
        products: &["compression springs", "wire forms", "torsion springs"],
        industries: IND_A,
        core: &["PMA", "PMPA"],
    },
    Trade {
        word: "Fastener",
        fr: "Attaches",
        products: &["cold headed fasteners", "aerospace bolts", "rivets"],
        industries: IND_B,
        core: &["PMPA", "AIA"],
    },
];

pub(crate) static FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Karen",
    "Christopher",
    "Sarah",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "Priya",
    "Wei",
    "Carlos",
    "Aisha",
    "Tomasz",
    "Ingrid",
    "Rahul",
    "Mei",
    "Luis",
    "Olga",
    "Hiroshi",
    "Fatima",
    "Marc",
    "Geneviève",
];

pub(crate) static LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Chen",
    "Singh",
    "Kowalczyk",
    "Sato",
    "Schultz",
    "Murphy",
    "Roy",
    "Fournier",
];

pub(crate) static TITLES: &[&str] = &[
    "President & CEO",
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Operating Officer",
    "Vice President, Operations",
    "VP of Sales",
    "Director of Engineering",
    "Plant Manager",
    "Quality Manager",
    "Director of Business Development",
    "Controller",
    "Purchasing Manager",
    "General Manager",
    "VP, Manufacturing",
    "IT Manager",
    "Human Resources Director",
];

/// (display name, fingerprint script URL or marker) for ERP systems.
pub(crate) static ERPS: &[&str] = &[
    "SAP S/4HANA",
    "Oracle NetSuite",
    "Epicor Kinetic",
    "Infor CloudSuite Industrial",
    "Microsoft Dynamics 365",
    "Plex",
    "IQMS",
    "JobBOSS",
    "Global Shop Solutions",
    "SYSPRO",
];

pub(crate) static CRMS: &[&str] = &[
    "Salesforce",
    "HubSpot",
    "Microsoft Dynamics 365 Sales",
    "Zoho CRM",
    "Pipedrive",
];
