//! The vocabulary of key bindings. One variant per thing a key can do; the doc
//! line of each is also its help text.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Quit nam
    Quit,
    /// Move down
    Down,
    /// Move up
    Up,
    /// Page down
    PageDown,
    /// Page up
    PageUp,
    /// Jump to the first row
    Top,
    /// Jump to the last row
    Bottom,
    /// Open the selected company
    Open,
    /// Go back / close
    Back,
    /// Filter companies
    Filter,
    /// Reload from the database
    Refresh,
    /// Export CSV + Parquet
    Export,
    /// Show or hide help
    Help,
}

impl Action {
    /// Short help text (the doc line above).
    pub fn description(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Down => "down",
            Self::Up => "up",
            Self::PageDown => "page down",
            Self::PageUp => "page up",
            Self::Top => "first",
            Self::Bottom => "last",
            Self::Open => "open",
            Self::Back => "back",
            Self::Filter => "filter",
            Self::Refresh => "refresh",
            Self::Export => "export",
            Self::Help => "help",
        }
    }
}
