//! FilterLogEvents: the events of a group's streams (by names or name prefix) in a time range that
//! match a filter pattern (`pattern.rs`), merged in time order and paged.

use serde_json::{Value, json};

use super::Op;
use super::events::{EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};
use super::groups::{decode_token, encode_token};
use super::pattern::Pattern;
use super::validate::{self, group_not_found, invalid, opt_i64, opt_str};
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

pub fn filter(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = match (opt_str(&input, "logGroupName")?, opt_str(&input, "logGroupIdentifier")?) {
        (Some(_), Some(_)) => {
            return Err(invalid("LogGroupName and LogGroupIdentifier are mutually exclusive parameters."));
        }
        (Some(n), None) => n.to_string(),
        (None, Some(id)) => super::streams::identifier_group(id),
        (None, None) => return Err(invalid("Either LogGroupName or LogGroupIdentifier must be specified.")),
    };
    let names: Option<Vec<String>> = match input.get("logStreamNames") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(list.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        Some(_) => return Err(ApiError::serialization("logStreamNames must be a list")),
    };
    let prefix = opt_str(&input, "logStreamNamePrefix")?;
    if names.is_some() && prefix.is_some() {
        return Err(invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters."));
    }
    if names.as_ref().is_some_and(|n| n.is_empty() || n.len() > 100) {
        return Err(invalid(
            "1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100",
        ));
    }
    let start = opt_i64(&input, "startTime")?.unwrap_or(0);
    let end = opt_i64(&input, "endTime")?.unwrap_or(Millis::MAX);
    if end < start {
        return Err(invalid("endTime must be greater than or equal to startTime"));
    }
    let pattern = Pattern::parse(opt_str(&input, "filterPattern")?.unwrap_or(""))
        .map_err(|e| invalid(format!("Invalid filter pattern: {e}")))?;
    let limit = validate::limit(&input, MAX_BATCH_EVENTS as i64)?;
    let after: Option<(Millis, String, u64)> = match opt_str(&input, "nextToken")? {
        Some(t) => {
            Some(serde_json::from_str(&decode_token(t)?).map_err(|_| invalid("The specified nextToken is invalid."))?)
        }
        None => None,
    };
    let groups = op.state.lock();
    let g = groups.get(&group).ok_or_else(group_not_found)?;
    let start = start.max(g.retention_cutoff(op.now).unwrap_or(0));
    let streams: Vec<_> = g
        .streams
        .values()
        .filter(|s| names.as_ref().is_none_or(|n| n.contains(&s.meta.name)))
        .filter(|s| prefix.is_none_or(|p| s.meta.name.starts_with(p)))
        .collect();
    let mut hits: Vec<(Millis, &str, u64, &super::model::Event)> = streams
        .iter()
        .flat_map(|s| s.events.range((start, 0)..).map(move |(k, e)| (k.0, s.meta.name.as_str(), k.1, e)))
        .filter(|(ts, ..)| *ts <= end)
        .filter(|(ts, name, seq, _)| after.as_ref().is_none_or(|a| (*ts, *name, *seq) > (a.0, a.1.as_str(), a.2)))
        .filter(|(.., e)| pattern.matches(&e.message))
        .collect();
    hits.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let mut bytes = 0;
    let mut taken = 0;
    for (.., e) in hits.iter().take(limit) {
        bytes += e.message.len() + EVENT_OVERHEAD;
        if bytes > MAX_BATCH_BYTES && taken > 0 {
            break;
        }
        taken += 1;
    }
    let page = &hits[..taken];
    let events: Vec<Value> = page
        .iter()
        .map(|(ts, name, seq, e)| {
            json!({
                "logStreamName": name, "timestamp": ts, "message": e.message, "ingestionTime": e.ingestion_ms,
                "eventId": format!("{:036}{seq:020}", (*ts).max(0)),
            })
        })
        .collect();
    let searched: Vec<Value> =
        streams.iter().map(|s| json!({ "logStreamName": s.meta.name, "searchedCompletely": true })).collect();
    let mut out = json!({ "events": events, "searchedLogStreams": searched });
    if taken < hits.len()
        && let Some((ts, name, seq, _)) = page.last()
    {
        out["nextToken"] = json!(encode_token(&json!([ts, name, seq]).to_string()));
    }
    Ok(out)
}
