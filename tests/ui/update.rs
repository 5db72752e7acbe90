//! The update function driven by actions: which answers it takes, what it asks for.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinesis_console::control::dashboard::fetch::DashboardEntry;
use kinesis_console::ui::action::{Action, Data, Loaded, Request, Source};

use super::render::{app, local_target};

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn dashboards(names: &[&str]) -> Data {
    Data::Dashboards(
        names
            .iter()
            .map(|n| DashboardEntry { name: n.to_string(), arn: None, size: None, last_modified_secs: None })
            .collect(),
    )
}

#[test]
fn the_newest_request_per_source_wins_and_a_stale_answer_is_dropped() {
    let mut app = app(local_target(), true);
    let first = app.start();
    assert!(first.iter().any(|j| j.request == Request::Dashboards), "home loads the dashboards: {first:?}");
    let old = first.iter().find(|j| j.source == Source::Dashboards).expect("a dashboards job").generation;
    let again = app.update(key('r'));
    let new = again.iter().find(|j| j.source == Source::Dashboards).map(|j| j.generation);
    assert_eq!(new, None, "a refresh does not restart a source still loading");
    // The first answer arrives, then a refresh, then the stale first answer again (a retry race).
    app.update(Action::Loaded(Loaded { source: Source::Dashboards, generation: old, result: Ok(dashboards(&["a"])) }));
    assert_eq!(app.names.dashboards, vec!["a"]);
    let refreshed = app.update(key('r'));
    let newer = refreshed.iter().find(|j| j.source == Source::Dashboards).expect("refreshed").generation;
    assert!(newer > old);
    app.update(Action::Loaded(Loaded {
        source: Source::Dashboards,
        generation: old,
        result: Ok(dashboards(&["stale"])),
    }));
    assert_eq!(app.names.dashboards, vec!["a"], "an answer older than the newest request is dropped");
    app.update(Action::Loaded(Loaded {
        source: Source::Dashboards,
        generation: newer,
        result: Ok(dashboards(&["b"])),
    }));
    assert_eq!(app.names.dashboards, vec!["b"]);
    assert!(!app.in_flight.contains(&Source::Dashboards));
}

#[test]
fn an_error_is_shown_until_the_next_key_and_quitting_takes_q_or_ctrl_c() {
    let mut app = app(local_target(), true);
    let jobs = app.start();
    let streams = jobs.iter().find(|j| j.source == Source::Streams).expect("streams job");
    app.update(Action::Loaded(Loaded {
        source: Source::Streams,
        generation: streams.generation,
        result: Err("ListStreams failed: connection refused".into()),
    }));
    assert_eq!(app.last_error.as_deref(), Some("ListStreams failed: connection refused"));
    app.update(Action::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    assert_eq!(app.last_error, None);
    assert!(!app.quit);
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(app.quit);
}
