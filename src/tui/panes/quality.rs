//! Quality: grade distribution and field completeness per association, and
//! how the enrichment providers have answered.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Gauge, Paragraph, Row, Table, TableState,
};

use super::{Ctx, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready};
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, QualityData, Slot, Work};

#[derive(Default)]
pub struct QualityPane {
    pub data: Option<QualityData>,
    pub selected: usize,
    pub error: Option<String>,
}

const GRADES: [&str; 6] = ["A", "B", "C", "D", "F", "–"];

impl Pane for QualityPane {
    fn id(&self) -> PaneId {
        PaneId::Quality
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::Quality);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        let len = self
            .data
            .as_ref()
            .map(|d| d.associations.len())
            .unwrap_or(0);
        move_selection(&mut self.selected, len, action, fx.page_rows);
    }

    fn loaded(&mut self, data: Loaded, _fx: &mut Fx) {
        if let Loaded::Quality(d) = data {
            self.selected = self.selected.min(d.associations.len().saturating_sub(1));
            self.data = Some(d);
            self.error = None;
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        matches!(ev, crate::model::PipelineEvent::PhaseFinished { .. })
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self
            .data
            .as_ref()
            .map(|d| d.associations.len())
            .unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Quality by association ", t.title));
        let Some(data) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not compute quality",
                error: self.error.as_ref(),
                data: self.data.as_ref(),
            },
        ) else {
            return;
        };
        if data.associations.iter().all(|a| a.companies == 0) {
            frame.render_widget(
                Paragraph::new("No companies yet: grades and completeness appear after a crawl or an import and VALIDATION.").block(block),
                area,
            );
            return;
        }
        let provider_rows = data.providers.len().min(6) as u16;
        let [top, providers_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(provider_rows + 3)])
                .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(top);
        let rows = data.associations.iter().map(|a| {
            let mut cells = vec![
                Cell::from(a.association.clone()),
                Cell::from(a.companies.to_string()),
            ];
            cells.extend(a.grades.iter().enumerate().map(|(i, n)| {
                Cell::from(Span::styled(n.to_string(), t.grade(GRADES.get(i).copied())))
            }));
            Row::new(cells)
        });
        let mut widths = vec![Constraint::Min(8), Constraint::Length(6)];
        widths.extend([Constraint::Length(4); 6]);
        let mut header = vec!["Assoc.", "Firms"];
        header.extend(GRADES);
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.header))
            .block(block)
            .row_highlight_style(t.selected);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, left, &mut state);

        if let Some(a) = data.associations.get(self.selected) {
            let n = a.completeness.len() as u16;
            let [chart_area, fields_area] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(n + 2)]).areas(right);
            let bars: Vec<Bar> = a
                .grades
                .iter()
                .zip(GRADES)
                .map(|(v, g)| {
                    Bar::default()
                        .label(Line::from(g))
                        .value((*v).max(0) as u64)
                        .style(t.grade(Some(g)))
                })
                .collect();
            frame.render_widget(
                BarChart::default()
                    .block(
                        Block::default()
                            .borders(Borders::ALL)
                            .title(format!(" Grades · {} ", a.association)),
                    )
                    .data(BarGroup::default().bars(&bars))
                    .bar_width(5)
                    .bar_gap(1),
                chart_area,
            );
            let block = Block::default()
                .borders(Borders::ALL)
                .title(" Field completeness ");
            let inner = block.inner(fields_area);
            frame.render_widget(block, fields_area);
            for (i, (field, share)) in a.completeness.iter().enumerate() {
                let row = Rect {
                    y: inner.y + i as u16,
                    height: 1,
                    ..inner
                };
                if row.y >= inner.y + inner.height {
                    break;
                }
                frame.render_widget(
                    Gauge::default()
                        .ratio(share.clamp(0.0, 1.0))
                        .label(format!("{field:<14} {:>3.0}%", share * 100.0))
                        .gauge_style(t.good),
                    row,
                );
            }
        }
        let block = Block::default().borders(Borders::ALL).title(" Providers ");
        if data.providers.is_empty() {
            frame.render_widget(
                Paragraph::new(
                    "No provider calls yet (enrichment uses keys set in the Keys pane).",
                )
                .style(t.dim)
                .block(block),
                providers_area,
            );
        } else {
            let rows = data.providers.iter().map(|p| {
                Row::new(vec![
                    Cell::from(p.provider.clone()),
                    Cell::from(p.requests.to_string()),
                    Cell::from(p.errors.to_string()),
                    Cell::from(format!("{:.0}%", p.success_rate * 100.0)),
                    Cell::from(format!("{:.1}", p.credits)),
                    Cell::from(p.last_used_at.clone().unwrap_or_default()),
                ])
            });
            let table = Table::new(
                rows,
                [
                    Constraint::Length(14),
                    Constraint::Length(9),
                    Constraint::Length(7),
                    Constraint::Length(8),
                    Constraint::Length(8),
                    Constraint::Fill(1),
                ],
            )
            .header(
                Row::new([
                    "Provider",
                    "Requests",
                    "Errors",
                    "Success",
                    "Credits",
                    "Last used",
                ])
                .style(t.header),
            )
            .block(block);
            frame.render_widget(table, providers_area);
        }
    }
}
