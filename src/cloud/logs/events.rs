//! PutLogEvents and GetLogEvents.
//!
//! A batch is refused whole when it breaks a batch rule (10,000 events, 1,048,576 bytes counting 26
//! bytes per event, chronological order, a 24-hour span of its valid events); events outside the
//! accepted window (more than 2 hours ahead, more than 14 days old, older than the group's retention)
//! are left out and reported in `rejectedLogEventsInfo`, as AWS's PutLogEvents reference describes.

use std::ops::Bound;

use serde_json::{Value, json};

use super::Op;
use super::model::{DAY_MS, Event, EventKey, Group, Stream};
use super::validate::{self, group_not_found, invalid, opt_bool, opt_i64, opt_str, req_str, stream_not_found};
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

pub const MAX_BATCH_EVENTS: usize = 10_000;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const EVENT_OVERHEAD: usize = 26;
const HOUR_MS: Millis = 3_600_000;

/// Which events of a batch were left out, by index in the batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rejected {
    pub too_new_start: Option<usize>,
    pub too_old_end: Option<usize>,
    pub expired_end: Option<usize>,
}

/// Checks the batch rules and splits a batch into what is accepted and what is rejected.
pub fn screen(
    group: &Group,
    now: Millis,
    events: &[(Millis, String)],
) -> Result<(Vec<(Millis, String)>, Rejected), ApiError> {
    if events.is_empty() {
        return Err(invalid(
            "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if events.len() > MAX_BATCH_EVENTS {
        return Err(invalid(format!(
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to {MAX_BATCH_EVENTS}"
        )));
    }
    let bytes: usize = events.iter().map(|(_, m)| m.len() + EVENT_OVERHEAD).sum();
    if bytes > MAX_BATCH_BYTES {
        return Err(invalid(format!("Upload too large: {bytes} bytes exceeds limit of {MAX_BATCH_BYTES}")));
    }
    if let Some((_, m)) = events.iter().find(|(_, m)| m.is_empty()) {
        let _ = m;
        return Err(invalid(
            "1 validation error detected: Value '' at 'logEvents.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if events.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(invalid("Log events in a single PutLogEvents request must be in chronological order."));
    }
    let retention = group.retention_cutoff(now);
    let mut rejected = Rejected::default();
    let mut accepted = Vec::new();
    for (i, (ts, message)) in events.iter().enumerate() {
        if *ts > now + 2 * HOUR_MS {
            rejected.too_new_start = Some(rejected.too_new_start.map_or(i, |s| s.min(i)));
        } else if retention.is_some_and(|cut| *ts < cut) {
            rejected.expired_end = Some(i + 1);
        } else if *ts < now - 14 * DAY_MS {
            rejected.too_old_end = Some(i + 1);
        } else {
            accepted.push((*ts, message.clone()));
        }
    }
    // The span rule applies to the events inside the accepted window, which are in order.
    if let (Some(first), Some(last)) = (accepted.first(), accepted.last())
        && last.0 - first.0 > DAY_MS
    {
        return Err(invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }
    Ok((accepted, rejected))
}

pub fn put(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group_name = req_str(&input, "logGroupName")?;
    let stream = req_str(&input, "logStreamName")?;
    let Some(list) = input.get("logEvents").and_then(Value::as_array) else {
        return Err(invalid(
            "1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: Member must not be null",
        ));
    };
    let mut events = Vec::with_capacity(list.len());
    for e in list {
        let ts = e.get("timestamp").and_then(Value::as_i64);
        let msg = e.get("message").and_then(Value::as_str);
        let (Some(ts), Some(msg)) = (ts, msg) else {
            return Err(ApiError::serialization("each log event needs a timestamp and a message"));
        };
        events.push((ts, msg.to_string()));
    }
    let mut groups = op.state.lock();
    let group = groups.get_mut(group_name).ok_or_else(group_not_found)?;
    if !group.streams.contains_key(stream) {
        return Err(stream_not_found());
    }
    let (accepted, rejected) = screen(group, op.now, &events)?;
    let now = op.now;
    let accepted = accepted.into_iter().map(|(ts, message)| (ts, Event { message, ingestion_ms: now })).collect();
    let keys = op.state.append(group, stream, accepted)?;
    let token = keys.iter().map(|k| k.1).max().unwrap_or(0);
    let mut out = json!({ "nextSequenceToken": format!("{token:056}") });
    if rejected != Rejected::default() {
        let mut info = serde_json::Map::new();
        if let Some(i) = rejected.too_new_start {
            info.insert("tooNewLogEventStartIndex".into(), json!(i));
        }
        if let Some(i) = rejected.too_old_end {
            info.insert("tooOldLogEventEndIndex".into(), json!(i));
        }
        if let Some(i) = rejected.expired_end {
            info.insert("expiredLogEventEndIndex".into(), json!(i));
        }
        out["rejectedLogEventsInfo"] = Value::Object(info);
    }
    Ok(out)
}

fn token(direction: char, key: EventKey) -> String {
    format!("{direction}/{:036}{:020}", key.0.max(0), key.1)
}

fn parse_token(t: &str) -> Result<(char, EventKey), ApiError> {
    let bad = || invalid("The specified nextToken is invalid.");
    let (dir, digits) = t.split_once('/').ok_or_else(bad)?;
    let dir = match dir {
        "f" => 'f',
        "b" => 'b',
        _ => return Err(bad()),
    };
    if digits.len() != 56 {
        return Err(bad());
    }
    let ts = digits[..36].parse::<Millis>().map_err(|_| bad())?;
    let seq = digits[36..].parse::<u64>().map_err(|_| bad())?;
    Ok((dir, (ts, seq)))
}

pub fn get(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = match (opt_str(&input, "logGroupName")?, opt_str(&input, "logGroupIdentifier")?) {
        (Some(_), Some(_)) => {
            return Err(invalid("LogGroupName and LogGroupIdentifier are mutually exclusive parameters."));
        }
        (Some(n), None) => n.to_string(),
        (None, Some(id)) => super::streams::identifier_group(id),
        (None, None) => return Err(invalid("Either LogGroupName or LogGroupIdentifier must be specified.")),
    };
    let stream_name = req_str(&input, "logStreamName")?;
    let start = opt_i64(&input, "startTime")?.unwrap_or(0);
    let end = opt_i64(&input, "endTime")?.unwrap_or(Millis::MAX);
    let limit = validate::limit(&input, MAX_BATCH_EVENTS as i64)?;
    let from_head = opt_bool(&input, "startFromHead")?.unwrap_or(false);
    let token_in = opt_str(&input, "nextToken")?.map(parse_token).transpose()?;
    let groups = op.state.lock();
    let g = groups.get(&group).ok_or_else(group_not_found)?;
    let stream = g.streams.get(stream_name).ok_or_else(stream_not_found)?;
    let start = start.max(g.retention_cutoff(op.now).unwrap_or(0));
    let forward = match token_in {
        Some((dir, _)) => dir == 'f',
        None => from_head,
    };
    let page = read_page(stream, token_in.map(|t| t.1), forward, (start, end), limit);
    let (first, last) = (page.first().map(|(k, _)| *k), page.last().map(|(k, _)| *k));
    let fallback = token_in.map(|t| t.1).unwrap_or_else(|| {
        if from_head { (0, 0) } else { stream.events.keys().next_back().copied().unwrap_or((0, 0)) }
    });
    let events: Vec<Value> = page
        .iter()
        .map(|(k, e)| json!({ "timestamp": k.0, "message": e.message, "ingestionTime": e.ingestion_ms }))
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": token('f', last.unwrap_or(fallback)),
        "nextBackwardToken": token('b', first.unwrap_or(fallback)),
    }))
}

/// Up to `limit` events (and 1 MiB) in `[start, end)`: the first ones after `after` going forward,
/// or the last ones before it going backward, returned in time order.
fn read_page(
    stream: &Stream,
    after: Option<EventKey>,
    forward: bool,
    (start, end): (Millis, Millis),
    limit: usize,
) -> Vec<(EventKey, Event)> {
    let in_range = |k: &EventKey| k.0 >= start && k.0 < end;
    let mut bytes = 0;
    let mut fits = |e: &Event| {
        bytes += e.message.len() + EVENT_OVERHEAD;
        bytes <= MAX_BATCH_BYTES
    };
    let mut page: Vec<(EventKey, Event)> = if forward {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        stream
            .events
            .range((lower, Bound::Unbounded))
            .filter(|(k, _)| in_range(k))
            .take(limit)
            .take_while(|(_, e)| fits(e))
            .map(|(k, e)| (*k, e.clone()))
            .collect()
    } else {
        let upper = after.map_or(Bound::Unbounded, Bound::Excluded);
        stream
            .events
            .range((Bound::Unbounded, upper))
            .rev()
            .filter(|(k, _)| in_range(k))
            .take(limit)
            .take_while(|(_, e)| fits(e))
            .map(|(k, e)| (*k, e.clone()))
            .collect()
    };
    if !forward {
        page.reverse();
    }
    page
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn group(retention_days: Option<u32>) -> Group {
        Group {
            meta: super::super::model::GroupMeta {
                name: "g".into(),
                created_ms: 0,
                retention_days,
                tags: Default::default(),
            },
            streams: BTreeMap::new(),
        }
    }

    #[test]
    fn batch_rules_refuse_the_whole_batch() {
        let now = 100 * DAY_MS;
        let g = group(None);
        let too_many: Vec<_> = (0..=MAX_BATCH_EVENTS).map(|i| (now, format!("m{i}"))).collect();
        assert!(screen(&g, now, &too_many).unwrap_err().message.contains("less than or equal to 10000"));
        // 1,048,576 bytes counting 26 per event: 4 events of 262,118 bytes fit exactly, one more byte does not.
        let fit: Vec<_> = (0..4).map(|_| (now, "x".repeat(262_118))).collect();
        assert!(screen(&g, now, &fit).is_ok());
        let mut over = fit.clone();
        over[0].1.push('x');
        assert!(screen(&g, now, &over).unwrap_err().message.contains("Upload too large: 1048577 bytes"));
        let unordered = vec![(now, "b".to_string()), (now - 1, "a".to_string())];
        assert!(screen(&g, now, &unordered).unwrap_err().message.contains("chronological order"));
        let span = vec![(now - DAY_MS - 1, "a".to_string()), (now, "b".to_string())];
        assert!(screen(&g, now, &span).unwrap_err().message.contains("cannot span more than 24 hours"));
    }

    #[test]
    fn events_outside_the_window_are_rejected_by_index() {
        let now = 100 * DAY_MS;
        let g = group(Some(1));
        let events = vec![(now - DAY_MS - 1, "expired".to_string()), (now - 2, "ok".to_string())];
        let (accepted, rejected) = screen(&g, now, &events).unwrap();
        assert_eq!(accepted, vec![(now - 2, "ok".to_string())]);
        assert_eq!(rejected, Rejected { too_new_start: None, too_old_end: None, expired_end: Some(1) });
        let events = vec![(now, "ok".to_string()), (now + 2 * HOUR_MS + 1, "too new".to_string())];
        let (accepted, rejected) = screen(&g, now, &events).unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(rejected, Rejected { too_new_start: Some(1), too_old_end: None, expired_end: None });
        let g = group(None);
        let old = vec![(now - 14 * DAY_MS - 1, "old".to_string()), (now - 14 * DAY_MS + HOUR_MS, "ok".to_string())];
        let (accepted, rejected) = screen(&g, now, &old).unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(rejected.too_old_end, Some(1));
    }
}
