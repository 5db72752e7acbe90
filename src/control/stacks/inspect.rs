//! Reading stacks: the console's deployments (stacks tagged with a pattern) with their alarms in ALARM,
//! one stack in detail (resources, outputs, the last events), what a delete would retain, and the delete.

use std::collections::BTreeSet;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudwatch::types::StateValue;
use serde::Serialize;

use super::model::{StackEvent, StackResource, StackSummary};
use super::retry::CallError;

/// The events `status` shows.
pub const LAST_EVENTS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackDetail {
    pub stack: StackSummary,
    pub resources: Vec<StackResource>,
    /// The newest events, newest first.
    pub events: Vec<StackEvent>,
}

async fn describe_stacks(client: &Client, name: Option<&str>) -> Result<Vec<StackSummary>, CallError> {
    let mut out = Vec::new();
    let mut pages = client.describe_stacks().set_stack_name(name.map(str::to_string)).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallError::from_sdk("DescribeStacks", &e))?;
        out.extend(page.stacks().iter().map(StackSummary::from));
    }
    Ok(out)
}

pub async fn stack(client: &Client, name: &str) -> Result<StackSummary, CallError> {
    describe_stacks(client, Some(name)).await?.into_iter().next().ok_or_else(|| CallError::Other {
        operation: "DescribeStacks".into(),
        code: Some("ValidationError".into()),
        message: format!("Stack with id {name} does not exist"),
    })
}

/// The console's deployments, oldest first, each with the count of its alarms in ALARM (one
/// DescribeAlarms for all of them; a CloudWatch failure leaves the counts unknown, not the list).
pub async fn deployments(
    client: &Client,
    cloudwatch: &aws_sdk_cloudwatch::Client,
) -> Result<Vec<StackSummary>, CallError> {
    let mut stacks: Vec<StackSummary> =
        describe_stacks(client, None).await?.into_iter().filter(|s| s.pattern.is_some()).collect();
    stacks.sort_by_key(|s| s.created_ms);
    match alarms_in_alarm(cloudwatch).await {
        Ok(names) => {
            for s in &mut stacks {
                let prefix = format!("{}-", s.name);
                s.alarms_in_alarm = Some(names.iter().filter(|n| n.starts_with(&prefix)).count());
            }
        }
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "reading the alarms in ALARM"),
    }
    Ok(stacks)
}

async fn alarms_in_alarm(cloudwatch: &aws_sdk_cloudwatch::Client) -> anyhow::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let mut pages = cloudwatch.describe_alarms().state_value(StateValue::Alarm).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_sdk_cloudwatch::Error::from)?;
        names.extend(page.metric_alarms().iter().filter_map(|a| a.alarm_name()).map(str::to_string));
    }
    Ok(names)
}

pub async fn resources(client: &Client, stack: &str) -> Result<Vec<StackResource>, CallError> {
    let mut out = Vec::new();
    let mut pages = client.list_stack_resources().stack_name(stack).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallError::from_sdk("ListStackResources", &e))?;
        out.extend(page.stack_resource_summaries().iter().map(StackResource::from));
    }
    Ok(out)
}

pub async fn detail(client: &Client, name: &str) -> Result<StackDetail, CallError> {
    let stack = stack(client, name).await?;
    let resources = resources(client, &stack.stack_id).await?;
    let page = client
        .describe_stack_events()
        .stack_name(&stack.stack_id)
        .send()
        .await
        .map_err(|e| CallError::from_sdk("DescribeStackEvents", &e))?;
    let events = page.stack_events().iter().take(LAST_EVENTS).map(StackEvent::from).collect();
    Ok(StackDetail { stack, resources, events })
}

/// Logical ids whose `DeletionPolicy` is `Retain` (or `RetainExceptOnCreate`, which retains on a
/// delete) in a template's text, JSON or YAML.
pub fn retained_ids(template: &str) -> BTreeSet<String> {
    let Ok(root) = serde_yaml::from_str::<serde_yaml::Value>(template) else { return BTreeSet::new() };
    let Some(resources) = root.get("Resources").and_then(|r| r.as_mapping()) else { return BTreeSet::new() };
    resources
        .iter()
        .filter(|(_, r)| {
            matches!(r.get("DeletionPolicy").and_then(|p| p.as_str()), Some("Retain" | "RetainExceptOnCreate"))
        })
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect()
}

/// The stack's resources a delete leaves in place.
pub async fn retained(client: &Client, stack_id: &str) -> Result<Vec<StackResource>, CallError> {
    let t =
        client.get_template().stack_name(stack_id).send().await.map_err(|e| CallError::from_sdk("GetTemplate", &e))?;
    let ids = retained_ids(t.template_body().unwrap_or_default());
    let all = resources(client, stack_id).await?;
    Ok(all.into_iter().filter(|r| ids.contains(&r.logical_id) && r.physical_id.is_some()).collect())
}

pub async fn delete(client: &Client, stack_id: &str) -> Result<(), CallError> {
    client.delete_stack().stack_name(stack_id).send().await.map_err(|e| CallError::from_sdk("DeleteStack", &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retained_resources_are_read_from_yaml_with_short_tags_and_from_json() {
        let yaml = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-b'\n  Logs:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: RetainExceptOnCreate\n  Stream:\n    Type: AWS::Kinesis::Stream\n    DeletionPolicy: Delete\n";
        assert_eq!(retained_ids(yaml).into_iter().collect::<Vec<_>>(), ["Bucket", "Logs"]);
        let json = r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}, "S": {"Type": "AWS::Kinesis::Stream"}}}"#;
        assert_eq!(retained_ids(json).into_iter().collect::<Vec<_>>(), ["B"]);
        assert!(retained_ids("not: [a template").is_empty());
    }

    #[test]
    fn every_bundled_template_parses_for_its_retained_resources() {
        let catalogue = crate::patterns::catalogue().expect("catalogue");
        let retained = retained_ids(catalogue.find("kds-kda-apigw").expect("pattern").template_text());
        assert!(retained.len() >= 3, "the reference retains buckets and log groups: {retained:?}");
    }
}
