//! A pattern's dashboard read as `dashboard show` reads it (`control::dashboard::fetch::load`), as
//! JSON, for the pattern 2 and pattern 4 tests: a widget by its title in the template, the largest
//! value it draws, the state of the alarm it shows and the newest point it has, and the clock moved
//! until the dashboard shows what a test waits for.

use kinesis_console::control::dashboard::fetch::load;
use kinesis_console::control::dashboard::period::PeriodRule;
use kinesis_console::control::dashboard::plan::TimeRange;
use serde_json::Value;

use crate::Env;
use crate::restarts::advance_seconds;

/// Dashboard `board` over the last `minutes` of the cloud clock, at one-minute periods (the
/// granularity of the `AWS/KinesisAnalytics` metrics).
pub async fn load_view(e: &Env, board: &str, minutes: i64) -> Value {
    let cw = aws_sdk_cloudwatch::Client::new(&e.cloud.sdk_config().await);
    let range = TimeRange::last(minutes * 60, e.cloud.cloud.ctx.clock.now_ms());
    let (_, _, _, view) = load(&cw, board, range, PeriodRule::Fixed(60)).await.expect("the dashboard loads");
    serde_json::to_value(&view).expect("the view as JSON")
}

/// Loads `board` (the last `minutes`) every 10 s of the cloud clock, the clock moved a second at a
/// time so the jobs step, until `shows` holds of it or `seconds` have passed; the last view loaded.
pub async fn until_view(e: &Env, board: &str, minutes: i64, seconds: u64, shows: impl Fn(&Value) -> bool) -> Value {
    let mut view = load_view(e, board, minutes).await;
    for _ in 0..seconds / 10 {
        if shows(&view) {
            break;
        }
        advance_seconds(e, 10).await;
        view = load_view(e, board, minutes).await;
    }
    view
}

pub fn widget<'v>(view: &'v Value, title: &str) -> &'v Value {
    let widgets = view["widgets"].as_array().expect("widgets");
    widgets.iter().find(|w| w["title"] == title).unwrap_or_else(|| panic!("no widget {title}: {view:#}"))
}

/// The largest value any series of widget `title` draws; 0 when it has none.
pub fn most(view: &Value, title: &str) -> f64 {
    let w = widget(view, title);
    let series = w["series"].as_array().expect("series");
    series
        .iter()
        .flat_map(|s| s["values"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_f64())
        .fold(0.0, f64::max)
}

/// The state of the (first) alarm widget `title` shows: `OK`, `ALARM`, `INSUFFICIENT_DATA`.
pub fn alarm_state<'v>(view: &'v Value, title: &str) -> &'v Value {
    &widget(view, title)["alarms"][0]["state"]
}

/// The start (ms) of the newest point any series of widget `title` has.
pub fn newest(view: &Value, title: &str) -> Option<i64> {
    let series = widget(view, title)["series"].as_array().expect("series");
    series
        .iter()
        .flat_map(|s| s["timestamps_ms"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_i64())
        .max()
}
