//! `AWS::CloudWatch::Dashboard` through the provider, checked with aws-sdk-cloudwatch.

use aws_sdk_cloudwatch::Client;
use serde_json::json;

use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::CloudWatch::Dashboard";

fn body(title: &str) -> String {
    json!({ "widgets": [{ "type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                          "properties": { "markdown": title } }] })
    .to_string()
}

#[tokio::test]
async fn create_update_and_delete_go_through_put_dashboard() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let (p2, req) = (p.clone(), request("Dashboard", json!({ "DashboardBody": body("# one") })));
    let made = drive(&cloud, async move { p2.create(req).await }).await.expect("put");
    let name = made.physical_id.clone();
    assert!(name.starts_with("orders-Dashboard-"), "{name}");
    assert!(made.attributes.is_empty() && p.attribute_names().is_empty(), "a dashboard has no attributes");

    let cw = Client::new(&cloud.sdk_config().await);
    let got = cw.get_dashboard().dashboard_name(&name).send().await.expect("GetDashboard");
    assert_eq!(got.dashboard_body(), Some(body("# one").as_str()));

    let old = props(json!({ "DashboardBody": body("# one") }));
    let (p2, req, id) = (p.clone(), request("Dashboard", json!({ "DashboardBody": body("# two") })), name.clone());
    drive(&cloud, async move { p2.update(id, old, req).await }).await.expect("updated");
    let got = cw.get_dashboard().dashboard_name(&name).send().await.expect("GetDashboard");
    assert_eq!(got.dashboard_body(), Some(body("# two").as_str()));

    let (p2, req, id) = (p.clone(), request("Dashboard", json!({})), name.clone());
    drive(&cloud, async move { p2.delete(id, req).await }).await.expect("deleted");
    let listed = cw.list_dashboards().send().await.expect("ListDashboards");
    assert!(listed.dashboard_entries().is_empty());
    let (req, id) = (request("Dashboard", json!({})), name.clone());
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("deleting it again succeeds");
}

#[tokio::test]
async fn only_a_new_name_replaces_a_dashboard() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let d = |name: &str, b: &str| props(json!({ "DashboardName": name, "DashboardBody": body(b) }));
    assert!(p.needs_replacement(&d("a", "x"), &d("b", "x")));
    assert!(!p.needs_replacement(&d("a", "x"), &d("a", "y")));
}

#[tokio::test]
async fn an_invalid_body_fails_with_cloudwatchs_own_validation() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let req = request("Dashboard", json!({ "DashboardName": "bad", "DashboardBody": "{\"widgets\": 3}" }));
    let e = drive(&cloud, async move { p.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("The dashboard body is invalid"), "{e}");
    assert!(e.reason.contains("Error Code: InvalidParameterInput"), "{e}");
}

#[tokio::test]
async fn a_dashboard_without_a_body_fails_naming_the_required_key() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let req = request("Dashboard", json!({ "DashboardName": "empty" }));
    let e = drive(&cloud, async move { p.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("#: required key [DashboardBody] not found"), "{e}");
}

async fn dashboard_tags(cw: &Client, name: &str) -> Vec<(String, String)> {
    let got = cw.get_dashboard().dashboard_name(name).send().await.expect("GetDashboard");
    let arn = got.dashboard_arn().expect("an ARN").to_string();
    let listed = cw.list_tags_for_resource().resource_arn(arn).send().await.expect("ListTagsForResource");
    listed.tags().iter().map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into())).collect()
}

#[tokio::test]
async fn a_dashboards_tags_are_the_stacks_and_its_own_and_follow_an_update() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let first = json!({ "DashboardBody": body("# one"), "Tags": [{ "Key": "team", "Value": "data" }] });
    let (p2, req) = (p.clone(), request("Dashboard", first.clone()));
    let name = drive(&cloud, async move { p2.create(req).await }).await.expect("put with tags").physical_id;
    let cw = Client::new(&cloud.sdk_config().await);
    let tags = dashboard_tags(&cw, &name).await;
    assert!(tags.contains(&("team".into(), "data".into())), "{tags:?}");
    assert!(tags.contains(&("kinesis-console:pattern".into(), "kds-kdf-s3".into())), "{tags:?}");

    let second = json!({ "DashboardBody": body("# one"), "Tags": [{ "Key": "owner", "Value": "ops" }] });
    let (req, id) = (request("Dashboard", second), name.clone());
    drive(&cloud, async move { p.update(id, props(first), req).await }).await.expect("updated");
    let tags = dashboard_tags(&cw, &name).await;
    assert!(tags.contains(&("owner".into(), "ops".into())), "{tags:?}");
    assert!(!tags.iter().any(|(k, _)| k == "team"), "a tag the template dropped is removed: {tags:?}");
}
