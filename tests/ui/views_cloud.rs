//! The stream and alarm views' data read through the SDK from a local cloud with a known load: the
//! shards as ListShards gives them, the key figures from one GetMetricData call, an alarm's metric
//! at its own statistic and period, and both drawn by the console.

use std::time::Duration;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::control::dashboard::TimeRange;
use kinesis_console::control::{alarms, streams};
use kinesis_console::ui::action::{Action, Data, Loaded, Request, Source};

use super::render::screen;
use super::support::TestCloud;
use super::views_fixtures::{Look, app_with, key, type_text};

#[tokio::test]
async fn the_stream_and_alarm_views_show_what_the_cloud_holds() {
    let cloud = TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.clock = ClockMode::Virtual;
    })
    .await;
    let conf = cloud.sdk_config().await;
    let k = aws_sdk_kinesis::Client::new(&conf);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    k.create_stream().stream_name("orders").shard_count(2).send().await.expect("CreateStream");
    let records: Vec<PutRecordsRequestEntry> = (0..30)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("k{i}"))
                .data(Blob::new(format!("{{\"n\":{i}}}")))
                .build()
                .expect("an entry")
        })
        .collect();
    let out = k.put_records().stream_name("orders").set_records(Some(records)).send().await.expect("PutRecords");
    assert_eq!(out.failed_record_count(), Some(0));
    // The second's metrics are published once the clock has moved past it.
    cloud.advance(Duration::from_millis(1500));
    k.describe_limits().send().await.expect("DescribeLimits brings Kinesis up to the clock");
    let now = cloud.cloud.ctx.clock.now_ms();

    let view = streams::view(&k, &cw, "orders", TimeRange::last(900, now + 10_000), 1).await.expect("the stream");
    assert_eq!(view.detail.shards.len(), 2);
    assert_eq!(key_range(&view.detail.shards[1]), ("50%".to_string(), "100%".to_string()));
    let figures = view.figures.as_ref().expect("the figures");
    assert_eq!(figures.period_secs, 10, "15 minutes of local data in 10-second periods");
    let incoming = &figures.figures[0];
    assert_eq!(incoming.metric, "IncomingRecords");
    assert_eq!(incoming.values.iter().sum::<f64>(), 30.0, "{incoming:?}");

    cw.put_metric_alarm()
        .alarm_name("orders-incoming")
        .namespace("AWS/Kinesis")
        .metric_name("IncomingRecords")
        .dimensions(Dimension::builder().name("StreamName").value("orders").build())
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
    let detail = alarms::detail(&cw, "orders-incoming", now + 60_000, 86_400).await.expect("the alarm");
    let metric = detail.metric.as_ref().expect("a single-metric alarm's metric");
    assert_eq!(metric.period_secs, 60);
    assert_eq!(metric.values.iter().sum::<f64>(), 30.0, "{metric:?}");
    assert_eq!(detail.alarm.threshold, Some(10.0));

    // The console draws both from these answers.
    let mut app = app_with(Look::Dark);
    let mut jobs = type_text(&mut app, ":stream orders");
    jobs.extend(app.update(key(crossterm::event::KeyCode::Enter)));
    let job = jobs.iter().find(|j| matches!(j.request, Request::Stream { .. })).expect("a stream job");
    app.update(Action::Loaded(Loaded {
        source: Source::Stream("orders".into()),
        generation: job.generation,
        result: Ok(Data::Stream(Box::new(view))),
    }));
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("Shards (2)") && s.contains("50%–100%"), "{s}");
    let records_line = s.lines().find(|l| l.contains("records in")).expect("the records line");
    assert!(records_line.split_whitespace().any(|w| w == "30"), "{records_line}");
}

fn key_range(s: &streams::ShardRow) -> (String, String) {
    (streams::key_share(&s.starting_hash_key), streams::key_share(&s.ending_hash_key))
}
