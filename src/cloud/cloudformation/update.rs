//! Stack updates: the new template and parameters compared with the old resource by resource (no
//! change, update in place, replacement), applied in dependency order, then the replaced and removed
//! resources cleaned up; a failure rolls everything back to the previous template.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::graph;
use super::model::{Change, Resource, RollbackWork, Stack};
use super::runner::{Loaded, Providers, Runner, StackEnv, dependencies, retains, unsupported};
use super::state::{resource_event, stack_event};
use super::template::PlannedResource;

/// What applying `loaded` to `stack` changes, resource by resource, in template order (removals last).
pub fn changes(
    stack: &Stack,
    loaded: &Loaded,
    providers: &Providers,
    exports: BTreeMap<String, (String, String)>,
) -> Result<Vec<Change>, String> {
    let plan =
        loaded.template.plan(&loaded.params, &loaded.pseudo, &|t| providers.attributes_of(t)).map_err(|e| e.message)?;
    let env = StackEnv::of(&stack.resources, exports);
    let mut out = Vec::new();
    for planned in &plan.resources {
        let existing = stack.resource(&planned.logical_id).filter(|r| r.exists());
        let Some(old) = existing else {
            out.push(change("Add", planned.logical_id.clone(), None, &planned.type_name, None));
            continue;
        };
        let replacement = if old.type_name != planned.type_name {
            Some(true)
        } else {
            match loaded.template.resolve_properties(&planned.logical_id, &loaded.params, &loaded.pseudo, &env) {
                Ok(props) if props == old.properties => None,
                Ok(props) => {
                    Some(providers.get(&old.type_name).is_some_and(|p| p.needs_replacement(&old.properties, &props)))
                }
                // Unresolvable before the update runs (it refers to something the update changes).
                Err(_) => Some(false),
            }
        };
        if let Some(replace) = replacement {
            let flag = if replace { "True" } else { "False" };
            out.push(change(
                "Modify",
                planned.logical_id.clone(),
                old.physical_id.clone(),
                &planned.type_name,
                Some(flag),
            ));
        }
    }
    let planned: BTreeSet<&str> = plan.resources.iter().map(|r| r.logical_id.as_str()).collect();
    for r in stack.resources.iter().filter(|r| r.exists() && !planned.contains(r.logical_id.as_str())) {
        out.push(change("Remove", r.logical_id.clone(), r.physical_id.clone(), &r.type_name, None));
    }
    Ok(out)
}

fn change(
    action: &str,
    logical_id: String,
    physical_id: Option<String>,
    type_name: &str,
    replacement: Option<&str>,
) -> Change {
    Change {
        action: action.to_string(),
        logical_id,
        physical_id,
        type_name: type_name.to_string(),
        replacement: replacement.map(str::to_string),
    }
}

impl Runner {
    /// Runs an update the API accepted (the stack holds the new template, `previous` the old state).
    pub async fn update(self: Arc<Self>, id: String) {
        let result =
            match self.stacks.get(&id).map_err(|e| e.message).and_then(|s| Loaded::of(&s, self.ctx.account_id())) {
                Ok(loaded) => self.clone().update_all(&id, Arc::new(loaded)).await,
                Err(reason) => Err(reason),
            };
        match result {
            Ok(()) => {
                self.set_stack(&id, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None);
                self.cleanup_update(&id).await;
            }
            Err(reason) => {
                self.set_stack(&id, "UPDATE_ROLLBACK_IN_PROGRESS", Some(reason));
                self.rollback_update(&id).await;
            }
        }
    }

    async fn update_all(self: Arc<Self>, id: &str, loaded: Arc<Loaded>) -> Result<(), String> {
        let plan = loaded
            .template
            .plan(&loaded.params, &loaded.pseudo, &|t| self.providers.attributes_of(t))
            .map_err(|e| e.message)?;
        let order: Vec<String> = plan.resources.iter().map(|r| r.logical_id.clone()).collect();
        let after = dependencies(&plan);
        let planned: std::collections::BTreeMap<String, PlannedResource> =
            plan.resources.into_iter().map(|r| (r.logical_id.clone(), r)).collect();
        let planned = Arc::new(planned);
        let outcome = graph::run(order, after, true, |logical_id| {
            let (runner, id, loaded, planned) = (self.clone(), id.to_string(), loaded.clone(), planned.clone());
            async move { runner.update_one(&id, &planned[&logical_id], &loaded).await }
        })
        .await;
        if !outcome.failed.is_empty() {
            return Err(format!("The following resource(s) failed to update: [{}]. ", outcome.failed.join(", ")));
        }
        if self.stacks.get(id).is_ok_and(|s| s.cancel_requested) {
            return Err("Resource update cancelled".to_string());
        }
        self.publish_outputs(id, &loaded)
    }

    async fn update_one(&self, id: &str, planned: &PlannedResource, loaded: &Loaded) -> bool {
        let Ok(stack) = self.stacks.get(id) else { return false };
        let logical_id = planned.logical_id.as_str();
        let shell = Resource {
            logical_id: logical_id.to_string(),
            type_name: planned.type_name.clone(),
            physical_id: None,
            status: String::new(),
            reason: None,
            updated_ms: 0,
            properties: Default::default(),
            reference: None,
            attributes: Default::default(),
            depends_on: planned.depends_on.clone(),
            retain_on_delete: retains(&planned.deletion_policy),
            retain_on_replace: retains(&planned.update_replace_policy),
        };
        let Some(old) = stack.resource(logical_id).filter(|r| r.exists()).cloned() else {
            return self.create_one(id, shell, loaded, &AtomicBool::new(false), "CREATE").await;
        };
        if stack.cancel_requested {
            self.set_resource(id, logical_id, "UPDATE_FAILED", Some("Resource update cancelled".into()));
            return false;
        }
        let env = StackEnv::of(&stack.resources, self.stacks.exports(id));
        let props = match loaded.template.resolve_properties(logical_id, &loaded.params, &loaded.pseudo, &env) {
            Ok(p) => p,
            Err(e) => {
                self.set_resource(id, logical_id, "UPDATE_FAILED", Some(e.message));
                return false;
            }
        };
        let policies_only = self.stacks.update(id, |s| {
            s.imports.extend(env.imported());
            if let Some(r) = s.resource_mut(logical_id) {
                r.depends_on = shell.depends_on.clone();
                r.retain_on_delete = shell.retain_on_delete;
                r.retain_on_replace = shell.retain_on_replace;
            }
            Ok(())
        });
        if old.type_name == planned.type_name && props == old.properties {
            return policies_only.is_ok();
        }
        let Some(provider) = self.providers.get(&planned.type_name) else {
            self.set_resource(id, logical_id, "UPDATE_FAILED", Some(unsupported(&planned.type_name)));
            return false;
        };
        let replace = old.type_name != planned.type_name || provider.needs_replacement(&old.properties, &props);
        let mut next = Resource { properties: props, ..shell };
        next.physical_id = old.physical_id.clone();
        let request = self.request(&stack, &next);
        let result = if replace {
            let why = "Requested update requires the creation of a new physical resource; hence creating one.";
            self.set_resource(id, logical_id, "UPDATE_IN_PROGRESS", Some(why.into()));
            provider.create(request).await
        } else {
            self.set_resource(id, logical_id, "UPDATE_IN_PROGRESS", None);
            let physical = old.physical_id.clone().unwrap_or_default();
            provider.update(physical, old.properties.clone(), request).await
        };
        let now = self.now();
        let ok = result.is_ok();
        let recorded = self.stacks.update(id, |s| {
            match &result {
                Ok(p) => {
                    if let Some(r) = s.resource_mut(logical_id) {
                        r.type_name = next.type_name.clone();
                        r.physical_id = Some(p.physical_id.clone());
                        r.reference = Some(p.reference().to_string());
                        r.attributes = p.attributes.clone();
                        r.properties = next.properties.clone();
                    }
                    resource_event(s, logical_id, "UPDATE_COMPLETE", None, now);
                }
                Err(e) => resource_event(s, logical_id, "UPDATE_FAILED", Some(e.reason.clone()), now),
            }
            Ok(())
        });
        ok && recorded.is_ok()
    }

    /// After a successful update: deletes replaced resources (UpdateReplacePolicy) and removed ones
    /// (DeletionPolicy), then UPDATE_COMPLETE.
    pub async fn cleanup_update(self: &Arc<Self>, id: &str) {
        let Ok(stack) = self.stacks.get(id) else { return };
        let planned: BTreeSet<String> = match Loaded::of(&stack, self.ctx.account_id()).and_then(|l| {
            l.template.plan(&l.params, &l.pseudo, &|t| self.providers.attributes_of(t)).map_err(|e| e.message)
        }) {
            Ok(plan) => plan.resources.into_iter().map(|r| r.logical_id).collect(),
            Err(_) => stack.resources.iter().map(|r| r.logical_id.clone()).collect(),
        };
        let previous = stack.previous.clone().map(|p| p.resources).unwrap_or_default();
        let replaced: Vec<Resource> = previous
            .into_iter()
            .filter(|old| old.exists())
            .filter(|old| stack.resource(&old.logical_id).is_some_and(|cur| cur.physical_id != old.physical_id))
            .collect();
        let removed: Vec<Resource> =
            stack.resources.iter().filter(|r| r.exists() && !planned.contains(&r.logical_id)).cloned().collect();
        // Cleanup failures leave the update complete; AWS reports them only as DELETE_FAILED events.
        let _ = self.delete_set(&stack, removed, false).await;
        let _ = self.delete_set(&stack, replaced, true).await;
        let now = self.now();
        let _ = self.stacks.update(id, |s| {
            s.resources.retain(|r| planned.contains(&r.logical_id));
            s.previous = None;
            s.cancel_requested = false;
            stack_event(s, "UPDATE_COMPLETE", None, now);
            Ok(())
        });
    }

    /// Rolls a failed update back to the previous template: resources updated in place are updated
    /// back, replaced ones get their old physical resource back, then what the update created is deleted.
    pub async fn rollback_update(self: &Arc<Self>, id: &str) {
        let now = self.now();
        let work = self.stacks.update(id, |s| {
            if let Some(work) = &s.rollback {
                return Ok(work.clone());
            }
            let Some(prev) = s.previous.clone() else { return Ok(RollbackWork::default()) };
            let mut work = RollbackWork::default();
            for cur in s.resources.iter().filter(|r| r.exists()) {
                match prev.resources.iter().find(|o| o.logical_id == cur.logical_id && o.exists()) {
                    None => work.discard.push(cur.clone()),
                    Some(old) if old.physical_id != cur.physical_id => work.discard.push(cur.clone()),
                    Some(old) if old.properties != cur.properties => work.reverts.push((cur.clone(), old.clone())),
                    Some(_) => {}
                }
            }
            let restored: Vec<String> = prev
                .resources
                .iter()
                .filter(|o| s.resource(&o.logical_id).is_some_and(|cur| cur.physical_id != o.physical_id))
                .map(|o| o.logical_id.clone())
                .collect();
            s.template = prev.template.clone();
            s.params = prev.params.clone();
            s.outputs = prev.outputs.clone();
            s.description = prev.description.clone();
            s.resources = prev.resources.clone();
            for logical_id in restored {
                resource_event(s, &logical_id, "UPDATE_COMPLETE", None, now);
            }
            s.rollback = Some(work.clone());
            Ok(work)
        });
        let Ok(work) = work else { return };
        let Ok(stack) = self.stacks.get(id) else { return };
        for (cur, old) in &work.reverts {
            self.revert_one(&stack, cur, old).await;
        }
        self.set_stack(id, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None);
        let Ok(stack) = self.stacks.get(id) else { return };
        let _ = self.delete_set(&stack, work.discard, false).await;
        let now = self.now();
        let _ = self.stacks.update(id, |s| {
            s.previous = None;
            s.rollback = None;
            s.cancel_requested = false;
            stack_event(s, "UPDATE_ROLLBACK_COMPLETE", None, now);
            Ok(())
        });
    }

    async fn revert_one(&self, stack: &Stack, cur: &Resource, old: &Resource) {
        let id = stack.id.as_str();
        self.set_resource(id, &old.logical_id, "UPDATE_IN_PROGRESS", None);
        let Some(provider) = self.providers.get(&old.type_name) else { return };
        let physical = old.physical_id.clone().unwrap_or_default();
        let result = provider.update(physical, cur.properties.clone(), self.request(stack, old)).await;
        let now = self.now();
        let _ = self.stacks.update(id, |s| {
            if let Some(work) = s.rollback.as_mut() {
                work.reverts.retain(|(c, _)| c.logical_id != old.logical_id);
            }
            match &result {
                Ok(p) => {
                    if let Some(r) = s.resource_mut(&old.logical_id) {
                        r.attributes = p.attributes.clone();
                        r.reference = Some(p.reference().to_string());
                    }
                    resource_event(s, &old.logical_id, "UPDATE_COMPLETE", None, now);
                }
                Err(e) => resource_event(s, &old.logical_id, "UPDATE_FAILED", Some(e.reason.clone()), now),
            }
            Ok(())
        });
    }
}
