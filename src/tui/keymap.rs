//! Keys -> actions: global bindings, one table per pane, and a table for the
//! text-input mode (where every other printable key is text). Tables can be
//! overridden from the `[keys]` section of the config; help and hints are
//! generated from them.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::panes::PaneId;

/// One key with its modifiers (Shift is folded into upper-case characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    pub fn from_event(ev: &KeyEvent) -> Self {
        let mods = match ev.code {
            KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
            // Terminals send Shift+Tab as BackTab.
            KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        Self {
            code: ev.code,
            mods: mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT),
        }
    }

    /// Parses `q`, `G`, `ctrl-c`, `alt-x`, `enter`, `esc`, `tab`, `shift-tab`,
    /// `up`, `pgdn`, `f5`, `space`, ... as written in the config.
    pub fn parse(text: &str) -> Result<Self> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").map(|_| &rest[5..]) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = lower.strip_prefix("alt-").map(|_| &rest[4..]) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => {
                    mods -= KeyModifiers::SHIFT;
                    KeyCode::BackTab
                }
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => bail!(
                    "unknown key {text:?} (try a letter, ctrl-x, enter, esc, tab, up, pgdn, f5, space)"
                ),
            },
        };
        if let KeyCode::Char(_) = code {
            mods -= KeyModifiers::SHIFT;
        }
        Ok(Self { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("^")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("M-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("⏎"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("S-tab"),
            KeyCode::Backspace => f.write_str("⌫"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Which table a key is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Pane(PaneId),
    /// A text line has focus.
    Input,
}

/// One key or several, as the config may give either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

impl KeySpec {
    fn keys(&self) -> Vec<&str> {
        match self {
            KeySpec::One(k) => vec![k.as_str()],
            KeySpec::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// `[keys.<section>] <action> = "key" | ["key", ...]`, sections `global`,
/// `input` and one per pane (`jobs`, `companies`, `review`, ...).
pub type KeysConfig = BTreeMap<String, BTreeMap<String, KeySpec>>;

#[derive(Debug, Clone)]
pub struct KeyMap {
    global: Vec<(Key, Action)>,
    panes: BTreeMap<PaneId, Vec<(Key, Action)>>,
    input: Vec<(Key, Action)>,
}

fn bind(table: &mut Vec<(Key, Action)>, keys: &[Key], action: Action) {
    table.extend(keys.iter().map(|k| (*k, action)));
}

impl Default for KeyMap {
    fn default() -> Self {
        use Action as A;
        use KeyCode::*;
        let c = |ch| Key::plain(Char(ch));
        let p = Key::plain;
        let mut global = Vec::new();
        bind(&mut global, &[c('q'), Key::ctrl('c')], A::Quit);
        bind(&mut global, &[c('?')], A::Help);
        bind(&mut global, &[c(':')], A::Palette);
        for (i, action) in [
            A::ShowJobs,
            A::ShowCompanies,
            A::ShowReview,
            A::ShowDeadLetters,
            A::ShowSignals,
            A::ShowQuality,
            A::ShowKeys,
            A::ShowExports,
            A::ShowProfiles,
        ]
        .into_iter()
        .enumerate()
        {
            let digit = char::from_digit(i as u32 + 1, 10).unwrap_or('1');
            bind(&mut global, &[c(digit)], action);
        }
        bind(&mut global, &[p(Tab)], A::NextPane);
        bind(&mut global, &[p(BackTab)], A::PrevPane);
        bind(&mut global, &[c('r'), p(F(5))], A::Refresh);
        bind(&mut global, &[c('e')], A::Export);
        bind(&mut global, &[c('j'), p(Down)], A::Down);
        bind(&mut global, &[c('k'), p(Up)], A::Up);
        bind(&mut global, &[p(PageDown), Key::ctrl('d')], A::PageDown);
        bind(&mut global, &[p(PageUp), Key::ctrl('u')], A::PageUp);
        bind(&mut global, &[c('g'), p(Home)], A::Top);
        bind(&mut global, &[c('G'), p(End)], A::Bottom);
        bind(&mut global, &[p(Enter), c('l'), p(Right)], A::Open);
        bind(
            &mut global,
            &[p(Esc), c('h'), p(Left), p(Backspace)],
            A::Back,
        );
        bind(&mut global, &[c('/')], A::Search);

        let mut panes = BTreeMap::new();
        let mut t = Vec::new();
        bind(&mut t, &[c('n')], A::NewJob);
        bind(&mut t, &[c('p')], A::Pause);
        bind(&mut t, &[c('R')], A::Resume);
        bind(&mut t, &[c('x')], A::Cancel);
        bind(&mut t, &[c(' ')], A::Toggle);
        panes.insert(PaneId::Jobs, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('s')], A::Sort);
        bind(&mut t, &[c('S')], A::ReverseSort);
        bind(&mut t, &[c('a')], A::FilterAssociation);
        bind(&mut t, &[c('d')], A::FilterGrade);
        bind(&mut t, &[c('t')], A::FilterState);
        bind(&mut t, &[c('T')], A::FilterTechnology);
        bind(&mut t, &[c('c')], A::ToggleHasContacts);
        bind(&mut t, &[c('x')], A::ClearFilters);
        panes.insert(PaneId::Companies, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('m')], A::Merge);
        bind(&mut t, &[c('n')], A::KeepApart);
        bind(&mut t, &[c('s')], A::Skip);
        bind(&mut t, &[c('u')], A::Undo);
        bind(&mut t, &[c('A')], A::AcceptAbove);
        panes.insert(PaneId::Review, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('t')], A::Retry);
        bind(&mut t, &[c('T')], A::RetryAll);
        bind(&mut t, &[c('D'), p(Delete)], A::Discard);
        panes.insert(PaneId::DeadLetters, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('b')], A::GroupBy);
        bind(&mut t, &[c('o')], A::JumpToCompany);
        panes.insert(PaneId::Signals, t);
        panes.insert(PaneId::Quality, Vec::new());
        let mut t = Vec::new();
        bind(&mut t, &[c('s')], A::SetKey);
        bind(&mut t, &[c('D'), p(Delete)], A::DeleteKey);
        panes.insert(PaneId::Keys, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('p')], A::Profile);
        panes.insert(PaneId::Exports, t);
        let mut t = Vec::new();
        bind(&mut t, &[c('n')], A::NewProfile);
        bind(&mut t, &[c('e')], A::EditProfile);
        bind(&mut t, &[c('s')], A::ScoreProfile);
        panes.insert(PaneId::Profiles, t);

        let mut input = Vec::new();
        bind(&mut input, &[p(Enter)], A::Accept);
        bind(&mut input, &[p(Esc)], A::CancelInput);
        bind(&mut input, &[p(Backspace)], A::DeleteChar);
        bind(&mut input, &[Key::ctrl('u')], A::ClearInput);
        bind(&mut input, &[Key::ctrl('c')], A::Quit);
        bind(&mut input, &[p(Tab), p(Down)], A::NextField);
        bind(&mut input, &[p(BackTab), p(Up)], A::PrevField);
        Self {
            global,
            panes,
            input,
        }
    }
}

impl KeyMap {
    /// The defaults with the config's `[keys]` overrides applied: an action
    /// named in a section loses its default keys in that section and gets
    /// the given ones. Unknown sections, actions or keys are errors that
    /// name the section and action.
    pub fn with_overrides(overrides: &KeysConfig) -> Result<Self> {
        let mut map = Self::default();
        for (section, bindings) in overrides {
            let table = match section.as_str() {
                "global" => &mut map.global,
                "input" => &mut map.input,
                name => match PaneId::ALL.iter().find(|p| p.name() == name) {
                    Some(pane) => map.panes.entry(*pane).or_default(),
                    None => bail!(
                        "config [keys.{name}]: unknown section; use global, input or one of {}",
                        PaneId::ALL.map(PaneId::name).join(", ")
                    ),
                },
            };
            for (action_name, spec) in bindings {
                let Some(action) = Action::from_name(action_name) else {
                    bail!("config [keys.{section}] {action_name}: unknown action");
                };
                let mut keys = Vec::new();
                for k in spec.keys() {
                    match Key::parse(k) {
                        Ok(key) => keys.push(key),
                        Err(e) => bail!("config [keys.{section}] {action_name}: {e}"),
                    }
                }
                table.retain(|(_, a)| *a != action);
                // A key now bound here is taken from whatever it did before.
                table.retain(|(k, _)| !keys.contains(k));
                bind(table, &keys, action);
            }
        }
        Ok(map)
    }

    fn table(&self, scope: Scope) -> &[(Key, Action)] {
        match scope {
            Scope::Global => &self.global,
            Scope::Input => &self.input,
            Scope::Pane(p) => self.panes.get(&p).map(Vec::as_slice).unwrap_or(&[]),
        }
    }

    /// The action of a key in a pane: the pane's table first, then the global one.
    pub fn action(&self, pane: PaneId, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        let find = |scope| {
            self.table(scope)
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, a)| *a)
        };
        find(Scope::Pane(pane)).or_else(|| find(Scope::Global))
    }

    /// The action of a key while a text line has focus; `None` means "type it".
    pub fn input_action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        self.input.iter().find(|(k, _)| *k == key).map(|(_, a)| *a)
    }

    /// `(keys, description)` per action in a table, keys joined with `/`.
    pub fn help(&self, scope: Scope) -> Vec<(String, &'static str)> {
        let mut out: Vec<(Action, Vec<String>)> = Vec::new();
        for (k, a) in self.table(scope) {
            match out.iter_mut().find(|(x, _)| x == a) {
                Some((_, keys)) => keys.push(k.to_string()),
                None => out.push((*a, vec![k.to_string()])),
            }
        }
        out.into_iter()
            .map(|(a, keys)| (keys.join("/"), a.description()))
            .collect()
    }

    /// The first key of an action in a pane (or globally), for hints. A
    /// global key the pane binds to something else does not count: in that
    /// pane it does the other thing.
    pub fn key_for(&self, pane: PaneId, action: Action) -> Option<Key> {
        let local = self.table(Scope::Pane(pane));
        local
            .iter()
            .find(|(_, a)| *a == action)
            .or_else(|| {
                self.table(Scope::Global)
                    .iter()
                    .filter(|(k, _)| !local.iter().any(|(l, _)| l == k))
                    .find(|(_, a)| *a == action)
            })
            .map(|(k, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn pane_bindings_shadow_global_ones() {
        let km = KeyMap::default();
        let s = ev(KeyCode::Char('s'));
        assert_eq!(km.action(PaneId::Review, &s), Some(Action::Skip));
        assert_eq!(km.action(PaneId::Companies, &s), Some(Action::Sort));
        assert_eq!(km.action(PaneId::Quality, &s), None);
        assert_eq!(
            km.action(PaneId::Quality, &ev(KeyCode::Char('3'))),
            Some(Action::ShowReview)
        );
        assert_eq!(
            km.action(
                PaneId::Jobs,
                &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(
                PaneId::Jobs,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn input_mode_types_letters_and_keeps_editing_keys() {
        let km = KeyMap::default();
        assert_eq!(km.input_action(&ev(KeyCode::Char('q'))), None);
        assert_eq!(km.input_action(&ev(KeyCode::Enter)), Some(Action::Accept));
        assert_eq!(
            km.input_action(&ev(KeyCode::Esc)),
            Some(Action::CancelInput)
        );
    }

    #[test]
    fn parses_key_names() {
        assert_eq!(Key::parse("ctrl-x").unwrap(), Key::ctrl('x'));
        assert_eq!(Key::parse("M").unwrap(), Key::plain(KeyCode::Char('M')));
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::plain(KeyCode::BackTab)
        );
        assert_eq!(Key::parse("f5").unwrap(), Key::plain(KeyCode::F(5)));
        assert_eq!(Key::parse("PgDn").unwrap(), Key::plain(KeyCode::PageDown));
        assert!(Key::parse("hyper-q").is_err());
        assert!(Key::parse("f99").is_err());
    }

    #[test]
    fn overrides_rebind_and_report_mistakes() {
        let cfg: KeysConfig =
            toml::from_str("[review]\nmerge = [\"y\", \"M\"]\n[global]\nquit = \"ctrl-q\"\n")
                .unwrap();
        let km = KeyMap::with_overrides(&cfg).unwrap();
        assert_eq!(
            km.action(PaneId::Review, &ev(KeyCode::Char('y'))),
            Some(Action::Merge)
        );
        assert_eq!(km.action(PaneId::Review, &ev(KeyCode::Char('m'))), None);
        assert_eq!(km.action(PaneId::Jobs, &ev(KeyCode::Char('q'))), None);
        assert_eq!(
            km.action(
                PaneId::Jobs,
                &KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        let help = km.help(Scope::Pane(PaneId::Review));
        assert!(
            help.contains(&("y/M".to_string(), "merge the pair")),
            "{help:?}"
        );

        let bad: KeysConfig = toml::from_str("[review]\nmerj = \"m\"\n").unwrap();
        let e = KeyMap::with_overrides(&bad).unwrap_err().to_string();
        assert!(e.contains("[keys.review] merj: unknown action"), "{e}");
        let bad: KeysConfig = toml::from_str("[reviews]\nmerge = \"m\"\n").unwrap();
        assert!(
            KeyMap::with_overrides(&bad)
                .unwrap_err()
                .to_string()
                .contains("unknown section")
        );
        let bad: KeysConfig = toml::from_str("[review]\nmerge = \"ctrl-\"\n").unwrap();
        assert!(
            KeyMap::with_overrides(&bad)
                .unwrap_err()
                .to_string()
                .contains("unknown key")
        );
    }

    #[test]
    fn every_pane_has_help_and_digits_switch_panes() {
        let km = KeyMap::default();
        for (i, pane) in PaneId::ALL.iter().enumerate() {
            let d = char::from_digit(i as u32 + 1, 10).unwrap();
            let action = km.action(*pane, &ev(KeyCode::Char(d))).unwrap();
            assert_eq!(PaneId::for_action(action), Some(PaneId::ALL[i]));
        }
        let g = km.help(Scope::Global);
        assert!(g.iter().any(|(k, d)| k == "q/^c" && *d == "quit"), "{g:?}");
    }

    #[test]
    fn hints_skip_a_global_key_the_pane_takes_over() {
        let km = KeyMap::default();
        let e = Key::plain(KeyCode::Char('e'));
        assert_eq!(km.key_for(PaneId::Companies, Action::Export), Some(e));
        // `e` edits in the Profiles pane: no key exports there.
        assert_eq!(km.key_for(PaneId::Profiles, Action::Export), None);
        assert_eq!(km.key_for(PaneId::Profiles, Action::EditProfile), Some(e));
        assert_eq!(
            km.action(PaneId::Profiles, &ev(KeyCode::Char('s'))),
            Some(Action::ScoreProfile)
        );
        let cfg: KeysConfig = toml::from_str("[profiles]\nscore_profile = \"S\"\n").unwrap();
        let km = KeyMap::with_overrides(&cfg).unwrap();
        assert_eq!(
            km.action(PaneId::Profiles, &ev(KeyCode::Char('S'))),
            Some(Action::ScoreProfile)
        );
        assert_eq!(km.action(PaneId::Profiles, &ev(KeyCode::Char('s'))), None);
    }
}
