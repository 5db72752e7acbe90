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

pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    jobs: &mut Jobs,
    answers: &mut UnboundedReceiver<Action>,
    mut events: E,
    sync: bool,
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
