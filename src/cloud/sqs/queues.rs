//! Queue operations: CreateQueue, GetQueueUrl, GetQueueAttributes, SetQueueAttributes, DeleteQueue,
//! ListQueues, PurgeQueue, and the queue's tags (TagQueue, UntagQueue, ListQueueTags).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::attributes::{self, COMPUTED};
use super::errors;
use super::model::QueueMeta;
use super::op::{Op, integer, queue_of, required};
use super::state::{Counters, Queue, counts, put_queue, remove_message, remove_queue};
use crate::cloud::error::ApiError;

/// Tags per queue (AWS's quota).
const MAX_TAGS: usize = 50;
/// PurgeQueue may run once per 60 seconds per queue.
const PURGE_INTERVAL_MS: i64 = 60_000;

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = required(&input, "QueueName")?.to_string();
    attributes::check_name(&name)?;
    let given = attributes::parse(&input)?;
    // The JSON model names CreateQueue's tags `tags` (lower case); TagQueue's are `Tags`.
    let tags = tag_map(input.get("tags"))?;
    let mut queues = op.state.lock();
    if let Some(existing) = queues.get(&name) {
        let defaults = attributes::defaults();
        for (k, v) in &given {
            let current = existing.meta.attributes.get(k).or_else(|| defaults.get(k)).map_or("", String::as_str);
            if current != v {
                return Err(ApiError::bad_request(
                    "QueueAlreadyExists",
                    format!("A queue already exists with the same name and a different value for attribute {k}"),
                ));
            }
        }
        return Ok(json!({ "QueueUrl": op.url(&name) }));
    }
    let mut attributes = attributes::defaults();
    attributes.extend(given.into_iter().filter(|(_, v)| !v.is_empty()));
    let meta = QueueMeta {
        name: name.clone(),
        created_ms: op.now,
        modified_ms: op.now,
        attributes,
        tags,
        last_purge_ms: None,
    };
    op.state.commit(&[put_queue(&meta)])?;
    let queue =
        Queue { meta, messages: BTreeMap::new(), notify: Arc::new(Notify::new()), counters: Counters::default() };
    queues.insert(name.clone(), queue);
    Ok(json!({ "QueueUrl": op.url(&name) }))
}

pub fn get_url(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = required(&input, "QueueName")?;
    if let Some(owner) = input.get("QueueOwnerAWSAccountId").and_then(Value::as_str)
        && owner != op.account()
    {
        return Err(errors::no_queue());
    }
    if !op.state.lock().contains_key(name) {
        return Err(errors::no_queue());
    }
    Ok(json!({ "QueueUrl": op.url(name) }))
}

/// The names asked for: every attribute for `All`, each named one otherwise (unknown ones refused).
fn wanted(input: &Value, member: &str) -> Result<Vec<String>, ApiError> {
    let names: Vec<String> = match input.get(member) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(_) => return Err(ApiError::serialization(format!("{member} must be a list of names"))),
    };
    for name in &names {
        if name != "All" && !attributes::is_known(name) {
            return Err(errors::invalid_attribute_name(name));
        }
    }
    Ok(names)
}

pub fn get_attributes(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let names = wanted(&input, "AttributeNames")?;
    super::maintenance::expire(op, &name)?;
    let queues = op.state.lock();
    let queue = queues.get(&name).ok_or_else(errors::no_queue)?;
    let all = names.iter().any(|n| n == "All");
    let mut out = Map::new();
    let mut add = |k: &str, v: String| {
        if all || names.iter().any(|n| n == k) {
            out.insert(k.to_string(), Value::String(v));
        }
    };
    let counts = counts(queue, op.now);
    add("ApproximateNumberOfMessages", counts.visible.to_string());
    add("ApproximateNumberOfMessagesNotVisible", counts.in_flight.to_string());
    add("ApproximateNumberOfMessagesDelayed", counts.delayed.to_string());
    add("CreatedTimestamp", (queue.meta.created_ms / 1000).to_string());
    add("LastModifiedTimestamp", (queue.meta.modified_ms / 1000).to_string());
    add("QueueArn", op.arn(&name));
    for (k, v) in &queue.meta.attributes {
        add(k, v.clone());
    }
    if out.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Attributes": out }))
}

pub fn set_attributes(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let given = attributes::parse(&input)?;
    if let Some(k) = given.keys().find(|k| COMPUTED.contains(&k.as_str())) {
        return Err(errors::invalid_attribute_name(k));
    }
    let mut queues = op.state.lock();
    let queue = queues.get_mut(&name).ok_or_else(errors::no_queue)?;
    let mut meta = queue.meta.clone();
    for (k, v) in given {
        // An empty Policy or RedrivePolicy removes it, as on AWS.
        if v.is_empty() {
            meta.attributes.remove(&k);
        } else {
            meta.attributes.insert(k, v);
        }
    }
    meta.modified_ms = op.now;
    op.state.commit(&[put_queue(&meta)])?;
    queue.meta = meta;
    queue.notify.notify_waiters();
    Ok(json!({}))
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let mut queues = op.state.lock();
    let queue = queues.get(&name).ok_or_else(errors::no_queue)?;
    let mut changes = vec![remove_queue(&name)];
    changes.extend(queue.messages.keys().map(|seq| remove_message(&name, *seq)));
    op.state.commit(&changes)?;
    if let Some(q) = queues.remove(&name) {
        q.notify.notify_waiters();
    }
    Ok(json!({}))
}

pub fn purge(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let mut queues = op.state.lock();
    let queue = queues.get_mut(&name).ok_or_else(errors::no_queue)?;
    if let Some(last) = queue.meta.last_purge_ms
        && op.now < last + PURGE_INTERVAL_MS
    {
        return Err(errors::batch(
            "AWS.SimpleQueueService.PurgeQueueInProgress",
            format!("Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
        ));
    }
    let mut meta = queue.meta.clone();
    meta.last_purge_ms = Some(op.now);
    let mut changes = vec![put_queue(&meta)];
    changes.extend(queue.messages.keys().map(|seq| remove_message(&name, *seq)));
    op.state.commit(&changes)?;
    queue.meta = meta;
    queue.messages.clear();
    Ok(json!({}))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let prefix = input.get("QueueNamePrefix").and_then(Value::as_str).unwrap_or_default();
    let max = integer(&input, "MaxResults")?;
    if let Some(m) = max
        && !(1..=1000).contains(&m)
    {
        return Err(errors::invalid_parameter(
            "Value for parameter MaxResults is invalid. Reason: must be between 1 and 1000.",
        ));
    }
    let after = match input.get("NextToken").and_then(Value::as_str) {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let queues = op.state.lock();
    let names: Vec<&String> = queues
        .keys()
        .filter(|n| n.starts_with(prefix))
        .filter(|n| after.as_ref().is_none_or(|a| n.as_str() > a.as_str()))
        .collect();
    let take = max.map_or(1000, |m| m as usize);
    let page: Vec<Value> = names.iter().take(take).map(|n| Value::String(op.url(n))).collect();
    let mut out = Map::new();
    if !page.is_empty() {
        out.insert("QueueUrls".into(), Value::Array(page));
    }
    // Only a paginated call (MaxResults given) gets a token, as on AWS.
    if max.is_some() && names.len() > take {
        let last = names[take - 1];
        out.insert("NextToken".into(), Value::String(base64::engine::general_purpose::STANDARD.encode(last)));
    }
    Ok(Value::Object(out))
}

fn decode_token(token: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| errors::invalid_parameter(format!("Invalid NextToken value {token}.")))
}

fn tag_map(value: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut tags = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v =
                    v.as_str().ok_or_else(|| errors::invalid_parameter(format!("Tag {k} needs a string value.")))?;
                if k.is_empty() || k.len() > 128 || v.len() > 256 {
                    return Err(errors::invalid_parameter(format!(
                        "Tag {k} is invalid: keys are 1 to 128 characters, values up to 256."
                    )));
                }
                tags.insert(k.clone(), v.to_string());
            }
        }
        Some(_) => return Err(ApiError::serialization("Tags must be a map")),
    }
    if tags.len() > MAX_TAGS {
        return Err(errors::invalid_parameter(format!("Too many tags: a queue has at most {MAX_TAGS}.")));
    }
    Ok(tags)
}

pub fn tag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let add = tag_map(input.get("Tags"))?;
    change_tags(op, &name, |tags| tags.extend(add))
}

pub fn untag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let keys: Vec<String> = match input.get("TagKeys") {
        Some(Value::Array(k)) => k.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return Err(errors::missing("TagKeys")),
    };
    change_tags(op, &name, |tags| tags.retain(|k, _| !keys.contains(k)))
}

fn change_tags(op: &Op<'_>, name: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<Value, ApiError> {
    let mut queues = op.state.lock();
    let queue = queues.get_mut(name).ok_or_else(errors::no_queue)?;
    let mut meta = queue.meta.clone();
    change(&mut meta.tags);
    if meta.tags.len() > MAX_TAGS {
        return Err(errors::invalid_parameter(format!("Too many tags: a queue has at most {MAX_TAGS}.")));
    }
    op.state.commit(&[put_queue(&meta)])?;
    queue.meta = meta;
    Ok(json!({}))
}

pub fn list_tags(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = queue_of(op, &input)?;
    let queues = op.state.lock();
    let queue = queues.get(&name).ok_or_else(errors::no_queue)?;
    if queue.meta.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Tags": queue.meta.tags }))
}
