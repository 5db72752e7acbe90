//! Tags: Add/Remove/ListTagsForStream and the resource-ARN forms TagResource, UntagResource and
//! ListTagsForResource.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::op::{Op, StreamRef, parse};
use super::validate::{Checks, invalid};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

/// Tags a stream may carry (AWS's quota).
pub const MAX_TAGS: usize = 50;
/// Tags one request may name (the service model's bound on the map).
const MAX_REQUEST_TAGS: usize = 200;

pub fn check_tags(c: &mut Checks, tags: &BTreeMap<String, String>) {
    if tags.len() > MAX_REQUEST_TAGS {
        c.custom(format!("'{}' tags", tags.len()), "tags", "have length less than or equal to 200");
    }
    for (k, v) in tags {
        c.len("tags.key", Some(k), 1, 128).len("tags.value", Some(v), 0, 256);
    }
}

/// Refuses a stream that would carry more than AWS's 50 tags.
pub fn check_tag_count(stream: &str, count: usize) -> Result<(), ApiError> {
    if count > MAX_TAGS {
        return Err(invalid(format!(
            "Failed to add tags to stream {stream} under account {LOCAL_ACCOUNT_ID} because a given stream cannot have more than {MAX_TAGS} tags."
        )));
    }
    Ok(())
}

fn add(op: &Op, stream_ref: &StreamRef, tags: BTreeMap<String, String>) -> Result<Value, ApiError> {
    op.mutate_any(stream_ref, |inner| {
        let m = &mut inner.meta;
        let new_keys = tags.keys().filter(|k| !m.tags.contains_key(*k)).count();
        check_tag_count(&m.name, m.tags.len() + new_keys)?;
        m.tags.extend(tags);
        Ok(json!({}))
    })
}

fn remove(op: &Op, stream_ref: &StreamRef, keys: &[String]) -> Result<Value, ApiError> {
    op.mutate_any(stream_ref, |inner| {
        for k in keys {
            inner.meta.tags.remove(k);
        }
        Ok(json!({}))
    })
}

fn check_keys(c: &mut Checks, keys: &Option<Vec<String>>) {
    c.required("tagKeys", keys);
    if let Some(keys) = keys {
        if keys.is_empty() || keys.len() > MAX_TAGS {
            c.custom(format!("'{keys:?}'"), "tagKeys", "have length between 1 and 50");
        }
        for k in keys {
            c.len("tagKeys.member", Some(k), 1, 128);
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    tags: Option<BTreeMap<String, String>>,
}

pub fn add_to_stream(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: AddInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("tags", &i.tags);
    if let Some(t) = &i.tags {
        check_tags(&mut c, t);
    }
    c.finish()?;
    add(op, &i.stream_ref, i.tags.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemoveInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    tag_keys: Option<Vec<String>>,
}

pub fn remove_from_stream(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: RemoveInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    check_keys(&mut c, &i.tag_keys);
    c.finish()?;
    remove(op, &i.stream_ref, &i.tag_keys.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    exclusive_start_tag_key: Option<String>,
    limit: Option<i64>,
}

fn tag_list<'a>(tags: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<Value> {
    tags.map(|(k, v)| json!({ "Key": k, "Value": v })).collect()
}

pub fn list_for_stream(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ListInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.range("limit", i.limit, 1, 50).len("exclusiveStartTagKey", i.exclusive_start_tag_key.as_deref(), 1, 128);
    c.finish()?;
    let stream = op.stream(&i.stream_ref)?;
    let inner = stream.read();
    // Without a Limit AWS lists every tag a stream can hold (50), in key order; the model sets no default.
    let limit = i.limit.unwrap_or(50) as usize;
    let after: Vec<(&String, &String)> =
        inner.meta.tags.iter().filter(|(k, _)| i.exclusive_start_tag_key.as_ref().is_none_or(|s| *k > s)).collect();
    Ok(json!({ "Tags": tag_list(after.iter().take(limit).copied()), "HasMoreTags": after.len() > limit }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    tag_keys: Option<Vec<String>>,
}

fn resource_stream_ref(c: &mut Checks, arn: &Option<String>) -> StreamRef {
    c.required("resourceARN", arn).len("resourceARN", arn.as_deref(), 1, 2048);
    // A consumer's tags live on its stream here: the consumer ARN begins with the stream ARN.
    StreamRef { stream_name: None, stream_arn: arn.clone() }
}

pub fn tag_resource(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ResourceInput = parse(input)?;
    let mut c = Checks::new();
    let stream_ref = resource_stream_ref(&mut c, &i.resource_arn);
    c.required("tags", &i.tags);
    if let Some(t) = &i.tags {
        check_tags(&mut c, t);
    }
    c.finish()?;
    add(op, &stream_ref, i.tags.unwrap_or_default())
}

pub fn untag_resource(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ResourceInput = parse(input)?;
    let mut c = Checks::new();
    let stream_ref = resource_stream_ref(&mut c, &i.resource_arn);
    check_keys(&mut c, &i.tag_keys);
    c.finish()?;
    remove(op, &stream_ref, &i.tag_keys.unwrap_or_default())
}

pub fn list_for_resource(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ResourceInput = parse(input)?;
    let mut c = Checks::new();
    let stream_ref = resource_stream_ref(&mut c, &i.resource_arn);
    c.finish()?;
    let stream = op.stream(&stream_ref)?;
    let inner = stream.read();
    Ok(json!({ "Tags": tag_list(inner.meta.tags.iter()) }))
}
