//! Kinesis streams as the home list and the stream view show them: each stream's status and shard
//! count, and one stream's shards, settings, consumers and key figures from `AWS/Kinesis`.

use anyhow::Context as _;
use aws_sdk_kinesis::Client;
use serde::Serialize;

use super::dashboard::fetch::run_call;
use super::dashboard::metric::MetricSpec;
use super::dashboard::period::{CHART_POINTS, period_for};
use super::dashboard::plan::{Query, QueryBody, TimeRange};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamRow {
    pub name: String,
    pub arn: String,
    pub status: String,
    /// `PROVISIONED` or `ON_DEMAND`.
    pub mode: Option<String>,
    pub open_shards: Option<i32>,
    pub created_ms: Option<i64>,
}

/// Every stream of the account and region, by name.
pub async fn list(client: &Client) -> anyhow::Result<Vec<StreamRow>> {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_streams()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(aws_sdk_kinesis::Error::from)
            .context("ListStreams failed")?;
        for s in out.stream_summaries() {
            rows.push(StreamRow {
                name: s.stream_name().to_string(),
                arn: s.stream_arn().to_string(),
                status: s.stream_status().as_str().to_string(),
                mode: s.stream_mode_details().map(|m| m.stream_mode().as_str().to_string()),
                open_shards: None,
                created_ms: s.stream_creation_timestamp().and_then(|t| t.to_millis().ok()),
            });
        }
        match out.next_token() {
            Some(t) if out.has_more_streams() => token = Some(t.to_string()),
            _ => break,
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShardRow {
    pub shard_id: String,
    pub parent: Option<String>,
    pub adjacent_parent: Option<String>,
    pub starting_hash_key: String,
    pub ending_hash_key: String,
    /// A closed shard has an ending sequence number: it takes no more records.
    pub open: bool,
}

/// One stream: its summary, shards and consumers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamDetail {
    pub row: StreamRow,
    pub retention_hours: i32,
    pub encryption: String,
    pub enhanced_metrics: Vec<String>,
    pub shards: Vec<ShardRow>,
    pub consumers: Vec<String>,
}

pub async fn detail(client: &Client, name: &str) -> anyhow::Result<StreamDetail> {
    let summary = client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("DescribeStreamSummary {name} failed"))?;
    let s = summary.stream_description_summary().with_context(|| format!("stream {name}: no description"))?;
    let row = StreamRow {
        name: s.stream_name().to_string(),
        arn: s.stream_arn().to_string(),
        status: s.stream_status().as_str().to_string(),
        mode: s.stream_mode_details().map(|m| m.stream_mode().as_str().to_string()),
        open_shards: Some(s.open_shard_count()),
        created_ms: s.stream_creation_timestamp().to_millis().ok(),
    };
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    // Kinesis lists shards only while a stream is ACTIVE or UPDATING; before, it has none to show.
    let mut listing = matches!(row.status.as_str(), "ACTIVE" | "UPDATING");
    while listing {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(name),
        };
        let out = req
            .send()
            .await
            .map_err(aws_sdk_kinesis::Error::from)
            .with_context(|| format!("ListShards {name} failed"))?;
        shards.extend(out.shards().iter().map(|sh| ShardRow {
            shard_id: sh.shard_id().to_string(),
            parent: sh.parent_shard_id().map(str::to_string),
            adjacent_parent: sh.adjacent_parent_shard_id().map(str::to_string),
            starting_hash_key: sh.hash_key_range().map(|r| r.starting_hash_key().to_string()).unwrap_or_default(),
            ending_hash_key: sh.hash_key_range().map(|r| r.ending_hash_key().to_string()).unwrap_or_default(),
            open: sh.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none()),
        }));
        token = out.next_token().map(str::to_string);
        listing = token.is_some();
    }
    let consumers = client
        .list_stream_consumers()
        .stream_arn(&row.arn)
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("ListStreamConsumers {name} failed"))?
        .consumers()
        .iter()
        .map(|c| format!("{} ({})", c.consumer_name(), c.consumer_status().as_str()))
        .collect();
    Ok(StreamDetail {
        retention_hours: s.retention_period_hours(),
        encryption: s.encryption_type().map_or("NONE", |e| e.as_str()).to_string(),
        enhanced_metrics: s
            .enhanced_monitoring()
            .iter()
            .flat_map(|m| m.shard_level_metrics())
            .map(|m| m.as_str().to_string())
            .collect(),
        shards,
        consumers,
        row,
    })
}

/// The stream view's key figures: metric, statistic, and what the view calls it. Iterator age is a
/// maximum (the slowest reader is the one that falls behind); the rest are sums per period.
pub const FIGURES: [(&str, &str, &str); 5] = [
    ("IncomingRecords", "Sum", "records in"),
    ("IncomingBytes", "Sum", "bytes in"),
    ("WriteProvisionedThroughputExceeded", "Sum", "throttled writes"),
    ("ReadProvisionedThroughputExceeded", "Sum", "throttled reads"),
    ("GetRecords.IteratorAgeMilliseconds", "Maximum", "iterator age ms"),
];

/// One key figure over the range, a value per period (periods without data are absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub metric: String,
    pub stat: String,
    pub label: String,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
}

/// The key figures of one stream over one range, fetched with one GetMetricData call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamFigures {
    pub range: TimeRange,
    pub period_secs: i64,
    pub figures: Vec<Figure>,
}

/// What the stream view draws: the stream, and its figures or why they could not be read (a role
/// without CloudWatch access still sees the shards).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamView {
    pub detail: StreamDetail,
    pub figures: Result<StreamFigures, String>,
}

/// The GetMetricData queries of the key figures, ids `f0`…`f4` in `FIGURES` order.
pub fn figure_queries(stream: &str, period_secs: i64) -> Vec<Query> {
    FIGURES
        .iter()
        .enumerate()
        .map(|(i, (metric, stat, label))| Query {
            id: format!("f{i}"),
            body: QueryBody::Metric(MetricSpec {
                namespace: "AWS/Kinesis".to_string(),
                metric_name: metric.to_string(),
                dimensions: vec![("StreamName".to_string(), stream.to_string())],
                stat: stat.to_string(),
                period: period_secs,
            }),
            label: Some(label.to_string()),
            return_data: true,
            region: None,
            account_id: None,
        })
        .collect()
}

/// The key figures of `stream` over `range`, at the period that keeps a chart's worth of points
/// for data of `resolution_secs` (1 locally, 60 on AWS).
pub async fn figures(
    client: &aws_sdk_cloudwatch::Client,
    stream: &str,
    range: TimeRange,
    resolution_secs: i64,
) -> anyhow::Result<StreamFigures> {
    let period_secs = period_for(range.secs(), resolution_secs, CHART_POINTS);
    let queries = figure_queries(stream, period_secs);
    let results = run_call(client, range, &queries)
        .await
        .with_context(|| format!("reading the AWS/Kinesis metrics of stream {stream}"))?;
    let figures = queries
        .iter()
        .zip(FIGURES)
        .map(|(q, (metric, stat, label))| {
            let mut points: Vec<(i64, f64)> = results
                .iter()
                .filter(|r| r.id == q.id)
                .flat_map(|r| r.timestamps_ms.iter().copied().zip(r.values.iter().copied()))
                .collect();
            points.sort_by_key(|p| p.0);
            Figure {
                metric: metric.to_string(),
                stat: stat.to_string(),
                label: label.to_string(),
                timestamps_ms: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
            }
        })
        .collect();
    Ok(StreamFigures { range, period_secs, figures })
}

/// The stream and its key figures; a failure of the figures alone is kept beside the stream.
pub async fn view(
    kinesis: &Client,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    name: &str,
    range: TimeRange,
    resolution_secs: i64,
) -> anyhow::Result<StreamView> {
    let detail = detail(kinesis, name).await?;
    let figures = figures(cloudwatch, name, range, resolution_secs).await.map_err(|e| format!("{e:#}"));
    Ok(StreamView { detail, figures })
}

/// A hash key (a decimal below 2^128) as its share of the key space, to one decimal: `0%`, `50%`,
/// `33.3%`; hash keys too long to read tell shards apart by where they start and end.
pub fn key_share(hash_key: &str) -> String {
    let Ok(key) = hash_key.parse::<u128>() else {
        return hash_key.to_string();
    };
    // u128::MAX + 1 is the key space; the top key of the last shard shows as 100%.
    let share = (key as f64 + 1.0) / 2f64.powi(128) * 100.0;
    let share = if key == 0 { 0.0 } else { share };
    let rounded = (share * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 { format!("{rounded:.0}%") } else { format!("{rounded:.1}%") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_keys_read_as_shares_of_the_key_space() {
        assert_eq!(key_share("0"), "0%");
        assert_eq!(key_share("170141183460469231731687303715884105727"), "50%");
        assert_eq!(key_share("340282366920938463463374607431768211455"), "100%");
        assert_eq!(key_share("113427455640312821154458202477256070484"), "33.3%");
        assert_eq!(key_share("not a key"), "not a key");
    }

    #[test]
    fn figures_ask_one_query_per_metric_of_the_stream() {
        let queries = figure_queries("orders", 10);
        assert_eq!(queries.len(), FIGURES.len());
        let QueryBody::Metric(age) = &queries[4].body else { panic!("a metric query") };
        assert_eq!(age.metric_name, "GetRecords.IteratorAgeMilliseconds");
        assert_eq!(age.stat, "Maximum");
        assert_eq!(age.dimensions, vec![("StreamName".to_string(), "orders".to_string())]);
        assert!(queries.iter().all(|q| q.return_data && q.id.starts_with('f')));
    }
}
