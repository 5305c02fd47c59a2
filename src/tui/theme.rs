//! Styles that read on dark and light terminals: emphasis by bold, reverse
//! and dim rather than fixed foreground colours, plus the few accents (good,
//! warn, bad) in colours that keep contrast on either background.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    pub title: Style,
    pub selected: Style,
    pub header: Style,
    pub dim: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub highlight: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            title: Style::default().add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            header: Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            dim: Style::default().add_modifier(Modifier::DIM),
            good: Style::default().fg(Color::Green),
            warn: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            bad: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            tab: Style::default(),
            tab_active: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            highlight: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }
}

impl Theme {
    /// A grade letter's style.
    pub fn grade(&self, grade: Option<&str>) -> Style {
        match grade {
            Some("A") | Some("B") => self.good,
            Some("C") => Style::default(),
            Some("D") => self.warn,
            Some("F") => self.bad,
            _ => self.dim,
        }
    }
}
