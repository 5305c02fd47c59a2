//! App state and the pure `update`: messages in, state changes and effects out.
//! Effects (database reads, exports) are run by the loop, never here.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::action::Action;
use super::keymap::{KeyMap, Mode};
use super::panes::Ctx;
use super::panes::companies::{CompaniesPane, FilterEdit, ListOutcome};
use super::panes::detail::DetailPane;
use crate::export::ExportedFile;
use crate::model::{Company, MemberRecord};
use crate::store::CompanyFilter;

/// Everything that can change the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Action(Action),
    Filter(FilterEdit),
    /// A list answer, tagged with the sequence number of the load that asked.
    CompaniesLoaded {
        seq: u64,
        items: Vec<Company>,
    },
    DetailLoaded(Box<Option<Company>>, Vec<MemberRecord>),
    Exported(Vec<ExportedFile>),
    Failed(String),
    Resized {
        rows: u16,
    },
}

/// Work the loop performs off the UI thread; its result comes back as a `Msg`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Loads the list for a filter; `seq` identifies the request so older answers are dropped.
    LoadCompanies {
        seq: u64,
        text: String,
    },
    LoadDetail(i64),
    Export,
}

pub struct App {
    pub mode: Mode,
    pub keymap: KeyMap,
    pub companies: CompaniesPane,
    pub detail: DetailPane,
    pub show_help: bool,
    pub status: Option<String>,
    pub should_quit: bool,
    pub db_label: String,
    pub export_dir: PathBuf,
    page_rows: usize,
    /// Sequence number of the latest list load.
    list_seq: u64,
}

impl App {
    pub fn new(db_label: String, export_dir: PathBuf) -> Self {
        Self {
            mode: Mode::List,
            keymap: KeyMap::default(),
            companies: CompaniesPane::default(),
            detail: DetailPane::default(),
            show_help: false,
            status: None,
            should_quit: false,
            db_label,
            export_dir,
            page_rows: 20,
            list_seq: 0,
        }
    }

    /// Effects to run at start.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.load_companies()]
    }

    /// A new list load for the current filter; only its answer will be shown.
    fn load_companies(&mut self) -> Effect {
        self.list_seq += 1;
        Effect::LoadCompanies {
            seq: self.list_seq,
            text: self.companies.filter.clone(),
        }
    }

    /// Maps a key to a message for the current mode (the filter line takes text).
    pub fn key_to_msg(&self, key: &KeyEvent) -> Option<Msg> {
        if self.mode == Mode::List && self.companies.editing.is_some() {
            return match key.code {
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Msg::Action(Action::Quit))
                }
                KeyCode::Char(c) => Some(Msg::Filter(FilterEdit::Char(c))),
                KeyCode::Backspace => Some(Msg::Filter(FilterEdit::Backspace)),
                KeyCode::Enter => Some(Msg::Filter(FilterEdit::Accept)),
                KeyCode::Esc => Some(Msg::Filter(FilterEdit::Cancel)),
                _ => None,
            };
        }
        self.keymap.action_for(self.mode, key).map(Msg::Action)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Action(action) => return self.on_action(action),
            Msg::Filter(edit) => {
                if self.companies.edit_filter(edit) == ListOutcome::Reload {
                    return vec![self.load_companies()];
                }
            }
            Msg::CompaniesLoaded { seq, items } => {
                // An answer to an older query (the user typed on) is dropped.
                if seq == self.list_seq {
                    self.companies.set_items(items);
                }
            }
            Msg::DetailLoaded(company, memberships) => self.detail.show(*company, memberships),
            Msg::Exported(files) => {
                let rows = files.first().map(|f| f.rows).unwrap_or(0);
                self.status = Some(format!(
                    "Exported {} files ({rows} companies) to {}",
                    files.len(),
                    self.export_dir.display()
                ));
            }
            Msg::Failed(e) => self.status = Some(format!("Error: {e}")),
            Msg::Resized { rows } => self.page_rows = usize::from(rows.saturating_sub(6)).max(1),
        }
        Vec::new()
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.show_help = !self.show_help,
            Action::Refresh => {
                let mut effects = vec![self.load_companies()];
                if let (Mode::Detail, Some(c)) = (self.mode, &self.detail.company) {
                    effects.push(Effect::LoadDetail(c.id));
                }
                return effects;
            }
            Action::Export => {
                self.status = Some("Exporting…".into());
                return vec![Effect::Export];
            }
            Action::Back if self.show_help => self.show_help = false,
            _ => match self.mode {
                Mode::List => match self.companies.update(action, self.page_rows) {
                    ListOutcome::Open(id) => {
                        self.mode = Mode::Detail;
                        self.detail.show(None, Vec::new());
                        return vec![Effect::LoadDetail(id)];
                    }
                    ListOutcome::Reload => return vec![self.load_companies()],
                    ListOutcome::None => {}
                },
                Mode::Detail => {
                    if action == Action::Back {
                        self.mode = Mode::List;
                    } else {
                        self.detail.update(action, self.page_rows);
                    }
                }
            },
        }
        Vec::new()
    }

    pub fn render(&self, frame: &mut Frame) {
        let [top, main, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let ctx = Ctx {
            keymap: &self.keymap,
            page_rows: self.page_rows,
        };
        frame.render_widget(
            Line::from(vec![
                Span::raw(" nam ").bold().reversed(),
                Span::raw(format!(" company intelligence · {}", self.db_label)),
            ]),
            top,
        );
        match self.mode {
            Mode::List => self.companies.render(frame, main, &ctx),
            Mode::Detail => self.detail.render(frame, main, &ctx),
        }
        let bottom_line = if let Some(line) = self
            .companies
            .filter_line()
            .filter(|_| self.mode == Mode::List)
        {
            line
        } else if let Some(status) = &self.status {
            Line::from(status.clone()).style(Style::default().bold())
        } else {
            let hints = self.keymap.hints(self.mode);
            let mut spans = Vec::new();
            for (k, d) in hints
                .into_iter()
                .filter(|(_, d)| !matches!(*d, "up" | "page up" | "first" | "last"))
            {
                spans.push(Span::raw(format!(" {k} ")).reversed());
                spans.push(Span::raw(format!(" {d} ")));
            }
            Line::from(spans)
        };
        frame.render_widget(bottom_line, bottom);
        if self.show_help {
            self.render_help(frame);
        }
    }

    fn render_help(&self, frame: &mut Frame) {
        let area = frame.area();
        let w = area.width.min(50);
        let lines: Vec<Line> = self
            .keymap
            .hints(self.mode)
            .into_iter()
            .map(|(k, d)| Line::from(format!("  {k:<8} {d}")))
            .collect();
        let h = (lines.len() as u16 + 2).min(area.height);
        let popup = ratatui::layout::Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height - h) / 2,
            width: w,
            height: h,
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys ")),
            popup,
        );
    }
}

/// The company filter an effect asks for.
pub fn filter_for(text: &str) -> CompanyFilter {
    CompanyFilter {
        text: (!text.is_empty()).then(|| text.to_owned()),
        ..Default::default()
    }
}
