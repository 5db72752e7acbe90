//! Once per second of the cloud clock: messages past their queue's MessageRetentionPeriod are
//! dropped (removed durably, then from memory), and each queue's AWS/SQS metrics are published.
//! Operations that read counts drop expired messages first too, so an answer never shows one.

use std::sync::Arc;

use super::metrics;
use super::op::Op;
use super::state::{SqsState, counts, remove_message};
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

const TICK_MS: Millis = 1_000;

/// Drops the messages of `queue` whose retention ended by `op.now`.
pub fn expire(op: &Op<'_>, queue: &str) -> Result<(), ApiError> {
    let mut queues = op.state.lock();
    let Some(q) = queues.get_mut(queue) else { return Ok(()) };
    let retention = q.meta.retention_ms();
    let old: Vec<u64> = q.messages.values().filter(|m| m.sent_ms + retention <= op.now).map(|m| m.seq).collect();
    if old.is_empty() {
        return Ok(());
    }
    op.state.commit(&old.iter().map(|seq| remove_message(queue, *seq)).collect::<Vec<_>>())?;
    for seq in old {
        q.messages.remove(&seq);
    }
    Ok(())
}

/// One second: retention, then the metrics of every queue.
pub fn tick(state: &SqsState, ctx: &CloudContext, now: Millis) {
    let op = Op { state, ctx, now };
    let names: Vec<String> = state.lock().keys().cloned().collect();
    for name in &names {
        if let Err(e) = expire(&op, name) {
            tracing::warn!(queue = %name, error = %e, "dropping expired SQS messages failed");
        }
    }
    let mut datums = Vec::new();
    for q in state.lock().values_mut() {
        let c = std::mem::take(&mut q.counters);
        datums.extend(metrics::datums(&q.meta.name, counts(q, now), &c, now));
    }
    ctx.metric_publisher.publish(datums);
}

/// Runs [`tick`] once per second of the cloud clock until the cloud shuts down.
pub async fn run(state: Arc<SqsState>, ctx: Arc<CloudContext>) {
    let ticker = ctx.clock.ticker();
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ticker.sleep_until(next) => {}
            _ = ctx.shutdown_requested() => break,
        }
        let now = ctx.clock.now_ms();
        let (s, c) = (state.clone(), ctx.clone());
        if let Err(e) = tokio::task::spawn_blocking(move || tick(&s, &c, now)).await {
            tracing::error!(error = %e, "the SQS maintenance tick panicked");
        }
        next = (now / TICK_MS + 1) * TICK_MS;
    }
}
