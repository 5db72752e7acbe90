//! On-demand capacity. AWS gives an on-demand stream room for twice the highest write throughput it
//! has seen in the last 30 days, and provides it by adding shards; every shard keeps its own limits,
//! so a hot partition key still throttles. Here each stream remembers its busiest second of every
//! day, and once twice the 30-day peak outgrows the open shards the stream is rescaled uniformly, at
//! most doubling at a time as UpdateShardCount allows, up to AWS's default ceiling of 200 MiB/s.

use std::sync::Arc;

use super::limits::{WRITE_BYTES_PER_SEC, WRITE_RECORDS_PER_SEC};
use super::model::{DayPeak, Mode, Status};
use super::op::{Op, StreamRef};
use super::resharding::Caller;
use super::state::{State, Stream};
use crate::cloud::context::CloudContext;

/// How long a peak keeps counting.
pub const PEAK_WINDOW_DAYS: i64 = 30;
/// 200 MiB/s and 200,000 records/s of writes: the default maximum of an on-demand stream.
pub const MAX_ON_DEMAND_SHARDS: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// Folds one second of accepted writes into the daily peaks and forgets days past the window.
/// Returns true when the peaks changed enough to be worth persisting (a new day, or 10 % more).
pub fn observe(peaks: &mut Vec<DayPeak>, now_ms: i64, records: u64, bytes: u64) -> bool {
    let day = now_ms.div_euclid(DAY_MS);
    let before = peaks.len();
    peaks.retain(|p| p.day > day - PEAK_WINDOW_DAYS);
    let mut changed = peaks.len() != before;
    if records == 0 && bytes == 0 {
        return changed;
    }
    match peaks.iter_mut().find(|p| p.day == day) {
        Some(p) => {
            changed |= records * 10 > p.records * 11 || bytes * 10 > p.bytes * 11;
            p.records = p.records.max(records);
            p.bytes = p.bytes.max(bytes);
        }
        None => {
            peaks.push(DayPeak { day, records, bytes });
            changed = true;
        }
    }
    changed
}

/// Notes a second of accepted writes on an on-demand stream.
pub fn record_peak(state: &State, stream: &Arc<Stream>, now_ms: i64, records: u64, bytes: u64) {
    if stream.read().meta.mode != Mode::OnDemand {
        return;
    }
    let mut inner = stream.write();
    let mut meta = inner.meta.clone();
    if !observe(&mut meta.write_peaks, now_ms, records, bytes) {
        // Too small a change to be worth a write: kept in memory, persisted with the next real one.
        inner.meta.write_peaks = meta.write_peaks;
    } else {
        match state.persist(&meta) {
            Ok(()) => inner.meta = meta,
            Err(e) => tracing::warn!(stream = %meta.name, error = %e.message, "persisting the write peaks failed"),
        }
    }
}

/// Open shards needed to take twice the 30-day peak within the per-shard write limits.
pub fn shards_needed(peaks: &[DayPeak]) -> usize {
    let records = peaks.iter().map(|p| p.records).max().unwrap_or(0);
    let bytes = peaks.iter().map(|p| p.bytes).max().unwrap_or(0);
    let by_records = (2 * records).div_ceil(u64::from(WRITE_RECORDS_PER_SEC));
    let by_bytes = (2 * bytes).div_ceil(WRITE_BYTES_PER_SEC);
    usize::try_from(by_records.max(by_bytes)).unwrap_or(usize::MAX).min(MAX_ON_DEMAND_SHARDS)
}

/// Rescales every ACTIVE on-demand stream whose open shards no longer cover twice its peak. A stream
/// whose limits are switched off has no capacity to run out of, so it keeps its shards.
pub async fn scale(state: &State, ctx: &CloudContext, now: i64) {
    for stream in state.all() {
        let (name, region, open, needed) = {
            let inner = stream.read();
            let meta = &inner.meta;
            if meta.mode != Mode::OnDemand || meta.status != Status::Active || !ctx.limits.enforced(&meta.name) {
                continue;
            }
            (meta.name.clone(), meta.region.clone(), meta.open_shard_count(), shards_needed(&meta.write_peaks))
        };
        if needed <= open {
            continue;
        }
        let target_count = needed.min(open * 2);
        let op = Op { state, ctx, region: &region, now };
        let stream_ref = StreamRef { stream_name: Some(name.clone()), stream_arn: None };
        match super::resharding::uniform(&op, &stream_ref, target_count, Caller::OnDemandScaling).await {
            Ok(_) => tracing::info!(stream = %name, from = open, to = target_count, "on-demand stream scaled up"),
            Err(e) => tracing::debug!(stream = %name, error = %e.message, "on-demand stream could not scale up"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_keep_the_busiest_second_of_each_day_for_thirty_days() {
        let mut peaks = Vec::new();
        assert!(observe(&mut peaks, 1_000, 500, 50_000));
        assert!(!observe(&mut peaks, 2_000, 520, 52_000), "under 10 % more is not worth a write");
        assert!(!observe(&mut peaks, 3_000, 100, 10_000));
        assert_eq!(peaks, vec![DayPeak { day: 0, records: 520, bytes: 52_000 }]);
        assert!(observe(&mut peaks, DAY_MS + 5, 10, 10));
        assert_eq!(peaks.len(), 2);
        assert!(observe(&mut peaks, 30 * DAY_MS, 0, 0), "day 0 left the window");
        assert_eq!(peaks, vec![DayPeak { day: 1, records: 10, bytes: 10 }]);
    }

    #[test]
    fn twice_the_peak_in_records_or_bytes_decides_the_shards() {
        let peak = |records, bytes| vec![DayPeak { day: 0, records, bytes }];
        assert_eq!(shards_needed(&[]), 0);
        assert_eq!(shards_needed(&peak(4_000, 1_000)), 8);
        assert_eq!(shards_needed(&peak(4_001, 1_000)), 9);
        assert_eq!(shards_needed(&peak(10, 3 * WRITE_BYTES_PER_SEC)), 6);
        assert_eq!(shards_needed(&peak(10_000_000, 0)), MAX_ON_DEMAND_SHARDS);
    }
}
