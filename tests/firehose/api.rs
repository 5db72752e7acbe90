//! The API: each operation's answers and AWS's errors, statuses on the clock, restarts.

use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamType, ExtendedS3DestinationConfiguration,
    ExtendedS3DestinationUpdate, KinesisStreamSourceConfiguration, Record, S3DestinationConfiguration, Tag,
};

use super::{ROLE, code, destination, env, env_with, message};

async fn direct_put(env: &super::Env, name: &str, bucket: &str) {
    env.fh
        .create_delivery_stream()
        .delivery_stream_name(name)
        .extended_s3_destination_configuration(destination(bucket, 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .expect("CreateDeliveryStream");
}

#[tokio::test]
async fn a_delivery_stream_is_created_described_listed_and_deleted_on_the_clock() {
    let env = env().await;
    env.bucket("out").await;
    direct_put(&env, "orders", "out").await;
    assert_eq!(env.status("orders").await, "CREATING");
    env.seconds(1).await;
    let d = env.fh.describe_delivery_stream().delivery_stream_name("orders").send().await.unwrap();
    let d = d.delivery_stream_description().unwrap();
    assert_eq!(d.delivery_stream_status().as_str(), "ACTIVE");
    assert_eq!(d.delivery_stream_arn(), "arn:aws:firehose:us-east-1:000000000000:deliverystream/orders");
    assert_eq!(d.delivery_stream_type().as_str(), "DirectPut");
    assert_eq!(d.version_id(), "1");
    assert!(d.create_timestamp().is_some() && !d.has_more_destinations());
    let dest = &d.destinations()[0];
    assert_eq!(dest.destination_id(), "destinationId-000000000001");
    let ext = dest.extended_s3_destination_description().unwrap();
    assert_eq!(ext.bucket_arn(), "arn:aws:s3:::out");
    assert_eq!(ext.compression_format().as_str(), "GZIP");
    assert_eq!(ext.buffering_hints().unwrap().size_in_mbs(), Some(1));
    assert_eq!(dest.s3_destination_description().unwrap().role_arn(), ROLE);

    direct_put(&env, "audit", "out").await;
    let list = env.fh.list_delivery_streams().limit(1).send().await.unwrap();
    assert_eq!((list.delivery_stream_names(), list.has_more_delivery_streams()), (&["audit".to_string()][..], true));
    let next = env.fh.list_delivery_streams().exclusive_start_delivery_stream_name("audit").send().await.unwrap();
    assert_eq!((next.delivery_stream_names(), next.has_more_delivery_streams()), (&["orders".to_string()][..], false));
    let kinesis_only = env
        .fh
        .list_delivery_streams()
        .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
        .send()
        .await
        .unwrap();
    assert!(kinesis_only.delivery_stream_names().is_empty());

    let e = env.fh.delete_delivery_stream().delivery_stream_name("audit").send().await.unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "ResourceInUseException", "CREATING cannot be deleted");
    env.fh.delete_delivery_stream().delivery_stream_name("orders").send().await.unwrap();
    assert_eq!(env.status("orders").await, "DELETING");
    env.seconds(1).await;
    let e = env.fh.describe_delivery_stream().delivery_stream_name("orders").send().await.unwrap_err();
    let e = e.as_service_error().unwrap();
    assert_eq!(code(e), "ResourceNotFoundException");
    assert_eq!(message(e), "Firehose orders under account 000000000000 not found.");
}

#[tokio::test]
async fn invalid_input_gets_the_service_models_errors() {
    let env = env_with(|c| c.firehose.delivery_stream_limit = 2).await;
    env.bucket("out").await;
    let e = env
        .fh
        .create_delivery_stream()
        .delivery_stream_name("no spaces")
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap_err();
    let e = e.as_service_error().unwrap();
    assert_eq!(code(e), "ValidationException");
    assert!(message(e).contains("at 'deliveryStreamName' failed to satisfy constraint"), "{}", message(e));
    for (size, interval, member) in [(129, 60, "sizeInMBs"), (1, 901, "intervalInSeconds")] {
        let dest = ExtendedS3DestinationConfiguration::builder()
            .role_arn(ROLE)
            .bucket_arn("arn:aws:s3:::out")
            .buffering_hints(BufferingHints::builder().size_in_mbs(size).interval_in_seconds(interval).build())
            .build()
            .unwrap();
        let e = env
            .fh
            .create_delivery_stream()
            .delivery_stream_name("x")
            .extended_s3_destination_configuration(dest)
            .send()
            .await;
        let e = e.unwrap_err();
        assert!(message(e.as_service_error().unwrap()).contains(member), "{member}");
    }
    let e = env
        .fh
        .create_delivery_stream()
        .delivery_stream_name("x")
        .kinesis_stream_source_configuration(
            KinesisStreamSourceConfiguration::builder()
                .kinesis_stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/s")
                .role_arn(ROLE)
                .build()
                .unwrap(),
        )
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "InvalidArgumentException", "a source on a DirectPut stream");
    direct_put(&env, "a", "out").await;
    let e = env
        .fh
        .create_delivery_stream()
        .delivery_stream_name("a")
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap_err();
    let e = e.as_service_error().unwrap();
    assert_eq!(code(e), "ResourceInUseException");
    assert_eq!(message(e), "Firehose a under accountId 000000000000 already exists");
    direct_put(&env, "b", "out").await;
    let e = env
        .fh
        .create_delivery_stream()
        .delivery_stream_name("c")
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "LimitExceededException", "the quota is 2 here");
}

#[tokio::test]
async fn update_destination_checks_the_version_and_increments_it() {
    let env = env().await;
    env.bucket("out").await;
    direct_put(&env, "orders", "out").await;
    env.seconds(1).await;
    let update = ExtendedS3DestinationUpdate::builder()
        .buffering_hints(BufferingHints::builder().interval_in_seconds(120).build())
        .build();
    let e = env
        .fh
        .update_destination()
        .delivery_stream_name("orders")
        .current_delivery_stream_version_id("7")
        .destination_id("destinationId-000000000001")
        .extended_s3_destination_update(update.clone())
        .send()
        .await
        .unwrap_err();
    let e = e.as_service_error().unwrap();
    assert_eq!(code(e), "ConcurrentModificationException");
    assert_eq!(
        message(e),
        "Cannot update firehose: orders since the current version id: 1 and specified version id: 7 do not match"
    );
    env.fh
        .update_destination()
        .delivery_stream_name("orders")
        .current_delivery_stream_version_id("1")
        .destination_id("destinationId-000000000001")
        .extended_s3_destination_update(update)
        .send()
        .await
        .expect("UpdateDestination");
    let d = env.fh.describe_delivery_stream().delivery_stream_name("orders").send().await.unwrap();
    let d = d.delivery_stream_description().unwrap();
    assert_eq!(d.version_id(), "2");
    assert!(d.last_update_timestamp().is_some());
    let hints = d.destinations()[0].extended_s3_destination_description().unwrap().buffering_hints().unwrap();
    assert_eq!((hints.size_in_mbs(), hints.interval_in_seconds()), (Some(1), Some(120)), "the size is kept");
}

#[tokio::test]
async fn tags_are_added_listed_in_pages_removed_and_capped_at_fifty() {
    let env = env().await;
    env.bucket("out").await;
    direct_put(&env, "orders", "out").await;
    let tag = |k: &str| Tag::builder().key(k).value("v").build().unwrap();
    env.fh.tag_delivery_stream().delivery_stream_name("orders").tags(tag("a")).tags(tag("b")).send().await.unwrap();
    let page = env.fh.list_tags_for_delivery_stream().delivery_stream_name("orders").limit(1).send().await.unwrap();
    assert_eq!((page.tags()[0].key(), page.has_more_tags()), ("a", true));
    let rest = env
        .fh
        .list_tags_for_delivery_stream()
        .delivery_stream_name("orders")
        .exclusive_start_tag_key("a")
        .send()
        .await
        .unwrap();
    assert_eq!((rest.tags().len(), rest.has_more_tags()), (1, false));
    env.fh.untag_delivery_stream().delivery_stream_name("orders").tag_keys("a").send().await.unwrap();
    let all = env.fh.list_tags_for_delivery_stream().delivery_stream_name("orders").send().await.unwrap();
    assert_eq!(all.tags().iter().map(|t| t.key()).collect::<Vec<_>>(), ["b"]);
    let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i:02}"))).collect();
    let e = env.fh.tag_delivery_stream().delivery_stream_name("orders").set_tags(Some(many)).send().await.unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "LimitExceededException", "51 tags");
}

#[tokio::test]
async fn direct_put_limits_and_a_kinesis_source_refusing_puts() {
    let env = env().await;
    env.bucket("out").await;
    direct_put(&env, "direct", "out").await;
    env.seconds(1).await;
    let rec = |n: usize| Record::builder().data(Blob::new(vec![b'x'; n])).build().unwrap();
    let out = env.fh.put_record().delivery_stream_name("direct").record(rec(10)).send().await.unwrap();
    assert!(!out.record_id().is_empty());
    let e = env.fh.put_record().delivery_stream_name("direct").record(rec(1_024_001)).send().await.unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "ValidationException", "a record over 1,000 KiB");
    let batch: Vec<Record> = (0..501).map(|_| rec(1)).collect();
    let e = env.fh.put_record_batch().delivery_stream_name("direct").set_records(Some(batch)).send().await.unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "ValidationException", "501 records");
    let batch: Vec<Record> = (0..5).map(|_| rec(1_000_000)).collect();
    let e = env.fh.put_record_batch().delivery_stream_name("direct").set_records(Some(batch)).send().await.unwrap_err();
    assert_eq!(code(e.as_service_error().unwrap()), "InvalidArgumentException", "a batch over 4 MiB");
    let ok =
        env.fh.put_record_batch().delivery_stream_name("direct").records(rec(3)).records(rec(4)).send().await.unwrap();
    assert_eq!((ok.failed_put_count(), ok.request_responses().len()), (0, 2));

    let arn = env.stream("source", 1).await;
    env.delivery("fromkinesis", &arn, "out", 1, 60, CompressionFormat::Gzip).await;
    let e = env.fh.put_record().delivery_stream_name("fromkinesis").record(rec(1)).send().await.unwrap_err();
    let e = e.as_service_error().unwrap();
    assert_eq!(code(e), "InvalidArgumentException");
    assert_eq!(message(e), "This operation is not permitted on KinesisStreamAsSource delivery stream type.");
}

#[tokio::test]
async fn a_missing_source_or_bucket_fails_the_creation_with_a_reason() {
    let env = env().await;
    env.bucket("out").await;
    env.fh
        .create_delivery_stream()
        .delivery_stream_name("nosource")
        .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
        .kinesis_stream_source_configuration(
            KinesisStreamSourceConfiguration::builder()
                .kinesis_stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/missing")
                .role_arn(ROLE)
                .build()
                .unwrap(),
        )
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap();
    let plain =
        S3DestinationConfiguration::builder().role_arn(ROLE).bucket_arn("arn:aws:s3:::nobucket").build().unwrap();
    env.fh
        .create_delivery_stream()
        .delivery_stream_name("nobucket")
        .s3_destination_configuration(plain)
        .send()
        .await
        .unwrap();
    env.seconds(1).await;
    for (name, words) in [("nosource", "stream/missing"), ("nobucket", "nobucket")] {
        let d = env.fh.describe_delivery_stream().delivery_stream_name(name).send().await.unwrap();
        let d = d.delivery_stream_description().unwrap();
        assert_eq!(d.delivery_stream_status().as_str(), "CREATING_FAILED", "{name}");
        let f = d.failure_description().expect("a failure description");
        assert!(f.details().contains(words), "{name}: {}", f.details());
    }
    let d = env.fh.describe_delivery_stream().delivery_stream_name("nobucket").send().await.unwrap();
    let dest = &d.delivery_stream_description().unwrap().destinations()[0];
    assert!(dest.extended_s3_destination_description().is_some(), "the plain S3 form is described as extended too");
    env.fh
        .delete_delivery_stream()
        .delivery_stream_name("nobucket")
        .send()
        .await
        .expect("a failed stream can be deleted");
}

#[tokio::test]
async fn delivery_streams_survive_a_restart() {
    let env = env().await;
    env.bucket("out").await;
    direct_put(&env, "orders", "out").await;
    env.seconds(1).await;
    env.fh
        .tag_delivery_stream()
        .delivery_stream_name("orders")
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap();
    let env = env.restart().await;
    assert_eq!(env.status("orders").await, "ACTIVE");
    let tags = env.fh.list_tags_for_delivery_stream().delivery_stream_name("orders").send().await.unwrap();
    assert_eq!(tags.tags()[0].key(), "k");
}
