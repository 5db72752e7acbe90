//! A stack's dead-letter queue through aws-sdk-sqs: found among the stack's resources (the
//! `AWS::SQS::Queue` whose logical id is `DeadLetterQueue`, as pattern 1's template names it, or the
//! stack's only queue), peeked without consuming, and purged. Each message is read as the invocation
//! record Lambda sends to a Kinesis event source mapping's on-failure destination (requestContext,
//! responseContext, version, timestamp, KinesisBatchInfo), which names the stream positions of the
//! failed batch; a message of another shape is kept as it is.
//!
//! Peeking receives with a visibility timeout of 0 (AWS accepts 0 to 43,200 seconds), so every message
//! stays visible to the queue's consumers; it does count as a receive (ApproximateReceiveCount grows).

use std::collections::HashSet;

use aws_sdk_cloudformation::Client as Cfn;
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde::{Deserialize, Serialize};

/// The logical id pattern 1's template gives its dead-letter queue.
pub const DLQ_LOGICAL_ID: &str = "DeadLetterQueue";

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("stack {stack}: {message}")]
    Stack { stack: String, message: String },
    #[error("{operation} on {queue} failed: {message}")]
    Queue { operation: &'static str, queue: String, message: String },
}

fn queue_error(operation: &'static str, queue: &str, e: impl std::fmt::Display) -> DlqError {
    DlqError::Queue { operation, queue: queue.to_string(), message: e.to_string() }
}

/// The queue's URL, from the stack's resources (listed as every other stack command lists them).
pub async fn resolve(cfn: &Cfn, stack: &str) -> Result<String, DlqError> {
    let fail = |message: String| DlqError::Stack { stack: stack.to_string(), message };
    let resources = super::stacks::inspect::resources(cfn, stack).await.map_err(|e| fail(e.to_string()))?;
    let queues: Vec<_> = resources.iter().filter(|r| r.resource_type == "AWS::SQS::Queue").collect();
    let chosen = queues.iter().find(|r| r.logical_id == DLQ_LOGICAL_ID).or(if queues.len() == 1 {
        queues.first()
    } else {
        None
    });
    match chosen {
        Some(r) => r.physical_id.clone().ok_or_else(|| fail("its dead-letter queue has not been created yet".into())),
        None if queues.is_empty() => Err(fail("it has no SQS queue (AWS::SQS::Queue)".into())),
        None => Err(fail(format!(
            "it has {} SQS queues and none is named {DLQ_LOGICAL_ID}; pass --queue <url>",
            queues.len()
        ))),
    }
}

/// Lambda's invocation record for a Kinesis event source, as AWS documents it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRecord {
    pub request_context: RequestContext,
    #[serde(default)]
    pub response_context: Option<ResponseContext>,
    pub version: String,
    pub timestamp: String,
    #[serde(rename = "KinesisBatchInfo")]
    pub kinesis_batch_info: KinesisBatchInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub request_id: String,
    pub function_arn: String,
    pub condition: String,
    pub approximate_invoke_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseContext {
    pub status_code: u16,
    pub executed_version: String,
    #[serde(default)]
    pub function_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisBatchInfo {
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
    pub approximate_arrival_of_first_record: String,
    pub approximate_arrival_of_last_record: String,
    pub batch_size: u64,
    pub stream_arn: String,
}

impl KinesisBatchInfo {
    /// The stream's name, from its ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`).
    pub fn stream_name(&self) -> &str {
        self.stream_arn.rsplit_once(":stream/").map_or(self.stream_arn.as_str(), |(_, n)| n)
    }
}

/// What a message of the queue holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Content {
    FailureRecord(Box<FailureRecord>),
    /// Not an invocation record: the body as it is.
    Other {
        body: String,
    },
}

pub fn decode(body: &str) -> Content {
    match serde_json::from_str::<FailureRecord>(body) {
        Ok(record) => Content::FailureRecord(Box::new(record)),
        Err(_) => Content::Other { body: body.to_string() },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peeked {
    pub message_id: String,
    /// When SQS received it (ms since the epoch).
    pub sent_ms: Option<i64>,
    pub receive_count: Option<u64>,
    pub content: Content,
}

/// The queue's depth, and up to `n` of its messages, left in the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peek {
    pub queue_url: String,
    pub visible: u64,
    pub in_flight: u64,
    pub messages: Vec<Peeked>,
}

async fn depth(sqs: &Sqs, url: &str) -> Result<(u64, u64), DlqError> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| queue_error("GetQueueAttributes", url, aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let get =
        |k: QueueAttributeName| out.attributes().and_then(|a| a.get(&k)).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok((
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// Receives up to `n` distinct messages with visibility timeout 0, ten at a time, until a receive
/// brings nothing new.
pub async fn peek(sqs: &Sqs, url: &str, n: usize) -> Result<Peek, DlqError> {
    let (visible, in_flight) = depth(sqs, url).await?;
    let mut seen = HashSet::new();
    let mut messages = Vec::new();
    while messages.len() < n {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages((n - messages.len()).min(10) as i32)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| queue_error("ReceiveMessage", url, aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        let before = messages.len();
        for m in out.messages() {
            let id = m.message_id().unwrap_or_default().to_string();
            if !seen.insert(id.clone()) {
                continue;
            }
            let attr =
                |k: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&k)).and_then(|v| v.parse().ok());
            messages.push(Peeked {
                message_id: id,
                sent_ms: attr(MessageSystemAttributeName::SentTimestamp).map(|v: u64| v as i64),
                receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount),
                content: decode(m.body().unwrap_or_default()),
            });
        }
        if messages.len() == before {
            break;
        }
    }
    messages.truncate(n);
    messages.sort_by_key(|m| m.sent_ms);
    Ok(Peek { queue_url: url.to_string(), visible, in_flight, messages })
}

/// Deletes every message of the queue (PurgeQueue); the count it held just before.
pub async fn purge(sqs: &Sqs, url: &str) -> Result<u64, DlqError> {
    let (visible, in_flight) = depth(sqs, url).await?;
    sqs.purge_queue()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| queue_error("PurgeQueue", url, aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    Ok(visible + in_flight)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's Lambda documentation for a Kinesis on-failure destination.
    const DOCUMENTED: &str = r#"{
        "requestContext": {
            "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 1
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2019-11-14T00:38:06.021Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000001",
            "startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
            "endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
            "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
            "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
            "batchSize": 500,
            "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"
        }
    }"#;

    #[test]
    fn the_documented_invocation_record_decodes_with_its_stream_positions() {
        let Content::FailureRecord(r) = decode(DOCUMENTED) else { panic!("decoded") };
        assert_eq!(r.request_context.condition, "RetryAttemptsExhausted");
        assert_eq!(r.response_context.as_ref().and_then(|c| c.function_error.as_deref()), Some("Unhandled"));
        let b = &r.kinesis_batch_info;
        assert_eq!(b.shard_id, "shardId-000000000001");
        assert_eq!(b.batch_size, 500);
        assert_eq!(b.stream_name(), "mystream");
        assert!(b.start_sequence_number.starts_with("4960118965842235937883629852182"));
    }

    #[test]
    fn any_other_body_is_kept_as_it_is() {
        assert_eq!(decode("not json"), Content::Other { body: "not json".into() });
        assert_eq!(decode(r#"{"a":1}"#), Content::Other { body: r#"{"a":1}"#.into() });
    }
}
