//! CloudWatch Logs in the local cloud, through aws-sdk-cloudwatchlogs and the aws CLI.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod durability;
mod events;
mod filter;
mod groups;
mod harness;
mod insights;
mod providers;
mod sink;
mod streams;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use support::TestCloud;

/// A cloud on the virtual clock.
pub async fn cloud() -> TestCloud {
    TestCloud::start_virtual().await
}

/// A client that does not retry, so errors reach the test as they are.
pub async fn client(cloud: &TestCloud) -> Client {
    let conf = aws_sdk_cloudwatchlogs::config::Builder::from(&cloud.sdk_config().await)
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

pub fn now(cloud: &TestCloud) -> i64 {
    cloud.cloud.ctx.clock.now_ms()
}

pub fn event(ts: i64, message: &str) -> InputLogEvent {
    InputLogEvent::builder().timestamp(ts).message(message).build().expect("event")
}

pub async fn group_and_stream(logs: &Client, group: &str, stream: &str) {
    logs.create_log_group().log_group_name(group).send().await.expect("CreateLogGroup");
    logs.create_log_stream().log_group_name(group).log_stream_name(stream).send().await.expect("CreateLogStream");
}

pub async fn put(logs: &Client, group: &str, stream: &str, events: Vec<InputLogEvent>) {
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("PutLogEvents");
}
