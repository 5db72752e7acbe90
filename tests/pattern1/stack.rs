//! Pattern 1 deployed by the console, and the ways a test reaches what the stack made: its API (signed
//! POSTs to the stage the `ProxyApiEndpoint` output names, mapped to the local path by the crate's one
//! mapping), the consumer's log group, the dead-letter queue and the stream.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::TestCloud;
use crate::support::raw::Raw;

pub const PATTERN: &str = "apigw-kds-lambda";

/// What a deployment of pattern 1 made, by the names a user reads from the stack.
pub struct Pattern1 {
    pub stack: String,
    pub api_id: String,
    /// The stage's path on the local cloud (`/_aws/execute-api/{api}/prod/`), from the AWS URL output.
    pub stage_path: String,
    pub stream: String,
    pub stream_arn: String,
    pub function: String,
    /// Where the consumer logs: its `LoggingConfig.LogGroup` (the template's ConsumerLogGroup).
    pub log_group: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub dashboard: String,
}

/// `kinesis-console deploy apigw-kds-lambda` (the stack takes the pattern's name) with `-p` parameters,
/// the clock moved while it waits; fails the test unless the stack ends CREATE_COMPLETE.
pub async fn deploy(cloud: &TestCloud, params: &[&str]) -> Pattern1 {
    let mut args = vec!["deploy", PATTERN];
    for p in params {
        args.extend(["-p", p]);
    }
    let mut cmd = cloud.console_command(&args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cloud.run_advancing(cmd, Duration::from_secs(180)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "deploy failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CREATE_COMPLETE"), "deploy reports the stack complete:\n{stdout}");

    let config = cloud.sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let described = cfn.describe_stacks().stack_name(PATTERN).send().await.expect("DescribeStacks");
    let outputs: BTreeMap<String, String> = described.stacks()[0]
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect();
    let output = |k: &str| outputs.get(k).cloned().unwrap_or_else(|| panic!("no output {k}: {outputs:?}"));

    let endpoint = output("ProxyApiEndpoint");
    assert!(endpoint.starts_with("https://") && endpoint.contains(".execute-api.us-east-1."), "{endpoint}");
    let local = kinesis_console::execute_api::local_url(&endpoint, cloud.url())
        .unwrap_or_else(|| panic!("{endpoint} maps to the local cloud"));
    let stage_path = local.strip_prefix(cloud.url()).expect("under the endpoint").to_string();

    let stream = output("DataStreamName");
    let k = aws_sdk_kinesis::Client::new(&config);
    let summary = k.describe_stream_summary().stream_name(&stream).send().await.expect("DescribeStreamSummary");
    let stream_arn = summary.stream_description_summary().expect("a summary").stream_arn().to_string();

    let function_arn = output("LambdaConsumerArn");
    let lambda = aws_sdk_lambda::Client::new(&config);
    let got = lambda.get_function().function_name(&function_arn).send().await.expect("GetFunction");
    let conf = got.configuration().expect("a configuration");
    let function = conf.function_name().expect("a name").to_string();
    let log_group = conf.logging_config().and_then(|l| l.log_group()).expect("a log group").to_string();

    let queue_url = output("DeadLetterQueueUrl");
    let sqs = aws_sdk_sqs::Client::new(&config);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    let queue_arn = attrs
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("a queue ARN")
        .clone();

    Pattern1 {
        stack: PATTERN.to_string(),
        api_id: output("ProxyApiId"),
        stage_path,
        stream,
        stream_arn,
        function,
        log_group,
        queue_url,
        queue_arn,
        dashboard: output("DashboardName"),
    }
}

impl Pattern1 {
    /// `POST {stage}/records` with `records` as (partition key, data), signed for `execute-api`; the
    /// status and the answer's JSON.
    pub async fn post_records(&self, cloud: &TestCloud, records: &[(String, String)]) -> (u16, Value) {
        let items: Vec<Value> =
            records.iter().map(|(k, d)| serde_json::json!({"data": d, "partitionKey": k})).collect();
        let body = serde_json::json!({ "records": items }).to_string();
        let path = format!("{}records", self.stage_path);
        let raw = cloud.sign(Raw::post(&path, &[("content-type", "application/json")], body), "execute-api");
        let (status, _, answer) = raw.send(cloud.url()).await;
        let json = serde_json::from_slice(&answer)
            .unwrap_or_else(|e| panic!("{status} without JSON ({e}): {}", String::from_utf8_lossy(&answer)));
        (status, json)
    }
}

/// Every message of a log group, in the order FilterLogEvents gives them (time, then as written).
pub async fn log_messages(logs: &aws_sdk_cloudwatchlogs::Client, group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name(group)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("FilterLogEvents {group}: {e:?}"));
        out.extend(page.events().iter().filter_map(|e| e.message().map(str::to_string)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

/// The documents the consumer logged as `Decoded payload: …`, in log order.
pub fn decoded(messages: &[String]) -> Vec<Value> {
    messages
        .iter()
        .filter_map(|m| m.split_once("Decoded payload: "))
        .map(|(_, p)| serde_json::from_str(p.trim()).unwrap_or_else(|e| panic!("a logged payload ({e}): {p}")))
        .collect()
}

/// The data of the record at `seq` in `shard`, read as an operator would from a failure record.
pub async fn record_at(cloud: &TestCloud, stream: &str, shard: &str, seq: &str) -> Vec<u8> {
    let k = aws_sdk_kinesis::Client::new(&cloud.sdk_config().await);
    let it = k
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(seq)
        .send()
        .await
        .expect("GetShardIterator AT_SEQUENCE_NUMBER");
    let got = k.get_records().shard_iterator(it.shard_iterator().expect("an iterator")).limit(1).send().await;
    let got = got.expect("GetRecords");
    let record = got.records().first().unwrap_or_else(|| panic!("no record at {seq} in {shard}"));
    assert_eq!(record.sequence_number(), seq);
    record.data().as_ref().to_vec()
}

/// Moves the clock a second at a time, at most `secs` seconds, until `check` holds.
pub async fn until(cloud: &TestCloud, secs: u64, what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..secs {
        if check().await {
            return;
        }
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
    assert!(check().await, "{what}: not within {secs} s of cloud time");
}
