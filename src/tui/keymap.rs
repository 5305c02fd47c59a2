//! Keys -> actions, per mode. The help bar is generated from this table, so
//! hints never drift from the bindings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Which key table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    List,
    Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub action: Action,
    /// Shown in the help bar (the first binding of an action is shown).
    pub label: &'static str,
}

const fn key(code: KeyCode, action: Action, label: &'static str) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
        action,
        label,
    }
}

#[derive(Debug, Clone)]
pub struct KeyMap {
    pub list: Vec<Binding>,
    pub detail: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        use KeyCode::*;
        let common = [
            key(Char('q'), Action::Quit, "q"),
            key(Char('?'), Action::Help, "?"),
            key(Char('r'), Action::Refresh, "r"),
            key(Char('e'), Action::Export, "e"),
            Binding {
                code: Char('c'),
                modifiers: KeyModifiers::CONTROL,
                action: Action::Quit,
                label: "^c",
            },
        ];
        let moves = [
            key(Char('j'), Action::Down, "j/↓"),
            key(Down, Action::Down, "↓"),
            key(Char('k'), Action::Up, "k/↑"),
            key(Up, Action::Up, "↑"),
            key(PageDown, Action::PageDown, "PgDn"),
            key(PageUp, Action::PageUp, "PgUp"),
            key(Char('g'), Action::Top, "g"),
            key(Home, Action::Top, "Home"),
            key(Char('G'), Action::Bottom, "G"),
            key(End, Action::Bottom, "End"),
        ];
        let mut list = vec![
            key(Enter, Action::Open, "⏎"),
            key(Char('/'), Action::Filter, "/"),
            key(Esc, Action::Back, "esc"),
        ];
        list.extend(moves);
        list.extend(common);
        let mut detail = vec![
            key(Esc, Action::Back, "esc"),
            key(Backspace, Action::Back, "⌫"),
        ];
        detail.extend(moves);
        detail.extend(common);
        Self { list, detail }
    }
}

impl KeyMap {
    fn table(&self, mode: Mode) -> &[Binding] {
        match mode {
            Mode::List => &self.list,
            Mode::Detail => &self.detail,
        }
    }

    pub fn action_for(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        // Shift is implied by upper-case characters; ignore it for Char keys.
        let mods = if matches!(ev.code, KeyCode::Char(_)) {
            ev.modifiers - KeyModifiers::SHIFT
        } else {
            ev.modifiers
        };
        self.table(mode)
            .iter()
            .find(|b| b.code == ev.code && b.modifiers == mods)
            .map(|b| b.action)
    }

    /// `(keys, description)` for the help bar: one entry per action, first binding wins.
    pub fn hints(&self, mode: Mode) -> Vec<(&'static str, &'static str)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for b in self.table(mode) {
            if !seen.contains(&b.action) {
                seen.push(b.action);
                out.push((b.label, b.action.description()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions_per_mode() {
        let km = KeyMap::default();
        let ev = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(
            km.action_for(Mode::List, &ev(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(
            km.action_for(Mode::List, &ev(KeyCode::Enter)),
            Some(Action::Open)
        );
        assert_eq!(km.action_for(Mode::Detail, &ev(KeyCode::Enter)), None);
        assert_eq!(
            km.action_for(
                Mode::List,
                &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action_for(
                Mode::List,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(km.action_for(Mode::List, &ev(KeyCode::Char('z'))), None);
    }

    #[test]
    fn hints_list_each_action_once() {
        let km = KeyMap::default();
        let hints = km.hints(Mode::List);
        let quits = hints.iter().filter(|(_, d)| *d == "quit").count();
        assert_eq!(quits, 1);
        assert!(hints.iter().any(|(k, d)| *k == "/" && *d == "filter"));
    }
}
