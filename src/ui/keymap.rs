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

/// A key as the config writes it: one character, or `esc`, `enter`, `tab`, `backspace`, `f1`…`f12`.
pub fn parse_key(text: &str) -> Result<KeyCode, String> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    let lower = text.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "esc" | "escape" => KeyCode::Esc,
        "enter" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ => return Err(format!("'{text}' is not a key: use one character, esc, enter, tab, backspace or f1…f12")),
    })
}

fn label(code: KeyCode) -> String {
    match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Backspace => "Backspace".into(),
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
                let known: Vec<&str> = ACTIONS.iter().map(|(n, _, _)| *n).collect();
                format!("keys: unknown action '{name}' (the actions are {})", known.join(", "))
            })?;
            let code = parse_key(key).map_err(|e| format!("keys.{name}: {e}"))?;
            if let Some(taken) = bindings.iter().find(|(c, a, _)| *c == code && *a != action) {
                return Err(format!("keys.{name}: '{key}' is already the key of {:?}", taken.1));
            }
            if let Some(b) = bindings.iter_mut().find(|(_, a, _)| *a == action) {
                b.0 = code;
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
        let bad = |k: &str, v: &str| KeyMap::new(&BTreeMap::from([(k.to_string(), v.to_string())])).unwrap_err();
        assert!(bad("launch", "l").contains("unknown action 'launch'"));
        assert!(bad("quit", "ctrl-x").contains("keys.quit: 'ctrl-x' is not a key"));
        assert!(bad("quit", "r").contains("already the key of Refresh"));
        assert_eq!(parse_key("F5"), Ok(KeyCode::F(5)));
        assert_eq!(parse_key("esc"), Ok(KeyCode::Esc));
    }
}
