//! The shell's key bindings: each action has a default key, and the config file may bind it to
//! another (`keys: { quit: x }`). Help and the bottom line list the live bindings.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The shell's actions, their default keys, and what they do.
pub const ACTIONS: [(&str, &str, &str); 6] = [
    ("palette", ":", "command palette (Tab completes)"),
    ("filter", "/", "filter"),
    ("help", "?", "help"),
    ("back", "esc", "back"),
    ("refresh", "r", "refresh now"),
    ("quit", "q", "quit"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellAction {
    Palette,
    Filter,
    Help,
    Back,
    Refresh,
    Quit,
}

fn name_of(action: ShellAction) -> &'static str {
    ACTIONS.iter().map(|(n, _, _)| *n).find(|n| action_named(n) == Some(action)).unwrap_or("?")
}

fn action_named(name: &str) -> Option<ShellAction> {
    Some(match name {
        "palette" => ShellAction::Palette,
        "filter" => ShellAction::Filter,
        "help" => ShellAction::Help,
        "back" => ShellAction::Back,
        "refresh" => ShellAction::Refresh,
        "quit" => ShellAction::Quit,
        _ => return None,
    })
}

/// The keys with names; anything else is one printable character.
pub const NAMED_KEYS: [&str; 25] = [
    "Esc",
    "Enter",
    "Tab",
    "Backspace",
    "Delete",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "Up",
    "Down",
    "Left",
    "Right",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "F11",
    "F12",
];

/// A key as the config writes it: one printable character, or one of [`NAMED_KEYS`] (any case).
pub fn parse_key(text: &str) -> Result<KeyCode, String> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && !c.is_control()
        && !c.is_whitespace()
    {
        return Ok(KeyCode::Char(c));
    }
    let code = match text.to_ascii_lowercase().as_str() {
        "esc" | "escape" => KeyCode::Esc,
        "enter" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        "delete" => KeyCode::Delete,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        f => match f.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            Some(n) if (1..=12).contains(&n) => KeyCode::F(n),
            _ => return Err(format!("`{text}` is not a key: one character, or one of {}", NAMED_KEYS.join(", "))),
        },
    };
    Ok(code)
}

/// Whether `name` is one of the shell's actions.
pub fn is_action(name: &str) -> bool {
    action_named(name).is_some()
}

/// The shell's action names, for messages.
pub fn action_names() -> Vec<&'static str> {
    ACTIONS.iter().map(|(n, _, _)| *n).collect()
}

fn label(code: KeyCode) -> String {
    match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Delete".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PageUp".into(),
        KeyCode::PageDown => "PageDown".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    bindings: Vec<(KeyCode, ShellAction, &'static str)>,
}

impl KeyMap {
    /// The defaults with `overrides` (action → key) applied; an unknown action or key is an error
    /// naming it.
    pub fn new(overrides: &BTreeMap<String, String>) -> Result<KeyMap, String> {
        let mut bindings = Vec::new();
        for (name, default, what) in ACTIONS {
            let action = action_named(name).ok_or_else(|| format!("unknown action {name}"))?;
            bindings.push((parse_key(default)?, action, what));
        }
        for (name, key) in overrides {
            let action = action_named(name).ok_or_else(|| {
                format!("keys: unknown action `{name}`, expected one of {}", action_names().join(", "))
            })?;
            let code = parse_key(key).map_err(|e| format!("keys: {e} (for {name})"))?;
            if let Some(b) = bindings.iter_mut().find(|(_, a, _)| *a == action) {
                b.0 = code;
            }
        }
        // Checked once every override is in, so two actions may swap keys.
        for (i, (code, action, _)) in bindings.iter().enumerate() {
            if let Some((_, other, _)) = bindings[..i].iter().find(|(c, _, _)| c == code) {
                return Err(format!(
                    "keys: `{}` is bound to both {} and {}",
                    label(*code),
                    name_of(*other),
                    name_of(*action)
                ));
            }
        }
        Ok(KeyMap { bindings })
    }

    /// The shell action of `key`, if any (modifiers other than Shift mean none).
    pub fn action(&self, key: &KeyEvent) -> Option<ShellAction> {
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return None;
        }
        self.bindings.iter().find(|(c, _, _)| *c == key.code).map(|(_, a, _)| *a)
    }

    /// (key, what it does) for help and the bottom line.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        // Ctrl-C quits whatever `quit` is bound to, so help says so beside it.
        self.bindings
            .iter()
            .map(|(c, a, what)| {
                (if *a == ShellAction::Quit { format!("{}, Ctrl-C", label(*c)) } else { label(*c) }, *what)
            })
            .collect()
    }
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::new(&BTreeMap::new()).unwrap_or_else(|e| unreachable!("the default bindings are valid: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn an_override_moves_an_action_to_another_key() {
        let map = KeyMap::new(&BTreeMap::from([("quit".to_string(), "x".to_string())])).unwrap();
        assert_eq!(map.action(&press('x')), Some(ShellAction::Quit));
        assert_eq!(map.action(&press('q')), None, "the default key is freed");
        assert_eq!(map.action(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)), None);
        assert!(map.help().contains(&("x, Ctrl-C".to_string(), "quit")));
    }

    #[test]
    fn unknown_actions_bad_keys_and_clashes_are_named() {
        let bad = |pairs: &[(&str, &str)]| {
            KeyMap::new(&pairs.iter().map(|(a, k)| (a.to_string(), k.to_string())).collect()).unwrap_err()
        };
        assert!(bad(&[("launch", "l")]).contains("unknown action `launch`"));
        assert!(bad(&[("quit", "ctrl-x")]).contains("`ctrl-x` is not a key"));
        assert!(bad(&[("quit", "r")]).contains("`r` is bound to both refresh and quit"), "a default counts too");
        let swapped = KeyMap::new(
            &[("quit", "r"), ("refresh", "q")].iter().map(|(a, k)| (a.to_string(), k.to_string())).collect(),
        );
        assert!(swapped.is_ok(), "two actions may swap keys: {swapped:?}");
        assert_eq!(parse_key("F5"), Ok(KeyCode::F(5)));
        assert_eq!(parse_key("esc"), Ok(KeyCode::Esc));
        assert_eq!(parse_key("PageDown"), Ok(KeyCode::PageDown));
    }
}
