//! Companies: a keyset-paged table over every company (never all rows in
//! memory), sorting, filters, search-as-you-type through the tantivy index,
//! and the detail view of one company.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::detail::DetailView;
use super::{Ctx, ExportView, Fx, Pane, PaneId, clicked_row, move_selection};
use crate::store::{BrowseFilter, CompanyListRow, CompanySort, SortOrder};
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, PageAt, SEARCH_LIMIT, Slot, Work};
use crate::tui::input::TextInput;

/// Rows per page fetched from the store.
pub const PAGE: usize = 200;
/// Rows kept in memory at most; older pages are dropped as the user scrolls.
pub const WINDOW: usize = 3 * PAGE;

/// What the table shows: search text, filters and order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyQuery {
    pub search: String,
    pub filter: BrowseFilter,
    pub order: SortOrder,
}

impl CompanyQuery {
    /// What a count depends on (not the order).
    pub fn count_key(&self) -> String {
        format!("{:?}|{:?}", self.search, self.filter)
    }

    /// One line for titles and the export log.
    pub fn describe(&self) -> String {
        let f = &self.filter;
        let mut parts = Vec::new();
        if !self.search.is_empty() {
            parts.push(format!("matching \"{}\"", self.search));
        }
        for (name, v) in [
            ("assoc", &f.association),
            ("grade", &f.grade),
            ("state", &f.state),
            ("tech", &f.technology),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name}={v}"));
            }
        }
        match f.has_contacts {
            Some(true) => parts.push("with contacts".into()),
            Some(false) => parts.push("without contacts".into()),
            None => {}
        }
        parts.join(" · ")
    }
}

/// The filter a prompt is editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Search,
    Association,
    Grade,
    State,
    Technology,
}

#[derive(Default)]
pub struct CompaniesPane {
    pub query: CompanyQuery,
    pub rows: Vec<CompanyListRow>,
    pub selected: usize,
    /// The window starts at the first row of the whole list.
    pub at_start: bool,
    /// The window ends at the last row of the whole list.
    pub at_end: bool,
    pub count: Option<i64>,
    pub loaded: bool,
    /// A page fetch is on its way (do not ask twice).
    fetching: bool,
    pub error: Option<String>,
    prompt: Option<(Prompt, TextInput)>,
    /// The search text before `/`, restored by esc.
    search_before: String,
    pub detail: Option<DetailView>,
    /// The last search ran while the index was still being built.
    pub partial_search: bool,
    /// Counts per search and filter, so going back to a view does not count
    /// a million rows again (cleared on refresh).
    counts: std::collections::HashMap<String, i64>,
}

impl CompaniesPane {
    pub fn selected_row(&self) -> Option<&CompanyListRow> {
        self.rows.get(self.selected)
    }

    fn count_key(&self) -> String {
        self.query.count_key()
    }

    fn reload(&mut self, fx: &mut Fx) {
        self.fetching = true;
        self.count = self.counts.get(&self.count_key()).copied();
        fx.query(
            Slot::Main,
            Work::Companies {
                query: self.query.clone(),
                page: PageAt::First,
                limit: PAGE,
            },
        );
        if self.count.is_none() {
            fx.query(Slot::Count, Work::CompanyCount(self.query.clone()));
        }
    }

    fn fetch(&mut self, page: PageAt, fx: &mut Fx) {
        if self.fetching {
            return;
        }
        self.fetching = true;
        fx.query(
            Slot::Main,
            Work::Companies {
                query: self.query.clone(),
                page,
                limit: PAGE,
            },
        );
    }

    /// Keeps the window bounded after a page came in at one end.
    fn trim(&mut self, appended: bool) {
        if self.rows.len() <= WINDOW {
            return;
        }
        let extra = self.rows.len() - WINDOW;
        if appended {
            self.rows.drain(..extra);
            self.selected = self.selected.saturating_sub(extra);
            self.at_start = false;
        } else {
            self.rows.truncate(WINDOW);
            self.selected = self.selected.min(WINDOW - 1);
            self.at_end = false;
        }
    }

    fn on_move(&mut self, action: Action, fx: &mut Fx) {
        let page = fx.page_rows;
        match action {
            Action::Top if !self.at_start => return self.fetch(PageAt::First, fx),
            Action::Bottom if !self.at_end => return self.fetch(PageAt::Last, fx),
            Action::Up | Action::PageUp if self.selected == 0 && !self.at_start => {
                if let Some(first) = self.rows.first() {
                    let key = first.key(self.query.order.by);
                    return self.fetch(PageAt::Before(key), fx);
                }
            }
            _ => {}
        }
        move_selection(&mut self.selected, self.rows.len(), action, page);
        // Near the end of the window: fetch the next page ahead of the cursor.
        if !self.at_end
            && self.selected + page >= self.rows.len()
            && let Some(last) = self.rows.last()
        {
            let key = last.key(self.query.order.by);
            self.fetch(PageAt::After(key), fx);
        }
    }

    fn open_prompt(&mut self, prompt: Prompt) {
        let f = &self.query.filter;
        let (label, current) = match prompt {
            Prompt::Search => {
                self.search_before = self.query.search.clone();
                ("/", Some(self.query.search.clone()))
            }
            Prompt::Association => ("association code: ", f.association.clone()),
            Prompt::Grade => ("grade (A–F): ", f.grade.clone()),
            Prompt::State => ("state: ", f.state.clone()),
            Prompt::Technology => ("technology (vendor or product): ", f.technology.clone()),
        };
        self.prompt = Some((
            prompt,
            TextInput::new(label).with_text(current.unwrap_or_default()),
        ));
    }

    fn title(&self) -> String {
        let count = match self.count {
            // A search lists its best SEARCH_LIMIT matches; there may be more.
            Some(n) if !self.query.search.trim().is_empty() && n as usize >= SEARCH_LIMIT => {
                format!("best {n}")
            }
            Some(n) => n.to_string(),
            None => "…".into(),
        };
        let by = match self.query.order.by {
            CompanySort::Name => "name",
            CompanySort::Grade => "grade",
            CompanySort::State => "state",
            CompanySort::Updated => "updated",
        };
        let arrow = if self.query.order.descending {
            "↓"
        } else {
            "↑"
        };
        let desc = self.query.describe();
        let filters = if desc.is_empty() {
            String::new()
        } else {
            format!(" · {desc}")
        };
        let partial = if self.partial_search {
            " · search index still building, r retries"
        } else {
            ""
        };
        format!(" Companies ({count}) · by {by} {arrow}{filters}{partial} ")
    }
}

fn next_sort(s: CompanySort) -> CompanySort {
    match s {
        CompanySort::Name => CompanySort::Grade,
        CompanySort::Grade => CompanySort::State,
        CompanySort::State => CompanySort::Updated,
        CompanySort::Updated => CompanySort::Name,
    }
}

fn none_if_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Pane for CompaniesPane {
    fn id(&self) -> PaneId {
        PaneId::Companies
    }

    fn refresh(&mut self, fx: &mut Fx) {
        self.fetching = false;
        self.counts.clear();
        self.reload(fx);
        if let Some(d) = &self.detail {
            fx.query(Slot::Detail, Work::CompanyDetail(d.id));
        }
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        if let Some(detail) = self.detail.as_mut() {
            if action == Action::Back {
                self.detail = None;
            } else {
                detail.update(action, fx.page_rows);
            }
            return;
        }
        match action {
            Action::Open => {
                if let Some(row) = self.selected_row() {
                    let id = row.id;
                    self.open_company(id, fx);
                }
            }
            Action::Search => self.open_prompt(Prompt::Search),
            Action::FilterAssociation => self.open_prompt(Prompt::Association),
            Action::FilterGrade => self.open_prompt(Prompt::Grade),
            Action::FilterState => self.open_prompt(Prompt::State),
            Action::FilterTechnology => self.open_prompt(Prompt::Technology),
            Action::ToggleHasContacts => {
                self.query.filter.has_contacts = match self.query.filter.has_contacts {
                    None => Some(true),
                    Some(true) => Some(false),
                    Some(false) => None,
                };
                self.reload(fx);
            }
            Action::Sort => {
                self.query.order.by = next_sort(self.query.order.by);
                self.reload(fx);
            }
            Action::ReverseSort => {
                self.query.order.descending = !self.query.order.descending;
                self.reload(fx);
            }
            Action::ClearFilters | Action::Back => {
                if self.query != CompanyQuery::default() {
                    self.query = CompanyQuery {
                        order: self.query.order,
                        ..Default::default()
                    };
                    self.reload(fx);
                }
            }
            other => self.on_move(other, fx),
        }
    }

    fn loaded(&mut self, data: Loaded, _fx: &mut Fx) {
        match data {
            Loaded::Companies(page) => {
                self.fetching = false;
                self.loaded = true;
                self.error = None;
                self.partial_search = page.partial_search;
                let n = page.rows.len();
                match page.page {
                    PageAt::First => {
                        let keep = self.selected_row().map(|r| r.id);
                        self.rows = page.rows;
                        self.at_start = true;
                        self.at_end = !page.full;
                        self.selected = keep
                            .and_then(|id| self.rows.iter().position(|r| r.id == id))
                            .unwrap_or(0);
                    }
                    PageAt::Last => {
                        self.rows = page.rows;
                        self.at_end = true;
                        self.at_start = !page.full;
                        self.selected = n.saturating_sub(1);
                    }
                    PageAt::After(_) => {
                        self.rows.extend(page.rows);
                        self.at_end = !page.full;
                        self.trim(true);
                    }
                    PageAt::Before(_) => {
                        let mut rows = page.rows;
                        rows.append(&mut self.rows);
                        self.rows = rows;
                        self.selected += n;
                        // The cursor was on the first row and moved up one.
                        self.selected = self.selected.saturating_sub(1);
                        self.at_start = !page.full;
                        self.trim(false);
                    }
                }
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Loaded::Count { key, count } => {
                // An answer for another view is kept for later, not shown.
                if key == self.count_key() {
                    self.count = Some(count);
                }
                self.counts.insert(key, count);
            }
            Loaded::Detail(d) => {
                if let Some(view) = self.detail.as_mut() {
                    view.show(*d);
                }
            }
            _ => {}
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        self.fetching = false;
        match (slot, self.detail.as_mut()) {
            (Slot::Detail, Some(view)) => view.error = Some(error),
            _ => {
                self.loaded = true;
                self.error = Some(error.clone());
                fx.status(format!("Error: {error}"));
            }
        }
    }

    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        use crate::model::PipelineEvent as E;
        matches!(ev, E::PhaseFinished { .. } | E::JobFinished { .. })
    }

    fn input(&self) -> Option<&TextInput> {
        self.prompt.as_ref().map(|(_, i)| i)
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        self.prompt.as_mut().map(|(_, i)| i)
    }

    fn input_changed(&mut self, fx: &mut Fx) {
        // Search follows the typing; other filters apply on enter.
        if let Some((Prompt::Search, input)) = &self.prompt {
            self.query.search = input.text.clone();
            self.fetching = false;
            self.reload(fx);
        }
    }

    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        let Some((prompt, input)) = self.prompt.take() else {
            return;
        };
        let f = &mut self.query.filter;
        match (prompt, accepted) {
            (Prompt::Search, true) => return,
            (Prompt::Search, false) => {
                if self.query.search == self.search_before {
                    return;
                }
                self.query.search = std::mem::take(&mut self.search_before);
            }
            (_, false) => return,
            (Prompt::Association, true) => {
                f.association = none_if_empty(&input.text).map(|s| s.to_ascii_uppercase())
            }
            (Prompt::Grade, true) => {
                f.grade = none_if_empty(&input.text).map(|s| s.to_ascii_uppercase())
            }
            (Prompt::State, true) => {
                f.state = none_if_empty(&input.text).map(|s| s.to_ascii_uppercase())
            }
            (Prompt::Technology, true) => f.technology = none_if_empty(&input.text),
        }
        self.fetching = false;
        self.reload(fx);
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        if self.detail.is_some() {
            return;
        }
        // A click on the selected row opens it.
        match clicked_row(self.selected, self.rows.len(), row, fx.page_rows) {
            Some(r) if r == self.selected => self.update(Action::Open, fx),
            Some(r) => self.selected = r,
            None => {}
        }
    }

    fn open_company(&mut self, id: i64, fx: &mut Fx) {
        self.detail = Some(DetailView::new(id));
        fx.query(Slot::Detail, Work::CompanyDetail(id));
    }

    fn export_view(&self) -> Option<ExportView> {
        Some(ExportView::Companies(self.query.clone()))
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        if let Some(d) = &self.detail {
            return d.render(frame, area, ctx);
        }
        let t = ctx.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(self.title(), t.title));
        if let Some(e) = &self.error {
            let p = Paragraph::new(vec![
                Line::from(Span::styled("Could not load companies", t.bad)),
                Line::from(e.clone()),
                Line::from("r retries.").style(t.dim),
            ]);
            frame.render_widget(p.block(block), area);
            return;
        }
        if !self.loaded {
            frame.render_widget(Paragraph::new("Loading…").block(block), area);
            return;
        }
        if self.rows.is_empty() {
            let msg = if self.query == CompanyQuery::default()
                || self.query
                    == (CompanyQuery {
                        order: self.query.order,
                        ..Default::default()
                    }) {
                "No companies yet. Start a job in the Jobs pane (1, then n), or run `nam demo` or `nam import FILE.csv`."
            } else {
                "No company matches. x clears the filters."
            };
            frame.render_widget(Paragraph::new(msg).block(block), area);
            return;
        }
        let header =
            Row::new(["Name", "Domain", "City", "St", "Gr", "Associations"]).style(t.header);
        let rows = self.rows.iter().map(|c| {
            Row::new(vec![
                Cell::from(c.name.clone()),
                Cell::from(c.domain.clone().unwrap_or_default()),
                Cell::from(c.city.clone().unwrap_or_default()),
                Cell::from(c.state.clone().unwrap_or_default()),
                Cell::from(Span::styled(
                    c.quality_grade.clone().unwrap_or_else(|| "·".into()),
                    t.grade(c.quality_grade.as_deref()),
                )),
                Cell::from(c.associations.join(" ")),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Percentage(32),
                Constraint::Percentage(22),
                Constraint::Percentage(16),
                Constraint::Length(3),
                Constraint::Length(3),
                Constraint::Fill(1),
            ],
        )
        .header(header)
        .block(block)
        .row_highlight_style(t.selected)
        .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }
}
