//! StartQuery, GetQueryResults, StopQuery and DescribeQueries: AWS's input rules and shapes around
//! the registry. A query reads the events of its groups whose timestamps fall in
//! `[startTime, endTime]` (epoch seconds, both ends inclusive), as they are when it starts.

use std::sync::Arc;

use serde_json::{Value, json};

use super::lexer::MAX_QUERY_CHARS;
use super::parser::parse;
use super::record::SourceEvent;
use super::registry::{QueryEntry, QueryRegistry, Status};
use crate::cloud::error::ApiError;
use crate::cloud::logs::groups::{decode_token, encode_token};
use crate::cloud::logs::op::Op;
use crate::cloud::logs::streams::identifier_group;
use crate::cloud::logs::validate::{invalid, opt_i64, opt_str, req_str};

/// StartQuery takes at most this many log groups.
const MAX_GROUPS: usize = 50;
/// The largest StartQuery `limit` (Logs Insights QL), and its default.
const MAX_LIMIT: i64 = 100_000;
const DEFAULT_LIMIT: usize = 10_000;
/// GetQueryResults returns at most this many rows a call; `nextToken` pages through the rest.
const PAGE_ROWS: usize = 10_000;
/// The only query language here: Logs Insights QL.
const LANGUAGE: &str = "CWLI";

pub fn start(op: &Op<'_>, registry: &Arc<QueryRegistry>, input: Value) -> Result<Value, ApiError> {
    let groups = group_names(&input)?;
    let text = req_str(&input, "queryString")?;
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid(format!(
            "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to {MAX_QUERY_CHARS}"
        )));
    }
    language(&input)?;
    let start = required_seconds(&input, "startTime")?;
    let end = required_seconds(&input, "endTime")?;
    if end < start {
        return Err(invalid(format!("endTime ({end}) must not be before startTime ({start})")));
    }
    let limit = match opt_i64(&input, "limit")? {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MAX_LIMIT}"
            )));
        }
    };
    let query = parse(text).map_err(|e| e.to_api(text))?;
    let events = read(op, &groups, start.saturating_mul(1000), end.saturating_mul(1000).saturating_add(999))?;
    let admitted = registry.admit(op.now, text, groups)?;
    let id = admitted.id.clone();
    registry.spawn(admitted, query, events, op.ctx.account_id().to_string(), limit);
    Ok(json!({ "queryId": id }))
}

pub fn get_results(op: &Op<'_>, registry: &QueryRegistry, input: Value) -> Result<Value, ApiError> {
    let id = req_str(&input, "queryId")?;
    let q = registry.get(id, op.now)?;
    let from = match opt_str(&input, "nextToken")? {
        Some(t) => decode_token(t)?.parse::<usize>().map_err(|_| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    let empty = Default::default();
    let outcome = q.outcome.as_ref().unwrap_or(&empty);
    let page: Vec<Value> = outcome
        .rows
        .iter()
        .skip(from)
        .take(PAGE_ROWS)
        .map(|row| Value::Array(row.iter().map(|(f, v)| json!({ "field": f, "value": v })).collect()))
        .collect();
    let mut out = json!({
        "queryLanguage": LANGUAGE,
        "status": q.status.as_str(),
        "results": page,
        "statistics": {
            "recordsMatched": outcome.records_matched as f64,
            "recordsScanned": outcome.records_scanned as f64,
            "bytesScanned": outcome.bytes_scanned as f64,
            "estimatedRecordsSkipped": 0.0,
            "estimatedBytesSkipped": 0.0,
            "logGroupsScanned": q.groups.len() as f64,
        },
    });
    if from + PAGE_ROWS < outcome.rows.len() {
        out["nextToken"] = json!(encode_token(&(from + PAGE_ROWS).to_string()));
    }
    Ok(out)
}

pub fn stop(op: &Op<'_>, registry: &QueryRegistry, input: Value) -> Result<Value, ApiError> {
    let id = req_str(&input, "queryId")?;
    Ok(json!({ "success": registry.stop(id, op.now)? }))
}

pub fn describe(op: &Op<'_>, registry: &QueryRegistry, input: Value) -> Result<Value, ApiError> {
    let group = opt_str(&input, "logGroupName")?.map(identifier_group);
    let status = match opt_str(&input, "status")? {
        None => None,
        Some(s) => Some(Status::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            invalid(format!(
                "1 validation error detected: Value '{s}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown]"
            ))
        })?),
    };
    language(&input)?;
    let max = match opt_i64(&input, "maxResults")? {
        None => 1000,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000"
            )));
        }
    };
    let from = match opt_str(&input, "nextToken")? {
        Some(t) => decode_token(t)?.parse::<usize>().map_err(|_| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    let chosen: Vec<QueryEntry> = registry
        .list(op.now)
        .into_iter()
        .filter(|q| group.as_ref().is_none_or(|g| q.groups.contains(g)))
        .filter(|q| status.is_none_or(|s| q.status == s))
        .collect();
    let page: Vec<Value> = chosen
        .iter()
        .skip(from)
        .take(max)
        .map(|q| {
            let mut info = json!({
                "queryLanguage": LANGUAGE,
                "queryId": q.id,
                "queryString": q.text,
                "status": q.status.as_str(),
                "createTime": q.created_ms,
                "logGroupName": q.groups.first(),
            });
            if let Some(ended) = q.ended_ms {
                info["queryDuration"] = json!(ended - q.created_ms);
            }
            if let Some(o) = &q.outcome {
                info["bytesScanned"] = json!(o.bytes_scanned as f64);
            }
            info
        })
        .collect();
    let mut out = json!({ "queries": page });
    if from + max < chosen.len() {
        out["nextToken"] = json!(encode_token(&(from + max).to_string()));
    }
    Ok(out)
}

/// Exactly one of `logGroupName`, `logGroupNames`, `logGroupIdentifiers`, as names.
fn group_names(input: &Value) -> Result<Vec<String>, ApiError> {
    let one = opt_str(input, "logGroupName")?.map(|n| vec![n.to_string()]);
    let names = string_list(input, "logGroupNames")?;
    let ids = string_list(input, "logGroupIdentifiers")?.map(|l| l.iter().map(|i| identifier_group(i)).collect());
    let given: Vec<Vec<String>> = [one, names, ids].into_iter().flatten().collect();
    match given.as_slice() {
        [list] if !list.is_empty() && list.len() <= MAX_GROUPS => {
            let mut list = list.clone();
            list.dedup();
            Ok(list)
        }
        [list] => Err(invalid(format!("A query takes from 1 to {MAX_GROUPS} log groups; {} were given", list.len()))),
        _ => Err(invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")),
    }
}

fn string_list(input: &Value, member: &str) -> Result<Option<Vec<String>>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::serialization(format!("{member} must hold strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a list"))),
    }
}

fn language(input: &Value) -> Result<(), ApiError> {
    match opt_str(input, "queryLanguage")? {
        None | Some(LANGUAGE) => Ok(()),
        Some(other) => Err(invalid(format!("queryLanguage {other} is not supported by the local cloud; use CWLI"))),
    }
}

fn required_seconds(input: &Value, member: &str) -> Result<i64, ApiError> {
    match opt_i64(input, member)? {
        Some(n) if n >= 0 => Ok(n),
        Some(n) => Err(invalid(format!(
            "1 validation error detected: Value '{n}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to 0"
        ))),
        None => Err(invalid(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))),
    }
}

/// A copy of the events of `groups` in `[from_ms, to_ms]`, past retention left out.
fn read(op: &Op<'_>, groups: &[String], from_ms: i64, to_ms: i64) -> Result<Vec<SourceEvent>, ApiError> {
    let state = op.state.lock();
    let mut out = Vec::new();
    for name in groups {
        let g = state.get(name).ok_or_else(|| {
            ApiError::bad_request(
                "ResourceNotFoundException",
                format!("Log group '{name}' does not exist for account ID '{}'", op.ctx.account_id()),
            )
        })?;
        let from = from_ms.max(g.retention_cutoff(op.now).unwrap_or(i64::MIN));
        for s in g.streams.values() {
            for ((ts, seq), e) in s.events.range((from, 0)..).take_while(|((ts, _), _)| *ts <= to_ms) {
                out.push(SourceEvent {
                    group: name.clone(),
                    stream: s.meta.name.clone(),
                    timestamp: *ts,
                    seq: *seq,
                    message: e.message.clone(),
                    ingestion_ms: e.ingestion_ms,
                });
            }
        }
    }
    Ok(out)
}
