//! The metric store: every series CloudWatch knows, with 1-second buckets for three hours and
//! 60-second buckets for fifteen days, persisted under `<data_dir>/cloudwatch/`.
//!
//! A series is a metric identity (namespace, name, sorted dimensions) with one unit; datums of the
//! same metric in another unit form another series, so units stay exact per datum. Blocks of the
//! last three hours live in memory (sealed compactly once their minute has passed); older minutes
//! are rolled up to one bucket and kept on disk only. Dirty blocks are written every
//! [`FLUSH_EVERY`] and on shutdown: that interval is the durability window of a crash.

pub mod agg;
pub mod block;
mod disk;
pub mod faults;
pub mod quarantine;
pub mod units;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use redb::Database;
use serde::{Deserialize, Serialize};

use self::agg::Agg;
use self::block::Block;
use crate::cloud::metric_sink::{Datum, MetricSink, Sample};

pub const MINUTE_MS: i64 = 60_000;
/// How long 1-second detail is kept.
pub const HIGH_RES_MS: i64 = 3 * 3_600_000;
/// How long 60-second rollups are kept.
pub const RETENTION_MS: i64 = 15 * 86_400_000;
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// Blocks written per transaction.
const FLUSH_CHUNK: usize = 2048;

/// Metric identity plus unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    pub namespace: String,
    pub name: String,
    /// Sorted by name.
    pub dimensions: Vec<(String, String)>,
    pub unit: String,
}

#[derive(Serialize, Deserialize)]
struct SeriesRecord {
    key: SeriesKey,
    last_ms: i64,
}

pub struct SeriesInfo {
    pub id: u32,
    pub key: SeriesKey,
    /// Cloud time of the newest datum received.
    pub last_ms: i64,
}

struct Series {
    key: SeriesKey,
    last_ms: i64,
    blocks: BTreeMap<i64, Block>,
}

#[derive(Default)]
struct Inner {
    ids: HashMap<SeriesKey, u32>,
    series: Vec<Series>,
    dirty: HashSet<(u32, i64)>,
    dirty_series: HashSet<u32>,
    /// Minutes below this are on disk (memory only holds dirty ones there).
    evicted_below: i64,
}

pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

pub struct MetricStore {
    inner: RwLock<Inner>,
    db: Mutex<Option<Arc<Database>>>,
    path: PathBuf,
    now: Now,
    /// Damage found while opening, as (resource, reason), until the service reports it.
    damage: Mutex<Vec<(String, String)>>,
}

/// What one datum adds: a high-resolution datum goes to its second, a standard one to its minute.
pub struct Observation {
    pub key: SeriesKey,
    pub timestamp_ms: i64,
    pub agg: Agg,
    pub high_resolution: bool,
}

impl MetricStore {
    /// Opens the store in `data_dir`, loading the last three hours into memory.
    /// A metric file that cannot be opened is set aside and the store starts empty; a corrupt
    /// block is skipped. Either is kept for [`MetricStore::take_damage`].
    pub fn open(data_dir: &Path, now: Now) -> anyhow::Result<Arc<MetricStore>> {
        let path = disk::file_path(data_dir);
        let mut damage = Vec::new();
        let db = match disk::open(&path) {
            Ok(db) => db,
            Err(e) if e.downcast_ref::<disk::Damaged>().is_some() => {
                let reason = quarantine::reason(&format!("{e:#}"), quarantine::set_aside(&path));
                damage.push((path.display().to_string(), reason));
                disk::open(&path)?
            }
            Err(e) => return Err(e),
        };
        let mut inner = Inner { evicted_below: hot_start(now()), ..Inner::default() };
        for (id, bytes) in disk::load_series(&db)? {
            let Ok(rec) = serde_json::from_slice::<SeriesRecord>(&bytes) else {
                damage.push((
                    format!("{} series {id}", path.display()),
                    "its identity record is corrupt; skipped".into(),
                ));
                continue;
            };
            let mut blocks = BTreeMap::new();
            for (minute, raw) in disk::read_blocks(&db, id, inner.evicted_below, i64::MAX)? {
                match Block::decode(&raw) {
                    Ok(b) => drop(blocks.insert(minute, b)),
                    Err(e) => damage.push((
                        format!("{} series {id} minute {minute}", path.display()),
                        format!("corrupt metric block ({e}); skipped, the rest of the series is served"),
                    )),
                }
            }
            let index = id as usize;
            while inner.series.len() <= index {
                inner.series.push(Series { key: placeholder_key(), last_ms: i64::MIN, blocks: BTreeMap::new() });
            }
            inner.ids.insert(rec.key.clone(), id);
            inner.series[index] = Series { key: rec.key, last_ms: rec.last_ms, blocks };
        }
        let store = Arc::new(MetricStore {
            inner: RwLock::new(inner),
            db: Mutex::new(Some(Arc::new(db))),
            path,
            now,
            damage: Mutex::new(damage),
        });
        let weak: Weak<dyn disk::Handoff> = Arc::downgrade(&(store.clone() as Arc<dyn disk::Handoff>));
        disk::register(&store.path, weak);
        open_stores().lock().unwrap_or_else(|p| p.into_inner()).insert(data_dir.to_path_buf(), Arc::downgrade(&store));
        Ok(store)
    }

    /// The live store of a data dir in this process (tools and benchmarks inspect it directly).
    pub fn find(data_dir: &Path) -> Option<Arc<MetricStore>> {
        open_stores().lock().unwrap_or_else(|p| p.into_inner()).get(data_dir).and_then(Weak::upgrade)
    }

    /// The damage found while opening, once.
    pub fn take_damage(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.damage.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn now_ms(&self) -> i64 {
        (self.now)()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn database(&self) -> Option<Arc<Database>> {
        self.db.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn ingest(&self, observations: Vec<Observation>) {
        let _ = self.ingest_within(observations, usize::MAX);
    }

    /// Ingests, unless that would take the store past `max_series` series: then nothing is stored
    /// and the error holds the number of series held.
    pub fn ingest_within(&self, observations: Vec<Observation>, max_series: usize) -> Result<(), usize> {
        let mut cold = Vec::new();
        let hot = hot_start(self.now_ms());
        {
            let mut inner = self.write();
            let held = inner.ids.len();
            let new: HashSet<&SeriesKey> =
                observations.iter().map(|o| &o.key).filter(|k| !inner.ids.contains_key(*k)).collect();
            if !new.is_empty() && held.saturating_add(new.len()) > max_series {
                return Err(held);
            }
            for obs in observations {
                let id = inner.id_for(&obs.key);
                let minute = obs.timestamp_ms.div_euclid(MINUTE_MS);
                if minute < inner.evicted_below && !inner.series[id as usize].blocks.contains_key(&minute) {
                    cold.push((id, obs));
                    continue;
                }
                inner.add(id, obs, hot);
            }
        }
        if !cold.is_empty() {
            self.ingest_cold(cold, hot);
        }
        Ok(())
    }

    /// Datums for minutes already on disk: their block is loaded, merged and kept until flushed.
    fn ingest_cold(&self, cold: Vec<(u32, Observation)>, hot: i64) {
        let db = self.database();
        for (id, obs) in cold {
            let minute = obs.timestamp_ms.div_euclid(MINUTE_MS);
            let stored = db
                .as_ref()
                .and_then(|db| disk::read_blocks(db, id, minute, minute + 1).ok())
                .and_then(|rows| rows.into_iter().next())
                .and_then(|(_, raw)| Block::decode(&raw).ok());
            let mut inner = self.write();
            if let Some(block) = stored {
                inner.series[id as usize].blocks.entry(minute).or_insert(block);
            }
            inner.add(id, obs, hot);
        }
    }

    /// Series matching `filter`, with their ids.
    pub fn series(&self, mut filter: impl FnMut(&SeriesKey) -> bool) -> Vec<SeriesInfo> {
        let inner = self.read();
        inner
            .ids
            .iter()
            .filter(|(k, _)| filter(k))
            .map(|(k, id)| SeriesInfo { id: *id, key: k.clone(), last_ms: inner.series[*id as usize].last_ms })
            .collect()
    }

    /// Calls `f(timestamp_ms, bucket)` for every bucket of `ids` in `[from_ms, to_ms)`.
    /// Standard-resolution and rolled-up buckets sit at their minute start.
    pub fn scan(&self, ids: &[u32], from_ms: i64, to_ms: i64, with_values: bool, mut f: impl FnMut(i64, &Agg)) {
        if from_ms >= to_ms {
            return;
        }
        let (from_min, to_min) = (from_ms.div_euclid(MINUTE_MS), (to_ms - 1).div_euclid(MINUTE_MS) + 1);
        let mut from_disk = Vec::new();
        {
            let inner = self.read();
            for &id in ids {
                let Some(series) = inner.series.get(id as usize) else {
                    continue;
                };
                let mut held = HashSet::new();
                for (&minute, block) in series.blocks.range(from_min..to_min) {
                    held.insert(minute);
                    visit(minute, block, (from_ms, to_ms), with_values, &mut f);
                }
                if from_min < inner.evicted_below {
                    from_disk.push((id, held, inner.evicted_below.min(to_min)));
                }
            }
        }
        let Some(db) = self.database() else { return };
        for (id, held, until) in from_disk {
            let rows = disk::read_blocks(&db, id, from_min, until).unwrap_or_else(|e| {
                tracing::warn!(series = id, error = %e, "could not read metric blocks");
                Vec::new()
            });
            for (minute, raw) in rows.into_iter().filter(|(m, _)| !held.contains(m)) {
                if let Ok(block) = Block::decode(&raw) {
                    visit(minute, &block, (from_ms, to_ms), with_values, &mut f);
                }
            }
        }
    }

    /// Seals closed minutes; every flush interval also writes dirty blocks out, rolls minutes older
    /// than three hours up to one bucket and drops data past retention.
    pub fn maintain(&self, flush: bool) {
        let now = self.now_ms();
        let current = now.div_euclid(MINUTE_MS);
        {
            let mut inner = self.write();
            for s in &mut inner.series {
                for (_, b) in s.blocks.range_mut(..current - 1) {
                    b.seal();
                }
            }
        }
        if let Err(e) = if flush { self.flush(now) } else { Ok(()) } {
            tracing::warn!(error = %e, path = %self.path.display(), "could not write the metric store");
        }
    }

    /// Writes dirty blocks, then rolls aged minutes up on disk before dropping them from memory, in
    /// transactions of [`FLUSH_CHUNK`] blocks so a large backlog never needs a second copy in memory.
    fn flush(&self, now: i64) -> anyhow::Result<()> {
        let db_guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let Some(db) = db_guard.clone() else {
            return Ok(());
        };
        let hot = hot_start(now);
        let expire = (now - RETENTION_MS).div_euclid(MINUTE_MS);
        // The dirty lists are taken now, so writes arriving during the flush mark blocks for the
        // next one; if this flush fails they are put back, so no block is left unwritten.
        let (taken, taken_series) = {
            let mut inner = self.write();
            (std::mem::take(&mut inner.dirty), std::mem::take(&mut inner.dirty_series))
        };
        let written = self.write_out(&db, &taken, &taken_series, hot, expire);
        if written.is_err() {
            let mut inner = self.write();
            inner.dirty.extend(taken);
            inner.dirty_series.extend(taken_series);
        }
        written
    }

    fn write_out(
        &self,
        db: &Arc<Database>,
        taken: &HashSet<(u32, i64)>,
        taken_series: &HashSet<u32>,
        hot: i64,
        expire: i64,
    ) -> anyhow::Result<()> {
        let (dirty, aged, series, series_ids) = {
            let inner = self.read();
            let dirty: Vec<(u32, i64)> = taken.iter().copied().filter(|(_, m)| *m >= hot).collect();
            let aged: Vec<(u32, i64)> = inner
                .series
                .iter()
                .enumerate()
                .flat_map(|(id, s)| s.blocks.range(..hot).map(move |(m, _)| (id as u32, *m)))
                .collect();
            let series = taken_series
                .iter()
                .copied()
                .filter_map(|id| {
                    let s = inner.series.get(id as usize)?;
                    let rec = SeriesRecord { key: s.key.clone(), last_ms: s.last_ms };
                    Some((id, serde_json::to_vec(&rec).ok()?))
                })
                .collect();
            (dirty, aged, series, (0..inner.series.len() as u32).collect())
        };
        self.write_batch(db, disk::Batch { series, expire_before: Some(expire), series_ids, ..Default::default() })?;
        for chunk in dirty.chunks(FLUSH_CHUNK) {
            let blocks = self.encode(chunk, |b| b.encode());
            self.write_batch(db, disk::Batch { blocks, ..Default::default() })?;
        }
        for chunk in aged.chunks(FLUSH_CHUNK) {
            let kept: Vec<(u32, i64)> = chunk.iter().copied().filter(|(_, m)| *m >= expire).collect();
            let blocks = self.encode(&kept, |b| b.rolled_up().encode());
            self.write_batch(db, disk::Batch { blocks, ..Default::default() })?;
        }
        let mut inner = self.write();
        inner.evicted_below = inner.evicted_below.max(hot);
        for key in aged {
            // A block written to again since it was encoded stays until the next flush writes it.
            if !inner.dirty.contains(&key) {
                inner.series[key.0 as usize].blocks.remove(&key.1);
            }
        }
        Ok(())
    }

    fn write_batch(&self, db: &Arc<Database>, batch: disk::Batch) -> anyhow::Result<()> {
        faults::check(&self.path)?;
        disk::write(db, batch)
    }

    fn encode(&self, keys: &[(u32, i64)], f: impl Fn(&Block) -> Vec<u8>) -> Vec<((u32, i64), Vec<u8>)> {
        let inner = self.read();
        keys.iter().filter_map(|&(id, m)| Some(((id, m), f(inner.series.get(id as usize)?.blocks.get(&m)?)))).collect()
    }

    /// Writes everything out and lets go of the file (shutdown, or a new store on the same dir).
    pub fn close(&self) {
        self.maintain(true);
        self.db.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Drops every series (admin reset): from disk first, so a failed clear leaves memory as it was.
    pub fn clear(&self) -> anyhow::Result<()> {
        let db = self.database();
        let mut inner = self.write();
        if let Some(db) = db {
            faults::check(&self.path)?;
            disk::clear(&db)?;
        }
        let evicted_below = hot_start(self.now_ms());
        *inner = Inner { evicted_below, ..Inner::default() };
        Ok(())
    }

    /// Approximate heap bytes of the in-memory blocks.
    pub fn resident_bytes(&self) -> usize {
        let inner = self.read();
        inner.series.iter().map(|s| s.blocks.values().map(|b| b.heap_bytes() + 48).sum::<usize>() + 160).sum()
    }
}

impl disk::Handoff for MetricStore {
    fn flush_and_close(&self) {
        self.close();
    }
}

impl Inner {
    fn id_for(&mut self, key: &SeriesKey) -> u32 {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.series.len() as u32;
        self.series.push(Series { key: key.clone(), last_ms: i64::MIN, blocks: BTreeMap::new() });
        self.ids.insert(key.clone(), id);
        id
    }

    /// Adds at one-second detail while the minute is within the last three hours (`hot` onward, by
    /// the clock now, not by what has been evicted: a clock set back makes old minutes hot again).
    fn add(&mut self, id: u32, obs: Observation, hot: i64) {
        let minute = obs.timestamp_ms.div_euclid(MINUTE_MS);
        let series = &mut self.series[id as usize];
        series.last_ms = series.last_ms.max(obs.timestamp_ms);
        let block = series.blocks.entry(minute).or_default();
        if obs.high_resolution && minute >= hot {
            block.add_second((obs.timestamp_ms.rem_euclid(MINUTE_MS) / 1000) as u8, &obs.agg);
        } else {
            block.add_std(&obs.agg);
        }
        self.dirty.insert((id, minute));
        self.dirty_series.insert(id);
    }
}

fn visit(minute: i64, block: &Block, (from_ms, to_ms): (i64, i64), with_values: bool, f: &mut impl FnMut(i64, &Agg)) {
    block.for_each(with_values, |sec, agg| {
        let ts = minute * MINUTE_MS + sec as i64 * 1000;
        if ts >= from_ms && ts < to_ms {
            f(ts, agg);
        }
    });
}

fn open_stores() -> &'static Mutex<HashMap<PathBuf, Weak<MetricStore>>> {
    static STORES: OnceLock<Mutex<HashMap<PathBuf, Weak<MetricStore>>>> = OnceLock::new();
    STORES.get_or_init(Default::default)
}

fn hot_start(now: i64) -> i64 {
    (now - HIGH_RES_MS).div_euclid(MINUTE_MS)
}

fn placeholder_key() -> SeriesKey {
    SeriesKey { namespace: String::new(), name: String::new(), dimensions: Vec::new(), unit: String::new() }
}

/// Service metrics (`AWS/Kinesis`, …) arrive here, at 1-second resolution.
impl MetricSink for MetricStore {
    fn publish(&self, datums: Vec<Datum>) {
        let observations = datums.into_iter().filter_map(observation_of).collect();
        self.ingest(observations);
    }
}

fn observation_of(d: Datum) -> Option<Observation> {
    let agg = match d.sample {
        Sample::Value(v) if v.is_finite() => Agg::value(v),
        Sample::Values(pairs) => Agg::values(&pairs),
        Sample::Stats { count, sum, min, max } => Agg::stats(count, sum, min, max),
        Sample::Value(_) => return None,
    };
    let mut dimensions = d.dimensions;
    dimensions.sort();
    let unit = if units::is_unit(&d.unit) { d.unit } else { "None".to_string() };
    let key = SeriesKey { namespace: d.namespace, name: d.name, dimensions, unit };
    Some(Observation { key, timestamp_ms: d.timestamp_ms, agg, high_resolution: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z, a whole hour.
    const T0: i64 = 1_767_225_600_000;

    fn open(dir: &Path) -> Arc<MetricStore> {
        MetricStore::open(dir, Arc::new(|| T0)).unwrap()
    }

    fn obs(host: &str, timestamp_ms: i64) -> Observation {
        let key = SeriesKey {
            namespace: "App".into(),
            name: "Requests".into(),
            dimensions: vec![("Host".into(), host.into())],
            unit: "Count".into(),
        };
        Observation { key, timestamp_ms, agg: Agg::value(1.0), high_resolution: true }
    }

    fn sum(store: &MetricStore, host: &str) -> f64 {
        let ids: Vec<u32> = store.series(|k| k.dimensions[0].1 == host).iter().map(|s| s.id).collect();
        let mut total = 0.0;
        store.scan(&ids, T0 - 3_600_000, T0 + 3_600_000, false, |_, a| total += a.sum);
        total
    }

    /// What a crash does: the file is let go without the flush a shutdown makes.
    fn crash(store: Arc<MetricStore>) {
        store.db.lock().unwrap().take();
    }

    #[test]
    fn a_failed_flush_keeps_its_blocks_dirty_and_the_next_one_writes_them() {
        let tmp = tempfile::tempdir().unwrap();
        let store = open(tmp.path());
        store.ingest(vec![obs("a", T0 - 5_000), obs("b", T0 - 4_000)]);
        faults::fail_writes(tmp.path(), true);
        assert!(store.flush(T0).is_err());
        assert_eq!((store.read().dirty.len(), store.read().dirty_series.len()), (2, 2), "still to be written");
        faults::fail_writes(tmp.path(), false);
        store.flush(T0).expect("the next flush writes");
        assert!(store.read().dirty.is_empty());
        crash(store);
        let reopened = open(tmp.path());
        assert_eq!((sum(&reopened, "a"), sum(&reopened, "b")), (1.0, 1.0), "a restart has every datum");
    }

    #[test]
    fn a_corrupt_block_is_reported_and_the_rest_is_served() {
        let tmp = tempfile::tempdir().unwrap();
        let store = open(tmp.path());
        store.ingest(vec![obs("a", T0 - 120_000), obs("a", T0 - 5_000), obs("b", T0 - 5_000)]);
        let a = store.series(|k| k.dimensions[0].1 == "a")[0].id;
        store.close();
        drop(store);
        let db = Database::open(disk::file_path(tmp.path())).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(disk::BLOCKS).unwrap().insert((a, (T0 - 120_000) / MINUTE_MS), b"garbage".as_slice()).unwrap();
        tx.commit().unwrap();
        drop(db);

        let store = open(tmp.path());
        let damage = store.take_damage();
        assert_eq!(damage.len(), 1, "{damage:?}");
        assert!(damage[0].0.ends_with(&format!("series {a} minute {}", (T0 - 120_000) / MINUTE_MS)));
        assert_eq!((sum(&store, "a"), sum(&store, "b")), (1.0, 1.0), "the other minute and series are served");
        assert!(store.take_damage().is_empty(), "damage is handed over once");
    }
}
