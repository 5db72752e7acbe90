//! Background work on the cloud clock, once a second: ends due status transitions, trims records
//! past retention (deleting closed shards whose retention has ended), publishes metrics, and sizes
//! on-demand streams to their traffic.

use std::sync::Arc;

use super::consumers;
use super::state::{State, Stream};
use crate::cloud::context::CloudContext;

const TICK_MS: i64 = 1000;

pub async fn run(state: Arc<State>, ctx: Arc<CloudContext>) {
    let ticker = ctx.clock.ticker();
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ticker.sleep_until(next) => {}
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
        if consumers::settle(&mut inner.meta, now)
            && let Err(e) = state.persist(&inner.meta)
        {
            tracing::warn!(stream = %inner.meta.name, error = %e.message, "persisting consumer states failed");
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
    let mut inner = stream.write();
    for index in expired {
        let i = index as usize;
        if inner.meta.shards[i].closed.is_some_and(|c| c.at_ms <= horizon) {
            inner.meta.shards[i].gone = true;
            inner.shards[i] = None;
            let dir = stream.dir.join(super::keys::shard_id(index));
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "removing an expired shard failed");
            }
        }
    }
    if let Err(e) = state.persist(&inner.meta) {
        tracing::warn!(stream = %inner.meta.name, error = %e.message, "persisting expired shards failed");
    }
}
