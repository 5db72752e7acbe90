//! Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams.

use serde_json::{Value, json};

use super::Op;
use super::groups::{decode_token, encode_token};
use super::model::{Stream, StreamMeta, group_arn};
use super::validate::{self, group_not_found, invalid, opt_bool, opt_str, req_str, stream_not_found};
use crate::cloud::error::ApiError;

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = req_str(&input, "logGroupName")?;
    let name = req_str(&input, "logStreamName")?;
    validate::stream_name(name, "logStreamName")?;
    let mut groups = op.state.lock();
    let g = groups.get_mut(group).ok_or_else(group_not_found)?;
    if g.streams.contains_key(name) {
        return Err(ApiError::bad_request("ResourceAlreadyExistsException", "The specified log stream already exists"));
    }
    op.state.create_stream(g, StreamMeta { name: name.to_string(), created_ms: op.now })?;
    Ok(json!({}))
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = req_str(&input, "logGroupName")?;
    let name = req_str(&input, "logStreamName")?;
    let mut groups = op.state.lock();
    let g = groups.get_mut(group).ok_or_else(group_not_found)?;
    if !g.streams.contains_key(name) {
        return Err(stream_not_found());
    }
    op.state.delete_stream(g, name)?;
    Ok(json!({}))
}

pub fn describe(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = match (opt_str(&input, "logGroupName")?, opt_str(&input, "logGroupIdentifier")?) {
        (Some(_), Some(_)) => {
            return Err(invalid("LogGroupName and LogGroupIdentifier are mutually exclusive parameters."));
        }
        (Some(name), None) => name.to_string(),
        (None, Some(id)) => identifier_group(id),
        (None, None) => return Err(invalid("Either LogGroupName or LogGroupIdentifier must be specified.")),
    };
    let prefix = opt_str(&input, "logStreamNamePrefix")?;
    let by_time = match opt_str(&input, "orderBy")? {
        None | Some("LogStreamName") => false,
        Some("LastEventTime") => true,
        Some(other) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )));
        }
    };
    if by_time && prefix.is_some() {
        return Err(invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
    }
    let descending = opt_bool(&input, "descending")?.unwrap_or(false);
    let limit = validate::limit(&input, 50)?;
    let offset: usize = match opt_str(&input, "nextToken")? {
        Some(t) => decode_token(t)?.parse().map_err(|_| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    let groups = op.state.lock();
    let g = groups.get(&group).ok_or_else(group_not_found)?;
    let mut streams: Vec<&Stream> =
        g.streams.values().filter(|s| prefix.is_none_or(|p| s.meta.name.starts_with(p))).collect();
    if by_time {
        streams.sort_by_key(|s| (last_event(s).unwrap_or(0), s.meta.name.clone()));
    }
    if descending {
        streams.reverse();
    }
    let arn = group_arn(op.region, op.ctx.account_id(), &group);
    let page: Vec<Value> = streams.iter().skip(offset).take(limit).map(|s| describe_stream(&arn, s)).collect();
    let mut out = json!({ "logStreams": page });
    if offset + limit < streams.len() {
        out["nextToken"] = json!(encode_token(&(offset + limit).to_string()));
    }
    Ok(out)
}

/// A `logGroupIdentifier` is a group's name or its ARN.
pub fn identifier_group(id: &str) -> String {
    match id.split_once(":log-group:") {
        Some((_, name)) => name.strip_suffix(":*").unwrap_or(name).to_string(),
        None => id.to_string(),
    }
}

fn last_event(s: &Stream) -> Option<i64> {
    s.events.keys().next_back().map(|k| k.0)
}

fn describe_stream(group_arn: &str, s: &Stream) -> Value {
    let mut v = json!({
        "logStreamName": s.meta.name,
        "creationTime": s.meta.created_ms,
        "arn": format!("{group_arn}:log-stream:{}", s.meta.name),
        "storedBytes": 0,
    });
    if let Some(first) = s.events.keys().next() {
        v["firstEventTimestamp"] = json!(first.0);
        v["lastEventTimestamp"] = json!(last_event(s));
        v["lastIngestionTime"] = json!(s.events.values().map(|e| e.ingestion_ms).max());
        v["uploadSequenceToken"] = json!(format!("{:056}", s.events.keys().map(|k| k.1).max().unwrap_or(0)));
    }
    v
}
