//! The shell: tabs, routing, overlays (help, command palette), the status
//! bar, and the sequence numbers that drop stale answers. `update` is pure:
//! messages in, state changes and [`Effect`]s out; the loop runs effects.

use std::collections::{BTreeSet, HashMap};

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::effect::{Loaded, Slot, Work};
use super::input::TextInput;
use super::keymap::{KeyMap, Scope};
use super::panes::{self, Ctx, Fx, Pane, PaneId};
use super::theme::Theme;
use crate::export::Profile;
use crate::model::PipelineEvent;

/// Who asked for a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    App,
    Pane(PaneId),
}

/// Work with its return address.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub target: Target,
    pub slot: Slot,
    pub seq: u64,
    pub work: Work,
}

/// Everything that can change the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Done {
        target: Target,
        slot: Slot,
        seq: u64,
        result: Result<Loaded, String>,
    },
    Event(PipelineEvent),
    /// Throttle tick: panes dirtied by pipeline events re-query now.
    Tick,
    /// The search index caught up with the store.
    SearchReady,
}

/// The counts in the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub companies: i64,
    pub pending_review: i64,
    pub dead_letters: i64,
}

pub struct App {
    pub keymap: KeyMap,
    pub theme: Theme,
    panes: Vec<Box<dyn Pane>>,
    pub active: PaneId,
    shown: BTreeSet<PaneId>,
    dirty: BTreeSet<PaneId>,
    pub show_help: bool,
    pub palette: Option<TextInput>,
    pub status: Option<String>,
    pub should_quit: bool,
    pub db_label: String,
    pub profile: Profile,
    pub running_job: Option<(i64, String)>,
    pub counts: Counts,
    size: (u16, u16),
    seq: u64,
    latest: HashMap<(Target, Slot), u64>,
}

impl App {
    pub fn new(db_label: String, keymap: KeyMap) -> Self {
        let panes: Vec<Box<dyn Pane>> = vec![
            Box::new(panes::jobs::JobsPane::default()),
            Box::new(panes::companies::CompaniesPane::default()),
            Box::new(panes::review::ReviewPane::default()),
            Box::new(panes::dead_letters::DeadLettersPane::default()),
            Box::new(panes::signals::SignalsPane::default()),
            Box::new(panes::quality::QualityPane::default()),
            Box::new(panes::keys::KeysPane::default()),
            Box::new(panes::exports::ExportsPane::default()),
            Box::new(panes::profiles::ProfilesPane::default()),
        ];
        Self {
            keymap,
            theme: Theme::default(),
            panes,
            active: PaneId::Companies,
            shown: BTreeSet::new(),
            dirty: BTreeSet::new(),
            show_help: false,
            palette: None,
            status: None,
            should_quit: false,
            db_label,
            profile: Profile::Full,
            running_job: None,
            counts: Counts::default(),
            size: (100, 30),
            seq: 0,
            latest: HashMap::new(),
        }
    }

    pub fn pane(&self, id: PaneId) -> &dyn Pane {
        self.panes[id.index()].as_ref()
    }

    /// A pane's state, for tests.
    pub fn pane_as<T: 'static>(&self, id: PaneId) -> Option<&T> {
        let any: &dyn std::any::Any = self.panes[id.index()].as_ref();
        any.downcast_ref::<T>()
    }

    fn page_rows(&self) -> usize {
        usize::from(self.size.1.saturating_sub(7)).max(1)
    }

    /// Effects to run at start: the first pane's data and the status counts.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut out = self.app_work(Work::StatusCounts);
        out.extend(self.show(self.active));
        out
    }

    fn app_work(&mut self, work: Work) -> Vec<Effect> {
        self.seq += 1;
        self.latest.insert((Target::App, Slot::Count), self.seq);
        vec![Effect {
            target: Target::App,
            slot: Slot::Count,
            seq: self.seq,
            work,
        }]
    }

    /// Turns what a pane asked for into effects with sequence numbers.
    fn collect(&mut self, pane: PaneId, fx: Fx) -> Vec<Effect> {
        if let Some(s) = fx.status {
            self.status = Some(s);
        }
        let mut out = Vec::new();
        for (slot, work) in fx.work {
            self.seq += 1;
            let target = Target::Pane(pane);
            if slot.is_query() {
                self.latest.insert((target, slot), self.seq);
            }
            out.push(Effect {
                target,
                slot,
                seq: self.seq,
                work,
            });
        }
        if let Some(id) = fx.open_company {
            out.extend(self.switch(PaneId::Companies));
            let mut fx = Fx::new(self.page_rows());
            self.panes[PaneId::Companies.index()].open_company(id, &mut fx);
            out.extend(self.collect(PaneId::Companies, fx));
        }
        out
    }

    fn with_pane(&mut self, id: PaneId, f: impl FnOnce(&mut dyn Pane, &mut Fx)) -> Vec<Effect> {
        let mut fx = Fx::new(self.page_rows());
        f(self.panes[id.index()].as_mut(), &mut fx);
        self.collect(id, fx)
    }

    /// Makes a pane visible, loading it the first time (and when it went stale).
    fn show(&mut self, id: PaneId) -> Vec<Effect> {
        self.active = id;
        if self.shown.insert(id) || self.dirty.remove(&id) {
            return self.with_pane(id, |p, fx| p.refresh(fx));
        }
        Vec::new()
    }

    fn switch(&mut self, id: PaneId) -> Vec<Effect> {
        if id == self.active {
            return Vec::new();
        }
        self.show(id)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(&key),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize { width, height } => {
                self.size = (width, height);
                Vec::new()
            }
            Msg::Done {
                target,
                slot,
                seq,
                result,
            } => {
                if slot.is_query() && self.latest.get(&(target, slot)) != Some(&seq) {
                    // An answer to a query that a newer one replaced.
                    return Vec::new();
                }
                self.on_done(target, slot, result)
            }
            Msg::Event(ev) => self.on_event(ev),
            Msg::SearchReady => {
                self.dirty.insert(PaneId::Companies);
                Vec::new()
            }
            Msg::Tick => {
                for pane in &mut self.panes {
                    pane.tick();
                }
                let mut out = Vec::new();
                if self.dirty.remove(&self.active) {
                    out.extend(self.with_pane(self.active, |p, fx| p.refresh(fx)));
                    out.extend(self.app_work(Work::StatusCounts));
                }
                out
            }
        }
    }

    fn on_done(
        &mut self,
        target: Target,
        slot: Slot,
        result: Result<Loaded, String>,
    ) -> Vec<Effect> {
        match (target, result) {
            (Target::App, Ok(Loaded::StatusCounts(c))) => {
                self.counts = c;
                Vec::new()
            }
            (Target::App, Ok(_)) => Vec::new(),
            (Target::App, Err(e)) => {
                self.status = Some(format!("Error: {e}"));
                Vec::new()
            }
            (Target::Pane(_), Ok(Loaded::Exported(files))) => {
                let rows = files.first().map(|f| f.rows).unwrap_or(0);
                let paths: Vec<String> =
                    files.iter().map(|f| f.path.display().to_string()).collect();
                self.status = Some(format!(
                    "Exported {rows} rows ({}) to {}",
                    self.profile.name(),
                    paths.join(", ")
                ));
                // The Exports pane lists it next time it shows.
                self.dirty.insert(PaneId::Exports);
                Vec::new()
            }
            (Target::Pane(id), Ok(data)) => {
                let mut out = self.with_pane(id, |p, fx| p.loaded(data, fx));
                if slot == Slot::Write {
                    // A change may move every count and other panes' data.
                    for other in PaneId::ALL {
                        if other != id {
                            self.dirty.insert(other);
                        }
                    }
                    out.extend(self.app_work(Work::StatusCounts));
                }
                out
            }
            (Target::Pane(id), Err(e)) => self.with_pane(id, |p, fx| p.failed(slot, e, fx)),
        }
    }

    fn on_event(&mut self, ev: PipelineEvent) -> Vec<Effect> {
        match &ev {
            PipelineEvent::JobStarted { job_id, .. } => {
                self.running_job = Some((*job_id, "starting".into()));
            }
            PipelineEvent::PhaseStarted { job_id, phase } => {
                self.running_job = Some((*job_id, phase.as_str().to_string()));
            }
            PipelineEvent::JobFinished { job_id, status, .. } => {
                self.running_job = None;
                self.status = Some(format!("job {job_id} {status}"));
            }
            _ => {}
        }
        for id in PaneId::ALL {
            if self.panes[id.index()].on_event(&ev) {
                self.dirty.insert(id);
            }
        }
        Vec::new()
    }

    fn on_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        self.status = None;
        if let Some(palette) = self.palette.as_mut() {
            match self.keymap.input_action(key) {
                Some(Action::Accept) => {
                    let text = palette.text.clone();
                    self.palette = None;
                    return self.run_command(&text);
                }
                Some(Action::CancelInput) => self.palette = None,
                Some(Action::DeleteChar) => palette.delete(),
                Some(Action::ClearInput) => palette.clear(),
                Some(Action::Quit) => self.should_quit = true,
                Some(_) => {}
                None => {
                    if let crossterm::event::KeyCode::Char(c) = key.code {
                        palette.insert(c);
                    }
                }
            }
            return Vec::new();
        }
        let active = self.active;
        if self.panes[active.index()].input().is_some() {
            return self.on_input_key(active, key);
        }
        match self.keymap.action(active, key) {
            Some(action) => self.on_action(action),
            None => Vec::new(),
        }
    }

    /// Keys while the active pane's text line has focus.
    fn on_input_key(&mut self, id: PaneId, key: &KeyEvent) -> Vec<Effect> {
        match self.keymap.input_action(key) {
            Some(Action::Accept) => self.with_pane(id, |p, fx| p.input_finished(true, fx)),
            Some(Action::CancelInput) => self.with_pane(id, |p, fx| p.input_finished(false, fx)),
            Some(Action::Quit) => {
                self.should_quit = true;
                Vec::new()
            }
            Some(edit @ (Action::DeleteChar | Action::ClearInput)) => {
                self.with_pane(id, |p, fx| {
                    if let Some(input) = p.input_mut() {
                        if edit == Action::DeleteChar {
                            input.delete();
                        } else {
                            input.clear();
                        }
                    }
                    p.input_changed(fx);
                })
            }
            Some(other) => self.with_pane(id, |p, fx| p.update(other, fx)),
            None => match key.code {
                crossterm::event::KeyCode::Char(c) => self.with_pane(id, |p, fx| {
                    if let Some(input) = p.input_mut() {
                        input.insert(c);
                    }
                    p.input_changed(fx);
                }),
                _ => Vec::new(),
            },
        }
    }

    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        if self.show_help {
            // Any key closes help; `?` and esc are the obvious ones.
            self.show_help = false;
            if matches!(action, Action::Help | Action::Back) {
                return Vec::new();
            }
        }
        if let Some(id) = PaneId::for_action(action) {
            return self.switch(id);
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.show_help = true,
            Action::Palette => self.palette = Some(TextInput::new(":")),
            Action::NextPane | Action::PrevPane => {
                let n = PaneId::ALL.len();
                let i = self.active.index();
                let next = if action == Action::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                return self.switch(PaneId::ALL[next]);
            }
            Action::Refresh => {
                let mut out = self.with_pane(self.active, |p, fx| p.refresh(fx));
                out.extend(self.app_work(Work::StatusCounts));
                return out;
            }
            Action::Search if self.active != PaneId::Companies => {
                // Search lives in the Companies pane; `/` anywhere goes there.
                let mut out = self.switch(PaneId::Companies);
                out.extend(self.with_pane(PaneId::Companies, |p, fx| p.update(Action::Search, fx)));
                return out;
            }
            Action::Profile => {
                self.profile = self.profile.next();
                self.status = Some(format!("export profile: {}", self.profile.name()));
            }
            Action::Export => {
                let view = self.panes[self.active.index()]
                    .export_view()
                    .unwrap_or_else(|| panes::ExportView::Companies(Default::default()));
                self.status = Some(format!("Exporting ({})…", self.profile.name()));
                let work = Work::Export {
                    view,
                    profile: self.profile,
                };
                let mut fx = Fx::new(self.page_rows());
                fx.write(work);
                let active = self.active;
                return self.collect(active, fx);
            }
            other => {
                let active = self.active;
                return self.with_pane(active, |p, fx| p.update(other, fx));
            }
        }
        Vec::new()
    }

    /// `:` commands: a pane name or number, an action name, or
    /// `profile NAME`, `accept SCORE`, `search TEXT`.
    fn run_command(&mut self, text: &str) -> Vec<Effect> {
        let text = text.trim();
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        let word = word.to_ascii_lowercase().replace('-', "_");
        if let Some(p) = PaneId::ALL.iter().find(|p| {
            p.name() == word
                || p.title().eq_ignore_ascii_case(text)
                || (p.index() + 1).to_string() == word
        }) {
            return self.switch(*p);
        }
        match word.as_str() {
            "q" | "quit" => {
                self.should_quit = true;
                Vec::new()
            }
            "profile" => {
                match crate::export::Profile::ALL
                    .iter()
                    .find(|p| p.name() == rest.trim())
                {
                    Some(p) => {
                        self.profile = *p;
                        self.status = Some(format!("export profile: {}", p.name()));
                    }
                    None => self.status = Some("profiles: full, hubspot, salesforce".into()),
                }
                Vec::new()
            }
            "accept" => match rest.trim().parse::<f64>() {
                Ok(score) if (0.0..=1.0).contains(&score) => {
                    let mut out = self.switch(PaneId::Review);
                    let mut fx = Fx::new(self.page_rows());
                    fx.write(Work::AcceptAbove(score));
                    out.extend(self.collect(PaneId::Review, fx));
                    out
                }
                _ => {
                    self.status = Some("usage: accept SCORE (between 0 and 1)".into());
                    Vec::new()
                }
            },
            "" => Vec::new(),
            _ => match Action::from_name(&word) {
                Some(action) => self.on_action(action),
                None => {
                    self.status = Some(format!(
                        "unknown command {text:?}; try a pane name, an action (merge, export, …), profile NAME or accept SCORE"
                    ));
                    Vec::new()
                }
            },
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        match m.kind {
            MouseEventKind::ScrollDown => self.on_action(Action::Down),
            MouseEventKind::ScrollUp => self.on_action(Action::Up),
            MouseEventKind::Down(MouseButton::Left) => {
                if m.row == 1 {
                    if let Some(id) = self.tab_at(m.column) {
                        return self.switch(id);
                    }
                    return Vec::new();
                }
                let [_, _, main, _, _] = screen_areas(Rect::new(0, 0, self.size.0, self.size.1));
                if m.row >= main.y && m.row < main.y + main.height {
                    let row = m.row - main.y;
                    let active = self.active;
                    return self.with_pane(active, |p, fx| p.click(row, fx));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The tab bar's labels; with one space between them instead of two
    /// when the padded ones would not fit the screen's width.
    fn tab_labels(&self) -> Vec<String> {
        let padded = self.tab_labels_with(" ");
        let width: usize = padded.iter().map(|l| l.chars().count()).sum();
        if width <= usize::from(self.size.0) {
            padded
        } else {
            self.tab_labels_with("")
        }
    }

    fn tab_labels_with(&self, pad: &str) -> Vec<String> {
        PaneId::ALL
            .iter()
            .map(|p| {
                let badge = match p {
                    PaneId::Review if self.counts.pending_review > 0 => {
                        format!(" ({})", self.counts.pending_review)
                    }
                    PaneId::DeadLetters if self.counts.dead_letters > 0 => {
                        format!(" ({})", self.counts.dead_letters)
                    }
                    _ => String::new(),
                };
                format!(" {} {}{}{pad}", p.index() + 1, p.title(), badge)
            })
            .collect()
    }

    fn tab_at(&self, column: u16) -> Option<PaneId> {
        let mut x = 0u16;
        for (label, id) in self.tab_labels().iter().zip(PaneId::ALL) {
            let w = label.chars().count() as u16;
            if column >= x && column < x + w {
                return Some(id);
            }
            x += w;
        }
        None
    }

    pub fn render(&self, frame: &mut Frame) {
        let [top, tabs, main, hint, status] = screen_areas(frame.area());
        let t = &self.theme;
        frame.render_widget(
            Line::from(vec![
                Span::styled(" nam ", t.tab_active),
                Span::raw(" company intelligence workbench").bold(),
            ]),
            top,
        );
        let mut spans = Vec::new();
        for (label, id) in self.tab_labels().into_iter().zip(PaneId::ALL) {
            let style = if id == self.active {
                t.tab_active
            } else {
                t.tab
            };
            spans.push(Span::styled(label, style));
        }
        frame.render_widget(Line::from(spans), tabs);
        let ctx = Ctx {
            keymap: &self.keymap,
            theme: &self.theme,
        };
        self.pane(self.active).render(frame, main, &ctx);
        // The hint line: the text line being edited, a status, or key hints.
        let hint_line = if let Some(p) = &self.palette {
            p.line("⏎ run · esc cancel · a pane, an action, profile NAME, accept SCORE")
        } else if let Some(input) = self.pane(self.active).input() {
            input.line("⏎ keep · esc cancel")
        } else if let Some(s) = &self.status {
            let style = if s.starts_with("Error") {
                t.bad
            } else {
                t.title
            };
            Line::from(Span::styled(s.clone(), style))
        } else {
            self.hints()
        };
        frame.render_widget(hint_line, hint);
        let job = match &self.running_job {
            Some((id, phase)) => format!("job {id}: {phase}"),
            None => "no job running".into(),
        };
        frame.render_widget(
            Line::from(format!(
                " {} · {} · {} companies · {} to review · {} dead letters · export profile {}",
                self.db_label,
                job,
                self.counts.companies,
                self.counts.pending_review,
                self.counts.dead_letters,
                self.profile.name()
            ))
            .dim(),
            status,
        );
        if self.show_help {
            self.render_help(frame);
        }
    }

    fn hints(&self) -> Line<'static> {
        let mut spans = Vec::new();
        let pane = self.keymap.help(Scope::Pane(self.active));
        let global = [
            Action::Help,
            Action::Search,
            Action::Export,
            Action::Palette,
            Action::Quit,
        ];
        let keys =
            pane.into_iter()
                .map(|(k, d)| (k, d.to_string()))
                .chain(global.iter().filter_map(|a| {
                    self.keymap
                        .key_for(self.active, *a)
                        .map(|k| (k.to_string(), a.description().to_string()))
                }));
        for (k, d) in keys {
            spans.push(Span::raw(format!(" {k} ")).reversed());
            spans.push(Span::raw(format!(" {d} ")));
        }
        Line::from(spans)
    }

    fn render_help(&self, frame: &mut Frame) {
        let area = frame.area();
        let entry = |(k, d): (String, &'static str)| Line::from(format!("  {k:<10} {d}"));
        let mut lines = vec![Line::from(format!("{} pane", self.active.title())).bold()];
        let pane = self.keymap.help(Scope::Pane(self.active));
        if pane.is_empty() {
            lines.push(Line::from("  (no keys of its own)").dim());
        }
        lines.extend(pane.into_iter().map(entry));
        lines.push(Line::from(""));
        lines.push(Line::from("While typing").bold());
        lines.extend(self.keymap.help(Scope::Input).into_iter().map(entry));
        let mut global = vec![Line::from("Everywhere").bold()];
        // The pane switches take one line.
        let (panes, rest): (Vec<_>, Vec<_>) = self
            .keymap
            .help(Scope::Global)
            .into_iter()
            .partition(|(_, d)| {
                d.ends_with(" pane") && !d.contains("next") && !d.contains("previous")
            });
        if !panes.is_empty() {
            let keys: Vec<String> = panes.into_iter().map(|(k, _)| k).collect();
            global.push(Line::from(format!(
                "  {:<10} the nine panes",
                keys.join("")
            )));
        }
        global.extend(rest.into_iter().map(entry));
        // Two columns: this pane and text input on the left, global keys on the right.
        let rows = lines.len().max(global.len()) as u16;
        let w = area.width.min(96);
        let h = (rows + 2).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height - h) / 2,
            width: w,
            height: h,
        };
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Keys (any key closes) ");
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(inner);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), left);
        frame.render_widget(Paragraph::new(global).wrap(Wrap { trim: false }), right);
    }
}

/// The screen's rows: title, tabs, the pane, the hint line, the status bar.
fn screen_areas(area: Rect) -> [Rect; 5] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}
