//! IAM's state: roles and managed policies in memory, each change written to
//! `<data dir>/iam/iam.redb` in one transaction before it is applied in memory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::model::{Policy, Role};
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

pub const FORMAT_VERSION: u64 = 1;

#[derive(Default)]
pub struct Iam {
    /// By lower-cased name: IAM role names are unique regardless of case.
    pub roles: BTreeMap<String, Role>,
    /// By ARN.
    pub policies: BTreeMap<String, Policy>,
}

pub struct IamState {
    store: Arc<DocStore>,
    iam: Mutex<Iam>,
}

fn role_key(role: &Role) -> String {
    format!("role/{}", role.name.to_lowercase())
}

fn policy_key(arn: &str) -> String {
    format!("policy/{arn}")
}

fn doc<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))
}

impl IamState {
    /// Opens the store; documents that do not parse are returned by key so they can be reported.
    pub fn open(dir: &Path) -> Result<(IamState, Vec<(String, String)>), DocStoreError> {
        let store = DocStore::open(dir, "iam.redb", FORMAT_VERSION)?;
        let mut iam = Iam::default();
        let mut unreadable = Vec::new();
        for (key, bytes) in store.load()? {
            if key.starts_with("role/") {
                match serde_json::from_slice::<Role>(&bytes) {
                    Ok(r) => {
                        iam.roles.insert(r.name.to_lowercase(), r);
                    }
                    Err(e) => unreadable.push((key, e.to_string())),
                }
            } else if key.starts_with("policy/") {
                match serde_json::from_slice::<Policy>(&bytes) {
                    Ok(p) => {
                        iam.policies.insert(p.arn.clone(), p);
                    }
                    Err(e) => unreadable.push((key, e.to_string())),
                }
            }
        }
        Ok((IamState { store, iam: Mutex::new(iam) }, unreadable))
    }

    pub fn lock(&self) -> MutexGuard<'_, Iam> {
        self.iam.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            tracing::error!("IAM could not persist a change: {e}");
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceFailure",
                format!("The change could not be stored: {e}"),
            )
        })
    }

    pub fn put_role(&self, iam: &mut Iam, role: Role) -> Result<(), ApiError> {
        self.commit(&[Change::Put(role_key(&role), doc(&role)?)])?;
        iam.roles.insert(role.name.to_lowercase(), role);
        Ok(())
    }

    pub fn remove_role(&self, iam: &mut Iam, role: &Role) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(role_key(role))])?;
        iam.roles.remove(&role.name.to_lowercase());
        Ok(())
    }

    pub fn put_policy(&self, iam: &mut Iam, policy: Policy) -> Result<(), ApiError> {
        self.commit(&[Change::Put(policy_key(&policy.arn), doc(&policy)?)])?;
        iam.policies.insert(policy.arn.clone(), policy);
        Ok(())
    }

    pub fn remove_policy(&self, iam: &mut Iam, arn: &str) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(policy_key(arn))])?;
        iam.policies.remove(arn);
        Ok(())
    }

    pub fn drop_all(&self) -> Result<(), ApiError> {
        let mut iam = self.lock();
        let mut changes: Vec<Change> = iam.roles.values().map(|r| Change::Remove(role_key(r))).collect();
        changes.extend(iam.policies.keys().map(|a| Change::Remove(policy_key(a))));
        self.commit(&changes)?;
        *iam = Iam::default();
        Ok(())
    }
}
