//! Updates: each resource unchanged, updated in place or replaced as its type's rule says; replaced
//! and removed resources cleaned up after; a failed or cancelled update rolled back to the old template.

use std::time::Duration;

use serde_json::json;

use super::*;

async fn physical(cf: &Client, stack: &str, logical_id: &str) -> String {
    let r = cf.describe_stack_resource().stack_name(stack).logical_resource_id(logical_id).send().await.unwrap();
    r.stack_resource_detail().unwrap().physical_resource_id().unwrap().to_string()
}

async fn update(cf: &Client, name: &str, template: &Value) {
    cf.update_stack().stack_name(name).template_body(template.to_string()).send().await.expect("UpdateStack");
}

fn stack_statuses(evs: &[StackEvent], name: &str) -> Vec<String> {
    evs.iter()
        .filter(|e| e.logical_resource_id() == Some(name))
        .map(|e| e.resource_status().unwrap().as_str().to_string())
        .collect()
}

#[tokio::test]
async fn an_update_changes_in_place_replaces_adds_and_removes() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let v1 = json!({ "Resources": {
        "Same": { "Type": "Test::Local::Wait", "Properties": { "Name": "same" } },
        "InPlace": { "Type": "Test::Local::Wait", "Properties": { "Name": "inplace", "Size": "1" } },
        "Replaced": { "Type": "Test::Local::Wait", "Properties": { "Name": "old" } },
        "Removed": { "Type": "Test::Local::Wait" }
    }});
    create(&cf, "upd", &v1).await;
    wait_status(&cf, "upd", "CREATE_COMPLETE").await;
    let (in_place_before, replaced_before) =
        (physical(&cf, "upd", "InPlace").await, physical(&cf, "upd", "Replaced").await);

    let v2 = json!({ "Resources": {
        "Same": { "Type": "Test::Local::Wait", "Properties": { "Name": "same" } },
        "InPlace": { "Type": "Test::Local::Wait", "Properties": { "Name": "inplace", "Size": "2" } },
        "Replaced": { "Type": "Test::Local::Wait", "Properties": { "Name": "new" } },
        "Added": { "Type": "Test::Local::Wait" }
    }});
    let set = cf
        .create_change_set()
        .stack_name("upd")
        .change_set_name("preview")
        .template_body(v2.to_string())
        .send()
        .await
        .unwrap();
    let described = cf.describe_change_set().change_set_name(set.id().unwrap()).send().await.unwrap();
    let mut changes: Vec<(String, String, String)> = described
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|c| {
            (
                c.logical_resource_id().unwrap().to_string(),
                c.action().unwrap().as_str().to_string(),
                c.replacement().map(|r| r.as_str().to_string()).unwrap_or_default(),
            )
        })
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        vec![
            ("Added".into(), "Add".into(), String::new()),
            ("InPlace".into(), "Modify".into(), "False".into()),
            ("Removed".into(), "Remove".into(), String::new()),
            ("Replaced".into(), "Modify".into(), "True".into()),
        ]
    );
    cf.delete_change_set().stack_name("upd").change_set_name("preview").send().await.unwrap();

    update(&cf, "upd", &v2).await;
    wait_status(&cf, "upd", "UPDATE_COMPLETE").await;
    assert_eq!(physical(&cf, "upd", "InPlace").await, in_place_before);
    let replaced_after = physical(&cf, "upd", "Replaced").await;
    assert_ne!(replaced_after, replaced_before);
    assert!(transitions(&cf, "upd", "Same").await.iter().all(|t| t.starts_with("CREATE")), "Same is untouched");
    let replaced = transitions(&cf, "upd", "Replaced").await;
    assert_eq!(
        replaced[3..],
        [
            "UPDATE_IN_PROGRESS Requested update requires the creation of a new physical resource; hence creating one."
                .to_string(),
            "UPDATE_COMPLETE".to_string(),
            "DELETE_IN_PROGRESS".to_string(),
            "DELETE_COMPLETE".to_string(),
        ]
    );
    assert_eq!(
        transitions(&cf, "upd", "InPlace").await[3..],
        ["UPDATE_IN_PROGRESS".to_string(), "UPDATE_COMPLETE".to_string()]
    );
    assert_eq!(
        transitions(&cf, "upd", "Removed").await[3..],
        ["DELETE_IN_PROGRESS".to_string(), "DELETE_COMPLETE".to_string()]
    );
    let evs = events(&cf, "upd").await;
    assert_eq!(
        stack_statuses(&evs, "upd"),
        vec![
            "CREATE_IN_PROGRESS",
            "CREATE_COMPLETE",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_COMPLETE"
        ]
    );
    let calls = calls.all();
    assert!(calls.contains(&format!("delete Replaced {replaced_before}")), "{calls:?}");
    let cleanup_at = evs
        .iter()
        .position(|e| e.resource_status().map(|s| s.as_str()) == Some("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
        .unwrap();
    let old_deleted_at = evs
        .iter()
        .position(|e| {
            e.physical_resource_id() == Some(replaced_before.as_str())
                && e.resource_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE")
        })
        .unwrap();
    assert!(old_deleted_at > cleanup_at, "the old resource goes in the cleanup phase");
    let listed: Vec<String> = cf
        .list_stack_resources()
        .stack_name("upd")
        .send()
        .await
        .unwrap()
        .stack_resource_summaries()
        .iter()
        .map(|r| r.logical_resource_id().unwrap().to_string())
        .collect();
    assert!(!listed.contains(&"Removed".to_string()) && listed.contains(&"Added".to_string()), "{listed:?}");
}

#[tokio::test]
async fn a_failed_update_rolls_back_to_the_previous_template() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let v1 = json!({ "Resources": {
        "B": { "Type": "Test::Local::Wait", "Properties": { "Name": "b" } },
        "A": { "Type": "Test::Local::Wait", "DependsOn": "B", "Properties": { "Name": "a" } }
    }});
    create(&cf, "rb", &v1).await;
    wait_status(&cf, "rb", "CREATE_COMPLETE").await;
    let b_before = physical(&cf, "rb", "B").await;
    let v2 = json!({ "Resources": {
        "B": { "Type": "Test::Local::Wait", "Properties": { "Name": "b2" } },
        "A": { "Type": "Test::Local::Wait", "DependsOn": "B", "Properties": { "Name": "a", "FailUpdate": "true" } }
    }});
    update(&cf, "rb", &v2).await;
    wait_status(&cf, "rb", "UPDATE_ROLLBACK_COMPLETE").await;
    let evs = events(&cf, "rb").await;
    assert_eq!(
        stack_statuses(&evs, "rb")[2..],
        [
            "UPDATE_IN_PROGRESS".to_string(),
            "UPDATE_ROLLBACK_IN_PROGRESS".to_string(),
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS".to_string(),
            "UPDATE_ROLLBACK_COMPLETE".to_string(),
        ]
    );
    let reason =
        evs.iter().find(|e| e.resource_status().map(|s| s.as_str()) == Some("UPDATE_ROLLBACK_IN_PROGRESS")).unwrap();
    assert_eq!(reason.resource_status_reason(), Some("The following resource(s) failed to update: [A]. "));
    assert!(transitions(&cf, "rb", "A").await.contains(&"UPDATE_FAILED update refused on purpose".to_string()));
    assert_eq!(physical(&cf, "rb", "B").await, b_before, "B has its old physical resource back");
    let b2 = calls
        .all()
        .iter()
        .find(|c| c.starts_with("create B") && calls.all().iter().filter(|d| d.starts_with("create B")).count() > 1)
        .cloned();
    assert!(b2.is_some(), "{:?}", calls.all());
    assert!(calls.all().iter().any(|c| c.starts_with("delete B b2-")), "the replacement is deleted: {:?}", calls.all());
    let template = cf.get_template().stack_name("rb").send().await.unwrap();
    assert!(!template.template_body().unwrap().contains("FailUpdate"), "the old template is back");
}

#[tokio::test]
async fn a_cancelled_update_rolls_back() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    create(
        &cf,
        "cancel",
        &json!({ "Resources": { "S": { "Type": "Test::Local::Wait", "Properties": { "Name": "s" } } } }),
    )
    .await;
    wait_status(&cf, "cancel", "CREATE_COMPLETE").await;
    let before = physical(&cf, "cancel", "S").await;
    update(
        &cf,
        "cancel",
        &json!({ "Resources": { "S": { "Type": "Test::Local::Wait", "Properties": { "Name": "t", "Ms": "60000" } } } }),
    )
    .await;
    wait_event(&cf, "cancel", "S", "UPDATE_IN_PROGRESS", None).await;
    calls.wait_for("create S", 2).await;
    cf.cancel_update_stack().stack_name("cancel").send().await.unwrap();
    cloud.advance(Duration::from_secs(60));
    wait_status(&cf, "cancel", "UPDATE_ROLLBACK_COMPLETE").await;
    assert_eq!(physical(&cf, "cancel", "S").await, before);
    let e = cf.cancel_update_stack().stack_name("cancel").send().await.unwrap_err();
    assert_eq!(message(&e), "CancelUpdateStack cannot be called from current stack status UPDATE_ROLLBACK_COMPLETE.");
}

#[tokio::test]
async fn no_echo_parameters_read_back_masked_and_use_previous_value_keeps_them() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = |size: &str| {
        json!({
            "Parameters": { "Secret": { "Type": "String", "NoEcho": true }, "Size": { "Type": "String" } },
            "Resources": { "S": { "Type": "Test::Local::Wait", "Properties": { "Key": { "Ref": "Secret" }, "Size": size } } }
        })
    };
    cf.create_stack()
        .stack_name("secret")
        .template_body(template("1").to_string())
        .parameters(param("Secret", "hunter2"))
        .parameters(param("Size", "1"))
        .send()
        .await
        .unwrap();
    wait_status(&cf, "secret", "CREATE_COMPLETE").await;
    let shown = |s: &aws_sdk_cloudformation::types::Stack| -> Vec<(String, String)> {
        s.parameters()
            .iter()
            .map(|p| (p.parameter_key().unwrap().to_string(), p.parameter_value().unwrap().to_string()))
            .collect()
    };
    let stack = cf.describe_stacks().stack_name("secret").send().await.unwrap().stacks()[0].clone();
    assert_eq!(shown(&stack), vec![("Secret".into(), "****".into()), ("Size".into(), "1".into())]);

    let keep =
        aws_sdk_cloudformation::types::Parameter::builder().parameter_key("Secret").use_previous_value(true).build();
    cf.update_stack()
        .stack_name("secret")
        .template_body(template("2").to_string())
        .parameters(keep)
        .parameters(param("Size", "2"))
        .send()
        .await
        .unwrap();
    wait_status(&cf, "secret", "UPDATE_COMPLETE").await;
    let stack = cf.describe_stacks().stack_name("secret").send().await.unwrap().stacks()[0].clone();
    assert_eq!(shown(&stack), vec![("Secret".into(), "****".into()), ("Size".into(), "2".into())]);
    let updated = transitions(&cf, "secret", "S").await;
    assert_eq!(updated.last().map(String::as_str), Some("UPDATE_COMPLETE"), "{updated:?}");
    // The provider got the real value, kept from the creation.
    assert!(
        calls.all().iter().any(|c| c.starts_with("update S") && c.contains("\"Key\":\"hunter2\"")),
        "{:?}",
        calls.all()
    );
}
