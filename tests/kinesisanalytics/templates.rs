//! The two providers through CloudFormation: the pattern 2 and pattern 4 templates deploy on the
//! local cloud, their applications are what the API then describes (configuration, tag, logging
//! option), and deleting the stacks deletes them.

use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use aws_sdk_kinesisanalyticsv2::types::ApplicationStatus;

use crate::{Env, env};

pub fn param(key: &str, value: &str) -> Parameter {
    Parameter::builder().parameter_key(key).parameter_value(value).build()
}

/// Sends CreateStack for the bundled template `pattern` as `stack`, with `params` and the IAM
/// capabilities its roles need.
pub async fn create(cf: &aws_sdk_cloudformation::Client, pattern: &str, stack: &str, params: &[Parameter]) {
    let body = std::fs::read_to_string(format!("{}/templates/{pattern}.yaml", env!("CARGO_MANIFEST_DIR")))
        .expect("the template");
    cf.create_stack()
        .stack_name(stack)
        .template_body(body)
        .set_parameters(Some(params.to_vec()))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("CreateStack");
}

/// The physical id of resource `logical` in `stack`.
pub async fn physical_id(cf: &aws_sdk_cloudformation::Client, stack: &str, logical: &str) -> String {
    let out = cf.describe_stack_resource().stack_name(stack).logical_resource_id(logical).send().await.unwrap();
    out.stack_resource_detail().and_then(|d| d.physical_resource_id()).expect("a physical id").to_string()
}

async fn stack_status(cf: &aws_sdk_cloudformation::Client, stack: &str) -> Option<StackStatus> {
    match cf.describe_stacks().stack_name(stack).send().await {
        Ok(out) => out.stacks().first().and_then(|s| s.stack_status().cloned()),
        Err(_) => None,
    }
}

/// Moves the clock a second at a time (at most `seconds`) until the stack leaves `*_IN_PROGRESS`.
pub async fn settle(e: &Env, cf: &aws_sdk_cloudformation::Client, stack: &str, seconds: u32) -> Option<StackStatus> {
    let mut status = None;
    for _ in 0..seconds {
        status = stack_status(cf, stack).await;
        if !status.as_ref().is_some_and(|s| s.as_str().ends_with("_IN_PROGRESS")) {
            return status;
        }
        e.cloud.advance_settled(Duration::from_secs(1)).await;
    }
    status
}

pub async fn events(cf: &aws_sdk_cloudformation::Client, stack: &str) -> String {
    let out = cf.describe_stack_events().stack_name(stack).send().await.expect("DescribeStackEvents");
    out.stack_events()
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

async fn deploy_and_delete(pattern: &str, params: &[Parameter], builtin: &str) {
    let e = env().await;
    let conf = e.cloud.sdk_config().await;
    let cf = aws_sdk_cloudformation::Client::new(&conf);
    create(&cf, pattern, pattern, params).await;
    let status = settle(&e, &cf, pattern, 300).await;
    assert_eq!(status, Some(StackStatus::CreateComplete), "{pattern}:\n{}", events(&cf, pattern).await);

    let name = physical_id(&cf, pattern, "Application").await;
    let d = e.flink.describe_application().application_name(&name).send().await.unwrap();
    let d = d.application_detail().unwrap();
    assert_eq!(d.application_status(), &ApplicationStatus::Ready);
    assert_eq!(d.application_version_id(), 2, "the logging option made version 2");
    let options = d.cloud_watch_logging_option_descriptions();
    assert_eq!(options.len(), 1);
    assert!(
        options[0].log_stream_arn().contains(":log-group:") && options[0].log_stream_arn().contains(":log-stream:")
    );
    let config = d.application_configuration_description().unwrap();
    let groups = config.environment_property_descriptions().unwrap().property_group_descriptions();
    assert_eq!(groups[0].property_group_id(), "FlinkApplicationProperties");
    assert!(groups[0].property_map().contains_key("InputStreamName"));
    let code = config.application_code_configuration_description().unwrap().code_content_description().unwrap();
    assert!(
        code.s3_application_code_location_description().unwrap().bucket_arn().ends_with("code-bucket"),
        "the code location is recorded"
    );
    let tags = e.flink.list_tags_for_resource().resource_arn(d.application_arn()).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == "kinesis-console:builtin" && t.value() == Some(builtin)));
    let outputs = cf.describe_stacks().stack_name(pattern).send().await.unwrap();
    let outputs = outputs.stacks()[0].outputs();
    assert!(
        outputs.iter().any(|o| o.output_value() == Some(name.as_str())),
        "an output is the application's name: {outputs:?}"
    );

    cf.delete_stack().stack_name(pattern).send().await.expect("DeleteStack");
    let status = settle(&e, &cf, pattern, 300).await;
    assert!(matches!(status, None | Some(StackStatus::DeleteComplete)), "{status:?}:\n{}", events(&cf, pattern).await);
    let gone = e.flink.describe_application().application_name(&name).send().await.unwrap_err();
    assert_eq!(crate::code(&gone), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pattern_2_template_deploys_its_application_and_logging_option_and_deletes_them() {
    deploy_and_delete(
        "kpl-kds-kda",
        &[param("ApplicationCodeBucket", "code-bucket")],
        "kpl-kds-kda/sliding-window-max",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pattern_4_template_deploys_its_application_and_logging_option_and_deletes_them() {
    let params = [param("ApplicationCodeBucket", "code-bucket"), param("ApiKeyValue", "a-secret-key-of-24-chars")];
    deploy_and_delete("kds-kda-apigw", &params, "kds-kda-apigw/async-enrichment").await;
}
