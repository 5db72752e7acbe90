//! IAM in the local cloud, through aws-sdk-iam and the aws CLI.

#[path = "../support/mod.rs"]
mod support;

#[path = "../logs/harness.rs"]
mod harness;

mod cli;
mod durability;
mod policies;
mod providers;
mod role_policies;
mod roles;

use aws_sdk_iam::Client;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::error::ProvideErrorMetadata;
use support::TestCloud;

pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
pub const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:GetRecords","Resource":"*"}]}"#;

pub async fn cloud() -> TestCloud {
    TestCloud::start_virtual().await
}

pub async fn client(cloud: &TestCloud) -> Client {
    let conf =
        aws_sdk_iam::config::Builder::from(&cloud.sdk_config().await).retry_config(RetryConfig::disabled()).build();
    Client::from_conf(conf)
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("<none>").to_string()
}

/// What IAM returns a document as: URL-encoded JSON (no `+` in it: IAM encodes that too).
pub fn decoded(doc: &str) -> serde_json::Value {
    let form = format!("d={doc}");
    let (_, text) = form_urlencoded::parse(form.as_bytes()).next().expect("one pair");
    serde_json::from_str(&text).expect("a JSON document")
}

pub async fn role(iam: &Client, name: &str) {
    iam.create_role().role_name(name).assume_role_policy_document(TRUST).send().await.expect("CreateRole");
}
