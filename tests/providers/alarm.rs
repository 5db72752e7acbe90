//! `AWS::CloudWatch::Alarm` through the provider, checked with aws-sdk-cloudwatch.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use serde_json::json;

use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::CloudWatch::Alarm";

fn iterator_age() -> serde_json::Value {
    json!({
        "AlarmDescription": "Iterator age over a minute",
        "Namespace": "AWS/Kinesis",
        "MetricName": "GetRecords.IteratorAgeMilliseconds",
        "Dimensions": [{ "Name": "StreamName", "Value": "orders" }],
        "Statistic": "Maximum",
        "Period": "60",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": "60000",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "Tags": [{ "Key": "team", "Value": "data" }],
    })
}

#[tokio::test]
async fn create_puts_exactly_the_alarm_the_template_declares() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let made = drive(&cloud, async move { p.create(request("IteratorAge", iterator_age())).await }).await.expect("put");
    let name = made.physical_id.clone();
    assert!(name.starts_with("orders-IteratorAge-"), "{name}");

    let cw = Client::new(&cloud.sdk_config().await);
    let d = cw.describe_alarms().alarm_names(&name).send().await.expect("DescribeAlarms");
    let a = &d.metric_alarms()[0];
    assert_eq!(a.alarm_description(), Some("Iterator age over a minute"));
    assert_eq!(a.metric_name(), Some("GetRecords.IteratorAgeMilliseconds"));
    assert_eq!(a.statistic(), Some(&Statistic::Maximum));
    assert_eq!(a.period(), Some(60));
    assert_eq!(a.evaluation_periods(), Some(3));
    assert_eq!(a.datapoints_to_alarm(), Some(2));
    assert_eq!(a.threshold(), Some(60000.0));
    assert_eq!(a.comparison_operator(), Some(&ComparisonOperator::GreaterThanOrEqualToThreshold));
    assert_eq!(a.treat_missing_data(), Some("notBreaching"));
    assert_eq!(a.dimensions()[0].value(), Some("orders"));
    assert_eq!(made.attributes["Arn"], a.alarm_arn().expect("AlarmArn"));
    let tags = cw.list_tags_for_resource().resource_arn(a.alarm_arn().unwrap_or_default()).send().await.expect("tags");
    let tags: Vec<(&str, &str)> =
        tags.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect();
    assert!(tags.contains(&("team", "data")) && tags.contains(&("kinesis-console:pattern", "kds-kdf-s3")), "{tags:?}");
}

#[tokio::test]
async fn a_metric_math_alarm_keeps_its_queries() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let math = json!({
        "AlarmName": "throttled-share",
        "EvaluationPeriods": 1,
        "Threshold": 5,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            { "Id": "e1", "Expression": "100 * t / r", "Label": "Throttled %", "ReturnData": true },
            { "Id": "t", "ReturnData": "false", "MetricStat": {
                "Metric": { "Namespace": "AWS/Kinesis", "MetricName": "WriteProvisionedThroughputExceeded",
                            "Dimensions": [{ "Name": "StreamName", "Value": "orders" }] },
                "Period": "60", "Stat": "Sum" } },
            { "Id": "r", "ReturnData": false, "MetricStat": {
                "Metric": { "Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                            "Dimensions": [{ "Name": "StreamName", "Value": "orders" }] },
                "Period": 60, "Stat": "Sum" } },
        ],
    });
    let made = drive(&cloud, async move { p.create(request("Throttled", math)).await }).await.expect("put");
    assert_eq!(made.physical_id, "throttled-share");
    let cw = Client::new(&cloud.sdk_config().await);
    let d = cw.describe_alarms().alarm_names("throttled-share").send().await.expect("DescribeAlarms");
    let queries = d.metric_alarms()[0].metrics();
    let ids: Vec<&str> = queries.iter().filter_map(|q| q.id()).collect();
    assert_eq!(ids, ["e1", "t", "r"]);
    assert_eq!(queries[0].expression(), Some("100 * t / r"));
    assert_eq!(queries[1].return_data(), Some(false));
    assert_eq!(queries[1].metric_stat().map(|s| s.period()), Some(Some(60)));
}

#[tokio::test]
async fn an_update_changes_the_alarm_and_its_tags_in_place_and_a_new_name_replaces_it() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let mut old = iterator_age();
    old["AlarmName"] = json!("age");
    let mut new = old.clone();
    new["Threshold"] = json!(120000);
    new["Tags"] = json!([{ "Key": "team", "Value": "ops" }]);
    assert!(!p.needs_replacement(&props(old.clone()), &props(new.clone())));
    let mut renamed = new.clone();
    renamed["AlarmName"] = json!("age-2");
    assert!(p.needs_replacement(&props(old.clone()), &props(renamed)));

    let (p2, req) = (p.clone(), request("IteratorAge", old.clone()));
    drive(&cloud, async move { p2.create(req).await }).await.expect("put");
    let req = request("IteratorAge", new);
    drive(&cloud, async move { p.update("age".into(), props(old), req).await }).await.expect("updated");
    let cw = Client::new(&cloud.sdk_config().await);
    let d = cw.describe_alarms().alarm_names("age").send().await.expect("DescribeAlarms");
    let a = &d.metric_alarms()[0];
    assert_eq!(a.threshold(), Some(120000.0));
    let tags = cw.list_tags_for_resource().resource_arn(a.alarm_arn().unwrap_or_default()).send().await.expect("tags");
    let team: Vec<&str> = tags.tags().iter().filter(|t| t.key() == Some("team")).filter_map(|t| t.value()).collect();
    assert_eq!(team, ["ops"]);
}

#[tokio::test]
async fn delete_removes_the_alarm_and_an_alarm_already_gone_is_no_error() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let mut props_ = iterator_age();
    props_["AlarmName"] = json!("age");
    let (p2, req) = (p.clone(), request("IteratorAge", props_.clone()));
    drive(&cloud, async move { p2.create(req).await }).await.expect("put");
    let (p2, req) = (p.clone(), request("IteratorAge", props_.clone()));
    drive(&cloud, async move { p2.delete("age".into(), req).await }).await.expect("deleted");
    let cw = Client::new(&cloud.sdk_config().await);
    let d = cw.describe_alarms().alarm_names("age").send().await.expect("DescribeAlarms");
    assert!(d.metric_alarms().is_empty());
    let req = request("IteratorAge", props_);
    drive(&cloud, async move { p.delete("age".into(), req).await }).await.expect("deleting it again succeeds");
}

#[tokio::test]
async fn an_invalid_alarm_fails_with_cloudwatchs_own_reason() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let mut bad = iterator_age();
    bad["Period"] = json!(7);
    let e = drive(&cloud, async move { p.create(request("IteratorAge", bad)).await }).await.expect_err("refused");
    assert!(e.reason.contains("Resource handler returned message"), "{e}");
    assert!(e.reason.contains("Period"), "{e}");
}
