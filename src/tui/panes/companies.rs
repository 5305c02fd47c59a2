//! The company list with its filter line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::Ctx;
use crate::model::Company;
use crate::tui::action::Action;

#[derive(Debug, Default)]
pub struct CompaniesPane {
    pub items: Vec<Company>,
    pub selected: usize,
    /// The applied filter text.
    pub filter: String,
    /// `Some` while the user is typing a filter.
    pub editing: Option<String>,
    pub loaded: bool,
}

/// What a key press in the list may ask the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOutcome {
    None,
    /// The filter changed: reload.
    Reload,
    /// Open this company.
    Open(i64),
}

impl CompaniesPane {
    pub fn selected_company(&self) -> Option<&Company> {
        self.items.get(self.selected)
    }

    pub fn set_items(&mut self, items: Vec<Company>) {
        // Keep the same company selected across reloads when it is still there.
        let keep = self.selected_company().map(|c| c.id);
        self.items = items;
        self.loaded = true;
        self.selected = keep
            .and_then(|id| self.items.iter().position(|c| c.id == id))
            .unwrap_or(0)
            .min(self.items.len().saturating_sub(1));
    }

    pub fn update(&mut self, action: Action, page: usize) -> ListOutcome {
        let last = self.items.len().saturating_sub(1);
        match action {
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => self.selected = (self.selected + page.max(1)).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(page.max(1)),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Open => {
                if let Some(c) = self.selected_company() {
                    return ListOutcome::Open(c.id);
                }
            }
            Action::Filter => self.editing = Some(self.filter.clone()),
            Action::Back if !self.filter.is_empty() => {
                self.filter.clear();
                return ListOutcome::Reload;
            }
            _ => {}
        }
        ListOutcome::None
    }

    /// Typing into the filter line. Every edit reloads, so the list follows the typing.
    pub fn edit_filter(&mut self, edit: FilterEdit) -> ListOutcome {
        let Some(text) = self.editing.as_mut() else {
            return ListOutcome::None;
        };
        match edit {
            FilterEdit::Char(c) => text.push(c),
            FilterEdit::Backspace => {
                text.pop();
            }
            FilterEdit::Accept => {
                self.editing = None;
                return ListOutcome::None;
            }
            FilterEdit::Cancel => {
                self.editing = None;
                self.filter.clear();
                self.selected = 0;
                return ListOutcome::Reload;
            }
        }
        self.filter = text.clone();
        self.selected = 0;
        ListOutcome::Reload
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, _ctx: &Ctx) {
        let title = if self.filter.is_empty() {
            format!(" Companies ({}) ", self.items.len())
        } else {
            format!(
                " Companies ({}) matching \"{}\" ",
                self.items.len(),
                self.filter
            )
        };
        let block = Block::default().borders(Borders::ALL).title(title);
        if self.loaded && self.items.is_empty() {
            let msg = if self.filter.is_empty() {
                "No companies yet. Run `nam demo` or `nam run` to crawl, or `nam import FILE.csv`."
            } else {
                "No company matches the filter. Esc clears it."
            };
            frame.render_widget(Paragraph::new(msg).block(block), area);
            return;
        }
        let header = Row::new(["Name", "Domain", "City", "St", "Associations"])
            .style(Style::default().add_modifier(Modifier::BOLD));
        let rows = self.items.iter().map(|c| {
            Row::new(vec![
                Cell::from(c.name.clone()),
                Cell::from(c.domain.clone().unwrap_or_default()),
                Cell::from(c.city.clone().unwrap_or_default()),
                Cell::from(c.state.clone().unwrap_or_default()),
                Cell::from(c.associations.join(" ")),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Percentage(34),
                Constraint::Percentage(24),
                Constraint::Percentage(18),
                Constraint::Length(3),
                Constraint::Fill(1),
            ],
        )
        .header(header)
        .block(block)
        .row_highlight_style(Style::default().reversed())
        .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }

    /// The filter prompt line, while editing.
    pub fn filter_line(&self) -> Option<Line<'static>> {
        self.editing
            .as_ref()
            .map(|t| Line::from(format!("/{t}▏  (⏎ keep, esc clear)")))
    }
}

/// Keys while the filter line has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterEdit {
    Char(char),
    Backspace,
    Accept,
    Cancel,
}
