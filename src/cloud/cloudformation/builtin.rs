//! CloudFormation's own resource types: `AWS::CloudFormation::WaitConditionHandle` (a signal URL) and
//! `AWS::CloudFormation::WaitCondition`, which waits on the cloud clock for signals. Nothing signals
//! it locally, so it fails after its Timeout with AWS's message, as a condition nobody signals does.

use std::sync::Arc;
use std::time::Duration;

use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub fn providers(ctx: &Arc<CloudContext>) -> Vec<Arc<dyn ResourceProvider>> {
    vec![Arc::new(WaitConditionHandle), Arc::new(WaitCondition { ctx: ctx.clone() })]
}

pub struct WaitConditionHandle;

impl ResourceProvider for WaitConditionHandle {
    fn type_name(&self) -> &'static str {
        "AWS::CloudFormation::WaitConditionHandle"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        false
    }

    fn create(&self, r: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        let stack: String = r.stack_id.replace(':', "%3A").replace('/', "%2F");
        let url =
            format!("https://cloudformation-waitcondition-{}.s3.amazonaws.com/{stack}%2F{}", r.region, r.logical_id);
        Box::pin(async move { Ok(Provisioned::new(url)) })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        _r: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { Ok(Provisioned::new(physical_id)) })
    }

    fn delete(&self, _physical_id: String, _r: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}

pub struct WaitCondition {
    ctx: Arc<CloudContext>,
}

/// AWS's upper bound for a wait condition's Timeout: 12 hours.
const MAX_TIMEOUT_S: u64 = 43_200;

fn timeout_s(p: &Properties) -> Result<u64, ProviderError> {
    let raw = p
        .get("Timeout")
        .ok_or_else(|| ProviderError::invalid_property("Timeout", "required key [Timeout] not found"))?;
    let n = match raw {
        serde_json::Value::String(s) => s.parse::<u64>().ok(),
        serde_json::Value::Number(n) => n.as_u64(),
        _ => None,
    };
    match n {
        Some(n) if n <= MAX_TIMEOUT_S => Ok(n),
        _ => Err(ProviderError::invalid_property(
            "Timeout",
            format!("{raw} is not an integer from 0 to {MAX_TIMEOUT_S}"),
        )),
    }
}

impl ResourceProvider for WaitCondition {
    fn type_name(&self) -> &'static str {
        "AWS::CloudFormation::WaitCondition"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Data"]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        true
    }

    fn create(&self, r: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let timeout = timeout_s(&r.properties)?;
            let count = r
                .properties
                .get("Count")
                .and_then(|c| c.as_str().map(str::to_string).or(c.as_u64().map(|n| n.to_string())));
            let count = count.unwrap_or_else(|| "1".to_string());
            self.ctx.clock.sleep(Duration::from_secs(timeout)).await;
            Err(ProviderError::new(format!("WaitCondition timed out. Received 0 conditions when expecting {count}")))
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        _r: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { Ok(Provisioned::new(physical_id)) })
    }

    fn delete(&self, _physical_id: String, _r: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}
