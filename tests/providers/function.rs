//! `AWS::Lambda::Function` through the provider, checked with aws-sdk-lambda.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use serde_json::json;

use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::Lambda::Function";

fn consumer(name: &str, timeout: u32) -> serde_json::Value {
    json!({
        "FunctionName": name,
        "Runtime": "python3.13",
        "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/consumer",
        "Timeout": timeout,
        "Environment": { "Variables": { "MODE": "test" } },
        "Code": { "ZipFile": "def handler(event, context):\n    return 'ok'\n" },
        "Tags": [{ "Key": "kinesis-console:builtin", "Value": "apigw-kds-lambda/consumer" }],
    })
}

#[tokio::test]
async fn create_makes_an_active_function_with_its_zipped_code_tags_and_arn() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let req = request("ConsumerFunction", consumer("orders-consumer", 300));
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("created");
    assert_eq!(made.reference(), "orders-consumer");
    assert_eq!(made.attributes["Arn"], "arn:aws:lambda:us-east-1:000000000000:function:orders-consumer");

    let lambda = Client::new(&cloud.sdk_config().await);
    let got = lambda.get_function().function_name("orders-consumer").send().await.unwrap();
    let c = got.configuration().unwrap();
    assert_eq!(c.state().map(|s| s.as_str()), Some("Active"));
    assert_eq!(c.timeout(), Some(300));
    assert_eq!(c.environment().unwrap().variables().unwrap()["MODE"], "test");
    let tags = got.tags().unwrap();
    assert_eq!(tags["kinesis-console:builtin"], "apigw-kds-lambda/consumer");
    assert_eq!(tags["kinesis-console:pattern"], "kds-kdf-s3", "stack tags propagate");
    let zip = reqwest::get(got.code().unwrap().location().unwrap()).await.unwrap().bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    assert_eq!(archive.by_index(0).unwrap().name().unwrap(), "index.py", "inline code zipped as CloudFormation does");
}

#[tokio::test]
async fn update_changes_settings_in_place_and_a_new_name_replaces() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let (p2, req) = (p.clone(), request("F", consumer("f1", 3)));
    let made = drive(&cloud, async move { p2.create(req).await }).await.expect("created");
    let (p3, req) = (p.clone(), request("F", consumer("f1", 60)));
    let old = props(consumer("f1", 3));
    let updated = drive(&cloud, async move { p3.update(made.physical_id, old, req).await }).await.expect("updated");
    assert_eq!(updated.physical_id, "f1");
    let lambda = Client::new(&cloud.sdk_config().await);
    let c = lambda.get_function_configuration().function_name("f1").send().await.unwrap();
    assert_eq!(c.timeout(), Some(60));
    assert!(p.needs_replacement(&props(consumer("f1", 3)), &props(consumer("f2", 3))));
    assert!(!p.needs_replacement(&props(consumer("f1", 3)), &props(consumer("f1", 9))));

    let (p4, req) = (p.clone(), request("F", consumer("f1", 60)));
    drive(&cloud, async move { p4.delete("f1".into(), req).await }).await.expect("deleted");
    let gone = lambda.get_function().function_name("f1").send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    let req = request("F", consumer("f1", 60));
    drive(&cloud, async move { p.delete("f1".into(), req).await }).await.expect("already gone is no error");
}
