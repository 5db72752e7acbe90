//! The dashboard view drawn whole: a hand-made dashboard with every widget kind and the four
//! pattern dashboards, each put into an in-process local cloud on a virtual clock with known
//! metric values, read back and refreshed through the SDK (`control::dashboard::fetch`), then
//! drawn with `TestBackend` at 120×40 and 80×24 in the dark and light themes and in ASCII.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDatum, StateValue, Statistic};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use kinesis_console::control::dashboard::plan::{QueryBody, TimeRange, plan};
use kinesis_console::control::dashboard::{PeriodRule, fetch};
use kinesis_console::patterns::catalogue::catalogue;
use kinesis_console::ui::action::{Action, DashboardData, Data, Loaded, Source};
use kinesis_console::ui::app::App;
use kinesis_console::ui::config::{ChartStyle, Config};
use kinesis_console::ui::header::HeaderInfo;
use kinesis_console::ui::screen;
use kinesis_console::ui::theme::ThemeName;
use kinesis_console::ui::view::View;
use kinesis_console::ui::views::dashboard::DashboardScreen;
use kinesis_console::ui::views::dashboard::synth::wave;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use kinesis_console::control::dashboard::WidgetKind;
use kinesis_console::control::logs_insights::{self, LogResults};

use crate::render::{NOW_MS, local_target, text};
use crate::support::TestCloud;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "000000000000";
const STACK: &str = "demo";
const RANGE_SECS: i64 = 15 * 60;

/// Every widget kind: text, lines on two axes with a hidden row, an expression and an
/// annotation, stacked areas, single values, a gauge, a graph of an alarm, an alarm list, a log
/// query, and a widget type the terminal does not draw.
fn hand_made() -> String {
    let arn = |name: &str| format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}");
    json!({"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {
            "markdown": "# Ingest overview\nRecords **in** and *out*; see [the runbook](https://example.com/runbook)"}},
        {"type": "metric", "width": 12, "height": 6, "properties": {
            "title": "Records in and out", "period": 60, "stat": "Sum",
            "metrics": [
                ["Shop", "RecordsIn", "Stream", "orders", {"id": "in"}],
                [".", "RecordsOut", ".", ".", {"id": "out", "visible": false}],
                [{"expression": "in - out", "id": "backlog", "label": "Backlog"}],
                ["Shop", "Latency", "Stream", "orders", {"yAxis": "right", "stat": "Average"}]],
            "yAxis": {"left": {"min": 0, "label": "Records"}},
            "annotations": {"horizontal": [{"value": 1500, "label": "Budget"}]}}},
        {"type": "metric", "width": 12, "height": 6, "properties": {
            "title": "By shard (stacked)", "stacked": true, "period": 60, "stat": "Sum",
            "metrics": [["Shop", "RecordsIn", "Shard", "0"], [".", ".", ".", "1"]]}},
        {"type": "metric", "width": 8, "height": 4, "properties": {
            "title": "Now", "view": "singleValue", "period": 60, "stat": "Sum",
            "metrics": [["Shop", "RecordsIn", "Stream", "orders"], [".", "Latency", ".", ".", {"stat": "Average"}]]}},
        {"type": "metric", "width": 8, "height": 4, "properties": {
            "title": "Latency gauge", "view": "gauge", "period": 60, "stat": "Average",
            "metrics": [["Shop", "Latency", "Stream", "orders"]],
            "yAxis": {"left": {"min": 0, "max": 200}}}},
        {"type": "alarm", "width": 8, "height": 4, "properties": {
            "title": "Alarms", "alarms": [arn("demo-backlog"), arn("demo-latency")]}},
        {"type": "metric", "width": 12, "height": 6, "properties": {
            "title": "Backlog alarm", "annotations": {"alarms": [arn("demo-backlog")]}}},
        {"type": "log", "width": 12, "height": 6, "properties": {
            "title": "Errors", "region": REGION,
            "query": "SOURCE '/aws/lambda/demo-consumer' | fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc"}},
        {"type": "explorer", "width": 24, "height": 2, "properties": {}}
    ]})
    .to_string()
}

/// The pattern's dashboard as a deployment named `demo` in the local account has it.
fn pattern_body(id: &str) -> String {
    let pattern = catalogue().expect("the catalogue").find(id).expect("a pattern");
    let d = pattern.template.dashboard.as_ref().expect("a dashboard");
    let values: BTreeMap<String, String> = d
        .names()
        .expect("names")
        .into_iter()
        .map(|n| {
            let v = match n.as_str() {
                "AWS::Region" => REGION.to_string(),
                "AWS::AccountId" => ACCOUNT.to_string(),
                "AWS::StackName" => STACK.to_string(),
                "AWS::Partition" => "aws".to_string(),
                other => match other.strip_suffix(".Arn") {
                    Some(alarm) => format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{STACK}-{alarm}"),
                    None => format!("{STACK}-{other}"),
                },
            };
            (n, v)
        })
        .collect();
    d.render(&values).expect("the body renders")
}

/// Each alarm the body names, watching its first metric; the first in ALARM.
async fn put_alarms(cw: &Client, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("Shop")
            .metric_name("RecordsIn")
            .dimensions(Dimension::builder().name("Stream").value("orders").build())
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(900.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutMetricAlarm {name}: {e:?}"));
        if i == 0 {
            cw.set_alarm_state()
                .alarm_name(name)
                .state_value(StateValue::Alarm)
                .state_reason("Threshold Crossed: 1 datapoint was greater than the threshold. More follows")
                .send()
                .await
                .expect("SetAlarmState");
        }
    }
}

/// Known values for every metric the dashboard asks for: `wave(q, second)` each second of the
/// range for the q-th metric of the plan, the last one at the range's end (a partial bucket).
/// PutMetricData refuses the `AWS/` namespaces, as AWS does: the services' own metrics go in
/// through the cloud's metric sink, where the local services publish them.
async fn put_known_data(cloud: &TestCloud, cw: &Client, body: &str) {
    let d = kinesis_console::control::dashboard::Dashboard::parse(body).expect("a body");
    let alarms = fetch::describe_alarms(cw, &d.alarm_arns()).await.expect("DescribeAlarms");
    let p = plan(&d, &alarms, TimeRange::last(RANGE_SECS, NOW_MS), PeriodRule::Local);
    let metrics = p.calls.iter().flatten().filter_map(|q| match &q.body {
        QueryBody::Metric(m) => Some(m.clone()),
        QueryBody::Expression { .. } => None,
    });
    for (q, m) in metrics.enumerate() {
        if m.namespace.starts_with("AWS/") {
            let datums = (0..=RANGE_SECS)
                .map(|s| {
                    let t = NOW_MS - RANGE_SECS * 1000 + s * 1000;
                    Datum {
                        namespace: m.namespace.clone(),
                        name: m.metric_name.clone(),
                        dimensions: m.dimensions.clone(),
                        unit: "None".to_string(),
                        timestamp_ms: t,
                        sample: Sample::Value(wave(q, t / 1000)),
                    }
                })
                .collect();
            cloud.cloud.ctx.metric_publisher.publish(datums);
            continue;
        }
        let datums: Vec<MetricDatum> = (0..=RANGE_SECS)
            .map(|s| {
                let t = NOW_MS - RANGE_SECS * 1000 + s * 1000;
                let mut b = MetricDatum::builder()
                    .metric_name(&m.metric_name)
                    .timestamp(DateTime::from_millis(t))
                    .value(wave(q, t / 1000))
                    .storage_resolution(1);
                for (n, v) in &m.dimensions {
                    b = b.dimensions(Dimension::builder().name(n).value(v).build());
                }
                b.build()
            })
            .collect();
        for chunk in datums.chunks(1000) {
            cw.put_metric_data()
                .namespace(&m.namespace)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutMetricData {}: {e:?}", m.metric_name));
        }
    }
}

/// Puts `body` as dashboard `name` with its alarms and data, and refreshes it the way the
/// console's backend does.
async fn load(cloud: &TestCloud, name: &str, body: &str) -> DashboardData {
    let cw = Client::new(&cloud.sdk_config().await);
    cw.put_dashboard().dashboard_name(name).dashboard_body(body).send().await.expect("PutDashboard");
    let d = fetch::get_dashboard(&cw, name).await.expect("GetDashboard");
    let names: Vec<String> = d.alarm_arns().iter().map(|a| a.rsplit(':').next().unwrap_or(a).to_string()).collect();
    put_alarms(&cw, &names).await;
    put_known_data(cloud, &cw, body).await;
    let range = TimeRange::last(RANGE_SECS, NOW_MS);
    let (plan, _, view) = fetch::refresh(&cw, &d, range, PeriodRule::Local).await.expect("a refresh");
    assert_eq!(view.calls, 1, "{name}: one GetMetricData call per refresh");
    let logs_client = aws_sdk_cloudwatchlogs::Client::new(&cloud.sdk_config().await);
    for w in &d.widgets {
        if let WidgetKind::Log(l) = &w.kind {
            for group in l.log_groups() {
                let _ = logs_client.create_log_group().log_group_name(group).send().await;
            }
        }
    }
    let logs = logs_insights::dashboard(&logs_client, &d, range, std::time::Duration::from_secs(5)).await;
    for (i, answer) in &logs {
        assert_eq!(answer, &Ok(LogResults::default()), "{name}: widget {i}: its log group is empty");
    }
    DashboardData { dashboard: d, plan, view, end_ms: NOW_MS, range_secs: RANGE_SECS, logs }
}

#[derive(Clone, Copy)]
enum Look {
    Dark,
    Light,
    Ascii,
}

fn app_with(data: &DashboardData, look: Look, width: u16, height: u16) -> App {
    let config = match look {
        Look::Light => Config { theme: ThemeName::Light, ..Config::default() },
        Look::Ascii => Config { chart_style: ChartStyle::Ascii, ..Config::default() },
        Look::Dark => Config::default(),
    };
    let header = HeaderInfo { target: local_target(), read_only: false, account: None };
    let mut app = App::new(header, config, true, false, NOW_MS);
    let mut view = DashboardScreen::new("demo".into()).with_time_zone(TimeZone::UTC);
    view.on_data(&Source::Dashboard("demo".into()), &Data::Dashboard(Box::new(data.clone())));
    app.views.push(Box::new(view));
    app.update(Action::Resize(width, height));
    app
}

/// The screen's text, and in colour its styles too (what tells dark from light).
fn draw(app: &mut App, look: Look, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let frame = terminal.draw(|f| screen::draw(f, app)).expect("a frame");
    match look {
        Look::Ascii => text(frame.buffer),
        Look::Dark | Look::Light => format!("{:?}", frame.buffer),
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_from_the_local_cloud_draw_every_widget_kind() {
    let cloud = TestCloud::start_virtual().await;
    cloud.cloud.ctx.clock.set_mode(ClockMode::Virtual, Some(NOW_MS));
    let data = load(&cloud, "demo", &hand_made()).await;

    for (look, name) in [(Look::Dark, "dark"), (Look::Light, "light"), (Look::Ascii, "ascii")] {
        for (w, h) in [(120, 40), (80, 24)] {
            let mut app = app_with(&data, look, w, h);
            insta::assert_snapshot!(format!("dashboard_every_kind_{name}_{w}x{h}"), draw(&mut app, look, w, h));
        }
    }

    // Zoomed on the two-axis chart, the cursor three periods back reads each series there.
    let mut app = app_with(&data, Look::Ascii, 120, 40);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('z'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Left);
    }
    insta::assert_snapshot!("dashboard_zoom_cursor_120x40", draw(&mut app, Look::Ascii, 120, 40));

    for id in ["apigw-kds-lambda", "kpl-kds-kda", "kds-kdf-s3", "kds-kda-apigw"] {
        let data = load(&cloud, &format!("{STACK}-{id}"), &pattern_body(id)).await;
        let mut app = app_with(&data, Look::Ascii, 120, 40);
        insta::assert_snapshot!(format!("dashboard_pattern_{id}_120x40"), draw(&mut app, Look::Ascii, 120, 40));
    }
}

#[test]
fn the_dashboard_never_panics_at_any_small_size() {
    let body = kinesis_console::control::dashboard::Dashboard::parse(&hand_made()).expect("a body");
    let data = kinesis_console::ui::views::dashboard::synth::synthesize(
        body,
        &Default::default(),
        RANGE_SECS,
        NOW_MS,
        PeriodRule::Local,
    );
    for w in 1..=40 {
        for h in 1..=12 {
            let mut app = app_with(&data, Look::Dark, w, h);
            draw(&mut app, Look::Ascii, w, h);
            key(&mut app, KeyCode::Char('z'));
            key(&mut app, KeyCode::Left);
            draw(&mut app, Look::Ascii, w, h);
        }
    }
}

#[test]
fn a_paused_dashboard_is_not_refreshed_even_with_a_configured_interval() {
    let body = kinesis_console::control::dashboard::Dashboard::parse(&hand_made()).expect("a body");
    let data = kinesis_console::ui::views::dashboard::synth::synthesize(
        body,
        &Default::default(),
        RANGE_SECS,
        NOW_MS,
        PeriodRule::Local,
    );
    let header = HeaderInfo { target: local_target(), read_only: false, account: None };
    let config = Config { refresh_secs: Some(5), ..Config::default() };
    let mut app = App::new(header, config, true, false, NOW_MS);
    let mut view = DashboardScreen::new("demo".into());
    view.on_data(&Source::Dashboard("demo".into()), &Data::Dashboard(Box::new(data.clone())));
    app.views.push(Box::new(view));
    let jobs = app.update(Action::Tick(NOW_MS + 5_000));
    assert_eq!(jobs.len(), 1, "the configured interval");
    let answer = Data::Dashboard(Box::new(data));
    app.update(Action::Loaded(Loaded {
        source: jobs[0].source.clone(),
        generation: jobs[0].generation,
        result: Ok(answer),
    }));
    key(&mut app, KeyCode::Char('p'));
    assert!(app.update(Action::Tick(NOW_MS + 60_000)).is_empty(), "paused: no refresh");
    assert_eq!(app.update(Action::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE))).len(), 1);
}
