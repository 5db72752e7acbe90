//! The shell driven by actions: no panic at any size, answers taken or dropped by generation and by
//! whether their view is still open, the filter, the palette's completion, errors, the sample offer,
//! and the header's badges.

use crossterm::event::KeyCode;
use kinesis_console::target::Target;
use kinesis_console::ui::action::{Action, Data, Loaded, Request, Source};
use kinesis_console::ui::app::{App, Job, Mode};

use super::render::{local_target, screen};
use super::views_fixtures::{
    Look, answer, app_on, app_with, dashboards, fixture, home_app, key, open, stacks, stream_view, type_text,
};

/// Every view the console has, each with its data answered, on top of home.
fn every_view() -> Vec<(&'static str, App)> {
    let mut views = vec![("home", home_app(Look::Dark))];
    for command in ["stream orders", "alarms", "alarm orders-iterator-age", "log", "help", "stream gone"] {
        let mut app = home_app(Look::Ascii);
        open(&mut app, command);
        views.push((command, app));
    }
    let mut palette = home_app(Look::Dark);
    type_text(&mut palette, ":st");
    views.push(("palette", palette));
    let mut filtered = home_app(Look::Light);
    type_text(&mut filtered, "/ord");
    views.push(("filter", filtered));
    views.push(("loading", app_with(Look::Dark)));
    views
}

fn lines_of(screen: &str) -> Vec<&str> {
    screen.lines().collect()
}

#[test]
fn every_view_draws_at_every_size_from_1x1_to_40x12() {
    for (what, mut app) in every_view() {
        for w in 1..=40 {
            for h in 1..=12 {
                let s = screen(&mut app, w, h);
                assert_eq!(lines_of(&s).len(), h as usize, "{what} at {w}×{h}");
            }
        }
    }
}

#[test]
fn a_resize_storm_with_a_draw_after_each_does_not_panic() {
    let mut rng = fastrand::Rng::with_seed(13);
    for (what, mut app) in every_view() {
        for _ in 0..300 {
            let (w, h) = (rng.u16(1..=250), rng.u16(1..=90));
            app.update(Action::Resize(w, h));
            assert_eq!(app.size, (w, h));
            let s = screen(&mut app, w, h);
            assert_eq!(lines_of(&s).len(), h as usize, "{what} at {w}×{h}");
        }
    }
}

fn loaded(app: &mut App, job: &Job, result: Result<Data, String>) -> Vec<Job> {
    app.update(Action::Loaded(Loaded { source: job.source.clone(), generation: job.generation, result }))
}

fn stream_job(jobs: &[Job]) -> Job {
    jobs.iter().find(|j| matches!(j.request, Request::Stream { .. })).cloned().expect("a stream job")
}

#[test]
fn the_stream_view_takes_only_the_newest_answer_of_its_source() {
    let mut app = home_app(Look::Dark);
    let mut first = type_text(&mut app, ":stream orders");
    first.extend(app.update(key(KeyCode::Enter)));
    let first = stream_job(&first);
    assert_eq!(first.request, Request::Stream { name: "orders".into(), range_secs: 3600 });
    // `t` changes the range: a newer request for the same source.
    let second = stream_job(&app.update(key(KeyCode::Char('t'))));
    assert_eq!(second.request, Request::Stream { name: "orders".into(), range_secs: 3 * 3600 });
    assert!(second.generation > first.generation);
    loaded(&mut app, &first, Ok(Data::Stream(Box::new(stream_view()))));
    assert!(screen(&mut app, 120, 40).contains("loading…"), "the stale answer is dropped");
    loaded(&mut app, &second, Ok(Data::Stream(Box::new(stream_view()))));
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("Shards (3)") && s.contains("0%–50%"), "{s}");
    assert!(!app.in_flight.contains(&Source::Stream("orders".into())));
}

#[test]
fn going_back_drops_the_late_answers_and_errors_of_the_view_that_went() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":stream orders");
    jobs.extend(app.update(key(KeyCode::Enter)));
    let job = stream_job(&jobs);
    assert!(app.in_flight.contains(&job.source));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.crumbs(), vec!["home"]);
    assert!(!app.in_flight.contains(&job.source), "nothing shown as loading for a view that went");
    loaded(&mut app, &job, Err("DescribeStreamSummary orders failed: timeout".into()));
    assert_eq!(app.last_error, None, "a late error of a closed view is not shown");
}

#[test]
fn an_error_shows_in_the_view_and_on_the_bottom_line() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":stream orders");
    jobs.extend(app.update(key(KeyCode::Enter)));
    let job = stream_job(&jobs);
    loaded(&mut app, &job, Err("DescribeStreamSummary orders failed: ResourceNotFoundException".into()));
    let s = screen(&mut app, 100, 30);
    let lines = lines_of(&s);
    assert!(lines[1].starts_with("DescribeStreamSummary orders failed"), "{s}");
    assert!(lines[29].starts_with("error: DescribeStreamSummary orders failed"), "{s}");
}

#[test]
fn the_filter_shows_on_the_bottom_line_counts_n_of_m_esc_clears_and_enter_keeps() {
    let mut app = home_app(Look::Dark);
    type_text(&mut app, "/ord");
    let s = screen(&mut app, 120, 40);
    assert!(lines_of(&s)[39].starts_with("/ord▏"), "{s}");
    assert!(s.contains("Streams (1 of 3 /ord)") && s.contains("Alarms (2 of 3 /ord)"), "{s}");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert!(screen(&mut app, 120, 40).contains("Streams (1 of 3 /ord)"), "Enter keeps the filter");
    type_text(&mut app, "/x");
    assert!(screen(&mut app, 120, 40).contains("Streams (0 of 3 /x)"));
    app.update(key(KeyCode::Esc));
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("Streams (3)") && s.contains("Alarms (3)"), "Esc clears: {s}");
}

#[test]
fn the_alarms_list_filters_and_opens_the_selected_alarm() {
    let mut app = home_app(Look::Dark);
    open(&mut app, "alarms");
    type_text(&mut app, "/throttle");
    app.update(key(KeyCode::Enter));
    assert!(screen(&mut app, 120, 40).contains("Alarms (1 of 3 /throttle)"));
    let jobs = app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "alarms", "alarm orders-write-throttles"]);
    assert_eq!(jobs[0].request, Request::Alarm { name: "orders-write-throttles".into(), range_secs: 86_400 });
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.crumbs(), vec!["home", "alarms"], "the first Esc clears the kept filter, not the view");
    assert!(screen(&mut app, 120, 40).contains("Alarms (3)"));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.crumbs(), vec!["home"]);
}

#[test]
fn tab_moves_the_focus_and_enter_opens_what_the_focused_list_selects() {
    let mut app = home_app(Look::Dark);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "stream orders"]);
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::BackTab));
    app.update(key(KeyCode::BackTab));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "alarm orders-iterator-age"], "BackTab wraps to the alarms");
}

#[test]
fn the_palette_completes_the_picked_entry_and_names_an_unknown_command() {
    let mut app = home_app(Look::Dark);
    type_text(&mut app, ":st");
    let Mode::Palette(p) = &app.mode else { panic!("palette open") };
    assert_eq!(p.completions(&app.names), vec!["stream ", "streams"]);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("stream ") && s.contains("streams"), "the list shows: {s}");
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Tab));
    let Mode::Palette(p) = &app.mode else { panic!("palette open") };
    assert_eq!(p.input, "streams", "Tab completes the picked entry, not the first");
    app.update(key(KeyCode::Esc));
    type_text(&mut app, ":stream o");
    app.update(key(KeyCode::Tab));
    let Mode::Palette(p) = &app.mode else { panic!("palette open") };
    assert_eq!(p.input, "stream orders", "names come from the loaded lists");
    let jobs = app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "stream orders"]);
    assert!(jobs.iter().any(|j| j.source == Source::Stream("orders".into())));
    type_text(&mut app, ":frobnicate");
    app.update(key(KeyCode::Enter));
    let s = screen(&mut app, 120, 40);
    assert!(lines_of(&s)[39].starts_with("error: unknown command 'frobnicate'"), "{s}");
    type_text(&mut app, ":home");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home"], ":home goes back to home rather than opening a second one");
}

#[test]
fn a_deployment_opens_its_dashboard_output_or_the_templates_name() {
    let mut app = home_app(Look::Dark);
    let jobs = app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "dashboard orders-dashboard"]);
    assert!(jobs.iter().any(|j| j.source == Source::Dashboard("orders-dashboard".into())));
    app.update(key(KeyCode::Esc));
    // The second stack has no DashboardName output.
    let mut no_output = stacks();
    no_output[0].outputs.clear();
    no_output[0].name = "trips".into();
    let mut app = app_with(Look::Dark);
    let jobs = app.start();
    answer(&mut app, &jobs, |r| if *r == Request::Stacks { Some(Data::Stacks(no_output.clone())) } else { fixture(r) });
    app.update(key(KeyCode::Enter));
    assert_eq!(app.crumbs(), vec!["home", "dashboard trips-dashboard"]);
}

#[test]
fn on_the_local_target_without_dashboards_home_offers_the_sample_and_reloads_after_it() {
    let no_dashboards = |r: &Request| match r {
        Request::Dashboards => Some(Data::Dashboards(Vec::new())),
        other => fixture(other),
    };
    let mut app = app_with(Look::Dark);
    let jobs = app.start();
    answer(&mut app, &jobs, no_dashboards);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("No dashboards yet — press s to create a sample stream"), "{s}");
    let jobs = app.update(key(KeyCode::Char('s')));
    assert_eq!(jobs.iter().map(|j| j.request.clone()).collect::<Vec<_>>(), vec![Request::StartSample]);
    let reload = loaded(&mut app, &jobs[0], Ok(Data::Changed("sample stream and dashboard created".into())));
    let requests: Vec<Request> = reload.iter().map(|j| j.request.clone()).collect();
    assert_eq!(requests, vec![Request::Stacks, Request::Streams, Request::Dashboards, Request::Alarms]);
    answer(&mut app, &reload, |r| match r {
        Request::Dashboards => Some(Data::Dashboards(dashboards(&["sample-dashboard"]))),
        other => fixture(other),
    });
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("sample-dashboard") && !s.contains("No dashboards yet"), "{s}");
    assert!(app.update(key(KeyCode::Char('s'))).is_empty(), "no offer once a dashboard exists");

    // Elsewhere than the local cloud, creating things unasked is not offered.
    let endpoint = Target::Endpoint { url: "http://127.0.0.1:4566".into(), region: None };
    let mut app = app_on(endpoint, Look::Dark, false);
    let jobs = app.start();
    answer(&mut app, &jobs, no_dashboards);
    assert!(!screen(&mut app, 120, 40).contains("No dashboards yet"));
    assert!(app.update(key(KeyCode::Char('s'))).is_empty());
}

#[test]
fn below_80x24_views_say_what_they_hide() {
    let mut app = home_app(Look::Dark);
    open(&mut app, "alarms");
    let wide = screen(&mut app, 80, 24);
    assert!(wide.contains(" 4m Threshold Crossed") && !wide.contains("hidden"), "{wide}");
    let narrow = screen(&mut app, 70, 20);
    assert!(narrow.contains("ages hidden") && !narrow.contains(" 4m "), "{narrow}");
    assert!(lines_of(&narrow)[19].starts_with("70×20: some columns and axes hidden"), "{narrow}");
    let tiny = screen(&mut app, 50, 12);
    assert!(tiny.contains("ages and reasons hidden") && !tiny.contains("Threshold"), "{tiny}");
    let mut home = home_app(Look::Dark);
    let s = screen(&mut home, 45, 20);
    assert!(s.contains("ages hidden") && !s.contains(" 3h"), "{s}");
    let low = screen(&mut home, 80, 12);
    assert!(low.contains("Deployments (2) · Tab: next list") && !low.contains("Streams"), "one list at a time: {low}");
}

#[test]
fn the_log_scrolls_back_and_end_returns_to_the_newest() {
    let mut app = home_app(Look::Dark);
    open(&mut app, "log");
    let s = screen(&mut app, 80, 10);
    assert!(lines_of(&s)[8].ends_with("line 59                         "), "newest at the bottom: {s}");
    app.update(key(KeyCode::PageUp));
    let s = screen(&mut app, 80, 10);
    assert!(s.contains("line 39") && !s.contains("line 59") && s.contains("↓ 20 newer lines"), "{s}");
    app.update(key(KeyCode::End));
    assert!(screen(&mut app, 80, 10).contains("line 59"));
}

#[test]
fn help_lists_the_live_keys_of_the_view_it_came_from_and_the_commands() {
    let mut app = home_app(Look::Dark);
    open(&mut app, "stream orders");
    app.update(key(KeyCode::Char('?')));
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("time range 15m/1h/3h/1d"), "the stream's own keys: {s}");
    assert!(s.contains("q, Ctrl-C") && s.contains("stream NAME") && s.contains("log "), "{s}");
    app.update(key(KeyCode::Esc));
    type_text(&mut app, ":help");
    app.update(key(KeyCode::Enter));
    assert!(screen(&mut app, 120, 40).contains("time range 15m/1h/3h/1d"), ":help lists the same keys as ?");
}

#[test]
fn the_header_shows_the_target_and_the_read_only_badge() {
    let first = |app: &mut App| lines_of(&screen(app, 120, 40))[0].to_string();
    let mut local = app_on(local_target(), Look::Dark, true);
    let top = first(&mut local);
    assert!(top.starts_with(" LOCAL /home/you/.local/share/kinesis-console ") && top.contains(" READ-ONLY "), "{top}");
    assert!(!first(&mut app_with(Look::Dark)).contains("READ-ONLY"));
    let aws = Target::Aws { profile: Some("ops".into()), region: Some("us-west-2".into()) };
    let mut app = app_on(aws, Look::Dark, true);
    let jobs = app.start();
    answer(&mut app, &jobs, |r| (*r == Request::Identity).then(|| Data::Identity { account: "210987654321".into() }));
    let top = first(&mut app);
    assert!(top.starts_with(" AWS 210987654321 profile ops region us-west-2 ") && top.contains("READ-ONLY"), "{top}");
    let endpoint = Target::Endpoint { url: "http://localhost:4566".into(), region: Some("eu-west-1".into()) };
    let top = first(&mut app_on(endpoint, Look::Ascii, false));
    assert!(top.starts_with(" ENDPOINT http://localhost:4566 "), "{top}");
}

#[test]
fn on_aws_the_header_shows_what_the_open_stream_costs_refreshed_at_its_period() {
    let aws = Target::Aws { profile: None, region: Some("us-east-1".into()) };
    let mut app = app_on(aws, Look::Dark, false);
    let jobs = app.start();
    answer(&mut app, &jobs, fixture);
    let mut jobs = type_text(&mut app, ":stream orders");
    jobs.extend(app.update(key(KeyCode::Enter)));
    let mut view = stream_view();
    if let Ok(f) = view.figures.as_mut() {
        f.period_secs = 60;
    }
    let job = stream_job(&jobs);
    loaded(&mut app, &job, Ok(Data::Stream(Box::new(view))));
    assert_eq!(app.top().refresh_every_ms(), Some(60_000), "AWS's one-minute data is fetched once a minute");
    // Five metrics, sixty refreshes an hour, $0.01 per 1,000 metrics.
    let top = lines_of(&screen(&mut app, 120, 40))[0].to_string();
    assert!(top.contains(" ~$0.003/h "), "{top}");
    app.update(key(KeyCode::Char('?')));
    let top = lines_of(&screen(&mut app, 120, 40))[0].to_string();
    assert!(!top.contains('$'), "a view beneath help does not refresh, so it costs nothing: {top}");
}

#[test]
fn the_stream_view_scrolls_no_further_than_its_content() {
    let mut app = home_app(Look::Dark);
    open(&mut app, "stream orders");
    for _ in 0..500 {
        app.update(key(KeyCode::Down));
    }
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("orders-analytics"), "the last lines stay in sight: {s}");
    for _ in 0..500 {
        app.update(key(KeyCode::Up));
    }
    assert!(lines_of(&screen(&mut app, 80, 24))[1].starts_with("orders · ACTIVE · PROVISIONED"));
}

#[test]
fn a_log_scrolled_back_keeps_its_place_as_lines_arrive_and_old_ones_fall_out() {
    let mut app = home_app(Look::Dark);
    let mut jobs = type_text(&mut app, ":log");
    jobs.extend(app.update(key(KeyCode::Enter)));
    let job = jobs.iter().find(|j| j.source == Source::ConsoleLog).cloned().expect("a log job");
    let window = |from: usize| (from..from + 50).map(|i| format!("line {i}")).collect::<Vec<_>>();
    loaded(&mut app, &job, Ok(Data::ConsoleLog(window(0))));
    for _ in 0..5 {
        app.update(key(KeyCode::Up));
    }
    let before = screen(&mut app, 40, 10);
    assert_eq!(lines_of(&before)[7].trim_end(), "line 44", "{before}");
    // The file grew by ten lines; the window read is still the last fifty.
    let refresh = app.update(key(KeyCode::Char('r')));
    let job = refresh.iter().find(|j| j.source == Source::ConsoleLog).cloned().expect("a refresh");
    loaded(&mut app, &job, Ok(Data::ConsoleLog(window(10))));
    let after = screen(&mut app, 40, 10);
    assert_eq!(lines_of(&after)[7].trim_end(), "line 44", "the same line stays at the bottom: {after}");
    assert!(lines_of(&after)[8].starts_with("↓ 15 newer lines"), "{after}");
}
