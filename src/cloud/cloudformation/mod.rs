//! CloudFormation in the local cloud (awsQuery, version 2010-05-15): stacks deployed from the same
//! templates AWS deploys, with per-resource events, rollback, updates, change sets and exports.
//!
//! `template/` is the pure template engine; the rest is the stack service: `input.rs` reads requests,
//! `stacks.rs`, `reads.rs` and `change_sets.rs` answer them, `runner.rs` and `update.rs` run the
//! operations they start (over `graph.rs`), `recovery.rs` finishes what a stop cut off, `state.rs` and
//! `store.rs` keep stacks (built, persisted, then published), `render.rs` writes the XML.

pub mod api;
pub mod builtin;
pub mod change_sets;
pub mod graph;
pub mod input;
pub mod model;
pub mod reads;
pub mod recovery;
pub mod render;
pub mod runner;
pub mod settings;
pub mod stacks;
pub mod state;
pub mod store;
pub mod template;
pub mod update;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::query_params::QueryParams;
use super::resource_provider::ResourceProvider;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, QueryInfo, Service, no_timestamps};
use api::Api;
use runner::{ProviderFactory, ProviderLookup, Providers, Runner};
use state::Stacks;

pub const VERSION: &str = "2010-05-15";

pub struct CloudFormation {
    descriptor: Descriptor,
    api: Api,
}

impl CloudFormation {
    /// `table` looks a resource type up in the registry's provider table.
    pub fn new(ctx: &Arc<CloudContext>, table: ProviderLookup) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("cloudformation");
        let store = store::Store::open(&dir)?;
        let mut loaded = Vec::new();
        for (id, doc) in store.load_all()? {
            match doc {
                Ok(stack) => loaded.push(stack),
                Err(e) => ctx.damage.report("cloudformation", id, format!("the stored stack does not read back: {e}")),
            }
        }
        let settings = &ctx.config.cloudformation;
        let mut extra: BTreeMap<&'static str, Arc<dyn ResourceProvider>> = BTreeMap::new();
        for factory in &settings.extra_providers {
            let Some(factory) = factory.downcast_ref::<ProviderFactory>() else {
                anyhow::bail!("cloudformation.extra_providers holds something that is not a ProviderFactory");
            };
            let p = (factory.0)(ctx);
            extra.insert(p.type_name(), p);
        }
        for p in builtin::providers(ctx) {
            extra.entry(p.type_name()).or_insert(p);
        }
        let stacks = Arc::new(Stacks::new(store, loaded, settings.max_events_per_stack));
        let runner = Arc::new(Runner { ctx: ctx.clone(), stacks, providers: Providers { table, extra } });
        Ok(CloudFormation { descriptor: descriptor(), api: Api::new(runner) })
    }

    pub fn runner(&self) -> &Arc<Runner> {
        &self.api.runner
    }
}

fn descriptor() -> Descriptor {
    Descriptor {
        id: "cloudformation",
        signing_name: "cloudformation",
        json_target: None,
        cbor_service: None,
        query: Some(QueryInfo { version: VERSION, xmlns: "http://cloudformation.amazonaws.com/doc/2010-05-15/" }),
        rest: false,
        query_compatible: false,
        // A 1 MB template, form-encoded (up to three bytes per character), plus the other parameters.
        max_body: 4 * 1024 * 1024,
        is_timestamp_member: no_timestamps,
        open_path: None,
    }
}

type Op = fn(&Api, &QueryParams, &Call) -> Result<String, ApiError>;

/// The one dispatch table: operation name → function.
fn operation(name: &str) -> Option<Op> {
    Some(match name {
        "CreateStack" => stacks::create_stack,
        "UpdateStack" => stacks::update_stack,
        "DeleteStack" => stacks::delete_stack,
        "CancelUpdateStack" => stacks::cancel_update_stack,
        "UpdateTerminationProtection" => stacks::update_termination_protection,
        "DescribeStacks" => reads::describe_stacks,
        "DescribeStackEvents" => reads::describe_stack_events,
        "DescribeStackResource" => reads::describe_stack_resource,
        "DescribeStackResources" => reads::describe_stack_resources,
        "ListStackResources" => reads::list_stack_resources,
        "ListStacks" => reads::list_stacks,
        "GetTemplate" => reads::get_template,
        "GetTemplateSummary" => reads::get_template_summary,
        "ValidateTemplate" => reads::validate_template,
        "ListExports" => reads::list_exports,
        "CreateChangeSet" => change_sets::create_change_set,
        "DescribeChangeSet" => change_sets::describe_change_set,
        "ExecuteChangeSet" => change_sets::execute_change_set,
        "DeleteChangeSet" => change_sets::delete_change_set,
        "ListChangeSets" => change_sets::list_change_sets,
        _ => return None,
    })
}

impl Service for CloudFormation {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, _ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let Some(op) = operation(&call.operation) else {
                return Err(ApiError::bad_request(
                    "InvalidAction",
                    format!("Could not find operation {} for version {VERSION}", call.operation),
                ));
            };
            let q = match &call.input {
                Input::Query(q) => q.clone(),
                _ => return Err(ApiError::serialization("CloudFormation takes awsQuery (form-encoded) requests")),
            };
            let out = op(&self.api, &q, &call);
            self.api.settle(&call.request_id).await;
            out.map(Output::Xml)
        })
    }

    fn start(self: Arc<Self>, _ctx: Arc<CloudContext>) {
        for stack in self.api.runner.stacks.all().into_iter().filter(|s| s.in_progress()) {
            tracing::info!(stack = stack.name, status = stack.status, "finishing an operation a stop cut off");
            self.api.spawn(None, recovery::resume(self.api.runner.clone(), stack));
        }
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.api.abort_all())
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.api.abort_all().await;
            self.api.runner.stacks.clear().map_err(|e| anyhow::anyhow!(e.message))
        })
    }
}
