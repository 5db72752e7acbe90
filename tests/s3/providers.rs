use aws_sdk_s3::primitives::ByteStream;
use kinesis_console::cloud::resource_provider::{ResourceProvider, ResourceRequest};
use kinesis_console::cloud::s3::S3;
use kinesis_console::cloud::s3::bucket_policy_provider::BucketPolicyProvider;
use kinesis_console::cloud::s3::bucket_provider::BucketProvider;
use serde_json::json;

use super::*;

fn request(logical: &str, properties: serde_json::Value) -> ResourceRequest {
    ResourceRequest {
        stack_name: "Pipeline".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/Pipeline/1".into(),
        logical_id: logical.into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        properties: properties.as_object().unwrap().clone(),
        tags: vec![("aws:cloudformation:stack-name".into(), "Pipeline".into())],
    }
}

fn providers(cloud: &TestCloud) -> (BucketProvider, BucketPolicyProvider) {
    // A second handle on the same data dir shares the running S3's store.
    let s3 = S3::new(&cloud.cloud.ctx).unwrap();
    (BucketProvider::new(&s3, &cloud.cloud.ctx), BucketPolicyProvider::new(&s3))
}

#[tokio::test]
async fn a_bucket_resource_is_what_the_s3_api_then_sees() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    let (buckets, policies) = providers(&cloud);
    let props = json!({
        "BucketName": "cfn-logs",
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"}, "BucketKeyEnabled": true}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "Tags": [{"Key": "team", "Value": "data"}]
    });
    let made = buckets.create(request("Logs", props.clone())).await.unwrap();
    assert_eq!(made.physical_id, "cfn-logs");
    assert_eq!(made.attributes["Arn"], "arn:aws:s3:::cfn-logs");
    assert_eq!(made.attributes["RegionalDomainName"], "cfn-logs.s3.us-east-1.amazonaws.com");
    s3.head_bucket().bucket("cfn-logs").send().await.unwrap();
    let enc = s3.get_bucket_encryption().bucket("cfn-logs").send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().kms_master_key_id(), Some("alias/k"));

    let err = buckets.create(request("Again", props.clone())).await.unwrap_err();
    assert!(err.reason.contains("cfn-logs already exists"), "{err}");

    let policy = json!({"Bucket": "cfn-logs", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}});
    let p = policies.create(request("Policy", policy)).await.unwrap();
    let got = s3.get_bucket_policy().bucket("cfn-logs").send().await.unwrap();
    assert!(got.policy().unwrap().contains("2012-10-17"));

    let mut renamed = props.as_object().unwrap().clone();
    renamed.insert("BucketName".into(), json!("cfn-logs-2"));
    assert!(buckets.needs_replacement(props.as_object().unwrap(), &renamed));
    let mut retagged = props.as_object().unwrap().clone();
    retagged.remove("BucketEncryption");
    assert!(!buckets.needs_replacement(props.as_object().unwrap(), &retagged));
    buckets
        .update("cfn-logs".into(), props.as_object().unwrap().clone(), request("Logs", json!(retagged)))
        .await
        .unwrap();
    let enc = s3.get_bucket_encryption().bucket("cfn-logs").send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default().unwrap().kms_master_key_id(),
        None,
        "back to S3's default"
    );

    s3.put_object().bucket("cfn-logs").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap();
    let err = buckets.delete("cfn-logs".into(), request("Logs", props.clone())).await.unwrap_err();
    assert!(err.reason.contains("BucketNotEmpty"), "{err}");
    s3.delete_object().bucket("cfn-logs").key("k").send().await.unwrap();
    policies.delete(p.physical_id.clone(), request("Policy", json!({}))).await.unwrap();
    assert!(s3.get_bucket_policy().bucket("cfn-logs").send().await.is_err());
    buckets.delete("cfn-logs".into(), request("Logs", props.clone())).await.unwrap();
    assert!(s3.head_bucket().bucket("cfn-logs").send().await.is_err());
    buckets.delete("cfn-logs".into(), request("Logs", props)).await.expect("deleting a deleted bucket succeeds");
}

#[tokio::test]
async fn a_bucket_without_a_name_gets_cloudformations_generated_one() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    let (buckets, _) = providers(&cloud);
    let made = buckets.create(request("DeliveryBucket", json!({}))).await.unwrap();
    assert!(made.physical_id.starts_with("pipeline-deliverybucket-"), "{}", made.physical_id);
    s3.head_bucket().bucket(&made.physical_id).send().await.unwrap();
    let err = buckets.create(request("Bad", json!({"BucketName": "Not_Valid"}))).await.unwrap_err();
    assert!(err.reason.contains("BucketName"), "{err}");
}
