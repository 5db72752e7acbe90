//! What CloudWatch Logs keeps: groups, their streams, and each stream's events ordered by timestamp.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::clock::Millis;

/// The retention periods AWS accepts, in days.
pub const RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

pub const DAY_MS: Millis = 86_400_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupMeta {
    pub name: String,
    pub created_ms: Millis,
    pub retention_days: Option<u32>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamMeta {
    pub name: String,
    pub created_ms: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    #[serde(rename = "m")]
    pub message: String,
    #[serde(rename = "i")]
    pub ingestion_ms: Millis,
}

/// An event's place in its stream: timestamp, then the order it was accepted in.
pub type EventKey = (Millis, u64);

#[derive(Debug, Clone)]
pub struct Stream {
    pub meta: StreamMeta,
    pub events: BTreeMap<EventKey, Event>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub meta: GroupMeta,
    pub streams: BTreeMap<String, Stream>,
}

impl Group {
    /// Events older than this are past the group's retention (none when it keeps events forever).
    pub fn retention_cutoff(&self, now: Millis) -> Option<Millis> {
        self.meta.retention_days.map(|d| now - Millis::from(d) * DAY_MS)
    }
}

pub fn group_arn(region: &str, account: &str, group: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{group}")
}

pub fn group_key(group: &str) -> String {
    format!("g/{group}")
}

pub fn stream_key(group: &str, stream: &str) -> String {
    format!("s/{group}:{stream}")
}

pub fn event_key(group: &str, stream: &str, key: EventKey) -> String {
    format!("e/{group}:{stream}:{:020}{:020}", key.0.max(0), key.1)
}
