//! The terminal while the console owns it: raw mode, the alternate screen, no cursor; and its
//! restoration on every way out — a normal return, an error (the guard's drop), and a panic (the
//! hook restores before the message prints, so the message is readable).

use std::io::{self, Write};
use std::sync::Once;

use crossterm::{cursor, execute, terminal};

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    _private: (),
}

static HOOK: Once = Once::new();

/// Puts the terminal back as the shell had it. Safe to call more than once.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, terminal::EndSynchronizedUpdate, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard { _private: () };
        execute!(
            io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide,
            terminal::Clear(terminal::ClearType::All)
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
