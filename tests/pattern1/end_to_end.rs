//! Pattern 1 end to end on the virtual clock: the console deploys `apigw-kds-lambda`, 1,000 numbered
//! records under eight partition keys go through `POST /records`, and the consumer's log shows each
//! once and every key's records in order; then a batch holding one record that is not JSON ends as one
//! failure record in the dead-letter queue after the configured retries, bisection letting the rest of
//! its batch through; the dead-letter-queue alarm fires and the stack's dashboard, read through the
//! console, shows invocations, iterator age and the queue's depth.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use kinesis_console::control::dashboard::fetch::load;
use kinesis_console::control::dashboard::period::PeriodRule;
use kinesis_console::control::dashboard::plan::TimeRange;

use crate::stack::{self, Pattern1};
use crate::support::TestCloud;

const KEYS: usize = 8;
const RECORDS: usize = 1_000;
const PER_POST: usize = 100;
/// The mapping's settings, as deploy parameters.
const BATCH_SIZE: &str = "BatchSize=25";
const PARALLELIZATION: &str = "ParallelizationFactor=2";
const RETRIES: u64 = 2;

/// Record `j` of the run: key `sensor-{j % 8}`, numbered within its key.
fn record(j: usize) -> (String, String) {
    let key = format!("sensor-{}", j % KEYS);
    let data = serde_json::json!({ "key": key, "n": j / KEYS }).to_string();
    (key, data)
}

/// The numbers logged per key, in log order.
fn by_key(decoded: &[Value]) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for v in decoded {
        let (Some(k), Some(n)) = (v["key"].as_str(), v["n"].as_u64()) else { panic!("a payload of the test: {v}") };
        out.entry(k.to_string()).or_default().push(n);
    }
    out
}

async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("GetQueueAttributes");
    let attrs = out.attributes().expect("attributes");
    attrs[&QueueAttributeName::ApproximateNumberOfMessages].parse().expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern1_carries_every_record_from_the_api_to_the_consumer_and_failures_to_the_dlq() {
    let cloud = TestCloud::start_virtual().await;
    let retries = format!("MaxRetryAttempts={RETRIES}");
    let p = stack::deploy(&cloud, &[BATCH_SIZE, PARALLELIZATION, retries.as_str()]).await;
    let config = cloud.sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);

    let sent: Vec<(String, String)> = (0..RECORDS).map(record).collect();
    for chunk in sent.chunks(PER_POST) {
        let (status, answer) = p.post_records(&cloud, chunk).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["FailedRecordCount"], 0, "{answer}");
        assert_eq!(answer["Records"].as_array().map(Vec::len), Some(chunk.len()));
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
    stack::until(&cloud, 120, "1,000 records logged by the consumer", async || {
        stack::decoded(&stack::log_messages(&logs, &p.log_group).await).len() >= RECORDS
    })
    .await;
    cloud.advance_settled(Duration::from_secs(3)).await;
    let first_run = by_key(&stack::decoded(&stack::log_messages(&logs, &p.log_group).await));
    assert_eq!(first_run.len(), KEYS, "{:?}", first_run.keys());
    for (key, numbers) in &first_run {
        let want: Vec<u64> = (0..(RECORDS / KEYS) as u64).collect();
        assert!(numbers == &want, "{key}: each record once, in order; logged {numbers:?}");
    }

    streams_are_named_after_the_function(&logs, &p).await;

    let (bad_seq, bad_shard) = bisected_failure(&cloud, &p, &logs, &sqs).await;

    // The bad batch changed nothing of the first run: still each record once.
    let after = by_key(&stack::decoded(&stack::log_messages(&logs, &p.log_group).await));
    for (key, numbers) in &first_run {
        assert_eq!(&after[key], numbers, "{key} after the failing batch");
    }

    dlq_alarm_fires(&cloud, &p).await;
    dashboard_shows_the_pipeline(&cloud, &p, &logs).await;
    crate::aws_cli::sees_the_stack(&cloud, &p, &bad_seq);
    failure_record_is_lambdas(&cloud, &sqs, &p, &bad_seq, &bad_shard).await;
}

/// The template gives the function its own log group (`LoggingConfig.LogGroup`); Lambda names the
/// streams of such a group `YYYY/MM/DD/<function>[<version>]<environment id>`, as its guide documents.
async fn streams_are_named_after_the_function(logs: &aws_sdk_cloudwatchlogs::Client, p: &Pattern1) {
    let described = logs.describe_log_streams().log_group_name(&p.log_group).send().await.expect("DescribeLogStreams");
    let names: Vec<&str> = described.log_streams().iter().filter_map(|s| s.log_stream_name()).collect();
    assert!(!names.is_empty(), "the consumer wrote to {}", p.log_group);
    for name in names {
        let (date, rest) = name.split_at(name.len().min(11));
        let hex = rest.strip_prefix(&format!("{}[$LATEST]", p.function));
        let dated = date.len() == 11 && date.chars().enumerate().all(|(i, c)| [4, 7, 10].contains(&i) == (c == '/'));
        assert!(
            dated && hex.is_some_and(|h| h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit())),
            "{name} is not YYYY/MM/DD/{}[$LATEST]<32 hex>",
            p.function
        );
    }
}

/// Eight records of one key, the sixth not JSON: the function fails the batch, the mapping bisects it
/// until the bad record is alone, retries that alone, then sends one failure record to the queue.
/// Returns the bad record's sequence number and shard.
async fn bisected_failure(
    cloud: &TestCloud,
    p: &Pattern1,
    logs: &aws_sdk_cloudwatchlogs::Client,
    sqs: &aws_sdk_sqs::Client,
) -> (String, String) {
    let batch: Vec<(String, String)> = (0..8)
        .map(|i| {
            let data =
                if i == 5 { "not json".to_string() } else { serde_json::json!({"key": "mixed", "n": i}).to_string() };
            ("mixed".to_string(), data)
        })
        .collect();
    let (status, answer) = p.post_records(cloud, &batch).await;
    assert_eq!((status, &answer["FailedRecordCount"]), (200, &Value::from(0)), "{answer}");
    let bad_seq = answer["Records"][5]["SequenceNumber"].as_str().expect("a sequence number").to_string();
    let bad_shard = answer["Records"][5]["ShardId"].as_str().expect("a shard").to_string();

    stack::until(cloud, 60, "a failure record in the dead-letter queue", async || {
        queue_depth(sqs, &p.queue_url).await > 0
    })
    .await;
    cloud.advance_settled(Duration::from_secs(5)).await;
    assert_eq!(queue_depth(sqs, &p.queue_url).await, 1, "one failure record, for the one bad record");

    let messages = stack::log_messages(logs, &p.log_group).await;
    let mut logged: BTreeMap<u64, usize> = BTreeMap::new();
    for v in stack::decoded(&messages).iter().filter(|v| v["key"] == "mixed") {
        *logged.entry(v["n"].as_u64().expect("n")).or_default() += 1;
    }
    // The template's code logs each record before it meets the bad one, so a failing invocation logs
    // the records ahead of it again. Halving 0–7 runs [0–7] ✗, [0–3] ✓, [4–7] ✗, [4,5] ✗, [4] ✓, [5] ✗
    // (and its retries), [6,7] ✓: 0–3 are logged twice, 4 four times, 6 and 7 once, 5 never.
    let want: BTreeMap<u64, usize> = [(0, 2), (1, 2), (2, 2), (3, 2), (4, 4), (6, 1), (7, 1)].into_iter().collect();
    assert_eq!(logged, want, "the other records of the batch reach the log, split in halves");
    let failures =
        messages.iter().filter(|m| m.contains(&format!("record {bad_seq} (partition key mixed) is not JSON")));
    // Invocations that carried it: 8, 4, 2, then alone; splits use no retry, then MaxRetryAttempts.
    assert_eq!(failures.count() as u64, 4 + RETRIES, "invocations that failed on the bad record");
    (bad_seq, bad_shard)
}

/// The stack's `<stack>-dlq-depth` alarm (Maximum of ApproximateNumberOfMessagesVisible over a minute,
/// above 0) goes to ALARM within minutes of cloud time.
async fn dlq_alarm_fires(cloud: &TestCloud, p: &Pattern1) {
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let name = format!("{}-dlq-depth", p.stack);
    let mut state = None;
    for _ in 0..36 {
        let out = cw.describe_alarms().alarm_names(&name).send().await.expect("DescribeAlarms");
        let alarm = out.metric_alarms().first().unwrap_or_else(|| panic!("no alarm {name}"));
        state = alarm.state_value().cloned();
        if state == Some(StateValue::Alarm) {
            return;
        }
        cloud.advance_settled(Duration::from_secs(10)).await;
    }
    panic!("{name} is {state:?} after 6 minutes with a message in the queue");
}

fn widget<'v>(view: &'v Value, title: &str) -> &'v Value {
    let widgets = view["widgets"].as_array().expect("widgets");
    widgets.iter().find(|w| w["title"] == title).unwrap_or_else(|| panic!("no widget {title}: {view:#}"))
}

fn values(w: &Value) -> Vec<f64> {
    let series = w["series"].as_array().expect("series");
    series.iter().flat_map(|s| s["values"].as_array().cloned().unwrap_or_default()).filter_map(|v| v.as_f64()).collect()
}

/// The stack's dashboard, read as `dashboard show` reads it (GetDashboard, DescribeAlarms, one planned
/// GetMetricData, mapped per widget) over the last hour of the cloud's clock: every invocation the log
/// started, an iterator age above zero, and the queue's depth with its alarm in ALARM.
async fn dashboard_shows_the_pipeline(cloud: &TestCloud, p: &Pattern1, logs: &aws_sdk_cloudwatchlogs::Client) {
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let range = TimeRange::last(3600, cloud.cloud.ctx.clock.now_ms());
    let (_, plan, _, view) = load(&cw, &p.dashboard, range, PeriodRule::Fixed(60)).await.expect("the dashboard loads");
    assert_eq!(plan.calls.len(), 1, "one GetMetricData call");
    let view = serde_json::to_value(&view).expect("the view as JSON");
    let view = &view;

    let started = stack::log_messages(logs, &p.log_group).await.iter().filter(|m| m.starts_with("START")).count();
    let invocations = widget(view, "Invocations");
    assert_eq!(invocations["problems"], serde_json::json!([]), "{invocations:#}");
    assert_eq!(
        values(invocations).iter().sum::<f64>(),
        started as f64,
        "Invocations: one per START line: {invocations:#}"
    );

    let age = widget(view, "IteratorAge");
    let oldest = values(age).into_iter().fold(0.0, f64::max);
    // The bad record waited through its retries, a second apart, before it was discarded.
    assert!(oldest >= (RETRIES * 1000) as f64, "IteratorAge (Maximum) shows the waiting: {age:#}");

    let depth = widget(view, "Dead-letter queue depth (Messages)");
    assert_eq!(values(depth).into_iter().fold(0.0, f64::max), 1.0, "the queue's depth: {depth:#}");
    let alarm = &depth["alarms"][0];
    assert_eq!(alarm["name"], format!("{}-dlq-depth", p.stack));
    assert_eq!(alarm["state"], "ALARM", "{depth:#}");
}

/// The failure record, read with aws-sdk-sqs, is the invocation record Lambda documents for a Kinesis
/// source: the bad record's position, the condition, the invocations and the function's error.
async fn failure_record_is_lambdas(
    cloud: &TestCloud,
    sqs: &aws_sdk_sqs::Client,
    p: &Pattern1,
    bad_seq: &str,
    bad_shard: &str,
) {
    let got = sqs
        .receive_message()
        .queue_url(&p.queue_url)
        .max_number_of_messages(10)
        .visibility_timeout(600)
        .send()
        .await
        .expect("ReceiveMessage");
    assert_eq!(got.messages().len(), 1, "{:?}", got.messages());
    let body: Value = serde_json::from_str(got.messages()[0].body().expect("a body")).expect("a JSON body");
    let context = &body["requestContext"];
    assert_eq!(context["condition"], "RetryAttemptsExhausted", "{body:#}");
    assert_eq!(context["functionArn"], format!("arn:aws:lambda:us-east-1:000000000000:function:{}", p.function));
    assert_eq!(context["approximateInvokeCount"], 4 + RETRIES, "{body:#}");
    assert!(context["requestId"].as_str().is_some_and(|id| id.len() == 36), "{body:#}");
    assert_eq!(body["responseContext"]["functionError"], "Unhandled");
    assert_eq!(body["responseContext"]["statusCode"], 200);
    assert_eq!(body["version"], "1.0");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{body:#}");
    let info = &body["KinesisBatchInfo"];
    assert_eq!(info["shardId"], bad_shard);
    assert_eq!(info["startSequenceNumber"], bad_seq);
    assert_eq!(info["endSequenceNumber"], bad_seq);
    assert_eq!(info["batchSize"], 1, "bisection left the bad record alone");
    assert_eq!(info["streamArn"], p.stream_arn.as_str());
    assert_eq!(info["approximateArrivalOfFirstRecord"], info["approximateArrivalOfLastRecord"]);
    // Nothing of the record itself is in it: the position is how an operator finds it on the stream.
    assert!(!body.to_string().contains("not json"), "{body:#}");
    let on_stream = stack::record_at(cloud, &p.stream, bad_shard, bad_seq).await;
    assert_eq!(on_stream, b"not json", "the failure record points at the bad record on the stream");
}
