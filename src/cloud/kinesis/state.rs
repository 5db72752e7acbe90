//! The live service state: streams by name, each with its metadata and its shards' logs and limits.
//! The map lock is held only to look a stream up; each stream has its own lock, never held across
//! a disk sync; each shard has a gate that appends share and closing takes exclusively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::limits::ShardLimits;
use super::model::{ShardMeta, Status, StreamMeta};
use super::stats::Stats;
use super::store::{MetaStore, StoreError};
use super::validate::{invalid, not_found};
use crate::cloud::error::ApiError;
use crate::cloud::storage::{LogOptions, ShardLog};

#[derive(Debug, Clone)]
pub struct Options {
    /// How long CREATING, UPDATING and DELETING last on the cloud clock.
    pub transition_ms: i64,
    /// Open shards allowed across the account.
    pub shard_limit: usize,
    pub on_demand_stream_limit: usize,
}

pub struct ShardRt {
    pub index: u32,
    pub log: ShardLog,
    /// `true` once the shard is closed; appends hold it shared so closing waits for them.
    pub gate: tokio::sync::RwLock<bool>,
    pub limits: Mutex<ShardLimits>,
    pub stats: Mutex<Stats>,
}

pub struct StreamInner {
    pub meta: StreamMeta,
    /// Indexed by shard index; `None` once a closed shard's retention has ended.
    pub shards: Vec<Option<Arc<ShardRt>>>,
}

impl StreamInner {
    pub fn shard(&self, index: u32) -> Option<&Arc<ShardRt>> {
        self.shards.get(index as usize).and_then(Option::as_ref)
    }

    /// The shard a shard id names, or the AWS error for a missing one.
    pub fn shard_by_id(&self, id: &str) -> Result<(&ShardMeta, &Arc<ShardRt>), ApiError> {
        let missing = || {
            ApiError::bad_request(
                "ResourceNotFoundException",
                format!(
                    "Shard {id} in stream {} under account {} does not exist",
                    self.meta.name,
                    crate::cloud::context::LOCAL_ACCOUNT_ID
                ),
            )
        };
        let meta = self.meta.shard_by_id(id).filter(|s| !s.gone).ok_or_else(missing)?;
        let rt = self.shard(meta.index).ok_or_else(missing)?;
        Ok((meta, rt))
    }
}

pub struct Stream {
    pub dir: PathBuf,
    pub stats: Mutex<Stats>,
    /// Enhanced fan-out counters by consumer name.
    pub consumer_stats: Mutex<BTreeMap<String, super::stats::ConsumerStats>>,
    inner: RwLock<StreamInner>,
}

impl Stream {
    pub fn read(&self) -> RwLockReadGuard<'_, StreamInner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, StreamInner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct State {
    pub dir: PathBuf,
    pub opts: Options,
    store: Arc<MetaStore>,
    closed: std::sync::atomic::AtomicBool,
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    /// SubscribeToShard bookkeeping, by consumer ARN and shard.
    pub subscriptions: super::subscribe::Subscriptions,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("opening shard {shard} of stream {stream}: {source}")]
    Shard { stream: String, shard: String, source: crate::cloud::storage::StorageError },
}

fn shard_dir(stream_dir: &Path, index: u32) -> PathBuf {
    stream_dir.join(super::keys::shard_id(index))
}

pub fn open_shard(stream_dir: &Path, meta: &StreamMeta, index: u32) -> Result<Arc<ShardRt>, OpenError> {
    let log = ShardLog::open(&shard_dir(stream_dir, index), LogOptions::default()).map_err(|source| {
        OpenError::Shard { stream: meta.name.clone(), shard: super::keys::shard_id(index), source }
    })?;
    Ok(Arc::new(ShardRt {
        index,
        log,
        gate: tokio::sync::RwLock::new(meta.shards.get(index as usize).is_some_and(|s| s.closed.is_some())),
        limits: Mutex::default(),
        stats: Mutex::default(),
    }))
}

impl State {
    pub fn open(dir: &Path, opts: Options) -> Result<State, OpenError> {
        let store = MetaStore::shared(dir)?;
        let state = State {
            dir: dir.to_path_buf(),
            opts,
            store,
            closed: Default::default(),
            streams: RwLock::default(),
            subscriptions: Default::default(),
        };
        for meta in state.store.load_all()? {
            state.insert(meta)?;
        }
        Ok(state)
    }

    pub fn stream_dir(&self, meta: &StreamMeta) -> PathBuf {
        self.dir.join("streams").join(format!("{}-{}", meta.name, meta.created_ms))
    }

    /// Opens a stream's shard logs and makes it visible. Does not persist.
    pub fn insert(&self, meta: StreamMeta) -> Result<Arc<Stream>, OpenError> {
        let dir = self.stream_dir(&meta);
        let mut shards = Vec::with_capacity(meta.shards.len());
        for s in &meta.shards {
            shards.push(if s.gone { None } else { Some(open_shard(&dir, &meta, s.index)?) });
        }
        let name = meta.name.clone();
        let stream = Arc::new(Stream {
            dir,
            stats: Mutex::default(),
            consumer_stats: Mutex::default(),
            inner: RwLock::new(StreamInner { meta, shards }),
        });
        self.map_write().insert(name, stream.clone());
        Ok(stream)
    }

    fn map_write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.write().unwrap_or_else(|p| p.into_inner())
    }

    fn map_read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn names(&self) -> Vec<String> {
        self.map_read().keys().cloned().collect()
    }

    pub fn all(&self) -> Vec<Arc<Stream>> {
        self.map_read().values().cloned().collect()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.map_read().contains_key(name)
    }

    pub fn persist(&self, meta: &StreamMeta) -> Result<(), ApiError> {
        self.store.put(meta).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// The stream named, with any due status transition applied first.
    pub fn get(&self, name: &str, now_ms: i64) -> Result<Arc<Stream>, ApiError> {
        let stream = self.map_read().get(name).cloned().ok_or_else(|| not_found(name))?;
        let due = stream.read().meta.transition_at_ms.is_some_and(|at| at <= now_ms);
        if due {
            self.settle(&stream, now_ms);
            if !self.exists(name) {
                return Err(not_found(name));
            }
        }
        Ok(stream)
    }

    /// Ends a due CREATING/UPDATING/DELETING state; a deleted stream leaves the map, the store and the disk.
    pub fn settle(&self, stream: &Arc<Stream>, now_ms: i64) {
        let mut inner = stream.write();
        let Some(at) = inner.meta.transition_at_ms.filter(|at| *at <= now_ms) else {
            return;
        };
        let _ = at;
        inner.meta.transition_at_ms = None;
        if inner.meta.status == Status::Deleting {
            let name = inner.meta.name.clone();
            inner.shards.clear();
            drop(inner);
            self.remove(&name, stream);
            return;
        }
        inner.meta.status = Status::Active;
        for c in &mut inner.meta.consumers {
            if c.transition_at_ms.is_some_and(|t| t <= now_ms) {
                c.transition_at_ms = None;
                c.status = Status::Active;
            }
        }
        if let Err(e) = self.store.put(&inner.meta) {
            tracing::warn!(stream = %inner.meta.name, error = %e, "persisting a status change failed");
        }
    }

    fn remove(&self, name: &str, stream: &Arc<Stream>) {
        {
            let mut map = self.map_write();
            if map.get(name).is_some_and(|s| Arc::ptr_eq(s, stream)) {
                map.remove(name);
            }
        }
        if let Err(e) = self.store.remove(name) {
            tracing::warn!(stream = %name, error = %e, "removing stream metadata failed");
        }
        if let Err(e) = std::fs::remove_dir_all(&stream.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(stream = %name, error = %e, "removing stream data failed");
        }
    }

    pub fn drop_all(&self) {
        let streams: Vec<_> = std::mem::take(&mut *self.map_write()).into_iter().collect();
        for (name, stream) in streams {
            stream.write().shards.clear();
            self.map_write().insert(name.clone(), stream.clone());
            self.remove(&name, &stream);
        }
    }

    /// Stops serving (the cloud shut down): drops every shard log so a successor can open them.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.map_write().clear();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn open_shard_total(&self) -> usize {
        self.map_read().values().map(|s| s.read().meta.open_shard_count()).sum()
    }
}

/// The stream an operation addresses: `StreamName`, or the name inside `StreamARN`.
pub fn stream_name(name: Option<&str>, arn: Option<&str>) -> Result<String, ApiError> {
    match (name, arn) {
        (Some(n), Some(a)) => {
            let from_arn =
                super::keys::stream_name_from_arn(a).ok_or_else(|| invalid(format!("Invalid StreamARN {a}.")))?;
            if from_arn != n {
                return Err(invalid(format!("StreamARN {a} does not name stream {n}.")));
            }
            Ok(n.to_string())
        }
        (Some(n), None) => Ok(n.to_string()),
        (None, Some(a)) => super::keys::stream_name_from_arn(a)
            .map(str::to_string)
            .ok_or_else(|| invalid(format!("Invalid StreamARN {a}."))),
        (None, None) => Err(invalid("Either StreamName or StreamARN must be provided.")),
    }
}
