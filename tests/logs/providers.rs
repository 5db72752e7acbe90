use serde_json::json;

use super::harness::{hosted, request};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_group_is_created_updated_replaced_by_name_and_deleted() {
    let cloud = hosted().await;
    let logs = Client::new(&cloud.sdk_config().await);
    let p = cloud.provider("AWS::Logs::LogGroup");
    assert_eq!(p.attribute_names(), ["Arn"]);

    let named = p.create(request("Logs", json!({"LogGroupName": "/demo/app", "RetentionInDays": 7}))).await.unwrap();
    assert_eq!(named.physical_id, "/demo/app");
    assert_eq!(named.attributes["Arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/demo/app:*");
    let d = logs.describe_log_groups().log_group_name_prefix("/demo/app").send().await.unwrap();
    assert_eq!(d.log_groups()[0].retention_in_days(), Some(7));
    let tags = logs
        .list_tags_for_resource()
        .resource_arn("arn:aws:logs:us-east-1:000000000000:log-group:/demo/app")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().and_then(|t| t.get("pattern")).map(String::as_str), Some("kds-kdf-s3"));

    let old = request("Logs", json!({"LogGroupName": "/demo/app", "RetentionInDays": 7})).properties;
    let new = request(
        "Logs",
        json!({"LogGroupName": "/demo/app", "RetentionInDays": 30, "Tags": [{"Key": "team", "Value": "data"}]}),
    );
    assert!(!p.needs_replacement(&old, &new.properties));
    p.update("/demo/app".into(), old.clone(), new.clone()).await.unwrap();
    let d = logs.describe_log_groups().log_group_name_prefix("/demo/app").send().await.unwrap();
    assert_eq!(d.log_groups()[0].retention_in_days(), Some(30));
    let renamed = request("Logs", json!({"LogGroupName": "/demo/other"})).properties;
    assert!(p.needs_replacement(&new.properties, &renamed), "a new name replaces the group");

    let bad = p.create(request("Bad", json!({"RetentionInDays": 2}))).await.unwrap_err();
    assert!(bad.reason.contains("RetentionInDays"), "{bad}");

    let generated = p.create(request("AppLogs", json!({}))).await.unwrap();
    assert!(generated.physical_id.starts_with("demo-AppLogs-"), "{}", generated.physical_id);
    p.delete("/demo/app".into(), new).await.unwrap();
    p.delete("/demo/app".into(), request("Logs", json!({}))).await.expect("deleting twice is fine");
    let left = logs.describe_log_groups().send().await.unwrap();
    let names: Vec<&str> = left.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(names, [generated.physical_id.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_stream_is_created_in_its_group_replaced_on_any_change_and_deleted() {
    let cloud = hosted().await;
    let logs = Client::new(&cloud.sdk_config().await);
    logs.create_log_group().log_group_name("g").send().await.unwrap();
    let p = cloud.provider("AWS::Logs::LogStream");
    let props = json!({"LogGroupName": "g", "LogStreamName": "s"});
    let made = p.create(request("Stream", props.clone())).await.unwrap();
    assert_eq!(made.physical_id, "s");
    let d = logs.describe_log_streams().log_group_name("g").send().await.unwrap();
    assert_eq!(d.log_streams()[0].log_stream_name(), Some("s"));
    let old = request("Stream", props.clone()).properties;
    assert!(
        p.needs_replacement(&old, &request("Stream", json!({"LogGroupName": "h", "LogStreamName": "s"})).properties)
    );
    assert!(
        p.needs_replacement(&old, &request("Stream", json!({"LogGroupName": "g", "LogStreamName": "t"})).properties)
    );
    assert!(!p.needs_replacement(&old, &old));
    let missing_group = p.create(request("S2", json!({"LogGroupName": "nope"}))).await.unwrap_err();
    assert!(missing_group.reason.contains("ResourceNotFoundException"), "{missing_group}");
    p.delete("s".into(), request("Stream", props)).await.unwrap();
    let d = logs.describe_log_streams().log_group_name("g").send().await.unwrap();
    assert!(d.log_streams().is_empty());
}
