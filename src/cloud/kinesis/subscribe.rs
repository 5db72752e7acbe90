//! SubscribeToShard: enhanced fan-out. An ACTIVE consumer subscribes to one shard and receives its
//! records over an event stream (`application/vnd.amazon.eventstream`) for five minutes of the cloud
//! clock: first an `initial-response`, then a SubscribeToShardEvent whenever records arrive and at
//! least every 5 s, each with ContinuationSequenceNumber and MillisBehindLatest. At the end of a
//! closed shard one last event names the children. A consumer may subscribe to a shard at most once
//! per 5 s; a newer subscription takes over, ending the one before it with a ResourceInUseException.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use http::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::consumers;
use super::keys::shard_id;
use super::model::Status;
use super::op::{Op, parse};
use super::reading::{Start, TYPES, horizon, render_records};
use super::state::{State, Stream};
use super::validate::{Checks, NAME_PATTERN, SEQ_PATTERN, in_use, is_name, is_seq_pattern, not_found};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::streaming::ChannelBody;

const SUBSCRIPTION_MS: i64 = 5 * 60_000;
const HEARTBEAT_MS: i64 = 5_000;
/// Real time between looks for new records; it only bounds delivery latency, no semantics hang on it.
const POLL: Duration = Duration::from_millis(20);
const MAX_EVENT_RECORDS: usize = 10_000;
const MAX_EVENT_BYTES: usize = 1024 * 1024;
const CONSUMER_ARN_PATTERN: &str =
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SubscribeInput {
    #[serde(rename = "ConsumerARN")]
    consumer_arn: Option<String>,
    shard_id: Option<String>,
    starting_position: Option<StartingPosition>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartingPosition {
    #[serde(rename = "Type")]
    kind: Option<String>,
    sequence_number: Option<String>,
    timestamp: Option<f64>,
}

fn is_consumer_arn(s: &str) -> bool {
    s.starts_with("arn:aws") && s.contains(":kinesis:") && consumers::by_arn(s).is_ok()
}

/// One running subscription: what it reads and until when.
struct Subscription {
    /// Set when a newer subscription of the same consumer to the same shard took over.
    taken_over: Arc<AtomicBool>,
    consumer_arn: String,
    consumer_name: String,
    stream: String,
    stream_ms: i64,
    shard: u32,
    position: u64,
    until_ms: i64,
}

fn check(i: &SubscribeInput) -> Result<(), ApiError> {
    let mut c = Checks::new();
    c.required("consumerARN", &i.consumer_arn).len("consumerARN", i.consumer_arn.as_deref(), 1, 2048).pattern(
        "consumerARN",
        i.consumer_arn.as_deref(),
        is_consumer_arn,
        CONSUMER_ARN_PATTERN,
    );
    c.required("shardId", &i.shard_id).len("shardId", i.shard_id.as_deref(), 1, 128).pattern(
        "shardId",
        i.shard_id.as_deref(),
        is_name,
        NAME_PATTERN,
    );
    c.required("startingPosition", &i.starting_position);
    if let Some(p) = &i.starting_position {
        c.required("startingPosition.type", &p.kind).one_of("startingPosition.type", p.kind.as_deref(), TYPES);
        c.pattern("startingPosition.sequenceNumber", p.sequence_number.as_deref(), is_seq_pattern, SEQ_PATTERN);
    }
    c.finish()
}

pub fn subscribe_to_shard(
    op: &Op,
    input: Value,
    state: Arc<State>,
    ctx: Arc<CloudContext>,
) -> Result<Response<ChannelBody>, ApiError> {
    let i: SubscribeInput = parse(input)?;
    check(&i)?;
    let arn = i.consumer_arn.clone().unwrap_or_default();
    let (stream_ref, consumer_name) = consumers::by_arn(&arn)?;
    let stream = op.stream(&stream_ref)?;
    let sub = open(op, &state, &stream, &i, arn, consumer_name)?;
    let (tx, body) = ChannelBody::channel(4);
    tokio::spawn(run(sub, state, ctx, tx));
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/vnd.amazon.eventstream"));
    Ok(response)
}

/// Checks the consumer and the shard, resolves the starting position and claims the subscription.
fn open(
    op: &Op,
    state: &State,
    stream: &Stream,
    i: &SubscribeInput,
    arn: String,
    consumer_name: String,
) -> Result<Subscription, ApiError> {
    let inner = stream.read();
    let m = &inner.meta;
    if !matches!(m.status, Status::Active | Status::Updating) {
        return Err(not_found(&m.name));
    }
    let consumer = m
        .consumers
        .iter()
        .find(|c| c.name == consumer_name && consumers::consumer_arn(m, c) == arn)
        .ok_or_else(|| consumers::missing(&consumer_name, &m.name))?;
    if !consumers::is_active(consumer, op.now) {
        return Err(in_use(format!("Consumer {arn} is not in ACTIVE state (it is {}).", consumer.status.as_str())));
    }
    let (shard, rt) = inner.shard_by_id(i.shard_id.as_deref().unwrap_or_default())?;
    let start = i.starting_position.as_ref();
    let position = Start {
        kind: start.and_then(|p| p.kind.as_deref()).unwrap_or_default(),
        sequence_number: start.and_then(|p| p.sequence_number.as_deref()),
        timestamp: start.and_then(|p| p.timestamp),
        operation: "SubscribeToShard",
    }
    .position(op, m, shard, rt)?;
    let taken_over = match state.subscriptions.begin(&arn, shard.index, op.now) {
        Ok(flag) => flag,
        Err(e) => {
            stream.count_consumer(&consumer_name, |c| c.rate_exceeded += 1);
            return Err(e);
        }
    };
    stream.count_consumer(&consumer_name, |c| c.subscribed += 1);
    Ok(Subscription {
        taken_over,
        consumer_arn: arn,
        consumer_name,
        stream: m.name.clone(),
        stream_ms: m.created_ms,
        shard: shard.index,
        position,
        until_ms: op.now + SUBSCRIPTION_MS,
    })
}

/// What one look at the shard found.
enum Step {
    /// An event to send (or none), and whether the shard has ended for this subscription.
    Read {
        event: Option<Bytes>,
        ended: bool,
        full: bool,
    },
    Failed(ApiError),
}

async fn run(mut sub: Subscription, state: Arc<State>, ctx: Arc<CloudContext>, tx: mpsc::Sender<Bytes>) {
    if tx.send(frame("event", "initial-response", b"{}".to_vec())).await.is_err() {
        return;
    }
    let mut last_event = ctx.clock.now_ms();
    loop {
        let now = ctx.clock.now_ms();
        if now >= sub.until_ms || state.is_closed() || ctx.is_shutting_down() {
            return;
        }
        if sub.taken_over.load(Ordering::Relaxed) {
            let taken = in_use(format!(
                "The subscription of consumer {} to shard {} was taken over by a newer one.",
                sub.consumer_arn,
                shard_id(sub.shard)
            ));
            let _ = tx.send(exception(&taken)).await;
            return;
        }
        let heartbeat = now - last_event >= HEARTBEAT_MS;
        match look(&mut sub, &state, now, heartbeat) {
            Step::Read { event, ended, full } => {
                if let Some(event) = event {
                    if tx.send(event).await.is_err() {
                        return;
                    }
                    last_event = now;
                }
                if ended {
                    return;
                }
                if full {
                    continue;
                }
            }
            Step::Failed(e) => {
                let _ = tx.send(exception(&e)).await;
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = tx.closed() => return,
        }
    }
}

/// Reads what arrived since the last event; renders an event when there is something to say.
fn look(sub: &mut Subscription, state: &State, now: i64, heartbeat: bool) -> Step {
    let stream = match state.get(&sub.stream, now) {
        Ok(s) => s,
        Err(e) => return Step::Failed(e),
    };
    let inner = stream.read();
    let m = &inner.meta;
    let consumer_gone = !m.consumers.iter().any(|c| c.name == sub.consumer_name && c.status != Status::Deleting);
    if m.created_ms != sub.stream_ms || consumer_gone {
        return Step::Failed(consumers::missing(&sub.consumer_name, &m.name));
    }
    let (shard, rt) = match inner.shard_by_id(&shard_id(sub.shard)) {
        Ok(found) => found,
        Err(e) => return Step::Failed(e),
    };
    let from = sub.position.max(horizon(rt, m.retention_ms(), now));
    let records = match rt.log.read(from, MAX_EVENT_RECORDS, MAX_EVENT_BYTES) {
        Ok(r) => r,
        Err(e) => return Step::Failed(ApiError::internal(format!("reading {} of {}: {e}", shard.id(), m.name))),
    };
    let next = records.last().map(|r| r.seq + 1).unwrap_or(from);
    let tip = rt.log.next_seq();
    let ended = shard.closed.is_some() && next >= tip;
    let full = records.len() == MAX_EVENT_RECORDS || next < tip;
    // With nothing read yet there is no record to continue after, so an idle start stays quiet.
    if records.is_empty() && !ended && !(heartbeat && next > shard.first_log_seq) {
        sub.position = from;
        return Step::Read { event: None, ended: false, full: false };
    }
    let continuation = m.seq(shard, next.saturating_sub(1).max(shard.first_log_seq));
    let behind = if next >= tip { 0 } else { records.last().map_or(0, |r| (now - r.arrival_ms).max(0)) };
    let mut body = String::with_capacity(96 + records.iter().map(|r| 160 + r.data.len() * 4 / 3).sum::<usize>());
    if let Err(e) = render_records(&mut body, m, shard, &records) {
        return Step::Failed(e);
    }
    let _ = write!(body, r#","ContinuationSequenceNumber":"{continuation}","MillisBehindLatest":{behind}"#);
    if ended {
        let children = json!(m.child_shards_of(shard.index));
        let _ = write!(body, r#","ChildShards":{children}"#);
    }
    body.push('}');
    let bytes: u64 = records.iter().map(|r| (r.data.len() + r.partition_key.len()) as u64).sum();
    {
        let mut s = rt.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.outgoing_bytes += bytes;
        s.outgoing_records += records.len() as u64;
    }
    stream.count_consumer(&sub.consumer_name, |c| {
        c.events += 1;
        c.event_bytes += bytes;
        c.event_records += records.len() as u64;
        c.millis_behind.push(behind as f64);
    });
    sub.position = next;
    Step::Read { event: Some(frame("event", "SubscribeToShardEvent", body.into_bytes())), ended, full }
}

/// One event stream message with its JSON payload.
fn frame(message_type: &str, event_type: &str, payload: Vec<u8>) -> Bytes {
    let type_header = if message_type == "exception" { ":exception-type" } else { ":event-type" };
    let message = Message::new(payload)
        .add_header(Header::new(":message-type", HeaderValue::String(message_type.to_string().into())))
        .add_header(Header::new(type_header, HeaderValue::String(event_type.to_string().into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())));
    let mut out = Vec::new();
    match aws_smithy_eventstream::frame::write_message_to(&message, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(e) => {
            // Only headers or payloads past the format's size limits fail to encode; ours never are.
            tracing::error!(error = %e, "encoding an event stream message failed");
            Bytes::new()
        }
    }
}

/// An error that ends a running subscription, as an exception message of the stream.
fn exception(e: &ApiError) -> Bytes {
    let payload = json!({ "message": e.message }).to_string().into_bytes();
    frame("exception", &e.code, payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_as_event_stream_messages() {
        let bytes = frame("event", "SubscribeToShardEvent", br#"{"Records":[]}"#.to_vec());
        let message = aws_smithy_eventstream::frame::read_message_from(bytes).unwrap();
        let header = |name: &str| {
            let h = message.headers().iter().find(|h| h.name().as_str() == name).unwrap();
            h.value().as_string().unwrap().as_str().to_string()
        };
        assert_eq!(header(":message-type"), "event");
        assert_eq!(header(":event-type"), "SubscribeToShardEvent");
        assert_eq!(&message.payload()[..], br#"{"Records":[]}"#);
        let e = exception(&in_use("busy"));
        let message = aws_smithy_eventstream::frame::read_message_from(e).unwrap();
        assert!(message.headers().iter().any(|h| h.name().as_str() == ":exception-type"));
    }
}
