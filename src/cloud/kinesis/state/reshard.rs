//! How a reshard takes effect: when its stream's UPDATING ends (or at once, with instant transitions)
//! the parents close at their last record, the children waiting in `pending_shards` join the shard
//! list and get their logs. The parents' gates are held exclusively meanwhile, so no append lands in
//! a parent after its end was fixed; the change is persisted before it is applied.

use std::path::Path;
use std::sync::Arc;

use super::{ShardRt, State, Stream, StreamInner};
use crate::cloud::error::ApiError;
use crate::cloud::kinesis::model::{ClosedShard, Status, StreamMeta};

impl StreamInner {
    /// The open shards the stream's pending reshard closes when it takes effect.
    pub(super) fn closing_parents(&self) -> Vec<Arc<ShardRt>> {
        self.meta.pending_parent_indexes().into_iter().filter_map(|i| self.shard(i).cloned()).collect()
    }
}

impl State {
    /// Ends a due transition as `settle` does, first waiting for the appends in flight to the shards
    /// its reshard closes, so a stream written to without pause still finishes resharding.
    pub async fn settle_waiting(&self, stream: &Arc<Stream>, now_ms: i64) {
        let (due, parents) = {
            let inner = stream.read();
            let due = inner.meta.transition_at_ms.is_some_and(|at| at <= now_ms);
            (due && inner.meta.status != Status::Deleting, inner.closing_parents())
        };
        if !due || parents.is_empty() {
            return self.settle(stream, now_ms);
        }
        let mut gates = Vec::with_capacity(parents.len());
        for rt in &parents {
            gates.push(rt.gate.write().await);
        }
        let mut inner = stream.write();
        let same: Vec<u32> = inner.closing_parents().iter().map(|rt| rt.index).collect();
        if inner.meta.transition_at_ms.is_none_or(|at| at > now_ms)
            || same != parents.iter().map(|rt| rt.index).collect::<Vec<_>>()
        {
            return;
        }
        self.finish_transition(stream, &mut inner, gates, now_ms);
    }

    /// Turns the stream ACTIVE (with its due consumers), making its pending reshard real; `gates` are
    /// the closing parents', held exclusively. Persisted first; on an error nothing changes.
    pub(super) fn finish_transition(
        &self,
        stream: &Stream,
        inner: &mut StreamInner,
        mut gates: Vec<tokio::sync::RwLockWriteGuard<'_, bool>>,
        now_ms: i64,
    ) {
        let mut meta = inner.meta.clone();
        meta.transition_at_ms = None;
        meta.status = Status::Active;
        for c in &mut meta.consumers {
            if c.transition_at_ms.is_some_and(|t| t <= now_ms) {
                c.transition_at_ms = None;
                c.status = Status::Active;
            }
        }
        let created = match self.take_effect(&stream.dir, &mut meta, &inner.shards, now_ms) {
            Ok(created) => created,
            Err(e) => {
                tracing::warn!(stream = %meta.name, error = %e.message, "a reshard could not take effect");
                return;
            }
        };
        match self.storage.put(&meta) {
            Ok(()) => {
                for gate in gates.iter_mut() {
                    **gate = true;
                }
                inner.meta = meta;
                inner.shards.extend(created.into_iter().map(Some));
            }
            Err(e) => {
                tracing::warn!(stream = %meta.name, error = %e, "persisting a status change failed");
                self.discard_shards(created);
            }
        }
    }

    /// Makes `meta`'s pending reshard real on `meta` itself: the parents close at their last record
    /// (`shards` holds their logs), the children join the shard list, created now, and their logs are
    /// created. Returns the new logs; on an error they are removed again.
    pub fn take_effect(
        &self,
        stream_dir: &Path,
        meta: &mut StreamMeta,
        shards: &[Option<Arc<ShardRt>>],
        now_ms: i64,
    ) -> Result<Vec<Arc<ShardRt>>, ApiError> {
        let parents = meta.pending_parent_indexes();
        let children = std::mem::take(&mut meta.pending_shards);
        for index in parents {
            let tip = shards.get(index as usize).and_then(Option::as_ref).map(|rt| rt.log.next_seq());
            if let Some(shard) = meta.shards.get_mut(index as usize) {
                let last_log_seq = tip.unwrap_or_default().saturating_sub(1).max(shard.first_log_seq);
                shard.closed = Some(ClosedShard { at_ms: now_ms, last_log_seq });
            }
        }
        let base = meta.shards.len();
        for (k, mut child) in children.into_iter().enumerate() {
            if child.index as usize != base + k {
                return Err(ApiError::internal(format!(
                    "stream {}: pending shard {} does not follow the {base} shards listed",
                    meta.name,
                    child.id()
                )));
            }
            child.created_ms = now_ms;
            if let Some(closed) = &mut child.closed {
                closed.at_ms = now_ms;
            }
            meta.shards.push(child);
        }
        let mut created = Vec::with_capacity(meta.shards.len() - base);
        for index in base..meta.shards.len() {
            match self.create_shard(stream_dir, meta, index as u32) {
                Ok(rt) => created.push(rt),
                Err(e) => {
                    self.discard_shards(created);
                    return Err(e);
                }
            }
        }
        Ok(created)
    }
}
