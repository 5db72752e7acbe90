use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::EncryptionType;

use super::*;

#[tokio::test]
async fn encryption_tags_consumers_and_limits_are_reported() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "conf", 3).await;
    k.start_stream_encryption()
        .stream_name("conf")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    let d = k.describe_stream().stream_name("conf").send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(d.key_id(), Some("alias/aws/kinesis"));
    let put = k.put_record().stream_name("conf").partition_key("k").data(Blob::new("d")).send().await.unwrap();
    assert_eq!(put.encryption_type(), Some(&EncryptionType::Kms));
    k.stop_stream_encryption()
        .stream_name("conf")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();

    k.add_tags_to_stream().stream_name("conf").tags("a", "1").tags("b", "2").send().await.unwrap();
    k.remove_tags_from_stream().stream_name("conf").tag_keys("a").send().await.unwrap();
    let tags = k.list_tags_for_stream().stream_name("conf").send().await.unwrap();
    assert_eq!(tags.tags().iter().map(|t| t.key()).collect::<Vec<_>>(), ["b"]);

    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/conf";
    k.register_stream_consumer().stream_arn(arn).consumer_name("fan").send().await.unwrap();
    let c = k.describe_stream_consumer().stream_arn(arn).consumer_name("fan").send().await.unwrap();
    let c = c.consumer_description().unwrap();
    assert_eq!(c.stream_arn(), arn);
    k.deregister_stream_consumer().consumer_arn(c.consumer_arn()).send().await.unwrap();
    assert!(k.list_stream_consumers().stream_arn(arn).send().await.unwrap().consumers().is_empty());

    let limits = k.describe_limits().send().await.unwrap();
    assert_eq!((limits.shard_limit(), limits.open_shard_count()), (500, 3));
    let page = k.list_shards().stream_name("conf").max_results(2).send().await.unwrap();
    assert_eq!(page.shards().len(), 2);
    let rest = k.list_shards().next_token(page.next_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.shards().iter().map(|s| s.shard_id()).collect::<Vec<_>>(), ["shardId-000000000002"]);
    assert!(rest.next_token().is_none());
}
