//! The control plane: functions, their code link, permissions, tags, concurrency, and AWS's errors.

use std::time::Duration;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, LastUpdateStatus, Runtime, State};

use super::{ROLE, env, zip};

#[tokio::test]
async fn a_function_is_pending_then_active_and_updates_are_in_progress_then_successful() {
    let env = env().await;
    let created = env
        .lambda
        .create_function()
        .function_name("orders")
        .runtime(Runtime::Python313)
        .handler("index.handler")
        .role(ROLE)
        .timeout(30)
        .environment(aws_sdk_lambda::types::Environment::builder().variables("A", "1").build())
        .code(FunctionCode::builder().zip_file(Blob::new(zip())).build())
        .send()
        .await
        .unwrap();
    assert_eq!(created.state(), Some(&State::Pending));
    assert_eq!(created.function_arn(), Some("arn:aws:lambda:us-east-1:000000000000:function:orders"));
    env.seconds(1).await;
    let got = env.lambda.get_function().function_name("orders").send().await.unwrap();
    let config = got.configuration().unwrap();
    assert_eq!(config.state(), Some(&State::Active));
    assert_eq!(config.last_update_status(), Some(&LastUpdateStatus::Successful));
    assert_eq!(config.timeout(), Some(30));
    assert_eq!(config.environment().unwrap().variables().unwrap()["A"], "1");
    assert_eq!(config.logging_config().unwrap().log_group(), Some("/aws/lambda/orders"));

    let updated =
        env.lambda.update_function_configuration().function_name("orders").memory_size(256).send().await.unwrap();
    assert_eq!(updated.last_update_status(), Some(&LastUpdateStatus::InProgress));
    let busy =
        env.lambda.update_function_code().function_name("orders").zip_file(Blob::new(zip())).send().await.unwrap_err();
    assert_eq!(busy.code(), Some("ResourceConflictException"));
    env.seconds(1).await;
    env.lambda.update_function_code().function_name("orders").zip_file(Blob::new(zip())).send().await.unwrap();
    env.seconds(1).await;

    let listed = env.lambda.list_functions().send().await.unwrap();
    assert_eq!(listed.functions().iter().map(|f| f.function_name().unwrap()).collect::<Vec<_>>(), ["orders"]);
    assert_eq!(listed.functions()[0].memory_size(), Some(256));

    env.lambda.delete_function().function_name("orders").send().await.unwrap();
    let gone = env.lambda.get_function().function_name("orders").send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    assert_eq!(gone.message(), Some("Function not found: arn:aws:lambda:us-east-1:000000000000:function:orders"));
}

#[tokio::test]
async fn the_code_location_serves_the_zip_until_it_expires_and_refuses_a_forged_link() {
    let env = env().await;
    env.function("orders", None).await;
    let got = env.lambda.get_function().function_name("orders").send().await.unwrap();
    let location = got.code().unwrap().location().unwrap().to_string();
    assert!(location.starts_with(&format!("{}/_aws/lambda-code/orders?", env.cloud.url())), "{location}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let served = http.get(&location).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), zip());

    let forged = location.replace("signature=", "signature=00");
    assert_eq!(http.get(&forged).send().await.unwrap().status(), 403);
    let other = location.replace("/orders?", "/other?");
    assert_eq!(http.get(&other).send().await.unwrap().status(), 403);

    env.cloud.advance_settled(Duration::from_secs(601)).await;
    let expired = http.get(&location).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(String::from_utf8(expired.bytes().await.unwrap().to_vec()).unwrap().contains("Request has expired"));
}

#[tokio::test]
async fn bad_requests_get_lambdas_errors_in_its_shape() {
    let env = env().await;
    env.function("orders", None).await;
    let create = || {
        env.lambda
            .create_function()
            .function_name("orders")
            .runtime(Runtime::Python313)
            .handler("index.handler")
            .role(ROLE)
    };
    let again = create().code(FunctionCode::builder().zip_file(Blob::new(zip())).build()).send().await.unwrap_err();
    assert_eq!(again.code(), Some("ResourceConflictException"));
    assert_eq!(again.message(), Some("Function already exist: orders"));
    let s3 = create()
        .function_name("s3")
        .code(FunctionCode::builder().s3_bucket("b").s3_key("k").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3.code(), Some("InvalidParameterValueException"));
    let not_zip = create()
        .function_name("nz")
        .code(FunctionCode::builder().zip_file(Blob::new(b"text".to_vec())).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(not_zip.code(), Some("InvalidParameterValueException"));
    assert!(not_zip.message().unwrap().contains("Could not unzip uploaded file"));
    let bad_role = create()
        .function_name("br")
        .role("role")
        .code(FunctionCode::builder().zip_file(Blob::new(zip())).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_role.code(), Some("ValidationException"));
    let timeout = create()
        .function_name("to")
        .timeout(901)
        .code(FunctionCode::builder().zip_file(Blob::new(zip())).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(timeout.code(), Some("ValidationException"));

    // The wire shape: x-amzn-errortype and {"Type": "User", "message": …}.
    let raw = super::support::raw::Raw {
        method: "GET",
        path: "/2015-03-31/functions/missing".into(),
        headers: vec![],
        body: vec![],
    };
    let (status, headers, body) = env.cloud.sign(raw, "lambda").send(env.cloud.url()).await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-amzn-errortype"], "ResourceNotFoundException");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["Type"], "User");
    assert_eq!(body["message"], "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing");
}

#[tokio::test]
async fn permissions_tags_and_reserved_concurrency() {
    let env = env().await;
    let arn = env.function("fare", None).await;
    let added = env
        .lambda
        .add_permission()
        .function_name("fare")
        .statement_id("api")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn("arn:aws:execute-api:us-east-1:000000000000:abc/*/GET/predictFare")
        .send()
        .await
        .unwrap();
    let statement: serde_json::Value = serde_json::from_str(added.statement().unwrap()).unwrap();
    assert_eq!(statement["Principal"]["Service"], "apigateway.amazonaws.com");
    assert_eq!(
        statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        "arn:aws:execute-api:us-east-1:000000000000:abc/*/GET/predictFare"
    );
    let dup = env
        .lambda
        .add_permission()
        .function_name("fare")
        .statement_id("api")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Some("ResourceConflictException"));
    let policy = env.lambda.get_policy().function_name("fare").send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], "api");
    env.lambda.remove_permission().function_name("fare").statement_id("api").send().await.unwrap();
    let none = env.lambda.get_policy().function_name("fare").send().await.unwrap_err();
    assert_eq!(none.code(), Some("ResourceNotFoundException"));

    env.lambda.tag_resource().resource(&arn).tags("team", "rides").send().await.unwrap();
    let tags = env.lambda.list_tags().resource(&arn).send().await.unwrap();
    assert_eq!(tags.tags().unwrap()["team"], "rides");
    env.lambda.untag_resource().resource(&arn).tag_keys("team").send().await.unwrap();
    assert!(env.lambda.list_tags().resource(&arn).send().await.unwrap().tags().unwrap().is_empty());

    let too_many = env
        .lambda
        .put_function_concurrency()
        .function_name("fare")
        .reserved_concurrent_executions(950)
        .send()
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Some("InvalidParameterValueException"));
    env.lambda.put_function_concurrency().function_name("fare").reserved_concurrent_executions(0).send().await.unwrap();
    let c = env.lambda.get_function_concurrency().function_name("fare").send().await.unwrap();
    assert_eq!(c.reserved_concurrent_executions(), Some(0));
    let throttled = env.lambda.invoke().function_name("fare").send().await.unwrap_err();
    assert_eq!(throttled.code(), Some("TooManyRequestsException"));
    let throttles = env.cw.list_metrics().namespace("AWS/Lambda").metric_name("Throttles").send().await.unwrap();
    assert!(!throttles.metrics().is_empty(), "Throttles is published");
}
