//! The Managed Flink application view: `s` and `x` ask first and change only after `y`, the keys
//! follow the status, and a refused change is shown where it was asked.

use crossterm::event::KeyCode;
use kinesis_console::ui::action::{Action, Data, Loaded, Request};
use kinesis_console::ui::app::{App, Job};

use super::render::screen;
use super::views_fixtures::{Look, answer, app_view, fixture, home_app, key, stacks, type_text};

fn requests(jobs: &[Job]) -> Vec<Request> {
    jobs.iter().map(|j| j.request.clone()).collect()
}

fn opened(status: &'static str) -> App {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":app prices");
    jobs.extend(app.update(key(KeyCode::Enter)));
    assert_eq!(requests(&jobs), vec![Request::App { stack: "prices".into() }]);
    answer(&mut app, &jobs, |r| match r {
        Request::App { .. } => Some(Data::App(Box::new(app_view(status)))),
        other => fixture(other),
    });
    app
}

#[test]
fn x_stops_a_running_application_only_after_y() {
    let mut app = opened("RUNNING");
    assert_eq!(app.top().crumb(), "app prices");
    assert!(requests(&app.update(key(KeyCode::Char('x')))).is_empty(), "x only asks");
    let shown = screen(&mut app, 120, 30);
    assert!(shown.contains("Stop application prices-app"), "{shown}");
    assert!(requests(&app.update(key(KeyCode::Char('n')))).is_empty(), "any other key cancels");
    assert!(!screen(&mut app, 120, 30).contains("Stop application prices-app"));
    app.update(key(KeyCode::Char('x')));
    let stop = app.update(key(KeyCode::Char('y')));
    assert_eq!(requests(&stop), vec![Request::StopApp { stack: "prices".into() }]);
    app.update(Action::Loaded(Loaded {
        source: stop[0].source.clone(),
        generation: stop[0].generation,
        result: Ok(Data::App(Box::new(app_view("STOPPING")))),
    }));
    let shown = screen(&mut app, 120, 30);
    assert!(shown.contains("STOPPING"), "{shown}");
    assert!(requests(&app.update(key(KeyCode::Char('s')))).is_empty(), "no start while it stops");
}

#[test]
fn s_starts_a_ready_application_and_a_refusal_is_shown() {
    let mut app = opened("READY");
    assert!(requests(&app.update(key(KeyCode::Char('x')))).is_empty());
    assert!(!screen(&mut app, 120, 30).contains("Stop application"), "a READY application is not stopped");
    app.update(key(KeyCode::Char('s')));
    let start = app.update(key(KeyCode::Char('y')));
    assert_eq!(requests(&start), vec![Request::StartApp { stack: "prices".into() }]);
    let refusal = "the console is read-only: it does not start an application";
    app.update(Action::Loaded(Loaded {
        source: start[0].source.clone(),
        generation: start[0].generation,
        result: Err(refusal.into()),
    }));
    let shown = screen(&mut app, 120, 30);
    assert!(shown.contains("the application of prices: the console is read-only"), "{shown}");
}

#[test]
fn a_on_a_flink_deployment_opens_its_application_and_elsewhere_does_nothing() {
    let mut app = home_app(Look::Dark);
    app.update(key(KeyCode::Char('a')));
    assert_eq!(app.top().crumb(), "home", "orders (kds-kdf-s3) runs no Flink application");
    let refresh = app.update(key(KeyCode::Char('r')));
    answer(&mut app, &refresh, |r| match r {
        Request::Stacks => {
            let mut stacks = stacks();
            stacks[0].name = "prices".into();
            stacks[0].pattern = Some("kpl-kds-kda".into());
            Some(Data::Stacks(stacks))
        }
        other => fixture(other),
    });
    assert!(screen(&mut app, 120, 30).contains("its Managed Flink application"), "the key is offered");
    let opened = app.update(key(KeyCode::Char('a')));
    assert_eq!(app.top().crumb(), "app prices");
    assert_eq!(requests(&opened), vec![Request::App { stack: "prices".into() }]);
}
