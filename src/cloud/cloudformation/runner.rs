//! The operations that run after an API call returned: creating a stack's resources in dependency
//! order, rolling back, deleting. Each step is persisted as it happens, so a restarted cloud can see
//! where an operation stood and finish it (`recovery.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::graph;
use super::model::{Resource, Stack};
use super::state::{Stacks, detached_event, resource_event, stack_event};
use super::template::{Env, Plan, Policy, Pseudo, ResolvedParameters, Template};
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{ResourceProvider, ResourceRequest};

pub struct Runner {
    pub ctx: Arc<CloudContext>,
    pub stacks: Arc<Stacks>,
    pub providers: Providers,
}

/// The registry's provider table (a lookup, so this file needs not name the registry that names this
/// service), with the settings' extra (test) providers looked up first.
pub struct Providers {
    pub table: ProviderLookup,
    pub extra: BTreeMap<&'static str, Arc<dyn ResourceProvider>>,
}

pub type ProviderLookup = Box<dyn Fn(&str) -> Option<Arc<dyn ResourceProvider>> + Send + Sync>;

/// Builds an extra provider once the cloud's context exists (so it can use the cloud clock); put in
/// `CloudFormationSettings::extra_providers`.
pub struct ProviderFactory(pub Box<BuildProvider>);

pub type BuildProvider = dyn Fn(&Arc<CloudContext>) -> Arc<dyn ResourceProvider> + Send + Sync;

impl Providers {
    pub fn get(&self, type_name: &str) -> Option<Arc<dyn ResourceProvider>> {
        self.extra.get(type_name).cloned().or_else(|| (self.table)(type_name))
    }

    pub fn attributes_of(&self, type_name: &str) -> Option<&'static [&'static str]> {
        self.get(type_name).map(|p| p.attribute_names())
    }
}

pub fn unsupported(type_name: &str) -> String {
    format!("Resource type {type_name} is not supported by the local cloud")
}

/// What created resources give later ones (`Ref`, `Fn::GetAtt`), and other stacks' exports
/// (`Fn::ImportValue`), noting which exports were imported.
pub struct StackEnv {
    refs: BTreeMap<String, (String, Map<String, Value>)>,
    exports: BTreeMap<String, (String, String)>,
    imported: Mutex<BTreeSet<String>>,
}

impl StackEnv {
    pub fn of(resources: &[Resource], exports: BTreeMap<String, (String, String)>) -> Self {
        let refs = resources
            .iter()
            .filter(|r| r.exists())
            .filter_map(|r| Some((r.logical_id.clone(), (r.reference.clone()?, r.attributes.clone()))))
            .collect();
        StackEnv { refs, exports, imported: Mutex::new(BTreeSet::new()) }
    }

    /// The exports resolved through this environment so far.
    pub fn imported(&self) -> BTreeSet<String> {
        self.imported.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Env for StackEnv {
    fn reference(&self, logical_id: &str) -> Option<String> {
        self.refs.get(logical_id).map(|(r, _)| r.clone())
    }

    fn attribute(&self, logical_id: &str, name: &str) -> Option<Value> {
        self.refs.get(logical_id).and_then(|(_, a)| a.get(name).cloned())
    }

    fn import(&self, name: &str) -> Option<String> {
        let (value, _) = self.exports.get(name)?;
        self.imported.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_string());
        Some(value.clone())
    }
}

pub fn pseudo(stack: &Stack, account_id: &str) -> Pseudo {
    Pseudo {
        region: stack.region.clone(),
        account_id: account_id.to_string(),
        stack_name: stack.name.clone(),
        stack_id: stack.id.clone(),
        partition: "aws".to_string(),
        url_suffix: "amazonaws.com".to_string(),
        notification_arns: stack.notification_arns.clone(),
    }
}

/// A stack's template, parameters and pseudo parameters, as its operations need them.
pub struct Loaded {
    pub template: Template,
    pub params: ResolvedParameters,
    pub pseudo: Pseudo,
}

impl Loaded {
    pub fn of(stack: &Stack, account_id: &str) -> Result<Loaded, String> {
        let template = Template::parse(&stack.template).map_err(|e| e.message)?;
        let params = ResolvedParameters::from_json(&stack.params)
            .ok_or_else(|| format!("the stored parameters of stack {} do not read back", stack.name))?;
        Ok(Loaded { template, params, pseudo: pseudo(stack, account_id) })
    }
}

pub fn retains(p: &Policy) -> bool {
    matches!(p, Policy::Retain)
}

pub fn dependencies(plan: &Plan) -> BTreeMap<String, BTreeSet<String>> {
    plan.resources.iter().map(|r| (r.logical_id.clone(), r.depends_on.clone())).collect()
}

impl Runner {
    pub fn now(&self) -> i64 {
        self.ctx.clock.now_ms()
    }

    /// Records a stack-level status (and its event); a stack gone from memory is ignored.
    pub fn set_stack(&self, id: &str, status: &str, reason: Option<String>) {
        let now = self.now();
        if let Err(e) = self.stacks.update(id, |s| {
            stack_event(s, status, reason, now);
            Ok(())
        }) {
            tracing::warn!(stack = id, status, "recording a stack status failed: {e}");
        }
    }

    pub fn set_resource(&self, id: &str, logical_id: &str, status: &str, reason: Option<String>) {
        let now = self.now();
        if let Err(e) = self.stacks.update(id, |s| {
            resource_event(s, logical_id, status, reason, now);
            Ok(())
        }) {
            tracing::warn!(stack = id, logical_id, status, "recording a resource status failed: {e}");
        }
    }

    pub fn request(&self, stack: &Stack, r: &Resource) -> ResourceRequest {
        let mut tags = stack.tags.clone();
        tags.push(("aws:cloudformation:stack-name".into(), stack.name.clone()));
        tags.push(("aws:cloudformation:stack-id".into(), stack.id.clone()));
        tags.push(("aws:cloudformation:logical-id".into(), r.logical_id.clone()));
        ResourceRequest {
            stack_name: stack.name.clone(),
            stack_id: stack.id.clone(),
            logical_id: r.logical_id.clone(),
            region: stack.region.clone(),
            account_id: self.ctx.account_id().to_string(),
            properties: r.properties.clone(),
            tags,
        }
    }

    /// Creates a new stack's resources, then completes it or rolls it back.
    pub async fn create(self: Arc<Self>, id: String) {
        let failed =
            match self.stacks.get(&id).map_err(|e| e.message).and_then(|s| Loaded::of(&s, self.ctx.account_id())) {
                Ok(loaded) => self.clone().create_all(&id, Arc::new(loaded)).await,
                Err(reason) => Err(reason),
            };
        match failed {
            Ok(()) => self.set_stack(&id, "CREATE_COMPLETE", None),
            Err(reason) => self.fail_create(&id, reason).await,
        }
    }

    /// Creates every planned resource; the error is the stack's failure reason.
    async fn create_all(self: Arc<Self>, id: &str, loaded: Arc<Loaded>) -> Result<(), String> {
        let plan = loaded
            .template
            .plan(&loaded.params, &loaded.pseudo, &|t| self.providers.attributes_of(t))
            .map_err(|e| e.message)?;
        let planned: BTreeMap<String, (String, bool)> = plan
            .resources
            .iter()
            .map(|r| (r.logical_id.clone(), (r.type_name.clone(), retains(&r.deletion_policy))))
            .collect();
        let replace_retain: BTreeMap<String, bool> =
            plan.resources.iter().map(|r| (r.logical_id.clone(), retains(&r.update_replace_policy))).collect();
        let order: Vec<String> = plan.resources.iter().map(|r| r.logical_id.clone()).collect();
        let after = dependencies(&plan);
        let cancelled = Arc::new(AtomicBool::new(false));
        let outcome = graph::run(order, after.clone(), true, |logical_id| {
            let (type_name, retain) = planned[&logical_id].clone();
            let shell = Resource {
                logical_id: logical_id.clone(),
                type_name,
                physical_id: None,
                status: String::new(),
                reason: None,
                updated_ms: 0,
                properties: Map::new(),
                reference: None,
                attributes: Map::new(),
                depends_on: after.get(&logical_id).cloned().unwrap_or_default(),
                retain_on_delete: retain,
                retain_on_replace: replace_retain.get(&logical_id).copied().unwrap_or(false),
            };
            let (runner, id, loaded, cancelled) = (self.clone(), id.to_string(), loaded.clone(), cancelled.clone());
            async move {
                let ok = runner.create_one(&id, shell, &loaded, &cancelled, "CREATE").await;
                if !ok {
                    cancelled.store(true, Ordering::SeqCst);
                }
                ok
            }
        })
        .await;
        if outcome.failed.is_empty() {
            return self.publish_outputs(id, &loaded);
        }
        Err(format!("The following resource(s) failed to create: [{}]. ", outcome.failed.join(", ")))
    }

    /// Resolves and records the stack's outputs.
    pub fn publish_outputs(&self, id: &str, loaded: &Loaded) -> Result<(), String> {
        let stack = self.stacks.get(id).map_err(|e| e.message)?;
        let others = self.stacks.exports(id);
        let env = StackEnv::of(&stack.resources, others.clone());
        let outputs = loaded.template.resolve_outputs(&loaded.params, &loaded.pseudo, &env).map_err(|e| e.message)?;
        for name in outputs.iter().filter_map(|o| o.export_name.as_ref()) {
            if let Some((_, exporter)) = others.get(name) {
                return Err(format!("Export with name {name} is already exported by stack {exporter}"));
            }
        }
        // An export another stack imports can neither go nor change (an update's outputs).
        for old in &stack.outputs {
            let Some(name) = &old.export_name else { continue };
            let Some(importer) = self.stacks.importer(name, id) else { continue };
            match outputs.iter().find(|o| o.export_name.as_ref() == Some(name)) {
                None => return Err(format!("Export {name} cannot be deleted as it is in use by {importer}")),
                Some(new) if new.value != old.value => {
                    return Err(format!("Cannot update export {name} as it is in use by {importer}"));
                }
                Some(_) => {}
            }
        }
        self.stacks
            .update(id, |s| {
                s.imports.extend(env.imported());
                s.outputs = outputs
                    .into_iter()
                    .map(|o| super::model::StackOutput {
                        key: o.key,
                        value: o.value,
                        description: o.description,
                        export_name: o.export_name,
                    })
                    .collect();
                Ok(())
            })
            .map_err(|e| e.message)
    }

    /// Creates one resource (`verb` is `CREATE`, or `UPDATE` for a replacement during an update);
    /// false when it failed. One that finishes after another failed is recorded as cancelled.
    pub async fn create_one(
        &self,
        id: &str,
        shell: Resource,
        loaded: &Loaded,
        cancelled: &AtomicBool,
        verb: &str,
    ) -> bool {
        let logical_id = shell.logical_id.clone();
        let type_name = shell.type_name.clone();
        let now = self.now();
        let started = self.stacks.update(id, |s| {
            match s.resource_mut(&logical_id) {
                Some(existing) => existing.properties = Map::new(),
                None => s.resources.push(shell.clone()),
            }
            resource_event(s, &logical_id, &format!("{verb}_IN_PROGRESS"), None, now);
            Ok(s.clone())
        });
        let Ok(stack) = started else { return false };
        let failed = format!("{verb}_FAILED");
        let env = StackEnv::of(&stack.resources, self.stacks.exports(id));
        let properties = match loaded.template.resolve_properties(&logical_id, &loaded.params, &loaded.pseudo, &env) {
            Ok(p) => p,
            Err(e) => {
                self.set_resource(id, &logical_id, &failed, Some(e.message));
                return false;
            }
        };
        let Some(provider) = self.providers.get(&type_name) else {
            self.set_resource(id, &logical_id, &failed, Some(unsupported(&type_name)));
            return false;
        };
        let mut record = shell;
        record.properties = properties;
        let now = self.now();
        let initiated = self.stacks.update(id, |s| {
            s.imports.extend(env.imported());
            if let Some(r) = s.resource_mut(&logical_id) {
                r.properties = record.properties.clone();
            }
            resource_event(
                s,
                &logical_id,
                &format!("{verb}_IN_PROGRESS"),
                Some("Resource creation Initiated".into()),
                now,
            );
            Ok(())
        });
        if initiated.is_err() {
            return false;
        }
        let result = provider.create(self.request(&stack, &record)).await;
        let now = self.now();
        let was_cancelled = cancelled.load(Ordering::SeqCst);
        let recorded = self.stacks.update(id, |s| {
            match &result {
                Ok(p) => {
                    if let Some(r) = s.resource_mut(&logical_id) {
                        r.physical_id = Some(p.physical_id.clone());
                        r.reference = Some(p.reference().to_string());
                        r.attributes = p.attributes.clone();
                    }
                    if was_cancelled && verb == "CREATE" {
                        resource_event(s, &logical_id, &failed, Some("Resource creation cancelled".into()), now);
                    } else {
                        resource_event(s, &logical_id, &format!("{verb}_COMPLETE"), None, now);
                    }
                }
                Err(e) => resource_event(s, &logical_id, &failed, Some(e.reason.clone()), now),
            }
            Ok(())
        });
        // A cancelled resource is not a failure of its own (the stack names the one that failed):
        // it counts as created, so the rollback deletes it.
        recorded.is_ok() && result.is_ok()
    }

    /// A failed creation: rolls back (or not, as the stack asked), then deletes the stack on `OnFailure=DELETE`.
    pub async fn fail_create(self: &Arc<Self>, id: &str, reason: String) {
        let Ok(stack) = self.stacks.get(id) else { return };
        if stack.disable_rollback {
            self.set_stack(id, "CREATE_FAILED", Some(reason));
            return;
        }
        // Reasons that name failed resources end in ". "; others (an output, an export) get the stop.
        let reason = if reason.ends_with(". ") { reason } else { format!("{reason}. ") };
        self.set_stack(id, "ROLLBACK_IN_PROGRESS", Some(format!("{reason}Rollback requested by user.")));
        self.rollback_create(id).await;
    }

    /// Deletes what a failed creation made, then ends in ROLLBACK_COMPLETE (or deletes the stack).
    pub async fn rollback_create(self: &Arc<Self>, id: &str) {
        match self.delete_resources(id).await {
            Ok(()) => {
                self.set_stack(id, "ROLLBACK_COMPLETE", None);
                if self.stacks.get(id).is_ok_and(|s| s.delete_on_failure) {
                    self.set_stack(id, "DELETE_IN_PROGRESS", Some("User Initiated".into()));
                    self.finish_delete(id);
                }
            }
            Err(failed) => self.set_stack(id, "ROLLBACK_FAILED", Some(failed_to_delete(&failed))),
        }
    }

    /// Deletes the stack's resources (DeleteStack), then the stack.
    pub async fn delete(self: Arc<Self>, id: String) {
        match self.delete_resources(&id).await {
            Ok(()) => self.finish_delete(&id),
            Err(failed) => self.set_stack(&id, "DELETE_FAILED", Some(failed_to_delete(&failed))),
        }
    }

    fn finish_delete(&self, id: &str) {
        let now = self.now();
        if let Err(e) = self.stacks.update(id, |s| {
            stack_event(s, "DELETE_COMPLETE", None, now);
            s.deleted_ms = Some(now);
            s.outputs.clear();
            s.change_sets.clear();
            Ok(())
        }) {
            tracing::warn!(stack = id, "recording the deletion failed: {e}");
        }
    }

    /// Deletes every resource of the stack that exists, dependents first, independent ones in
    /// parallel; retained ones are skipped. The error lists those that failed.
    pub async fn delete_resources(self: &Arc<Self>, id: &str) -> Result<(), Vec<String>> {
        let stack = self.stacks.get(id).map_err(|e| vec![e.message])?;
        let targets: Vec<Resource> = stack
            .resources
            .iter()
            .filter(|r| !matches!(r.status.as_str(), "DELETE_COMPLETE" | "DELETE_SKIPPED"))
            .cloned()
            .collect();
        self.delete_set(&stack, targets, false).await
    }

    /// Deletes `targets` in reverse dependency order. `replaced`: they are old resources an update
    /// replaced, so UpdateReplacePolicy decides what is retained.
    pub async fn delete_set(
        self: &Arc<Self>,
        stack: &Stack,
        targets: Vec<Resource>,
        replaced: bool,
    ) -> Result<(), Vec<String>> {
        let order: Vec<String> = targets.iter().map(|r| r.logical_id.clone()).collect();
        let after: BTreeMap<String, BTreeSet<String>> =
            targets.iter().map(|r| (r.logical_id.clone(), r.depends_on.clone())).collect();
        let by_id: BTreeMap<String, Resource> = targets.into_iter().map(|r| (r.logical_id.clone(), r)).collect();
        let outcome = graph::run(order, graph::reversed(&after), false, |logical_id| {
            let (runner, stack, r) = (self.clone(), stack.clone(), by_id[&logical_id].clone());
            async move { runner.delete_one(&stack, r, replaced).await }
        })
        .await;
        let mut failed = outcome.failed;
        failed.extend(outcome.not_started);
        if failed.is_empty() { Ok(()) } else { Err(failed) }
    }

    async fn delete_one(&self, stack: &Stack, r: Resource, replaced: bool) -> bool {
        let id = stack.id.as_str();
        let retain = if replaced { r.retain_on_replace } else { r.retain_on_delete };
        if retain && r.physical_id.is_some() {
            self.note(id, &r, "DELETE_SKIPPED", None);
            return true;
        }
        self.note(id, &r, "DELETE_IN_PROGRESS", None);
        let (Some(physical_id), Some(provider)) = (r.physical_id.clone(), self.providers.get(&r.type_name)) else {
            // Nothing was made: never created, or of a type the cloud cannot create.
            self.note(id, &r, "DELETE_COMPLETE", None);
            return true;
        };
        match provider.delete(physical_id, self.request(stack, &r)).await {
            Ok(()) => {
                self.note(id, &r, "DELETE_COMPLETE", None);
                true
            }
            Err(e) => {
                self.note(id, &r, "DELETE_FAILED", Some(e.reason));
                false
            }
        }
    }

    /// An event about `r`; the stack's record of the resource takes the status only when it is that
    /// same physical resource (an update's cleanup deletes an old one under the new one's name).
    pub fn note(&self, id: &str, r: &Resource, status: &str, reason: Option<String>) {
        let now = self.now();
        if let Err(e) = self.stacks.update(id, |s| {
            detached_event(s, r, status, reason, now);
            Ok(())
        }) {
            tracing::warn!(stack = id, logical_id = r.logical_id, status, "recording a resource status failed: {e}");
        }
    }
}

pub fn failed_to_delete(failed: &[String]) -> String {
    format!("The following resource(s) failed to delete: [{}]. ", failed.join(", "))
}
