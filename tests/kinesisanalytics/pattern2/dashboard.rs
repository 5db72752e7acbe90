//! Pattern 2's dashboard, read as `dashboard show` reads it, while its job runs and once it is stopped:
//! uptime, records in and out and a checkpoint size above zero from the real job; stopped, nothing new
//! is published and the downtime alarm goes to ALARM through its missing-data treatment.

use aws_sdk_kinesisanalyticsv2::types::{ApplicationRestoreType, ApplicationStatus};
use kinesis_console::control::dashboard::fetch::load;
use kinesis_console::control::dashboard::period::PeriodRule;
use kinesis_console::control::dashboard::plan::TimeRange;
use serde_json::Value;

use super::{Pipeline, phase_one};

fn widget<'v>(view: &'v Value, title: &str) -> &'v Value {
    let widgets = view["widgets"].as_array().expect("widgets");
    widgets.iter().find(|w| w["title"] == title).unwrap_or_else(|| panic!("no widget {title}: {view:#}"))
}

fn most(view: &Value, title: &str) -> f64 {
    let w = widget(view, title);
    let series = w["series"].as_array().expect("series");
    series
        .iter()
        .flat_map(|s| s["values"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_f64())
        .fold(0.0, f64::max)
}

async fn dashboard(p: &Pipeline, minutes: i64) -> Value {
    let cw = aws_sdk_cloudwatch::Client::new(&p.e.cloud.sdk_config().await);
    let range = TimeRange::last(minutes * 60, p.now());
    let board = "p2-dashboard".to_string();
    let (_, _, _, view) = load(&cw, &board, range, PeriodRule::Fixed(60)).await.expect("the dashboard loads");
    serde_json::to_value(&view).expect("the view as JSON")
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
    let mut view = dashboard(&p, 2).await;
    for _ in 0..30 {
        if widget(&view, "Downtime")["alarms"][0]["state"] == "ALARM" {
            break;
        }
        p.run_for(10).await;
        view = dashboard(&p, 2).await;
    }
    let downtime = widget(&view, "Downtime");
    assert_eq!(downtime["alarms"][0]["state"], "ALARM", "missing data is breaching: {downtime:#}");
    let since_stop = (p.now() - stopped) / 1000;
    let view = dashboard(&p, (since_stop / 60 - 1).max(1)).await;
    assert_eq!(most(&view, "Uptime"), 0.0, "a stopped application publishes nothing: {:#}", widget(&view, "Uptime"));
}
