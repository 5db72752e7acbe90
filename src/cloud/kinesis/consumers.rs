//! Enhanced fan-out consumers: Register/Deregister/Describe/ListStreamConsumers.

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{ConsumerMeta, Status, StreamMeta, epoch_seconds};
use super::op::{Op, StreamRef, is_stream_arn, parse};
use super::validate::{ARN_PATTERN, Checks, NAME_PATTERN, in_use, invalid, is_name, limit_exceeded};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

/// Consumers a stream may have registered (AWS's quota for provisioned and on-demand standard streams).
pub const MAX_CONSUMERS: usize = 20;
/// Consumers that may be CREATING at once: a sixth is refused until one is ACTIVE.
pub const MAX_CREATING: usize = 5;

pub fn consumer_arn(stream: &StreamMeta, c: &ConsumerMeta) -> String {
    format!("{}/consumer/{}:{}", stream.arn(), c.name, c.created_ms / 1000)
}

fn consumer_json(stream: &StreamMeta, c: &ConsumerMeta, with_stream: bool) -> Value {
    let mut v = json!({
        "ConsumerName": c.name,
        "ConsumerARN": consumer_arn(stream, c),
        "ConsumerStatus": c.status.as_str(),
        "ConsumerCreationTimestamp": epoch_seconds(c.created_ms),
    });
    if with_stream {
        v["StreamARN"] = json!(stream.arn());
    }
    v
}

/// Whether a consumer's current transition is over at `now`.
fn due(c: &ConsumerMeta, now: i64) -> bool {
    c.transition_at_ms.is_none_or(|t| t <= now)
}

/// Whether a consumer can read at `now`: ACTIVE, or CREATING with its creation over.
pub fn is_active(c: &ConsumerMeta, now: i64) -> bool {
    c.status == Status::Active || (c.status == Status::Creating && due(c, now))
}

/// Ends due consumer transitions; returns whether anything changed.
pub fn settle(meta: &mut StreamMeta, now: i64) -> bool {
    let before = meta.consumers.len();
    let mut changed = false;
    meta.consumers.retain(|c| !(c.status == Status::Deleting && due(c, now)));
    for c in &mut meta.consumers {
        if c.status == Status::Creating && due(c, now) {
            c.status = Status::Active;
            c.transition_at_ms = None;
            changed = true;
        }
    }
    changed || meta.consumers.len() != before
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ConsumerInput {
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    consumer_name: Option<String>,
    #[serde(rename = "ConsumerARN")]
    consumer_arn: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

fn check_stream_arn(c: &mut Checks, arn: &Option<String>, required: bool) {
    if required {
        c.required("streamARN", arn);
    }
    c.len("streamARN", arn.as_deref(), 1, 2048).pattern("streamARN", arn.as_deref(), is_stream_arn, ARN_PATTERN);
}

fn check_name(c: &mut Checks, name: &Option<String>) {
    c.len("consumerName", name.as_deref(), 1, 128).pattern("consumerName", name.as_deref(), is_name, NAME_PATTERN);
}

/// The stream and consumer name a consumer ARN (`{stream ARN}/consumer/{name}:{created}`) names.
pub fn by_arn(arn: &str) -> Result<(StreamRef, String), ApiError> {
    let (stream_part, rest) =
        arn.split_once("/consumer/").ok_or_else(|| invalid(format!("Invalid ConsumerARN {arn}.")))?;
    let name = rest.rsplit_once(':').map(|(n, _)| n).unwrap_or(rest);
    Ok((StreamRef { stream_name: None, stream_arn: Some(stream_part.to_string()) }, name.to_string()))
}

/// The stream and consumer name a request addresses: by ConsumerARN, or by StreamARN and ConsumerName.
fn addressed(i: &ConsumerInput) -> Result<(StreamRef, String), ApiError> {
    if let Some(arn) = &i.consumer_arn {
        return by_arn(arn);
    }
    match (&i.stream_arn, &i.consumer_name) {
        (Some(s), Some(n)) => Ok((StreamRef { stream_name: None, stream_arn: Some(s.clone()) }, n.clone())),
        _ => Err(invalid("Either ConsumerARN or both ConsumerName and StreamARN must be provided.")),
    }
}

/// Deregister and Describe: the input checked, and the consumer it addresses (by ARN, or stream and name).
fn existing_consumer(input: Value) -> Result<(StreamRef, String), ApiError> {
    let i: ConsumerInput = parse(input)?;
    let mut c = Checks::new();
    check_stream_arn(&mut c, &i.stream_arn, false);
    check_name(&mut c, &i.consumer_name);
    c.finish()?;
    addressed(&i)
}

pub fn missing(name: &str, stream: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        format!("Consumer {name} under stream {stream} under account {LOCAL_ACCOUNT_ID} not found."),
    )
}

pub fn register(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ConsumerInput = parse(input)?;
    let mut c = Checks::new();
    check_stream_arn(&mut c, &i.stream_arn, true);
    c.required("consumerName", &i.consumer_name);
    check_name(&mut c, &i.consumer_name);
    c.finish()?;
    let stream_ref = StreamRef { stream_name: None, stream_arn: i.stream_arn.clone() };
    let name = i.consumer_name.unwrap_or_default();
    let end = op.transition_end();
    op.mutate_any(&stream_ref, |inner| {
        let m = &mut inner.meta;
        settle(m, op.now);
        if m.consumers.iter().any(|c| c.name == name) {
            return Err(in_use(format!(
                "Consumer {name} under stream {} already exists for account {LOCAL_ACCOUNT_ID}.",
                m.name
            )));
        }
        if m.consumers.len() >= MAX_CONSUMERS {
            return Err(limit_exceeded(format!(
                "Stream {} under account {LOCAL_ACCOUNT_ID} already has {MAX_CONSUMERS} consumers.",
                m.name
            )));
        }
        let creating = m.consumers.iter().filter(|c| c.status == Status::Creating).count();
        if creating >= MAX_CREATING {
            return Err(limit_exceeded(format!(
                "Stream {} under account {LOCAL_ACCOUNT_ID} already has {MAX_CREATING} consumers in CREATING status; \
                 register more once they are ACTIVE.",
                m.name
            )));
        }
        let consumer = ConsumerMeta {
            name: name.clone(),
            created_ms: op.now,
            status: if end.is_some() { Status::Creating } else { Status::Active },
            transition_at_ms: end,
        };
        let out = json!({ "Consumer": consumer_json(m, &consumer, false) });
        m.consumers.push(consumer);
        Ok(out)
    })
}

pub fn deregister(op: &Op, input: Value) -> Result<Value, ApiError> {
    let (stream_ref, name) = existing_consumer(input)?;
    let end = op.transition_end();
    op.mutate_any(&stream_ref, |inner| {
        let m = &mut inner.meta;
        let stream = m.name.clone();
        let consumer = m.consumers.iter_mut().find(|c| c.name == name).ok_or_else(|| missing(&name, &stream))?;
        consumer.status = Status::Deleting;
        consumer.transition_at_ms = end;
        settle(m, op.now);
        Ok(json!({}))
    })
}

pub fn describe(op: &Op, input: Value) -> Result<Value, ApiError> {
    let (stream_ref, name) = existing_consumer(input)?;
    op.mutate_any(&stream_ref, |inner| {
        let m = &mut inner.meta;
        settle(m, op.now);
        let consumer = m.consumers.iter().find(|c| c.name == name).ok_or_else(|| missing(&name, &m.name))?;
        Ok(json!({ "ConsumerDescription": consumer_json(m, consumer, true) }))
    })
}

pub fn list(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ConsumerInput = parse(input)?;
    let mut c = Checks::new();
    check_stream_arn(&mut c, &i.stream_arn, true);
    c.range("maxResults", i.max_results, 1, 10_000);
    c.finish()?;
    let skip = match &i.next_token {
        Some(t) => t
            .strip_prefix("consumers:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid(format!("Invalid NextToken: {t}.")))?,
        None => 0,
    };
    let stream_ref = StreamRef { stream_name: None, stream_arn: i.stream_arn.clone() };
    let limit = i.max_results.unwrap_or(100) as usize;
    op.mutate_any(&stream_ref, |inner| {
        let m = &mut inner.meta;
        settle(m, op.now);
        let page: Vec<Value> = m.consumers.iter().skip(skip).take(limit).map(|c| consumer_json(m, c, false)).collect();
        let mut out = json!({ "Consumers": page });
        if skip + limit < m.consumers.len() {
            out["NextToken"] = json!(format!("consumers:{}", skip + limit));
        }
        Ok(out)
    })
}
