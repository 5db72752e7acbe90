//! Managed Flink's state: every application in memory, each change written to
//! `<data dir>/kinesisanalytics/flink.redb` (one document per application) before it is published in
//! memory, so a failed write changes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Application, app_key};
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the on-disk layout.
pub const FORMAT_VERSION: u64 = 1;

pub struct FlinkState {
    store: Arc<DocStore>,
    apps: Mutex<BTreeMap<String, Application>>,
}

/// A document that could not be read at start, set aside so the rest serves.
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

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
        let doc = serde_json::to_vec(&app)
            .map_err(|e| ApiError::internal(format!("encoding application {}: {e}", app.name)))?;
        self.commit(&[Change::Put(app_key(&app.name), doc)], &app.name)?;
        apps.insert(app.name.clone(), app);
        Ok(())
    }

    /// Removes `name` durably, then from `apps`.
    pub fn remove(&self, apps: &mut BTreeMap<String, Application>, name: &str) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(app_key(name))], name)?;
        apps.remove(name);
        Ok(())
    }

    fn commit(&self, changes: &[Change], name: &str) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            ApiError::internal(format!("writing application {name} to the Managed Flink state failed: {e}"))
        })
    }
}
