//! The local Lambda's state: functions and mappings in memory behind one lock, each change written to
//! `<data dir>/lambda/lambda.redb` (one transaction) before it is published in memory, so a failed
//! write changes nothing. Read positions are documents of their own, written after every batch.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Function, Mapping, Positions};
use crate::cloud::doc_store::{Change, DocStore};
use crate::cloud::error::ApiError;

const FORMAT_VERSION: u64 = 1;
const FN: &str = "fn/";
const ESM: &str = "esm/";
const POS: &str = "pos/";

#[derive(Default, Clone)]
pub struct Tables {
    pub functions: BTreeMap<String, Function>,
    pub mappings: BTreeMap<String, Mapping>,
}

pub struct LambdaState {
    store: Arc<DocStore>,
    tables: Mutex<Tables>,
    positions: Mutex<BTreeMap<String, Positions>>,
}

/// Documents that could not be read at start, by key, with the reason.
pub type Unreadable = Vec<(String, String)>;

impl LambdaState {
    pub fn open(dir: &Path) -> anyhow::Result<(LambdaState, Unreadable)> {
        crate::cloud::files::create_private_dir_all(dir)?;
        let store = DocStore::open(dir, "lambda.redb", FORMAT_VERSION)?;
        let mut tables = Tables::default();
        let mut positions = BTreeMap::new();
        let mut unreadable = Vec::new();
        for (key, bytes) in store.load()? {
            let read = if let Some(name) = key.strip_prefix(FN) {
                serde_json::from_slice(&bytes).map(|f| {
                    tables.functions.insert(name.to_string(), f);
                })
            } else if let Some(uuid) = key.strip_prefix(ESM) {
                serde_json::from_slice(&bytes).map(|m| {
                    tables.mappings.insert(uuid.to_string(), m);
                })
            } else if let Some(uuid) = key.strip_prefix(POS) {
                serde_json::from_slice(&bytes).map(|p| {
                    positions.insert(uuid.to_string(), p);
                })
            } else {
                Ok(())
            };
            if let Err(e) = read {
                unreadable.push((key, e.to_string()));
            }
        }
        let state = LambdaState { store, tables: Mutex::new(tables), positions: Mutex::new(positions) };
        Ok((state, unreadable))
    }

    pub fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            ApiError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                format!("could not persist the change: {e}"),
            )
        })
    }

    /// Persists `f` then publishes it in `tables`.
    pub fn put_function(&self, tables: &mut Tables, f: Function) -> Result<(), ApiError> {
        self.commit(&[Change::Put(format!("{FN}{}", f.name), to_vec(&f))])?;
        tables.functions.insert(f.name.clone(), f);
        Ok(())
    }

    pub fn remove_function(&self, tables: &mut Tables, name: &str) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(format!("{FN}{name}"))])?;
        tables.functions.remove(name);
        Ok(())
    }

    pub fn put_mapping(&self, tables: &mut Tables, m: Mapping, positions: Option<Positions>) -> Result<(), ApiError> {
        let mut changes = vec![Change::Put(format!("{ESM}{}", m.uuid), to_vec(&m))];
        if let Some(p) = &positions {
            changes.push(Change::Put(format!("{POS}{}", m.uuid), to_vec(p)));
        }
        self.commit(&changes)?;
        if let Some(p) = positions {
            self.positions.lock().unwrap_or_else(|p| p.into_inner()).insert(m.uuid.clone(), p);
        }
        tables.mappings.insert(m.uuid.clone(), m);
        Ok(())
    }

    pub fn remove_mapping(&self, tables: &mut Tables, uuid: &str) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(format!("{ESM}{uuid}")), Change::Remove(format!("{POS}{uuid}"))])?;
        tables.mappings.remove(uuid);
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).remove(uuid);
        Ok(())
    }

    pub fn positions(&self, uuid: &str) -> Positions {
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).get(uuid).cloned().unwrap_or_default()
    }

    /// The checkpoint after a batch: written, then kept.
    pub fn save_positions(&self, uuid: &str, p: Positions) -> Result<(), ApiError> {
        if !self.lock().mappings.contains_key(uuid) {
            return Ok(());
        }
        self.commit(&[Change::Put(format!("{POS}{uuid}"), to_vec(&p))])?;
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).insert(uuid.to_string(), p);
        Ok(())
    }

    /// Drops everything (admin reset).
    pub fn clear(&self) -> Result<(), ApiError> {
        let mut tables = self.lock();
        let mut changes: Vec<Change> = tables.functions.keys().map(|k| Change::Remove(format!("{FN}{k}"))).collect();
        for uuid in tables.mappings.keys() {
            changes.push(Change::Remove(format!("{ESM}{uuid}")));
            changes.push(Change::Remove(format!("{POS}{uuid}")));
        }
        self.commit(&changes)?;
        *tables = Tables::default();
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(())
    }
}

fn to_vec<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}
