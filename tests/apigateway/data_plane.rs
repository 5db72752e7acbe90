//! Pattern 1's API deployed from the bundled template, called as a producer calls it: POST /records
//! and POST /record signed for `execute-api`, and the refusals API Gateway answers.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use super::support::TestCloud;
use super::support::raw::Raw;
use super::{deploy_pattern1, json, signed_post};

#[tokio::test]
async fn pattern_1_records_reach_the_stream_through_the_api() {
    let cloud = TestCloud::start_virtual().await;
    let (api, stream) = deploy_pattern1(&cloud, "p1", &[]).await;
    let base = format!("/_aws/execute-api/{api}/prod");

    let records: Vec<_> = (0..500)
        .map(|i| json!({"data": format!("{{\"n\":{i}}}"), "partitionKey": format!("key-{}", i % 10)}))
        .collect();
    let body = json!({ "records": records }).to_string();
    let (status, headers, answer) = signed_post(&cloud, &format!("{base}/records"), &body).send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert!(headers.contains_key("x-amzn-requestid"));
    let answer = json(&answer);
    assert_eq!(answer["FailedRecordCount"], 0, "{answer}");
    assert_eq!(answer["Records"].as_array().map(Vec::len), Some(500));

    let one = json!({"data": "single", "partitionKey": "solo"}).to_string();
    let (status, _, answer) = signed_post(&cloud, &format!("{base}/record"), &one).send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert!(json(&answer)["SequenceNumber"].is_string());

    let stored = super::support::read_stream(&cloud, &stream).await;
    assert_eq!(stored.len(), 501);
    for i in [0, 137, 499] {
        let want = (format!("key-{}", i % 10), format!("{{\"n\":{i}}}").into_bytes());
        assert!(stored.contains(&want), "record {i} is on the stream");
    }
    // PutRecord's template encodes `$input.json('$.data')`: the JSON string, quotes included.
    assert!(stored.contains(&("solo".to_string(), b"\"single\"".to_vec())));
}

#[tokio::test]
async fn refusals_are_api_gateways() {
    let cloud = TestCloud::start_virtual().await;
    let (api, _) = deploy_pattern1(&cloud, "p1", &[]).await;
    let base = format!("/_aws/execute-api/{api}/prod");
    let message = |body: &[u8]| json(body)["message"].as_str().unwrap_or_default().to_string();

    // The model wants `records`, each with `data` and `partitionKey`.
    for bad in [r#"{"rows": []}"#, r#"{"records": [{"data": "x"}]}"#, r#"{"records": "x"}"#, "not json"] {
        let (status, headers, body) = signed_post(&cloud, &format!("{base}/records"), bad).send(cloud.url()).await;
        assert_eq!((status, message(&body).as_str()), (400, "Invalid request body"), "{bad}");
        assert_eq!(headers["x-amzn-errortype"], "BadRequestException");
    }

    let unsigned = Raw::post(&format!("{base}/records"), &[("content-type", "application/json")], r#"{"records": []}"#);
    let (status, headers, body) = unsigned.send(cloud.url()).await;
    assert_eq!((status, message(&body).as_str()), (403, "Missing Authentication Token"));
    assert_eq!(headers["x-amzn-errortype"], "MissingAuthenticationTokenException");

    for unknown in [
        format!("{base}/nowhere"),
        format!("/_aws/execute-api/{api}/dev/records"),
        "/_aws/execute-api/nope/prod/records".into(),
    ] {
        let (status, _, body) = signed_post(&cloud, &unknown, "{}").send(cloud.url()).await;
        assert_eq!((status, message(&body).as_str()), (403, "Missing Authentication Token"), "{unknown}");
    }

    let c = cloud.cloud.credentials();
    let forged = Raw::post(&format!("{base}/records"), &[("content-type", "application/json")], r#"{"records": []}"#)
        .signed(cloud.url(), "execute-api", &c.access_key_id, "not-the-secret", std::time::SystemTime::now());
    let (status, _, body) = forged.send(cloud.url()).await;
    assert_eq!(status, 403);
    assert!(message(&body).starts_with("The request signature we calculated does not match"), "{}", message(&body));

    let wrong_service = cloud.sign(Raw::post(&format!("{base}/records"), &[], r#"{"records": []}"#), "kinesis");
    let (status, _, body) = wrong_service.send(cloud.url()).await;
    assert_eq!(status, 403);
    assert!(message(&body).contains("execute-api"), "{}", message(&body));
}

#[tokio::test]
async fn the_stage_throttle_answers_429_until_the_clock_refills_it() {
    let cloud = TestCloud::start_virtual().await;
    let (api, _) = deploy_pattern1(&cloud, "p1", &[("ThrottlingRateLimit", "1"), ("ThrottlingBurstLimit", "2")]).await;
    let path = format!("/_aws/execute-api/{api}/prod/records");
    let body = r#"{"records": [{"data": "x", "partitionKey": "k"}]}"#;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(signed_post(&cloud, &path, body).send(cloud.url()).await.0);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (_, _, refused) = signed_post(&cloud, &path, body).send(cloud.url()).await;
    assert_eq!(json(&refused)["message"], "Too Many Requests");
    cloud.advance_settled(Duration::from_secs(1)).await;
    assert_eq!(signed_post(&cloud, &path, body).send(cloud.url()).await.0, 200);
}

#[tokio::test]
async fn no_auth_skips_iam_but_the_api_and_its_metrics_still_answer() {
    let cloud = TestCloud::start_with(|c| {
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
        c.auth = false;
    })
    .await;
    let (api, stream) = deploy_pattern1(&cloud, "p1", &[]).await;
    let body = json!({"records": [{"data": "a", "partitionKey": "k"}]}).to_string();
    let unsigned =
        Raw::post(&format!("/_aws/execute-api/{api}/prod/records"), &[("content-type", "application/json")], body);
    let (status, _, answer) = unsigned.send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(super::support::read_stream(&cloud, &stream).await.len(), 1);

    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let listed = cw.list_metrics().namespace("AWS/ApiGateway").send().await.expect("ListMetrics");
    let names: std::collections::BTreeSet<String> = listed
        .metrics()
        .iter()
        .filter(|m| m.dimensions().iter().any(|d| d.name() == Some("Stage") && d.value() == Some("prod")))
        .filter_map(|m| m.metric_name().map(str::to_string))
        .collect();
    for name in ["Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"] {
        assert!(names.contains(name), "{name} by ApiName and Stage: {names:?}");
    }
    let by_api = listed.metrics().iter().any(|m| {
        m.metric_name() == Some("Count")
            && m.dimensions().len() == 1
            && m.dimensions()[0].value() == Some("p1-kinesis-proxy")
    });
    assert!(by_api, "Count by ApiName alone");
    let _ = base64::engine::general_purpose::STANDARD.encode("");
}

#[tokio::test]
async fn the_aws_cli_and_a_restarted_cloud_see_what_the_stack_made() {
    let cloud = TestCloud::start_virtual().await;
    let (api, _) = deploy_pattern1(&cloud, "p1", &[]).await;
    if let Some(listed) = cloud.aws_json(&["apigateway", "get-rest-apis"]) {
        let items = listed["items"].as_array().expect("items");
        assert!(items.iter().any(|i| i["id"] == api.as_str() && i["name"] == "p1-kinesis-proxy"), "{listed}");
    }
    let cloud = cloud.restart().await;
    let gw = super::apigateway(&cloud).await;
    let got = gw.get_rest_api().rest_api_id(&api).send().await.expect("GetRestApi after a restart");
    assert_eq!(got.name(), Some("p1-kinesis-proxy"));
    let body = json!({"records": [{"data": "a", "partitionKey": "k"}]}).to_string();
    let (status, _, _) =
        signed_post(&cloud, &format!("/_aws/execute-api/{api}/prod/records"), &body).send(cloud.url()).await;
    assert_eq!(status, 200);
}
