//! Managed Flink's state: every application in memory, each change written to
//! `<data dir>/kinesisanalytics/flink.redb` (one document per application) before it is published in
//! memory, so a failed write changes nothing. The job states its checkpoint and snapshots hold are
//! files of their own (`state_files.rs`): written before the document that refers to them, removed
//! after the one that stops referring to them, read only when a job starts from one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Application, SavedState, app_key};
use super::state_files::StateFiles;
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the on-disk layout (2: job states in files of their own, not in the document).
pub const FORMAT_VERSION: u64 = 2;

pub struct FlinkState {
    store: Arc<DocStore>,
    files: StateFiles,
    apps: Mutex<BTreeMap<String, Application>>,
}

/// A document that could not be read at start, set aside so the rest serves.
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

/// A job state to write with an application: its [`SavedState`] key and its bytes.
pub type StateWrite = (String, Vec<u8>);

impl FlinkState {
    pub fn open(dir: &Path) -> Result<(FlinkState, Vec<Unreadable>), DocStoreError> {
        let store = DocStore::open(dir, "flink.redb", FORMAT_VERSION)?;
        let mut apps = BTreeMap::new();
        let mut unreadable = Vec::new();
        for (key, doc) in store.load()? {
            match serde_json::from_slice::<Application>(&doc) {
                Ok(app) => {
                    apps.insert(app.name.clone(), app);
                }
                Err(e) => unreadable.push(Unreadable { key, reason: e.to_string() }),
            }
        }
        let files = StateFiles::new(dir.join("states"));
        // An unreadable document's states are kept: it may be read again by a later build.
        if unreadable.is_empty() {
            let referenced: BTreeSet<&str> = apps.values().flat_map(Application::state_keys).collect();
            let swept = files.sweep(&referenced);
            if swept > 0 {
                tracing::info!(files = swept, "removed Managed Flink job states no application refers to");
            }
        }
        Ok((FlinkState { store, files, apps: Mutex::new(apps) }, unreadable))
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

    /// Writes the job `states` `app` now refers to, then `app` durably, then publishes it in `apps`
    /// and removes the states it no longer refers to; on error nothing changes.
    pub fn put_with(
        &self,
        apps: &mut BTreeMap<String, Application>,
        app: Application,
        states: Vec<StateWrite>,
    ) -> Result<(), ApiError> {
        let doc = serde_json::to_vec(&app)
            .map_err(|e| ApiError::internal(format!("encoding application {}: {e}", app.name)))?;
        let written: Vec<&str> = states.iter().map(|(k, _)| k.as_str()).collect();
        for (key, bytes) in &states {
            if let Err(e) = self.files.write(key, bytes) {
                self.files.remove(written.iter().copied());
                return Err(ApiError::internal(format!("saving the job state of application {}: {e}", app.name)));
            }
        }
        if let Err(e) = self.commit(&[Change::Put(app_key(&app.name), doc)], &app.name) {
            self.files.remove(written.iter().copied());
            return Err(e);
        }
        let kept: BTreeSet<&str> = app.state_keys().collect();
        if let Some(old) = apps.get(&app.name) {
            self.files.remove(old.state_keys().filter(|k| !kept.contains(k)));
        }
        apps.insert(app.name.clone(), app);
        Ok(())
    }

    /// Removes `name` durably, then from `apps`, then its job states.
    pub fn remove(&self, apps: &mut BTreeMap<String, Application>, name: &str) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(app_key(name))], name)?;
        if let Some(old) = apps.remove(name) {
            self.files.remove(old.state_keys());
        }
        Ok(())
    }

    /// The bytes of a job state the application `app` refers to, or why they cannot be read.
    pub fn read_state(&self, app: &str, saved: &SavedState) -> Result<Vec<u8>, String> {
        self.files
            .read(&saved.key, saved.size_bytes)
            .map_err(|e| format!("the saved state {} of application {app} cannot be read: {e}", saved.key))
    }

    fn commit(&self, changes: &[Change], name: &str) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            ApiError::internal(format!("writing application {name} to the Managed Flink state failed: {e}"))
        })
    }
}
