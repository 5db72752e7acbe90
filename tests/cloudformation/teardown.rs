//! Deleting stacks: dependents first, DeletionPolicy Retain honoured (DELETE_SKIPPED), a deleted stack
//! still described by its id, exports listed and protected while imported.

use serde_json::json;

use super::*;

#[tokio::test]
async fn delete_goes_in_reverse_dependency_order_and_skips_retained_resources() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": {
        "Base": { "Type": "Test::Local::Wait" },
        "Top": { "Type": "Test::Local::Wait", "Properties": { "On": { "Ref": "Base" } } },
        "Kept": { "Type": "Test::Local::Wait", "DeletionPolicy": "Retain" }
    }});
    let id = create(&cf, "teardown", &template).await;
    wait_status(&cf, "teardown", "CREATE_COMPLETE").await;
    cf.delete_stack().stack_name("teardown").send().await.unwrap();
    wait_status(&cf, &id, "DELETE_COMPLETE").await;

    assert_eq!(transitions(&cf, &id, "Kept").await[3..], ["DELETE_SKIPPED".to_string()]);
    let calls = calls.all();
    assert!(!calls.iter().any(|c| c.starts_with("delete Kept")), "{calls:?}");
    let at = |l: &str| calls.iter().position(|c| c.starts_with(&format!("delete {l} "))).unwrap();
    assert!(at("Top") < at("Base"), "{calls:?}");

    let e = cf.describe_stacks().stack_name("teardown").send().await.unwrap_err();
    assert_eq!(message(&e), "Stack with id teardown does not exist");
    let by_id = cf.describe_stacks().stack_name(&id).send().await.unwrap();
    assert!(by_id.stacks()[0].deletion_time().is_some());
    let deleted = cf
        .list_stacks()
        .stack_status_filter(aws_sdk_cloudformation::types::StackStatus::DeleteComplete)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.stack_summaries().len(), 1);
    // The name is free again.
    create(&cf, "teardown", &template).await;
}

#[tokio::test]
async fn exports_are_listed_and_cannot_go_while_imported() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let exporter = json!({
        "Resources": { "Thing": { "Type": "Test::Local::Wait" } },
        "Outputs": { "ThingName": { "Value": { "Ref": "Thing" }, "Export": { "Name": "shared-thing" } } }
    });
    create(&cf, "exporter", &exporter).await;
    wait_status(&cf, "exporter", "CREATE_COMPLETE").await;
    let exports = cf.list_exports().send().await.unwrap();
    assert_eq!(exports.exports().len(), 1);
    assert_eq!(exports.exports()[0].name(), Some("shared-thing"));
    assert!(exports.exports()[0].exporting_stack_id().unwrap().contains(":stack/exporter/"));

    let importer = json!({ "Resources": { "User": { "Type": "AWS::CloudFormation::WaitConditionHandle",
        "Metadata": { "Uses": { "Fn::ImportValue": "shared-thing" } } } } });
    let importer_id = create(&cf, "importer", &importer).await;
    wait_status(&cf, "importer", "CREATE_COMPLETE").await;
    let e = cf.delete_stack().stack_name("exporter").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "Export shared-thing cannot be deleted as it is in use by importer");
    cf.delete_stack().stack_name("importer").send().await.unwrap();
    wait_status(&cf, &importer_id, "DELETE_COMPLETE").await;
    cf.delete_stack().stack_name("exporter").send().await.unwrap();
}
