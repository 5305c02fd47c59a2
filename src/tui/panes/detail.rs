//! One company in full: fields with provenance, and every listing it came from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Ctx;
use crate::model::{Company, MemberRecord};
use crate::tui::action::Action;

#[derive(Debug, Default)]
pub struct DetailPane {
    pub company: Option<Company>,
    pub memberships: Vec<MemberRecord>,
    pub scroll: u16,
}

impl DetailPane {
    pub fn show(&mut self, company: Option<Company>, memberships: Vec<MemberRecord>) {
        self.company = company;
        self.memberships = memberships;
        self.scroll = 0;
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

    fn lines(&self) -> Vec<Line<'static>> {
        let Some(c) = &self.company else {
            return vec![Line::from("Loading…")];
        };
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let mut lines = vec![
            Line::from(Span::styled(c.name.clone(), bold)),
            Line::from(""),
        ];
        let address = [
            c.street.clone(),
            c.city.clone(),
            match (&c.state, &c.postal_code) {
                (Some(s), Some(z)) => Some(format!("{s} {z}")),
                (s, z) => s.clone().or_else(|| z.clone()),
            },
            c.country.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let fields: [(&str, &str, Option<String>); 6] = [
            ("Website", "website", c.website.clone()),
            ("Domain", "domain", c.domain.clone()),
            ("Phone", "phone", c.phone.clone()),
            ("Address", "city", (!address.is_empty()).then_some(address)),
            (
                "Employees",
                "employee_count",
                c.employee_count.map(|n| n.to_string()),
            ),
            (
                "Founded",
                "founded_year",
                c.founded_year.map(|n| n.to_string()),
            ),
        ];
        for (label, key, value) in fields {
            let value = value.unwrap_or_else(|| "—".into());
            let mut spans = vec![
                Span::styled(format!("{label:<10} "), bold),
                Span::raw(value),
            ];
            if let Some(p) = c.provenance.get(key) {
                spans.push(
                    Span::raw(format!(
                        "   ({} · {:.0}% · {})",
                        p.extractor,
                        p.confidence * 100.0,
                        p.source_url
                    ))
                    .dim(),
                );
            }
            lines.push(Line::from(spans));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("Listed by {} association record(s)", self.memberships.len()),
            bold,
        )));
        for m in &self.memberships {
            let place = [m.city.as_deref(), m.state.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(Line::from(format!(
                "  {:<6} {}{}",
                m.association,
                m.name,
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" — {place}")
                }
            )));
            lines.push(Line::from(
                Span::raw(format!(
                    "         {} · {} · {:.0}%",
                    m.source_url,
                    m.extractor,
                    m.confidence * 100.0
                ))
                .dim(),
            ));
        }
        lines
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, _ctx: &Ctx) {
        let title = self
            .company
            .as_ref()
            .map(|c| format!(" Company #{} ", c.id))
            .unwrap_or_else(|| " Company ".into());
        let p = Paragraph::new(self.lines())
            .block(Block::default().borders(Borders::ALL).title(title))
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0));
        frame.render_widget(p, area);
    }
}
