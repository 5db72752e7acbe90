//! Work on the cloud clock, once a second: ends due status transitions, trims records past retention
//! (deleting closed shards whose retention has ended), publishes metrics, and sizes on-demand streams
//! to their traffic. A background task runs it as the clock passes each second, and every request
//! first catches up with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::consumers;
use super::state::{State, Stream};
use crate::cloud::context::CloudContext;

const TICK_MS: i64 = 1000;

/// The second of the cloud clock whose maintenance last ran. Requests and the background task both
/// catch up through it, so the work of each second runs once, and a request made after the clock
/// moved (a test advancing virtual time) sees everything that was due by then.
pub struct Ticks {
    /// Held while a second's work runs; holds the second last completed.
    running: tokio::sync::Mutex<i64>,
    /// The same second, readable without waiting; set only once that second's work is done.
    done: AtomicI64,
}

impl Ticks {
    pub fn new(now_ms: i64) -> Self {
        let second = now_ms.div_euclid(TICK_MS);
        Ticks { running: tokio::sync::Mutex::new(second), done: AtomicI64::new(second) }
    }
}

/// Runs the maintenance of the current second unless it already ran (or is running: then waits).
pub async fn catch_up(ticks: &Ticks, state: &State, ctx: &CloudContext, now: i64) {
    let second = now.div_euclid(TICK_MS);
    if ticks.done.load(Ordering::Acquire) >= second {
        return;
    }
    let mut last = ticks.running.lock().await;
    if *last >= second {
        return;
    }
    settle_reshards(state, now).await;
    tick(state, ctx, now);
    super::on_demand::scale(state, ctx, now).await;
    *last = second;
    ticks.done.store(second, Ordering::Release);
}

/// Catches up at every second of the cloud clock, so the work happens also when no request comes.
pub async fn run(ticks: Arc<Ticks>, state: Arc<State>, ctx: Arc<CloudContext>) {
    let ticker = ctx.clock.ticker();
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ticker.sleep_until(next) => {}
            _ = ctx.shutdown_requested() => break,
        }
        let now = ctx.clock.now_ms();
        catch_up(&ticks, &state, &ctx, now).await;
        next = (now / TICK_MS + 1) * TICK_MS;
    }
    state.close();
}

/// Ends the due UPDATING states that make a reshard take effect, waiting for the appends in flight to
/// the parents (a request's own look only tries, so a busy stream finishes resharding here).
async fn settle_reshards(state: &State, now: i64) {
    for stream in state.all() {
        let due = {
            let inner = stream.read();
            !inner.meta.pending_shards.is_empty() && inner.meta.transition_at_ms.is_some_and(|t| t <= now)
        };
        if due {
            state.settle_waiting(&stream, now).await;
        }
    }
}

pub fn tick(state: &State, ctx: &CloudContext, now: i64) {
    for stream in state.all() {
        if stream.read().meta.transition_at_ms.is_some_and(|t| t <= now) {
            state.settle(&stream, now);
        }
        settle_consumers(state, &stream, now);
        trim(state, &stream, now);
    }
    for w in super::metrics::publish(state, ctx, now) {
        super::on_demand::record_peak(state, &w.stream, now, w.records, w.bytes);
    }
}

fn settle_consumers(state: &State, stream: &Arc<Stream>, now: i64) {
    let due = stream.read().meta.consumers.iter().any(|c| c.transition_at_ms.is_some_and(|t| t <= now));
    if due {
        let mut inner = stream.write();
        let mut meta = inner.meta.clone();
        if consumers::settle(&mut meta, now) {
            match state.persist(&meta) {
                Ok(()) => inner.meta = meta,
                Err(e) => tracing::warn!(stream = %meta.name, error = %e.message, "persisting consumer states failed"),
            }
        }
    }
}

/// Drops records older than the retention period, and closed shards with nothing left to read.
pub fn trim(state: &State, stream: &Arc<Stream>, now: i64) {
    let (horizon, expired) = {
        let inner = stream.read();
        let horizon = now - inner.meta.retention_ms();
        for rt in inner.shards.iter().flatten() {
            if let Err(e) = rt.log.trim_before(horizon) {
                tracing::warn!(stream = %inner.meta.name, shard = rt.index, error = %e, "trimming failed");
            }
        }
        let expired: Vec<u32> = inner
            .meta
            .shards
            .iter()
            .filter(|s| !s.gone && s.closed.is_some_and(|c| c.at_ms <= horizon))
            .map(|s| s.index)
            .collect();
        (horizon, expired)
    };
    if expired.is_empty() {
        return;
    }
    // The shards are marked gone before their directories go: a crash in between leaves directories
    // nobody names, never a shard whose records vanished while metadata still lists it.
    let mut inner = stream.write();
    let mut meta = inner.meta.clone();
    let gone: Vec<u32> =
        expired.into_iter().filter(|i| meta.shards[*i as usize].closed.is_some_and(|c| c.at_ms <= horizon)).collect();
    for index in &gone {
        meta.shards[*index as usize].gone = true;
    }
    if let Err(e) = state.persist(&meta) {
        tracing::warn!(stream = %meta.name, error = %e.message, "persisting expired shards failed");
        return;
    }
    inner.meta = meta;
    for index in gone {
        inner.shards[index as usize] = None;
        let dir = stream.dir.join(super::keys::shard_id(index));
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "removing an expired shard failed");
        }
    }
}
