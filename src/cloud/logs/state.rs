//! CloudWatch Logs' state: every group, stream and event in memory, each change written to
//! `<data dir>/logs/logs.redb` in one transaction before it is applied in memory, so a failed write
//! changes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Event, EventKey, Group, GroupMeta, Stream, StreamMeta, event_key, group_key, stream_key};
use crate::cloud::clock::Millis;
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the CloudWatch Logs on-disk layout.
pub const FORMAT_VERSION: u64 = 1;

pub struct LogState {
    store: Arc<DocStore>,
    groups: Mutex<BTreeMap<String, Group>>,
    next_seq: AtomicU64,
}

/// A document that could not be read at start, set aside so the rest serves.
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

impl LogState {
    pub fn open(dir: &Path) -> Result<(LogState, Vec<Unreadable>), DocStoreError> {
        let store = DocStore::open(dir, "logs.redb", FORMAT_VERSION)?;
        let mut groups = BTreeMap::new();
        let mut streams = Vec::new();
        let mut events = Vec::new();
        let mut unreadable = Vec::new();
        for (key, doc) in store.load()? {
            let parsed = if let Some(name) = key.strip_prefix("g/") {
                serde_json::from_slice::<GroupMeta>(&doc).map(|meta| {
                    groups.insert(name.to_string(), Group { meta, streams: BTreeMap::new() });
                })
            } else if let Some(rest) = key.strip_prefix("s/") {
                serde_json::from_slice::<StreamMeta>(&doc).map(|meta| streams.push((rest.to_string(), meta)))
            } else if let Some(rest) = key.strip_prefix("e/") {
                serde_json::from_slice::<Event>(&doc).map(|e| events.push((rest.to_string(), e)))
            } else {
                Ok(())
            };
            if let Err(e) = parsed {
                unreadable.push(Unreadable { key, reason: e.to_string() });
            }
        }
        for (rest, meta) in streams {
            let group = rest.strip_suffix(&format!(":{}", meta.name)).unwrap_or_default();
            if let Some(g) = groups.get_mut(group) {
                g.streams.insert(meta.name.clone(), Stream { meta, events: BTreeMap::new() });
            }
        }
        let mut max_seq = 0;
        for (rest, event) in events {
            let Some((prefix, position)) = rest.rsplit_once(':') else { continue };
            let Some((group, stream)) = prefix.split_once(':') else { continue };
            let (Some(ts), Some(seq)) = (position.get(..20), position.get(20..)) else { continue };
            let (Ok(ts), Ok(seq)) = (ts.parse::<Millis>(), seq.parse::<u64>()) else { continue };
            max_seq = max_seq.max(seq);
            if let Some(s) = groups.get_mut(group).and_then(|g| g.streams.get_mut(stream)) {
                s.events.insert((ts, seq), event);
            }
        }
        let state = LogState { store, groups: Mutex::new(groups), next_seq: AtomicU64::new(max_seq + 1) };
        Ok((state, unreadable))
    }

    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Group>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            tracing::error!("CloudWatch Logs could not persist a change: {e}");
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                format!("The change could not be stored: {e}"),
            )
        })
    }

    pub fn create_group(&self, groups: &mut BTreeMap<String, Group>, meta: GroupMeta) -> Result<(), ApiError> {
        self.commit(&[put_group(&meta)?])?;
        groups.insert(meta.name.clone(), Group { meta, streams: BTreeMap::new() });
        Ok(())
    }

    pub fn update_group(&self, groups: &mut BTreeMap<String, Group>, meta: GroupMeta) -> Result<(), ApiError> {
        self.commit(&[put_group(&meta)?])?;
        if let Some(g) = groups.get_mut(&meta.name) {
            g.meta = meta;
        }
        Ok(())
    }

    pub fn delete_group(&self, groups: &mut BTreeMap<String, Group>, name: &str) -> Result<(), ApiError> {
        let Some(group) = groups.get(name) else { return Ok(()) };
        let mut changes = vec![Change::Remove(group_key(name))];
        for stream in group.streams.values() {
            changes.extend(stream_removals(name, stream));
        }
        self.commit(&changes)?;
        groups.remove(name);
        Ok(())
    }

    pub fn create_stream(&self, group: &mut Group, meta: StreamMeta) -> Result<(), ApiError> {
        let doc = serde_json::to_vec(&meta).map_err(|e| ApiError::internal(e.to_string()))?;
        self.commit(&[Change::Put(stream_key(&group.meta.name, &meta.name), doc)])?;
        group.streams.insert(meta.name.clone(), Stream { meta, events: BTreeMap::new() });
        Ok(())
    }

    pub fn delete_stream(&self, group: &mut Group, name: &str) -> Result<(), ApiError> {
        let Some(stream) = group.streams.get(name) else { return Ok(()) };
        self.commit(&stream_removals(&group.meta.name, stream))?;
        group.streams.remove(name);
        Ok(())
    }

    /// Stores accepted events durably, then makes them readable.
    pub fn append(
        &self,
        group: &mut Group,
        stream: &str,
        events: Vec<(Millis, Event)>,
    ) -> Result<Vec<EventKey>, ApiError> {
        let group_name = group.meta.name.clone();
        let Some(s) = group.streams.get_mut(stream) else { return Err(super::validate::stream_not_found()) };
        let mut keyed = Vec::with_capacity(events.len());
        let mut changes = Vec::with_capacity(events.len());
        for (ts, event) in events {
            let key = (ts, self.next_seq.fetch_add(1, Ordering::Relaxed));
            let doc = serde_json::to_vec(&event).map_err(|e| ApiError::internal(e.to_string()))?;
            changes.push(Change::Put(event_key(&group_name, stream, key), doc));
            keyed.push((key, event));
        }
        self.commit(&changes)?;
        let keys = keyed.iter().map(|(k, _)| *k).collect();
        s.events.extend(keyed);
        Ok(keys)
    }

    /// Removes every event past its group's retention at `now`.
    pub fn trim(&self, now: Millis) -> Result<(), ApiError> {
        let mut groups = self.lock();
        let mut changes = Vec::new();
        let mut doomed: Vec<(String, String, Vec<EventKey>)> = Vec::new();
        for group in groups.values() {
            let Some(cutoff) = group.retention_cutoff(now) else { continue };
            for stream in group.streams.values() {
                let keys: Vec<EventKey> = stream.events.range(..(cutoff, 0)).map(|(k, _)| *k).collect();
                if keys.is_empty() {
                    continue;
                }
                changes.extend(keys.iter().map(|k| Change::Remove(event_key(&group.meta.name, &stream.meta.name, *k))));
                doomed.push((group.meta.name.clone(), stream.meta.name.clone(), keys));
            }
        }
        self.commit(&changes)?;
        for (g, s, keys) in doomed {
            if let Some(stream) = groups.get_mut(&g).and_then(|g| g.streams.get_mut(&s)) {
                for k in keys {
                    stream.events.remove(&k);
                }
            }
        }
        Ok(())
    }

    /// Forgets everything (admin reset).
    pub fn drop_all(&self) -> Result<(), ApiError> {
        let mut groups = self.lock();
        let names: Vec<String> = groups.keys().cloned().collect();
        for name in names {
            self.delete_group(&mut groups, &name)?;
        }
        Ok(())
    }
}

fn put_group(meta: &GroupMeta) -> Result<Change, ApiError> {
    let doc = serde_json::to_vec(meta).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Change::Put(group_key(&meta.name), doc))
}

fn stream_removals(group: &str, stream: &Stream) -> Vec<Change> {
    let mut changes = vec![Change::Remove(stream_key(group, &stream.meta.name))];
    changes.extend(stream.events.keys().map(|k| Change::Remove(event_key(group, &stream.meta.name, *k))));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_streams_and_events_survive_a_reopen_and_trim_removes_old_events_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let (state, _) = LogState::open(tmp.path()).unwrap();
            let mut groups = state.lock();
            let meta = GroupMeta { name: "g".into(), created_ms: 1, retention_days: Some(1), tags: Default::default() };
            state.create_group(&mut groups, meta).unwrap();
            let g = groups.get_mut("g").unwrap();
            state.create_stream(g, StreamMeta { name: "s:x".replace(':', "-"), created_ms: 1 }).unwrap();
            let ev = |m: &str| Event { message: m.into(), ingestion_ms: 5 };
            state.append(g, "s-x", vec![(10, ev("old")), (super::super::model::DAY_MS + 20, ev("new"))]).unwrap();
            drop(groups);
            state.trim(super::super::model::DAY_MS + 15).unwrap();
        }
        let (state, unreadable) = LogState::open(tmp.path()).unwrap();
        assert!(unreadable.is_empty());
        let groups = state.lock();
        let events: Vec<&str> = groups["g"].streams["s-x"].events.values().map(|e| e.message.as_str()).collect();
        assert_eq!(events, ["new"]);
        assert!(state.next_seq.load(Ordering::Relaxed) > 2);
    }
}
