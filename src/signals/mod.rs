//! Competitor signals and the relationship graph (the GRAPH phase).
//!
//! Signals come from the pages of a company's own website: the markup,
//! headers and cookies show what the site runs; the text shows what the
//! company uses, is hiring for or evaluating. The graph links companies to
//! associations, events, technologies, vendors and each other, each edge
//! with its evidence and a weight.

pub mod detect;
pub mod run;
pub mod site;
pub mod vendors;

pub use detect::{Detected, PageInput, PageKind, SignalType, detect};
pub use run::{GraphReport, GraphRun, run_graph};
pub use vendors::VendorTable;
