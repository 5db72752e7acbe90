//! `AWS::Lambda::Permission` through the provider, checked with GetPolicy.

use aws_sdk_lambda::Client;
use serde_json::json;

use super::{cloud, drive, props, provider, request};

#[tokio::test]
async fn a_permission_is_a_policy_statement_until_deleted_and_any_change_replaces_it() {
    let cloud = cloud().await;
    let f = provider(&cloud, "AWS::Lambda::Function");
    let req = request(
        "Fare",
        json!({
            "FunctionName": "fare", "Runtime": "python3.13", "Handler": "index.handler",
            "Role": "arn:aws:iam::000000000000:role/r", "Code": { "ZipFile": "x = 1\n" },
        }),
    );
    let function = drive(&cloud, async move { f.create(req).await }).await.expect("function");
    let p = provider(&cloud, "AWS::Lambda::Permission");
    let properties = json!({
        "Action": "lambda:InvokeFunction",
        "FunctionName": function.attributes["Arn"],
        "Principal": "apigateway.amazonaws.com",
        "SourceAccount": "000000000000",
        "SourceArn": "arn:aws:execute-api:us-east-1:000000000000:api/*/GET/predictFare",
    });
    let (p2, req) = (p.clone(), request("FarePermission", properties.clone()));
    let made = drive(&cloud, async move { p2.create(req).await }).await.expect("permission");
    let (function_arn, sid) = made.physical_id.split_once('|').expect("<function ARN>|<statement id>");
    assert_eq!(function_arn, "arn:aws:lambda:us-east-1:000000000000:function:fare");

    let lambda = Client::new(&cloud.sdk_config().await);
    let policy = lambda.get_policy().function_name("fare").send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], sid);
    assert_eq!(policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceAccount"], "000000000000");

    let mut changed = properties.clone();
    changed["Principal"] = json!("s3.amazonaws.com");
    assert!(p.needs_replacement(&props(properties.clone()), &props(changed)));
    let id = made.physical_id.clone();
    let req = request("FarePermission", properties);
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("deleted");
    assert!(lambda.get_policy().function_name("fare").send().await.is_err(), "no statement is left");
}
