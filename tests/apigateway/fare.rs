//! Pattern 4's fare API as the template declares it (GET /predictFare, Lambda proxy, IAM and an API
//! key in a usage plan), built through aws-sdk-apigateway and answered by a test `FunctionRunner`
//! standing in for the local Lambda.

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::types::{ApiStage, IntegrationType, QuotaPeriodType, QuotaSettings, ThrottleSettings};
use futures_util::future::BoxFuture;
use kinesis_console::cloud::error::ApiError;
use kinesis_console::cloud::function_invoker::{FunctionRunner, Invocation};
use serde_json::{Value, json};

use super::support::TestCloud;
use super::support::raw::Raw;
use super::{apigateway, json};

const FUNCTION: &str = "arn:aws:lambda:us-east-1:000000000000:function:fare";

/// Pattern 4's fare function: a fare from the ride id, 400 without one; `malformed` answers a body
/// that is not a proxy response. Keeps every event it got.
#[derive(Default)]
struct Fare {
    events: Mutex<Vec<Value>>,
}

impl FunctionRunner for Fare {
    fn invoke<'a>(&'a self, function: &'a str, payload: Vec<u8>) -> BoxFuture<'a, Result<Invocation, ApiError>> {
        Box::pin(async move {
            let event: Value = serde_json::from_slice(&payload).expect("the proxy event is JSON");
            self.events.lock().unwrap().push(event.clone());
            assert_eq!(function, FUNCTION);
            let id = event["queryStringParameters"]["ride_request_id"].as_str().and_then(|s| s.parse::<u64>().ok());
            let answer = match (id, event["headers"]["x-malformed"].as_str()) {
                (_, Some(_)) => json!({"body": "no status"}),
                (Some(id), _) => {
                    json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json!({"ride_request_id": id, "fare": 2.5 + id as f64}).to_string()})
                }
                (None, _) => {
                    json!({"statusCode": 400, "body": json!({"message": "ride_request_id is required"}).to_string()})
                }
            };
            Ok(Invocation {
                payload: answer.to_string().into_bytes(),
                function_error: None,
                executed_version: "$LATEST".into(),
            })
        })
    }
}

/// The fare API, deployed to `prod`, with a key in a usage plan of `quota` requests a day. Returns the
/// API id and the key's value.
async fn fare_api(cloud: &TestCloud, quota: i32) -> (String, String) {
    let gw = apigateway(cloud).await;
    let api = gw.create_rest_api().name("fares").send().await.expect("CreateRestApi");
    let api_id = api.id().unwrap().to_string();
    let resource = gw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(api.root_resource_id().unwrap())
        .path_part("predictFare")
        .send()
        .await
        .expect("CreateResource");
    let rid = resource.id().unwrap();
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(rid)
        .http_method("GET")
        .authorization_type("AWS_IAM")
        .api_key_required(true)
        .send()
        .await
        .expect("PutMethod");
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(rid)
        .http_method("GET")
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"))
        .send()
        .await
        .expect("PutIntegration");
    gw.create_deployment().rest_api_id(&api_id).stage_name("prod").send().await.expect("CreateDeployment");
    let key = gw.create_api_key().name("flink").enabled(true).send().await.expect("CreateApiKey");
    let plan = gw
        .create_usage_plan()
        .name("fares")
        .api_stages(ApiStage::builder().api_id(&api_id).stage("prod").build())
        .throttle(ThrottleSettings::builder().rate_limit(100.0).burst_limit(100).build())
        .quota(QuotaSettings::builder().limit(quota).period(QuotaPeriodType::Day).build())
        .send()
        .await
        .expect("CreateUsagePlan");
    gw.create_usage_plan_key()
        .usage_plan_id(plan.id().unwrap())
        .key_id(key.id().unwrap())
        .key_type("API_KEY")
        .send()
        .await
        .expect("CreateUsagePlanKey");
    (api_id, key.value().expect("CreateApiKey answers the value").to_string())
}

fn get(cloud: &TestCloud, path: &str, key: Option<&str>) -> Raw {
    let mut headers = vec![];
    if let Some(k) = key {
        headers.push(("x-api-key".to_string(), k.to_string()));
    }
    let raw = Raw { method: "GET", path: path.to_string(), headers, body: Vec::new() };
    cloud.sign(raw, "execute-api")
}

#[tokio::test]
async fn a_trip_gets_its_fare_through_the_lambda_proxy_with_its_key() {
    let cloud = TestCloud::start_virtual().await;
    let fare = Arc::new(Fare::default());
    cloud.cloud.ctx.function_invoker.install(fare.clone());
    let (api, key) = fare_api(&cloud, 100).await;
    let path = format!("/_aws/execute-api/{api}/prod/predictFare");

    let (status, _, body) = get(&cloud, &format!("{path}?ride_request_id=7"), Some(&key)).send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body), json!({"ride_request_id": 7, "fare": 9.5}));
    let event = fare.events.lock().unwrap()[0].clone();
    assert_eq!(event["resource"], "/predictFare");
    assert_eq!(event["path"], "/predictFare");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["queryStringParameters"], json!({"ride_request_id": "7"}));
    assert_eq!(event["multiValueQueryStringParameters"], json!({"ride_request_id": ["7"]}));
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["body"], Value::Null);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["requestContext"]["stage"], "prod");
    assert_eq!(event["requestContext"]["apiId"], api.as_str());
    assert_eq!(event["requestContext"]["identity"]["apiKey"], key.as_str());

    let (status, _, body) = get(&cloud, &path, Some(&key)).send(cloud.url()).await;
    assert_eq!((status, json(&body)["message"].as_str()), (400, Some("ride_request_id is required")));

    for wrong in [None, Some("not-a-key-of-this-plan-at-all")] {
        let (status, _, body) = get(&cloud, &format!("{path}?ride_request_id=7"), wrong).send(cloud.url()).await;
        assert_eq!((status, json(&body)["message"].as_str()), (403, Some("Forbidden")), "{wrong:?}");
    }

    let mut malformed = get(&cloud, &format!("{path}?ride_request_id=7"), Some(&key));
    malformed.headers.retain(|(k, _)| k != "authorization");
    let (status, _, body) = malformed.send(cloud.url()).await;
    assert_eq!((status, json(&body)["message"].as_str()), (403, Some("Missing Authentication Token")));

    let raw = Raw {
        method: "GET",
        path: format!("{path}?ride_request_id=7"),
        headers: vec![("x-api-key".into(), key.clone()), ("x-malformed".into(), "1".into())],
        body: Vec::new(),
    };
    let (status, _, body) = cloud.sign(raw, "execute-api").send(cloud.url()).await;
    assert_eq!((status, json(&body)["message"].as_str()), (502, Some("Internal server error")));
}

#[tokio::test]
async fn an_exhausted_usage_plan_answers_limit_exceeded_until_the_next_day() {
    let cloud = TestCloud::start_virtual().await;
    cloud.cloud.ctx.function_invoker.install(Arc::new(Fare::default()));
    let (api, key) = fare_api(&cloud, 2).await;
    let path = format!("/_aws/execute-api/{api}/prod/predictFare?ride_request_id=1");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&cloud, &path, Some(&key)).send(cloud.url()).await.0);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (_, headers, body) = get(&cloud, &path, Some(&key)).send(cloud.url()).await;
    assert_eq!(json(&body)["message"], "Limit Exceeded");
    assert_eq!(headers["x-amzn-errortype"], "LimitExceededException");
    cloud.advance_settled(std::time::Duration::from_secs(86_400)).await;
    assert_eq!(get(&cloud, &path, Some(&key)).send(cloud.url()).await.0, 200);
}
