use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::ShardIteratorType;

use super::*;

fn md5_hash(key: &str) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(key.as_bytes()).into())
}

#[tokio::test]
async fn every_record_comes_back_from_the_shard_its_key_hashes_to() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "ticks", 4).await;
    let mut sent = BTreeMap::new();
    for batch in 0..3 {
        let entries: Vec<_> =
            (0..200).map(|i| entry(&format!("key-{batch}-{i}"), &format!("rec-{batch}-{i}"))).collect();
        let out = k.put_records().stream_name("ticks").set_records(Some(entries)).send().await.expect("PutRecords");
        assert_eq!(out.failed_record_count(), Some(0));
        for (i, r) in out.records().iter().enumerate() {
            let seq = r.sequence_number().expect("sequence number");
            assert_eq!(seq.len(), 56);
            sent.insert(
                format!("rec-{batch}-{i}"),
                (format!("key-{batch}-{i}"), r.shard_id().expect("shard").to_string(), seq.to_string()),
            );
        }
    }
    let shards = k.list_shards().stream_name("ticks").send().await.expect("ListShards");
    assert_eq!(shards.shards().len(), 4);
    let mut seen = HashSet::new();
    for shard in shards.shards() {
        let range = shard.hash_key_range().expect("range");
        let (lo, hi): (u128, u128) =
            (range.starting_hash_key().parse().unwrap(), range.ending_hash_key().parse().unwrap());
        let it = iterator(&k, "ticks", shard.shard_id(), ShardIteratorType::TrimHorizon).await;
        let records = drain(&k, it).await;
        let mut last = String::new();
        for r in &records {
            let (key, shard_id, seq) = &sent[&text(r)];
            assert_eq!(r.partition_key(), Some(key.as_str()));
            assert_eq!(shard_id, shard.shard_id());
            assert_eq!(r.sequence_number(), seq);
            assert!(r.sequence_number() > last.as_str(), "sequence numbers increase within a shard");
            assert!((lo..=hi).contains(&md5_hash(key)));
            last = r.sequence_number().to_string();
            assert!(seen.insert(text(r)));
        }
    }
    assert_eq!(seen.len(), 600);
}

#[tokio::test]
async fn explicit_hash_keys_choose_the_shard() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "routed", 2).await;
    let low = k
        .put_record()
        .stream_name("routed")
        .partition_key("x")
        .explicit_hash_key("0")
        .data(Blob::new("a"))
        .send()
        .await
        .unwrap();
    let high = k
        .put_record()
        .stream_name("routed")
        .partition_key("x")
        .explicit_hash_key(u128::MAX.to_string())
        .data(Blob::new("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(low.shard_id(), "shardId-000000000000");
    assert_eq!(high.shard_id(), "shardId-000000000001");
}

#[tokio::test]
async fn each_iterator_type_starts_where_aws_says() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "its", 1).await;
    let shard = "shardId-000000000000";
    let put = |d: &'static str| {
        let k = k.clone();
        async move {
            k.put_record()
                .stream_name("its")
                .partition_key("p")
                .data(Blob::new(d))
                .send()
                .await
                .unwrap()
                .sequence_number()
                .to_string()
        }
    };
    let s1 = put("one").await;
    let s2 = put("two").await;
    let latest = iterator(&k, "its", shard, ShardIteratorType::Latest).await;
    cloud.advance(Duration::from_secs(10));
    let t3 = cloud.cloud.ctx.clock.now_ms();
    let _s3 = put("three").await;

    let all: Vec<String> =
        drain(&k, iterator(&k, "its", shard, ShardIteratorType::TrimHorizon).await).await.iter().map(text).collect();
    assert_eq!(all, ["one", "two", "three"]);
    let after_latest: Vec<String> = drain(&k, latest).await.iter().map(text).collect();
    assert_eq!(after_latest, ["three"]);

    let at = k
        .get_shard_iterator()
        .stream_name("its")
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(&s2);
    let at: Vec<String> =
        drain(&k, at.send().await.unwrap().shard_iterator().unwrap().to_string()).await.iter().map(text).collect();
    assert_eq!(at, ["two", "three"]);
    let after = k
        .get_shard_iterator()
        .stream_name("its")
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
        .starting_sequence_number(&s1);
    let after: Vec<String> =
        drain(&k, after.send().await.unwrap().shard_iterator().unwrap().to_string()).await.iter().map(text).collect();
    assert_eq!(after, ["two", "three"]);
    let ts = k
        .get_shard_iterator()
        .stream_name("its")
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .timestamp(DateTime::from_millis(t3));
    let ts: Vec<String> =
        drain(&k, ts.send().await.unwrap().shard_iterator().unwrap().to_string()).await.iter().map(text).collect();
    assert_eq!(ts, ["three"]);
}

#[tokio::test]
async fn get_records_reports_how_far_behind_the_reader_is() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "lag", 1).await;
    for i in 0..3 {
        k.put_record().stream_name("lag").partition_key("p").data(Blob::new(format!("r{i}"))).send().await.unwrap();
        cloud.advance(Duration::from_secs(1));
    }
    let it = iterator(&k, "lag", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let first = k.get_records().shard_iterator(&it).limit(1).send().await.unwrap();
    assert_eq!(first.records().len(), 1);
    assert_eq!(first.millis_behind_latest(), Some(3000));
    let rest = k.get_records().shard_iterator(first.next_shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(rest.records().len(), 2);
    assert_eq!(rest.millis_behind_latest(), Some(0));
}

#[tokio::test]
async fn iterators_expire_after_five_minutes_of_cloud_time() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "old", 1).await;
    let it = iterator(&k, "old", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    cloud.advance(Duration::from_secs(300));
    let fresh = k.get_records().shard_iterator(&it).send().await.expect("still valid at exactly five minutes");
    cloud.advance(Duration::from_millis(300_001));
    let err = k.get_records().shard_iterator(&it).send().await.unwrap_err();
    assert_eq!(code(&err), "ExpiredIteratorException");
    let err = k.get_records().shard_iterator(fresh.next_shard_iterator().unwrap()).send().await.unwrap_err();
    assert_eq!(code(&err), "ExpiredIteratorException");
}

#[tokio::test]
async fn retention_hides_and_trims_old_records() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "kept", 1).await;
    k.put_record().stream_name("kept").partition_key("p").data(Blob::new("old")).send().await.unwrap();
    cloud.advance(Duration::from_secs(23 * 3600));
    k.put_record().stream_name("kept").partition_key("p").data(Blob::new("new")).send().await.unwrap();
    cloud.advance(Duration::from_secs(3600 + 1));
    let shard = "shardId-000000000000";
    let records: Vec<String> =
        drain(&k, iterator(&k, "kept", shard, ShardIteratorType::TrimHorizon).await).await.iter().map(text).collect();
    assert_eq!(records, ["new"]);
    k.increase_stream_retention_period().stream_name("kept").retention_period_hours(48).send().await.unwrap();
    let d = k.describe_stream_summary().stream_name("kept").send().await.unwrap();
    assert_eq!(d.stream_description_summary().unwrap().retention_period_hours(), 48);
}

#[tokio::test]
async fn concurrent_writers_lose_nothing_and_never_share_a_sequence_number() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "busy", 2).await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for b in 0..10 {
                let entries: Vec<_> = (0..50).map(|i| entry(&format!("{w}-{i}"), &format!("{w}-{b}-{i}"))).collect();
                let out = k.put_records().stream_name("busy").set_records(Some(entries)).send().await.unwrap();
                assert_eq!(out.failed_record_count(), Some(0));
                acked.extend(
                    out.records()
                        .iter()
                        .map(|r| (r.shard_id().unwrap().to_string(), r.sequence_number().unwrap().to_string())),
                );
            }
            acked
        }));
    }
    let mut acked = HashSet::new();
    for t in tasks {
        for a in t.await.unwrap() {
            assert!(acked.insert(a), "duplicate sequence number");
        }
    }
    assert_eq!(acked.len(), 4000);
    let mut read = HashSet::new();
    for shard in shard_ids(&k, "busy").await {
        for r in drain(&k, iterator(&k, "busy", &shard, ShardIteratorType::TrimHorizon).await).await {
            assert!(read.insert((shard.clone(), r.sequence_number().to_string())));
        }
    }
    assert_eq!(read, acked);
}

#[tokio::test]
async fn records_come_back_with_their_key_arrival_time_and_bytes_intact() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "exact", 1).await;
    let key = "quote\" backslash\\ ünïcødé \u{1}";
    let data: Vec<u8> = (0..=255u8).collect();
    let now = cloud.cloud.ctx.clock.now_ms();
    k.put_record().stream_name("exact").partition_key(key).data(Blob::new(data.clone())).send().await.unwrap();
    let it = iterator(&k, "exact", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let got = k.get_records().shard_iterator(it).send().await.unwrap();
    let r = &got.records()[0];
    assert_eq!(r.partition_key(), Some(key));
    assert_eq!(r.data().as_ref(), data.as_slice());
    // Epoch seconds travel as a JSON number; the SDK reads it as an f64, whose nearest value to a
    // millisecond instant may fall just below it. Compare through the same conversion.
    let expected = aws_sdk_kinesis::primitives::DateTime::from_secs_f64(now as f64 / 1000.0);
    assert_eq!(r.approximate_arrival_timestamp(), Some(&expected));
    assert!((expected.to_millis().unwrap() - now).abs() <= 1);
}

#[tokio::test]
async fn forged_and_altered_iterators_are_refused() {
    use base64::Engine as _;
    use kinesis_console::cloud::kinesis::keys::{Iter, IteratorKey};

    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "guarded", 1).await;
    k.put_record().stream_name("guarded").partition_key("k").data(Blob::new("secret")).send().await.unwrap();
    let real = iterator(&k, "guarded", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;

    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = b64.decode(&real).unwrap();
    bytes[25] ^= 1;
    let err = k.get_records().shard_iterator(b64.encode(&bytes)).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException", "one flipped byte of a real iterator");

    // The layout is no secret: a client can build an iterator that never expires, but not its tag.
    let parsed = Iter::decode(&real).expect("the cloud's iterator parses");
    let forged = Iter { created_ms: i64::MAX / 2, ..parsed }.encode(&IteratorKey::generate().unwrap());
    let err = k.get_records().shard_iterator(forged).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException", "an iterator built by hand");

    let records = k.get_records().shard_iterator(&real).send().await.unwrap();
    assert_eq!(records.records().iter().map(text).collect::<Vec<_>>(), ["secret"]);
}
