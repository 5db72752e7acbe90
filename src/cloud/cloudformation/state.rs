//! The stacks in memory, behind one lock, and the one way to change one: build the new document on a
//! copy, persist it, then publish it, so a failed write changes nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::model::{Event, STACK_TYPE, Stack};
use super::store::Store;
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

pub struct Stacks {
    store: Store,
    by_id: Mutex<BTreeMap<String, Stack>>,
    max_events: usize,
}

/// A change to a stack refused by its own logic (`Api`) or by the disk (`Store`).
pub fn store_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("the stack could not be saved: {e}"))
}

impl Stacks {
    pub fn new(store: Store, loaded: Vec<Stack>, max_events: usize) -> Self {
        let by_id = loaded.into_iter().map(|s| (s.id.clone(), s)).collect();
        Stacks { store, by_id: Mutex::new(by_id), max_events }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Stack>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live (not deleted) stack named `name_or_id`, or the stack with that id (deleted or not).
    pub fn find(&self, name_or_id: &str) -> Option<Stack> {
        let map = self.lock();
        if let Some(s) = map.get(name_or_id) {
            return Some(s.clone());
        }
        map.values().find(|s| s.name == name_or_id && !s.is_deleted()).cloned()
    }

    /// Like [`find`](Self::find), or AWS's error for a stack that does not exist.
    pub fn get(&self, name_or_id: &str) -> Result<Stack, ApiError> {
        self.find(name_or_id).ok_or_else(|| missing(name_or_id))
    }

    pub fn all(&self) -> Vec<Stack> {
        let mut v: Vec<Stack> = self.lock().values().cloned().collect();
        v.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
        v
    }

    /// The exports of live stacks other than `except`: name → (value, exporting stack's name).
    pub fn exports(&self, except: &str) -> BTreeMap<String, (String, String)> {
        let map = self.lock();
        let mut out = BTreeMap::new();
        for s in map.values().filter(|s| !s.is_deleted() && s.id != except) {
            for o in &s.outputs {
                if let Some(name) = &o.export_name {
                    out.insert(name.clone(), (o.value.clone(), s.name.clone()));
                }
            }
        }
        out
    }

    /// A live stack other than `except` that imports `export`, by name.
    pub fn importer(&self, export: &str, except: &str) -> Option<String> {
        let map = self.lock();
        map.values().find(|s| !s.is_deleted() && s.id != except && s.imports.contains(export)).map(|s| s.name.clone())
    }

    pub fn live_count(&self) -> usize {
        self.lock().values().filter(|s| !s.is_deleted()).count()
    }

    /// Adds a new stack (persisted first).
    pub fn insert(&self, stack: Stack) -> Result<(), ApiError> {
        let mut map = self.lock();
        if map.values().any(|s| s.name == stack.name && !s.is_deleted()) {
            return Err(ApiError::bad_request(
                "AlreadyExistsException",
                format!("Stack [{}] already exists", stack.name),
            ));
        }
        self.store.put(&stack).map_err(store_error)?;
        map.insert(stack.id.clone(), stack);
        Ok(())
    }

    /// Applies `f` to a copy of the stack, persists the copy, then publishes it. An error from `f`
    /// or from the disk leaves the stack as it was.
    pub fn update<T>(&self, id: &str, f: impl FnOnce(&mut Stack) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut map = self.lock();
        let Some(current) = map.get(id) else { return Err(missing(id)) };
        let mut next = current.clone();
        let out = f(&mut next)?;
        let excess = next.events.len().saturating_sub(self.max_events);
        if excess > 0 {
            next.events.drain(..excess);
        }
        self.store.put(&next).map_err(store_error)?;
        map.insert(id.to_string(), next);
        Ok(out)
    }

    pub fn clear(&self) -> Result<(), ApiError> {
        let mut map = self.lock();
        self.store.remove_all().map_err(store_error)?;
        map.clear();
        Ok(())
    }
}

pub fn missing(name_or_id: &str) -> ApiError {
    ApiError::bad_request("ValidationError", format!("Stack with id {name_or_id} does not exist"))
}

/// Appends a stack-level event and sets the stack's status.
pub fn stack_event(stack: &mut Stack, status: &str, reason: Option<String>, now: Millis) {
    stack.status = status.to_string();
    stack.reason = reason.clone();
    let event = Event {
        id: uuid::Uuid::new_v4().to_string(),
        logical_id: stack.name.clone(),
        physical_id: Some(stack.id.clone()),
        type_name: STACK_TYPE.to_string(),
        status: status.to_string(),
        reason,
        at_ms: now,
        properties: None,
    };
    stack.events.push(event);
}

/// Sets a resource's status and appends its event; a resource the stack does not have is ignored.
pub fn resource_event(stack: &mut Stack, logical_id: &str, status: &str, reason: Option<String>, now: Millis) {
    let Some(r) = stack.resource_mut(logical_id) else { return };
    r.status = status.to_string();
    r.reason = reason.clone();
    r.updated_ms = now;
    let event = Event {
        id: format!("{}-{}-{}", logical_id, status, uuid::Uuid::new_v4()),
        logical_id: logical_id.to_string(),
        physical_id: r.physical_id.clone(),
        type_name: r.type_name.clone(),
        status: status.to_string(),
        reason,
        at_ms: now,
        properties: Some(serde_json::Value::Object(r.properties.clone()).to_string()),
    };
    stack.events.push(event);
}

/// An event about `r`, which may be an old physical resource no longer in the stack's record: the
/// record takes the status only when it holds that same physical resource.
pub fn detached_event(
    stack: &mut Stack,
    r: &super::model::Resource,
    status: &str,
    reason: Option<String>,
    now: Millis,
) {
    if stack.resource(&r.logical_id).is_some_and(|cur| cur.physical_id == r.physical_id) {
        return resource_event(stack, &r.logical_id, status, reason, now);
    }
    stack.events.push(Event {
        id: format!("{}-{}-{}", r.logical_id, status, uuid::Uuid::new_v4()),
        logical_id: r.logical_id.clone(),
        physical_id: r.physical_id.clone(),
        type_name: r.type_name.clone(),
        status: status.to_string(),
        reason,
        at_ms: now,
        properties: Some(serde_json::Value::Object(r.properties.clone()).to_string()),
    });
}
