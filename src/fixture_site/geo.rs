//! Real US and Canadian cities with their state/province, ZIP prefix and
//! area codes, so generated addresses and phone numbers look (and validate)
//! like real ones.

/// One city the generator may place a company or an event in.
#[derive(Debug)]
pub(crate) struct City {
    pub name: &'static str,
    /// Two-letter state or province code.
    pub state: &'static str,
    pub state_name: &'static str,
    /// "US" or "CA".
    pub country: &'static str,
    /// US: first three ZIP digits. CA: forward sortation area (e.g. "M5V").
    pub postal_prefix: &'static str,
    pub area_codes: &'static [u16],
}

const fn us(
    name: &'static str,
    state: &'static str,
    state_name: &'static str,
    postal_prefix: &'static str,
    area_codes: &'static [u16],
) -> City {
    City {
        name,
        state,
        state_name,
        country: "US",
        postal_prefix,
        area_codes,
    }
}

const fn ca(
    name: &'static str,
    state: &'static str,
    state_name: &'static str,
    postal_prefix: &'static str,
    area_codes: &'static [u16],
) -> City {
    City {
        name,
        state,
        state_name,
        country: "CA",
        postal_prefix,
        area_codes,
    }
}

pub(crate) static CITIES: &[City] = &[
    us("Cleveland", "OH", "Ohio", "441", &[216]),
    us("Akron", "OH", "Ohio", "443", &[330]),
    us("Dayton", "OH", "Ohio", "454", &[937]),
    us("Toledo", "OH", "Ohio", "436", &[419]),
    us("Cincinnati", "OH", "Ohio", "452", &[513]),
    us("Columbus", "OH", "Ohio", "432", &[614]),
    us("Detroit", "MI", "Michigan", "482", &[313]),
    us("Grand Rapids", "MI", "Michigan", "495", &[616]),
    us("Troy", "MI", "Michigan", "480", &[248]),
    us("Chicago", "IL", "Illinois", "606", &[312, 773]),
    us("Elk Grove Village", "IL", "Illinois", "600", &[847]),
    us("Rockford", "IL", "Illinois", "611", &[815]),
    us("Milwaukee", "WI", "Wisconsin", "532", &[414]),
    us("Waukesha", "WI", "Wisconsin", "531", &[262]),
    us("Green Bay", "WI", "Wisconsin", "543", &[920]),
    us("Indianapolis", "IN", "Indiana", "462", &[317]),
    us("Fort Wayne", "IN", "Indiana", "468", &[260]),
    us("Minneapolis", "MN", "Minnesota", "554", &[612]),
    us("St. Paul", "MN", "Minnesota", "551", &[651]),
    us("Pittsburgh", "PA", "Pennsylvania", "152", &[412]),
    us("Erie", "PA", "Pennsylvania", "165", &[814]),
    us("Allentown", "PA", "Pennsylvania", "181", &[610]),
    us("Philadelphia", "PA", "Pennsylvania", "191", &[215]),
    us("Buffalo", "NY", "New York", "142", &[716]),
    us("Rochester", "NY", "New York", "146", &[585]),
    us("Syracuse", "NY", "New York", "132", &[315]),
    us("Hartford", "CT", "Connecticut", "061", &[860]),
    us("Worcester", "MA", "Massachusetts", "016", &[508]),
    us("Providence", "RI", "Rhode Island", "029", &[401]),
    us("Newark", "NJ", "New Jersey", "071", &[973]),
    us("Baltimore", "MD", "Maryland", "212", &[410]),
    us("Richmond", "VA", "Virginia", "232", &[804]),
    us("Charlotte", "NC", "North Carolina", "282", &[704]),
    us("Greensboro", "NC", "North Carolina", "274", &[336]),
    us("Greenville", "SC", "South Carolina", "296", &[864]),
    us("Atlanta", "GA", "Georgia", "303", &[404, 678]),
    us("Chattanooga", "TN", "Tennessee", "374", &[423]),
    us("Nashville", "TN", "Tennessee", "372", &[615]),
    us("Louisville", "KY", "Kentucky", "402", &[502]),
    us("Birmingham", "AL", "Alabama", "352", &[205]),
    us("Huntsville", "AL", "Alabama", "358", &[256]),
    us("Houston", "TX", "Texas", "770", &[713, 281]),
    us("Dallas", "TX", "Texas", "752", &[214, 972]),
    us("Fort Worth", "TX", "Texas", "761", &[817]),
    us("San Antonio", "TX", "Texas", "782", &[210]),
    us("Tulsa", "OK", "Oklahoma", "741", &[918]),
    us("Wichita", "KS", "Kansas", "672", &[316]),
    us("Kansas City", "MO", "Missouri", "641", &[816]),
    us("St. Louis", "MO", "Missouri", "631", &[314]),
    us("Omaha", "NE", "Nebraska", "681", &[402]),
    us("Des Moines", "IA", "Iowa", "503", &[515]),
    us("Cedar Rapids", "IA", "Iowa", "524", &[319]),
    us("Denver", "CO", "Colorado", "802", &[303, 720]),
    us("Phoenix", "AZ", "Arizona", "850", &[602]),
    us("Salt Lake City", "UT", "Utah", "841", &[801]),
    us("Seattle", "WA", "Washington", "981", &[206]),
    us("Spokane", "WA", "Washington", "992", &[509]),
    us("Portland", "OR", "Oregon", "972", &[503]),
    us("Los Angeles", "CA", "California", "900", &[213, 323]),
    us("Anaheim", "CA", "California", "928", &[714]),
    us("San Jose", "CA", "California", "951", &[408]),
    us("San Diego", "CA", "California", "921", &[619, 858]),
    ca("Toronto", "ON", "Ontario", "M5V", &[416, 647]),
    ca("Mississauga", "ON", "Ontario", "L5T", &[905]),
    ca("Hamilton", "ON", "Ontario", "L8N", &[905]),
    ca("Windsor", "ON", "Ontario", "N9A", &[519]),
    ca("Kitchener", "ON", "Ontario", "N2G", &[519]),
    ca("Winnipeg", "MB", "Manitoba", "R3C", &[204]),
    ca("Calgary", "AB", "Alberta", "T2P", &[403]),
    ca("Edmonton", "AB", "Alberta", "T5J", &[780]),
    ca("Vancouver", "BC", "British Columbia", "V6B", &[604]),
    // Québec: the generator gives companies here French names.
    ca("Montréal", "QC", "Québec", "H3B", &[514]),
    ca("Laval", "QC", "Québec", "H7T", &[450]),
    ca("Québec", "QC", "Québec", "G1K", &[418]),
    ca("Trois-Rivières", "QC", "Québec", "G9A", &[819]),
];

/// Index of the first Québec city in [`CITIES`]; all later entries are in QC.
pub(crate) fn first_qc() -> usize {
    CITIES.iter().position(|c| c.state == "QC").unwrap_or(0)
}

/// Number of non-Québec cities (they come first).
pub(crate) fn non_qc_count() -> usize {
    first_qc()
}

pub(crate) static STREET_NAMES: &[&str] = &[
    "Industrial",
    "Commerce",
    "Enterprise",
    "Main",
    "Lake",
    "Park",
    "Center",
    "Oak",
    "Maple",
    "Washington",
    "Lincoln",
    "Franklin",
    "Jefferson",
    "Mill",
    "River",
    "Railroad",
    "Airport",
    "Technology",
    "Progress",
    "Corporate",
    "Highland",
    "Ridge",
    "Harbor",
    "Foundry",
    "Forge",
    "Elm",
    "Cedar",
    "Pine",
    "Madison",
    "Grant",
    "Kennedy",
    "Erie",
    "Superior",
    "Michigan",
    "Greenfield",
    "Fairview",
    "Venture",
    "Innovation",
    "Meadow",
    "Prospect",
];

/// (long form, short form) street types.
pub(crate) static STREET_TYPES: &[(&str, &str)] = &[
    ("Street", "St."),
    ("Avenue", "Ave."),
    ("Drive", "Dr."),
    ("Road", "Rd."),
    ("Boulevard", "Blvd."),
    ("Parkway", "Pkwy."),
    ("Court", "Ct."),
    ("Way", "Way"),
    ("Lane", "Ln."),
    ("Circle", "Cir."),
];

pub(crate) static FR_STREET_TYPES: &[&str] = &["rue", "boulevard", "avenue", "chemin"];
