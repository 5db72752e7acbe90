//! CloudFormation in the local cloud (awsQuery, version 2010-05-15): stacks deployed from the same
//! templates AWS deploys, with per-resource events, rollback, updates, change sets and exports.
//!
//! `template/` is the pure template engine; the rest is the stack service: `input.rs` reads requests,
//! `stacks.rs`, `reads.rs` and `change_sets.rs` answer them, `runner.rs` and `update.rs` run the
//! operations they start (over `graph.rs`), `recovery.rs` finishes what a stop cut off, `state.rs` and
//! `store.rs` keep stacks (built, persisted, then published), `render.rs` writes the XML.

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

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::query_params::QueryParams;
use super::registry::ProviderTable;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, QueryInfo, Service, no_timestamps};
use runner::{Providers, Runner};
use state::Stacks;

pub const VERSION: &str = "2010-05-15";

pub struct CloudFormation {
    descriptor: Descriptor,
    runner: Arc<Runner>,
    /// The operations running after their API call returned; aborted at stop, resumed at the next start.
    tasks: Mutex<JoinSet<()>>,
    /// By request id: the end of the operation a call started (see [`QUICK_FINISH`]).
    finished: Mutex<HashMap<String, oneshot::Receiver<()>>>,
}

/// How long a call that started an operation waits for it before answering. AWS answers at once; the
/// local cloud lets an operation that ends within this answer after it, so a client's first poll sees
/// it finished (the aws CLI's waiters otherwise sleep 30 s before polling again) while a slow one still
/// answers promptly, IN_PROGRESS.
pub const QUICK_FINISH: Duration = Duration::from_millis(500);

impl CloudFormation {
    pub fn new(ctx: &Arc<CloudContext>, table: Arc<ProviderTable>) -> anyhow::Result<Self> {
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
        let mut extra = BTreeMap::new();
        for factory in &settings.extra_providers {
            let p = factory(ctx);
            extra.insert(p.type_name(), p);
        }
        for p in builtin::providers(ctx) {
            extra.entry(p.type_name()).or_insert(p);
        }
        let stacks = Arc::new(Stacks::new(store, loaded, settings.max_events_per_stack));
        let runner = Arc::new(Runner { ctx: ctx.clone(), stacks, providers: Providers { table, extra } });
        Ok(CloudFormation {
            descriptor: descriptor(),
            runner,
            tasks: Mutex::new(JoinSet::new()),
            finished: Mutex::new(HashMap::new()),
        })
    }

    pub fn runner(&self) -> &Arc<Runner> {
        &self.runner
    }

    /// Runs an operation in the background (it outlives the request that started it); the request
    /// `request_id` waits up to [`QUICK_FINISH`] for it.
    pub fn spawn(&self, request_id: Option<&str>, op: impl Future<Output = ()> + Send + 'static) {
        let (done, finished) = oneshot::channel();
        if let Some(id) = request_id {
            self.finished.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), finished);
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            op.await;
            let _ = done.send(());
        });
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
    }
}

type Op = fn(&CloudFormation, &QueryParams, &Call) -> Result<String, ApiError>;

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
            let out = op(self, &q, &call);
            let started = self.finished.lock().unwrap_or_else(|p| p.into_inner()).remove(&call.request_id);
            if let Some(finished) = started {
                let _ = tokio::time::timeout(QUICK_FINISH, finished).await;
            }
            out.map(Output::Xml)
        })
    }

    fn start(self: Arc<Self>, _ctx: Arc<CloudContext>) {
        for stack in self.runner.stacks.all().into_iter().filter(|s| s.in_progress()) {
            tracing::info!(stack = stack.name, status = stack.status, "finishing an operation a stop cut off");
            self.spawn(None, recovery::resume(self.runner.clone(), stack));
        }
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
            tasks.shutdown().await;
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
            tasks.shutdown().await;
            self.runner.stacks.clear().map_err(|e| anyhow::anyhow!(e.message))
        })
    }
}
