//! Jobs: start a job from a form, watch it live (phase gauges, pages,
//! records, errors, a throughput sparkline, per-site counts, drift alerts, a
//! log tail), pause, resume, cancel, and resume a failed or interrupted job
//! with one key.

use std::collections::{BTreeMap, VecDeque};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Gauge, Paragraph, Row, Sparkline, Table, TableState,
};

use super::{Ctx, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready};
use crate::model::{Delta, JobMode, JobStatus, Phase, PipelineEvent};
use crate::store::JobControl;
use crate::tui::action::Action;
use crate::tui::effect::{JobsData, Loaded, Slot, Work};
use crate::tui::input::TextInput;

/// What the form (or `R`) asks the loop to start.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub mode: JobMode,
    /// Association codes; empty: the same as the newest job (or all configured).
    pub associations: Vec<String>,
    pub force_full: bool,
    pub max_pages: Option<usize>,
    /// Continue this job instead of starting a new one.
    pub resume: Option<i64>,
    /// Mode `domains`: the list file.
    pub domains_file: Option<std::path::PathBuf>,
    /// The ICP profile to score against (mode `prospect`: to prospect for).
    pub profile: Option<String>,
}

const MODES: [JobMode; 9] = [
    JobMode::Full,
    JobMode::Extract,
    JobMode::Validate,
    JobMode::Resolve,
    JobMode::Enrich,
    JobMode::Graph,
    JobMode::Export,
    JobMode::Domains,
    JobMode::Prospect,
];

/// The new-job form. Text fields take typing; on choice fields space
/// (or any letter) changes the value.
#[derive(Debug, Clone)]
pub struct JobForm {
    pub field: usize,
    pub mode: usize,
    pub force_full: bool,
    pub inputs: [TextInput; 6],
}

const FIELDS: [&str; 6] = [
    "Mode",
    "Associations",
    "Force full",
    "Max pages",
    "Domains file",
    "ICP profile",
];

impl JobForm {
    fn new() -> Self {
        let mut f = Self {
            field: 0,
            mode: 0,
            force_full: false,
            inputs: [
                TextInput::new("mode: "),
                TextInput::new("associations (codes, comma-separated; empty: as last time): "),
                TextInput::new("force full re-crawl: "),
                TextInput::new("max pages (empty: no limit): "),
                TextInput::new("domain list file (mode domains): "),
                TextInput::new("ICP profile (mode prospect; else scores against it): "),
            ],
        };
        f.sync();
        f
    }

    fn is_choice(&self) -> bool {
        matches!(self.field, 0 | 2)
    }

    /// Choice fields show their value as the input's text.
    fn sync(&mut self) {
        self.inputs[0].text = MODES[self.mode].to_string();
        self.inputs[2].text = if self.force_full { "yes" } else { "no" }.into();
    }

    fn spec(&self) -> Result<JobSpec, String> {
        let max_pages = match self.inputs[3].text.trim() {
            "" => None,
            n => Some(
                n.parse::<usize>()
                    .map_err(|_| format!("max pages: {n:?} is not a number"))?,
            ),
        };
        let mode = MODES[self.mode];
        let text = |i: usize| {
            let t = self.inputs[i].text.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        let domains_file = text(4).map(std::path::PathBuf::from);
        let profile = text(5);
        if mode == JobMode::Domains && domains_file.is_none() {
            return Err("mode domains reads a list: give its file".into());
        }
        if mode == JobMode::Prospect && profile.is_none() {
            return Err("mode prospect needs an ICP profile name".into());
        }
        Ok(JobSpec {
            domains_file,
            profile,
            mode,
            associations: self.inputs[1]
                .text
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_uppercase)
                .collect(),
            force_full: self.force_full,
            max_pages,
            resume: None,
        })
    }
}

/// What the events of the running job said.
#[derive(Debug, Clone, Default)]
pub struct LiveJob {
    pub job_id: i64,
    pub status: Option<JobStatus>,
    pub phase: Option<Phase>,
    pub progress: BTreeMap<String, (u64, Option<u64>)>,
    pub pages: u64,
    pub deltas: BTreeMap<String, u64>,
    pub errors: u64,
    pub per_site: BTreeMap<String, u64>,
    /// Pages per throttle tick, newest last.
    pub throughput: VecDeque<u64>,
    /// `pages` at the last tick.
    ticked: u64,
    pub drift: Vec<String>,
    pub log: VecDeque<String>,
}

const LOG_LINES: usize = 200;
const SPARK_POINTS: usize = 120;

impl LiveJob {
    fn log(&mut self, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}

#[derive(Default)]
pub struct JobsPane {
    pub data: Option<JobsData>,
    pub selected: usize,
    pub error: Option<String>,
    pub form: Option<JobForm>,
    pub live: Option<LiveJob>,
}

impl JobsPane {
    fn selected_job(&self) -> Option<&crate::store::JobRow> {
        self.data.as_ref().and_then(|d| d.jobs.get(self.selected))
    }

    fn query(&self, fx: &mut Fx) {
        fx.query(
            Slot::Main,
            Work::Jobs {
                selected: self.selected_job().map(|j| j.id),
            },
        );
    }

    fn control(&mut self, action: Action, fx: &mut Fx) {
        let Some(job) = self.selected_job() else {
            fx.status("No job selected.");
            return;
        };
        let (id, status) = (job.id, job.status);
        match (action, status) {
            (Action::Pause, JobStatus::Running) => fx.write(Work::ControlJob {
                job_id: id,
                control: JobControl::Pause,
            }),
            (Action::Cancel, JobStatus::Running | JobStatus::Paused) => {
                fx.write(Work::ControlJob {
                    job_id: id,
                    control: JobControl::Cancel,
                })
            }
            (Action::Resume, JobStatus::Paused) => fx.write(Work::ControlJob {
                job_id: id,
                control: JobControl::Resume,
            }),
            (Action::Resume, s) if s.resumable() => {
                fx.status(format!("resuming job {id}…"));
                fx.write(Work::StartJob(Box::new(JobSpec {
                    mode: job.mode,
                    associations: Vec::new(),
                    force_full: false,
                    max_pages: None,
                    resume: Some(id),
                    domains_file: None,
                    profile: None,
                })));
            }
            (a, s) => fx.status(format!("job {id} is {s}: cannot {}", a.description())),
        }
    }
}

impl Pane for JobsPane {
    fn id(&self) -> PaneId {
        PaneId::Jobs
    }

    fn refresh(&mut self, fx: &mut Fx) {
        self.query(fx);
    }

    fn update(&mut self, action: Action, fx: &mut Fx) {
        if let Some(form) = self.form.as_mut() {
            super::cycle_field(&mut form.field, FIELDS.len(), action);
            return;
        }
        match action {
            Action::NewJob => self.form = Some(JobForm::new()),
            Action::Pause | Action::Resume | Action::Cancel => self.control(action, fx),
            other => {
                let len = self.data.as_ref().map(|d| d.jobs.len()).unwrap_or(0);
                let before = self.selected;
                if move_selection(&mut self.selected, len, other, fx.page_rows)
                    && before != self.selected
                {
                    self.query(fx);
                }
            }
        }
    }

    fn loaded(&mut self, data: Loaded, fx: &mut Fx) {
        match data {
            Loaded::Jobs(d) => {
                self.selected = self.selected.min(d.jobs.len().saturating_sub(1));
                self.data = Some(d);
                self.error = None;
            }
            Loaded::Done(msg) => {
                fx.status(msg);
                self.query(fx);
            }
            _ => {}
        }
    }

    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    fn on_event(&mut self, ev: &PipelineEvent) -> bool {
        if let PipelineEvent::JobStarted { job_id, .. } = ev {
            self.live = Some(LiveJob {
                job_id: *job_id,
                status: Some(JobStatus::Running),
                ..Default::default()
            });
        }
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        if let Some(line) = crate::pipeline::progress::sentence(ev, true) {
            live.log(line);
        }
        match ev {
            PipelineEvent::PhaseStarted { phase, .. } => {
                live.phase = Some(*phase);
                true
            }
            PipelineEvent::Progress {
                phase, done, total, ..
            } => {
                live.progress
                    .insert(phase.as_str().to_string(), (*done, *total));
                // Page events may be coalesced on a busy channel; the
                // crawl's own count is the true one.
                if *phase == Phase::Discovery {
                    live.pages = live.pages.max(*done);
                }
                false
            }
            PipelineEvent::PageFetched { url, delta, .. } => {
                if !live.progress.contains_key(Phase::Discovery.as_str()) {
                    live.pages += 1;
                }
                *live
                    .deltas
                    .entry(delta_name(*delta).to_string())
                    .or_default() += 1;
                let host = url::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| "?".into());
                *live.per_site.entry(host).or_default() += 1;
                false
            }
            PipelineEvent::DeadLetter { .. } => {
                live.errors += 1;
                false
            }
            PipelineEvent::DriftAlert {
                url,
                summary,
                association,
                ..
            } => {
                live.drift.push(format!(
                    "{} {url}: {summary}",
                    association.as_deref().unwrap_or("")
                ));
                true
            }
            PipelineEvent::JobPaused { .. } => {
                live.status = Some(JobStatus::Paused);
                true
            }
            PipelineEvent::JobResumed { .. } => {
                live.status = Some(JobStatus::Running);
                true
            }
            PipelineEvent::JobFinished { status, .. } => {
                live.status = Some(*status);
                true
            }
            PipelineEvent::PhaseFinished { .. } | PipelineEvent::JobStarted { .. } => true,
            _ => false,
        }
    }

    fn tick(&mut self) {
        if let Some(live) = self.live.as_mut()
            && live.status == Some(JobStatus::Running)
        {
            if live.throughput.len() == SPARK_POINTS {
                live.throughput.pop_front();
            }
            live.throughput.push_back(live.pages - live.ticked);
            live.ticked = live.pages;
        }
    }

    fn input(&self) -> Option<&TextInput> {
        self.form.as_ref().map(|f| &f.inputs[f.field])
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        self.form.as_mut().map(|f| &mut f.inputs[f.field])
    }

    fn input_changed(&mut self, _fx: &mut Fx) {
        if let Some(form) = self.form.as_mut()
            && form.is_choice()
        {
            // Any typing on a choice field moves to the next value.
            if form.field == 0 {
                form.mode = (form.mode + 1) % MODES.len();
            } else {
                form.force_full = !form.force_full;
            }
            form.sync();
        }
    }

    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        let Some(form) = self.form.take() else {
            return;
        };
        if !accepted {
            return;
        }
        match form.spec() {
            Ok(spec) => {
                fx.status(format!("starting a {} job…", spec.mode));
                fx.write(Work::StartJob(Box::new(spec)));
            }
            Err(e) => {
                fx.status(format!("Error: {e}"));
                self.form = Some(form);
            }
        }
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        let len = self.data.as_ref().map(|d| d.jobs.len()).unwrap_or(0);
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows) {
            self.selected = r;
            self.query(fx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let [list_area, detail_area] =
            Layout::horizontal([Constraint::Percentage(42), Constraint::Fill(1)]).areas(area);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Jobs ", t.title));
        let Some(data) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load jobs",
                error: self.error.as_ref(),
                data: self.data.as_ref(),
            },
        ) else {
            return;
        };
        if data.jobs.is_empty() {
            frame.render_widget(
                Paragraph::new("No jobs yet. n starts one (crawl, extract, validate, resolve, …).")
                    .block(block),
                list_area,
            );
        } else {
            let rows = data.jobs.iter().map(|j| {
                let style = match j.status {
                    JobStatus::Completed => t.good,
                    JobStatus::Failed | JobStatus::Interrupted => t.bad,
                    JobStatus::Running | JobStatus::Paused => t.warn,
                    _ => t.dim,
                };
                Row::new(vec![
                    Cell::from(j.id.to_string()),
                    Cell::from(j.mode.to_string()),
                    Cell::from(Span::styled(j.status.to_string(), style)),
                    Cell::from(j.phase.map(|p| p.to_string()).unwrap_or_default()),
                    Cell::from(
                        j.created_at
                            .get(..16)
                            .unwrap_or(&j.created_at)
                            .replace('T', " "),
                    ),
                ])
            });
            let table = Table::new(
                rows,
                [
                    Constraint::Length(4),
                    Constraint::Length(8),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Fill(1),
                ],
            )
            .header(Row::new(["#", "Mode", "Status", "Phase", "Started"]).style(t.header))
            .block(block)
            .row_highlight_style(t.selected);
            let mut state = TableState::default().with_selected(Some(self.selected));
            frame.render_stateful_widget(table, list_area, &mut state);
        }
        self.render_detail(frame, detail_area, ctx, data);
        if let Some(form) = &self.form {
            render_form(frame, area, ctx, form);
        }
    }
}

fn delta_name(d: Delta) -> &'static str {
    d.as_str()
}

fn render_form(frame: &mut Frame, area: Rect, ctx: &Ctx, form: &JobForm) {
    let t = ctx.theme;
    let w = area.width.min(70);
    let h = (FIELDS.len() as u16 + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let mut lines = Vec::new();
    for (i, name) in FIELDS.iter().enumerate() {
        let marker = if i == form.field { "▶ " } else { "  " };
        let value = form.inputs[i].text.clone();
        let style = if i == form.field { t.selected } else { t.tab };
        lines.push(Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{name:<13}"), t.title),
            Span::styled(
                if value.is_empty() {
                    "—".into()
                } else {
                    value
                },
                style,
            ),
        ]));
    }
    lines.push(Line::from(Span::styled(
        "tab/↑↓ field · space changes a choice · ⏎ start · esc cancel",
        t.dim,
    )));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" New job ")),
        popup,
    );
}

impl JobsPane {
    fn render_detail(&self, frame: &mut Frame, area: Rect, ctx: &Ctx, data: &JobsData) {
        let t = ctx.theme;
        let Some(job) = self.selected_job() else {
            frame.render_widget(Block::default().borders(Borders::ALL), area);
            return;
        };
        let live = self.live.as_ref().filter(|l| l.job_id == job.id);
        let phase_rows = data.phases.len().min(8) as u16;
        let [phases_area, stats_area, spark_area, log_area] = Layout::vertical([
            Constraint::Length(phase_rows + 2),
            Constraint::Length(5),
            Constraint::Length(3),
            Constraint::Fill(1),
        ])
        .areas(area);
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" Job {} · {} · {} ", job.id, job.kind, job.status),
            t.title,
        ));
        let inner = block.inner(phases_area);
        frame.render_widget(block, phases_area);
        for (i, p) in data.phases.iter().take(8).enumerate() {
            let (done, total) = live
                .and_then(|l| l.progress.get(p.phase.as_str()).copied())
                .map(|(d, t)| (d as i64, t.map(|x| x as i64)))
                .unwrap_or((p.done, p.total));
            let ratio = match (p.status.as_str(), total) {
                ("completed" | "skipped", _) => 1.0,
                (_, Some(tot)) if tot > 0 => (done as f64 / tot as f64).clamp(0.0, 1.0),
                _ => 0.0,
            };
            let label = match total {
                Some(tot) => format!("{:<11} {:<9} {done}/{tot}", p.phase, p.status),
                None => format!("{:<11} {:<9} {done}", p.phase, p.status),
            };
            let row = Rect {
                y: inner.y + i as u16,
                height: 1,
                ..inner
            };
            if row.y < inner.y + inner.height {
                frame.render_widget(
                    Gauge::default()
                        .ratio(ratio)
                        .label(label)
                        .gauge_style(t.good),
                    row,
                );
            }
        }
        let stats = match live {
            Some(l) => {
                let deltas = l
                    .deltas
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(" · ");
                let sites = l
                    .per_site
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(" · ");
                let queued = match l.progress.get(Phase::Discovery.as_str()) {
                    Some((done, Some(total))) => {
                        format!(" · queued {}", total.saturating_sub(*done))
                    }
                    _ => String::new(),
                };
                vec![
                    Line::from(format!(
                        "pages {}{queued} · errors {} · {}",
                        l.pages, l.errors, deltas
                    )),
                    Line::from(Span::styled(sites, t.dim)),
                ]
            }
            None => vec![Line::from(Span::styled(
                job.error
                    .clone()
                    .unwrap_or_else(|| "p pause · R resume · x cancel · n new job".into()),
                if job.error.is_some() { t.bad } else { t.dim },
            ))],
        };
        let mut stats = stats;
        if let Some(g) = &data.gaps {
            let style = if g.lacking_research + g.lacking_contacts + g.lacking_scores > 0 {
                t.warn
            } else {
                t.good
            };
            stats.push(Line::from(Span::styled(g.short(), style)));
        }
        frame.render_widget(
            Paragraph::new(stats).block(Block::default().borders(Borders::ALL).title(" Live ")),
            stats_area,
        );
        let points: Vec<u64> = live
            .map(|l| l.throughput.iter().copied().collect())
            .unwrap_or_default();
        frame.render_widget(
            Sparkline::default()
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Pages per tick "),
                )
                .data(&points),
            spark_area,
        );
        let mut lines: Vec<Line> = Vec::new();
        for a in &data.drift {
            lines.push(Line::from(Span::styled(
                format!(
                    "drift {} {}: {}",
                    a.association_code.as_deref().unwrap_or(""),
                    a.url,
                    a.summary
                ),
                t.warn,
            )));
        }
        if let Some(l) = live {
            for d in &l.drift {
                lines.push(Line::from(Span::styled(format!("drift {d}"), t.warn)));
            }
            let room = usize::from(log_area.height.saturating_sub(2));
            let skip = l.log.len().saturating_sub(room.saturating_sub(lines.len()));
            lines.extend(l.log.iter().skip(skip).map(|s| Line::from(s.clone())));
        }
        if lines.is_empty() {
            lines.push(Line::from(Span::styled(
                "No drift alerts. The log of a job started here shows below.",
                t.dim,
            )));
        }
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Alerts and log "),
            ),
            log_area,
        );
    }
}
