//! One file per pane. Each pane owns its state, turns actions into state
//! changes (`update`) and draws from state only (`render`).

pub mod companies;
pub mod detail;

use super::keymap::KeyMap;

/// What every pane's `render` may read besides its own state.
pub struct Ctx<'a> {
    pub keymap: &'a KeyMap,
    /// Rows visible in the main area at the last draw (for paging).
    pub page_rows: usize,
}
