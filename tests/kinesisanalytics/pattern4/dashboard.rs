//! Pattern 4's dashboard, read as `dashboard show` reads it, while its job enriches trips and once
//! it is stopped: uptime, records in and out and a checkpoint size above zero from the real job;
//! stopped, no widget of the application's metrics gains a point and the downtime alarm goes to
//! ALARM through its missing-data treatment (`TreatMissingData: breaching`).

use aws_sdk_kinesisanalyticsv2::types::ApplicationStatus;
use kinesis_console::producer::workloads::taxi::Taxi;
use serde_json::Value;

use super::{NTH, PATIENCE_S, STACK, deploy, put_trips};
use crate::dashboard_view::{alarm_state, load_view, most, newest, until_view, widget};
use crate::env;
use crate::restarts::advance_seconds;

/// The template's `DashboardName`.
const BOARD: &str = "kds-kda-apigw-dashboard";

/// The figures a running job shows, by their widget titles in the template.
const RUNNING: [&str; 4] =
    ["Uptime", "Incoming Records (Per Second)", "Outgoing Records (Per Second)", "Last Checkpoint Size"];

/// Every widget of the template that draws an `AWS/KinesisAnalytics` metric, directly or through
/// the alarm it shows (the sections "Application Health" to "Kinesis Source Metrics").
const FLINK_WIDGETS: [&str; 18] = [
    "Downtime",
    "Uptime",
    "Flink Job Restarts",
    "Number of Failed Checkpoints",
    "Last Checkpoint Duration",
    "Last Checkpoint Size",
    "CPU Utilization",
    "Heap Memory Utilization",
    "Thread Count",
    "Old Generation GC Percent (Over 1 Min)",
    "Old Generation GC Count Rate",
    "Incoming Records (Per Second)",
    "Outgoing Records (Per Second)",
    "Input Watermark",
    "Output Watermark",
    "Event Time Latency",
    "Late Records Dropped",
    "Kinesis MillisBehindLatest",
];

fn running_shown(view: &Value) -> bool {
    RUNNING.iter().all(|t| most(view, t) > 0.0) && alarm_state(view, "Downtime") == "OK"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_running_job_and_a_stopped_one_publishes_nothing_and_alarms() {
    let e = env().await;
    let stack = deploy(&e).await;
    assert_eq!(format!("{STACK}-dashboard"), BOARD);
    e.start_running(&stack.app).await;
    let mut taxi = Taxi::new(3, 6480.0).expect("the taxi workload");
    let ids = put_trips(&e, &stack, &mut taxi, 400).await;
    assert!(ids.iter().any(|id| id % NTH == 0), "some trips are sampled, so some are enriched");

    // The job reads the trips, the API answers the sampled ones and a checkpoint (60 s) is taken;
    // each minute's figures show once that minute is published.
    let view = until_view(&e, BOARD, 10, u64::from(PATIENCE_S), running_shown).await;
    for title in RUNNING {
        assert!(most(&view, title) > 0.0, "{title}: {:#}", widget(&view, title));
    }
    let downtime = widget(&view, "Downtime");
    assert_eq!(alarm_state(&view, "Downtime"), "OK", "running, the downtime alarm is OK: {downtime:#}");

    let stop_sent = e.cloud.cloud.ctx.clock.now_ms();
    e.flink.stop_application().application_name(&stack.app).send().await.expect("StopApplication");
    // The alarm sees a minute without data once that minute has closed and been evaluated.
    let view = until_view(&e, BOARD, 2, u64::from(PATIENCE_S), |v| alarm_state(v, "Downtime") == "ALARM").await;
    let downtime = widget(&view, "Downtime");
    assert_eq!(alarm_state(&view, "Downtime"), "ALARM", "missing data is breaching: {downtime:#}");
    assert_eq!(e.status(&stack.app).await, ApplicationStatus::Ready);

    // Two whole minutes after the stop, in which a running application would have published twice.
    let quiet_until = stop_sent + 180_000;
    let left_s = (quiet_until - e.cloud.cloud.ctx.clock.now_ms()).max(0) / 1000;
    advance_seconds(&e, u64::try_from(left_s).unwrap_or(0)).await;
    let view = load_view(&e, BOARD, 20).await;
    assert!(newest(&view, "Uptime").is_some(), "the minutes it ran are still drawn: {:#}", widget(&view, "Uptime"));
    for title in FLINK_WIDGETS {
        let last = newest(&view, title);
        assert!(
            last.is_none_or(|t| t <= stop_sent),
            "{title} has a point at {last:?}, after the stop was sent at {stop_sent}: {:#}",
            widget(&view, title)
        );
    }
}
