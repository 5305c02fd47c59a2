//! Review: the next merge candidate side by side, field by field, with the
//! reasons for its score. `m` merge, `n` keep apart, `s` skip, `u` undo the
//! last decision, `A` merge everything above a score. Decisions are written
//! at once through `resolve::review`, the functions `nam review` uses.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Table, Wrap};

use super::{Ctx, Fx, Loading, Pane, PaneId, ready};
use crate::model::{Company, DecisionKind};
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, ReviewData, Slot, Work};
use crate::tui::input::TextInput;

#[derive(Default)]
pub struct ReviewPane {
    pub data: Option<ReviewData>,
    pub error: Option<String>,
    /// An undo or a bulk accept is being written: keys wait for it.
    pub busy: bool,
    /// Decisions on their way to the store.
    pub writes: usize,
    prompt: Option<TextInput>,
}

impl ReviewPane {
    /// The pair on screen.
    pub fn current(&self) -> Option<&crate::resolve::review::ReviewItem> {
        self.data.as_ref().and_then(|d| d.items.first())
    }

    fn decide(&mut self, kind: DecisionKind, fx: &mut Fx) {
        let Some(item) = self.current() else {
            fx.status("Nothing to review.");
            return;
        };
        let (left, right) = (item.candidate.left_id, item.candidate.right_id);
        fx.write(Work::Decide { kind, left, right });
        // Show the next pair now; the queue is read again once the write is in.
        if let Some(d) = self.data.as_mut() {
            d.items.remove(0);
            if kind == DecisionKind::Merge {
                // Pairs with either company change with the merge: wait for them.
                d.items.retain(|i| {
                    ![left, right].contains(&i.candidate.left_id)
                        && ![left, right].contains(&i.candidate.right_id)
                });
            }
            d.pending = (d.pending - 1).max(0);
            d.decided += 1;
        }
        self.writes += 1;
    }
}

/// The fields compared side by side.
fn fields(c: &Company) -> [(&'static str, Option<String>); 10] {
    [
        ("Name", Some(c.name.clone())),
        ("Domain", c.domain.clone()),
        ("Phone", c.phone.clone()),
        ("Street", c.street.clone()),
        ("City", c.city.clone()),
        ("State", c.state.clone()),
        ("Postal", c.postal_code.clone()),
        ("Country", c.country.clone()),
        ("Listed by", Some(c.associations.join(" "))),
        ("Grade", c.quality_grade.clone()),
    ]
}

impl Pane for ReviewPane {
    fn id(&self) -> PaneId {
        PaneId::Review
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::ReviewNext);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        match action {
            _ if self.busy => fx.status("Wait: the last change is being written."),
            Action::Merge => self.decide(DecisionKind::Merge, fx),
            Action::KeepApart => self.decide(DecisionKind::KeepApart, fx),
            Action::Skip => self.decide(DecisionKind::Skip, fx),
            Action::Undo if self.writes == 0 => {
                self.busy = true;
                fx.write(Work::UndoLast);
            }
            Action::Undo => fx.status("Wait: a decision is being written."),
            Action::AcceptAbove => {
                self.prompt = Some(
                    TextInput::new("merge every pending pair scoring at least: ").with_text("0.9"),
                );
            }
            _ => {}
        }
    }

    fn loaded(&mut self, data: Loaded, fx: &mut Fx) {
        match data {
            Loaded::Review(d) => {
                self.data = Some(*d);
                self.error = None;
            }
            Loaded::Done(msg) => {
                self.busy = false;
                self.writes = self.writes.saturating_sub(1);
                fx.status(msg);
                // Read the queue again once nothing is on its way.
                if self.writes == 0 {
                    fx.query(Slot::Main, Work::ReviewNext);
                }
            }
            _ => {}
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        self.busy = false;
        if slot == Slot::Write {
            self.writes = self.writes.saturating_sub(1);
            fx.query(Slot::Main, Work::ReviewNext);
        }
        if slot == Slot::Main {
            self.error = Some(error.clone());
        }
        fx.status(format!("Error: {error}"));
    }

    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        matches!(ev, crate::model::PipelineEvent::JobFinished { .. })
    }

    fn input(&self) -> Option<&TextInput> {
        self.prompt.as_ref()
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        self.prompt.as_mut()
    }

    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        let Some(input) = self.prompt.take() else {
            return;
        };
        if !accepted {
            return;
        }
        match input.text.trim().parse::<f64>() {
            Ok(score) if (0.0..=1.0).contains(&score) => {
                self.busy = true;
                self.writes += 1;
                fx.write(Work::AcceptAbove(score));
            }
            _ => fx.status(format!(
                "Error: {:?} is not a score between 0 and 1",
                input.text
            )),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Review ", t.title));
        let Some(data) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load the review queue",
                error: self.error.as_ref(),
                data: self.data.as_ref(),
            },
        ) else {
            return;
        };
        let [gauge_area, main, reasons_area] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(6),
        ])
        .areas(area);
        let total = data.pending + data.decided;
        let ratio = if total > 0 {
            data.decided as f64 / total as f64
        } else {
            1.0
        };
        frame.render_widget(
            Gauge::default()
                .block(Block::default().borders(Borders::ALL).title(" Queue "))
                .ratio(ratio.clamp(0.0, 1.0))
                .label(format!(
                    "{} decided · {} waiting",
                    data.decided, data.pending
                )),
            gauge_area,
        );
        let Some(item) = data.items.first() else {
            let first = if data.pending > 0 {
                "Reading the next pairs…"
            } else {
                "No pair waits for a decision. Resolution sends the uncertain ones here."
            };
            let mut lines = vec![Line::from(first)];
            if let Some(last) = &data.last {
                lines.push(Line::from(format!(
                    "Last decision #{}: {} #{} and #{} (u undoes it).",
                    last.id, last.decision, last.left_id, last.right_id
                )));
            }
            frame.render_widget(Paragraph::new(lines).block(block), main);
            frame.render_widget(Block::default().borders(Borders::ALL), reasons_area);
            return;
        };
        let (l, r) = (fields(&item.left), fields(&item.right));
        let rows = l.iter().zip(r.iter()).map(|((label, a), (_, b))| {
            let (mark, style) = match (a, b) {
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => ("=", t.good),
                (Some(_), Some(_)) => ("≠", t.warn),
                _ => (" ", t.dim),
            };
            Row::new(vec![
                Cell::from(*label).style(t.title),
                Cell::from(a.clone().unwrap_or_else(|| "—".into())),
                Cell::from(Span::styled(mark, style)),
                Cell::from(b.clone().unwrap_or_else(|| "—".into())),
            ])
        });
        let title = format!(
            " #{} vs #{} · score {:.2} ",
            item.left.id, item.right.id, item.candidate.score
        );
        let table = Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(1),
                Constraint::Fill(1),
            ],
        )
        .header(
            Row::new(vec![
                Cell::from("Field"),
                Cell::from(format!("#{}", item.left.id)),
                Cell::from(""),
                Cell::from(format!("#{}", item.right.id)),
            ])
            .style(t.header),
        )
        .block(block.title(Span::styled(title, t.title)));
        frame.render_widget(table, main);
        let e = &item.candidate.evidence;
        let mut lines = Vec::new();
        let mut agreed = vec![Span::styled("agree: ", t.good)];
        agreed.push(Span::raw(if e.agreed.is_empty() {
            "—".to_string()
        } else {
            e.agreed.join(", ")
        }));
        lines.push(Line::from(agreed));
        let mut conflicted = vec![Span::styled("differ: ", t.warn)];
        conflicted.push(Span::raw(if e.conflicted.is_empty() {
            "—".to_string()
        } else {
            e.conflicted.join(", ")
        }));
        lines.push(Line::from(conflicted));
        if e.hard_conflict {
            lines.push(Line::from(Span::styled(
                "hard evidence conflicts: never merged automatically",
                t.bad,
            )));
        }
        if let Some(last) = &data.last {
            lines.push(Line::from(Span::styled(
                format!(
                    "last: #{} {} #{} and #{} (u undoes)",
                    last.id, last.decision, last.left_id, last.right_id
                ),
                t.dim,
            )));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).title(" Why ")),
            reasons_area,
        );
    }
}
