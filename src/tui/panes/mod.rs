//! One file per pane. Each pane owns its state, turns actions and loaded data
//! into state changes, asks for work through [`Fx`] (never doing it itself),
//! and draws from state only.

pub mod companies;
pub mod dead_letters;
pub mod detail;
pub mod exports;
pub mod jobs;
pub mod keys;
pub mod profiles;
pub mod quality;
pub mod review;
pub mod signals;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::effect::{Loaded, Slot, Work};
use super::input::TextInput;
use super::keymap::KeyMap;
use super::theme::Theme;
use crate::model::PipelineEvent;

/// The nine panes, in tab order (`1`–`9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaneId {
    Jobs,
    Companies,
    Review,
    DeadLetters,
    Signals,
    Quality,
    Keys,
    Exports,
    Profiles,
}

impl PaneId {
    pub const ALL: [PaneId; 9] = [
        PaneId::Jobs,
        PaneId::Companies,
        PaneId::Review,
        PaneId::DeadLetters,
        PaneId::Signals,
        PaneId::Quality,
        PaneId::Keys,
        PaneId::Exports,
        PaneId::Profiles,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Jobs => "Jobs",
            PaneId::Companies => "Companies",
            PaneId::Review => "Review",
            PaneId::DeadLetters => "Dead letters",
            PaneId::Signals => "Signals",
            PaneId::Quality => "Quality",
            PaneId::Keys => "Keys",
            PaneId::Exports => "Exports",
            PaneId::Profiles => "Profiles",
        }
    }

    /// The `[keys.<name>]` section of the config.
    pub fn name(self) -> &'static str {
        match self {
            PaneId::Jobs => "jobs",
            PaneId::Companies => "companies",
            PaneId::Review => "review",
            PaneId::DeadLetters => "dead_letters",
            PaneId::Signals => "signals",
            PaneId::Quality => "quality",
            PaneId::Keys => "keys",
            PaneId::Exports => "exports",
            PaneId::Profiles => "profiles",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane a `show_*` action switches to.
    pub fn for_action(action: Action) -> Option<PaneId> {
        Some(match action {
            Action::ShowJobs => PaneId::Jobs,
            Action::ShowCompanies => PaneId::Companies,
            Action::ShowReview => PaneId::Review,
            Action::ShowDeadLetters => PaneId::DeadLetters,
            Action::ShowSignals => PaneId::Signals,
            Action::ShowQuality => PaneId::Quality,
            Action::ShowKeys => PaneId::Keys,
            Action::ShowExports => PaneId::Exports,
            Action::ShowProfiles => PaneId::Profiles,
            _ => return None,
        })
    }
}

/// What every pane's `render` may read besides its own state.
pub struct Ctx<'a> {
    pub keymap: &'a KeyMap,
    pub theme: &'a Theme,
}

/// What a pane asks of the app while handling an action or a result: work to
/// run off the UI thread, a status line, a switch to another pane.
#[derive(Debug, Default)]
pub struct Fx {
    pub work: Vec<(Slot, Work)>,
    pub status: Option<String>,
    /// Switch to this pane and hand it this company (Signals -> Companies).
    pub open_company: Option<i64>,
    /// Rows the main area shows (for paging), set by the app.
    pub page_rows: usize,
}

impl Fx {
    pub fn new(page_rows: usize) -> Self {
        Self {
            page_rows,
            ..Default::default()
        }
    }

    /// A read whose answer replaces the last one for `slot`; older answers are dropped.
    pub fn query(&mut self, slot: Slot, work: Work) {
        self.work.push((slot, work));
    }

    /// A change; its answer is always delivered.
    pub fn write(&mut self, work: Work) {
        self.work.push((Slot::Write, work));
    }

    pub fn status(&mut self, s: impl Into<String>) {
        self.status = Some(s.into());
    }
}

/// What a view exports with `e`: the rows it shows, with its filters.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportView {
    Companies(companies::CompanyQuery),
    /// The signals of one group (a vendor, a company or an association).
    Signals {
        by: crate::store::SignalGroupBy,
        key: String,
    },
    DeadLetters,
}

/// A pane of the workbench.
pub trait Pane: std::any::Any {
    fn id(&self) -> PaneId;

    /// Loads (or reloads) what the pane shows: on first display, on `r`, and
    /// (throttled) after pipeline events it cares about.
    fn refresh(&mut self, fx: &mut Fx);

    /// A key's action (after the keymap) for this pane.
    fn update(&mut self, action: Action, fx: &mut Fx);

    /// The answer to work this pane asked for.
    fn loaded(&mut self, data: Loaded, fx: &mut Fx);

    /// Work this pane asked for failed: show it in the pane.
    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        let _ = slot;
        fx.status(format!("Error: {error}"));
    }

    /// A pipeline event: return true to be re-queried (the app throttles).
    fn on_event(&mut self, ev: &PipelineEvent) -> bool {
        let _ = ev;
        false
    }

    /// The throttle tick (four times a second while the TUI runs).
    fn tick(&mut self) {}

    /// The text line that has focus, if the pane is taking text.
    fn input(&self) -> Option<&TextInput> {
        None
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        None
    }

    /// The text changed (search-as-you-type).
    fn input_changed(&mut self, fx: &mut Fx) {
        let _ = fx;
    }

    /// Enter (accepted) or Esc on the text line.
    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        let _ = (accepted, fx);
    }

    /// A mouse click on the `row`-th line of the pane's area.
    fn click(&mut self, row: u16, fx: &mut Fx) {
        let _ = (row, fx);
    }

    /// Show this company (from another pane).
    fn open_company(&mut self, id: i64, fx: &mut Fx) {
        let _ = (id, fx);
    }

    /// What `e` exports here, if the pane has a table to export.
    fn export_view(&self) -> Option<ExportView> {
        None
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx);
}

/// A failed read shows in the pane (until the next load succeeds); every
/// failure shows in the status line.
pub fn note_failure(error: &mut Option<String>, slot: Slot, message: String, fx: &mut Fx) {
    if slot.is_query() {
        *error = Some(message.clone());
    }
    fx.status(format!("Error: {message}"));
}

/// A pane's data as far as it has come: none yet, or a failed load.
pub struct Loading<'b, 'a, T> {
    /// The pane's frame, drawn around the error or "Loading…".
    pub block: &'b Block<'b>,
    /// What failed, in the pane's words.
    pub failed: &'b str,
    pub error: Option<&'b String>,
    pub data: Option<&'a T>,
}

/// The data a pane draws, or, while it has none, its load error or
/// "Loading…" drawn in its block instead.
pub fn ready<'a, T>(
    frame: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    l: Loading<'_, 'a, T>,
) -> Option<&'a T> {
    if let Some(e) = l.error {
        let p = Paragraph::new(vec![
            Line::from(Span::styled(l.failed.to_string(), ctx.theme.bad)),
            Line::from(e.clone()),
        ]);
        frame.render_widget(p.block(l.block.clone()), area);
        return None;
    }
    if l.data.is_none() {
        frame.render_widget(Paragraph::new("Loading…").block(l.block.clone()), area);
    }
    l.data
}

/// The row of a bordered table with a header that a click on line `line` of
/// the pane hits, if any. The table scrolls so the selection stays in view,
/// which puts the first visible row at `selected - (visible - 1)` or 0.
pub fn clicked_row(selected: usize, len: usize, line: u16, visible: usize) -> Option<usize> {
    let line = usize::from(line).checked_sub(2)?;
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    let row = offset + line;
    (row < len).then_some(row)
}

/// Moves a form's focus among its `n` fields (tab/shift-tab, down/up,
/// wrapping); other actions leave it.
pub fn cycle_field(field: &mut usize, n: usize, action: Action) {
    match action {
        Action::NextField | Action::Down => *field = (*field + 1) % n,
        Action::PrevField | Action::Up => *field = (*field + n - 1) % n,
        _ => {}
    }
}

/// Moves a selection within `len` rows by a movement action; false for other actions.
pub fn move_selection(selected: &mut usize, len: usize, action: Action, page: usize) -> bool {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    *selected = match action {
        Action::Down => (*selected + 1).min(last),
        Action::Up => selected.saturating_sub(1),
        Action::PageDown => (*selected + page).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}
