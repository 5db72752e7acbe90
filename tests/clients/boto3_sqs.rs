//! boto3 1.35 and a current boto3 make the same SQS calls and must get the same answers. Both speak
//! awsJson 1.0 to SQS: botocore's SQS model has been JSON (`awsQueryCompatible`) since before 1.35, so
//! the awsQuery side of SQS is tested with signed forms in `tests/sqs/query.rs`.

use serde_json::{Value, json};

use crate::support::{self, TestCloud};
use crate::{BOTO3_RELEASES, run_script};

async fn answers(release: &str) -> Option<Value> {
    let python = support::python_client(release)?;
    let cloud = TestCloud::start_virtual().await;
    Some(run_script(&cloud, &python, "sqs_calls.py", &[cloud.url().to_string()]).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_releases_get_the_same_sqs_answers() {
    let mut runs = Vec::new();
    for release in BOTO3_RELEASES {
        match answers(release).await {
            Some(a) => runs.push((release, a)),
            None => return,
        }
    }
    for (release, a) in &runs {
        assert_eq!(a["protocols"], json!(["awsJson1_0"]), "{release} speaks awsJson 1.0 to SQS");
        assert_eq!(a["CreateQueue again"]["QueueUrl"], "/000000000000/orders", "{release}");
        assert_eq!(a["CreateQueue conflict"]["error"], "QueueAlreadyExists", "{release}");
        assert_eq!(a["GetQueueUrl missing"]["error"], "AWS.SimpleQueueService.NonExistentQueue", "{release}");
        assert_eq!(a["GetQueueUrl missing"]["status"], 400, "{release}");
        let batch = &a["SendMessageBatch"];
        assert_eq!(batch["Successful"][0]["Id"], "a", "{release}");
        assert_eq!(batch["Failed"][0]["Id"], "b", "{release}");
        assert_eq!(batch["Failed"][0]["Code"], "InvalidParameterValue", "{release}");
        let messages = a["ReceiveMessage"]["Messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2, "{release}");
        let hello = &messages[1];
        assert_eq!(hello["Body"], "héllo <world>", "{release}");
        assert_eq!(hello["MessageAttributes"]["n"]["StringValue"], "7", "{release}");
        assert_eq!(hello["Attributes"]["ApproximateReceiveCount"], "1", "{release}");
        assert_eq!(
            a["GetQueueAttributes"]["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0",
            "{release}: VisibilityTimeout 0"
        );
        assert_eq!(a["SetQueueAttributes bad"]["error"], "InvalidAttributeValue", "{release}");
        assert_eq!(a["DeleteMessageBatch"]["Successful"].as_array().map(Vec::len), Some(2), "{release}");
        assert_eq!(a["DeleteMessageBatch"]["Failed"][0]["Code"], "ReceiptHandleIsInvalid", "{release}");
        assert_eq!(a["DeleteMessage bad handle"]["error"], "ReceiptHandleIsInvalid", "{release}");
        assert_eq!(a["ListQueueTags"]["Tags"], json!({"team": "data"}), "{release}");
        assert_eq!(a["ListQueues"]["QueueUrls"], json!(["/000000000000/orders"]), "{release}");
        assert_eq!(a["PurgeQueue again"]["error"], "AWS.SimpleQueueService.PurgeQueueInProgress", "{release}");
        assert_eq!(a["SendMessage deleted"]["error"], "AWS.SimpleQueueService.NonExistentQueue", "{release}");
    }
    assert_eq!(runs[0].1, runs[1].1, "boto3 1.35 and current boto3 got different answers");
}

/// The `aws` CLI's `sqs receive-message` sees what a client sent, attributes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_receives_what_was_sent() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = aws_sdk_sqs::Client::new(&cloud.sdk_config().await);
    let url =
        sqs.create_queue().queue_name("dlq").send().await.expect("CreateQueue").queue_url().expect("url").to_string();
    sqs.send_message().queue_url(&url).message_body(r#"{"failed":true}"#).send().await.expect("SendMessage");
    let Some(got) = cloud.aws_json(&["sqs", "receive-message", "--queue-url", &url, "--attribute-names", "All"]) else {
        return;
    };
    assert_eq!(got["Messages"][0]["Body"], r#"{"failed":true}"#);
    assert_eq!(got["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "1");
    let attrs = cloud.aws_json(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &url,
        "--attribute-names",
        "ApproximateNumberOfMessagesNotVisible",
    ]);
    assert_eq!(attrs.expect("the CLI ran before")["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "1");
}
