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

    let exported = exports.exports()[0].value().unwrap().to_string();
    let importer = json!({ "Resources": { "User": { "Type": "Test::Local::Wait",
        "Properties": { "Name": { "Fn::ImportValue": "shared-thing" } } } } });
    let importer_id = create(&cf, "importer", &importer).await;
    wait_status(&cf, "importer", "CREATE_COMPLETE").await;
    let user = cf.describe_stack_resource().stack_name("importer").logical_resource_id("User").send().await.unwrap();
    let user_physical = user.stack_resource_detail().unwrap().physical_resource_id().unwrap().to_string();
    assert!(user_physical.starts_with(&format!("{exported}-")), "the import resolved to the export: {user_physical}");

    // An export name belongs to one stack.
    create(&cf, "rival", &exporter).await;
    wait_status(&cf, "rival", "ROLLBACK_COMPLETE").await;
    let rival = cf.describe_stack_events().stack_name("rival").send().await.unwrap();
    assert!(
        rival.stack_events().iter().any(|e| e.resource_status_reason()
            == Some(
                "Export with name shared-thing is already exported by stack exporter. Rollback requested by user."
            )),
        "{:?}",
        rival.stack_events()
    );

    // Nor can an update drop it.
    let dropped = json!({ "Resources": { "Thing": { "Type": "Test::Local::Wait" } } });
    cf.update_stack().stack_name("exporter").template_body(dropped.to_string()).send().await.unwrap();
    wait_status(&cf, "exporter", "UPDATE_ROLLBACK_COMPLETE").await;
    let reasons: Vec<String> =
        events(&cf, "exporter").await.iter().filter_map(|e| e.resource_status_reason().map(str::to_string)).collect();
    assert!(
        reasons.contains(&"Export shared-thing cannot be deleted as it is in use by importer".to_string()),
        "{reasons:?}"
    );
    let e = cf.delete_stack().stack_name("exporter").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "Export shared-thing cannot be deleted as it is in use by importer");
    cf.delete_stack().stack_name("importer").send().await.unwrap();
    wait_status(&cf, &importer_id, "DELETE_COMPLETE").await;
    cf.delete_stack().stack_name("exporter").send().await.unwrap();
}
