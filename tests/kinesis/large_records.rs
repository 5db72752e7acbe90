//! Stream descriptions as the current API model has them (aws-sdk-kinesis 1.130), and the record
//! limits of 2025: records up to the stream's `MaxRecordSizeInKiB` (1 MiB by default, up to 10 MiB, set
//! by CreateStream or UpdateMaxRecordSize), PutRecords requests up to 10 MiB (the API reference:
//! "Each record in the request can be as large as 10 MiB, up to a limit of 10 MiB for the entire
//! request, including partition keys").

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{EncryptionType, PutRecordsRequestEntry, StreamMode, StreamModeDetails};
use kinesis_console::cloud::kinesis::records::MAX_REQUEST_BODY;

use super::*;
use crate::support::raw::Raw;

const MIB: usize = 1024 * 1024;

fn sized(key: &str, bytes: usize) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder().partition_key(key).data(Blob::new(vec![b'x'; bytes])).build().expect("entry")
}

async fn arn(k: &Client, stream: &str) -> String {
    let d = k.describe_stream_summary().stream_name(stream).send().await.expect("DescribeStreamSummary");
    d.stream_description_summary().expect("a summary").stream_arn().to_string()
}

#[tokio::test]
async fn descriptions_carry_the_record_size_limit_and_on_demand_warm_throughput() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "plain", 2).await;
    let s = k.describe_stream_summary().stream_name("plain").send().await.expect("summary");
    let s = s.stream_description_summary().expect("a summary");
    assert_eq!(s.max_record_size_in_kib(), Some(1024), "AWS's default for a new stream is 1 MiB");
    assert_eq!(s.open_shard_count(), 2);
    assert_eq!(s.consumer_count(), Some(0));
    assert_eq!(s.encryption_type(), Some(&EncryptionType::None));
    assert_eq!(s.enhanced_monitoring().len(), 1);
    assert_eq!(s.stream_mode_details().map(|m| m.stream_mode()), Some(&StreamMode::Provisioned));
    assert!(s.warm_throughput().is_none(), "a provisioned stream has no warm throughput");

    k.create_stream()
        .stream_name("large")
        .shard_count(1)
        .max_record_size_in_kib(5000)
        .send()
        .await
        .expect("CreateStream with MaxRecordSizeInKiB");
    let s = k.describe_stream_summary().stream_name("large").send().await.expect("summary");
    assert_eq!(s.stream_description_summary().and_then(|s| s.max_record_size_in_kib()), Some(5000));

    let on_demand = StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().expect("mode");
    k.create_stream().stream_name("od").stream_mode_details(on_demand).send().await.expect("CreateStream");
    let s = k.describe_stream_summary().stream_name("od").send().await.expect("summary");
    let warm = s.stream_description_summary().and_then(|s| s.warm_throughput()).expect("warm throughput");
    assert_eq!(warm.current_mibps(), Some(4), "four open shards of 1 MiB/s each");
    let strategy = s.stream_description_summary().and_then(|s| s.record_distribution_strategy());
    assert_eq!(strategy.map(|s| s.as_str()), Some("USER_PARTITION_KEY"), "AWS's default for on-demand streams");
}

#[tokio::test]
async fn create_stream_checks_its_limits() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    for kib in [1023, 10241] {
        let err =
            k.create_stream().stream_name("c").shard_count(1).max_record_size_in_kib(kib).send().await.unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{kib}");
        assert!(err.message().unwrap().contains("at 'maxRecordSizeInKiB'"), "{:?}", err.message());
    }
    // Warm throughput needs an account with MinimumThroughputBillingCommitment, which the local one is not.
    let err = k.create_stream().stream_name("c").shard_count(1).warm_throughput_mibps(10).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let auto = aws_sdk_kinesis::types::RecordDistributionStrategy::Auto;
    let err = k.create_stream().stream_name("c").shard_count(1).record_distribution_strategy(auto).send().await;
    assert_eq!(code(&err.unwrap_err()), "InvalidArgumentException", "AUTO is for on-demand streams");
    let settings = k.describe_account_settings().send().await.expect("DescribeAccountSettings");
    let commitment = settings.minimum_throughput_billing_commitment().expect("a commitment status");
    assert_eq!(commitment.status().as_str(), "DISABLED");
    create(&k, "c", 1).await;
    let err = k.update_stream_warm_throughput().stream_name("c").warm_throughput_mibps(10).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(err.message().unwrap().contains("PROVISIONED"), "{:?}", err.message());
    let err = k.update_stream_warm_throughput().stream_name("none").warm_throughput_mibps(10).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    // Nor can a stream switching to on-demand ask for warm throughput; the switch does not happen.
    let on_demand = StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().expect("mode");
    let switch = k.update_stream_mode().stream_arn(arn(&k, "c").await).stream_mode_details(on_demand);
    let err = switch.warm_throughput_mibps(10).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let s = k.describe_stream_summary().stream_name("c").send().await.expect("summary");
    let mode = s.stream_description_summary().and_then(|s| s.stream_mode_details()).map(|m| m.stream_mode());
    assert_eq!(mode, Some(&StreamMode::Provisioned));
}

#[tokio::test]
async fn update_max_record_size_sets_what_the_stream_takes_and_survives_a_restart() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "big", 1).await;
    let over_1mib = Blob::new(vec![b'x'; MIB + 1]);
    let err = k.put_record().stream_name("big").partition_key("k").data(over_1mib.clone()).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less \
             than or equal to 1048576"
        )
    );
    let stream_arn = arn(&k, "big").await;
    for kib in [1023, 10241] {
        let err = k.update_max_record_size().stream_arn(&stream_arn).max_record_size_in_kib(kib).send().await;
        assert_eq!(code(&err.unwrap_err()), "ValidationException", "{kib}");
    }
    let err = k.update_max_record_size().stream_arn(stream_arn.replace("big", "gone")).max_record_size_in_kib(2048);
    assert_eq!(code(&err.send().await.unwrap_err()), "ResourceNotFoundException");
    k.update_max_record_size().stream_arn(&stream_arn).max_record_size_in_kib(10240).send().await.expect("update");
    k.put_record().stream_name("big").partition_key("k").data(over_1mib).send().await.expect("a 1 MiB + 1 record");

    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    let s = k.describe_stream_summary().stream_name("big").send().await.expect("summary");
    assert_eq!(s.stream_description_summary().and_then(|s| s.max_record_size_in_kib()), Some(10240));
    // The limit holds for data plus partition key: a 10 MiB blob leaves no room for its key.
    let err = k
        .put_record()
        .stream_name("big")
        .partition_key("k")
        .data(Blob::new(vec![b'x'; 10 * MIB]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(err.message().unwrap().ends_with("less than or equal to 10485759"), "{:?}", err.message());
}

#[tokio::test]
async fn a_ten_mebibyte_record_is_stored_and_read_back_alone() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "r", 1).await;
    let stream_arn = arn(&k, "r").await;
    k.update_max_record_size().stream_arn(&stream_arn).max_record_size_in_kib(10240).send().await.expect("update");
    let big = vec![7u8; 10 * MIB - 1];
    k.put_record().stream_name("r").partition_key("k").data(Blob::new(big.clone())).send().await.expect("10 MiB");
    k.put_record().stream_name("r").partition_key("k").data(Blob::new("after")).send().await.expect("small");
    let shard = shard_ids(&k, "r").await.remove(0);
    let it = iterator(&k, "r", &shard, ShardIteratorType::TrimHorizon).await;
    // GetRecords answers at most 10 MiB of data; a record that fills it comes alone, the next one after.
    let first = k.get_records().shard_iterator(it).send().await.expect("GetRecords");
    assert_eq!(first.records().len(), 1);
    assert!(first.records()[0].data().as_ref() == big.as_slice(), "the large record comes back whole");
    let next = first.next_shard_iterator().expect("more to read").to_string();
    let second = k.get_records().shard_iterator(next).send().await.expect("GetRecords");
    assert_eq!(second.records().iter().map(text).collect::<Vec<_>>(), ["after"]);
}

#[tokio::test]
async fn put_records_takes_ten_mebibytes_per_request_and_each_record_up_to_the_stream_limit() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "p", 2).await;
    // Ten records of 1 MiB each (one-byte key included): the request is exactly 10 MiB.
    let full: Vec<_> = (0..10).map(|i| sized(&i.to_string(), MIB - 1)).collect();
    let out = k.put_records().stream_name("p").set_records(Some(full.clone())).send().await.expect("10 MiB");
    assert_eq!(out.failed_record_count(), Some(0));
    let mut over = full;
    over.push(sized("z", 1));
    let err = k.put_records().stream_name("p").set_records(Some(over)).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(err.message().unwrap().starts_with("Records size exceeds 10 MB limit"), "{:?}", err.message());
    // Each record is held to the stream's limit, named by its position as AWS does.
    let batch = vec![sized("a", 10), sized("b", MIB), sized("c", 10)];
    let err = k.put_records().stream_name("p").set_records(Some(batch)).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value at 'records.2.member.data' failed to satisfy constraint: Member \
             must have length less than or equal to 1048575"
        )
    );
}

#[tokio::test]
async fn a_body_larger_than_any_put_records_is_refused_unread() {
    let cloud = cloud(false).await;
    let target = "Kinesis_20131202.PutRecords";
    let headers = [("x-amz-target", target), ("content-type", "application/x-amz-json-1.1")];
    let body = format!(
        "{{\"StreamName\":\"s\",\"Records\":[{{\"PartitionKey\":\"k\",\"Data\":\"{}\"}}]}}",
        "A".repeat(MAX_REQUEST_BODY)
    );
    let raw = cloud.sign(Raw::post("/", &headers, body), "kinesis");
    let (status, _, answer) = raw.send(cloud.url()).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&answer));
    assert!(String::from_utf8_lossy(&answer).contains("RequestEntityTooLarge"));
}

#[tokio::test]
async fn a_large_record_spends_the_seconds_of_write_throughput_it_needs() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "t", 1).await;
    let stream_arn = arn(&k, "t").await;
    k.update_max_record_size().stream_arn(&stream_arn).max_record_size_in_kib(4096).send().await.expect("update");
    // On a second boundary, so the record has a whole second to itself.
    let now = cloud.cloud.ctx.clock.now_ms();
    cloud.advance(Duration::from_millis((1000 - now.rem_euclid(1000)) as u64));
    let four_mib = Blob::new(vec![b'x'; 4 * MIB - 1]);
    k.put_record().stream_name("t").partition_key("k").data(four_mib).send().await.expect("a 4 MiB record");
    cloud.advance(Duration::from_millis(3_900));
    let err = k.put_record().stream_name("t").partition_key("k").data(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(code(&err), "ProvisionedThroughputExceededException", "four seconds of 1 MiB/s are spent");
    cloud.advance(Duration::from_millis(100));
    k.put_record().stream_name("t").partition_key("k").data(Blob::new("x")).send().await.expect("paid back");
}
