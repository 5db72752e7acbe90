//! SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility, retention,
//! redrive, metrics, and the queue sink other services send through.

use std::time::Duration;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName as S,
    SendMessageBatchRequestEntry,
};

use super::support::TestCloud;
use super::{attribute, client, queue};

fn md5(text: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(text.as_bytes()))
}

#[tokio::test]
async fn a_message_round_trips_with_attributes_digests_and_system_attributes() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "q", &[]).await;
    let attr = MessageAttributeValue::builder().data_type("String").string_value("v").build().expect("attribute");
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("héllo")
        .message_attributes("k", attr)
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.md5_of_message_body(), Some(md5("héllo").as_str()));
    // md5(len("k") "k" len("String") "String" 0x01 len("v") "v"), the encoding AWS documents.
    let expected = {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(b"\0\0\0\x01k\0\0\0\x06String\x01\0\0\0\x01v"))
    };
    assert_eq!(sent.md5_of_message_attributes(), Some(expected.as_str()));
    let sent_at = cloud.cloud.ctx.clock.now_ms();
    cloud.advance(Duration::from_secs(3));

    let got = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(S::All)
        .message_attribute_names("All")
        .send()
        .await
        .expect("received");
    let m = &got.messages()[0];
    assert_eq!(m.body(), Some("héllo"));
    assert_eq!(m.message_id(), sent.message_id());
    assert_eq!(m.md5_of_body(), Some(md5("héllo").as_str()));
    assert_eq!(m.md5_of_message_attributes(), Some(expected.as_str()));
    assert_eq!(m.message_attributes().and_then(|a| a["k"].string_value()), Some("v"));
    let sys = m.attributes().expect("system attributes");
    assert_eq!(sys[&S::ApproximateReceiveCount], "1");
    assert_eq!(sys[&S::SentTimestamp], sent_at.to_string());
    assert_eq!(sys[&S::ApproximateFirstReceiveTimestamp], (sent_at + 3000).to_string());
    let none = sqs.receive_message().queue_url(&url).send().await.expect("received");
    assert!(none.messages().is_empty(), "in flight for the visibility timeout");
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(m.receipt_handle().expect("handle"))
        .send()
        .await
        .expect("deleted");
    cloud.advance(Duration::from_secs(31));
    assert!(sqs.receive_message().queue_url(&url).send().await.expect("received").messages().is_empty(), "deleted");
    let bad =
        sqs.delete_message().queue_url(&url).receipt_handle("garbage!").send().await.unwrap_err().into_service_error();
    assert!(bad.is_receipt_handle_is_invalid(), "{bad:?}");
}

#[tokio::test]
async fn a_visibility_timeout_ends_on_the_cloud_clock_and_can_be_changed() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "q", &[("VisibilityTimeout", "10")]).await;
    sqs.send_message().queue_url(&url).message_body("m").send().await.expect("sent");
    let first = sqs.receive_message().queue_url(&url).send().await.expect("received");
    assert_eq!(first.messages().len(), 1);
    cloud.advance(Duration::from_millis(9_999));
    assert!(sqs.receive_message().queue_url(&url).send().await.expect("received").messages().is_empty());
    assert_eq!(attribute(&sqs, &url, "ApproximateNumberOfMessagesNotVisible").await, "1");
    cloud.advance(Duration::from_millis(1));
    let second = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(S::ApproximateReceiveCount)
        .send()
        .await
        .expect("received");
    let m = &second.messages()[0];
    assert_eq!(m.attributes().expect("attrs")[&S::ApproximateReceiveCount], "2");
    let handle = m.receipt_handle().expect("handle");
    // Visibility 0 makes it receivable at once; an old receipt handle no longer changes it.
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(handle)
        .visibility_timeout(0)
        .send()
        .await
        .expect("changed");
    let third = sqs.receive_message().queue_url(&url).visibility_timeout(100).send().await.expect("received");
    assert_eq!(third.messages().len(), 1, "visible again after ChangeMessageVisibility 0");
    let stale =
        sqs.change_message_visibility().queue_url(&url).receipt_handle(handle).visibility_timeout(5).send().await;
    assert!(stale.is_err(), "a receipt handle of an earlier receive");
    cloud.advance(Duration::from_secs(99));
    assert!(
        sqs.receive_message().queue_url(&url).send().await.expect("received").messages().is_empty(),
        "the receive's own 100 s"
    );
}

#[tokio::test]
async fn batches_hold_ten_entries_and_fail_entry_by_entry() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "q", &[]).await;
    let entry = |id: &str, body: &str| {
        SendMessageBatchRequestEntry::builder().id(id).message_body(body).build().expect("entry")
    };
    let out = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("ok", "fine"))
        .entries(entry("bad", "nul \u{0} inside"))
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("late")
                .message_body("x")
                .delay_seconds(901)
                .build()
                .expect("entry"),
        )
        .send()
        .await
        .expect("SendMessageBatch");
    assert_eq!(out.successful().len(), 1);
    assert_eq!(out.successful()[0].id(), "ok");
    let failed: Vec<(&str, &str)> = out.failed().iter().map(|f| (f.id(), f.code())).collect();
    assert_eq!(failed, [("bad", "InvalidMessageContents"), ("late", "InvalidParameterValue")]);
    assert!(out.failed().iter().all(|f| f.sender_fault()));

    let eleven = (0..11).fold(sqs.send_message_batch().queue_url(&url), |b, i| b.entries(entry(&i.to_string(), "x")));
    assert!(eleven.send().await.unwrap_err().into_service_error().is_too_many_entries_in_batch_request());
    let twice = sqs.send_message_batch().queue_url(&url).entries(entry("a", "x")).entries(entry("a", "y")).send().await;
    assert!(twice.unwrap_err().into_service_error().is_batch_entry_ids_not_distinct());
    let empty = sqs.send_message_batch().queue_url(&url).set_entries(Some(vec![])).send().await;
    assert!(empty.unwrap_err().into_service_error().is_empty_batch_request());
    let big = "x".repeat(110 * 1024);
    let too_long =
        (0..10).fold(sqs.send_message_batch().queue_url(&url), |b, i| b.entries(entry(&i.to_string(), &big)));
    assert!(too_long.send().await.unwrap_err().into_service_error().is_batch_request_too_long(), "over 1 MiB in all");
    let one_big = sqs.send_message().queue_url(&url).message_body("x".repeat(1_048_577)).send().await;
    assert!(format!("{:?}", one_big.unwrap_err().into_service_error()).contains("shorter than 1048576"));
    assert_eq!(attribute(&sqs, &url, "ApproximateNumberOfMessages").await, "1", "refused batches sent nothing");

    let got = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.expect("received");
    let handle = got.messages()[0].receipt_handle().expect("handle").to_string();
    let del =
        |id: &str, h: &str| DeleteMessageBatchRequestEntry::builder().id(id).receipt_handle(h).build().expect("entry");
    let out = sqs
        .delete_message_batch()
        .queue_url(&url)
        .entries(del("a", &handle))
        .entries(del("b", "nope"))
        .send()
        .await
        .expect("batch");
    assert_eq!(out.successful().len(), 1);
    assert_eq!(out.failed()[0].code(), "ReceiptHandleIsInvalid");
    let eleven = sqs.receive_message().queue_url(&url).max_number_of_messages(11).send().await;
    assert!(format!("{:?}", eleven.unwrap_err().into_service_error()).contains("MaxNumberOfMessages"));
}

#[tokio::test]
async fn retention_drops_messages_and_redrive_moves_spent_ones_to_the_dead_letter_queue() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let short = queue(&sqs, "short", &[("MessageRetentionPeriod", "60")]).await;
    sqs.send_message().queue_url(&short).message_body("old").send().await.expect("sent");
    cloud.advance_settled(Duration::from_secs(59)).await;
    assert_eq!(attribute(&sqs, &short, "ApproximateNumberOfMessages").await, "1");
    cloud.advance_settled(Duration::from_secs(1)).await;
    assert_eq!(attribute(&sqs, &short, "ApproximateNumberOfMessages").await, "0", "retention ended");

    let dlq = queue(&sqs, "dead", &[]).await;
    let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dead","maxReceiveCount":2}"#;
    let src = queue(&sqs, "src", &[("RedrivePolicy", policy), ("VisibilityTimeout", "1")]).await;
    sqs.send_message().queue_url(&src).message_body("poison").send().await.expect("sent");
    for _ in 0..2 {
        assert_eq!(sqs.receive_message().queue_url(&src).send().await.expect("received").messages().len(), 1);
        cloud.advance(Duration::from_secs(1));
    }
    assert!(sqs.receive_message().queue_url(&src).send().await.expect("received").messages().is_empty());
    let moved = sqs.receive_message().queue_url(&dlq).send().await.expect("received");
    assert_eq!(moved.messages()[0].body(), Some("poison"));
}

#[tokio::test]
async fn metrics_are_published_each_second_by_queue_name() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "m", &[]).await;
    sqs.send_message().queue_url(&url).message_body("12345").send().await.expect("sent");
    sqs.send_message().queue_url(&url).message_body("1234567890").send().await.expect("sent");
    let got = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.expect("received");
    assert_eq!(got.messages().len(), 2);
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(got.messages()[0].receipt_handle().expect("h"))
        .send()
        .await
        .expect("deleted");
    sqs.receive_message().queue_url(&url).send().await.expect("an empty receive");
    let from = cloud.cloud.ctx.clock.now_ms();
    cloud.advance_settled(Duration::from_secs(2)).await;
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let stat = |name: &'static str, statistic: aws_sdk_cloudwatch::types::Statistic| {
        let cw = cw.clone();
        async move {
            let out = cw
                .get_metric_statistics()
                .namespace("AWS/SQS")
                .metric_name(name)
                .dimensions(aws_sdk_cloudwatch::types::Dimension::builder().name("QueueName").value("m").build())
                .start_time(aws_smithy_types::DateTime::from_millis(from - 60_000))
                .end_time(aws_smithy_types::DateTime::from_millis(from + 60_000))
                .period(120)
                .statistics(statistic)
                .send()
                .await
                .expect("GetMetricStatistics");
            let p = out.datapoints().first().cloned().unwrap_or_else(|| panic!("{name} has a datapoint"));
            p.sum().or(p.maximum()).unwrap_or_default()
        }
    };
    use aws_sdk_cloudwatch::types::Statistic::{Maximum, Sum};
    assert_eq!(stat("NumberOfMessagesSent", Sum).await, 2.0);
    assert_eq!(stat("NumberOfMessagesReceived", Sum).await, 2.0);
    assert_eq!(stat("NumberOfMessagesDeleted", Sum).await, 1.0);
    assert_eq!(stat("NumberOfEmptyReceives", Sum).await, 1.0);
    assert_eq!(stat("SentMessageSize", Sum).await, 15.0);
    assert_eq!(stat("ApproximateNumberOfMessagesVisible", Maximum).await, 0.0);
    assert_eq!(stat("ApproximateNumberOfMessagesNotVisible", Maximum).await, 1.0);
    assert!(stat("ApproximateAgeOfOldestMessage", Maximum).await >= 1.0);
}

#[tokio::test]
async fn a_message_sent_through_the_contexts_queue_sink_is_received_by_a_client() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "dlq", &[]).await;
    let ctx = cloud.cloud.ctx.clone();
    let id = tokio::task::spawn_blocking(move || {
        ctx.queue_sender.send_message("arn:aws:sqs:us-east-1:000000000000:dlq", r#"{"a":1}"#)
    })
    .await
    .expect("joins")
    .expect("sent through the sink");
    let got = sqs.receive_message().queue_url(&url).send().await.expect("received");
    assert_eq!(got.messages()[0].message_id(), Some(id.as_str()));
    assert_eq!(got.messages()[0].body(), Some(r#"{"a":1}"#));
    let ctx = cloud.cloud.ctx.clone();
    let missing = tokio::task::spawn_blocking(move || {
        ctx.queue_sender.send_message("arn:aws:sqs:us-east-1:000000000000:gone", "x")
    })
    .await
    .expect("joins")
    .unwrap_err();
    assert_eq!(missing.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert!(missing.message.contains(":gone"), "{}", missing.message);
}
