//! nam: a terminal workbench for B2B company intelligence.
//!
//! The binary (`src/main.rs`) only parses arguments and dispatches; everything
//! else lives here so tests can drive the store, the pipeline and the TUI
//! without a terminal. See `DESIGN.md` (shared) for the architecture.

pub mod cli;
pub mod config;
pub mod crawl;
pub mod enrich;
pub mod export;
pub mod extract;
pub mod fixture_site;
pub mod icp;
pub mod import;
pub mod logging;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod prospect;
pub mod quality;
pub mod resolve;
pub mod search;
pub mod secrets;
pub mod signals;
pub mod store;
pub mod tui;
