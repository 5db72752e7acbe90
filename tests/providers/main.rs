//! The CloudFormation resource providers, each driven directly through the `ResourceProvider` trait
//! against a local cloud on the virtual clock, and checked through the service's own SDK client: what a
//! provider creates is exactly what the API then describes.

#[path = "../support/mod.rs"]
mod support;

mod alarm;
mod api_gateway;
mod consumer;
mod dashboard;
mod delivery_stream;
mod event_source_mapping;
mod function;
mod permission;
mod queue;
mod stream;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_console::cloud::resource_provider::{Properties, ResourceProvider, ResourceRequest};
use serde_json::Value;
use support::TestCloud;

/// A cloud on virtual time whose streams and consumers take the service's default transition time
/// (500 ms of the cloud clock), so a provider's wait for ACTIVE is exercised.
pub async fn cloud() -> TestCloud {
    TestCloud::start_virtual().await
}

pub fn provider(cloud: &TestCloud, type_name: &str) -> Arc<dyn ResourceProvider> {
    cloud.cloud.providers().get(type_name).unwrap_or_else(|| panic!("{type_name} is in the provider table")).clone()
}

/// A request of stack `orders` for `logical` with the given properties (a JSON object) and the tags
/// CloudFormation propagates.
pub fn request(logical: &str, properties: Value) -> ResourceRequest {
    let properties: Properties = serde_json::from_value(properties).expect("properties are an object");
    ResourceRequest {
        stack_name: "orders".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/orders/0b1c".into(),
        logical_id: logical.into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        properties,
        tags: vec![
            ("kinesis-console:pattern".into(), "kds-kdf-s3".into()),
            ("aws:cloudformation:stack-name".into(), "orders".into()),
            ("aws:cloudformation:logical-id".into(), logical.into()),
        ],
    }
}

/// Runs a provider operation to its end, moving the virtual clock one second at a time while it waits
/// on it (a stream's CREATING or UPDATING). Fails after 60 s of wall time: a provider that never ends.
pub async fn drive<T: Send + 'static>(cloud: &TestCloud, work: impl Future<Output = T> + Send + 'static) -> T {
    let mut task = tokio::spawn(work);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(done) = tokio::time::timeout(Duration::from_millis(20), &mut task).await {
            return done.expect("the provider task does not panic");
        }
        assert!(Instant::now() < deadline, "the provider operation ends");
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
}

pub fn props(v: Value) -> Properties {
    serde_json::from_value(v).expect("properties are an object")
}
