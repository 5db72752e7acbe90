//! The delivery streams: every one in memory with its delivery pipeline, each change written to
//! `<data dir>/firehose/firehose.redb` in one transaction before it is published in memory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use super::delivery::pipeline::Pipeline;
use super::model::{DeliveryStream, Intent, Progress, meta_key, progress_key};
use crate::cloud::clock::Millis;
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the Firehose on-disk layout.
pub const FORMAT_VERSION: u64 = 1;

pub struct Entry {
    pub meta: DeliveryStream,
    pub pipeline: Arc<Pipeline>,
}

pub struct FirehoseState {
    store: Arc<DocStore>,
    skip_commit: Arc<AtomicBool>,
    streams: Mutex<BTreeMap<String, Entry>>,
}

/// What loading found besides the delivery streams: unreadable documents and pending intents.
#[derive(Default)]
pub struct Loaded {
    pub unreadable: Vec<(String, String)>,
    pub intents: Vec<(String, Intent)>,
}

#[derive(Default)]
struct Docs {
    metas: Vec<DeliveryStream>,
    progress: BTreeMap<String, Progress>,
    journal: BTreeMap<String, Vec<(u64, Millis, Vec<u8>)>>,
}

fn parse_journal(rest: &str, doc: Vec<u8>) -> Option<(String, u64, Millis, Vec<u8>)> {
    let (name, seq) = rest.rsplit_once('/')?;
    let seq = seq.parse().ok()?;
    let at = Millis::from_be_bytes(doc.get(..8)?.try_into().ok()?);
    Some((name.to_string(), seq, at, doc[8..].to_vec()))
}

impl FirehoseState {
    pub fn open(dir: &Path, skip_commit: Arc<AtomicBool>) -> Result<(FirehoseState, Loaded), DocStoreError> {
        let store = DocStore::open(dir, "firehose.redb", FORMAT_VERSION)?;
        let mut docs = Docs::default();
        let mut loaded = Loaded::default();
        for (key, doc) in store.load()? {
            let bad = |reason: String| (key.clone(), reason);
            if let Some(rest) = key.strip_prefix("j/") {
                match parse_journal(rest, doc) {
                    Some((name, seq, at, data)) => docs.journal.entry(name).or_default().push((seq, at, data)),
                    None => loaded.unreadable.push(bad("not a journal record".into())),
                }
                continue;
            }
            let (kind, name) = key.split_at(key.find('/').map_or(0, |i| i + 1));
            let result = match kind {
                "d/" => serde_json::from_slice::<DeliveryStream>(&doc).map(|m| docs.metas.push(m)),
                "p/" => serde_json::from_slice::<Progress>(&doc).map(|p| {
                    docs.progress.insert(name.to_string(), p);
                }),
                "i/" => serde_json::from_slice::<Intent>(&doc).map(|i| loaded.intents.push((name.to_string(), i))),
                _ => Ok(()),
            };
            if let Err(e) = result {
                loaded.unreadable.push(bad(e.to_string()));
            }
        }
        let mut streams = BTreeMap::new();
        for meta in docs.metas {
            let progress = docs.progress.remove(&meta.name).unwrap_or_default();
            let journal = docs.journal.remove(&meta.name).unwrap_or_default();
            let pipeline = Pipeline::new(&meta.name, store.clone(), skip_commit.clone(), progress, journal);
            streams.insert(meta.name.clone(), Entry { meta, pipeline: Arc::new(pipeline) });
        }
        let state = FirehoseState { store, skip_commit, streams: Mutex::new(streams) };
        Ok((state, loaded))
    }

    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            tracing::error!("Firehose could not persist a change: {e}");
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                format!("The change could not be stored: {e}"),
            )
        })
    }

    /// Stores a new delivery stream with its starting positions, then publishes it.
    pub fn create(
        &self,
        streams: &mut BTreeMap<String, Entry>,
        meta: DeliveryStream,
        progress: Progress,
    ) -> Result<(), ApiError> {
        self.commit(&[put_meta(&meta)?, put_json(progress_key(&meta.name), &progress)?])?;
        let pipeline = Pipeline::new(&meta.name, self.store.clone(), self.skip_commit.clone(), progress, Vec::new());
        streams.insert(meta.name.clone(), Entry { meta, pipeline: Arc::new(pipeline) });
        Ok(())
    }

    pub fn update(&self, streams: &mut BTreeMap<String, Entry>, meta: DeliveryStream) -> Result<(), ApiError> {
        self.commit(&[put_meta(&meta)?])?;
        if let Some(e) = streams.get_mut(&meta.name) {
            e.meta = meta;
        }
        Ok(())
    }

    /// Forgets a delivery stream, its positions and its journal.
    pub fn remove(&self, streams: &mut BTreeMap<String, Entry>, name: &str) -> Result<(), ApiError> {
        let Some(entry) = streams.get(name) else { return Ok(()) };
        let mut changes = entry.pipeline.removal();
        changes.push(Change::Remove(meta_key(name)));
        self.commit(&changes)?;
        streams.remove(name);
        Ok(())
    }

    pub fn store(&self) -> &DocStore {
        &self.store
    }
}

fn put_json<T: serde::Serialize>(key: String, value: &T) -> Result<Change, ApiError> {
    let doc = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Change::Put(key, doc))
}

fn put_meta(meta: &DeliveryStream) -> Result<Change, ApiError> {
    put_json(meta_key(&meta.name), meta)
}
