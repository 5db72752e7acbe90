//! Whole screens of every view (header, view, bottom line) at 120×40 and 80×24, dark, light and
//! ASCII (`NO_COLOR`), drawn from data built in the test at a fixed instant. Each snapshot holds the
//! text and the style runs, so a colour change shows as a diff.

use crossterm::event::KeyCode;
use kinesis_console::ui::app::App;
use kinesis_console::ui::screen;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use kinesis_console::ui::action::{Data, Request};

use super::views_fixtures::{LOOKS, Look, answer, home_app, key, open, run_status};

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

/// The screen with its styles, as ratatui's buffer prints them.
fn styled(app: &mut App, w: u16, h: u16) -> String {
    app.size = (w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    let frame = terminal.draw(|f| screen::draw(f, app)).expect("a frame");
    format!("{:?}", frame.buffer)
}

/// Snapshots the app `build` makes for every look and size, named `<view>_<w>x<h>_<look>`.
fn snapshot_every_look(view: &str, build: impl Fn(Look) -> App) {
    for look in LOOKS {
        let mut app = build(look);
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{view}_{w}x{h}_{}", look.name()), styled(&mut app, w, h));
        }
    }
}

#[test]
fn home() {
    snapshot_every_look("home", home_app);
}

#[test]
fn stream() {
    snapshot_every_look("stream", |look| {
        let mut app = home_app(look);
        open(&mut app, "stream orders");
        app
    });
}

#[test]
fn alarms_list() {
    snapshot_every_look("alarms", |look| {
        let mut app = home_app(look);
        open(&mut app, "alarms");
        app
    });
}

#[test]
fn alarm_one() {
    snapshot_every_look("alarm", |look| {
        let mut app = home_app(look);
        open(&mut app, "alarm orders-iterator-age");
        app
    });
}

#[test]
fn help() {
    snapshot_every_look("help", |look| {
        let mut app = home_app(look);
        app.update(key(KeyCode::Char('?')));
        app
    });
}

#[test]
fn log() {
    snapshot_every_look("log", |look| {
        let mut app = home_app(look);
        open(&mut app, "log");
        app
    });
}

#[test]
fn producer() {
    snapshot_every_look("producer", |look| {
        let mut app = home_app(look);
        open(&mut app, "produce orders");
        // A second status a second later gives the view a rate.
        let jobs = app.update(key(KeyCode::Char('r')));
        answer(&mut app, &jobs, |r| match r {
            Request::Producer { target } if target == "orders" => {
                Some(Data::Producer(Some(Box::new(run_status(11.0, 1_100)))))
            }
            _ => None,
        });
        app
    });
}

#[test]
fn app() {
    snapshot_every_look("app", |look| {
        let mut app = home_app(look);
        open(&mut app, "app prices");
        app
    });
}

#[test]
fn records() {
    snapshot_every_look("records", |look| {
        let mut app = home_app(look);
        open(&mut app, "records orders");
        // Pick the fifth newest record (the one that is not JSON shows as hex).
        for _ in 0..4 {
            app.update(key(KeyCode::Up));
        }
        app
    });
}
