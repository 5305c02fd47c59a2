//! Profiles: the ICP profiles in the config directory, how many companies
//! each has scored, the chosen one's business context and its best-ranked
//! companies with the reasons. `n` makes a profile, `e` edits one in a
//! form, `s` scores every company against it; the files are read, written
//! and scored by work items, never here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::{Ctx, Fx, Loading, Pane, PaneId, clicked_row, move_selection, note_failure, ready};
use crate::icp::{IcpProfile, Reason};
use crate::tui::action::Action;
use crate::tui::effect::{Loaded, ProfilesData, SelectedProfile, Slot, Work};
use crate::tui::input::TextInput;

/// The form's fields: label, and the prompt the hint line shows while the
/// field has focus. The first [`LEFT`] are text and lists (left column),
/// the rest numbers (right column).
const FIELDS: [(&str, &str); 20] = [
    ("Description", "description: "),
    ("Product", "product (what you sell): "),
    ("Value prop.", "value proposition: "),
    ("Ideal customer", "ideal customer, in words: "),
    ("Target market", "target market: "),
    ("Industries", "industries (comma-separated words): "),
    ("NAICS", "NAICS prefixes (comma-separated digits): "),
    (
        "Locations",
        "locations (comma-separated: US, OH, state:CA, a city): ",
    ),
    (
        "Tech fit",
        "tech fit (comma-separated vendors or categories): ",
    ),
    ("Competitors", "competitors (comma-separated vendors): "),
    ("Pain points", "pain points (comma-separated): "),
    ("Keywords", "search keywords (comma-separated): "),
    ("Employees min", "fewest employees (empty: no bound): "),
    ("Employees max", "most employees (empty: no bound): "),
    ("Weight industry", "weight of the industry match: "),
    ("Weight size", "weight of the size match: "),
    ("Weight location", "weight of the location match: "),
    ("Weight tech", "weight of the tech-stack fit: "),
    ("Weight competitor", "weight of a competitor present: "),
    ("Weight signals", "weight of competitor signals: "),
];

const LEFT: usize = 12;

/// One field of a profile, as the form edits it.
enum FieldRef<'a> {
    Text(&'a mut String),
    /// Comma-separated in the form.
    List(&'a mut Vec<String>),
    /// A whole number or empty.
    Count(&'a mut Option<u32>),
    Weight(&'a mut f64),
}

/// Field `i` of [`FIELDS`] in `p`.
fn field(p: &mut IcpProfile, i: usize) -> Option<FieldRef<'_>> {
    use FieldRef::{Count, List, Text, Weight};
    Some(match i {
        0 => Text(&mut p.description),
        1 => Text(&mut p.product),
        2 => Text(&mut p.value_proposition),
        3 => Text(&mut p.ideal_customer),
        4 => Text(&mut p.target_market),
        5 => List(&mut p.industries),
        6 => List(&mut p.naics),
        7 => List(&mut p.locations),
        8 => List(&mut p.tech_fit),
        9 => List(&mut p.competitors),
        10 => List(&mut p.pain_points),
        11 => List(&mut p.keywords),
        12 => Count(&mut p.employees_min),
        13 => Count(&mut p.employees_max),
        14 => Weight(&mut p.weights.industry),
        15 => Weight(&mut p.weights.size),
        16 => Weight(&mut p.weights.location),
        17 => Weight(&mut p.weights.tech),
        18 => Weight(&mut p.weights.competitor),
        19 => Weight(&mut p.weights.signals),
        _ => return None,
    })
}

/// The edit form: every field of the profile as a line of text.
#[derive(Debug, Clone)]
pub struct ProfileForm {
    /// The profile as it was read; its name is the file and is not edited.
    pub base: IcpProfile,
    pub field: usize,
    pub inputs: Vec<TextInput>,
}

impl ProfileForm {
    pub fn new(profile: &IcpProfile) -> Self {
        let mut p = profile.clone();
        let inputs = FIELDS
            .iter()
            .enumerate()
            .map(|(i, (_, prompt))| {
                let text = match field(&mut p, i) {
                    Some(FieldRef::Text(t)) => t.clone(),
                    Some(FieldRef::List(l)) => l.join(", "),
                    Some(FieldRef::Count(c)) => c.map(|n| n.to_string()).unwrap_or_default(),
                    Some(FieldRef::Weight(w)) => w.to_string(),
                    None => String::new(),
                };
                TextInput::new(*prompt).with_text(text)
            })
            .collect();
        Self {
            base: profile.clone(),
            field: 0,
            inputs,
        }
    }

    /// The profile the form describes, or what is wrong with a field.
    pub fn profile(&self) -> Result<IcpProfile, String> {
        let mut p = self.base.clone();
        for (i, input) in self.inputs.iter().enumerate() {
            let text = input.text.trim();
            let label = FIELDS.get(i).map_or("", |f| f.0);
            match field(&mut p, i) {
                Some(FieldRef::Text(t)) => *t = text.to_string(),
                Some(FieldRef::List(l)) => {
                    *l = text
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                Some(FieldRef::Count(c)) => {
                    *c = match text {
                        "" => None,
                        n => Some(n.parse::<u32>().map_err(|_| {
                            format!("{label}: {n:?} is not a whole number (or leave it empty)")
                        })?),
                    };
                }
                Some(FieldRef::Weight(w)) => {
                    *w = text
                        .parse::<f64>()
                        .ok()
                        .filter(|w| w.is_finite() && *w >= 0.0)
                        .ok_or_else(|| format!("{label}: {text:?} is not a number of 0 or more"))?;
                }
                None => {}
            }
        }
        Ok(p)
    }
}

#[derive(Default)]
pub struct ProfilesPane {
    pub data: Option<ProfilesData>,
    pub selected: usize,
    pub error: Option<String>,
    pub form: Option<ProfileForm>,
    /// The name line `n` opens.
    pub naming: Option<TextInput>,
    /// The profile to select when the list next loads (one just written).
    want: Option<String>,
}

impl ProfilesPane {
    fn chosen(&self) -> Option<&SelectedProfile> {
        self.data.as_ref().and_then(|d| d.selected.as_ref())
    }

    fn query(&self, fx: &mut Fx) {
        let selected = self.want.clone().or_else(|| {
            self.data
                .as_ref()
                .and_then(|d| d.profiles.get(self.selected))
                .map(|(n, _)| n.clone())
        });
        fx.query(Slot::Main, Work::Profiles { selected });
    }

    fn edit(&mut self, fx: &mut Fx) {
        match self.chosen().map(|s| (&s.name, &s.profile)) {
            Some((_, Ok(p))) => self.form = Some(ProfileForm::new(p)),
            Some((name, Err(e))) => fx.status(format!(
                "Error: profile {name} does not read ({e}); fix its file by hand"
            )),
            None => fx.status("No profile to edit: n makes one."),
        }
    }

    fn score(&mut self, fx: &mut Fx) {
        let Some(name) = self.chosen().map(|s| s.name.clone()) else {
            fx.status("No profile to score with: n makes one.");
            return;
        };
        fx.status(format!("scoring every company against {name}…"));
        fx.write(Work::ScoreProfile(name));
    }

    fn open_best(&mut self, fx: &mut Fx) {
        match self.chosen() {
            Some(s) => match s.top.first() {
                Some(best) => fx.open_company = Some(best.company_id),
                None => fx.status(format!(
                    "No company is scored against {} yet: s scores them.",
                    s.name
                )),
            },
            None => fx.status("No profile yet: n makes one."),
        }
    }

    /// The name typed after `n`: refused here when it cannot be a file
    /// name or is taken, else written by a work item.
    fn create(&mut self, input: TextInput, fx: &mut Fx) {
        let name = input.text.trim().to_string();
        if let Err(e) = crate::icp::profile::validate_name(&name) {
            fx.status(format!("Error: {e}"));
            self.naming = Some(input);
            return;
        }
        let taken = self
            .data
            .as_ref()
            .is_some_and(|d| d.profiles.iter().any(|(n, _)| *n == name));
        if taken {
            fx.status(format!(
                "Error: profile {name} exists; pick another name or e to edit it"
            ));
            self.naming = Some(input);
            return;
        }
        fx.status(format!("writing profile {name}…"));
        fx.write(Work::NewProfile(name));
    }
}

impl Pane for ProfilesPane {
    fn id(&self) -> PaneId {
        PaneId::Profiles
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
            Action::NewProfile => {
                self.naming = Some(TextInput::new(
                    "new profile name (letters, digits, - and _): ",
                ));
            }
            Action::EditProfile => self.edit(fx),
            Action::ScoreProfile => self.score(fx),
            Action::Open => self.open_best(fx),
            other => {
                let len = self.data.as_ref().map_or(0, |d| d.profiles.len());
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
            Loaded::Profiles(d) => {
                let at = self
                    .want
                    .take()
                    .or_else(|| d.selected.as_ref().map(|s| s.name.clone()))
                    .and_then(|w| d.profiles.iter().position(|(n, _)| *n == w));
                self.selected = at.unwrap_or(0);
                self.data = Some(*d);
                self.error = None;
            }
            Loaded::ProfileSaved { name, message } => {
                fx.status(message);
                self.form = None;
                self.want = Some(name);
                self.query(fx);
            }
            Loaded::Done(message) => {
                fx.status(message);
                self.query(fx);
            }
            _ => {}
        }
    }

    /// A failed save leaves the form open with its text, to fix and retry.
    fn failed(&mut self, slot: Slot, error: String, fx: &mut Fx) {
        note_failure(&mut self.error, slot, error, fx);
    }

    /// A finished job may have scored companies (a prospect job does).
    fn on_event(&mut self, ev: &crate::model::PipelineEvent) -> bool {
        matches!(ev, crate::model::PipelineEvent::JobFinished { .. })
    }

    fn input(&self) -> Option<&TextInput> {
        self.naming
            .as_ref()
            .or_else(|| self.form.as_ref().and_then(|f| f.inputs.get(f.field)))
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        if self.naming.is_some() {
            return self.naming.as_mut();
        }
        self.form.as_mut().and_then(|f| f.inputs.get_mut(f.field))
    }

    fn input_finished(&mut self, accepted: bool, fx: &mut Fx) {
        if let Some(input) = self.naming.take() {
            if accepted {
                self.create(input, fx);
            }
            return;
        }
        if !accepted {
            if self.form.take().is_some() {
                fx.status("edit cancelled; the file is unchanged");
            }
            return;
        }
        let Some(form) = self.form.as_ref() else {
            return;
        };
        match form.profile() {
            // The form stays open until the file is written.
            Ok(p) => {
                fx.status(format!("saving profile {}…", p.name));
                fx.write(Work::SaveProfile(Box::new(p)));
            }
            Err(e) => fx.status(format!("Error: {e}")),
        }
    }

    fn click(&mut self, row: u16, fx: &mut Fx) {
        if self.form.is_some() {
            return;
        }
        let len = self.data.as_ref().map_or(0, |d| d.profiles.len());
        if let Some(r) = clicked_row(self.selected, len, row, fx.page_rows)
            && r != self.selected
        {
            self.selected = r;
            self.query(fx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let count = self
            .data
            .as_ref()
            .map_or_else(|| "…".into(), |d| d.profiles.len().to_string());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" ICP profiles ({count}) "), t.title));
        let Some(data) = ready(
            frame,
            area,
            ctx,
            Loading {
                block: &block,
                failed: "Could not load ICP profiles",
                error: self.error.as_ref(),
                data: self.data.as_ref(),
            },
        ) else {
            return;
        };
        if data.profiles.is_empty() {
            let lines = vec![
                Line::from("No ICP profiles yet."),
                Line::from(""),
                Line::from(
                    "n here makes one (or `nam icp new NAME` in a shell); e edits it, s scores every company against it.",
                ),
                Line::from(Span::styled(
                    format!("Profiles are TOML files in {}", data.dir.display()),
                    t.dim,
                )),
            ];
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
        } else {
            let [list_area, right] =
                Layout::horizontal([Constraint::Length(26), Constraint::Fill(1)]).areas(area);
            let table = Table::new(
                data.profiles.iter().map(|(name, scored)| {
                    Row::new(vec![
                        Cell::from(name.clone()),
                        Cell::from(Span::styled(
                            scored.to_string(),
                            if *scored > 0 { t.good } else { t.dim },
                        )),
                    ])
                }),
                [Constraint::Fill(1), Constraint::Length(6)],
            )
            .header(Row::new(["Profile", "Scored"]).style(t.header))
            .block(block)
            .row_highlight_style(t.selected);
            let mut state = TableState::default().with_selected(Some(self.selected));
            frame.render_stateful_widget(table, list_area, &mut state);
            if let Some(s) = &data.selected {
                let scored = data
                    .profiles
                    .iter()
                    .find(|(n, _)| *n == s.name)
                    .map_or(0, |(_, c)| *c);
                render_selected(frame, right, ctx, s, scored);
            }
        }
        if let Some(form) = &self.form {
            render_form(frame, area, ctx, form);
        }
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

fn list(items: &[String]) -> String {
    or_dash(&items.join(", "))
}

/// The profile's business context, one line per field.
fn profile_lines(p: &IcpProfile, ctx: &Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let size = match (p.employees_min, p.employees_max) {
        (None, None) => "any size".to_string(),
        (Some(lo), None) => format!("{lo} or more employees"),
        (None, Some(hi)) => format!("up to {hi} employees"),
        (Some(lo), Some(hi)) => format!("{lo}–{hi} employees"),
    };
    let weights = |w: &[(&str, f64)]| {
        w.iter()
            .map(|(f, w)| format!("{f} {w}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let all = p.weights();
    let (first, second) = all.split_at(3);
    let rows: [(&str, String); 10] = [
        ("Description", or_dash(&p.description)),
        (
            "Product",
            match p.value_proposition.trim() {
                "" => or_dash(&p.product),
                v => format!("{} — {v}", or_dash(&p.product)),
            },
        ),
        ("Ideal", or_dash(&p.ideal_customer)),
        ("Market", or_dash(&p.target_market)),
        (
            "Industries",
            format!("{} · NAICS {}", list(&p.industries), list(&p.naics)),
        ),
        ("Size", format!("{size} · in {}", list(&p.locations))),
        (
            "Tech fit",
            format!(
                "{} · competitors {}",
                list(&p.tech_fit),
                list(&p.competitors)
            ),
        ),
        (
            "Pain points",
            format!("{} · keywords {}", list(&p.pain_points), list(&p.keywords)),
        ),
        ("Weights", weights(first)),
        ("", weights(second)),
    ];
    rows.into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<12}"), t.title),
                Span::raw(value),
            ])
        })
        .collect()
}

/// The factors that earned most, in short: `industry 25/25 · size 20/20`.
pub fn top_reasons(reasons: &[Reason], n: usize) -> String {
    let mut earned: Vec<&Reason> = reasons
        .iter()
        .filter(|r| r.factor != "reach" && r.max > 0.0 && r.points > 0.0)
        .collect();
    earned.sort_by(|a, b| b.points.total_cmp(&a.points));
    earned
        .iter()
        .take(n)
        .map(|r| format!("{} {:.0}/{:.0}", r.factor, r.points, r.max))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render_selected(frame: &mut Frame, area: Rect, ctx: &Ctx, s: &SelectedProfile, scored: i64) {
    let t = ctx.theme;
    let title = Span::styled(format!(" Profile {} ", s.name), t.title);
    let p = match &s.profile {
        Ok(p) => p,
        Err(e) => {
            let lines = vec![
                Line::from(Span::styled("This profile's file does not read:", t.bad)),
                Line::from(e.clone()),
                Line::from(Span::styled("Fix it in an editor, then r reloads.", t.dim)),
            ];
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::default().borders(Borders::ALL).title(title)),
                area,
            );
            return;
        }
    };
    let lines = profile_lines(p, ctx);
    let [fields_area, top_area] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 2),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        fields_area,
    );
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" Best prospects ({scored} scored) · ⏎ opens the first "),
        t.title,
    ));
    if s.top.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "No company is scored against this profile yet: s scores them all.",
                t.dim,
            ))
            .block(block),
            top_area,
        );
        return;
    }
    let table = Table::new(
        s.top.iter().map(|c| {
            Row::new(vec![
                Cell::from(c.company_name.clone()),
                Cell::from(format!("{:>3.0}", c.fit)),
                Cell::from(format!("{:>3.0}", c.prospect)),
                Cell::from(Span::styled(top_reasons(&c.reasons, 3), t.dim)),
            ])
        }),
        [
            Constraint::Percentage(34),
            Constraint::Length(3),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["Company", "Fit", "Prospect", "Why"]).style(t.header))
    .block(block);
    frame.render_widget(table, top_area);
}

fn render_form(frame: &mut Frame, area: Rect, ctx: &Ctx, form: &ProfileForm) {
    let t = ctx.theme;
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(
            " Edit profile {} · tab/↑↓ field · ⏎ save · esc cancel ",
            form.base.name
        ),
        t.title,
    ));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(64), Constraint::Fill(1)]).areas(inner);
    let line = |i: usize, width: usize| {
        let (label, _) = FIELDS[i];
        let focused = i == form.field;
        let value = &form.inputs[i].text;
        Line::from(vec![
            Span::raw(if focused { "▶ " } else { "  " }),
            Span::styled(format!("{label:<width$}"), t.title),
            Span::styled(
                if value.is_empty() {
                    "—".to_string()
                } else {
                    value.clone()
                },
                if focused { t.selected } else { t.tab },
            ),
        ])
    };
    let mut lines: Vec<Line> = (0..LEFT).map(|i| line(i, 15)).collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Lists are comma-separated.",
        t.dim,
    )));
    frame.render_widget(Paragraph::new(lines), left);
    let numbers: Vec<Line> = (LEFT..FIELDS.len()).map(|i| line(i, 18)).collect();
    frame.render_widget(Paragraph::new(numbers), right);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_a_profile_and_checks_numbers() {
        let p = IcpProfile::parse(&IcpProfile::template("gears")).unwrap();
        let form = ProfileForm::new(&p);
        assert_eq!(form.inputs.len(), FIELDS.len());
        assert_eq!(form.profile().unwrap(), p);
        let mut f = form.clone();
        f.inputs[5].text = " gears ,, machining,".into();
        f.inputs[12].text = String::new();
        f.inputs[19].text = "2.5".into();
        let q = f.profile().unwrap();
        assert_eq!(q.industries, ["gears", "machining"]);
        assert_eq!(q.employees_min, None);
        assert_eq!(q.weights.signals, 2.5);
        f.inputs[13].text = "lots".into();
        assert!(f.profile().unwrap_err().contains("Employees max"));
        f.inputs[13].text = "10".into();
        f.inputs[14].text = "-1".into();
        assert!(f.profile().unwrap_err().contains("Weight industry"));
    }

    #[test]
    fn top_reasons_name_the_factors_that_earned_most() {
        let r = |factor: &str, points, max| Reason {
            factor: factor.into(),
            points,
            max,
            detail: String::new(),
        };
        let reasons = [
            r("industry", 10.0, 25.0),
            r("size", 0.0, 20.0),
            r("location", 15.0, 15.0),
            r("tech", 0.0, 0.0),
            r("competitor", 20.0, 20.0),
            r("reach", 40.0, 100.0),
        ];
        assert_eq!(
            top_reasons(&reasons, 2),
            "competitor 20/20 · location 15/15"
        );
    }
}
