//! CreateQueue, GetQueueUrl, Get/SetQueueAttributes, ListQueues, tags, PurgeQueue, DeleteQueue.

use aws_sdk_sqs::types::QueueAttributeName as A;

use super::support::TestCloud;
use super::{attribute, client, queue};

#[tokio::test]
async fn create_is_idempotent_with_equal_attributes_and_refused_with_different_ones() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "orders", &[("VisibilityTimeout", "5")]).await;
    assert_eq!(url, format!("{}/000000000000/orders", cloud.url()), "{{endpoint}}/{{account}}/{{name}}");
    assert_eq!(queue(&sqs, "orders", &[("VisibilityTimeout", "5")]).await, url);
    assert_eq!(queue(&sqs, "orders", &[]).await, url, "no attributes given: the existing queue");
    let err = sqs.create_queue().queue_name("orders").attributes(A::VisibilityTimeout, "6").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_queue_name_exists(), "{err:?}");
    assert!(
        err.to_string().contains("VisibilityTimeout") || format!("{err:?}").contains("VisibilityTimeout"),
        "{err:?}"
    );
    let fifo = sqs.create_queue().queue_name("q.fifo").send().await.unwrap_err().into_service_error();
    assert!(format!("{fifo:?}").contains("FIFO queues are not supported"), "{fifo:?}");
    let got = sqs.get_queue_url().queue_name("orders").send().await.expect("GetQueueUrl");
    assert_eq!(got.queue_url(), Some(url.as_str()));
    let missing = sqs.get_queue_url().queue_name("nope").send().await.unwrap_err().into_service_error();
    assert!(missing.is_queue_does_not_exist(), "{missing:?}");
}

#[tokio::test]
async fn attributes_all_and_named_with_counts_and_timestamps() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let url = queue(&sqs, "dlq", &[("MessageRetentionPeriod", "600"), ("Policy", policy), ("DelaySeconds", "0")]).await;
    let created = cloud.cloud.ctx.clock.now_ms() / 1000;
    sqs.send_message().queue_url(&url).message_body("a").send().await.expect("sent");
    sqs.send_message().queue_url(&url).message_body("b").delay_seconds(30).send().await.expect("sent");
    sqs.receive_message().queue_url(&url).send().await.expect("received one");
    let all = sqs.get_queue_attributes().queue_url(&url).attribute_names(A::All).send().await.expect("All");
    let a = all.attributes().expect("attributes");
    assert_eq!(a[&A::ApproximateNumberOfMessages], "0");
    assert_eq!(a[&A::ApproximateNumberOfMessagesNotVisible], "1");
    assert_eq!(a[&A::ApproximateNumberOfMessagesDelayed], "1");
    assert_eq!(a[&A::QueueArn], "arn:aws:sqs:us-east-1:000000000000:dlq");
    assert_eq!(a[&A::CreatedTimestamp], created.to_string());
    assert_eq!(a[&A::MessageRetentionPeriod], "600");
    assert_eq!(a[&A::VisibilityTimeout], "30", "the default");
    assert_eq!(a[&A::MaximumMessageSize], "1048576", "1 MiB, the current default");
    assert_eq!(a[&A::Policy], policy);
    let named = sqs.get_queue_attributes().queue_url(&url).attribute_names(A::QueueArn).send().await.expect("named");
    assert_eq!(named.attributes().map(|a| a.len()), Some(1));

    cloud.advance(std::time::Duration::from_secs(7));
    sqs.set_queue_attributes().queue_url(&url).attributes(A::VisibilityTimeout, "45").send().await.expect("set");
    assert_eq!(attribute(&sqs, &url, "VisibilityTimeout").await, "45");
    assert_eq!(attribute(&sqs, &url, "LastModifiedTimestamp").await, (created + 7).to_string());
    let bad = sqs.set_queue_attributes().queue_url(&url).attributes(A::VisibilityTimeout, "43201").send().await;
    let bad = bad.unwrap_err().into_service_error();
    assert!(bad.is_invalid_attribute_value(), "{bad:?}");
    assert_eq!(attribute(&sqs, &url, "VisibilityTimeout").await, "45", "a refused change changes nothing");
    let unknown = sqs.get_queue_attributes().queue_url(&url).attribute_names(A::from("Colour")).send().await;
    assert!(unknown.unwrap_err().into_service_error().is_invalid_attribute_name());
}

#[tokio::test]
async fn list_queues_by_prefix_in_pages() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    for n in ["a1", "a2", "a3", "b1"] {
        queue(&sqs, n, &[]).await;
    }
    let all = sqs.list_queues().send().await.expect("ListQueues");
    assert_eq!(all.queue_urls().len(), 4);
    assert!(all.next_token().is_none());
    let first = sqs.list_queues().queue_name_prefix("a").max_results(2).send().await.expect("page 1");
    assert_eq!(first.queue_urls().len(), 2);
    let token = first.next_token().expect("a next page").to_string();
    let second =
        sqs.list_queues().queue_name_prefix("a").max_results(2).next_token(token).send().await.expect("page 2");
    assert_eq!(second.queue_urls(), [format!("{}/000000000000/a3", cloud.url())]);
    assert!(second.next_token().is_none());
    let none = sqs.list_queues().queue_name_prefix("zz").send().await.expect("ListQueues");
    assert!(none.queue_urls().is_empty());
}

#[tokio::test]
async fn tags_purge_and_delete() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "tagged", &[]).await;
    sqs.tag_queue().queue_url(&url).tags("team", "data").tags("env", "dev").send().await.expect("TagQueue");
    sqs.untag_queue().queue_url(&url).tag_keys("env").send().await.expect("UntagQueue");
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.expect("ListQueueTags");
    assert_eq!(tags.tags().map(|t| t.len()), Some(1));
    assert_eq!(tags.tags().and_then(|t| t.get("team")).map(String::as_str), Some("data"));

    sqs.send_message().queue_url(&url).message_body("x").send().await.expect("sent");
    sqs.purge_queue().queue_url(&url).send().await.expect("PurgeQueue");
    assert_eq!(super::attribute(&sqs, &url, "ApproximateNumberOfMessages").await, "0");
    let again = sqs.purge_queue().queue_url(&url).send().await.unwrap_err().into_service_error();
    assert!(again.is_purge_queue_in_progress(), "one purge per 60 s: {again:?}");
    cloud.advance(std::time::Duration::from_secs(60));
    sqs.purge_queue().queue_url(&url).send().await.expect("a purge after 60 s");

    sqs.delete_queue().queue_url(&url).send().await.expect("DeleteQueue");
    let gone = sqs.send_message().queue_url(&url).message_body("x").send().await.unwrap_err().into_service_error();
    assert!(gone.is_queue_does_not_exist(), "{gone:?}");
}

#[tokio::test]
async fn json_errors_name_the_shape_and_carry_the_query_code() {
    let cloud = TestCloud::start_virtual().await;
    let raw = super::support::raw::Raw::post(
        "/",
        &[("content-type", "application/x-amz-json-1.0"), ("x-amz-target", "AmazonSQS.GetQueueUrl")],
        r#"{"QueueName":"nope"}"#,
    );
    let (status, headers, body) = cloud.sign(raw, "sqs").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert_eq!(headers["x-amzn-query-error"], "AWS.SimpleQueueService.NonExistentQueue;Sender");
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
    assert_eq!(body["message"], "The specified queue does not exist.");
}
