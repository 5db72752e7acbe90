//! `AWS/KinesisAnalytics` metrics through the local CloudWatch, on the virtual clock: a running
//! application publishes each minute (uptime growing, a checkpoint's size, the process's resource
//! use), a failing one counts its restarts and its downtime, a stopped one publishes nothing, and
//! the pattern 2 template's downtime alarm goes to ALARM through its missing-data treatment.

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, StateValue, Statistic};
use aws_sdk_kinesisanalyticsv2::types::{RuntimeEnvironment, Tag};

use crate::restarts::{advance_seconds, create_failing};
use crate::templates::{create, events, param, physical_id, settle};
use crate::{Env, IDLE, env};

/// Each minute's `stat` of `metric` for application `app`, oldest first.
pub async fn values(e: &Env, app: &str, metric: &str, stat: &str) -> Vec<f64> {
    points(e, app, metric, stat).await.into_iter().map(|(_, v)| v).collect()
}

/// Each minute's (start in ms, `stat`) of `metric` for application `app`, oldest first.
pub async fn points(e: &Env, app: &str, metric: &str, stat: &str) -> Vec<(i64, f64)> {
    let cw = aws_sdk_cloudwatch::Client::new(&e.cloud.sdk_config().await);
    let now = e.cloud.cloud.ctx.clock.now_ms();
    let out = cw
        .get_metric_statistics()
        .namespace("AWS/KinesisAnalytics")
        .metric_name(metric)
        .dimensions(Dimension::builder().name("Application").value(app).build())
        .start_time(DateTime::from_millis(now - 3 * 3_600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .period(60)
        .statistics(Statistic::from(stat))
        .send()
        .await
        .expect("GetMetricStatistics");
    let mut points: Vec<(i64, f64)> = out
        .datapoints()
        .iter()
        .map(|d| {
            let t = d.timestamp().map_or(0, |t| t.to_millis().unwrap_or(0));
            let v = match stat {
                "Maximum" => d.maximum(),
                "Minimum" => d.minimum(),
                _ => d.average(),
            };
            (t, v.unwrap_or(f64::NAN))
        })
        .collect();
    points.sort_by_key(|(t, _)| *t);
    points
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_application_publishes_each_minute_with_uptime_growing_and_a_checkpoint_size() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    advance_seconds(&e, 190).await;

    let uptime = values(&e, "app", "uptime", "Maximum").await;
    assert!(uptime.len() >= 3, "one uptime a minute: {uptime:?}");
    assert!(uptime.windows(2).all(|w| w[1] > w[0]), "uptime grows: {uptime:?}");
    assert!(*uptime.last().unwrap() >= 120_000.0, "{uptime:?}");
    let size = values(&e, "app", "lastCheckpointSize", "Maximum").await;
    assert!(size.last().is_some_and(|s| *s > 0.0), "a checkpoint was taken at 60 s: {size:?}");
    let took = values(&e, "app", "lastCheckpointDuration", "Maximum").await;
    assert!(took.last().is_some_and(|d| *d >= 0.0), "{took:?}");
    for (metric, zero) in [("downtime", true), ("numRestarts", true), ("numberOfFailedCheckpoints", true)] {
        let v = values(&e, "app", metric, "Maximum").await;
        assert!(!v.is_empty() && (!zero || v.iter().all(|x| *x == 0.0)), "{metric}: {v:?}");
    }
    let cpu = values(&e, "app", "cpuUtilization", "Maximum").await;
    assert!(!cpu.is_empty() && cpu.iter().all(|c| (0.0..=100.0).contains(c)), "{cpu:?}");
    let heap = values(&e, "app", "heapMemoryUtilization", "Maximum").await;
    assert!(heap.last().is_some_and(|h| *h > 0.0 && *h < 100.0), "resident memory over a KPU's 3 GiB heap: {heap:?}");
    let threads = values(&e, "app", "threadsCount", "Maximum").await;
    assert!(threads.last().is_some_and(|t| *t >= 2.0), "{threads:?}");
    let gc = values(&e, "app", "oldGenerationGCTime", "Maximum").await;
    assert!(!gc.is_empty() && gc.iter().all(|g| *g == 0.0), "no collector, no collection: {gc:?}");
    let rate = values(&e, "app", "numRecordsInPerSecond", "Average").await;
    assert!(!rate.is_empty() && rate.iter().all(|r| *r == 0.0), "the idle job reads nothing: {rate:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_counts_its_restarts_and_its_downtime_and_a_stopped_app_publishes_nothing() {
    let e = env().await;
    create_failing(&e, "app", RuntimeEnvironment::Flink120, &[("FailAfterSteps", "1")]).await;
    e.start_running("app").await;
    // Failing at every first step, its backoff grows to a minute: most of each minute it is down.
    advance_seconds(&e, 300).await;
    let restarts = values(&e, "app", "numRestarts", "Maximum").await;
    assert!(restarts.windows(2).all(|w| w[1] >= w[0]) && restarts.last().is_some_and(|r| *r >= 5.0), "{restarts:?}");
    let full = values(&e, "app", "fullRestarts", "Maximum").await;
    assert_eq!(full, restarts, "every restart restarts the whole job");
    let down = values(&e, "app", "downtime", "Maximum").await;
    assert!(down.iter().any(|d| *d > 0.0), "downtime while down: {down:?}");
    let up = values(&e, "app", "uptime", "Minimum").await;
    assert!(up.contains(&0.0), "no uptime while down: {up:?}");

    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    let stopped_at = e.cloud.cloud.ctx.clock.now_ms();
    let before = points(&e, "app", "uptime", "Maximum").await.len();
    advance_seconds(&e, 180).await;
    let after = points(&e, "app", "downtime", "Maximum").await;
    assert!(after.iter().all(|(t, _)| *t < stopped_at), "nothing after the stop: {after:?}");
    assert_eq!(points(&e, "app", "uptime", "Maximum").await.len(), before);
}

async fn alarm(cw: &aws_sdk_cloudwatch::Client, name: &str) -> Option<StateValue> {
    let out = cw.describe_alarms().alarm_names(name).send().await.expect("DescribeAlarms");
    out.metric_alarms().first().and_then(|a| a.state_value().cloned())
}

/// Moves the clock 10 s at a time (at most `seconds`) until alarm `name` is in `want`.
async fn until_alarm(e: &Env, cw: &aws_sdk_cloudwatch::Client, name: &str, want: StateValue, seconds: u64) -> bool {
    for _ in 0..seconds / 10 {
        if alarm(cw, name).await == Some(want.clone()) {
            return true;
        }
        advance_seconds(e, 10).await;
    }
    alarm(cw, name).await == Some(want)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pattern_2_downtime_alarm_is_ok_while_the_app_runs_and_goes_to_alarm_once_it_is_stopped() {
    let e = env().await;
    let conf = e.cloud.sdk_config().await;
    let cf = aws_sdk_cloudformation::Client::new(&conf);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    create(&cf, "kpl-kds-kda", "p2", &[param("ApplicationCodeBucket", "code-bucket")]).await;
    let status = settle(&e, &cf, "p2", 300).await;
    assert_eq!(status, Some(StackStatus::CreateComplete), "{}", events(&cf, "p2").await);
    let name = physical_id(&cf, "p2", "Application").await;
    // The idle job stands in for the pattern job: the alarm watches the service's metrics, not the work.
    let d = e.flink.describe_application().application_name(&name).send().await.unwrap();
    let arn = d.application_detail().unwrap().application_arn().to_string();
    let idle = Tag::builder().key("kinesis-console:builtin").value(IDLE).build().unwrap();
    e.flink.tag_resource().resource_arn(arn).tags(idle).send().await.unwrap();

    e.start_running(&name).await;
    let downtime = "p2-kda-downtime";
    assert!(
        until_alarm(&e, &cw, downtime, StateValue::Ok, 240).await,
        "OK while running: {:?}",
        alarm(&cw, downtime).await
    );

    e.flink.stop_application().application_name(&name).send().await.unwrap();
    assert!(
        until_alarm(&e, &cw, downtime, StateValue::Alarm, 300).await,
        "missing data is breaching once stopped: {:?}",
        alarm(&cw, downtime).await
    );
}
