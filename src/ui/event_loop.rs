//! The one event loop: terminal events, answers and time become actions; `App::update` takes them
//! and names the jobs to start; a frame is drawn only when something changed, after every action
//! already queued was taken (a burst of keys or answers draws once), inside synchronized output so
//! the terminal never shows half a frame.

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};
use crossterm::{execute, terminal};
use futures_util::{FutureExt as _, Stream, StreamExt as _};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;

use super::action::Action;
use super::app::App;
use super::jobs::Jobs;
use super::screen;
use crate::cloud::clock::wall_ms;

/// Spinner and refresh timers turn at this pace; nothing is drawn unless it changed.
const TICK: Duration = Duration::from_millis(250);

/// What a terminal event means to the app; None for events it ignores (key releases, focus).
pub fn action_of(event: Event) -> Option<Action> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Action::Key(k)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Draws one frame of `app` in synchronized output when `sync` (a real terminal).
pub fn frame<B: Backend>(terminal: &mut Terminal<B>, app: &mut App, sync: bool) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    if sync {
        execute!(io::stdout(), terminal::BeginSynchronizedUpdate)?;
    }
    let drawn = terminal.draw(|f| screen::draw(f, app)).map(|_| ());
    if sync {
        execute!(io::stdout(), terminal::EndSynchronizedUpdate)?;
        io::stdout().flush()?;
    }
    drawn?;
    app.dirty = false;
    Ok(())
}

/// Runs until `q`, Ctrl-C, SIGTERM/SIGHUP/SIGINT, the end of the terminal's events, an error, or
/// a panic anywhere in the process while the terminal is taken (`terminal::panicked`).
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    jobs: &mut Jobs,
    answers: &mut UnboundedReceiver<Action>,
    events: E,
    sync: bool,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    run_until(terminal, app, jobs, answers, events, sync, super::terminal::panicked).await
}

/// `run`, with what tells of a panic given: the tests cannot raise the process's panic flag
/// without ending every other console of the test binary.
async fn run_until<B, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    jobs: &mut Jobs,
    answers: &mut UnboundedReceiver<Action>,
    mut events: E,
    sync: bool,
    panicked: fn() -> bool,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    let first = app.start();
    jobs.start(first);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stop = stop_signals()?;
    while !app.quit {
        if panicked() {
            // The hook has restored the terminal and printed the message: drawing on would land
            // on the shell's screen.
            anyhow::bail!("the console stopped after a panic (its message is above)");
        }
        if app.dirty {
            frame(terminal, app, sync)?;
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(e)) => action_of(e),
                Some(Err(e)) => return Err(anyhow::Error::new(e).context("reading the terminal")),
                None => Some(Action::Quit),
            },
            Some(a) = answers.recv() => Some(a),
            _ = tick.tick() => Some(Action::Tick(wall_ms())),
            _ = stop.recv() => Some(Action::Quit),
        };
        let mut queue: Vec<Action> = action.into_iter().collect();
        // Take everything already waiting before drawing again.
        while let Ok(a) = answers.try_recv() {
            queue.push(a);
        }
        while let Some(Some(Ok(e))) = events.next().now_or_never() {
            queue.extend(action_of(e));
        }
        for a in queue {
            let started = app.update(a);
            jobs.start(started);
        }
    }
    Ok(())
}

/// SIGTERM, SIGHUP and SIGINT (outside raw mode) end the loop like `q` does.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

fn stop_signals() -> io::Result<StopSignals> {
    use tokio::signal::unix::{SignalKind, signal};
    Ok(StopSignals {
        term: signal(SignalKind::terminate())?,
        hup: signal(SignalKind::hangup())?,
        int: signal(SignalKind::interrupt())?,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use futures_util::stream;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::target::Target;
    use crate::ui::action::Request;
    use crate::ui::config::Config;
    use crate::ui::header::HeaderInfo;
    use crate::ui::jobs::{Answer, Fetch};

    /// A target that never answers: the loop must end on its own exit paths, not on answers.
    struct Silent;

    impl Fetch for Silent {
        fn fetch(&self, _request: Request) -> Answer {
            Box::pin(std::future::pending())
        }
    }

    /// Runs the loop over `events`, then a terminal that stays silent.
    async fn run_with(events: Vec<io::Result<Event>>, panicked: fn() -> bool) -> anyhow::Result<()> {
        let header =
            HeaderInfo { target: Target::Local { data_dir: "/tmp/kc".into() }, read_only: false, account: None };
        let mut app = App::new(header, Config::default(), false, false, 0);
        let (tx, mut answers) = tokio::sync::mpsc::unbounded_channel();
        let mut jobs = Jobs::new(Arc::new(Silent), tx);
        let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
        let events = stream::iter(events).chain(stream::pending());
        let run = run_until(&mut terminal, &mut app, &mut jobs, &mut answers, events, false, panicked);
        tokio::time::timeout(Duration::from_secs(10), run).await.expect("the loop ends")
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> io::Result<Event> {
        Ok(Event::Key(KeyEvent::new(code, modifiers)))
    }

    #[tokio::test]
    async fn q_and_ctrl_c_end_the_loop_cleanly() {
        run_with(vec![key(KeyCode::Char('q'), KeyModifiers::NONE)], || false).await.expect("q quits");
        run_with(vec![key(KeyCode::Char('c'), KeyModifiers::CONTROL)], || false).await.expect("Ctrl-C quits");
    }

    #[tokio::test]
    async fn a_terminal_that_fails_ends_the_loop_with_an_error() {
        let err = run_with(vec![Err(io::Error::other("the tty went away"))], || false).await.expect_err("an error");
        assert_eq!(format!("{err:#}"), "reading the terminal: the tty went away");
    }

    #[tokio::test]
    async fn a_panic_elsewhere_ends_the_loop_with_an_error() {
        let err = run_with(Vec::new(), || true).await.expect_err("a panic ends the console");
        assert_eq!(err.to_string(), "the console stopped after a panic (its message is above)");
    }
}
