//! Keys: which providers have API keys (masked) and which store holds them;
//! set one (typed with no echo) or delete it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

use super::{Ctx, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready};
use crate::tui::action::Action;
use crate::tui::effect::{KeysData, Loaded, Secret, Slot, Work};
use crate::tui::input::TextInput;

#[derive(Default)]
pub struct KeysPane {
    pub data: Option<KeysData>,
    pub selected: usize,
    pub error: Option<String>,
    /// The provider whose key is being typed, and the masked line.
    entry: Option<(String, TextInput)>,
    /// Delete was pressed once; a second press confirms.
    confirm_delete: Option<String>,
}

impl KeysPane {
    fn provider(&self) -> Option<String> {
        self.data
            .as_ref()
            .and_then(|d| d.keys.get(self.selected))
            .map(|(p, _)| p.clone())
    }
}

impl Pane for KeysPane {
    fn id(&self) -> PaneId {
        PaneId::Keys
    }

    fn refresh(&mut self, fx: &mut Fx) {
        fx.query(Slot::Main, Work::Keys);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        let provider = self.provider();
        if action != Action::DeleteKey {
            self.confirm_delete = None;
        }
        match (action, provider) {
            (Action::SetKey | Action::Open, Some(p)) => {
                self.entry = Some((
                    p.clone(),
                    TextInput::masked(format!("API key for {p} (not shown): ")),
                ));
            }
            (Action::DeleteKey, Some(p)) => {
                if self.confirm_delete.as_deref() == Some(p.as_str()) {
                    self.confirm_delete = None;
                    fx.write(Work::DeleteKey(p));
                } else {
                    fx.status(format!("Press D again to delete the key for {p}."));
                    self.confirm_delete = Some(p);
                }
            }
            (other, _) => {
                let len = self.data.as_ref().map(|d| d.keys.len()).unwrap_or(0);
                move_selection(&mut self.selected, len, other, fx.page_rows);
            }
        }
    }

    fn loaded(&mut self, data: Loaded, fx: &mut Fx) {
        match data {
            Loaded::Keys(d) => {
                self.selected = self.selected.min(d.keys.len().saturating_sub(1));
                self.data = Some(d);
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

    fn input(&self) -> Option<&TextInput> {
        self.entry.as_ref().map(|(_, i)| i)
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        self.entry.as_mut().map(|(_, i)| i)
    }

    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        let Some((provider, input)) = self.entry.take() else {
            return;
        };
        let key = input.text.trim().to_string();
        if !accepted {
            return;
        }
        if key.is_empty() {
            fx.status("No key typed; nothing stored.");
            return;
        }
        fx.write(Work::SetKey {
            provider,
            secret: Secret(key),
        });
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self.data.as_ref().map(|d| d.keys.len()).unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let title = match &self.data {
            Some(d) => format!(" Keys · key store: {} ", d.backend),
            None => " Keys ".into(),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, t.title));
        let Some(data) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not read the key store",
                error: self.error.as_ref(),
                data: self.data.as_ref(),
            },
        ) else {
            return;
        };
        let rows = data.keys.iter().map(|(p, k)| {
            let (key, source) = match k {
                Some((masked, source)) => (Span::styled(masked.clone(), t.good), source.clone()),
                None => (Span::styled("not set", t.dim), String::new()),
            };
            Row::new(vec![
                Cell::from(p.clone()),
                Cell::from(key),
                Cell::from(source),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(16),
                Constraint::Length(24),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["Provider", "Key", "Found in"]).style(t.header))
        .block(block)
        .row_highlight_style(t.selected);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }
}
