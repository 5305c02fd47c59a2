//! The ten associations: who they are, where they live, how their member
//! directory is built, and which companies they list.

/// Directory layout styles, one per association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `<table>` rows, pagination by query string (`?page=2`).
    Table,
    /// Card grid, pagination by path (`/page/2/`).
    Cards,
    /// A–Z letter index linking to member profile pages.
    AtoZ,
    /// Free-text blocks separated by `<br>` and `<hr>`, `?pg=2`.
    FreeText,
    /// schema.org microdata (`itemscope` Organization), `?page=2`.
    Microdata,
    /// Rows come from a JSON endpoint the page calls (`/api/members?offset=0&limit=25`).
    Json,
    /// "Load more" links returning HTML fragments (`?offset=10`).
    LoadMore,
    /// `<dl>` definition list, `?page=2`.
    DefList,
    /// Members-only directory behind a login form.
    LoginWall,
    /// Search-result snippets linking to profile pages with key/value tables, `?page=2`.
    SearchResults,
    // The specimen layouts below are not any association's directory: each is
    // one extra page at `/specimens/<slug>/` on an association host, linked
    // from nowhere (see `layouts::specimens`).
    /// Cards with a heading name and `Label: value` lines (phone, fax,
    /// website, a one-line address).
    LabelCards,
    /// Page-builder markup: generated class names, the website behind a
    /// button, a facet list and a promo box among the records.
    BuilderRepeater,
    /// An event's exhibitor list: linked and plain names, booth labels.
    ExhibitorList,
    /// One `<p>` per organisation with `<br>`-separated lines, some members
    /// abroad.
    ProseBlocks,
    /// A ranked article: `<h3>` per organisation, label/value `<ul>`, the
    /// website behind "here", ads between entries.
    HeadingArticle,
    /// Search-result cards whose details live in one JSON-LD object each,
    /// with a sponsored sidebar.
    JsonLdCards,
    /// Two tables of organisations, a statistics table and name-list columns.
    MultiTable,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Table => "table",
            Layout::Cards => "cards",
            Layout::AtoZ => "a_to_z",
            Layout::FreeText => "free_text",
            Layout::Microdata => "microdata",
            Layout::Json => "json_api",
            Layout::LoadMore => "load_more",
            Layout::DefList => "definition_list",
            Layout::LoginWall => "login_wall",
            Layout::SearchResults => "search_results",
            Layout::LabelCards => "label_cards",
            Layout::BuilderRepeater => "builder_repeater",
            Layout::ExhibitorList => "exhibitor_list",
            Layout::ProseBlocks => "prose_blocks",
            Layout::HeadingArticle => "heading_article",
            Layout::JsonLdCards => "json_ld_cards",
            Layout::MultiTable => "multi_table",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Assoc {
    pub code: &'static str,
    pub name: &'static str,
    pub host: &'static str,
    /// Directory entry path, e.g. `/directory/`.
    pub dir: &'static str,
    pub layout: Layout,
    pub page_size: usize,
    pub street: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub zip: &'static str,
    pub phone: &'static str,
    pub robots: &'static str,
    pub sitemap: bool,
    pub color: &'static str,
    pub tagline: &'static str,
}

pub(crate) static ASSOCS: &[Assoc] = &[
    Assoc {
        code: "PMA",
        name: "Precision Metalforming Association",
        host: "pma.example",
        dir: "/directory/",
        layout: Layout::Table,
        page_size: 10,
        street: "6363 Oak Tree Blvd.",
        city: "Independence",
        state: "OH",
        zip: "44131",
        phone: "(216) 901-8800",
        robots: "User-agent: *\nDisallow: /members-only/\nDisallow: /cart/\nCrawl-delay: 1\n\nSitemap: http://pma.example/sitemap.xml\n",
        sitemap: true,
        color: "#0b4f8a",
        tagline: "Serving the metalforming industry since 1942",
    },
    Assoc {
        code: "NEMA",
        name: "National Electrical Manufacturers Association",
        host: "nema.example",
        dir: "/membership/member-directory/",
        layout: Layout::Cards,
        page_size: 12,
        street: "1300 N. 17th Street, Suite 900",
        city: "Arlington",
        state: "VA",
        zip: "22209",
        phone: "703-841-3200",
        robots: "User-agent: *\nDisallow: /search\nDisallow: /my-account/\n\nUser-agent: BadBot\nDisallow: /\n",
        sitemap: false,
        color: "#003a70",
        tagline: "The association of electrical equipment and medical imaging manufacturers",
    },
    Assoc {
        code: "SOCMA",
        name: "Society of Chemical Manufacturers & Affiliates",
        host: "socma.example",
        dir: "/member-directory/",
        layout: Layout::AtoZ,
        page_size: 0,
        street: "1400 Crystal Drive, Suite 630",
        city: "Arlington",
        state: "VA",
        zip: "22202",
        phone: "571.348.5100",
        robots: "User-agent: *\nAllow: /\nSitemap: http://socma.example/sitemap.xml\n",
        sitemap: true,
        color: "#5b2c83",
        tagline: "The voice of specialty chemical manufacturers",
    },
    Assoc {
        code: "AGMA",
        name: "American Gear Manufacturers Association",
        host: "agma.example",
        dir: "/membership/member-directory/",
        layout: Layout::FreeText,
        page_size: 15,
        street: "1001 N. Fairfax Street, Suite 500",
        city: "Alexandria",
        state: "VA",
        zip: "22314",
        phone: "(703) 684-0211",
        robots: "User-agent: *\nDisallow: /wp-admin/\nDisallow: /members-only/\nCrawl-delay: 2\n",
        sitemap: false,
        color: "#8a1c1c",
        tagline: "Gearing the world since 1916",
    },
    Assoc {
        code: "AIA",
        name: "Aerospace Industries Association",
        host: "aia.example",
        dir: "/membership/member-directory/",
        layout: Layout::Microdata,
        page_size: 10,
        street: "1000 Wilson Blvd., Suite 1700",
        city: "Arlington",
        state: "VA",
        zip: "22209",
        phone: "703-358-1000",
        robots: "User-agent: *\nDisallow: /press-room/drafts/\nSitemap: http://aia.example/sitemap.xml\n",
        sitemap: true,
        color: "#1d3557",
        tagline: "Advancing aerospace and defense",
    },
    Assoc {
        code: "NTMA",
        name: "National Tooling and Machining Association",
        host: "ntma.example",
        dir: "/find-a-member/",
        layout: Layout::Json,
        page_size: 25,
        street: "1357 Rockside Road",
        city: "Cleveland",
        state: "OH",
        zip: "44134",
        phone: "(216) 264-2840",
        robots: "User-agent: *\nDisallow: /admin/\n",
        sitemap: false,
        color: "#e36414",
        tagline: "Precision custom manufacturing",
    },
    Assoc {
        code: "PMPA",
        name: "Precision Machined Products Association",
        host: "pmpa.example",
        dir: "/member-directory/",
        layout: Layout::LoadMore,
        page_size: 10,
        street: "6880 W. Snowville Road, Suite 200",
        city: "Brecksville",
        state: "OH",
        zip: "44141",
        phone: "440.526.0300",
        robots: "User-agent: *\nDisallow: /members/\nCrawl-delay: 1\nSitemap: http://pmpa.example/sitemap.xml\n",
        sitemap: true,
        color: "#2a9d8f",
        tagline: "Precision machined products for the world",
    },
    Assoc {
        code: "FIA",
        name: "Forging Industry Association",
        host: "forging.example",
        dir: "/member-directory/",
        layout: Layout::DefList,
        page_size: 10,
        street: "1111 Superior Avenue, Suite 615",
        city: "Cleveland",
        state: "OH",
        zip: "44114",
        phone: "216-781-6260",
        robots: "User-agent: *\nDisallow:\n",
        sitemap: false,
        color: "#6d597a",
        tagline: "Forging: the strongest solution",
    },
    Assoc {
        code: "NADCA",
        name: "North American Die Casting Association",
        host: "diecasting.example",
        dir: "/member-directory/",
        layout: Layout::LoginWall,
        page_size: 20,
        street: "3250 N. Arlington Heights Road, Suite 101",
        city: "Arlington Heights",
        state: "IL",
        zip: "60004",
        phone: "(847) 279-0001",
        robots: "User-agent: *\nDisallow: /login\nDisallow: /account/\n",
        sitemap: false,
        color: "#264653",
        tagline: "Advancing the die casting industry",
    },
    Assoc {
        code: "AFS",
        name: "American Foundry Society",
        host: "afsinc.example",
        dir: "/member-directory/",
        layout: Layout::SearchResults,
        page_size: 10,
        street: "1695 N. Penny Lane",
        city: "Schaumburg",
        state: "IL",
        zip: "60173",
        phone: "847-824-0181",
        robots: "User-agent: *\nDisallow: /cart\nDisallow: /checkout\nSitemap: http://afsinc.example/sitemap.xml\n",
        sitemap: true,
        color: "#9c6644",
        tagline: "Metalcasting: the foundation of manufacturing",
    },
];

pub(crate) fn by_host(host: &str) -> Option<(usize, &'static Assoc)> {
    ASSOCS.iter().enumerate().find(|(_, a)| a.host == host)
}
