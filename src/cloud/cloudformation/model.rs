//! What the local CloudFormation keeps about a stack: stored as one JSON document per stack, so a
//! stack, its resources, its events and its change sets change together in one write.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cloud::clock::Millis;
use crate::cloud::resource_provider::Properties;

pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub region: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_ms: Millis,
    pub updated_ms: Option<Millis>,
    pub deleted_ms: Option<Millis>,
    pub description: Option<String>,
    /// The template in force (after an update, the new one; after an update rollback, the old one).
    pub template: String,
    /// The resolved parameters (`ResolvedParameters::to_json`).
    pub params: Value,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub notification_arns: Vec<String>,
    pub disable_rollback: bool,
    /// `OnFailure=DELETE`: a failed creation rolls back, then deletes the stack.
    pub delete_on_failure: bool,
    pub termination_protection: bool,
    pub outputs: Vec<StackOutput>,
    /// In template order.
    pub resources: Vec<Resource>,
    /// Oldest first.
    pub events: Vec<Event>,
    /// While an update runs or rolls back: the stack as it was before it.
    pub previous: Option<Previous>,
    pub change_sets: Vec<ChangeSet>,
    /// CancelUpdateStack was called for the running update.
    #[serde(default)]
    pub cancel_requested: bool,
    /// While a failed update rolls back: what is left to undo.
    #[serde(default)]
    pub rollback: Option<RollbackWork>,
    /// The exports of other stacks this stack's resources and outputs import (`Fn::ImportValue`).
    #[serde(default)]
    pub imports: BTreeSet<String>,
}

/// An update rollback's remaining work, persisted so a restarted cloud finishes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RollbackWork {
    /// Resources updated in place: (as the update left them, as they were before).
    pub reverts: Vec<(Resource, Resource)>,
    /// Resources the update created (new ones, and the replacements of replaced ones): deleted.
    pub discard: Vec<Resource>,
}

impl Stack {
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    pub fn resource_mut(&mut self, logical_id: &str) -> Option<&mut Resource> {
        self.resources.iter_mut().find(|r| r.logical_id == logical_id)
    }

    pub fn is_deleted(&self) -> bool {
        self.status == "DELETE_COMPLETE"
    }

    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub logical_id: String,
    pub type_name: String,
    pub physical_id: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub updated_ms: Millis,
    /// The properties the resource was last created or updated with.
    pub properties: Properties,
    /// What `Ref` returns, once created.
    pub reference: Option<String>,
    pub attributes: Map<String, Value>,
    pub depends_on: BTreeSet<String>,
    /// DeletionPolicy Retain: deleting the stack leaves the resource (DELETE_SKIPPED).
    pub retain_on_delete: bool,
    /// UpdateReplacePolicy Retain: a replacement leaves the old resource.
    pub retain_on_replace: bool,
}

impl Resource {
    /// The resource exists in the cloud (or may: a create that was cut off is treated as existing).
    pub fn exists(&self) -> bool {
        self.physical_id.is_some() && !matches!(self.status.as_str(), "DELETE_COMPLETE" | "DELETE_SKIPPED")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub type_name: String,
    pub status: String,
    pub reason: Option<String>,
    pub at_ms: Millis,
    /// The properties the resource was asked for (`ResourceProperties` in DescribeStackEvents).
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackOutput {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Previous {
    pub template: String,
    pub params: Value,
    pub resources: Vec<Resource>,
    pub outputs: Vec<StackOutput>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    pub name: String,
    /// `CREATE` or `UPDATE`.
    pub kind: String,
    pub status: String,
    pub execution_status: String,
    pub reason: Option<String>,
    pub created_ms: Millis,
    pub description: Option<String>,
    pub template: String,
    pub params: Value,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// `Add`, `Modify` or `Remove`.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub type_name: String,
    /// For `Modify`: `True` or `False`.
    pub replacement: Option<String>,
}
