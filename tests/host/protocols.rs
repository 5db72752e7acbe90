//! The host below the SDK: each protocol's framing and errors, SigV4 accept/reject, body limits.

use crate::support;

use std::time::{Duration, SystemTime};

use support::TestCloud;
use support::raw::Raw;

const STS_JSON: &str = "AWSSecurityTokenServiceV20110615.GetCallerIdentity";
const CW: &str = "/service/GraniteServiceVersion20100801/operation/";

fn json_body(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("a JSON error body")
}

fn cbor_body(body: &[u8]) -> serde_json::Value {
    let v: ciborium::Value = ciborium::from_reader(body).expect("a CBOR error body");
    let mut json = serde_json::Map::new();
    for (k, v) in v.as_map().expect("a CBOR map") {
        json.insert(
            k.as_text().unwrap_or_default().into(),
            v.as_text().map(Into::into).unwrap_or(serde_json::Value::Null),
        );
    }
    json.into()
}

#[tokio::test]
async fn aws_json_framing_and_errors() {
    let cloud = TestCloud::start().await;
    let json10 = [("content-type", "application/x-amz-json-1.0"), ("x-amz-target", STS_JSON)];
    let (status, headers, body) = cloud.sign(Raw::post("/", &json10, "{}"), "sts").send(cloud.url()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
    assert_eq!(json_body(&body)["Account"], "000000000000");

    let (status, headers, body) = cloud.sign(Raw::post("/", &json10, "{not json"), "sts").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert_eq!(json_body(&body)["__type"], "SerializationException");
    assert_eq!(headers["x-amzn-query-error"], "SerializationException;Sender");

    let unknown = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "Nope_20200101.Do")];
    let (status, _, body) = cloud.sign(Raw::post("/", &unknown, "{}"), "sts").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert_eq!(json_body(&body)["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn rpc_v2_cbor_framing_and_errors() {
    let cloud = TestCloud::start().await;
    let headers = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")];
    let path = format!("{CW}NoSuchOperation");
    let (status, h, body) = cloud.sign(Raw::post(&path, &headers, vec![0xa0]), "monitoring").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert_eq!(h["smithy-protocol"], "rpc-v2-cbor");
    assert_eq!(h["x-amzn-query-error"], "UnknownOperationException;Sender");
    assert_eq!(cbor_body(&body)["__type"], "UnknownOperationException");

    let garbage = format!("{CW}ListMetrics");
    let (status, _, body) =
        cloud.sign(Raw::post(&garbage, &headers, vec![0xff, 0x01]), "monitoring").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert_eq!(cbor_body(&body)["__type"], "SerializationException");

    let (status, _, body) = cloud
        .sign(Raw::post(&garbage, &[("content-type", "application/json")], "{}"), "monitoring")
        .send(cloud.url())
        .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
}

/// CloudWatch is query-compatible: its awsJson and CBOR errors carry `x-amzn-query-error: <Code>;<Fault>` with
/// the awsQuery code, which the SDKs read in place of the body's type (botocore and smithy-rs alike).
#[tokio::test]
async fn cloudwatch_errors_carry_their_query_code_over_json_and_cbor() {
    let cloud = TestCloud::start().await;
    let json = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "GraniteServiceVersion20100801.GetDashboard"),
    ];
    let missing = r#"{"DashboardName":"no-such-dashboard"}"#;
    let (status, h, body) = cloud.sign(Raw::post("/", &json, missing), "monitoring").send(cloud.url()).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert_eq!(h["x-amzn-query-error"], "ResourceNotFound;Sender");

    let cbor_headers = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")];
    let mut request = Vec::new();
    let doc = ciborium::Value::Map(vec![("DashboardName".into(), "no-such-dashboard".into())]);
    ciborium::into_writer(&doc, &mut request).expect("encodes");
    let path = format!("{CW}GetDashboard");
    let (status, h, _) = cloud.sign(Raw::post(&path, &cbor_headers, request), "monitoring").send(cloud.url()).await;
    assert_eq!(status, 404);
    assert_eq!(h["x-amzn-query-error"], "ResourceNotFound;Sender");

    let json = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "GraniteServiceVersion20100801.GetMetricStatistics"),
    ];
    let bad = r#"{"Namespace":"N","MetricName":"M","StartTime":0,"EndTime":60,"Period":60}"#;
    let (status, h, body) = cloud.sign(Raw::post("/", &json, bad), "monitoring").send(cloud.url()).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let code = json_body(&body)["__type"].as_str().unwrap_or_default().to_string();
    assert_eq!(h["x-amzn-query-error"], format!("{code};Sender"), "the header names the body's error as awsQuery does");

    // The Rust SDK matches the typed error through the header's code.
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let err = cw.get_dashboard().dashboard_name("no-such-dashboard").send().await.expect_err("no such dashboard");
    assert!(err.into_service_error().is_dashboard_not_found_error());
}

#[tokio::test]
async fn aws_query_framing_and_errors() {
    let cloud = TestCloud::start().await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let (status, _, body) =
        cloud.sign(Raw::post("/", &form, "Action=GetCallerIdentity&Version=2011-06-15"), "sts").send(cloud.url()).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn>"), "{text}");
    assert!(text.contains("<RequestId>"), "{text}");

    let (status, _, body) = cloud.sign(Raw::post("/", &form, "Version=2011-06-15"), "sts").send(cloud.url()).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 400);
    assert!(text.contains("<Code>MissingAction</Code>") && text.contains("<Type>Sender</Type>"), "{text}");

    let (status, _, body) =
        cloud.sign(Raw::post("/", &form, "Action=AssumeNothing&Version=2011-06-15"), "sts").send(cloud.url()).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8(body).unwrap().contains("<Code>InvalidAction</Code>"));
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_being_read() {
    let cloud = TestCloud::start().await;
    let json = [("content-type", "application/x-amz-json-1.0"), ("x-amz-target", STS_JSON)];
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(200 * 1024));
    let (status, _, body) = Raw::post("/", &json, big).send(cloud.url()).await;
    assert_eq!(status, 413);
    assert_eq!(json_body(&body)["__type"], "RequestEntityTooLarge");
}

#[tokio::test]
async fn a_refused_body_is_read_to_its_end_so_the_client_gets_the_refusal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cloud = TestCloud::start().await;
    let host = cloud.url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
    let size = 4 * 1024 * 1024;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amz-target: {STS_JSON}\r\n\
         content-length: {size}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..size / chunk.len() {
        stream.write_all(&chunk).await.expect("the host reads a refused body to its end");
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("the refusal arrives, not a reset");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("RequestEntityTooLarge"), "{text}");
}

#[tokio::test]
async fn signatures_are_verified() {
    let cloud = TestCloud::start().await;
    let c = cloud.cloud.credentials().clone();
    let json = [("content-type", "application/x-amz-json-1.0"), ("x-amz-target", STS_JSON)];
    let now = SystemTime::now();
    let send = |raw: Raw| raw.send(cloud.url());

    let (status, _, _) =
        send(Raw::post("/", &json, "{}").signed(cloud.url(), "sts", &c.access_key_id, &c.secret_access_key, now)).await;
    assert_eq!(status, 200, "a correct signature is accepted");

    let (status, _, body) = send(Raw::post("/", &json, "{}")).await;
    assert_eq!((status, json_body(&body)["__type"].clone()), (403, "MissingAuthenticationTokenException".into()));

    let wrong_secret = Raw::post("/", &json, "{}").signed(cloud.url(), "sts", &c.access_key_id, "not-the-secret", now);
    let (status, _, body) = send(wrong_secret).await;
    assert_eq!((status, json_body(&body)["__type"].clone()), (403, "InvalidSignatureException".into()));

    let wrong_key = Raw::post("/", &json, "{}").signed(cloud.url(), "sts", "AKIDNOTKNOWN", &c.secret_access_key, now);
    let (status, _, body) = send(wrong_key).await;
    assert_eq!((status, json_body(&body)["__type"].clone()), (403, "UnrecognizedClientException".into()));

    let stale = now - Duration::from_secs(20 * 60);
    let old = Raw::post("/", &json, "{}").signed(cloud.url(), "sts", &c.access_key_id, &c.secret_access_key, stale);
    let (status, _, body) = send(old).await;
    let err = json_body(&body);
    assert_eq!((status, err["__type"].clone()), (403, "InvalidSignatureException".into()));
    assert!(err["message"].as_str().unwrap().contains("expired"), "{err}");

    let mut tampered =
        Raw::post("/", &json, "{}").signed(cloud.url(), "sts", &c.access_key_id, &c.secret_access_key, now);
    tampered.body = b"{ }".to_vec();
    let (status, _, body) = send(tampered).await;
    assert_eq!((status, json_body(&body)["__type"].clone()), (403, "InvalidSignatureException".into()));

    let form = [("content-type", "application/x-www-form-urlencoded")];
    let query = Raw::post("/", &form, "Action=GetCallerIdentity&Version=2011-06-15").signed(
        cloud.url(),
        "sts",
        &c.access_key_id,
        "not-the-secret",
        now,
    );
    let (status, _, body) = send(query).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8(body).unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));
}

#[tokio::test]
async fn no_auth_mode_accepts_unsigned_requests() {
    let cloud = TestCloud::start_with(|c| c.auth = false).await;
    let json = [("content-type", "application/x-amz-json-1.0"), ("x-amz-target", STS_JSON)];
    let (status, _, body) = Raw::post("/", &json, "{}").send(cloud.url()).await;
    assert_eq!(status, 200);
    assert_eq!(json_body(&body)["Account"], "000000000000");
}
