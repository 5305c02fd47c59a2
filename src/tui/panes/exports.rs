//! Exports: the files written so far (newest first) and the profile `e`
//! uses everywhere (`p` cycles full, HubSpot, Salesforce).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::{Ctx, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready};
use crate::store::ExportRun;
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, Slot, Work};

#[derive(Default)]
pub struct ExportsPane {
    pub runs: Option<Vec<ExportRun>>,
    pub selected: usize,
    pub error: Option<String>,
}

impl Pane for ExportsPane {
    fn id(&self) -> PaneId {
        PaneId::Exports
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::Exports);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        let len = self.runs.as_ref().map(Vec::len).unwrap_or(0);
        move_selection(&mut self.selected, len, action, fx.page_rows);
    }

    fn loaded(&mut self, data: Loaded, _fx: &mut Fx) {
        if let Loaded::Exports(runs) = data {
            self.selected = self.selected.min(runs.len().saturating_sub(1));
            self.runs = Some(runs);
            self.error = None;
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self.runs.as_ref().map(Vec::len).unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            " Exports · e exports the current view of any pane · p profile ",
            t.title,
        ));
        let Some(runs) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load the export log",
                error: self.error.as_ref(),
                data: self.runs.as_ref(),
            },
        ) else {
            return;
        };
        if runs.is_empty() {
            frame.render_widget(
                Paragraph::new("No exports yet. Press e in the Companies pane to write the view as CSV and Parquet.").block(block),
                area,
            );
            return;
        }
        let rows = runs.iter().map(|r| {
            Row::new(vec![
                Cell::from(
                    r.created_at
                        .get(..19)
                        .unwrap_or(&r.created_at)
                        .replace('T', " "),
                ),
                Cell::from(r.view.clone()),
                Cell::from(r.profile.clone()),
                Cell::from(r.rows.to_string()),
                Cell::from(r.files.join("  ")),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(19),
                Constraint::Length(12),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["When", "View", "Profile", "Rows", "Files"]).style(t.header))
        .block(block)
        .row_highlight_style(t.selected);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }
}
