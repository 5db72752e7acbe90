//! Delivery: a loop on the cloud clock that, each second, ends due status transitions, runs every
//! ACTIVE delivery stream's step off the async threads, and publishes the AWS/Firehose metrics.

pub mod buffer;
pub mod object;
pub mod pipeline;
pub mod source;
pub mod work;

use std::sync::Arc;

use tokio::task::JoinSet;

use super::lifecycle;
use super::metrics::{self, Shape};
use super::model::{DeliveryStream, Status, StreamType};
use super::state::FirehoseState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use pipeline::Pipeline;

const TICK_MS: Millis = 1_000;

fn active(state: &FirehoseState) -> Vec<(DeliveryStream, Arc<Pipeline>)> {
    state
        .lock()
        .values()
        .filter(|e| e.meta.status == Status::Active)
        .map(|e| (e.meta.clone(), e.pipeline.clone()))
        .collect()
}

/// One second of delivery for every delivery stream.
pub async fn tick(state: &Arc<FirehoseState>, ctx: &Arc<CloudContext>, now: Millis) {
    let (s, c) = (state.clone(), ctx.clone());
    if let Err(e) = tokio::task::spawn_blocking(move || lifecycle::settle(&s, &c, now)).await {
        tracing::error!(error = %e, "Firehose status transitions panicked");
    }
    let mut steps = JoinSet::new();
    for (meta, pipeline) in active(state) {
        let ctx = ctx.clone();
        steps.spawn_blocking(move || {
            pipeline.step(&ctx, &meta, now);
            (meta, pipeline.take_stats())
        });
    }
    let mut datums = Vec::new();
    while let Some(done) = steps.join_next().await {
        match done {
            Ok((meta, stats)) => {
                let shape = Shape {
                    kinesis_source: meta.kind == StreamType::KinesisStreamAsSource,
                    backup: meta.destination.backup_enabled(),
                };
                datums.extend(metrics::datums(&meta.name, shape, &stats, now));
            }
            Err(e) => tracing::error!(error = %e, "a Firehose delivery step panicked"),
        }
    }
    ctx.metric_publisher.publish(datums);
}

/// Runs delivery once per second of the cloud clock until the cloud shuts down.
pub async fn run(state: Arc<FirehoseState>, ctx: Arc<CloudContext>) {
    let ticker = ctx.clock.ticker();
    let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
    loop {
        tokio::select! {
            _ = ticker.sleep_until(next) => {}
            _ = ctx.shutdown_requested() => break,
        }
        let now = ctx.clock.now_ms();
        tick(&state, &ctx, now).await;
        next = (now / TICK_MS + 1) * TICK_MS;
    }
}

/// On a graceful stop: writes what every buffer holds. Nothing depends on it: positions not
/// committed are read again after a restart.
pub async fn flush_all(state: &Arc<FirehoseState>, ctx: &Arc<CloudContext>) {
    let now = ctx.clock.now_ms();
    let mut flushes = JoinSet::new();
    for (meta, pipeline) in active(state) {
        let ctx = ctx.clone();
        flushes.spawn_blocking(move || pipeline.flush_all(&ctx, &meta, now));
    }
    while flushes.join_next().await.is_some() {}
}
