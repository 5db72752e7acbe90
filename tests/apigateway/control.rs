//! The control plane through aws-sdk-apigateway: shapes, paging, patch operations, key values only
//! when asked for, and AWS's errors.

use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{IntegrationType, Op, PatchOperation};

use super::apigateway;
use super::support::TestCloud;

fn patch(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder().op(Op::Replace).path(path).value(value).build()
}

#[tokio::test]
async fn apis_resources_methods_and_stages_read_back_as_created() {
    let cloud = TestCloud::start_virtual().await;
    let gw = apigateway(&cloud).await;
    for i in 0..3 {
        gw.create_rest_api().name(format!("api-{i}")).send().await.expect("CreateRestApi");
    }
    let first = gw.get_rest_apis().limit(2).send().await.expect("GetRestApis");
    assert_eq!(first.items().len(), 2);
    let rest = gw.get_rest_apis().limit(2).position(first.position().expect("a next page")).send().await.unwrap();
    assert_eq!(rest.items().len(), 1);
    assert!(rest.position().is_none());

    let api = gw.create_rest_api().name("orders").description("d").send().await.unwrap();
    let id = api.id().unwrap();
    assert_eq!(api.api_key_source().map(|s| s.as_str()), Some("HEADER"));
    let root = api.root_resource_id().unwrap();
    let v1 = gw.create_resource().rest_api_id(id).parent_id(root).path_part("v1").send().await.unwrap();
    let item =
        gw.create_resource().rest_api_id(id).parent_id(v1.id().unwrap()).path_part("{item}").send().await.unwrap();
    assert_eq!(item.path(), Some("/v1/{item}"));
    let dup = gw.create_resource().rest_api_id(id).parent_id(root).path_part("v1").send().await.unwrap_err();
    assert_eq!(dup.code(), Some("ConflictException"));

    gw.create_model()
        .rest_api_id(id)
        .name("Item")
        .content_type("application/json")
        .schema(r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["a"]}"#)
        .send()
        .await
        .unwrap();
    let bad = gw
        .create_model()
        .rest_api_id(id)
        .name("Bad")
        .content_type("application/json")
        .schema(r#"{"type": 5}"#)
        .send()
        .await;
    assert_eq!(bad.unwrap_err().code(), Some("BadRequestException"));
    let validator =
        gw.create_request_validator().rest_api_id(id).name("body").validate_request_body(true).send().await.unwrap();

    let rid = item.id().unwrap();
    gw.put_method()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("PUT")
        .authorization_type("NONE")
        .request_validator_id(validator.id().unwrap())
        .request_models("application/json", "Item")
        .send()
        .await
        .unwrap();
    gw.put_method_response()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("PUT")
        .status_code("200")
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("PUT")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("PUT")
        .status_code("200")
        .response_templates("application/json", r#"{"ok": true}"#)
        .send()
        .await
        .unwrap();
    let method = gw.get_method().rest_api_id(id).resource_id(rid).http_method("PUT").send().await.unwrap();
    assert_eq!(method.request_models().and_then(|m| m.get("application/json")).map(String::as_str), Some("Item"));
    let integration = method.method_integration().expect("the integration");
    assert_eq!(integration.r#type(), Some(&IntegrationType::Mock));
    assert!(integration.integration_responses().is_some_and(|r| r.contains_key("200")));
    let listed = gw.get_resources().rest_api_id(id).send().await.unwrap();
    let mut paths: Vec<&str> = listed.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(paths, ["/", "/v1", "/v1/{item}"]);

    gw.create_deployment().rest_api_id(id).stage_name("prod").send().await.unwrap();
    let stage = gw
        .update_stage()
        .rest_api_id(id)
        .stage_name("prod")
        .patch_operations(patch("/*/*/throttling/rateLimit", "5"))
        .patch_operations(patch("/variables/env", "local"))
        .send()
        .await
        .unwrap();
    let all = stage.method_settings().and_then(|m| m.get("*/*")).expect("*/* settings");
    assert_eq!(all.throttling_rate_limit(), 5.0);
    assert_eq!(stage.variables().and_then(|v| v.get("env")).map(String::as_str), Some("local"));
    assert_eq!(gw.get_stages().rest_api_id(id).send().await.unwrap().item().len(), 1);

    // A MOCK integration answers from its templates; the validator holds the body to the model.
    let url = format!("/_aws/execute-api/{id}/prod/v1/7");
    let put = |body: &str| super::support::raw::Raw {
        method: "PUT",
        path: url.clone(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    };
    let (status, _, body) = put(r#"{"a": 1}"#).send(cloud.url()).await;
    assert_eq!((status, super::json(&body)), (200, serde_json::json!({"ok": true})));
    assert_eq!(put(r#"{"b": 1}"#).send(cloud.url()).await.0, 400);

    let missing = gw.get_rest_api().rest_api_id("nope").send().await.unwrap_err();
    assert_eq!(missing.code(), Some("NotFoundException"));
    gw.delete_rest_api().rest_api_id(id).send().await.unwrap();
    assert_eq!(gw.get_rest_api().rest_api_id(id).send().await.unwrap_err().code(), Some("NotFoundException"));
}

#[tokio::test]
async fn key_values_are_answered_only_when_asked_for() {
    let cloud = TestCloud::start_virtual().await;
    let gw = apigateway(&cloud).await;
    let value = "abcdefghijklmnopqrstuvwxyz0123";
    let key = gw.create_api_key().name("k").value(value).enabled(true).send().await.unwrap();
    let id = key.id().unwrap();
    assert_eq!(gw.get_api_key().api_key(id).send().await.unwrap().value(), None);
    assert_eq!(gw.get_api_key().api_key(id).include_value(true).send().await.unwrap().value(), Some(value));
    assert_eq!(gw.get_api_keys().send().await.unwrap().items()[0].value(), None);
    assert_eq!(gw.get_api_keys().include_values(true).send().await.unwrap().items()[0].value(), Some(value));
    let short = gw.create_api_key().name("s").value("short").send().await.unwrap_err();
    assert_eq!(short.code(), Some("BadRequestException"));

    let plan = gw.create_usage_plan().name("p").send().await.unwrap();
    gw.create_usage_plan_key().usage_plan_id(plan.id().unwrap()).key_id(id).key_type("API_KEY").send().await.unwrap();
    let keys = gw.get_usage_plan_keys().usage_plan_id(plan.id().unwrap()).send().await.unwrap();
    assert_eq!(keys.items()[0].value(), Some(value));
    let renamed = gw
        .update_usage_plan()
        .usage_plan_id(plan.id().unwrap())
        .patch_operations(patch("/name", "q"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.name(), Some("q"));
    let disabled = gw.update_api_key().api_key(id).patch_operations(patch("/enabled", "false")).send().await.unwrap();
    assert!(!disabled.enabled());

    let account = gw
        .update_account()
        .patch_operations(patch("/cloudwatchRoleArn", "arn:aws:iam::000000000000:role/logs"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.cloudwatch_role_arn(), Some("arn:aws:iam::000000000000:role/logs"));
    assert_eq!(
        gw.get_account().send().await.unwrap().cloudwatch_role_arn(),
        Some("arn:aws:iam::000000000000:role/logs")
    );
}
