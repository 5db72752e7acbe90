//! Event source mappings at work: once per second of the cloud clock, every Enabled mapping reads each
//! of its stream's shards through `ctx.stream_reader` (the shard read limits other readers share; a
//! child shard only after its parents were read to their end) and runs rounds. A round takes up to
//! BatchSize × ParallelizationFactor records (waiting up to MaximumBatchingWindowInSeconds for a full
//! batch), splits them into ParallelizationFactor groups by partition key, and runs the groups' batches
//! concurrently, each group in order. A failed batch is bisected (BisectBatchOnFunctionError; a split
//! does not count as a retry) or retried on the next second, until MaximumRetryAttempts, when it is
//! sent to the on-failure destination and discarded; records older than MaximumRecordAgeInSeconds are
//! discarded the same way. When every group is done, the shard's position is checkpointed durably, so
//! after a restart no record is processed twice.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::batch::{self, Answer, Discarded, LastResponse, Origin};
use super::mappings::state_name;
use super::model::{Cursor, Function, Mapping, Positions};
use super::runner::{Runner, publish};
use super::state::LambdaState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::stream_source::{SourceRecord, SourceStream, readable_shards};

const TICK_MS: Millis = 1_000;
/// Reads per shard per second with limits on (GetRecords allows 5); with them off, rounds go on
/// until the shard is caught up, up to this many per second.
const LIMITED_ROUNDS: usize = 5;
const UNLIMITED_ROUNDS: usize = 10_000;

/// A batch waiting to be (re)invoked, with how often it ran and how it last answered.
struct Pending {
    records: Vec<SourceRecord>,
    invokes: u32,
    retries: u32,
    last: LastResponse,
    /// Discarded but not yet delivered to the destination (which refused it): sent again next second.
    undelivered: Option<String>,
}

#[derive(Default)]
struct ShardWork {
    /// Read from the stream, not yet in a round.
    buffer: Vec<SourceRecord>,
    buffered_since: Option<Millis>,
    read_pos: Option<u64>,
    end_seen: bool,
    groups: Vec<VecDeque<Pending>>,
    /// The position to checkpoint when the round's groups are all done.
    round_end: Option<u64>,
}

#[derive(Default)]
struct Worker {
    shards: BTreeMap<String, ShardWork>,
}

pub async fn run(state: Arc<LambdaState>, runner: Arc<Runner>, ctx: Arc<CloudContext>) {
    let ticker = ctx.clock.ticker();
    let mut workers: HashMap<String, Worker> = HashMap::new();
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ticker.sleep_until(next) => {}
            _ = ctx.shutdown_requested() => break,
        }
        let now = ctx.clock.now_ms();
        tick(&state, &runner, &ctx, &mut workers, now).await;
        next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    }
}

async fn tick(
    state: &Arc<LambdaState>,
    runner: &Arc<Runner>,
    ctx: &Arc<CloudContext>,
    workers: &mut HashMap<String, Worker>,
    now: Millis,
) {
    let transition_ms = ctx.config.lambda.transition_ms;
    super::mappings::settle(state, now, transition_ms);
    let enabled: Vec<(Mapping, Option<Function>)> = {
        let tables = state.lock();
        tables
            .mappings
            .values()
            .filter(|m| state_name(m, now, transition_ms) == "Enabled")
            .map(|m| {
                let f = tables.functions.values().find(|f| f.arn == m.function_arn).cloned();
                (m.clone(), f)
            })
            .collect()
    };
    // A disabled or deleted mapping drops what it read but did not checkpoint; it reads it again.
    workers.retain(|uuid, _| enabled.iter().any(|(m, _)| &m.uuid == uuid));
    let mut steps = Vec::new();
    for (m, f) in enabled {
        let mut worker = workers.remove(&m.uuid).unwrap_or_default();
        let (state, runner, ctx) = (state.clone(), runner.clone(), ctx.clone());
        steps.push(tokio::spawn(async move {
            let result = match &f {
                Some(f) => step(&state, &runner, &ctx, &m, f, &mut worker, now).await,
                None => Some("PROBLEM: Function not found".to_string()),
            };
            if let Some(result) = result {
                record_result(&state, &m.uuid, result);
            }
            (m.uuid.clone(), worker)
        }));
    }
    for s in steps {
        match s.await {
            Ok((uuid, worker)) => {
                workers.insert(uuid, worker);
            }
            Err(e) => tracing::error!(error = %e, "an event source mapping step panicked"),
        }
    }
}

/// Keeps LastProcessingResult, writing only when it changes.
fn record_result(state: &LambdaState, uuid: &str, result: String) {
    let mut tables = state.lock();
    let Some(m) = tables.mappings.get(uuid).cloned() else { return };
    if m.last_result == result {
        return;
    }
    let changed = Mapping { last_result: result, ..m };
    if let Err(e) = state.put_mapping(&mut tables, changed, None) {
        tracing::warn!(mapping = %uuid, error = %e, "recording the mapping's processing result failed");
    }
}

/// Which shards may be read, and from where.
fn readable(stream: &SourceStream, positions: &Positions) -> Vec<(String, u64)> {
    readable_shards(stream, |id| positions.shards.get(id).map(|c| (c.position, c.done)))
}

/// One second of one mapping; the processing result when there was something to process.
async fn step(
    state: &LambdaState,
    runner: &Runner,
    ctx: &CloudContext,
    m: &Mapping,
    f: &Function,
    worker: &mut Worker,
    now: Millis,
) -> Option<String> {
    let stream = match ctx.stream_reader.describe(&m.event_source_arn) {
        Ok(s) => s,
        Err(e) => return Some(format!("PROBLEM: Stream not found: {} ({})", m.event_source_arn, e.message)),
    };
    let mut positions = state.positions(&m.uuid);
    if positions.stream_created_ms != stream.created_ms {
        // Another stream under the same name: positions of the old one mean nothing in it.
        positions = Positions { stream_created_ms: stream.created_ms, shards: BTreeMap::new() };
        worker.shards.clear();
    }
    let limited = ctx.limits.enforced(stream.name.as_str());
    let rounds = if limited { LIMITED_ROUNDS } else { UNLIMITED_ROUNDS };
    let shards = readable(&stream, &positions);
    worker.shards.retain(|id, _| shards.iter().any(|(s, _)| s == id));
    let mut outcome = None;
    let mut work = Vec::new();
    for (shard_id, from) in shards {
        let w = worker.shards.remove(&shard_id).unwrap_or_default();
        work.push((shard_id, from, w));
    }
    let results = futures_util::future::join_all(work.into_iter().map(|(shard_id, from, mut w)| async move {
        let origin =
            Origin { stream_arn: &m.event_source_arn, shard_id: &shard_id, region: &ctx.config.region, role: &f.role };
        let r = shard_step(runner, ctx, m, f, &origin, &mut w, from, rounds, now).await;
        (shard_id, w, r)
    }))
    .await;
    for (shard_id, w, (checkpoint, result)) in results {
        if let Some(c) = checkpoint {
            positions.shards.insert(shard_id.clone(), c);
        }
        if result.is_some() {
            outcome = result;
        }
        worker.shards.insert(shard_id, w);
    }
    if positions != state.positions(&m.uuid)
        && let Err(e) = state.save_positions(&m.uuid, positions)
    {
        // Not checkpointed: the records since the last checkpoint are read and processed again.
        tracing::warn!(mapping = %m.uuid, error = %e, "checkpointing the mapping failed");
        worker.shards.clear();
    }
    outcome
}

/// Rounds on one shard; the new checkpoint (if it moved) and the processing result (if any ran).
#[allow(clippy::too_many_arguments)]
async fn shard_step(
    runner: &Runner,
    ctx: &CloudContext,
    m: &Mapping,
    f: &Function,
    origin: &Origin<'_>,
    w: &mut ShardWork,
    from: u64,
    rounds: usize,
    now: Millis,
) -> (Option<Cursor>, Option<String>) {
    let mut checkpoint = None;
    let mut result = None;
    w.read_pos.get_or_insert(from);
    for _ in 0..rounds {
        if w.groups.is_empty() && !fill(ctx, m, origin, w, now) {
            if w.end_seen && w.buffer.is_empty() {
                checkpoint = Some(Cursor { position: w.read_pos.unwrap_or(from), done: true });
            }
            break;
        }
        let outcomes =
            futures_util::future::join_all(w.groups.iter_mut().map(|g| run_group(runner, ctx, m, f, origin, g, now)))
                .await;
        for o in outcomes.into_iter().flatten() {
            result = Some(o);
        }
        if w.groups.iter().any(|g| !g.is_empty()) {
            break;
        }
        w.groups.clear();
        if let Some(end) = w.round_end.take() {
            checkpoint = Some(Cursor { position: end, done: false });
        }
    }
    (checkpoint, result)
}

/// Reads into the buffer and, when a batch is due, starts a round. False when nothing is to run.
fn fill(ctx: &CloudContext, m: &Mapping, origin: &Origin, w: &mut ShardWork, now: Millis) -> bool {
    let want = (m.batch_size * m.parallelization) as usize;
    if w.buffer.len() < want && !w.end_seen {
        let from = w.read_pos.unwrap_or(0);
        match ctx.stream_reader.read(origin.stream_arn, origin.shard_id, from, want - w.buffer.len(), 6 * 1024 * 1024) {
            Ok(b) => {
                w.read_pos = Some(b.next_position);
                w.end_seen = b.end_of_shard;
                let skip_before = m.starting_timestamp_ms.unwrap_or(Millis::MIN);
                w.buffer.extend(b.records.into_iter().filter(|r| r.arrival_ms >= skip_before));
            }
            Err(e) => {
                tracing::debug!(mapping = %m.uuid, shard = origin.shard_id, error = %e, "reading the shard failed; retried next second");
                return false;
            }
        }
    }
    if w.buffer.is_empty() {
        w.buffered_since = None;
        return false;
    }
    let since = *w.buffered_since.get_or_insert(now);
    let window_over = now - since >= i64::from(m.batching_window_s) * 1000;
    if w.buffer.len() < m.batch_size as usize && !window_over && !w.end_seen {
        return false;
    }
    let take = w.buffer.len().min(want);
    let round: Vec<SourceRecord> = w.buffer.drain(..take).collect();
    w.round_end = Some(match w.buffer.first() {
        Some(next) => next.position,
        None => w.read_pos.unwrap_or(0),
    });
    w.buffered_since = if w.buffer.is_empty() { None } else { Some(now) };
    w.groups = batch::partition(round, m.parallelization as usize, m.batch_size as usize)
        .into_iter()
        .map(|batches| {
            batches
                .into_iter()
                .map(|records| Pending {
                    records,
                    invokes: 0,
                    retries: 0,
                    last: LastResponse::default(),
                    undelivered: None,
                })
                .collect()
        })
        .collect();
    true
}

/// Runs a group's batches in order until one must wait for the next second. The processing result.
async fn run_group(
    runner: &Runner,
    ctx: &CloudContext,
    m: &Mapping,
    f: &Function,
    origin: &Origin<'_>,
    group: &mut VecDeque<Pending>,
    now: Millis,
) -> Option<String> {
    let mut result = None;
    while let Some(mut p) = group.pop_front() {
        if let Some(condition) = p.undelivered.take() {
            if !discard(ctx, m, origin, &p, &condition, now).await {
                p.undelivered = Some(condition);
                group.push_front(p);
                return result;
            }
            continue;
        }
        if m.max_record_age_s >= 0 {
            let oldest_allowed = now - m.max_record_age_s * 1000;
            let cut = p.records.iter().take_while(|r| r.arrival_ms < oldest_allowed).count();
            if cut > 0 {
                let rest = p.records.split_off(cut);
                let old = Pending { records: std::mem::replace(&mut p.records, rest), ..p.clone_meta() };
                group.push_front(p);
                let mut old = old;
                if !discard(ctx, m, origin, &old, "RecordAgeExceeded", now).await {
                    old.undelivered = Some("RecordAgeExceeded".into());
                    group.push_front(old);
                    return result;
                }
                continue;
            }
        }
        if p.records.is_empty() {
            continue;
        }
        let event = batch::event(origin, &p.records);
        let ran = match runner.run(f, &event).await {
            Ok(ran) => ran,
            Err(e) => {
                // Throttled (or the cloud is stopping): retried next second, not counted as a retry.
                tracing::debug!(mapping = %m.uuid, error = %e, "invoking the function failed");
                group.push_front(p);
                return Some("PROBLEM: Function call failed".into());
            }
        };
        p.invokes += 1;
        if let Some(last) = p.records.last() {
            publish(ctx, &f.name, &[("IteratorAge", (now - last.arrival_ms).max(0) as f64, "Milliseconds")]);
        }
        p.last = LastResponse { status_code: 200, function_error: ran.invocation.function_error.clone() };
        let answer = batch::answer(
            &p.records,
            ran.invocation.function_error.is_some(),
            &ran.invocation.payload,
            m.report_item_failures,
        );
        match answer {
            Answer::Done => {
                result = Some("OK".into());
                continue;
            }
            Answer::FailedFrom(i) => {
                p.records.drain(..i);
            }
            Answer::Failed => {}
        }
        result = Some("PROBLEM: Function call failed".into());
        if m.bisect && p.records.len() > 1 {
            let second = p.records.split_off(p.records.len() / 2);
            let first = std::mem::take(&mut p.records);
            group.push_front(Pending { records: second, ..p.clone_meta() });
            group.push_front(Pending { records: first, ..p.clone_meta() });
            continue;
        }
        if m.max_retries >= 0 && i64::from(p.retries) >= m.max_retries {
            if !discard(ctx, m, origin, &p, "RetryAttemptsExhausted", now).await {
                p.undelivered = Some("RetryAttemptsExhausted".into());
                group.push_front(p);
                return result;
            }
            continue;
        }
        p.retries += 1;
        group.push_front(p);
        return result;
    }
    result
}

impl Pending {
    fn clone_meta(&self) -> Pending {
        Pending {
            records: Vec::new(),
            invokes: self.invokes,
            retries: self.retries,
            last: self.last.clone(),
            undelivered: None,
        }
    }
}

/// Sends a discarded batch's record to the on-failure destination (none: discarded silently, as Lambda
/// does). False when the destination refused it: the batch waits and is sent again.
async fn discard(
    ctx: &CloudContext,
    m: &Mapping,
    origin: &Origin<'_>,
    p: &Pending,
    condition: &str,
    now: Millis,
) -> bool {
    tracing::info!(mapping = %m.uuid, shard = origin.shard_id, records = p.records.len(), condition, "discarding records");
    let Some(destination) = &m.on_failure else { return true };
    let request_id = uuid::Uuid::new_v4().to_string();
    let d = Discarded {
        request_id: &request_id,
        function_arn: &m.function_arn,
        condition,
        invoke_count: p.invokes,
        response: &p.last,
        now_ms: now,
    };
    let body = batch::failure_record(origin, &d, &p.records).to_string();
    match ctx.queue_sender.send_message(destination, &body) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(mapping = %m.uuid, destination, error = %e, "sending the failure record failed; sent again next second");
            false
        }
    }
}
