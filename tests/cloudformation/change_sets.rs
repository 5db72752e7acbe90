//! Change sets as `aws cloudformation deploy` uses them: a CREATE change set makes a
//! REVIEW_IN_PROGRESS stack, executing it creates the stack; a change set without changes FAILS with
//! the reason the aws CLI matches.

use aws_sdk_cloudformation::types::{ChangeSetStatus, ChangeSetType, ExecutionStatus};
use serde_json::json;

use super::*;

fn handles(n: usize) -> Value {
    let mut resources = serde_json::Map::new();
    for i in 0..n {
        resources.insert(format!("H{i}"), json!({ "Type": "AWS::CloudFormation::WaitConditionHandle" }));
    }
    json!({ "Resources": resources })
}

#[tokio::test]
async fn a_create_change_set_reviews_then_creates_the_stack() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let created = cf
        .create_change_set()
        .stack_name("reviewed")
        .change_set_name("first")
        .change_set_type(ChangeSetType::Create)
        .template_body(handles(2).to_string())
        .send()
        .await
        .unwrap();
    assert!(created.id().unwrap().contains(":changeSet/first/"));
    assert_eq!(status(&cf, "reviewed").await, "REVIEW_IN_PROGRESS");
    let set = cf.describe_change_set().stack_name("reviewed").change_set_name("first").send().await.unwrap();
    assert_eq!(set.status(), Some(&ChangeSetStatus::CreateComplete));
    assert_eq!(set.execution_status(), Some(&ExecutionStatus::Available));
    assert_eq!(set.changes().len(), 2);
    assert!(set.changes().iter().all(|c| c.resource_change().unwrap().action().unwrap().as_str() == "Add"));
    let listed = cf.list_change_sets().stack_name("reviewed").send().await.unwrap();
    assert_eq!(listed.summaries().len(), 1);

    let again = cf
        .create_change_set()
        .stack_name("reviewed")
        .change_set_name("second")
        .change_set_type(ChangeSetType::Update)
        .template_body(handles(2).to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&again), "Stack [reviewed] does not exist");

    cf.execute_change_set().stack_name("reviewed").change_set_name("first").send().await.unwrap();
    wait_status(&cf, "reviewed", "CREATE_COMPLETE").await;
    let stack_events: Vec<String> = events(&cf, "reviewed")
        .await
        .iter()
        .filter(|e| e.logical_resource_id() == Some("reviewed"))
        .map(|e| {
            format!("{} {}", e.resource_status().unwrap().as_str(), e.resource_status_reason().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        stack_events,
        vec!["REVIEW_IN_PROGRESS User Initiated", "CREATE_IN_PROGRESS User Initiated", "CREATE_COMPLETE "]
    );

    let e = cf
        .create_change_set()
        .stack_name("reviewed")
        .change_set_name("third")
        .change_set_type(ChangeSetType::Create)
        .template_body(handles(1).to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&e), "Stack [reviewed] already exists and cannot be created again with the changeSet [third].");
}

#[tokio::test]
async fn a_change_set_without_changes_fails_with_awss_reason() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    create(&cf, "steady", &handles(1)).await;
    wait_status(&cf, "steady", "CREATE_COMPLETE").await;
    cf.create_change_set()
        .stack_name("steady")
        .change_set_name("nothing")
        .template_body(handles(1).to_string())
        .send()
        .await
        .unwrap();
    let set = cf.describe_change_set().stack_name("steady").change_set_name("nothing").send().await.unwrap();
    assert_eq!(set.status(), Some(&ChangeSetStatus::Failed));
    assert_eq!(
        set.status_reason(),
        Some("The submitted information didn't contain changes. Submit different information to create a change set.")
    );
    assert_eq!(set.execution_status(), Some(&ExecutionStatus::Unavailable));
    let e = cf.execute_change_set().stack_name("steady").change_set_name("nothing").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidChangeSetStatus");
}
