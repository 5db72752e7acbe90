//! The local API Gateway: its control plane through aws-sdk-apigateway, its data plane through raw
//! (signed) HTTP on the virtual clock, pattern 1's API deployed from the bundled template, and the
//! mapping templates as AWS documents their Velocity.

#[path = "../support/mod.rs"]
mod support;

mod control;
mod data_plane;
mod fare;
mod mapping_templates;

use std::time::Duration;

use aws_sdk_cloudformation::types::Parameter;
use support::TestCloud;
use support::raw::Raw;

pub async fn apigateway(cloud: &TestCloud) -> aws_sdk_apigateway::Client {
    aws_sdk_apigateway::Client::new(&cloud.sdk_config().await)
}

/// The bundled pattern 1 template.
pub fn pattern1_template() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/apigw-kds-lambda.yaml");
    std::fs::read_to_string(path).expect("the pattern 1 template")
}

/// Pattern 1's template with only the resources of the stream and the API (the Lambda consumer and the
/// SQS queue are other services), cut from the file's own text so every property is the template's.
pub fn pattern1_api_template() -> String {
    const KEEP: &[&str] = &[
        "DataStream",
        "ApiGatewayRole",
        "ApiGatewayCloudWatchRole",
        "ApiGatewayAccount",
        "ApiAccessLogGroup",
        "ProxyApi",
        "RequestValidator",
        "PutRecordModel",
        "PutRecordsModel",
        "RecordResource",
        "RecordsResource",
        "PutRecordMethod",
        "PutRecordsMethod",
        "ProxyApiDeployment",
        "ProxyApiStage",
        "ProxyApiUsagePlan",
    ];
    let text = pattern1_template();
    let (head, rest) = text.split_once("\nResources:\n").expect("a Resources section");
    let resources = rest.split("\nOutputs:\n").next().unwrap_or(rest);
    let mut out = format!("{head}\nResources:\n");
    let mut keep = false;
    for line in resources.lines() {
        let is_key = line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':');
        if is_key {
            keep = KEEP.contains(&line.trim().trim_end_matches(':'));
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Deploys pattern 1's API parts as stack `name`, moving the virtual clock while it creates; returns
/// the REST API id and the stream name.
pub async fn deploy_pattern1(cloud: &TestCloud, name: &str, params: &[(&str, &str)]) -> (String, String) {
    let cf = aws_sdk_cloudformation::Client::new(&cloud.sdk_config().await);
    cf.create_stack()
        .stack_name(name)
        .template_body(pattern1_api_template())
        .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam)
        .set_parameters(Some(
            params.iter().map(|(k, v)| Parameter::builder().parameter_key(*k).parameter_value(*v).build()).collect(),
        ))
        .send()
        .await
        .expect("CreateStack");
    let mut status = String::new();
    for _ in 0..120 {
        let out = cf.describe_stacks().stack_name(name).send().await.expect("DescribeStacks");
        status = out.stacks()[0].stack_status().map(|s| s.as_str().to_string()).unwrap_or_default();
        if !status.ends_with("IN_PROGRESS") {
            break;
        }
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
    if status != "CREATE_COMPLETE" {
        let events = cf.describe_stack_events().stack_name(name).send().await.expect("events");
        let reasons: Vec<String> = events
            .stack_events()
            .iter()
            .filter_map(|e| {
                Some(format!(
                    "{} {:?} {}",
                    e.logical_resource_id()?,
                    e.resource_status()?,
                    e.resource_status_reason().unwrap_or("")
                ))
            })
            .collect();
        panic!("stack {name} ended {status}:\n{}", reasons.join("\n"));
    }
    let res = cf.describe_stack_resources().stack_name(name).send().await.expect("resources");
    let physical = |logical: &str| {
        res.stack_resources()
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .unwrap_or_else(|| panic!("{logical} is in the stack"))
            .to_string()
    };
    (physical("ProxyApi"), physical("DataStream"))
}

/// A POST to the local stage path, signed for `execute-api` with the cloud's credentials.
pub fn signed_post(cloud: &TestCloud, path: &str, body: &str) -> Raw {
    cloud.sign(Raw::post(path, &[("content-type", "application/json")], body), "execute-api")
}

/// An answer's body as JSON.
pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("a JSON body ({e}): {}", String::from_utf8_lossy(body)))
}
