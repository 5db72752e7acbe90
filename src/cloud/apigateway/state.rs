//! API Gateway's state: each REST API (with its resources, models, validators, deployments and
//! stages) one document, each API key and usage plan one, and the account settings, in
//! `<data dir>/apigateway/apigateway.redb`. A change is built on a copy, written, then published.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Account, ApiDoc, ApiKey, UsagePlan};
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

pub const FORMAT_VERSION: u64 = 1;

#[derive(Default, Clone)]
pub struct Data {
    pub apis: BTreeMap<String, ApiDoc>,
    pub keys: BTreeMap<String, ApiKey>,
    pub plans: BTreeMap<String, UsagePlan>,
    pub account: Account,
}

pub struct State {
    store: Arc<DocStore>,
    data: Mutex<Data>,
}

fn doc<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))
}

/// A change to publish once written.
pub enum Put {
    Api(ApiDoc),
    RemoveApi(String),
    Key(ApiKey),
    RemoveKey(String),
    Plan(UsagePlan),
    RemovePlan(String),
    Account(Account),
}

impl State {
    /// Opens the store; documents that do not parse are returned by key so they can be reported.
    pub fn open(dir: &Path) -> Result<(State, Vec<(String, String)>), DocStoreError> {
        let store = DocStore::open(dir, "apigateway.redb", FORMAT_VERSION)?;
        let mut data = Data::default();
        let mut unreadable = Vec::new();
        for (key, bytes) in store.load()? {
            let read = match key.split_once('/') {
                Some(("api", id)) => serde_json::from_slice(&bytes).map(|d| {
                    data.apis.insert(id.to_string(), d);
                }),
                Some(("key", id)) => serde_json::from_slice(&bytes).map(|d| {
                    data.keys.insert(id.to_string(), d);
                }),
                Some(("plan", id)) => serde_json::from_slice(&bytes).map(|d| {
                    data.plans.insert(id.to_string(), d);
                }),
                _ if key == "account" => serde_json::from_slice(&bytes).map(|d| data.account = d),
                _ => Ok(()),
            };
            if let Err(e) = read {
                unreadable.push((key, e.to_string()));
            }
        }
        Ok((State { store, data: Mutex::new(data) }, unreadable))
    }

    pub fn store(&self) -> &DocStore {
        &self.store
    }

    pub fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `puts` in one transaction, then applies them to `data`.
    pub fn apply(&self, data: &mut Data, puts: Vec<Put>) -> Result<(), ApiError> {
        let mut changes = Vec::with_capacity(puts.len());
        for put in &puts {
            changes.push(match put {
                Put::Api(d) => Change::Put(format!("api/{}", d.api.id), doc(d)?),
                Put::RemoveApi(id) => Change::Remove(format!("api/{id}")),
                Put::Key(k) => Change::Put(format!("key/{}", k.id), doc(k)?),
                Put::RemoveKey(id) => Change::Remove(format!("key/{id}")),
                Put::Plan(p) => Change::Put(format!("plan/{}", p.id), doc(p)?),
                Put::RemovePlan(id) => Change::Remove(format!("plan/{id}")),
                Put::Account(a) => Change::Put("account".into(), doc(a)?),
            });
        }
        self.store.commit(&changes).map_err(|e| {
            tracing::error!("API Gateway could not persist a change: {e}");
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                format!("The change could not be stored: {e}"),
            )
        })?;
        for put in puts {
            match put {
                Put::Api(d) => {
                    data.apis.insert(d.api.id.clone(), d);
                }
                Put::RemoveApi(id) => {
                    data.apis.remove(&id);
                }
                Put::Key(k) => {
                    data.keys.insert(k.id.clone(), k);
                }
                Put::RemoveKey(id) => {
                    data.keys.remove(&id);
                }
                Put::Plan(p) => {
                    data.plans.insert(p.id.clone(), p);
                }
                Put::RemovePlan(id) => {
                    data.plans.remove(&id);
                }
                Put::Account(a) => data.account = a,
            }
        }
        Ok(())
    }

    pub fn drop_all(&self) -> Result<(), ApiError> {
        let mut data = self.lock();
        let mut puts: Vec<Put> = data.apis.keys().cloned().map(Put::RemoveApi).collect();
        puts.extend(data.keys.keys().cloned().map(Put::RemoveKey));
        puts.extend(data.plans.keys().cloned().map(Put::RemovePlan));
        puts.push(Put::Account(Account::default()));
        self.apply(&mut data, puts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::apigateway::model::RestApi;

    #[test]
    fn a_failed_write_changes_nothing_and_state_survives_a_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let api = |id: &str| ApiDoc { api: RestApi { id: id.into(), ..RestApi::default() }, ..ApiDoc::default() };
        {
            let (state, _) = State::open(tmp.path()).unwrap();
            let mut data = state.lock();
            state.apply(&mut data, vec![Put::Api(api("kept"))]).unwrap();
            state.store().set_write_fault(true);
            let refused = state.apply(&mut data, vec![Put::Api(api("lost")), Put::RemoveApi("kept".into())]);
            assert_eq!(refused.unwrap_err().code, "ServiceUnavailableException");
            assert_eq!(data.apis.keys().collect::<Vec<_>>(), ["kept"]);
        }
        let (state, unreadable) = State::open(tmp.path()).unwrap();
        assert!(unreadable.is_empty());
        assert_eq!(state.lock().apis.keys().collect::<Vec<_>>(), ["kept"]);
    }

    #[test]
    fn what_the_data_plane_serves_survives_a_reopen() {
        use crate::cloud::apigateway::model::{Deployment, Resource, UsagePlan};
        let tmp = tempfile::tempdir().unwrap();
        {
            let (state, _) = State::open(tmp.path()).unwrap();
            let mut doc = ApiDoc { api: RestApi { id: "a".into(), ..RestApi::default() }, ..ApiDoc::default() };
            let mut deployment = Deployment { id: "d".into(), ..Deployment::default() };
            deployment
                .snapshot
                .resources
                .insert("r".into(), Resource { id: "r".into(), path: "/x".into(), ..Resource::default() });
            doc.deployments.insert("d".into(), deployment);
            let plan = UsagePlan { id: "p".into(), keys: vec!["k".into()], ..UsagePlan::default() };
            let mut data = state.lock();
            state.apply(&mut data, vec![Put::Api(doc), Put::Plan(plan)]).unwrap();
        }
        let (state, unreadable) = State::open(tmp.path()).unwrap();
        assert!(unreadable.is_empty(), "{unreadable:?}");
        let data = state.lock();
        assert_eq!(data.apis["a"].deployments["d"].snapshot.resources["r"].path, "/x");
        assert_eq!(data.plans["p"].keys, ["k"]);
        assert!(data.plans["p"].public().get("keys").is_none());
        assert!(data.apis["a"].deployments["d"].public().get("snapshot").is_none());
    }
}
