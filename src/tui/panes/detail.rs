//! One company in full: every field with its provenance, the listings it
//! came from, its ICP scores with their reasons, what the analysis found,
//! contacts, events, competitor signals and merge history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Ctx;
use crate::tui::action::Action;
use crate::tui::effect::CompanyDetail;

#[derive(Debug)]
pub struct DetailView {
    pub id: i64,
    pub detail: Option<CompanyDetail>,
    pub error: Option<String>,
    pub scroll: u16,
}

impl DetailView {
    pub fn new(id: i64) -> Self {
        Self {
            id,
            detail: None,
            error: None,
            scroll: 0,
        }
    }

    pub fn show(&mut self, detail: CompanyDetail) {
        self.detail = Some(detail);
        self.error = None;
    }

    pub fn update(&mut self, action: Action, page: usize) {
        let page = u16::try_from(page.max(1)).unwrap_or(u16::MAX);
        match action {
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll = self.scroll.saturating_add(page),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::Top => self.scroll = 0,
            _ => {}
        }
    }

    fn lines(&self, ctx: &Ctx) -> Vec<Line<'static>> {
        let t = ctx.theme;
        if let Some(e) = &self.error {
            return vec![
                Line::from(Span::styled("Could not load this company", t.bad)),
                Line::from(e.clone()),
            ];
        }
        let Some(d) = &self.detail else {
            return vec![Line::from("Loading…")];
        };
        let c = &d.company;
        let mut lines = vec![
            Line::from(vec![
                Span::styled(c.name.clone(), t.title),
                Span::raw(format!(
                    "   grade {} · score {}",
                    c.quality_grade.as_deref().unwrap_or("—"),
                    c.quality_score
                        .map(|s| format!("{s:.0}"))
                        .unwrap_or_else(|| "—".into())
                )),
            ]),
            Line::from(""),
        ];
        let fields: [(&str, &str, Option<String>); 12] = [
            ("Website", "website", c.website.clone()),
            ("Domain", "domain", c.domain.clone()),
            ("Phone", "phone", c.phone.clone()),
            ("Street", "street", c.street.clone()),
            ("City", "city", c.city.clone()),
            ("State", "state", c.state.clone()),
            ("Postal", "postal_code", c.postal_code.clone()),
            ("Country", "country", c.country.clone()),
            (
                "Employees",
                if c.employee_count.is_some() {
                    "employee_count"
                } else {
                    "employee_range"
                },
                c.employee_count
                    .map(|n| n.to_string())
                    .or_else(|| c.employee_range.clone()),
            ),
            (
                "Founded",
                "founded_year",
                c.founded_year.map(|n| n.to_string()),
            ),
            ("Industry", "industry", c.industry.clone()),
            ("Updated", "updated_at", Some(c.updated_at.clone())),
        ];
        for (label, key, value) in fields {
            let mut spans = vec![
                Span::styled(format!("{label:<10} "), t.title),
                Span::raw(value.unwrap_or_else(|| "—".into())),
            ];
            if let Some(p) = c.provenance.get(key) {
                spans.push(Span::styled(
                    format!(
                        "   ← {} · {:.0}% · {}",
                        p.extractor,
                        p.confidence * 100.0,
                        p.source_url
                    ),
                    t.dim,
                ));
            }
            lines.push(Line::from(spans));
        }
        let section = |title: String| Line::from(Span::styled(title, t.header));
        lines.push(Line::from(""));
        lines.push(section(format!("Listings ({})", d.memberships.len())));
        for m in &d.memberships {
            let place = [m.city.as_deref(), m.state.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let ext = m
                .external_id
                .as_deref()
                .map(|e| format!(" [id {e}]"))
                .unwrap_or_default();
            lines.push(Line::from(format!(
                "  {:<6} {}{}{ext}",
                m.association,
                m.name,
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" — {place}")
                }
            )));
            lines.push(Line::from(Span::styled(
                format!(
                    "         {} · {} · {:.0}%",
                    m.source_url,
                    m.extractor,
                    m.confidence * 100.0
                ),
                t.dim,
            )));
        }
        lines.push(Line::from(""));
        lines.extend(icp_lines(d, ctx));
        lines.push(Line::from(""));
        lines.extend(analysis_lines(d, ctx));
        lines.push(Line::from(""));
        lines.push(section(format!("Contacts ({})", d.contacts.len())));
        for k in &d.contacts {
            let bits: Vec<&str> = [k.title.as_deref(), k.email.as_deref(), k.phone.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            lines.push(Line::from(format!(
                "  {} — {}",
                k.full_name,
                bits.join(" · ")
            )));
        }
        lines.push(Line::from(""));
        lines.push(section(format!("Events ({})", d.events.len())));
        for e in &d.events {
            lines.push(Line::from(format!(
                "  {} {} as {}{}",
                e.start_date.as_deref().unwrap_or(""),
                e.event,
                e.role,
                e.detail
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )));
        }
        lines.push(Line::from(""));
        lines.push(section(format!("Signals ({})", d.signals.len())));
        for s in &d.signals {
            lines.push(Line::from(format!(
                "  {} {} — {} ({}, strength {:.0}%) {}",
                s.vendor,
                s.product.as_deref().unwrap_or(""),
                s.signal_type,
                s.evidence_kind,
                s.strength * 100.0,
                s.source_url
            )));
        }
        lines.push(Line::from(""));
        lines.push(section(format!(
            "Relationships ({})",
            d.relationships.len()
        )));
        for r in &d.relationships {
            lines.push(Line::from(format!(
                "  {} {} {} · {:.0}%{}",
                r.relation,
                r.target_type,
                r.target,
                r.weight * 100.0,
                r.evidence
                    .as_deref()
                    .map(|e| format!(" · {e}"))
                    .unwrap_or_default()
            )));
        }
        lines.push(Line::from(""));
        lines.push(section(format!("Merge history ({})", d.decisions.len())));
        for h in &d.decisions {
            let undone = if h.undone_at.is_some() {
                " (undone)"
            } else {
                ""
            };
            lines.push(Line::from(format!(
                "  #{} {} #{} and #{} by {}{} · {}{undone}",
                h.id,
                h.decision,
                h.left_id,
                h.right_id,
                h.decided_by,
                h.score.map(|s| format!(" at {s:.2}")).unwrap_or_default(),
                h.decided_at
            )));
        }
        lines
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let title = format!(" Company #{} · esc back ", self.id);
        let p = Paragraph::new(self.lines(ctx))
            .block(Block::default().borders(Borders::ALL).title(title.bold()))
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0));
        frame.render_widget(p, area);
    }
}

/// Its fit and prospect per ICP profile, each with every reason.
fn icp_lines(d: &CompanyDetail, ctx: &Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!("ICP fit ({})", d.icp.len()),
        t.header,
    ))];
    if d.icp.is_empty() {
        lines.push(Line::from(Span::styled(
            "  not scored yet: s in the Profiles pane (or nam icp score NAME) scores every company",
            t.dim,
        )));
    }
    for s in &d.icp {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", s.profile), t.title),
            Span::raw(format!("   fit {:.0} · prospect {:.0}", s.fit, s.prospect)),
            Span::styled(format!("   scored {}", s.scored_at), t.dim),
        ]));
        for r in &s.reasons {
            let points = format!("{:>9}", format!("{:.1}/{:.0}", r.points, r.max));
            let style = if r.max > 0.0 && r.points >= r.max {
                t.good
            } else if r.max > 0.0 && r.points == 0.0 {
                t.warn
            } else {
                ratatui::style::Style::default()
            };
            lines.push(Line::from(vec![
                Span::raw(format!("    {:<10}", r.factor)),
                Span::styled(points, style),
                Span::raw(format!("  {}", r.detail)),
            ]));
        }
    }
    lines
}

/// What the analysis found and how: rules or a model, and why the rules
/// took over when the model's answer was not used.
fn analysis_lines(d: &CompanyDetail, ctx: &Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let Some(a) = &d.analysis else {
        return vec![
            Line::from(Span::styled("Analysis", t.header)),
            Line::from(Span::styled(
                "  none yet: an enrich job analyses what a company is and sells",
                t.dim,
            )),
        ];
    };
    let mut head = format!("Analysis ({} · {:.0}%", a.method, a.confidence * 100.0);
    if let Some(model) = &a.model {
        head.push_str(&format!(" · model {model}"));
    }
    head.push(')');
    let mut lines = vec![Line::from(Span::styled(head, t.header))];
    if let Some(why) = &a.fallback_reason {
        lines.push(Line::from(Span::styled(
            format!("  the model's answer was not used ({why}); the rules took over"),
            t.warn,
        )));
    }
    let dash = |v: Option<&String>| v.cloned().unwrap_or_else(|| "—".into());
    let list = |v: &[String], sep: &str| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.join(sep)
        }
    };
    let rows = [
        ("Business", dash(a.business_type.as_ref())),
        ("NAICS", dash(a.naics.as_ref())),
        ("Products", list(&a.products, ", ")),
        ("Value", list(&a.value_propositions, "; ")),
        ("Market", dash(a.target_market.as_ref())),
    ];
    for (label, value) in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("  {label:<10}"), t.title),
            Span::raw(value),
        ]));
    }
    lines
}
