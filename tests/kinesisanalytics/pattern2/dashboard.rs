//! Pattern 2's dashboard, read as `dashboard show` reads it, while its job runs and once it is stopped:
//! uptime, records in and out and a checkpoint size above zero from the real job; stopped, nothing new
//! is published and the downtime alarm goes to ALARM through its missing-data treatment.

use aws_sdk_kinesisanalyticsv2::types::{ApplicationRestoreType, ApplicationStatus};
use serde_json::Value;

use super::{Pipeline, phase_one};
use crate::dashboard_view::{load_view, most, until_view, widget};

async fn dashboard(p: &Pipeline, minutes: i64) -> Value {
    load_view(&p.e, "p2-dashboard", minutes).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_running_job_and_a_stopped_one_publishes_nothing_and_alarms() {
    let p = Pipeline::deploy().await;
    p.start(ApplicationRestoreType::SkipRestoreFromSnapshot).await;
    p.put(&phase_one()).await;
    p.run_for(130).await;

    let view = dashboard(&p, 10).await;
    assert!(most(&view, "Uptime") > 0.0, "{:#}", widget(&view, "Uptime"));
    assert!(most(&view, "Incoming Records (Per Second)") > 0.0, "{:#}", widget(&view, "Incoming Records (Per Second)"));
    assert!(most(&view, "Outgoing Records (Per Second)") > 0.0, "{:#}", widget(&view, "Outgoing Records (Per Second)"));
    assert!(most(&view, "Last Checkpoint Size") > 0.0, "{:#}", widget(&view, "Last Checkpoint Size"));
    let downtime = widget(&view, "Downtime");
    assert_eq!(downtime["alarms"][0]["state"], "OK", "running, the downtime alarm is OK: {downtime:#}");

    p.e.flink.stop_application().application_name(&p.app).send().await.expect("StopApplication");
    p.until(ApplicationStatus::Ready).await;
    let stopped = p.now();
    // The alarm sees a minute without data once that minute has closed and been evaluated.
    let view =
        until_view(&p.e, "p2-dashboard", 2, 300, |v| widget(v, "Downtime")["alarms"][0]["state"] == "ALARM").await;
    let downtime = widget(&view, "Downtime");
    assert_eq!(downtime["alarms"][0]["state"], "ALARM", "missing data is breaching: {downtime:#}");
    let since_stop = (p.now() - stopped) / 1000;
    let view = dashboard(&p, (since_stop / 60 - 1).max(1)).await;
    assert_eq!(most(&view, "Uptime"), 0.0, "a stopped application publishes nothing: {:#}", widget(&view, "Uptime"));
}
