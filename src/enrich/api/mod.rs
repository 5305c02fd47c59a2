//! Clients of the paid enrichment providers, written against each one's
//! documented request and response shapes. Base URLs come from config so
//! tests point them at loopback fakes.
