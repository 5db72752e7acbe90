//! Background work on the cloud clock, once a second: ends due status transitions, trims records
//! past retention (deleting closed shards whose retention has ended), publishes metrics, and sizes
//! on-demand streams to their traffic.

use std::sync::Arc;

use super::consumers;
use super::state::{State, Stream};
use crate::cloud::context::CloudContext;

const TICK_MS: i64 = 1000;

pub async fn run(state: Arc<State>, ctx: Arc<CloudContext>) {
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ctx.clock.sleep_until(next) => {}
            _ = ctx.shutdown_requested() => break,
        }
        let now = ctx.clock.now_ms();
        tick(&state, &ctx, now);
        super::on_demand::scale(&state, &ctx, now).await;
        next = (now / TICK_MS + 1) * TICK_MS;
    }
    state.close();
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
