//! Where the engine's requests go: Kinesis PutRecords through the SDK (`KinesisSink`), or a pattern's REST
//! API in front of the stream (`rest_sink.rs`). A sink sends one batch and says, per record, whether the
//! stream took it, or why the whole call failed and whether a retry is safe; pacing, queues, backoff and
//! counting stay in the engine, the same for every sink.

use std::sync::Arc;

use anyhow::Context as _;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::operation::put_records::PutRecordsError;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use futures_util::future::BoxFuture;

/// One Kinesis record of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

/// What the stream answered for one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordResult {
    Acknowledged { shard_id: Option<String> },
    Failed { code: String },
}

/// How a whole call failed, as far as retrying it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The stream or the API refused for rate: retry after a backoff.
    Throttled,
    /// A server error: retry after a backoff.
    Retryable,
    /// The answer was lost (timeout, connection): retry, but the records may have landed already.
    MaybeLanded,
    /// No retry mends it (no such stream, no permission, a malformed request).
    Fatal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct CallFailure {
    pub kind: FailureKind,
    /// The call, named for the operator ("PutRecords on stream orders").
    pub what: String,
    pub message: String,
}

pub type SinkAnswer = Result<Vec<RecordResult>, CallFailure>;

pub trait Sink: Send + Sync {
    /// The most records one call takes (500 for PutRecords).
    fn max_records(&self) -> usize;

    /// Whether a record carries binary data as it is (PutRecords) rather than as text (a JSON API), which
    /// KPL aggregation needs.
    fn takes_binary(&self) -> bool {
        true
    }

    /// Sends one batch. Answers pair with records by position; fewer answers than records leave the rest
    /// unknown, and the engine sends them again.
    fn put(&self, records: Vec<SinkRecord>) -> BoxFuture<'static, SinkAnswer>;
}

/// PutRecords through aws-sdk-kinesis, with the client's own retries off so the engine sees every failure.
pub struct KinesisSink {
    client: Client,
    stream: String,
}

impl KinesisSink {
    pub fn new(sdk: &aws_config::SdkConfig, stream: &str) -> KinesisSink {
        let conf = aws_sdk_kinesis::config::Builder::from(sdk).retry_config(RetryConfig::disabled()).build();
        KinesisSink { client: Client::from_conf(conf), stream: stream.to_string() }
    }
}

impl Sink for KinesisSink {
    fn max_records(&self) -> usize {
        500
    }

    fn put(&self, records: Vec<SinkRecord>) -> BoxFuture<'static, SinkAnswer> {
        let what = format!("PutRecords on stream {}", self.stream);
        let entries: Result<Vec<PutRecordsRequestEntry>, _> = records
            .into_iter()
            .map(|r| {
                PutRecordsRequestEntry::builder()
                    .partition_key(r.partition_key)
                    .set_explicit_hash_key(r.explicit_hash_key)
                    .data(Blob::new(r.data))
                    .build()
            })
            .collect();
        let call = self.client.put_records().stream_name(&self.stream);
        Box::pin(async move {
            // The builder fails only without a key or data, which every record has.
            let entries = entries.context("a record without a partition key").map_err(|e| CallFailure {
                kind: FailureKind::Fatal,
                what: what.clone(),
                message: format!("{e:#}"),
            })?;
            match call.set_records(Some(entries)).send().await {
                Ok(out) => Ok(out
                    .records()
                    .iter()
                    .map(|r| match r.error_code() {
                        None => RecordResult::Acknowledged { shard_id: r.shard_id().map(str::to_string) },
                        Some(code) => RecordResult::Failed { code: code.to_string() },
                    })
                    .collect()),
                Err(e) => Err(CallFailure { kind: kind_of(&e), what, message: describe(&e) }),
            }
        })
    }
}

fn kind_of(e: &SdkError<PutRecordsError>) -> FailureKind {
    match e {
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or_default();
            if matches!(
                code,
                "ProvisionedThroughputExceededException"
                    | "LimitExceededException"
                    | "ThrottlingException"
                    | "KMSThrottlingException"
            ) {
                FailureKind::Throttled
            } else if s.raw().status().is_server_error() || matches!(code, "InternalFailure" | "ServiceUnavailable") {
                FailureKind::Retryable
            } else {
                FailureKind::Fatal
            }
        }
        // The request may have reached the stream before the answer was lost.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            FailureKind::MaybeLanded
        }
        _ => FailureKind::Fatal,
    }
}

/// The SDK's error with its code and message, as one line.
fn describe(e: &SdkError<PutRecordsError>) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => format!("{}", aws_smithy_types::error::display::DisplayErrorContext(e)),
    }
}

/// A sink shared by the engine's request tasks.
pub type SharedSink = Arc<dyn Sink>;
