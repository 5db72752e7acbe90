//! TagDeliveryStream, UntagDeliveryStream, ListTagsForDeliveryStream: at most 50 tags per delivery
//! stream, as AWS allows.

use serde_json::{Value, json};

use super::op::Op;
use super::validate::{self, constraint, not_found, opt_int, opt_str, req_str};
use crate::cloud::error::ApiError;

const MAX_TAGS: usize = 50;

pub fn tag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    if input.get("Tags").is_none_or(Value::is_null) {
        return Err(validate::not_null("tags"));
    }
    let add = validate::tags(&input, "Tags", "tags")?;
    let mut streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    let mut meta = entry.meta.clone();
    meta.tags.extend(add);
    if meta.tags.len() > MAX_TAGS {
        return Err(ApiError::bad_request(
            "LimitExceededException",
            format!("A delivery stream can have at most {MAX_TAGS} tags; {name} would have {}.", meta.tags.len()),
        ));
    }
    op.state.update(&mut streams, meta)?;
    Ok(json!({}))
}

pub fn untag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let keys: Vec<&str> = match input.get("TagKeys") {
        None | Some(Value::Null) => return Err(validate::not_null("tagKeys")),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(ApiError::serialization("TagKeys must be a list")),
    };
    if keys.is_empty() || keys.len() > MAX_TAGS {
        return Err(constraint(
            format!("[{} keys]", keys.len()),
            "tagKeys",
            "Member must have length between 1 and 50",
        ));
    }
    let mut streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    let mut meta = entry.meta.clone();
    for k in keys {
        meta.tags.remove(k);
    }
    op.state.update(&mut streams, meta)?;
    Ok(json!({}))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let limit = opt_int(&input, "Limit", "limit", 1..=50)?.unwrap_or(50) as usize;
    let start = opt_str(&input, "ExclusiveStartTagKey")?;
    let streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    let mut matching = entry.meta.tags.iter().filter(|(k, _)| start.is_none_or(|s| k.as_str() > s));
    let tags: Vec<Value> = matching.by_ref().take(limit).map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
    let more = matching.next().is_some();
    Ok(json!({ "Tags": tags, "HasMoreTags": more }))
}
