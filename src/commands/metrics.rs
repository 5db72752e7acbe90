//! `kinesis-console metrics --stream NAME [--since 15m]`: a stream's key figures per period from
//! `AWS/Kinesis`, read with GetMetricData like any CloudWatch client.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use serde_json::{Value, json};

use super::output::emit;
use crate::cli::{GlobalArgs, MetricsArgs};
use crate::control::dashboard::period::period_for;
use crate::paths::Paths;
use crate::target::{Target, connect};

/// The figures shown: query id, column title, metric name, statistic.
const FIGURES: [(&str, &str, &str, &str); 5] = [
    ("records", "IN RECORDS", "IncomingRecords", "Sum"),
    ("bytes", "IN BYTES", "IncomingBytes", "Sum"),
    ("write_throttled", "WRITE THROTTLED", "WriteProvisionedThroughputExceeded", "Sum"),
    ("read_throttled", "READ THROTTLED", "ReadProvisionedThroughputExceeded", "Sum"),
    ("iterator_age_max", "ITERATOR AGE MAX (ms)", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
];

/// Rows a table shows at most.
const TABLE_ROWS: i64 = 90;

/// The console's one period policy (`control::dashboard::period`), for a table: local data has
/// 1-second resolution (a 15-minute view uses 10-second periods); on AWS the stream metrics are per minute.
pub fn choose_period(range: Duration, local: bool) -> i64 {
    let resolution = if local { 1 } else { 60 };
    period_for(range.as_secs() as i64, resolution, TABLE_ROWS)
}

pub async fn run(args: MetricsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let target = global.target(paths);
    let period = choose_period(args.since, !matches!(target, Target::Aws { .. }));
    let conn = connect(target).await?;
    let client = aws_sdk_cloudwatch::Client::new(&conn.sdk);
    let now_ms = conn.now_ms().await;
    let end_ms = now_ms.div_euclid(period * 1000) * period * 1000 + period * 1000;
    let periods = (args.since.as_millis() as u64).div_ceil(period as u64 * 1000) as i64;
    let start_ms = end_ms - periods * period * 1000;
    let result = fetch(&client, &args.stream, period, start_ms, end_ms).await;
    conn.close().await;
    let series = result?;
    let rows: Vec<Value> = (0..)
        .map(|i| start_ms + i * period * 1000)
        .take_while(|t| *t < end_ms)
        .map(|t| {
            let mut row = json!({ "timestamp": iso(t) });
            for (id, _, name, _) in FIGURES {
                row[name] = series.get(id).and_then(|s| s.get(&t)).copied().map_or(Value::Null, Value::from);
            }
            row
        })
        .collect();
    let value = json!({
        "stream": args.stream,
        "namespace": "AWS/Kinesis",
        "period_seconds": period,
        "start": iso(start_ms),
        "end": iso(end_ms),
        "rows": rows,
    });
    emit(global.output, &value, || table(&args.stream, period, &rows));
    Ok(ExitCode::SUCCESS)
}

type Series = HashMap<&'static str, HashMap<i64, f64>>;

async fn fetch(
    client: &aws_sdk_cloudwatch::Client,
    stream: &str,
    period: i64,
    start_ms: i64,
    end_ms: i64,
) -> anyhow::Result<Series> {
    let dimension = Dimension::builder().name("StreamName").value(stream).build();
    let queries = FIGURES.iter().map(|(id, _, name, stat)| {
        let metric =
            Metric::builder().namespace("AWS/Kinesis").metric_name(*name).dimensions(dimension.clone()).build();
        let stat = MetricStat::builder().metric(metric).period(period as i32).stat(*stat).build();
        MetricDataQuery::builder().id(*id).metric_stat(stat).return_data(true).build()
    });
    let mut pages = client
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(DateTime::from_millis(start_ms))
        .end_time(DateTime::from_millis(end_ms))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send();
    let mut series: Series = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_sdk_cloudwatch::Error::from).context("GetMetricData failed")?;
        for r in page.metric_data_results() {
            let Some((id, ..)) = FIGURES.iter().find(|(id, ..)| Some(*id) == r.id()) else { continue };
            let points = series.entry(id).or_default();
            for (t, v) in r.timestamps().iter().zip(r.values()) {
                points.insert(t.to_millis().unwrap_or(0), *v);
            }
        }
    }
    Ok(series)
}

fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.ok().and_then(|t| t.format(format).ok()).unwrap_or_default()
}

fn table(stream: &str, period: i64, rows: &[Value]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "stream {stream} (AWS/Kinesis), {period}-second periods");
    let _ = write!(out, "{:<20}", "TIME");
    for (_, title, ..) in FIGURES {
        let _ = write!(out, "  {title:>w$}", w = title.len().max(10));
    }
    out.push('\n');
    for row in rows {
        let _ = write!(out, "{:<20}", row["timestamp"].as_str().unwrap_or(""));
        for (_, title, name, _) in FIGURES {
            let cell = row[name].as_f64().map_or("-".to_string(), format_number);
            let _ = write!(out, "  {cell:>w$}", w = title.len().max(10));
        }
        out.push('\n');
    }
    out
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v:.2}") }
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
    fn durations_parse_with_units() {
        // `--since` goes through the crate's one duration rule, bounded to 15 days.
        let parse_since = crate::cli::metrics_range;
        assert_eq!(parse_since("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_since("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_since("3h"), Ok(Duration::from_secs(10_800)));
        assert!(parse_since("15x").is_err());
        assert!(parse_since("0m").is_err());
        assert!(parse_since("16d").is_err());
    }
}
