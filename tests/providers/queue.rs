//! `AWS::SQS::Queue` and `AWS::SQS::QueuePolicy` through their providers, checked with aws-sdk-sqs.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName as A;
use serde_json::json;

use super::support::TestCloud;
use super::{cloud, drive, props, provider, request};

async fn attributes(cloud: &TestCloud, url: &str) -> std::collections::HashMap<A, String> {
    let sqs = Client::new(&cloud.sdk_config().await);
    let out =
        sqs.get_queue_attributes().queue_url(url).attribute_names(A::All).send().await.expect("GetQueueAttributes");
    out.attributes().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_queue_is_what_the_api_describes_with_ref_the_url_and_its_attributes() {
    let cloud = cloud().await;
    let p = provider(&cloud, "AWS::SQS::Queue");
    let req = request(
        "DeadLetterQueue",
        json!({
            "MessageRetentionPeriod": 345600,
            "KmsMasterKeyId": "alias/aws/sqs",
            "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:other", "maxReceiveCount": 3},
            "Tags": [{"Key": "kinesis-console:pattern", "Value": "apigw-kds-lambda"}]
        }),
    );
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("created");
    let name = made.attributes["QueueName"].as_str().expect("QueueName").to_string();
    assert!(name.starts_with("orders-DeadLetterQueue-") && name.len() <= 80, "{name}");
    let url = format!("{}/000000000000/{name}", cloud.url());
    assert_eq!(made.reference(), url, "Ref is the queue URL");
    assert_eq!(made.attributes["QueueUrl"], url.as_str());
    assert_eq!(made.attributes["Arn"], format!("arn:aws:sqs:us-east-1:000000000000:{name}").as_str());
    let a = attributes(&cloud, &url).await;
    assert_eq!(a[&A::MessageRetentionPeriod], "345600");
    assert_eq!(a[&A::KmsMasterKeyId], "alias/aws/sqs");
    assert!(a[&A::RedrivePolicy].contains("\"maxReceiveCount\":3"), "{}", a[&A::RedrivePolicy]);
    let sqs = Client::new(&cloud.sdk_config().await);
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.expect("tags");
    assert_eq!(
        tags.tags().and_then(|t| t.get("kinesis-console:pattern")).map(String::as_str),
        Some("apigw-kds-lambda")
    );

    // In place: a property removed goes back to its default.
    let p = provider(&cloud, "AWS::SQS::Queue");
    let (old, new) = (
        props(json!({"MessageRetentionPeriod": 345600})),
        request("DeadLetterQueue", json!({"VisibilityTimeout": 90})),
    );
    let id = made.physical_id.clone();
    drive(&cloud, async move { p.update(id, old, new).await }).await.expect("updated");
    let a = attributes(&cloud, &url).await;
    assert_eq!(a[&A::VisibilityTimeout], "90");
    assert_eq!(a[&A::MessageRetentionPeriod], "345600", "back to the default");
    assert!(!a.contains_key(&A::RedrivePolicy), "removed");

    let p = provider(&cloud, "AWS::SQS::Queue");
    let (id, req) = (made.physical_id.clone(), request("DeadLetterQueue", json!({})));
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("deleted");
    let gone = sqs.get_queue_url().queue_name(&name).send().await.unwrap_err().into_service_error();
    assert!(gone.is_queue_does_not_exist());
    let p = provider(&cloud, "AWS::SQS::Queue");
    let (id, req) = (made.physical_id.clone(), request("DeadLetterQueue", json!({})));
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("a queue already gone is no error");
}

#[tokio::test]
async fn queue_name_and_fifo_replace_the_queue_and_fifo_queues_are_refused() {
    let cloud = cloud().await;
    let p = provider(&cloud, "AWS::SQS::Queue");
    assert!(p.needs_replacement(&props(json!({"QueueName": "a"})), &props(json!({"QueueName": "b"}))));
    assert!(p.needs_replacement(&props(json!({})), &props(json!({"FifoQueue": true}))));
    assert!(
        !p.needs_replacement(&props(json!({"QueueName": "a"})), &props(json!({"QueueName": "a", "DelaySeconds": 5})))
    );
    let req = request("Q", json!({"QueueName": "q.fifo", "FifoQueue": true}));
    let err = drive(&cloud, async move { p.create(req).await }).await.unwrap_err();
    assert!(err.reason.contains("FIFO"), "{err}");
    let p = provider(&cloud, "AWS::SQS::Queue");
    let req = request("Q", json!({"QueueName": "q", "VisibilityTimeout": 50000}));
    let err = drive(&cloud, async move { p.create(req).await }).await.unwrap_err();
    assert!(err.reason.contains("InvalidAttributeValue"), "{err}");
}

#[tokio::test]
async fn a_queue_policy_is_stored_on_each_queue_and_removed_on_delete() {
    let cloud = cloud().await;
    let q = provider(&cloud, "AWS::SQS::Queue");
    let mut urls = Vec::new();
    for name in ["one", "two"] {
        let (q, req) = (q.clone(), request("Q", json!({ "QueueName": name })));
        urls.push(drive(&cloud, async move { q.create(req).await }).await.expect("queue").physical_id);
    }
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]});
    let p = provider(&cloud, "AWS::SQS::QueuePolicy");
    let req = request("Policy", json!({ "PolicyDocument": doc, "Queues": urls }));
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("policy");
    assert!(made.reference().starts_with("orders-Policy-"), "a generated id: {}", made.reference());
    for url in &urls {
        let stored: serde_json::Value = serde_json::from_str(&attributes(&cloud, url).await[&A::Policy]).expect("JSON");
        assert_eq!(stored, doc);
    }
    let p = provider(&cloud, "AWS::SQS::QueuePolicy");
    let (old, new) = (
        props(json!({ "PolicyDocument": doc, "Queues": urls })),
        request("Policy", json!({ "PolicyDocument": doc, "Queues": [urls[0]] })),
    );
    let id = made.physical_id.clone();
    drive(&cloud, async move { p.update(id, old, new).await }).await.expect("updated");
    assert!(
        !attributes(&cloud, &urls[1]).await.contains_key(&A::Policy),
        "a queue dropped from Queues loses the policy"
    );
    let p = provider(&cloud, "AWS::SQS::QueuePolicy");
    let req = request("Policy", json!({ "PolicyDocument": doc, "Queues": [urls[0]] }));
    let id = made.physical_id.clone();
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("deleted");
    assert!(!attributes(&cloud, &urls[0]).await.contains_key(&A::Policy));
}
