//! The terminal while the console owns it: raw mode, the alternate screen, no cursor; and its
//! restoration on every way out — a normal return, an error (the guard's drop), and a panic (the
//! hook restores before the message prints, so the message is readable).
//!
//! A panic on any thread while the terminal is taken — a background request's task included — ends
//! the console: once the hook has given the terminal back, drawing on would scribble over the
//! shell. The hook raises a flag that the event loop checks on every turn (`panicked`).

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{cursor, execute, terminal};

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    _private: (),
}

static HOOK: Once = Once::new();
/// The console holds the terminal: only then does a panic restore it (after the console has let
/// go, a panic's escape sequences would only garble the shell).
static TAKEN: AtomicBool = AtomicBool::new(false);
/// A panic happened while the terminal was taken.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether a panic gave the terminal back while the console held it.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Puts the terminal back as the shell had it. Safe to call more than once.
pub fn restore() {
    TAKEN.store(false, Ordering::SeqCst);
    let mut out = io::stdout();
    let _ = execute!(out, terminal::EndSynchronizedUpdate, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// What the panic hook does before the previous hook prints the message.
fn on_panic() {
    if TAKEN.load(Ordering::SeqCst) {
        PANICKED.store(true, Ordering::SeqCst);
        restore();
    }
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                on_panic();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        TAKEN.store(true, Ordering::SeqCst);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_flags_the_console_only_while_it_holds_the_terminal() {
        // Not taken: a panic elsewhere in the process (a test, a CLI command) leaves the flag alone.
        on_panic();
        assert!(!panicked());
        TAKEN.store(true, Ordering::SeqCst);
        on_panic();
        assert!(panicked(), "a panic while the terminal is taken ends the console");
        assert!(!TAKEN.load(Ordering::SeqCst), "and gives the terminal back");
        PANICKED.store(false, Ordering::SeqCst);
    }
}
