//! `dlq <stack>` as a process against `local serve --virtual-clock`: a stack with a DeadLetterQueue
//! holding failure records of the shape Lambda documents for Kinesis event sources; peek decodes
//! them to stream positions and leaves them in the queue; purge asks, honours --read-only and --yes.

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::bin;
use crate::support::served::{Served, serve_with};

const STACK: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  DeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 345600
Outputs:
  DeadLetterQueueUrl:
    Value: !Ref DeadLetterQueue
"#;

const BARE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
"#;

/// A failure record as AWS's Lambda documentation shows it for a Kinesis on-failure destination.
fn record(shard: &str, start: &str, end: &str, size: u64) -> String {
    json!({
        "requestContext": {
            "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:consumer",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-29T06:00:06.021Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "approximateArrivalOfFirstRecord": "2026-11-29T06:00:04.835Z",
            "approximateArrivalOfLastRecord": "2026-11-29T06:00:05.580Z",
            "batchSize": size,
            "streamArn": "arn:aws:kinesis:us-east-1:000000000000:stream/pipe-stream"
        }
    })
    .to_string()
}

struct Setup {
    _served: Served,
    dir: tempfile::TempDir,
    url: String,
    sqs: aws_sdk_sqs::Client,
}

impl Setup {
    fn console(&self, args: &[&str]) -> Output {
        bin()
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("kinesis-console runs")
    }

    async fn depth(&self) -> String {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("GetQueueAttributes");
        out.attributes().and_then(|a| a.values().next().cloned()).unwrap_or_default()
    }
}

async fn create_stack(cfn: &aws_sdk_cloudformation::Client, name: &str, template: &str) {
    cfn.create_stack().stack_name(name).template_body(template).send().await.expect("CreateStack");
    crate::support::eventually(Duration::from_secs(30), "the stack to complete", || async {
        let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
        let status = out.stacks().first()?.stack_status()?.as_str().to_string();
        assert!(!status.contains("FAILED") && !status.contains("ROLLBACK"), "{name}: {status}");
        (status == "CREATE_COMPLETE").then_some(())
    })
    .await;
}

async fn setup() -> Setup {
    crate::support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--virtual-clock"]);
    let sdk = kinesis_console::target::local_sdk_config(&served.endpoint()).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    create_stack(&cfn, "pipe", STACK).await;
    create_stack(&cfn, "bare", BARE).await;
    let outputs = cfn.describe_stacks().stack_name("pipe").send().await.expect("DescribeStacks");
    let url = outputs.stacks()[0].outputs()[0].output_value().expect("the queue URL").to_string();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let bodies = [
        record(
            "shardId-000000000000",
            "49660000000000000000000000000000000000000000000000000001",
            "49660000000000000000000000000000000000000000000000000099",
            100,
        ),
        record(
            "shardId-000000000001",
            "49660000000000000000000000000000000000000000000000000200",
            "49660000000000000000000000000000000000000000000000000200",
            1,
        ),
        "not a failure record".to_string(),
    ];
    for body in bodies {
        sqs.send_message().queue_url(&url).message_body(body).send().await.expect("SendMessage");
    }
    Setup { _served: served, dir, url, sqs }
}

fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn failed(out: Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what} fails: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlq_peeks_decodes_and_purges_a_stacks_dead_letter_queue() {
    let s = setup().await;

    let text = ok(s.console(&["dlq", "pipe"]), "dlq");
    assert!(text.starts_with(&format!("Queue {}: 3 messages visible", s.url)), "{text}");
    assert!(text.contains("RetryAttemptsExhausted"), "{text}");
    assert!(text.contains("stream pipe-stream shard shardId-000000000000: 100 records"), "{text}");
    assert!(
        text.contains("kinesis-console tail pipe-stream --shard shardId-000000000001 --from 49660000000000000000000000000000000000000000000000000200 --count 1"),
        "the stream position as a command: {text}"
    );
    assert!(text.contains("not a Lambda invocation record: not a failure record"), "{text}");
    assert_eq!(s.depth().await, "3", "peeking leaves every message in the queue");

    let doc: Value =
        serde_json::from_str(&ok(s.console(&["--output", "json", "dlq", "pipe", "--peek", "2"]), "json")).unwrap();
    let messages = doc["peek"]["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    let first = &messages[0]["content"];
    assert_eq!(first["kind"], "failure_record");
    // The record keeps AWS's member names, so a script reads it as it would the message itself.
    assert_eq!(first["KinesisBatchInfo"]["shardId"], "shardId-000000000000");
    assert_eq!(first["KinesisBatchInfo"]["batchSize"], 100);
    assert_eq!(first["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(doc["peek"]["visible"], 3);

    let by_url = ok(s.console(&["--output", "json", "dlq", "--queue", &s.url, "--peek", "5"]), "--queue");
    let by_url: Value = serde_json::from_str(&by_url).unwrap();
    assert_eq!(by_url["peek"]["messages"].as_array().map(Vec::len), Some(3));

    let err = failed(s.console(&["dlq", "bare"]), "a stack without a queue");
    assert!(err.contains("stack bare: it has no SQS queue"), "{err}");

    let err = failed(s.console(&["--read-only", "dlq", "pipe", "--purge", "--yes"]), "read-only purge");
    assert!(err.contains("--read-only"), "{err}");
    let err = failed(s.console(&["dlq", "pipe", "--purge"]), "purge without a terminal");
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(s.depth().await, "3", "refused purges deleted nothing");

    let purged = ok(s.console(&["dlq", "pipe", "--purge", "--yes"]), "purge");
    assert!(purged.contains("3 messages deleted"), "{purged}");
    assert_eq!(s.depth().await, "0");
}
