//! TagResource, UntagResource and ListTagsForResource on an application's ARN (at most 50 tags, as
//! AWS's quota says). The `kinesis-console:builtin` tag picks the built-in job (`jobs/`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::op::{Input, Op, invalid_argument, not_found, object, string};
use crate::cloud::error::ApiError;

pub const MAX_TAGS: usize = 50;

/// A `Tags` list (`[{Key, Value}]`), checked as the model bounds it.
pub fn read_tags(input: &Input) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(list) = input.get("Tags").filter(|v| !v.is_null()) else { return Ok(BTreeMap::new()) };
    let list = list.as_array().ok_or_else(|| ApiError::serialization("Tags must be a list"))?;
    if list.is_empty() || list.len() > 200 {
        return Err(invalid_argument("Tags must have between 1 and 200 members"));
    }
    let mut tags = BTreeMap::new();
    for t in list {
        let key = t["Key"].as_str().unwrap_or_default();
        let value = t["Value"].as_str().unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(invalid_argument(format!(
                "Tag key '{key}' must have 1 to 128 characters and its value at most 256"
            )));
        }
        tags.insert(key.to_string(), value.to_string());
    }
    too_many(tags.len())?;
    Ok(tags)
}

fn too_many(n: usize) -> Result<(), ApiError> {
    if n > MAX_TAGS {
        return Err(ApiError::bad_request(
            "TooManyTagsException",
            format!("Application can have at most {MAX_TAGS} tags; this request would leave {n}"),
        ));
    }
    Ok(())
}

/// The application an ARN names (`arn:aws:kinesisanalytics:<region>:<account>:application/<name>`).
fn app_name(input: &Input) -> Result<String, ApiError> {
    let arn = string(input, "ResourceARN", 1, 2048)?;
    arn.strip_prefix("arn:")
        .and_then(|_| arn.split_once(":application/"))
        .map(|(_, name)| name.to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid_argument(format!("{arn} is not a Managed Flink application ARN")))
}

pub fn tag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = app_name(&input)?;
    let new = read_tags(&input)?;
    let mut apps = op.state.lock();
    let mut app = apps.get(&name).cloned().ok_or_else(|| not_found(format!("Resource {name} not found")))?;
    app.tags.extend(new);
    too_many(app.tags.len())?;
    op.state.put(&mut apps, app)?;
    Ok(json!({}))
}

pub fn untag(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = app_name(&input)?;
    let keys = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| invalid_argument("TagKeys must have between 1 and 200 members"))?;
    let mut apps = op.state.lock();
    let mut app = apps.get(&name).cloned().ok_or_else(|| not_found(format!("Resource {name} not found")))?;
    for k in keys {
        app.tags.remove(k.as_str().unwrap_or_default());
    }
    op.state.put(&mut apps, app)?;
    Ok(json!({}))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = app_name(&input)?;
    let apps = op.state.lock();
    let app = apps.get(&name).ok_or_else(|| not_found(format!("Resource {name} not found")))?;
    Ok(json!({ "Tags": app.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>() }))
}
