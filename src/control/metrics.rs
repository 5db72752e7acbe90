//! A stream's key figures per period from `AWS/Kinesis`, read with one paged GetMetricData call
//! like any CloudWatch client. `metrics` prints them; the period comes from the console's one
//! period policy (`dashboard::period::period_for`).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};

use super::dashboard::period::period_for;

/// One figure of the table: its query id, column title, metric name and statistic.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub id: &'static str,
    pub title: &'static str,
    pub metric: &'static str,
    pub stat: &'static str,
}

const fn figure(id: &'static str, title: &'static str, metric: &'static str, stat: &'static str) -> Figure {
    Figure { id, title, metric, stat }
}

/// The figures shown, in column order.
pub const FIGURES: [Figure; 5] = [
    figure("records", "IN RECORDS", "IncomingRecords", "Sum"),
    figure("bytes", "IN BYTES", "IncomingBytes", "Sum"),
    figure("write_throttled", "WRITE THROTTLED", "WriteProvisionedThroughputExceeded", "Sum"),
    figure("read_throttled", "READ THROTTLED", "ReadProvisionedThroughputExceeded", "Sum"),
    figure("iterator_age_max", "ITERATOR AGE MAX (ms)", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
];

/// Rows a table shows at most.
const TABLE_ROWS: i64 = 90;

/// The console's one period policy for a table: local data has 1-second resolution (a 15-minute
/// view uses 10-second periods); on AWS the stream metrics are per minute.
pub fn choose_period(range: Duration, local: bool) -> i64 {
    let resolution = if local { 1 } else { 60 };
    period_for(i64::try_from(range.as_secs()).unwrap_or(i64::MAX), resolution, TABLE_ROWS)
}

/// The periods a table of `range` ending at `now_ms` covers: whole periods, the last one holding
/// `now_ms` (so the newest, still-filling period is shown), as many as `range` needs.
pub fn window(now_ms: i64, range: Duration, period: i64) -> (i64, i64) {
    let period_ms = period.max(1) * 1000;
    let end_ms = now_ms.div_euclid(period_ms) * period_ms + period_ms;
    let periods = i64::try_from(range.as_millis().div_ceil(period_ms as u128)).unwrap_or(i64::MAX);
    (end_ms.saturating_sub(periods.saturating_mul(period_ms)), end_ms)
}

/// One period's figures, in [`FIGURES`] order; `None` where CloudWatch has no data point.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    pub timestamp_ms: i64,
    pub values: [Option<f64>; FIGURES.len()],
}

/// A stream's figures over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFigures {
    pub stream: String,
    pub period_secs: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    /// One row per period from `start_ms`, oldest first, gaps included.
    pub rows: Vec<FigureRow>,
}

/// The figures of `stream` over `range` ending at `now_ms` (the target's clock), with periods for
/// local (1-second) or AWS (1-minute) data.
pub async fn stream_figures(
    client: &Client,
    stream: &str,
    range: Duration,
    local: bool,
    now_ms: i64,
) -> anyhow::Result<StreamFigures> {
    let period = choose_period(range, local);
    let (start_ms, end_ms) = window(now_ms, range, period);
    let points = fetch(client, stream, period, start_ms, end_ms).await?;
    Ok(StreamFigures {
        stream: stream.to_string(),
        period_secs: period,
        start_ms,
        end_ms,
        rows: rows(&points, period, start_ms, end_ms),
    })
}

/// Per figure: timestamp → value.
type Points = HashMap<&'static str, HashMap<i64, f64>>;

fn rows(points: &Points, period: i64, start_ms: i64, end_ms: i64) -> Vec<FigureRow> {
    (0..)
        .map(|i| start_ms + i * period * 1000)
        .take_while(|t| *t < end_ms)
        .map(|t| FigureRow {
            timestamp_ms: t,
            values: FIGURES.map(|f| points.get(f.id).and_then(|s| s.get(&t)).copied()),
        })
        .collect()
}

async fn fetch(client: &Client, stream: &str, period: i64, start_ms: i64, end_ms: i64) -> anyhow::Result<Points> {
    let dimension = Dimension::builder().name("StreamName").value(stream).build();
    let period_i32 = i32::try_from(period).with_context(|| format!("period of {period} seconds is too long"))?;
    let queries = FIGURES.iter().map(|f| {
        let metric =
            Metric::builder().namespace("AWS/Kinesis").metric_name(f.metric).dimensions(dimension.clone()).build();
        let stat = MetricStat::builder().metric(metric).period(period_i32).stat(f.stat).build();
        MetricDataQuery::builder().id(f.id).metric_stat(stat).return_data(true).build()
    });
    let mut pages = client
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(DateTime::from_millis(start_ms))
        .end_time(DateTime::from_millis(end_ms))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send();
    let mut points: Points = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("GetMetricData for stream {stream} failed"))?;
        for r in page.metric_data_results() {
            let Some(f) = FIGURES.iter().find(|f| Some(f.id) == r.id()) else { continue };
            let series = points.entry(f.id).or_default();
            for (t, v) in r.timestamps().iter().zip(r.values()) {
                if let Ok(ms) = t.to_millis() {
                    series.insert(ms, *v);
                }
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_range_and_the_target() {
        assert_eq!(choose_period(Duration::from_secs(15 * 60), true), 10);
        assert_eq!(choose_period(Duration::from_secs(15 * 60), false), 60);
        assert_eq!(choose_period(Duration::from_secs(3600), true), 60);
        assert_eq!(choose_period(Duration::from_secs(3 * 3600), true), 300);
        assert_eq!(choose_period(Duration::from_secs(30 * 60), true), 60);
    }

    #[test]
    fn the_window_ends_with_the_period_holding_now() {
        assert_eq!(window(95_000, Duration::from_secs(60), 10), (40_000, 100_000));
        assert_eq!(window(100_000, Duration::from_secs(60), 10), (50_000, 110_000));
        // A range that is not a whole number of periods gets one more.
        assert_eq!(window(0, Duration::from_secs(65), 10), (-60_000, 10_000));
    }

    #[test]
    fn rows_cover_every_period_with_gaps_as_none() {
        let mut points: Points = HashMap::new();
        points.entry("records").or_default().insert(10_000, 5.0);
        points.entry("iterator_age_max").or_default().insert(20_000, 300.0);
        let rows = rows(&points, 10, 0, 30_000);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].values, [None; 5]);
        assert_eq!(rows[1].values[0], Some(5.0));
        assert_eq!(rows[2].timestamp_ms, 20_000);
        assert_eq!(rows[2].values[4], Some(300.0));
    }
}
