//! A failed creation: the failing resource's reason, "Resource creation cancelled" for those still in
//! progress, then everything created deleted in reverse dependency order (or kept, or the stack deleted,
//! as OnFailure says).

use std::time::Duration;

use aws_sdk_cloudformation::types::OnFailure;
use serde_json::json;

use super::*;

fn failing_template() -> Value {
    json!({ "Resources": {
        "A": { "Type": "Test::Local::Wait" },
        "B": { "Type": "Test::Local::Wait" },
        "Slow": { "Type": "Test::Local::Wait", "Properties": { "Ms": "10000" } },
        "C": { "Type": "Test::Local::Wait", "Properties": { "Uses": [{ "Ref": "A" }, { "Ref": "B" }] } },
        "F": { "Type": "Test::Local::Fail", "DependsOn": ["A", "B"], "Properties": { "Reason": "Bucket name already taken" } }
    }})
}

#[tokio::test]
async fn a_failing_resource_rolls_back_everything_created() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    create(&cf, "failing", &failing_template()).await;
    wait_event(&cf, "failing", "F", "CREATE_FAILED", Some("Bucket name already taken")).await;
    // Slow is still being created when F fails: it finishes, cancelled, and is rolled back too.
    calls.wait_for("create Slow", 1).await;
    cloud.advance(Duration::from_secs(10));
    wait_status(&cf, "failing", "ROLLBACK_COMPLETE").await;

    assert_eq!(
        transitions(&cf, "failing", "Slow").await,
        vec![
            "CREATE_IN_PROGRESS".to_string(),
            "CREATE_IN_PROGRESS Resource creation Initiated".to_string(),
            "CREATE_FAILED Resource creation cancelled".to_string(),
            "DELETE_IN_PROGRESS".to_string(),
            "DELETE_COMPLETE".to_string(),
        ]
    );
    let evs = events(&cf, "failing").await;
    let rollback =
        evs.iter().find(|e| e.resource_status().map(|s| s.as_str()) == Some("ROLLBACK_IN_PROGRESS")).unwrap();
    assert_eq!(
        rollback.resource_status_reason(),
        Some("The following resource(s) failed to create: [F]. Rollback requested by user.")
    );

    let calls = calls.all();
    let deleted = |l: &str| {
        calls
            .iter()
            .position(|c| c.starts_with(&format!("delete {l} ")))
            .unwrap_or_else(|| panic!("{l} deleted: {calls:?}"))
    };
    for created in ["A", "B", "C", "Slow"] {
        deleted(created);
    }
    assert!(deleted("C") < deleted("A") && deleted("C") < deleted("B"), "dependents first: {calls:?}");
    let resources = cf.describe_stack_resources().stack_name("failing").send().await.unwrap();
    assert!(
        resources.stack_resources().iter().all(|r| r.resource_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE")),
        "{resources:?}"
    );
}

#[tokio::test]
async fn on_failure_do_nothing_keeps_what_was_created() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": {
        "A": { "Type": "Test::Local::Wait" },
        "F": { "Type": "Test::Local::Fail", "DependsOn": "A" }
    }});
    cf.create_stack()
        .stack_name("kept")
        .template_body(template.to_string())
        .on_failure(OnFailure::DoNothing)
        .send()
        .await
        .unwrap();
    wait_status(&cf, "kept", "CREATE_FAILED").await;
    assert_eq!(transitions(&cf, "kept", "A").await.last().map(String::as_str), Some("CREATE_COMPLETE"));
    assert!(calls.all().iter().all(|c| !c.starts_with("delete")), "{:?}", calls.all());
    let stack = cf.describe_stacks().stack_name("kept").send().await.unwrap().stacks()[0].clone();
    assert_eq!(stack.stack_status_reason(), Some("The following resource(s) failed to create: [F]. "));
}

#[tokio::test]
async fn on_failure_delete_rolls_back_then_deletes_the_stack() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": { "A": { "Type": "Test::Local::Wait" }, "F": { "Type": "Test::Local::Fail", "DependsOn": "A" } }});
    let id = cf
        .create_stack()
        .stack_name("gone")
        .template_body(template.to_string())
        .on_failure(OnFailure::Delete)
        .send()
        .await
        .unwrap()
        .stack_id()
        .unwrap()
        .to_string();
    wait_status(&cf, &id, "DELETE_COMPLETE").await;
    let statuses: Vec<String> = events(&cf, &id)
        .await
        .iter()
        .filter(|e| e.logical_resource_id() == Some("gone"))
        .map(|e| e.resource_status().unwrap().as_str().to_string())
        .collect();
    assert_eq!(
        statuses,
        vec![
            "CREATE_IN_PROGRESS",
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_COMPLETE",
            "DELETE_IN_PROGRESS",
            "DELETE_COMPLETE"
        ]
    );
    let e = cf.describe_stacks().stack_name("gone").send().await.unwrap_err();
    assert_eq!(message(&e), "Stack with id gone does not exist");
}
