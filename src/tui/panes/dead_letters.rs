//! Dead letters: URLs given up on after their retries, with cause and
//! attempts; inspect the failure history, retry one or all, discard.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{
    Ctx, ExportView, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready,
};
use crate::store::DeadLetterRow;
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, Slot, Work};

#[derive(Default)]
pub struct DeadLettersPane {
    pub rows: Option<Vec<DeadLetterRow>>,
    pub selected: usize,
    pub inspecting: bool,
    pub error: Option<String>,
}

impl DeadLettersPane {
    fn selected_row(&self) -> Option<&DeadLetterRow> {
        self.rows.as_ref().and_then(|r| r.get(self.selected))
    }
}

/// The failure history (`[{at, status, error}]`) as readable lines.
fn history_lines(history: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<serde_json::Value>>(history) {
        Ok(items) if !items.is_empty() => items
            .iter()
            .map(|h| {
                let get = |k: &str| match h.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => "—".into(),
                    Some(v) => v.to_string(),
                };
                format!("{}  status {}  {}", get("at"), get("status"), get("error"))
            })
            .collect(),
        Ok(_) => vec!["(no history)".into()],
        Err(_) => vec![history.to_string()],
    }
}

impl Pane for DeadLettersPane {
    fn id(&self) -> PaneId {
        PaneId::DeadLetters
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::DeadLetters);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        let id = self.selected_row().map(|r| r.id);
        match (action, id) {
            (Action::Open, Some(_)) => self.inspecting = !self.inspecting,
            (Action::Back, _) => self.inspecting = false,
            (Action::Retry, Some(id)) => fx.write(Work::RetryDeadLetter(id)),
            (Action::RetryAll, _) => fx.write(Work::RetryAllDeadLetters),
            (Action::Discard, Some(id)) => fx.write(Work::DiscardDeadLetter(id)),
            (other, _) => {
                let len = self.rows.as_ref().map(Vec::len).unwrap_or(0);
                move_selection(&mut self.selected, len, other, fx.page_rows);
            }
        }
    }

    fn loaded(&mut self, data: Loaded, fx: &mut Fx) {
        match data {
            Loaded::DeadLetters(rows) => {
                self.selected = self.selected.min(rows.len().saturating_sub(1));
                self.rows = Some(rows);
                self.error = None;
            }
            Loaded::Done(msg) => {
                fx.status(msg);
                self.refresh(fx);
            }
            _ => {}
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        matches!(
            ev,
            crate::model::PipelineEvent::DeadLetter { .. }
                | crate::model::PipelineEvent::JobFinished { .. }
        )
    }

    fn export_view(&self) -> Option<ExportView> {
        Some(ExportView::DeadLetters)
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self.rows.as_ref().map(Vec::len).unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let count = self
            .rows
            .as_ref()
            .map(|r| r.len().to_string())
            .unwrap_or_else(|| "…".into());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" Dead letters ({count}) "), t.title));
        let Some(rows) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load dead letters",
                error: self.error.as_ref(),
                data: self.rows.as_ref(),
            },
        ) else {
            return;
        };
        if rows.is_empty() {
            frame.render_widget(
                Paragraph::new("No dead letters: every URL was fetched or is still queued.")
                    .block(block),
                area,
            );
            return;
        }
        let (list_area, inspect_area) = if self.inspecting {
            let [a, b] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(area);
            (a, Some(b))
        } else {
            (area, None)
        };
        let table = Table::new(
            rows.iter().map(|d| {
                Row::new(vec![
                    Cell::from(d.url.clone()),
                    Cell::from(d.phase.clone()),
                    Cell::from(
                        d.status_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "—".into()),
                    ),
                    Cell::from(d.attempts.to_string()),
                    Cell::from(Span::styled(d.error.clone(), t.warn)),
                ])
            }),
            [
                Constraint::Percentage(45),
                Constraint::Length(9),
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["URL", "Phase", "Status", "Attempts", "Cause"]).style(t.header))
        .block(block)
        .row_highlight_style(t.selected);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, list_area, &mut state);
        if let (Some(area), Some(d)) = (inspect_area, self.selected_row()) {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("URL      ", t.title),
                    Span::raw(d.url.clone()),
                ]),
                Line::from(vec![
                    Span::styled("Domain   ", t.title),
                    Span::raw(d.domain.clone().unwrap_or_default()),
                ]),
                Line::from(vec![
                    Span::styled("Failed   ", t.title),
                    Span::raw(format!(
                        "first {} · last {} · job {}",
                        d.created_at,
                        d.last_failed_at,
                        d.job_id
                            .map(|j| j.to_string())
                            .unwrap_or_else(|| "—".into())
                    )),
                ]),
                Line::from(vec![
                    Span::styled("Cause    ", t.title),
                    Span::raw(d.error.clone()),
                ]),
                Line::from(Span::styled("Attempts", t.header)),
            ];
            lines.extend(
                history_lines(&d.history)
                    .into_iter()
                    .map(|l| Line::from(format!("  {l}"))),
            );
            frame.render_widget(
                Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Request and response "),
                ),
                area,
            );
        }
    }
}
