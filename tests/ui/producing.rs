//! The producer and records views: what their keys ask the backend for, how they take answers, and
//! the same views fed by a real run against a local cloud.

use std::time::Duration;

use crossterm::event::KeyCode;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::control::production::{RunState, Runs};
use kinesis_console::control::record_feed::Feeds;
use kinesis_console::control::tail::StartAt;
use kinesis_console::ui::action::{Action, Data, Loaded, Request, Source};
use kinesis_console::ui::app::{App, Job};

use super::render::screen;
use super::support::{TestCloud, eventually};
use super::views_fixtures::{Look, answer, fixture, home_app, key, records_page, run_status, type_text};

fn loaded(app: &mut App, job: &Job, result: Result<Data, String>) -> Vec<Job> {
    app.update(Action::Loaded(Loaded { source: job.source.clone(), generation: job.generation, result }))
}

fn requests(jobs: &[Job]) -> Vec<Request> {
    jobs.iter().map(|j| j.request.clone()).collect()
}

#[test]
fn p_on_a_stream_starts_producing_and_p_again_stops_it() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":stream orders");
    jobs.extend(app.update(key(KeyCode::Enter)));
    answer(&mut app, &jobs, fixture);
    let started = app.update(key(KeyCode::Char('p')));
    assert_eq!(requests(&started), vec![Request::StartProducer { target: "orders".into() }]);
    assert_eq!(app.top().crumb(), "producer orders");
    answer(&mut app, &started, fixture);
    // Once a run answered, a refresh reads its status instead of starting another.
    let refresh = app.update(key(KeyCode::Char('r')));
    assert_eq!(requests(&refresh), vec![Request::Producer { target: "orders".into() }]);
    let stop = app.update(key(KeyCode::Char('p')));
    assert_eq!(requests(&stop), vec![Request::StopProducer { target: "orders".into() }]);
    let mut stopped = run_status(12.0, 1_200);
    stopped.state = RunState::Finished { delivered_all: true, undelivered: 0 };
    loaded(&mut app, &stop[0], Ok(Data::Producer(Some(Box::new(stopped)))));
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("stopped: every record acknowledged (1200)"), "{shown}");
    // Stopped, p starts a new run.
    let again = app.update(key(KeyCode::Char('p')));
    assert_eq!(requests(&again), vec![Request::StartProducer { target: "orders".into() }]);
}

#[test]
fn a_refused_start_is_shown_and_not_retried_by_the_refresh() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":produce pattern1");
    jobs.extend(app.update(key(KeyCode::Enter)));
    assert_eq!(requests(&jobs), vec![Request::StartProducer { target: "pattern1".into() }]);
    let refusal = "pattern 1 takes its records through its REST API";
    loaded(&mut app, &jobs[0], Err(refusal.into()));
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("the producer for pattern1 could not run: pattern 1 takes its records"), "{shown}");
    let refresh = app.update(key(KeyCode::Char('r')));
    assert_eq!(requests(&refresh), vec![Request::Producer { target: "pattern1".into() }]);
}

#[test]
fn the_records_view_asks_for_what_came_after_the_newest_it_has() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":records orders");
    jobs.extend(app.update(key(KeyCode::Enter)));
    assert_eq!(requests(&jobs), vec![Request::Records { target: "orders".into(), after: None }]);
    loaded(&mut app, &jobs[0], Ok(Data::Records(Box::new(records_page()))));
    let refresh = app.update(key(KeyCode::Char('r')));
    assert_eq!(requests(&refresh), vec![Request::Records { target: "orders".into(), after: Some(11) }]);
    // An answer for another target's feed changes nothing here.
    let mut other = records_page();
    other.stream = "clicks".into();
    app.update(Action::Loaded(Loaded {
        source: Source::Records("clicks".into()),
        generation: refresh[0].generation,
        result: Ok(Data::Records(Box::new(other))),
    }));
    assert!(screen(&mut app, 100, 30).contains("records of orders · 12 shown"));
}

/// A run through the console's backend pieces against a local cloud: the run's counters move, the
/// feed reads what it put, and stopping it drains to every record acknowledged.
#[tokio::test]
async fn a_run_started_by_the_console_is_read_back_by_its_records_feed() {
    let cloud = TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.clock = ClockMode::Real;
    })
    .await;
    let conf = cloud.sdk_config().await;
    let k = aws_sdk_kinesis::Client::new(&conf);
    k.create_stream().stream_name("ticks").shard_count(2).send().await.expect("CreateStream");
    cloud.until_stream_active("ticks").await;

    let runs = Runs::default();
    let first = runs.start(&conf, "ticks").await.expect("a run starts");
    assert_eq!((first.stream.as_str(), first.workload), ("ticks", "ticker"));
    let again = runs.start(&conf, "ticks").await.expect("starting again while producing");
    assert!(again.elapsed_secs >= first.elapsed_secs, "the same run answers, not a second one");
    eventually(Duration::from_secs(20), "200 records acknowledged", || async {
        runs.status("ticks").await.filter(|s| s.counters.acknowledged >= 200)
    })
    .await;

    let feeds = Feeds::default();
    let page = eventually(Duration::from_secs(20), "the feed reads 100 records", || async {
        feeds.page(&conf, "ticks", None, StartAt::TrimHorizon).await.ok().filter(|p| p.records.len() >= 100)
    })
    .await;
    for (_, r) in &page.records {
        let event: serde_json::Value = serde_json::from_slice(&r.data).expect("ticker events are JSON");
        assert!(event["TICKER"].is_string() && event["PRICE"].is_number(), "{event}");
    }
    let positions: Vec<u64> = page.records.iter().map(|(at, _)| *at).collect();
    let last = *positions.last().expect("records");
    assert_eq!(positions, (0..=last).collect::<Vec<_>>(), "positions count every record once");
    let next = feeds.page(&conf, "ticks", Some(last), StartAt::TrimHorizon).await.expect("the next page");
    assert!(next.records.iter().all(|(at, _)| *at > last), "a page holds only what came after");

    runs.stop("ticks").await.expect("a run to stop");
    let done = eventually(Duration::from_secs(40), "the run drained", || async {
        runs.status("ticks").await.filter(|s| matches!(s.state, RunState::Finished { .. }))
    })
    .await;
    assert_eq!(done.state, RunState::Finished { delivered_all: true, undelivered: 0 });
    assert_eq!(done.counters.acknowledged, done.counters.produced);
}
