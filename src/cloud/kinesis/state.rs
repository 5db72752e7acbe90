//! The live service state: streams by name, each with its metadata and its shards' logs and limits.
//! The map lock is held only to look a stream up; each stream has its own lock; each shard has a gate
//! that appends share and closing takes exclusively. Changes are built on a copy of the metadata,
//! persisted, and only then applied in memory, so a failed write changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::keys::{IteratorKey, parse_shard_id, shard_id};
use super::limits::ShardLimits;
use super::model::{ShardMeta, Status, StreamMeta};
use super::settings::DiskFault;
use super::stats::{ConsumerStats, Stats};
use super::storage::{MetaStorage, MetaStorageError};
use super::subscriptions::Subscriptions;
use super::validate::{in_use, invalid, not_found};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;
use crate::cloud::files;
use crate::cloud::storage::{LogOptions, OpenMode, ShardLog, StorageError};

mod reshard;

#[derive(Debug, Clone)]
pub struct Options {
    /// How long CREATING, UPDATING and DELETING last on the cloud clock.
    pub transition_ms: i64,
    /// Open shards allowed across the account.
    pub shard_limit: usize,
    pub on_demand_stream_limit: usize,
    /// Streams allowed across the account (a local cap; AWS has none for provisioned streams).
    pub stream_limit: usize,
    /// Size at which a shard log rolls to a new segment.
    pub segment_bytes: u64,
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

    /// The shard a shard id names (in any of the forms AWS accepts), or AWS's error for a missing one.
    /// A CREATING stream has no shards yet.
    pub fn shard_by_id(&self, id: &str) -> Result<(&ShardMeta, &Arc<ShardRt>), ApiError> {
        let index = parse_shard_id(id).ok_or_else(|| unknown_shard(id, &self.meta.name))?;
        let missing = || missing_shard(index, &self.meta.name);
        let listed = self.meta.status != Status::Creating;
        let meta = self.meta.shards.get(index as usize).filter(|s| listed && s.index == index && !s.gone);
        let meta = meta.ok_or_else(missing)?;
        let rt = self.shard(meta.index).ok_or_else(missing)?;
        Ok((meta, rt))
    }
}

/// The shards a stream lists: none while it is CREATING (AWS adds them as it turns ACTIVE).
pub fn listed_shards(m: &StreamMeta) -> impl Iterator<Item = &ShardMeta> {
    let shards = if m.status == Status::Creating { &[][..] } else { &m.shards[..] };
    shards.iter()
}

/// A shard id that names no shard number, as AWS reports it.
pub fn unknown_shard(id: &str, stream: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        format!("Could not find shard {id} in stream {stream} under account {LOCAL_ACCOUNT_ID}."),
    )
}

/// A shard number the stream does not have (or does not list yet), as GetShardIterator reports it.
pub fn missing_shard(index: u32, stream: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        format!("Shard {} in stream {stream} under account {LOCAL_ACCOUNT_ID} does not exist", shard_id(index)),
    )
}

pub struct Stream {
    pub dir: PathBuf,
    pub stats: Mutex<Stats>,
    /// Enhanced fan-out counters by consumer name.
    pub consumer_stats: Mutex<BTreeMap<String, ConsumerStats>>,
    inner: RwLock<StreamInner>,
}

impl Stream {
    pub fn read(&self) -> RwLockReadGuard<'_, StreamInner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, StreamInner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Updates the counters of consumer `name`.
    pub fn count_consumer(&self, name: &str, f: impl FnOnce(&mut ConsumerStats)) {
        let mut all = self.consumer_stats.lock().unwrap_or_else(|p| p.into_inner());
        f(all.entry(name.to_string()).or_default());
    }
}

pub struct State {
    pub dir: PathBuf,
    pub opts: Options,
    /// Tags shard iterators, so a client cannot forge one.
    pub iterator_key: IteratorKey,
    storage: Arc<MetaStorage>,
    closed: std::sync::atomic::AtomicBool,
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    /// Streams whose stored data was found damaged at start: set aside, refused, kept on disk.
    quarantined: RwLock<BTreeMap<String, Quarantined>>,
    /// Held while a change that counts against the account quotas is checked and made, so two
    /// creates of one name (or two changes racing for the last shards) cannot both pass the check.
    quota: Mutex<()>,
    /// SubscribeToShard bookkeeping, by consumer ARN and shard.
    pub subscriptions: Subscriptions,
}

/// A damaged stream: what is wrong, and its directory (unknown when its metadata is unreadable).
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub reason: String,
    pub dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] MetaStorageError),
    #[error("preparing {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
}

fn shard_dir(stream_dir: &Path, index: u32) -> PathBuf {
    stream_dir.join(super::keys::shard_id(index))
}

impl State {
    /// Opens the metadata and every stream's shard logs. A stream whose data is damaged (a shard
    /// directory missing, a log that will not open, metadata that will not parse) is quarantined and
    /// returned with the reason; the others serve.
    pub fn open(dir: &Path, opts: Options, fault: Option<DiskFault>) -> Result<State, OpenError> {
        let prepare = |path: &Path| {
            files::create_private_dir_all(path).map_err(|source| OpenError::Dir { path: path.to_path_buf(), source })
        };
        prepare(dir)?;
        prepare(&dir.join("streams"))?;
        let storage = MetaStorage::shared(dir, fault)?;
        let iterator_key = IteratorKey::load_or_create(dir)
            .map_err(|source| OpenError::Dir { path: dir.join(IteratorKey::FILE), source })?;
        let state = State {
            dir: dir.to_path_buf(),
            opts,
            iterator_key,
            storage,
            closed: Default::default(),
            streams: RwLock::default(),
            quarantined: RwLock::default(),
            quota: Mutex::default(),
            subscriptions: Default::default(),
        };
        for (name, loaded) in state.storage.load_all()? {
            let meta = match loaded {
                Ok(meta) => meta,
                Err(e) => {
                    state.quarantine(&name, format!("its metadata is unreadable: {e}"), None);
                    continue;
                }
            };
            let dir = state.stream_dir(&meta);
            match state.open_stream(meta) {
                Ok(stream) => {
                    state.map_write().insert(name, stream);
                }
                Err(reason) => state.quarantine(&name, reason, Some(dir)),
            }
        }
        Ok(state)
    }

    fn quarantine(&self, name: &str, reason: String, dir: Option<PathBuf>) {
        self.quarantined
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), Quarantined { reason, dir });
    }

    /// The streams set aside as damaged, by name.
    pub fn quarantined(&self) -> BTreeMap<String, Quarantined> {
        self.quarantined.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn stream_dir(&self, meta: &StreamMeta) -> PathBuf {
        self.dir.join("streams").join(format!("{}-{}", meta.name, meta.created_ms))
    }

    fn log_options(&self) -> LogOptions {
        LogOptions { segment_bytes: self.opts.segment_bytes, ..LogOptions::default() }
    }

    /// Opens the shard logs of a stream found on disk. A shard directory that metadata names but the
    /// disk lacks is damage: recreating it empty would hand out its sequence numbers again.
    fn open_stream(&self, meta: StreamMeta) -> Result<Arc<Stream>, String> {
        let dir = self.stream_dir(&meta);
        let mut shards = Vec::with_capacity(meta.shards.len());
        for s in &meta.shards {
            if s.gone {
                shards.push(None);
                continue;
            }
            let path = shard_dir(&dir, s.index);
            let rt = self.shard_rt(&path, &meta, s.index, OpenMode::Existing);
            shards.push(Some(rt.map_err(|e| format!("shard {}: {e}", s.id()))?));
        }
        Ok(Arc::new(Stream {
            dir,
            stats: Mutex::default(),
            consumer_stats: Mutex::default(),
            inner: RwLock::new(StreamInner { meta, shards }),
        }))
    }

    fn shard_rt(
        &self,
        dir: &Path,
        meta: &StreamMeta,
        index: u32,
        mode: OpenMode,
    ) -> Result<Arc<ShardRt>, StorageError> {
        let log = ShardLog::open_with(dir, self.log_options(), mode)?;
        Ok(Arc::new(ShardRt {
            index,
            log,
            gate: tokio::sync::RwLock::new(meta.shards.get(index as usize).is_some_and(|s| s.closed.is_some())),
            limits: Mutex::default(),
            stats: Mutex::default(),
        }))
    }

    /// Creates the (private) directory and log of a new shard of `meta`'s stream.
    pub fn create_shard(&self, stream_dir: &Path, meta: &StreamMeta, index: u32) -> Result<Arc<ShardRt>, ApiError> {
        let path = shard_dir(stream_dir, index);
        let failed = |e: &dyn std::fmt::Display| {
            ApiError::internal(format!("creating shard {} of stream {}: {e}", super::keys::shard_id(index), meta.name))
        };
        self.shard_rt(&path, meta, index, OpenMode::New).map_err(|e| failed(&e))
    }

    /// Removes shards created for a change that was then refused.
    pub fn discard_shards(&self, shards: Vec<Arc<ShardRt>>) {
        for rt in shards {
            let dir = rt.log.dir().to_path_buf();
            drop(rt);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "removing a shard of a refused change failed");
            }
        }
    }

    /// Serializes changes checked against the account quotas.
    pub fn quota_lock(&self) -> MutexGuard<'_, ()> {
        self.quota.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a stream in one step: under the quota lock, refuses a name in use, runs `check` (the
    /// quotas), creates the shard directories, persists the metadata, then makes the stream visible.
    /// On any error nothing is left behind.
    pub fn create(&self, meta: StreamMeta, check: impl FnOnce(&State) -> Result<(), ApiError>) -> Result<(), ApiError> {
        let _quota = self.quota_lock();
        if self.exists(&meta.name) {
            return Err(in_use(format!("Stream {} under account {LOCAL_ACCOUNT_ID} already exists.", meta.name)));
        }
        check(self)?;
        let dir = self.stream_dir(&meta);
        let mut shards = Vec::with_capacity(meta.shards.len());
        for s in &meta.shards {
            match self.create_shard(&dir, &meta, s.index) {
                Ok(rt) => shards.push(rt),
                Err(e) => {
                    self.discard_stream_dir(&dir, shards);
                    return Err(e);
                }
            }
        }
        if let Err(e) = self.persist(&meta) {
            self.discard_stream_dir(&dir, shards);
            return Err(e);
        }
        let name = meta.name.clone();
        let stream = Arc::new(Stream {
            dir,
            stats: Mutex::default(),
            consumer_stats: Mutex::default(),
            inner: RwLock::new(StreamInner { meta, shards: shards.into_iter().map(Some).collect() }),
        });
        self.map_write().insert(name, stream);
        Ok(())
    }

    fn discard_stream_dir(&self, dir: &Path, shards: Vec<Arc<ShardRt>>) {
        self.discard_shards(shards);
        if let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %e, "removing the directory of a refused stream failed");
        }
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

    /// Whether the name is taken, by a serving stream or a quarantined one.
    pub fn exists(&self, name: &str) -> bool {
        self.map_read().contains_key(name)
            || self.quarantined.read().unwrap_or_else(|p| p.into_inner()).contains_key(name)
    }

    /// Streams of any mode, serving or quarantined.
    pub fn stream_count(&self) -> usize {
        self.map_read().len() + self.quarantined.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn persist(&self, meta: &StreamMeta) -> Result<(), ApiError> {
        self.storage.put(meta).map_err(|e| ApiError::internal(format!("persisting stream {}: {e}", meta.name)))
    }

    /// The stream named, with any due status transition applied first.
    pub fn get(&self, name: &str, now_ms: i64) -> Result<Arc<Stream>, ApiError> {
        let Some(stream) = self.map_read().get(name).cloned() else {
            return Err(match self.quarantined.read().unwrap_or_else(|p| p.into_inner()).get(name) {
                Some(q) => damaged(name, &q.reason),
                None => not_found(name),
            });
        };
        let due = stream.read().meta.transition_at_ms.is_some_and(|at| at <= now_ms);
        if due {
            self.settle(&stream, now_ms);
            if !self.map_read().contains_key(name) {
                return Err(not_found(name));
            }
        }
        Ok(stream)
    }

    /// Ends a due CREATING/UPDATING/DELETING state; a deleted stream leaves the map, the storage and
    /// the disk. If the new state cannot be persisted it is not applied, and the next look retries.
    /// A reshard takes effect here, as the stream turns ACTIVE; an append still in flight to a parent
    /// it closes leaves it to the next look (`settle_waiting` waits for such appends).
    pub fn settle(&self, stream: &Arc<Stream>, now_ms: i64) {
        let mut inner = stream.write();
        if inner.meta.transition_at_ms.is_none_or(|at| at > now_ms) {
            return;
        }
        if inner.meta.status == Status::Deleting {
            let name = inner.meta.name.clone();
            inner.shards.clear();
            drop(inner);
            self.remove(&name, stream);
            return;
        }
        let parents = inner.closing_parents();
        let Ok(gates) = parents.iter().map(|rt| rt.gate.try_write()).collect::<Result<Vec<_>, _>>() else {
            return;
        };
        self.finish_transition(stream, &mut inner, gates, now_ms);
    }

    /// Forgets a deleted stream: its metadata first, then its records, so a crash in between leaves
    /// files nobody names rather than a name whose files are gone.
    fn remove(&self, name: &str, stream: &Arc<Stream>) {
        {
            let mut map = self.map_write();
            if map.get(name).is_some_and(|s| Arc::ptr_eq(s, stream)) {
                map.remove(name);
            }
        }
        if let Err(e) = self.storage.remove(name) {
            tracing::warn!(stream = %name, error = %e, "removing stream metadata failed; its records stay on disk");
            return;
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
        let quarantined = std::mem::take(&mut *self.quarantined.write().unwrap_or_else(|p| p.into_inner()));
        for (name, q) in quarantined {
            if let Err(e) = self.storage.remove(&name) {
                tracing::warn!(stream = %name, error = %e, "removing damaged stream metadata failed");
            }
            if let Some(dir) = q.dir
                && let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(stream = %name, error = %e, "removing damaged stream data failed");
            }
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

    /// The shards the account's quota counts: each stream's open shards, or as many as it will have
    /// once its pending reshard takes effect if that is more, so an UPDATING stream's growth is not
    /// given away to another stream meanwhile.
    pub fn shards_held(&self) -> usize {
        self.map_read().values().map(|s| s.read().meta.shards_held()).sum()
    }
}

/// The error for every operation on a quarantined stream.
pub fn damaged(name: &str, reason: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        format!(
            "Stream {name} under account {LOCAL_ACCOUNT_ID} is unavailable: its stored data is damaged ({reason}). \
             The local cloud set it aside when it started; see `kinesis-console local status`."
        ),
    )
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

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    fn options() -> Options {
        Options {
            transition_ms: 0,
            shard_limit: 10,
            on_demand_stream_limit: 1,
            stream_limit: 10,
            segment_bytes: 1 << 20,
        }
    }

    fn meta(name: &str) -> StreamMeta {
        serde_json::from_value(serde_json::json!({
            "name": name, "region": "us-east-1", "created_ms": 1, "status": "ACTIVE", "transition_at_ms": null,
            "mode": "PROVISIONED", "mode_changed_ms": null, "retention_hours": 24,
            "shards": [{ "index": 0, "parent": null, "adjacent_parent": null, "start_hash": 0,
                         "end_hash": 1000, "created_ms": 1, "first_log_seq": 0, "closed": null }],
            "enhanced_metrics": [], "encryption_key": null, "tags": {}, "consumers": []
        }))
        .unwrap()
    }

    /// Threads released at once: without the create being one step, every one of them passes the
    /// name check before any inserts.
    #[test]
    fn concurrent_creates_of_one_name_make_one_stream() {
        let tmp = tempfile::tempdir().unwrap();
        let state = State::open(tmp.path(), options(), None).unwrap();
        let barrier = Barrier::new(16);
        let results: Vec<Result<(), ApiError>> = std::thread::scope(|s| {
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        state.create(meta("race"), |_| Ok(()))
                    })
                })
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(e.code, "ResourceInUseException", "{}", e.message);
        }
        assert_eq!(state.names(), ["race"]);
    }
}
