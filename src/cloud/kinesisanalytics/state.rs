//! Managed Flink's state: every application in memory, each change written to
//! `<data dir>/kinesisanalytics/flink.redb` before it is published in memory, so a failed write changes
//! nothing. An application is one document (`app/<name>`); the job states its checkpoint and snapshots
//! hold are entries of their own (`state/<name>/…`, see [`SavedState`]), written in the same
//! transaction as the document that refers to them, removed in the one that stops referring to them,
//! and read only when a job starts from one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{APP_PREFIX, Application, SavedState, app_key};
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the on-disk layout (2: job states in entries of their own, not in the document).
pub const FORMAT_VERSION: u64 = 2;

pub struct FlinkState {
    store: Arc<DocStore>,
    apps: Mutex<BTreeMap<String, Application>>,
}

/// A document that could not be read at start, set aside so the rest serves.
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

/// A job state to write with an application: where (its [`SavedState`] key) and the bytes.
pub type StateWrite = (String, Vec<u8>);

impl FlinkState {
    pub fn open(dir: &Path) -> Result<(FlinkState, Vec<Unreadable>), DocStoreError> {
        let store = DocStore::open(dir, "flink.redb", FORMAT_VERSION)?;
        let mut apps = BTreeMap::new();
        let mut unreadable = Vec::new();
        for (key, doc) in store.load_prefixed(APP_PREFIX)? {
            match serde_json::from_slice::<Application>(&doc) {
                Ok(app) => {
                    apps.insert(app.name.clone(), app);
                }
                Err(e) => unreadable.push(Unreadable { key, reason: e.to_string() }),
            }
        }
        Ok((FlinkState { store, apps: Mutex::new(apps) }, unreadable))
    }

    pub fn store(&self) -> &DocStore {
        &self.store
    }

    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Application>> {
        self.apps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `app` durably, then publishes it in `apps`; on error nothing changes.
    pub fn put(&self, apps: &mut BTreeMap<String, Application>, app: Application) -> Result<(), ApiError> {
        self.put_with(apps, app, Vec::new())
    }

    /// Writes `app` and the job `states` it now refers to in one durable transaction, which also
    /// removes the states the application no longer refers to, then publishes it in `apps`; on error
    /// nothing changes.
    pub fn put_with(
        &self,
        apps: &mut BTreeMap<String, Application>,
        app: Application,
        states: Vec<StateWrite>,
    ) -> Result<(), ApiError> {
        let doc = serde_json::to_vec(&app)
            .map_err(|e| ApiError::internal(format!("encoding application {}: {e}", app.name)))?;
        let kept: BTreeSet<&str> = app.state_keys().collect();
        let dropped = apps.get(&app.name).into_iter().flat_map(|old| old.state_keys()).filter(|k| !kept.contains(k));
        let mut changes: Vec<Change> = dropped.map(|k| Change::Remove(k.to_string())).collect();
        changes.extend(states.into_iter().map(|(k, bytes)| Change::Put(k, bytes)));
        changes.push(Change::Put(app_key(&app.name), doc));
        self.commit(&changes, &app.name)?;
        apps.insert(app.name.clone(), app);
        Ok(())
    }

    /// Removes `name` and the job states it refers to durably, then from `apps`.
    pub fn remove(&self, apps: &mut BTreeMap<String, Application>, name: &str) -> Result<(), ApiError> {
        let mut changes: Vec<Change> =
            apps.get(name).into_iter().flat_map(|a| a.state_keys()).map(|k| Change::Remove(k.to_string())).collect();
        changes.push(Change::Remove(app_key(name)));
        self.commit(&changes, name)?;
        apps.remove(name);
        Ok(())
    }

    /// The bytes of a job state the application `app` refers to, or why they cannot be read.
    pub fn read_state(&self, app: &str, saved: &SavedState) -> Result<Vec<u8>, String> {
        match self.store.get(&saved.key) {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(format!("the saved state {} of application {app} is missing", saved.key)),
            Err(e) => Err(format!("reading the saved state {} of application {app} failed: {e}", saved.key)),
        }
    }

    fn commit(&self, changes: &[Change], name: &str) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            ApiError::internal(format!("writing application {name} to the Managed Flink state failed: {e}"))
        })
    }
}
