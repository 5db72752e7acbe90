//! Data the view tests feed the console, built in the test (no cloud), and the helpers that drive
//! an `App` to a view: answers carry the generation of the job they answer, as the loop's would.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinesis_console::control::alarms::{AlarmDetail, AlarmMetric, AlarmRow, HistoryEntry};
use kinesis_console::control::dashboard::TimeRange;
use kinesis_console::control::dashboard::fetch::DashboardEntry;
use kinesis_console::control::flink::{AppView, JobFigures};
use kinesis_console::control::production::{RunState, RunStatus};
use kinesis_console::control::record_feed::Page;
use kinesis_console::control::stacks::model::{StackOutput, StackSummary};
use kinesis_console::control::streams::{
    FIGURES, Figure, ShardRow, StreamDetail, StreamFigures, StreamRow, StreamView,
};
use kinesis_console::control::tail::TailRecord;
use kinesis_console::producer::counters::Snapshot;
use kinesis_console::target::Target;
use kinesis_console::ui::action::{Action, Data, Loaded, Request};
use kinesis_console::ui::app::{App, Job};
use kinesis_console::ui::config::Config;
use kinesis_console::ui::header::HeaderInfo;
use kinesis_console::ui::theme::ThemeName;

use super::render::{NOW_MS, local_target};

const MIN: i64 = 60_000;

/// How a snapshot is drawn: a theme with colour, or none (`NO_COLOR`) with block charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Look {
    Dark,
    Light,
    Ascii,
}

pub const LOOKS: [Look; 3] = [Look::Dark, Look::Light, Look::Ascii];

impl Look {
    pub fn name(self) -> &'static str {
        match self {
            Look::Dark => "dark",
            Look::Light => "light",
            Look::Ascii => "ascii",
        }
    }
}

pub fn app_on(target: Target, look: Look, read_only: bool) -> App {
    let header = HeaderInfo { target, read_only, account: None };
    let theme = if look == Look::Light { ThemeName::Light } else { ThemeName::Dark };
    let config = Config { theme, ..Config::default() };
    App::new(header, config, look != Look::Ascii, look == Look::Ascii, NOW_MS)
}

pub fn app_with(look: Look) -> App {
    app_on(local_target(), look, false)
}

pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Types `text` key by key, returning every job the keys started.
pub fn type_text(app: &mut App, text: &str) -> Vec<Job> {
    text.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

/// Answers every job with the data `answer` gives for its request (jobs without one stay open).
pub fn answer(app: &mut App, jobs: &[Job], answer: impl Fn(&Request) -> Option<Data>) -> Vec<Job> {
    let mut more = Vec::new();
    for job in jobs {
        if let Some(data) = answer(&job.request) {
            more.extend(app.update(Action::Loaded(Loaded {
                source: job.source.clone(),
                generation: job.generation,
                result: Ok(data),
            })));
        }
    }
    more
}

/// Opens a view through the palette (`:command`, Enter) and answers its requests from the fixtures.
pub fn open(app: &mut App, command: &str) {
    let mut jobs = type_text(app, &format!(":{command}"));
    jobs.extend(app.update(key(KeyCode::Enter)));
    answer(app, &jobs, fixture);
}

/// The console's home with every list answered.
pub fn home_app(look: Look) -> App {
    let mut app = app_with(look);
    let jobs = app.start();
    answer(&mut app, &jobs, fixture);
    app
}

/// The fixtures' answer to a request.
pub fn fixture(request: &Request) -> Option<Data> {
    Some(match request {
        Request::Stacks => Data::Stacks(stacks()),
        Request::Streams => Data::Streams(streams()),
        Request::Dashboards => Data::Dashboards(dashboards(&["orders-dashboard", "sample-dashboard"])),
        Request::Alarms => Data::Alarms(alarms()),
        Request::Stream { name, .. } if name == "orders" => Data::Stream(Box::new(stream_view())),
        Request::Alarm { name, .. } if name == "orders-iterator-age" => Data::Alarm(Box::new(alarm_detail())),
        Request::ConsoleLog { .. } => Data::ConsoleLog(log_lines(60)),
        Request::StartProducer { target } | Request::Producer { target } if target == "orders" => {
            Data::Producer(Some(Box::new(run_status(10.0, 1_000))))
        }
        Request::Records { target, after: None } if target == "orders" => Data::Records(Box::new(records_page())),
        Request::App { stack } if stack == "prices" => Data::App(Box::new(app_view("RUNNING"))),
        _ => return None,
    })
}

pub fn stacks() -> Vec<StackSummary> {
    vec![
        StackSummary {
            name: "orders".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/orders/1".into(),
            pattern: Some("kds-kdf-s3".into()),
            console_version: Some("0.1.0".into()),
            status: "CREATE_COMPLETE".into(),
            reason: None,
            created_ms: NOW_MS - 3 * 3_600_000,
            updated_ms: None,
            alarms_in_alarm: Some(1),
            parameters: Vec::new(),
            outputs: vec![StackOutput {
                key: "DashboardName".into(),
                value: "orders-dashboard".into(),
                description: None,
                export_name: None,
            }],
        },
        StackSummary {
            name: "clicks".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/clicks/2".into(),
            pattern: Some("apigw-kds-lambda".into()),
            console_version: Some("0.1.0".into()),
            status: "UPDATE_COMPLETE".into(),
            reason: None,
            created_ms: NOW_MS - 2 * 86_400_000,
            updated_ms: Some(NOW_MS - 20 * MIN),
            alarms_in_alarm: Some(0),
            parameters: Vec::new(),
            outputs: Vec::new(),
        },
    ]
}

pub fn streams() -> Vec<StreamRow> {
    ["clicks", "orders", "sample"]
        .iter()
        .enumerate()
        .map(|(i, n)| StreamRow {
            name: n.to_string(),
            arn: format!("arn:aws:kinesis:us-east-1:000000000000:stream/{n}"),
            status: "ACTIVE".into(),
            mode: Some(if i == 0 { "ON_DEMAND" } else { "PROVISIONED" }.into()),
            open_shards: None,
            created_ms: Some(NOW_MS - (i as i64 + 1) * 7 * MIN),
        })
        .collect()
}

pub fn dashboards(names: &[&str]) -> Vec<DashboardEntry> {
    names
        .iter()
        .map(|n| DashboardEntry {
            name: n.to_string(),
            arn: None,
            size: Some(2048),
            last_modified_secs: Some((NOW_MS - 45 * MIN) / 1000),
        })
        .collect()
}

pub fn alarm(name: &str, state: &str, reason: &str, since_min: i64) -> AlarmRow {
    AlarmRow {
        name: name.into(),
        state: state.into(),
        since_ms: Some(NOW_MS - since_min * MIN),
        reason: Some(reason.into()),
        metric: Some("GetRecords.IteratorAgeMilliseconds".into()),
        namespace: Some("AWS/Kinesis".into()),
        dimensions: vec![("StreamName".into(), "orders".into())],
        statistic: Some("Maximum".into()),
        period: Some(60),
        threshold: Some(60_000.0),
        comparison: Some("GreaterThanThreshold".into()),
        actions_enabled: Some(true),
    }
}

pub fn alarms() -> Vec<AlarmRow> {
    vec![
        alarm(
            "orders-iterator-age",
            "ALARM",
            "Threshold Crossed: 1 out of the last 1 datapoints [95000.0 (29/11/26 11:58:00)] were greater than \
             the threshold (60000.0) (minimum 1 datapoint for OK -> ALARM transition).",
            4,
        ),
        alarm(
            "orders-write-throttles",
            "OK",
            "Threshold Crossed: no datapoints were greater than the threshold (0.0).",
            95,
        ),
        alarm("clicks-dlq-depth", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", 2 * 24 * 60),
    ]
}

fn series(points: usize, period_ms: i64, f: impl Fn(usize) -> f64) -> (Vec<i64>, Vec<f64>) {
    let start = NOW_MS - points as i64 * period_ms;
    (0..points).map(|i| (start + i as i64 * period_ms, f(i))).unzip()
}

pub fn stream_view() -> StreamView {
    let range = TimeRange::last(3600, NOW_MS);
    let figures = FIGURES
        .iter()
        .enumerate()
        .map(|(k, (metric, stat, label))| {
            let (timestamps_ms, values) = series(360, 10_000, |i| match k {
                0 => 50.0 + (i % 12) as f64 * 4.0,
                1 => 12_000.0 + (i % 12) as f64 * 900.0,
                2 => {
                    if i % 90 == 0 {
                        3.0
                    } else {
                        0.0
                    }
                }
                3 => 0.0,
                _ => (i % 30) as f64 * 1_000.0,
            });
            Figure {
                metric: metric.to_string(),
                stat: stat.to_string(),
                label: label.to_string(),
                timestamps_ms,
                values,
            }
        })
        .collect();
    let shard = |id: &str, start: &str, end: &str, open: bool, parent: Option<&str>, adjacent: Option<&str>| ShardRow {
        shard_id: id.into(),
        parent: parent.map(str::to_string),
        adjacent_parent: adjacent.map(str::to_string),
        starting_hash_key: start.into(),
        ending_hash_key: end.into(),
        open,
    };
    const HALF: &str = "170141183460469231731687303715884105727";
    const HALF1: &str = "170141183460469231731687303715884105728";
    const TOP: &str = "340282366920938463463374607431768211455";
    StreamView {
        detail: StreamDetail {
            row: StreamRow {
                name: "orders".into(),
                arn: "arn:aws:kinesis:us-east-1:000000000000:stream/orders".into(),
                status: "ACTIVE".into(),
                mode: Some("PROVISIONED".into()),
                open_shards: Some(2),
                created_ms: Some(NOW_MS - 3 * 3_600_000),
            },
            retention_hours: 24,
            encryption: "KMS".into(),
            enhanced_metrics: vec!["IncomingBytes".into(), "IteratorAgeMilliseconds".into()],
            shards: vec![
                shard("shardId-000000000000", "0", TOP, false, None, None),
                shard("shardId-000000000001", "0", HALF, true, Some("shardId-000000000000"), None),
                shard("shardId-000000000002", HALF1, TOP, true, Some("shardId-000000000000"), None),
            ],
            consumers: vec!["orders-analytics (ACTIVE)".into()],
        },
        figures: Ok(StreamFigures { range, period_secs: 10, figures }),
    }
}

pub fn alarm_detail() -> AlarmDetail {
    let (timestamps_ms, values) =
        series(120, MIN, |i| if i >= 110 { 95_000.0 } else { 20_000.0 + (i % 20) as f64 * 1_500.0 });
    AlarmDetail {
        alarm: alarms().remove(0),
        history: vec![
            HistoryEntry {
                timestamp_ms: NOW_MS - 4 * MIN,
                kind: "StateUpdate".into(),
                summary: "Alarm updated from OK to ALARM".into(),
            },
            HistoryEntry {
                timestamp_ms: NOW_MS - 3 * 3_600_000,
                kind: "StateUpdate".into(),
                summary: "Alarm updated from INSUFFICIENT_DATA to OK".into(),
            },
        ],
        metric: Ok(AlarmMetric { range: TimeRange::last(7200, NOW_MS), period_secs: 60, timestamps_ms, values }),
    }
}

pub fn log_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("2026-11-29T11:{:02}:{:02}Z  INFO kinesis_console::ui: line {i}", i / 60 + 30, i % 60))
        .collect()
}

/// A ticker run on `orders` after `secs` seconds with `acked` records acknowledged, spread over two shards.
pub fn run_status(secs: f64, acked: u64) -> RunStatus {
    RunStatus {
        stream: "orders".into(),
        workload: "ticker",
        rate: 100.0,
        aggregate: false,
        state: RunState::Producing,
        counters: Snapshot {
            produced: acked + 12,
            sent: acked + 40,
            acknowledged: acked,
            retried: 28,
            throttled: 28,
            expired: 0,
            failed: 0,
            in_flight: 12,
            possible_duplicates: 0,
            latency_p50_ms: 4.0,
            latency_p99_ms: 31.0,
            per_shard: [
                ("shardId-000000000000".to_string(), acked * 3 / 5),
                ("shardId-000000000001".to_string(), acked * 2 / 5),
            ]
            .into_iter()
            .collect(),
        },
        elapsed_secs: secs,
    }
}

/// Twelve records of `orders`: ticker events on two shards, one of them not JSON.
pub fn records_page() -> Page {
    let records = (0..12u64)
        .map(|i| {
            let data = if i == 7 {
                vec![0xde, 0xad, 0xbe, 0xef]
            } else {
                format!(r#"{{"EVENT_TIME":"2026-11-29T10:00:{i:02}.000","TICKER":"AMZN","PRICE":{}.25}}"#, 100 + i)
                    .into_bytes()
            };
            let record = TailRecord {
                shard_id: format!("shardId-00000000000{}", i % 2),
                sequence_number: format!("4966{:052}", 1_000 + i),
                sub_sequence: None,
                arrival_ms: Some(NOW_MS - (12 - i as i64) * 1_000),
                partition_key: format!("key-{i}"),
                data,
            };
            (i, record)
        })
        .collect();
    Page { stream: "orders".into(), records, missed: 0, caught_up: true, error: None }
}

/// Pattern 2's application in `status`, an hour into its run, with a few log lines.
pub fn app_view(status: &str) -> AppView {
    AppView {
        name: "prices-app".into(),
        status: status.into(),
        version: 3,
        runtime: "FLINK-1_20".into(),
        running_since_ms: (status == "RUNNING").then_some(NOW_MS - 3_600_000),
        last_operation: Some("StartApplication SUCCESSFUL".into()),
        snapshots: 2,
        figures: JobFigures {
            checkpoint_reported_ms: Some(NOW_MS - 60_000),
            checkpoint_duration_ms: Some(4.0),
            checkpoint_size_bytes: Some(1843.0),
            restarts: Some(1.0),
        },
        log: vec![
            "INFO Starting application prices-app (version 3)".into(),
            "INFO Job prices-app switched from state CREATED to RUNNING.".into(),
            "INFO Completed checkpoint 61 for job prices-app (1843 bytes, checkpointDuration=4 ms).".into(),
        ],
    }
}
