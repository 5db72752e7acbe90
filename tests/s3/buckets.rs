use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};

use super::*;

#[tokio::test]
async fn buckets_are_created_listed_and_deleted_with_s3s_errors() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "alpha").await;
    // Re-creating your own us-east-1 bucket succeeds there, as on AWS.
    bucket(&s3, "alpha").await;
    let eu = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest1).build();
    s3.create_bucket().bucket("beta").create_bucket_configuration(eu.clone()).send().await.unwrap();
    let err = s3.create_bucket().bucket("beta").create_bucket_configuration(eu).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BucketAlreadyOwnedByYou");
    let us =
        CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from("us-east-1")).build();
    let err = s3.create_bucket().bucket("gamma").create_bucket_configuration(us).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidLocationConstraint");
    for bad in ["Upper", "a..b", "192.168.1.1", "xn--bucket"] {
        let err = s3.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(code(&err.into_service_error()), "InvalidBucketName", "{bad}");
    }
    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    let head = s3.head_bucket().bucket("beta").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("eu-west-1"));
    let err = s3.head_bucket().bucket("nope").send().await.unwrap_err();
    assert!(err.into_service_error().is_not_found());

    s3.put_object().bucket("alpha").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap();
    let err = s3.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BucketNotEmpty");
    s3.delete_object().bucket("alpha").key("k").send().await.unwrap();
    s3.delete_bucket().bucket("alpha").send().await.unwrap();
    let err = s3.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucket");
    let err = s3.put_object().bucket("alpha").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucket");
}

#[tokio::test]
async fn a_region_endpoint_needs_its_own_location_constraint() {
    let cloud = cloud().await;
    let conf = aws_sdk_s3::config::Builder::from(&cloud.sdk_config().await)
        .force_path_style(true)
        .region(aws_sdk_s3::config::Region::new("eu-west-2"))
        .build();
    let s3 = Client::from_conf(conf);
    let err = s3.create_bucket().bucket("nolc").send().await.unwrap_err();
    let e = err.into_service_error();
    assert_eq!(code(&e), "IllegalLocationConstraintException");
    let other = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::ApSouth1).build();
    let err = s3.create_bucket().bucket("other").create_bucket_configuration(other).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "IllegalLocationConstraintException");
    let own = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest2).build();
    s3.create_bucket().bucket("own").create_bucket_configuration(own).send().await.unwrap();
}

#[tokio::test]
async fn policies_and_encryption_are_stored_and_read_back() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "conf").await;
    let err = s3.get_bucket_policy().bucket("conf").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucketPolicy");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::conf/*"}]}"#;
    s3.put_bucket_policy().bucket("conf").policy(policy).send().await.unwrap();
    assert_eq!(s3.get_bucket_policy().bucket("conf").send().await.unwrap().policy(), Some(policy));
    let err = s3.put_bucket_policy().bucket("conf").policy("not json").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "MalformedPolicy");
    s3.delete_bucket_policy().bucket("conf").send().await.unwrap();
    assert!(s3.get_bucket_policy().bucket("conf").send().await.is_err());

    let default = s3.get_bucket_encryption().bucket("conf").send().await.unwrap();
    let rule = &default.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm(), &ServerSideEncryption::Aes256);
    let kms = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::AwsKms)
                        .kms_master_key_id("alias/data")
                        .build()
                        .unwrap(),
                )
                .bucket_key_enabled(true)
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_encryption().bucket("conf").server_side_encryption_configuration(kms).send().await.unwrap();
    let got = s3.get_bucket_encryption().bucket("conf").send().await.unwrap();
    let rule = &got.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().kms_master_key_id(), Some("alias/data"));
    assert_eq!(rule.bucket_key_enabled(), Some(true));
}
