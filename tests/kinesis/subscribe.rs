//! SubscribeToShard (enhanced fan-out) through aws-sdk-kinesis's event stream receiver and the aws CLI.

use std::time::Duration;

use aws_sdk_kinesis::types::{StartingPosition, SubscribeToShardEvent, SubscribeToShardEventStream};

use super::*;

async fn register(k: &Client, stream: &str, name: &str) -> String {
    let arn = k.describe_stream_summary().stream_name(stream).send().await.unwrap();
    let arn = arn.stream_description_summary().unwrap().stream_arn().to_string();
    let c = k.register_stream_consumer().stream_arn(arn).consumer_name(name).send().await.unwrap();
    c.consumer().unwrap().consumer_arn().to_string()
}

fn position(kind: ShardIteratorType, seq: Option<&str>) -> StartingPosition {
    StartingPosition::builder().r#type(kind).set_sequence_number(seq.map(str::to_string)).build().unwrap()
}

type Receiver = aws_sdk_kinesis::primitives::event_stream::EventReceiver<
    SubscribeToShardEventStream,
    aws_sdk_kinesis::types::error::SubscribeToShardEventStreamError,
>;

async fn subscribe(k: &Client, consumer: &str, shard: &str, start: StartingPosition) -> Receiver {
    let out = k.subscribe_to_shard().consumer_arn(consumer).shard_id(shard).starting_position(start).send().await;
    out.expect("SubscribeToShard").event_stream
}

/// The next event, or `None` when the stream ended; fails after 10 s without either.
async fn next_event(rx: &mut Receiver) -> Option<SubscribeToShardEvent> {
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("an event within 10 s");
    match got.expect("a well-formed event stream") {
        Some(SubscribeToShardEventStream::SubscribeToShardEvent(e)) => Some(e),
        Some(other) => panic!("unexpected event {other:?}"),
        None => None,
    }
}

/// Events until `n` records arrived; returns their texts and the last event.
async fn records(rx: &mut Receiver, n: usize) -> (Vec<String>, SubscribeToShardEvent) {
    let mut got = Vec::new();
    loop {
        let e = next_event(rx).await.expect("the stream is still open");
        got.extend(e.records().iter().map(text));
        if got.len() >= n {
            return (got, e);
        }
    }
}

async fn put(k: &Client, stream: &str, texts: &[&str]) {
    for t in texts {
        k.put_record().stream_name(stream).partition_key("k").data(Blob::new(t.as_bytes())).send().await.unwrap();
    }
}

#[tokio::test]
async fn a_consumer_receives_records_as_they_arrive_and_continues_where_it_left_off() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "fan", 1).await;
    put(&k, "fan", &["a", "b", "c"]).await;
    let consumer = register(&k, "fan", "reader").await;
    let shard = "shardId-000000000000";

    let mut first = subscribe(&k, &consumer, shard, position(ShardIteratorType::TrimHorizon, None)).await;
    let (got, _) = records(&mut first, 3).await;
    assert_eq!(got, ["a", "b", "c"]);
    put(&k, "fan", &["d", "e"]).await;
    let (got, last) = records(&mut first, 2).await;
    assert_eq!(got, ["d", "e"]);
    assert_eq!(last.millis_behind_latest(), 0);
    let continuation = last.continuation_sequence_number().to_string();

    let again = k
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id(shard)
        .starting_position(position(ShardIteratorType::Latest, None))
        .send()
        .await
        .expect_err("within 5 s of the last subscription");
    assert_eq!(code(&again), "ResourceInUseException");

    cloud.advance(Duration::from_secs(5));
    let after = position(ShardIteratorType::AfterSequenceNumber, Some(&continuation));
    let mut second = subscribe(&k, &consumer, shard, after).await;
    // A newer subscription takes over; the older one ends with ResourceInUseException (after at most
    // a heartbeat it was already sending).
    let ended = loop {
        let got = tokio::time::timeout(Duration::from_secs(10), first.recv()).await.expect("an answer within 10 s");
        match got {
            Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(e))) => {
                assert!(e.records().is_empty(), "the ended subscription delivers nothing new: {e:?}");
            }
            other => break other,
        }
    };
    let err = ended.expect_err("the old subscription ends with an error");
    assert!(matches!(err.as_service_error(), Some(e) if e.is_resource_in_use_exception()), "{err:?}");
    put(&k, "fan", &["f"]).await;
    let (got, _) = records(&mut second, 1).await;
    assert_eq!(got, ["f"], "continuing after the last record delivered skips nothing and repeats nothing");

    cloud.advance(Duration::from_secs(5 * 60));
    loop {
        if next_event(&mut second).await.is_none() {
            break; // heartbeats may come first; the subscription ends after five minutes
        }
    }

    cloud.advance(Duration::from_secs(1));
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let now = cloud.cloud.ctx.clock.now();
    let sum = |metric: &'static str| {
        let cw = cw.clone();
        async move {
            let out = cw
                .get_metric_statistics()
                .namespace("AWS/Kinesis")
                .metric_name(metric)
                .dimensions(aws_sdk_cloudwatch::types::Dimension::builder().name("StreamName").value("fan").build())
                .dimensions(
                    aws_sdk_cloudwatch::types::Dimension::builder().name("ConsumerName").value("reader").build(),
                )
                .start_time(now.checked_sub(Duration::from_secs(3600)).unwrap().into())
                .end_time(now.into())
                .period(3600)
                .statistics(aws_sdk_cloudwatch::types::Statistic::Sum)
                .send()
                .await
                .expect("GetMetricStatistics");
            out.datapoints().iter().filter_map(|p| p.sum()).sum::<f64>()
        }
    };
    catch_up(&k).await;
    let records = sum("SubscribeToShardEvent.Records").await;
    assert_eq!(records, 6.0, "every record delivered once: a b c d e f");
    assert_eq!(sum("SubscribeToShard.Success").await, 2.0);
    assert_eq!(sum("SubscribeToShard.RateExceeded").await, 1.0);
    assert_eq!(sum("SubscribeToShardEvent.Bytes").await, 12.0, "one byte of data and one of key per record");
}

#[tokio::test]
async fn a_closed_shard_ends_its_subscription_with_its_children() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "split", 1).await;
    put(&k, "split", &["x", "y"]).await;
    let consumer = register(&k, "split", "reader").await;
    k.split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    let mut rx = subscribe(&k, &consumer, "shardId-000000000000", position(ShardIteratorType::TrimHorizon, None)).await;
    let mut got = Vec::new();
    let mut children = Vec::new();
    while let Some(e) = next_event(&mut rx).await {
        got.extend(e.records().iter().map(text));
        children.extend(e.child_shards().iter().map(|c| c.shard_id().to_string()));
    }
    assert_eq!(got, ["x", "y"]);
    assert_eq!(children, ["shardId-000000000001", "shardId-000000000002"]);

    // The aws CLI v1 has no subscribe-to-shard; botocore, which it is built on, reads event streams.
    let Some(python) = support::aws_cli().and_then(|aws| aws.parent().map(|bin| bin.join("python"))) else { return };
    let other = register(&k, "split", "botocore").await;
    let mut botocore = std::process::Command::new(python);
    botocore.args(["-c", BOTOCORE_SUBSCRIBE, cloud.url(), &other, "shardId-000000000000"]);
    let out = cloud.as_client(&mut botocore).output().expect("python runs");
    assert!(out.status.success(), "botocore subscribe_to_shard: {}", String::from_utf8_lossy(&out.stderr));
    let events: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    let data: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["Records"].as_array().unwrap())
        .map(|r| r["Data"].as_str().unwrap())
        .collect();
    assert_eq!(data, ["x", "y"]);
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["ChildShards"].as_array().map(Vec::len), Some(2), "{last}");
}

/// Subscribes with botocore and prints the events it received, with data decoded, as a JSON list.
const BOTOCORE_SUBSCRIBE: &str = r#"
import json, sys, botocore.session
url, consumer, shard = sys.argv[1:4]
client = botocore.session.get_session().create_client("kinesis", region_name="us-east-1", endpoint_url=url)
out = client.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard, StartingPosition={"Type": "TRIM_HORIZON"})
events = []
for event in out["EventStream"]:
    e = event["SubscribeToShardEvent"]
    for r in e["Records"]:
        r["Data"] = r["Data"].decode()
        r["ApproximateArrivalTimestamp"] = str(r["ApproximateArrivalTimestamp"])
    events.append(e)
print(json.dumps(events))
"#;

#[tokio::test]
async fn subscriptions_are_validated() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "checked", 1).await;
    let consumer = register(&k, "checked", "reader").await;
    let refused = |arn: String, shard: &'static str| {
        let k = k.clone();
        async move {
            let out = k
                .subscribe_to_shard()
                .consumer_arn(arn)
                .shard_id(shard)
                .starting_position(position(ShardIteratorType::Latest, None))
                .send()
                .await;
            code(&out.expect_err("refused"))
        }
    };
    assert_eq!(
        refused(consumer.replace("reader", "nobody"), "shardId-000000000000").await,
        "ResourceNotFoundException"
    );
    assert_eq!(refused(consumer.clone(), "shardId-000000000009").await, "ResourceNotFoundException");
    assert_eq!(refused("not-an-arn".into(), "shardId-000000000000").await, "ValidationException");
    let at_without_seq = k
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id("shardId-000000000000")
        .starting_position(position(ShardIteratorType::AtSequenceNumber, None))
        .send()
        .await
        .expect_err("AT_SEQUENCE_NUMBER needs a sequence number");
    assert_eq!(code(&at_without_seq), "InvalidArgumentException");
}

/// SubscribeToShard reads a shard id as GetShardIterator does: any prefix before the number, and
/// AWS's "Could not find shard" for an id that names no number.
#[tokio::test]
async fn a_subscription_names_its_shard_in_any_form_aws_reads() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "forms", 1).await;
    put(&k, "forms", &["a"]).await;
    let consumer = register(&k, "forms", "reader").await;
    let err = k
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id("ABKLFD8")
        .starting_position(position(ShardIteratorType::TrimHorizon, None))
        .send()
        .await
        .expect_err("no shard number");
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Could not find shard ABKLFD8 in stream forms under account 000000000000."));
    let mut rx = subscribe(&k, &consumer, "reader-0", position(ShardIteratorType::TrimHorizon, None)).await;
    let (got, _) = records(&mut rx, 1).await;
    assert_eq!(got, ["a"]);
}
