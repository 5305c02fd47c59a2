//! Signals: competitor (ERP/CRM vendor) mentions grouped by vendor, company
//! or association; each mention's context snippet with the vendor
//! highlighted; `o` jumps to the company.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{
    Ctx, ExportView, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready,
};
use crate::store::{SignalGroup, SignalGroupBy, SignalRow};
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, Slot, Work};

pub struct SignalsPane {
    pub by: SignalGroupBy,
    pub groups: Option<Vec<SignalGroup>>,
    pub selected: usize,
    pub signals: Vec<SignalRow>,
    /// Focus is on the signals of the selected group (after ⏎).
    pub in_group: bool,
    pub signal_selected: usize,
    pub error: Option<String>,
}

impl Default for SignalsPane {
    fn default() -> Self {
        Self {
            by: SignalGroupBy::Vendor,
            groups: None,
            selected: 0,
            signals: Vec::new(),
            in_group: false,
            signal_selected: 0,
            error: None,
        }
    }
}

impl SignalsPane {
    fn group(&self) -> Option<&SignalGroup> {
        self.groups.as_ref().and_then(|g| g.get(self.selected))
    }

    fn load_group(&self, fx: &mut Fx) {
        if let Some(g) = self.group() {
            fx.query(
                Slot::Detail,
                Work::Signals {
                    by: self.by,
                    key: g.key.clone(),
                },
            );
        }
    }
}

/// Splits `text` around case-insensitive occurrences of `needle`, styling the matches.
pub fn highlight(text: &str, needle: &str, style: Style) -> Line<'static> {
    let mut spans = Vec::new();
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; fall back to plain text then.
    if n.is_empty() || lower.len() != text.len() {
        return Line::from(text.to_string());
    }
    let mut at = 0;
    while let Some(pos) = lower[at..].find(&n) {
        let start = at + pos;
        spans.push(Span::raw(text[at..start].to_string()));
        spans.push(Span::styled(
            text[start..start + n.len()].to_string(),
            style,
        ));
        at = start + n.len();
    }
    spans.push(Span::raw(text[at..].to_string()));
    Line::from(spans)
}

impl Pane for SignalsPane {
    fn id(&self) -> PaneId {
        PaneId::Signals
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::SignalGroups(self.by));
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        match action {
            Action::GroupBy => {
                self.by = self.by.next();
                self.selected = 0;
                self.in_group = false;
                self.signals.clear();
                self.refresh(fx);
            }
            Action::Open if !self.in_group && self.group().is_some() => {
                self.in_group = true;
                self.signal_selected = 0;
            }
            Action::Back => self.in_group = false,
            Action::JumpToCompany | Action::Open => {
                let id = if self.in_group {
                    self.signals.get(self.signal_selected).map(|s| s.company_id)
                } else if self.by == SignalGroupBy::Company {
                    self.group().and_then(|g| g.key.parse().ok())
                } else {
                    self.signals.first().map(|s| s.company_id)
                };
                match id {
                    Some(id) => fx.open_company = Some(id),
                    None => fx.status("No company here."),
                }
            }
            other if self.in_group => {
                move_selection(
                    &mut self.signal_selected,
                    self.signals.len(),
                    other,
                    fx.page_rows,
                );
            }
            other => {
                let len = self.groups.as_ref().map(Vec::len).unwrap_or(0);
                let before = self.selected;
                if move_selection(&mut self.selected, len, other, fx.page_rows)
                    && before != self.selected
                {
                    self.load_group(fx);
                }
            }
        }
    }

    fn loaded(&mut self, data: Loaded, fx: &mut Fx) {
        match data {
            Loaded::SignalGroups(groups) => {
                self.selected = self.selected.min(groups.len().saturating_sub(1));
                self.groups = Some(groups);
                self.error = None;
                self.load_group(fx);
            }
            Loaded::Signals(rows) => {
                self.signal_selected = self.signal_selected.min(rows.len().saturating_sub(1));
                self.signals = rows;
            }
            _ => {}
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        matches!(ev, crate::model::PipelineEvent::PhaseFinished { .. })
    }

    fn export_view(&self) -> Option<ExportView> {
        self.group().map(|g| ExportView::Signals {
            by: self.by,
            key: g.key.clone(),
        })
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self.groups.as_ref().map(Vec::len).unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
            self.in_group = false;
            self.load_group(fx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let title = format!(" Signals by {} (b changes) ", self.by.label());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, t.title));
        let Some(groups) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load signals",
                error: self.error.as_ref(),
                data: self.groups.as_ref(),
            },
        ) else {
            return;
        };
        if groups.is_empty() {
            frame.render_widget(
                Paragraph::new("No competitor signals yet. The GRAPH phase finds ERP and CRM vendor mentions on company sites.")
                    .wrap(Wrap { trim: true })
                    .block(block),
                area,
            );
            return;
        }
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(area);
        let table = Table::new(
            groups.iter().map(|g| {
                Row::new(vec![
                    Cell::from(g.label.clone()),
                    Cell::from(g.companies.to_string()),
                    Cell::from(g.signals.to_string()),
                    Cell::from(format!("{:.0}%", g.strength * 100.0)),
                ])
            }),
            [
                Constraint::Fill(1),
                Constraint::Length(9),
                Constraint::Length(8),
                Constraint::Length(8),
            ],
        )
        .header(Row::new(["Group", "Companies", "Signals", "Strength"]).style(t.header))
        .block(block)
        .row_highlight_style(if self.in_group { t.dim } else { t.selected });
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, left, &mut state);

        let mut lines = Vec::new();
        for (i, s) in self.signals.iter().enumerate() {
            let head = format!(
                "{} · {} {} · {} ({}) · strength {:.0}%",
                s.company_name,
                s.vendor,
                s.product.as_deref().unwrap_or(""),
                s.signal_type,
                s.evidence_kind,
                s.strength * 100.0
            );
            let style = if self.in_group && i == self.signal_selected {
                t.selected
            } else {
                t.title
            };
            lines.push(Line::from(Span::styled(head, style)));
            if let Some(ev) = &s.evidence {
                lines.push(highlight(ev, &s.vendor, t.highlight));
            }
            lines.push(Line::from(Span::styled(s.source_url.clone(), t.dim)));
            lines.push(Line::from(""));
        }
        let label = self.group().map(|g| g.label.clone()).unwrap_or_default();
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {label} · ⏎ browse · o company ")),
            ),
            right,
        );
    }
}
