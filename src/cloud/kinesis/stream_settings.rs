//! Stream settings: retention (Increase/DecreaseStreamRetentionPeriod), server-side encryption
//! (Start/StopStreamEncryption) and shard-level metrics (Enable/DisableEnhancedMonitoring).

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::Status;
use super::op::{Op, StreamRef, parse};
use super::validate::{Checks, invalid};
use crate::cloud::error::ApiError;

pub const MIN_RETENTION_HOURS: i64 = 24;
pub const MAX_RETENTION_HOURS: i64 = 8760;
pub const SHARD_METRICS: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetentionInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    retention_period_hours: Option<i64>,
}

pub fn change_retention(op: &Op, input: Value, increase: bool) -> Result<Value, ApiError> {
    let i: RetentionInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("retentionPeriodHours", &i.retention_period_hours).range(
        "retentionPeriodHours",
        i.retention_period_hours,
        1,
        8760 * 10,
    );
    c.finish()?;
    let hours = i.retention_period_hours.unwrap_or_default();
    if hours < MIN_RETENTION_HOURS {
        return Err(invalid(format!(
            "Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. Requested retention period ({hours} hours) is too short."
        )));
    }
    if hours > MAX_RETENTION_HOURS {
        return Err(invalid(format!(
            "Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested retention period ({hours} hours) is too long."
        )));
    }
    op.mutate(&i.stream_ref, |inner| {
        let m = &mut inner.meta;
        let current = m.retention_hours as i64;
        if increase && hours < current {
            return Err(invalid(format!(
                "Requested retention period ({hours} hours) for stream {} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API.",
                m.name
            )));
        }
        if !increase && hours > current {
            return Err(invalid(format!(
                "Requested retention period ({hours} hours) for stream {} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API.",
                m.name
            )));
        }
        m.retention_hours = hours as u32;
        Ok(json!({}))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EncryptionInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    encryption_type: Option<String>,
    key_id: Option<String>,
}

pub fn encryption(op: &Op, input: Value, start: bool) -> Result<Value, ApiError> {
    let i: EncryptionInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("encryptionType", &i.encryption_type).one_of(
        "encryptionType",
        i.encryption_type.as_deref(),
        &["NONE", "KMS"],
    );
    c.required("keyId", &i.key_id).len("keyId", i.key_id.as_deref(), 1, 2048);
    c.finish()?;
    if i.encryption_type.as_deref() != Some("KMS") {
        return Err(invalid("EncryptionType must be KMS."));
    }
    let end = op.transition_end();
    op.mutate(&i.stream_ref, |inner| {
        inner.meta.encryption_key = if start { i.key_id.clone() } else { None };
        if end.is_some() {
            inner.meta.status = Status::Updating;
            inner.meta.transition_at_ms = end;
        }
        Ok(json!({}))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MonitoringInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    shard_level_metrics: Option<Vec<String>>,
}

pub fn monitoring(op: &Op, input: Value, enable: bool) -> Result<Value, ApiError> {
    let i: MonitoringInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("shardLevelMetrics", &i.shard_level_metrics);
    let wanted = i.shard_level_metrics.unwrap_or_default();
    if i.stream_ref.stream_name.is_some() || i.stream_ref.stream_arn.is_some() {
        if wanted.is_empty() {
            c.custom("'[]'".into(), "shardLevelMetrics", "have length greater than or equal to 1");
        }
        if wanted.len() > 7 {
            c.custom(format!("'{wanted:?}'"), "shardLevelMetrics", "have length less than or equal to 7");
        }
    }
    for m in &wanted {
        c.one_of("shardLevelMetrics", Some(m), SHARD_METRICS);
    }
    c.finish()?;
    let all = wanted.iter().any(|m| m == "ALL");
    let selected: Vec<&str> =
        SHARD_METRICS[..7].iter().copied().filter(|m| all || wanted.iter().any(|w| w == m)).collect();
    op.mutate_any(&i.stream_ref, |inner| {
        let m = &mut inner.meta;
        let current = m.enhanced_metrics.clone();
        if enable {
            for s in &selected {
                if !m.enhanced_metrics.iter().any(|e| e == s) {
                    m.enhanced_metrics.push(s.to_string());
                }
            }
            m.enhanced_metrics.sort_by_key(|e| SHARD_METRICS.iter().position(|s| s == e));
        } else {
            m.enhanced_metrics.retain(|e| !selected.contains(&e.as_str()));
        }
        Ok(json!({
            "StreamName": m.name,
            "StreamARN": m.arn(),
            "CurrentShardLevelMetrics": current,
            "DesiredShardLevelMetrics": m.enhanced_metrics,
        }))
    })
}
