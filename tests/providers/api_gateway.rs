//! The `AWS::ApiGateway::*` providers through the trait, checked with aws-sdk-apigateway: a REST API
//! with a resource, model, validator, method and deployment (whose StageName makes the stage), a usage
//! plan with its key, the account; replacement rules; idempotent deletes.

use aws_sdk_apigateway::Client;
use serde_json::{Value, json};

use super::support::TestCloud;
use super::{cloud, drive, props, provider, request};

async fn create(
    cloud: &TestCloud,
    type_name: &str,
    logical: &str,
    properties: Value,
) -> kinesis_console::cloud::resource_provider::Provisioned {
    let p = provider(cloud, type_name);
    let req = request(logical, properties);
    drive(cloud, async move { p.create(req).await }).await.unwrap_or_else(|e| panic!("{type_name} created: {e}"))
}

#[tokio::test]
async fn an_api_made_by_its_providers_is_what_the_api_describes() {
    let cloud = cloud().await;
    let gw = Client::new(&cloud.sdk_config().await);
    let api = create(
        &cloud,
        "AWS::ApiGateway::RestApi",
        "Api",
        json!({"Name": "fares", "EndpointConfiguration": {"Types": ["REGIONAL"]}}),
    )
    .await;
    let id = api.reference().to_string();
    let described = gw.get_rest_api().rest_api_id(&id).send().await.expect("GetRestApi");
    assert_eq!(api.attributes["RootResourceId"], described.root_resource_id().unwrap());
    assert_eq!(api.attributes["RestApiId"], id.as_str());
    assert_eq!(described.tags().and_then(|t| t.get("kinesis-console:pattern")).map(String::as_str), Some("kds-kdf-s3"));

    let res = create(
        &cloud,
        "AWS::ApiGateway::Resource",
        "Fare",
        json!({"RestApiId": id, "ParentId": api.attributes["RootResourceId"], "PathPart": "predictFare"}),
    )
    .await;
    let model = create(
        &cloud,
        "AWS::ApiGateway::Model",
        "M",
        json!({"RestApiId": id, "Name": "Fare", "ContentType": "application/json", "Schema": {"type": "object"}}),
    )
    .await;
    assert_eq!(model.reference(), "Fare");
    let validator =
        create(&cloud, "AWS::ApiGateway::RequestValidator", "V", json!({"RestApiId": id, "ValidateRequestBody": true}))
            .await;
    create(
        &cloud,
        "AWS::ApiGateway::Method",
        "Get",
        json!({
            "RestApiId": id, "ResourceId": res.reference(), "HttpMethod": "GET", "AuthorizationType": "AWS_IAM",
            "ApiKeyRequired": "true", "RequestValidatorId": validator.reference(), "RequestModels": {"application/json": "Fare"},
            "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {"application/json": "{}"}}]},
            "MethodResponses": [{"StatusCode": "200"}],
        }),
    )
    .await;
    let method = gw
        .get_method()
        .rest_api_id(&id)
        .resource_id(res.reference())
        .http_method("GET")
        .send()
        .await
        .expect("GetMethod");
    assert!(method.api_key_required().unwrap_or(false));
    assert!(method.method_integration().and_then(|i| i.integration_responses()).is_some_and(|r| r.contains_key("200")));

    let deployment = create(
        &cloud,
        "AWS::ApiGateway::Deployment",
        "D",
        json!({"RestApiId": id, "StageName": "prod", "StageDescription": {"Variables": {"env": "local"}}}),
    )
    .await;
    let stage = gw.get_stage().rest_api_id(&id).stage_name("prod").send().await.expect("the deployment made its stage");
    assert_eq!(stage.deployment_id(), Some(deployment.reference()));
    assert_eq!(stage.variables().and_then(|v| v.get("env")).map(String::as_str), Some("local"));

    let plan = create(
        &cloud,
        "AWS::ApiGateway::UsagePlan",
        "Plan",
        json!({"ApiStages": [{"ApiId": id, "Stage": "prod"}], "Throttle": {"RateLimit": 20, "BurstLimit": 100}, "Quota": {"Limit": 1000, "Period": "DAY"}}),
    )
    .await;
    let described = gw.get_usage_plan().usage_plan_id(plan.reference()).send().await.unwrap();
    assert_eq!(described.throttle().map(|t| (t.rate_limit(), t.burst_limit())), Some((20.0, 100)));
    assert_eq!(described.quota().map(|q| q.limit()), Some(1000));
    let key = create(
        &cloud,
        "AWS::ApiGateway::ApiKey",
        "Key",
        json!({"Enabled": true, "Value": "a-key-of-at-least-twenty-chars"}),
    )
    .await;
    assert_eq!(key.attributes["APIKeyId"], key.reference());
    create(
        &cloud,
        "AWS::ApiGateway::UsagePlanKey",
        "PK",
        json!({"KeyId": key.reference(), "KeyType": "API_KEY", "UsagePlanId": plan.reference()}),
    )
    .await;
    let keys = gw.get_usage_plan_keys().usage_plan_id(plan.reference()).send().await.unwrap();
    assert_eq!(keys.items()[0].value(), Some("a-key-of-at-least-twenty-chars"));

    create(
        &cloud,
        "AWS::ApiGateway::Account",
        "Account",
        json!({"CloudWatchRoleArn": "arn:aws:iam::000000000000:role/cw"}),
    )
    .await;
    assert_eq!(gw.get_account().send().await.unwrap().cloudwatch_role_arn(), Some("arn:aws:iam::000000000000:role/cw"));

    // Deleting the API takes what is under it; deleting again is not an error.
    let p = provider(&cloud, "AWS::ApiGateway::RestApi");
    let req = request("Api", json!({"Name": "fares"}));
    p.delete(id.clone(), req.clone()).await.expect("deleted");
    p.delete(id.clone(), req).await.expect("a second delete is fine");
    assert!(gw.get_rest_api().rest_api_id(&id).send().await.is_err());
}

#[tokio::test]
async fn replacement_follows_the_resource_specifications() {
    let cloud = cloud().await;
    let cases: [(&str, Value, Value, bool); 6] = [
        ("AWS::ApiGateway::RestApi", json!({"Name": "a"}), json!({"Name": "b"}), false),
        ("AWS::ApiGateway::Resource", json!({"PathPart": "a"}), json!({"PathPart": "b"}), true),
        ("AWS::ApiGateway::Method", json!({"HttpMethod": "GET"}), json!({"HttpMethod": "POST"}), true),
        (
            "AWS::ApiGateway::Method",
            json!({"HttpMethod": "GET", "ApiKeyRequired": false}),
            json!({"HttpMethod": "GET", "ApiKeyRequired": true}),
            false,
        ),
        ("AWS::ApiGateway::Stage", json!({"StageName": "a"}), json!({"StageName": "b"}), true),
        ("AWS::ApiGateway::ApiKey", json!({"Enabled": true}), json!({"Enabled": false}), false),
    ];
    for (type_name, old, new, replaces) in cases {
        let p = provider(&cloud, type_name);
        assert_eq!(
            p.needs_replacement(&props(old.clone()), &props(new.clone())),
            replaces,
            "{type_name}: {old} → {new}"
        );
    }
    let p = provider(&cloud, "AWS::ApiGateway::RestApi");
    let refused = p.create(request("Api", json!({"Name": "x", "Body": {}}))).await.unwrap_err();
    assert!(refused.reason.contains("Body"), "{refused}");
}
