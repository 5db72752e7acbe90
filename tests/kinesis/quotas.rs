//! What a client can create is capped at AWS's quotas, with AWS's errors, and a create is one step.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_kinesis::types::{ScalingType, StreamMode, StreamModeDetails};

use super::*;

fn on_demand() -> StreamModeDetails {
    StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap()
}

#[tokio::test]
async fn a_hundred_concurrent_creates_of_one_name_make_one_stream() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let k = k.clone();
        tasks.push(tokio::spawn(async move { k.create_stream().stream_name("race").shard_count(1).send().await }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(code(&e), "ResourceInUseException", "{e:?}"),
        }
    }
    assert_eq!(created, 1);
    let streams = k.list_streams().send().await.unwrap();
    assert_eq!(streams.stream_names(), ["race"]);
    assert_eq!(shard_ids(&k, "race").await, ["shardId-000000000000"]);
    let dirs = std::fs::read_dir(cloud.data_dir().join("kinesis/streams")).unwrap().count();
    assert_eq!(dirs, 1, "the refused creates left no directories behind");
}

#[tokio::test]
async fn account_quotas_refuse_streams_and_shards_past_them() {
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.limits = false;
        c.kinesis.shard_limit = Some(10);
        c.kinesis.on_demand_stream_limit = 1;
        c.kinesis.stream_limit = 3;
    })
    .await;
    let k = client(&cloud).await;
    k.create_stream().stream_name("od1").stream_mode_details(on_demand()).send().await.unwrap();
    let err = k.create_stream().stream_name("od2").stream_mode_details(on_demand()).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    assert!(err.message().unwrap().contains("ON_DEMAND"), "{err:?}");
    create(&k, "p1", 3).await;
    let err = k
        .update_stream_mode()
        .stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/p1")
        .stream_mode_details(on_demand())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "LimitExceededException", "a second ON_DEMAND stream by a mode change");

    let err = k.create_stream().stream_name("p2").shard_count(5).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    assert!(err.message().unwrap().contains("shard limit"), "{err:?}");
    create(&k, "p2", 1).await;
    let err = k.create_stream().stream_name("p3").shard_count(1).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    assert!(err.message().unwrap().contains("limit of 3 streams"), "{err:?}");

    let grow = |count| {
        k.update_shard_count().stream_name("p2").target_shard_count(count).scaling_type(ScalingType::UniformScaling)
    };
    grow(2).send().await.unwrap();
    let err = grow(4).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException", "4 + 3 + 4 open shards would pass 10");
    let limits = k.describe_limits().send().await.unwrap();
    assert_eq!(limits.shard_limit(), 10);
    assert_eq!(limits.open_shard_count(), 9);
    assert_eq!((limits.on_demand_stream_count(), limits.on_demand_stream_count_limit()), (1, 1));
}

#[tokio::test]
async fn consumers_and_tags_stop_at_aws_quotas() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "fan", 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/fan";
    for i in 0..20 {
        k.register_stream_consumer().stream_arn(arn).consumer_name(format!("c{i}")).send().await.unwrap();
    }
    let err = k.register_stream_consumer().stream_arn(arn).consumer_name("c20").send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");

    let tags: BTreeMap<String, String> = (0..50).map(|i| (format!("k{i}"), "v".to_string())).collect();
    k.add_tags_to_stream().stream_name("fan").set_tags(Some(tags.clone().into_iter().collect())).send().await.unwrap();
    k.add_tags_to_stream().stream_name("fan").tags("k0", "replaced").send().await.expect("replacing is not adding");
    let err = k.add_tags_to_stream().stream_name("fan").tags("k50", "v").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(err.message().unwrap().contains("more than 50 tags"), "{err:?}");
    let mut many = tags;
    many.insert("k50".into(), "v".into());
    let err = k
        .create_stream()
        .stream_name("tagged")
        .shard_count(1)
        .set_tags(Some(many.into_iter().collect()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
}

#[tokio::test]
async fn at_most_five_consumers_are_creating_at_once() {
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 500;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await;
    let k = client(&cloud).await;
    create(&k, "slow", 1).await;
    cloud.advance(Duration::from_secs(1));
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/slow";
    for i in 0..5 {
        k.register_stream_consumer().stream_arn(arn).consumer_name(format!("c{i}")).send().await.unwrap();
    }
    let err = k.register_stream_consumer().stream_arn(arn).consumer_name("c5").send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    cloud.advance(Duration::from_secs(1));
    k.register_stream_consumer().stream_arn(arn).consumer_name("c5").send().await.expect("the first five are ACTIVE");
}
