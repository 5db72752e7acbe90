//! What SQS stores: a queue's metadata (its settable attributes as SQS keeps them, as text) and each
//! message with its delivery state. Below every other file of the service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::clock::Millis;

/// A queue as stored under `q/<name>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueueMeta {
    pub name: String,
    pub created_ms: Millis,
    pub modified_ms: Millis,
    /// Settable attributes by name, values as the API carries them (text); defaults filled in at create.
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// When the last PurgeQueue began: another is refused for 60 seconds, as AWS does.
    #[serde(default)]
    pub last_purge_ms: Option<Millis>,
}

impl QueueMeta {
    /// A numeric attribute (every one this service reads is validated on the way in).
    pub fn number(&self, name: &str) -> i64 {
        self.attributes.get(name).and_then(|v| v.parse().ok()).unwrap_or_else(|| default_number(name))
    }

    pub fn retention_ms(&self) -> Millis {
        self.number("MessageRetentionPeriod") * 1000
    }
}

fn default_number(name: &str) -> i64 {
    match name {
        "VisibilityTimeout" => 30,
        "MessageRetentionPeriod" => 345_600,
        "MaximumMessageSize" => MAX_MESSAGE_BYTES as i64,
        _ => 0,
    }
}

/// The largest message body plus attributes, and the largest batch: 1 MiB since August 2025 (the
/// SDK models' `MaximumMessageSize` documentation: "1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB)").
pub const MAX_MESSAGE_BYTES: usize = 1_048_576;

/// A message attribute as the API carries it (`StringValue`, or `BinaryValue` in base64).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValue {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// Base64, as the JSON protocol and awsQuery both carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

/// A message as stored under `m/<queue>/<seq>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub id: String,
    pub seq: u64,
    pub body: String,
    pub md5_of_body: String,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub md5_of_attributes: Option<String>,
    /// `AWSTraceHeader`, the one system attribute a sender may set.
    #[serde(default)]
    pub trace_header: Option<String>,
    pub sent_ms: Millis,
    /// Not receivable before this: the send's delay, then each receive's visibility timeout.
    pub visible_at_ms: Millis,
    /// True once received at least once and until its visibility timeout ends (for the counts).
    pub receive_count: u32,
    pub first_receive_ms: Option<Millis>,
    /// The nonce of the newest receipt handle; a receipt handle names the message and this.
    #[serde(default)]
    pub receipt_nonce: Option<String>,
}

impl Message {
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .attributes
                .iter()
                .map(|(k, v)| {
                    k.len()
                        + v.data_type.len()
                        + v.string_value.as_ref().map_or(0, String::len)
                        + v.binary_value.as_ref().map_or(0, |b| b.len() * 3 / 4)
                })
                .sum::<usize>()
    }

    /// Delayed: never received and its delay not yet over.
    pub fn is_delayed(&self, now: Millis) -> bool {
        self.receive_count == 0 && self.visible_at_ms > now
    }

    /// In flight: received and its visibility timeout not yet over.
    pub fn is_in_flight(&self, now: Millis) -> bool {
        self.receive_count > 0 && self.visible_at_ms > now
    }

    pub fn is_visible(&self, now: Millis) -> bool {
        self.visible_at_ms <= now
    }
}

pub fn queue_key(name: &str) -> String {
    format!("q/{name}")
}

pub fn message_key(queue: &str, seq: u64) -> String {
    format!("m/{queue}/{seq:020}")
}

pub fn queue_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}
