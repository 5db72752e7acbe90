//! Event source mappings for Kinesis streams: Create, Get, List, Update, Delete, with the states
//! Lambda reports (`Creating` → `Enabled`, `Enabling`/`Disabling`, `Updating`, `Deleting`) each lasting
//! the transition time of the cloud clock. LATEST is fixed when the mapping is created: the tip of every
//! shard then becomes its stored position. The batches themselves run in `poller.rs`.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Value, json};

use super::model::{Cursor, Mapping, Positions, StartingPosition, Transition};
use super::names::{not_found, resolve_name};
use super::op::{Input, Op, Reply, invalid, object, opt_bool, opt_int, opt_str, req_str, str_map};
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

pub fn mapping_arn(op: &Op, uuid: &str) -> String {
    format!("arn:aws:lambda:{}:{}:event-source-mapping:{uuid}", op.region, op.account())
}

/// The state a mapping reports at `now`.
pub fn state_name(m: &Mapping, now: Millis, transition_ms: Millis) -> &'static str {
    match m.transition {
        Some(Transition::Deleting) => "Deleting",
        Some(t) if now < m.transition_at_ms + transition_ms => match t {
            Transition::Creating => "Creating",
            Transition::Enabling => "Enabling",
            Transition::Disabling => "Disabling",
            Transition::Updating => "Updating",
            Transition::Deleting => "Deleting",
        },
        _ if m.enabled => "Enabled",
        _ => "Disabled",
    }
}

pub fn describe(op: &Op, m: &Mapping) -> Value {
    let mut d = json!({
        "UUID": m.uuid,
        "EventSourceMappingArn": mapping_arn(op, &m.uuid),
        "StartingPosition": m.starting_position.as_str(),
        "BatchSize": m.batch_size,
        "MaximumBatchingWindowInSeconds": m.batching_window_s,
        "ParallelizationFactor": m.parallelization,
        "EventSourceArn": m.event_source_arn,
        "FunctionArn": m.function_arn,
        "LastModified": m.last_modified_ms as f64 / 1000.0,
        "LastProcessingResult": m.last_result,
        "State": state_name(m, op.now, op.ctx.config.lambda.transition_ms),
        "StateTransitionReason": "User action",
        "DestinationConfig": { "OnFailure": m.on_failure.as_ref().map_or_else(|| json!({}), |d| json!({ "Destination": d })) },
        "MaximumRecordAgeInSeconds": m.max_record_age_s,
        "BisectBatchOnFunctionError": m.bisect,
        "MaximumRetryAttempts": m.max_retries,
        "TumblingWindowInSeconds": m.tumbling_window_s,
        "FunctionResponseTypes": if m.report_item_failures { json!(["ReportBatchItemFailures"]) } else { json!([]) },
    });
    if let Some(ts) = m.starting_timestamp_ms {
        d["StartingPositionTimestamp"] = json!(ts as f64 / 1000.0);
    }
    d
}

fn function_arn_of(op: &Op, input: &Input) -> Result<String, ApiError> {
    let name = resolve_name(&req_str(input, "FunctionName")?, op.region, op.account())?;
    let tables = op.state.lock();
    let f = tables.functions.get(&name).ok_or_else(|| not_found(&name, op.region, op.account()))?;
    Ok(f.arn.clone())
}

/// The settings Create and Update share, applied onto `m`.
fn apply(m: &mut Mapping, input: &Input) -> Result<(), ApiError> {
    if let Some(n) = opt_int(input, "BatchSize", 1, 10_000)? {
        m.batch_size = n as u32;
    }
    if let Some(n) = opt_int(input, "MaximumBatchingWindowInSeconds", 0, 300)? {
        m.batching_window_s = n as u32;
    }
    if let Some(n) = opt_int(input, "ParallelizationFactor", 1, 10)? {
        m.parallelization = n as u32;
    }
    if let Some(n) = opt_int(input, "MaximumRetryAttempts", -1, 10_000)? {
        m.max_retries = n;
    }
    if let Some(n) = opt_int(input, "MaximumRecordAgeInSeconds", -1, 604_800)? {
        if n != -1 && n < 60 {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{n}' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"
            )));
        }
        m.max_record_age_s = n;
    }
    if let Some(b) = opt_bool(input, "BisectBatchOnFunctionError")? {
        m.bisect = b;
    }
    if let Some(n) = opt_int(input, "TumblingWindowInSeconds", 0, 900)? {
        m.tumbling_window_s = n as u32;
    }
    if let Some(dest) = input.get("DestinationConfig") {
        let d = dest.get("OnFailure").and_then(|o| o.get("Destination")).and_then(Value::as_str);
        match d {
            Some("") => m.on_failure = None,
            Some(d) if d.starts_with("arn:aws:sqs:") || d.starts_with("arn:aws:sns:") => {
                m.on_failure = Some(d.to_string())
            }
            Some(d) => {
                return Err(invalid(format!(
                    "Unsupported destination type for a Kinesis event source: {d}; use an SQS queue or SNS topic ARN"
                )));
            }
            None => m.on_failure = None,
        }
    }
    if let Some(types) = input.get("FunctionResponseTypes") {
        let list: Vec<&str> =
            types.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if let Some(bad) = list.iter().find(|t| **t != "ReportBatchItemFailures") {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '[{bad}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]"
            )));
        }
        m.report_item_failures = !list.is_empty();
    }
    Ok(())
}

/// Positions fixed at creation: LATEST takes every shard's tip now; the others start where the
/// poller first reads (TRIM_HORIZON, or the first record at or after the timestamp).
fn initial_positions(op: &Op, m: &Mapping) -> Result<Positions, ApiError> {
    let stream = op
        .ctx
        .stream_reader
        .describe(&m.event_source_arn)
        .map_err(|e| invalid(format!("Stream not found: {} ({})", m.event_source_arn, e.message)))?;
    let mut shards = BTreeMap::new();
    if m.starting_position == StartingPosition::Latest {
        for s in &stream.shards {
            let tip = op.ctx.stream_reader.tip(&m.event_source_arn, &s.shard_id).map_err(|e| {
                ApiError::internal(format!(
                    "reading the tip of {} in {}: {}",
                    s.shard_id, m.event_source_arn, e.message
                ))
            })?;
            shards.insert(s.shard_id.clone(), Cursor { position: tip, done: false });
        }
    }
    Ok(Positions { stream_created_ms: stream.created_ms, shards })
}

pub fn create(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let function_arn = function_arn_of(op, &input)?;
    let source = req_str(&input, "EventSourceArn")?;
    if !source.starts_with("arn:aws:kinesis:") || !source.contains(":stream/") {
        return Err(invalid(format!(
            "Unsupported event source {source}: the local Lambda reads Kinesis streams (arn:aws:kinesis:<region>:<account>:stream/<name>)"
        )));
    }
    let starting_position = match opt_str(&input, "StartingPosition")?.as_deref() {
        Some("LATEST") => StartingPosition::Latest,
        Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
        Some("AT_TIMESTAMP") => StartingPosition::AtTimestamp,
        Some(other) => return Err(invalid(format!("Unsupported starting position: {other}"))),
        None => return Err(invalid("StartingPosition is required for a Kinesis event source.")),
    };
    let starting_timestamp_ms = match input.get("StartingPositionTimestamp").and_then(Value::as_f64) {
        Some(s) => Some((s * 1000.0) as Millis),
        None if starting_position == StartingPosition::AtTimestamp => {
            return Err(invalid("StartingPositionTimestamp is required when the starting position is AT_TIMESTAMP."));
        }
        None => None,
    };
    let mut m = Mapping {
        uuid: uuid::Uuid::new_v4().to_string(),
        function_arn,
        event_source_arn: source,
        starting_position,
        starting_timestamp_ms,
        batch_size: 100,
        batching_window_s: 0,
        parallelization: 1,
        max_retries: -1,
        max_record_age_s: -1,
        bisect: false,
        on_failure: None,
        report_item_failures: false,
        tumbling_window_s: 0,
        enabled: opt_bool(&input, "Enabled")?.unwrap_or(true),
        transition: Some(Transition::Creating),
        transition_at_ms: op.now,
        last_modified_ms: op.now,
        last_result: "No records processed".into(),
        tags: str_map(input.get("Tags"), "Tags")?,
    };
    apply(&mut m, &input)?;
    let positions = initial_positions(op, &m)?;
    let described = describe(op, &m);
    let mut tables = op.state.lock();
    op.state.put_mapping(&mut tables, m, Some(positions))?;
    Ok(Reply::with(StatusCode::ACCEPTED, described))
}

fn find(op: &Op, input: &Input) -> Result<Mapping, ApiError> {
    let uuid = req_str(input, "UUID")?;
    op.state.lock().mappings.get(&uuid).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!(
                "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})"
            ),
        )
    })
}

pub fn get(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let m = find(op, &object(input)?)?;
    Ok(Reply::ok(describe(op, &m)))
}

pub fn list(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let source = opt_str(&input, "EventSourceArn")?;
    let function = match opt_str(&input, "FunctionName")? {
        Some(f) => {
            Some(super::names::function_arn(op.region, op.account(), &resolve_name(&f, op.region, op.account())?))
        }
        None => None,
    };
    let max = opt_int(&input, "MaxItems", 1, 10_000)?.unwrap_or(100) as usize;
    let marker = opt_str(&input, "Marker")?;
    let tables = op.state.lock();
    let mut matching = tables
        .mappings
        .values()
        .filter(|m| source.as_ref().is_none_or(|s| &m.event_source_arn == s))
        .filter(|m| function.as_ref().is_none_or(|f| &m.function_arn == f))
        .filter(|m| marker.as_ref().is_none_or(|k| &m.uuid > k))
        .peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < max {
        let Some(m) = matching.next() else { break };
        out.push(describe(op, m));
        last = Some(m.uuid.clone());
    }
    let mut reply = json!({ "EventSourceMappings": out });
    if matching.peek().is_some()
        && let Some(last) = last
    {
        reply["NextMarker"] = json!(last);
    }
    Ok(Reply::ok(reply))
}

fn check_settled(op: &Op, m: &Mapping) -> Result<(), ApiError> {
    let state = state_name(m, op.now, op.ctx.config.lambda.transition_ms);
    if matches!(state, "Enabled" | "Disabled") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "ResourceInUseException",
        format!("Cannot update the event source mapping {} because it is in use: its state is {state}.", m.uuid),
    ))
}

pub fn update(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut m = find(op, &input)?;
    check_settled(op, &m)?;
    if input.contains_key("FunctionName") {
        m.function_arn = function_arn_of(op, &input)?;
    }
    apply(&mut m, &input)?;
    let enabled = opt_bool(&input, "Enabled")?.unwrap_or(m.enabled);
    m.transition = Some(match (m.enabled, enabled) {
        (false, true) => Transition::Enabling,
        (true, false) => Transition::Disabling,
        _ => Transition::Updating,
    });
    m.enabled = enabled;
    m.transition_at_ms = op.now;
    m.last_modified_ms = op.now;
    let described = describe(op, &m);
    let mut tables = op.state.lock();
    if !tables.mappings.contains_key(&m.uuid) {
        return Err(find(op, &input).err().unwrap_or_else(|| ApiError::internal("the mapping went away")));
    }
    op.state.put_mapping(&mut tables, m, None)?;
    Ok(Reply::with(StatusCode::ACCEPTED, described))
}

pub fn delete(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut m = find(op, &input)?;
    if m.transition == Some(Transition::Deleting) {
        return Ok(Reply::with(StatusCode::ACCEPTED, describe(op, &m)));
    }
    m.transition = Some(Transition::Deleting);
    m.transition_at_ms = op.now;
    let described = describe(op, &m);
    let mut tables = op.state.lock();
    op.state.put_mapping(&mut tables, m, None)?;
    Ok(Reply::with(StatusCode::ACCEPTED, described))
}

/// Ends what the clock has finished: deleted mappings go once their `Deleting` time is over.
pub fn settle(state: &super::state::LambdaState, now: Millis, transition_ms: Millis) {
    let mut tables = state.lock();
    let gone: Vec<String> = tables
        .mappings
        .values()
        .filter(|m| m.transition == Some(Transition::Deleting) && now >= m.transition_at_ms + transition_ms)
        .map(|m| m.uuid.clone())
        .collect();
    for uuid in gone {
        if let Err(e) = state.remove_mapping(&mut tables, &uuid) {
            tracing::warn!(mapping = %uuid, error = %e, "removing a deleted event source mapping failed; retried later");
        }
    }
}
