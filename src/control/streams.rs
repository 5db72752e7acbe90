//! Kinesis streams as the home list and the stream view show them: each stream's status and shard
//! count, and one stream's shards, settings and consumers.

use anyhow::Context as _;
use aws_sdk_kinesis::Client;
use serde::Serialize;

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
    loop {
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
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
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
