//! CloudFormation in the local cloud, through aws-sdk-cloudformation and the aws CLI, on the virtual
//! clock. Test-only resource types stand in for the services' providers: `Test::Local::Wait` takes `Ms`
//! milliseconds of cloud time to create, `Test::Local::Fail` fails with its `Reason`.

#[path = "../support/mod.rs"]
mod support;

mod change_sets;
mod cli;
mod create;
mod durability;
mod errors;
mod every_type;
mod rollback;
mod teardown;
mod updates;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, Parameter, StackEvent};
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::cloudformation::runner::ProviderFactory;
use kinesis_console::cloud::context::CloudContext;
use kinesis_console::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest,
};
use kinesis_console::cloud::service::BoxFuture;
use serde_json::Value;
use support::{TestCloud, eventually};

/// What the test providers were asked to do, in order: `create A`, `delete A`, `update A`.
#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, what: String) {
        self.0.lock().unwrap().push(what);
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `n` calls start with `prefix` (the provider has been asked, its wait counted).
    pub async fn wait_for(&self, prefix: &str, n: usize) {
        let what = format!("{n} provider call(s) {prefix}");
        eventually(Duration::from_secs(20), &what, || async {
            (self.all().iter().filter(|c| c.starts_with(prefix)).count() >= n).then_some(())
        })
        .await
    }
}

/// `Test::Local::Wait`: takes `Ms` ms of cloud time to create; a new `Name` replaces it; `FailUpdate: true`
/// makes an in-place update fail. Its physical id is `<Name or logical id>-<n>`, so a replacement is
/// visible; `Arn` is its attribute.
struct Wait {
    ctx: Arc<CloudContext>,
    calls: Calls,
    type_name: &'static str,
}

fn text(p: &Properties, key: &str) -> Option<String> {
    p.get(key).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

impl ResourceProvider for Wait {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("Name") != new.get("Name")
    }

    fn create(&self, r: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let n = self.calls.all().len();
            // The deadline is fixed before the call is logged, so a test that saw the call can move
            // the clock knowing the wait is already counted from before the move.
            let ms: i64 = text(&r.properties, "Ms").and_then(|m| m.parse().ok()).unwrap_or(0);
            let deadline = self.ctx.clock.now_ms() + ms;
            self.calls.push(format!("create {}", r.logical_id));
            if self.type_name == "Test::Local::Fail" {
                let reason = text(&r.properties, "Reason").unwrap_or_else(|| "failed on purpose".into());
                return Err(ProviderError::new(reason));
            }
            self.ctx.clock.sleep_until(deadline).await;
            let name = text(&r.properties, "Name").unwrap_or(r.logical_id.clone());
            let physical = format!("{name}-{n}");
            Ok(Provisioned::new(physical.clone()).attribute("Arn", format!("arn:test:{physical}")))
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        r: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            self.calls.push(format!("update {} {}", r.logical_id, Value::Object(r.properties.clone())));
            if r.properties.get("FailUpdate") == Some(&Value::String("true".into())) {
                return Err(ProviderError::new("update refused on purpose"));
            }
            Ok(Provisioned::new(physical_id.clone()).attribute("Arn", format!("arn:test:{physical_id}")))
        })
    }

    fn delete(&self, physical_id: String, r: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            self.calls.push(format!("delete {} {physical_id}", r.logical_id));
            Ok(())
        })
    }
}

/// A cloud on the virtual clock with the test resource types; `calls` records what they were asked.
pub async fn cloud_with(calls: &Calls) -> TestCloud {
    let (a, b) = (calls.clone(), calls.clone());
    TestCloud::start_with(move |c| {
        c.clock = ClockMode::Virtual;
        c.cloudformation.extra_providers = vec![
            Arc::new(ProviderFactory(Box::new(move |ctx: &Arc<CloudContext>| {
                Arc::new(Wait { ctx: ctx.clone(), calls: a.clone(), type_name: "Test::Local::Wait" })
                    as Arc<dyn ResourceProvider>
            }))),
            Arc::new(ProviderFactory(Box::new(move |ctx: &Arc<CloudContext>| {
                Arc::new(Wait { ctx: ctx.clone(), calls: b.clone(), type_name: "Test::Local::Fail" })
                    as Arc<dyn ResourceProvider>
            }))),
        ];
    })
    .await
}

pub async fn cloud() -> TestCloud {
    cloud_with(&Calls::default()).await
}

pub async fn client(cloud: &TestCloud) -> Client {
    let conf = aws_sdk_cloudformation::config::Builder::from(&cloud.sdk_config().await)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("<none>").to_string()
}

pub fn param(key: &str, value: &str) -> Parameter {
    Parameter::builder().parameter_key(key).parameter_value(value).build()
}

/// Starts creating `name` from a JSON template.
pub async fn create(cf: &Client, name: &str, template: &Value) -> String {
    let out = cf
        .create_stack()
        .stack_name(name)
        .template_body(template.to_string())
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("CreateStack");
    out.stack_id().expect("a stack id").to_string()
}

pub async fn status(cf: &Client, name: &str) -> String {
    let out = cf.describe_stacks().stack_name(name).send().await.expect("DescribeStacks");
    out.stacks()[0].stack_status().map(|s| s.as_str().to_string()).unwrap_or_default()
}

/// Waits (a wall-clock deadline against a stuck operation) until the stack's status is `want`.
pub async fn wait_status(cf: &Client, name: &str, want: &str) {
    let mut last = String::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            last = status(cf, name).await;
            if last == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "stack {name} never reached {want}; it is {last}; events:\n{}", events_text(cf, name).await);
}

/// Waits until `logical_id`'s latest event says `status` (with `reason`, if given).
pub async fn wait_event(cf: &Client, name: &str, logical_id: &str, status: &str, reason: Option<&str>) {
    let what = format!("{logical_id} {status} {reason:?}");
    eventually(Duration::from_secs(20), &what, || async {
        let evs = events(cf, name).await;
        evs.iter()
            .any(|e| {
                e.logical_resource_id() == Some(logical_id)
                    && e.resource_status().map(|s| s.as_str()) == Some(status)
                    && reason.is_none_or(|r| e.resource_status_reason() == Some(r))
            })
            .then_some(())
    })
    .await
}

/// Every event of the stack, oldest first (following NextToken).
pub async fn events(cf: &Client, name: &str) -> Vec<StackEvent> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = cf
            .describe_stack_events()
            .stack_name(name)
            .set_next_token(token)
            .send()
            .await
            .expect("DescribeStackEvents");
        out.extend(page.stack_events().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    out.reverse();
    out
}

/// `logical_id STATUS [reason]` per event, oldest first.
pub async fn events_text(cf: &Client, name: &str) -> String {
    events(cf, name)
        .await
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.logical_resource_id().unwrap_or_default(),
                e.resource_status().map(|s| s.as_str()).unwrap_or_default(),
                e.resource_status_reason().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statuses `logical_id` went through, oldest first (with reasons).
pub async fn transitions(cf: &Client, name: &str, logical_id: &str) -> Vec<String> {
    events(cf, name)
        .await
        .iter()
        .filter(|e| e.logical_resource_id() == Some(logical_id))
        .map(|e| {
            let status = e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default();
            match e.resource_status_reason() {
                Some(r) => format!("{status} {r}"),
                None => status,
            }
        })
        .collect()
}
