//! Stream settings: retention (Increase/DecreaseStreamRetentionPeriod), server-side encryption
//! (Start/StopStreamEncryption), shard-level metrics (Enable/DisableEnhancedMonitoring), the record
//! size limit (UpdateMaxRecordSize, CreateStream's `MaxRecordSizeInKiB`) and warm throughput
//! (UpdateStreamWarmThroughput, CreateStream's `WarmThroughputMiBps`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{DEFAULT_MAX_RECORD_KIB, MAX_RECORD_KIB, Mode, Status};
use super::op::{Op, StreamRef, parse};
use super::validate::{Checks, invalid};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
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

/// CreateStream's record size and warm throughput members.
#[derive(Deserialize, Default)]
pub struct CreateLimits {
    #[serde(rename = "MaxRecordSizeInKiB")]
    max_record_size_in_kib: Option<i64>,
    #[serde(rename = "WarmThroughputMiBps")]
    warm_throughput_mibps: Option<i64>,
    #[serde(rename = "RecordDistributionStrategy")]
    record_distribution_strategy: Option<String>,
}

impl CreateLimits {
    pub fn check(&self, c: &mut Checks) {
        c.range(
            "maxRecordSizeInKiB",
            self.max_record_size_in_kib,
            DEFAULT_MAX_RECORD_KIB.into(),
            MAX_RECORD_KIB.into(),
        );
        c.range("warmThroughputMiBps", self.warm_throughput_mibps, 0, i64::from(i32::MAX));
        c.one_of(
            "recordDistributionStrategy",
            self.record_distribution_strategy.as_deref(),
            &["AUTO", "USER_PARTITION_KEY"],
        );
    }

    /// Refuses a warm throughput or a record distribution the new stream cannot have (after
    /// [`CreateLimits::check`]). Service-managed distribution (`AUTO`) is for on-demand streams only,
    /// and the local cloud always routes by partition key.
    pub fn check_for_mode(&self, name: &str, mode: Mode) -> Result<(), ApiError> {
        if self.warm_throughput_mibps.is_some() {
            return Err(warm_refused(name, mode));
        }
        if self.record_distribution_strategy.as_deref() == Some("AUTO") {
            return Err(invalid(match mode {
                Mode::Provisioned => format!(
                    "Stream {name} under account {LOCAL_ACCOUNT_ID} is in PROVISIONED mode; the AUTO record \
                     distribution strategy is only supported for streams in ON_DEMAND mode."
                ),
                Mode::OnDemand => format!(
                    "The AUTO record distribution strategy is not supported by the local cloud (stream {name}); \
                     its streams route records by partition key (USER_PARTITION_KEY)."
                ),
            }));
        }
        Ok(())
    }

    pub fn max_record_kib(&self) -> u32 {
        self.max_record_size_in_kib.map_or(DEFAULT_MAX_RECORD_KIB, |k| k as u32)
    }
}

/// Why a stream cannot be warmed: provisioned streams never can; on-demand ones need the account's
/// MinimumThroughputBillingCommitment, which the local account does not have (DescribeAccountSettings
/// says DISABLED).
pub fn warm_refused(name: &str, mode: Mode) -> ApiError {
    match mode {
        Mode::Provisioned => invalid(format!(
            "Stream {name} under account {LOCAL_ACCOUNT_ID} is in PROVISIONED mode; warm throughput is only supported \
             for streams in ON_DEMAND mode."
        )),
        Mode::OnDemand => invalid(format!(
            "Warm throughput for stream {name} requires MinimumThroughputBillingCommitment to be enabled for the \
             account {LOCAL_ACCOUNT_ID}."
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MaxRecordSizeInput {
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    stream_id: Option<String>,
    #[serde(rename = "MaxRecordSizeInKiB")]
    max_record_size_in_kib: Option<i64>,
}

/// UpdateMaxRecordSize: takes effect at once for the records written after it; records already
/// stored keep their size.
pub fn update_max_record_size(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: MaxRecordSizeInput = parse(input)?;
    let stream_ref = StreamRef { stream_name: None, stream_arn: i.stream_arn };
    let mut c = Checks::new();
    stream_ref.check(&mut c);
    c.len("streamId", i.stream_id.as_deref(), 1, 24);
    c.required("maxRecordSizeInKiB", &i.max_record_size_in_kib).range(
        "maxRecordSizeInKiB",
        i.max_record_size_in_kib,
        DEFAULT_MAX_RECORD_KIB.into(),
        MAX_RECORD_KIB.into(),
    );
    c.finish()?;
    let kib = i.max_record_size_in_kib.unwrap_or_default() as u32;
    op.mutate(&stream_ref, |inner| {
        inner.meta.max_record_kib = kib;
        Ok(json!({}))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WarmThroughputInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    stream_id: Option<String>,
    #[serde(rename = "WarmThroughputMiBps")]
    warm_throughput_mibps: Option<i64>,
}

/// UpdateStreamWarmThroughput: validated and answered as AWS does for an account without
/// MinimumThroughputBillingCommitment, the only kind the local cloud has.
pub fn update_warm_throughput(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: WarmThroughputInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.len("streamId", i.stream_id.as_deref(), 1, 24);
    c.required("warmThroughputMiBps", &i.warm_throughput_mibps).range(
        "warmThroughputMiBps",
        i.warm_throughput_mibps,
        0,
        i64::from(i32::MAX),
    );
    c.finish()?;
    let stream = op.stream(&i.stream_ref)?;
    let inner = stream.read();
    Err(warm_refused(&inner.meta.name, inner.meta.mode))
}
