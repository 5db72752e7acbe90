//! API Gateway's two planes under bad input: oversized, deeply nested and malformed bodies and bad
//! paths, sent signed to the control plane (`apigateway`) and to a deployed stage (`execute-api`),
//! get API Gateway's answers (a 4xx with its `message`, never a 5xx unless API Gateway itself answers
//! one), the host keeps serving, and nothing a refused request carried is left behind: no model, no
//! API, no record on the stream.
//!
//! The host runs as a child process (`local serve --virtual-clock`), so a stack overflow shows up as a
//! dead host, not as the end of the test binary.

use std::time::{Duration, SystemTime};

use kinesis_console::cloud::admin_client::AdminClient;
use serde_json::{Value, json};

use crate::support::raw::Raw;
use crate::support::served::{Served, serve_with};

/// Pattern 1's PutRecords template (the bundled template's text, its stream named `s`).
const PUT_RECORDS: &str = r#"{ "StreamName": "s", "Records": [
#foreach($elem in $input.path('$.records'))
{ "Data": "$util.base64Encode($elem.data)", "PartitionKey": "$elem.partitionKey"}#if($foreach.hasNext),#end
#end ] }"#;

const ROWS_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["records"],
"properties":{"records":{"type":"array","items":{"type":"object","required":["data","partitionKey"],
"properties":{"data":{"type":"string"},"partitionKey":{"type":"string"}}}}}}"#;

const LIMIT: usize = 10 * 1024 * 1024;

struct Host {
    served: Served,
    _dir: tempfile::TempDir,
    url: String,
    key: String,
    secret: String,
    client: reqwest::Client,
}

/// What a request got.
struct Got {
    status: u16,
    error_type: Option<String>,
    body: Value,
    text: String,
}

impl Host {
    fn start() -> Host {
        let dir = tempfile::tempdir().expect("temp dir");
        let served = serve_with(dir.path(), &["--virtual-clock"]);
        let info = served.endpoint();
        // A fresh connection per request: a host that refuses a body unread closes the connection.
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Host { served, _dir: dir, url: info.url, key: info.access_key_id, secret: info.secret_access_key, client }
    }

    async fn send(
        &self,
        method: &'static str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        service: &str,
    ) -> Got {
        let raw = Raw {
            method,
            path: path.to_string(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body,
        };
        let raw = raw.signed(&self.url, service, &self.key, &self.secret, SystemTime::now());
        let mut req = self.client.request(method.parse().expect("method"), format!("{}{}", self.url, raw.path));
        for (k, v) in raw.headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k, v);
        }
        let resp = req.body(raw.body).send().await.unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
        let status = resp.status().as_u16();
        let error_type = resp.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = resp.bytes().await.expect("a body");
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        Got { status, error_type, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), text }
    }

    /// A control-plane call with a JSON body.
    async fn control(&self, method: &'static str, path: &str, body: impl Into<Vec<u8>>) -> Got {
        self.send(method, path, &[("content-type", "application/json")], body.into(), "apigateway").await
    }

    async fn kinesis(&self, operation: &str, body: Value) -> Got {
        let target = format!("Kinesis_20131202.{operation}");
        let headers = [("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.1")];
        self.send("POST", "/", &headers, body.to_string().into_bytes(), "kinesis").await
    }

    async fn advance(&self, secs: u64) {
        let admin = AdminClient::new(self.served.endpoint());
        admin.post("clock", json!({ "advance_ms": secs * 1000 })).await.expect("the clock moves");
    }

    /// Stream `s` and an API with `POST /records` (IAM, validated against the rows model, PutRecords
    /// through pattern 1's template) deployed to `prod`; the API's id.
    async fn pattern1_api(&self) -> String {
        assert_eq!(self.kinesis("CreateStream", json!({"StreamName": "s", "ShardCount": 1})).await.status, 200);
        self.advance(2).await;
        let api = self.control("POST", "/restapis", json!({"name": "robust"}).to_string()).await;
        assert_eq!(api.status, 201, "{}", api.text);
        let id = api.body["id"].as_str().expect("an id").to_string();
        let root = self.control("GET", &format!("/restapis/{id}/resources"), "").await;
        let root = root.body["item"][0]["id"].as_str().expect("the root resource").to_string();
        let model = json!({"name": "Rows", "contentType": "application/json", "schema": ROWS_SCHEMA});
        assert_eq!(self.control("POST", &format!("/restapis/{id}/models"), model.to_string()).await.status, 201);
        let validator = json!({"name": "body", "validateRequestBody": true});
        let validator = self.control("POST", &format!("/restapis/{id}/requestvalidators"), validator.to_string()).await;
        let validator = validator.body["id"].as_str().expect("a validator").to_string();
        let resource =
            self.control("POST", &format!("/restapis/{id}/resources/{root}"), r#"{"pathPart":"records"}"#).await;
        let resource = resource.body["id"].as_str().expect("a resource").to_string();
        let method = format!("/restapis/{id}/resources/{resource}/methods/POST");
        let put = json!({"authorizationType": "AWS_IAM", "requestValidatorId": validator,
            "requestModels": {"application/json": "Rows"}});
        assert_eq!(self.control("PUT", &method, put.to_string()).await.status, 201);
        let integration = json!({"type": "AWS", "httpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:kinesis:action/PutRecords",
            "credentials": "arn:aws:iam::000000000000:role/api", "passthroughBehavior": "NEVER",
            "requestTemplates": {"application/json": PUT_RECORDS}});
        let got = self.control("PUT", &format!("{method}/integration"), integration.to_string()).await;
        assert_eq!(got.status, 201, "{}", got.text);
        assert_eq!(self.control("PUT", &format!("{method}/responses/200"), "{}").await.status, 201);
        assert_eq!(self.control("PUT", &format!("{method}/integration/responses/200"), "{}").await.status, 201);
        let deployed = self.control("POST", &format!("/restapis/{id}/deployments"), r#"{"stageName":"prod"}"#).await;
        assert_eq!(deployed.status, 201, "{}", deployed.text);
        id
    }

    /// `POST` to the stage, signed for `execute-api`.
    async fn execute(&self, path: &str, content_type: &str, body: Vec<u8>) -> Got {
        self.send("POST", path, &[("content-type", content_type)], body, "execute-api").await
    }

    /// Every record on stream `s`'s one shard.
    async fn records(&self) -> usize {
        let it = self
            .kinesis(
                "GetShardIterator",
                json!({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
            )
            .await;
        let it = it.body["ShardIterator"].as_str().expect("an iterator").to_string();
        let got = self.kinesis("GetRecords", json!({"ShardIterator": it})).await;
        got.body["Records"].as_array().map_or(0, Vec::len)
    }
}

/// `depth` nested arrays around `inner`.
fn deep(depth: usize, inner: &str) -> String {
    "[".repeat(depth) + inner + &"]".repeat(depth)
}

fn rows(n: usize, data: &str) -> Vec<u8> {
    let records: Vec<Value> = (0..n).map(|i| json!({"data": data, "partitionKey": format!("k{i}")})).collect();
    json!({ "records": records }).to_string().into_bytes()
}

/// What a case must get: the status and the `message` (None: any message, but one).
type Want = (u16, Option<&'static str>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_to_either_plane_gets_api_gateways_answers_and_leaves_nothing_behind() {
    let host = Host::start();
    let api = host.pattern1_api().await;
    let stage = format!("/_aws/execute-api/{api}/prod");
    let records = format!("{stage}/records");
    let good = host.execute(&records, "application/json", rows(2, "ok")).await;
    assert_eq!(good.status, 200, "the API works before the cases: {}", good.text);

    let invalid = Some("Invalid request body");
    let missing = Some("Missing Authentication Token");
    let data_plane: Vec<(&str, String, &str, Vec<u8>, Want)> = vec![
        (
            "malformed JSON",
            records.clone(),
            "application/json",
            br#"{"records": [{"data": "x""#.to_vec(),
            (400, invalid),
        ),
        ("100,000 nested arrays", records.clone(), "application/json", deep(100_000, "1").into_bytes(), (400, invalid)),
        (
            "records nested 100,000 deep",
            records.clone(),
            "application/json",
            format!(r#"{{"records": {}}}"#, deep(100_000, "")).into_bytes(),
            (400, invalid),
        ),
        ("JSON that is not an object", records.clone(), "application/json", b"\"records\"".to_vec(), (400, invalid)),
        (
            "a record's data not a string",
            records.clone(),
            "application/json",
            br#"{"records":[{"data":{"a":1},"partitionKey":"k"}]}"#.to_vec(),
            (400, invalid),
        ),
        ("invalid UTF-8", records.clone(), "application/json", b"{\"records\": [\xff\xfe]}".to_vec(), (400, invalid)),
        ("a body over 10 MB", records.clone(), "application/json", vec![b' '; LIMIT + 1], (413, None)),
        // Kinesis refuses the record (over 1 MiB); the integration's answer is passed back.
        (
            "a valid body with a 2 MB record",
            records.clone(),
            "application/json",
            rows(1, &"x".repeat(2 * 1024 * 1024)),
            (200, None),
        ),
        // Its base64 (12 MB) is over the local bound on a mapping template's output (10 MB): a
        // failed transformation is API Gateway's own 500.
        (
            "a valid body with a 9 MB record",
            records.clone(),
            "application/json",
            rows(1, &"x".repeat(9 * 1024 * 1024)),
            (500, Some("Internal server error")),
        ),
        (
            "a media type without a template",
            records.clone(),
            "text/plain",
            rows(1, "x"),
            (415, Some("Unsupported Media Type")),
        ),
        ("an unknown resource", format!("{stage}/nowhere"), "application/json", rows(1, "x"), (403, missing)),
        ("a path under the resource", format!("{records}/more"), "application/json", rows(1, "x"), (403, missing)),
        (
            "an unknown stage",
            format!("/_aws/execute-api/{api}/dev/records"),
            "application/json",
            rows(1, "x"),
            (403, missing),
        ),
        ("no stage", format!("/_aws/execute-api/{api}"), "application/json", rows(1, "x"), (403, missing)),
        (
            "an unknown API",
            "/_aws/execute-api/nope/prod/records".into(),
            "application/json",
            rows(1, "x"),
            (403, missing),
        ),
        ("a path of bad escapes", format!("{stage}/%ff%fe%00"), "application/json", rows(1, "x"), (403, missing)),
        (
            "a path of 8,000 segments",
            format!("{stage}/{}", "a/".repeat(8_000)),
            "application/json",
            rows(1, "x"),
            (403, missing),
        ),
    ];
    let mut failures = Vec::new();
    for (name, path, content_type, body, want) in data_plane {
        let got = host.execute(&path, content_type, body).await;
        if let Some(problem) = check(&got, want) {
            failures.push(format!("data plane, {name}: {problem}"));
        }
    }
    // Of everything sent, only the two good records reached the stream.
    assert_eq!(host.records().await, 2, "refused requests wrote nothing to the stream");

    let deep_schema = json!({"name": "Deep", "contentType": "application/json", "schema": deep(100_000, "")});
    let nested_schema = {
        let mut s = r#"{"type":"string"}"#.to_string();
        for _ in 0..200 {
            s = format!(r#"{{"type":"object","properties":{{"a":{s}}}}}"#);
        }
        json!({"name": "Nested", "contentType": "application/json", "schema": s})
    };
    let models = format!("/restapis/{api}/models");
    let mut renames_then_bad = vec![json!({"op": "replace", "path": "/name", "value": "renamed"}); 100_000];
    renames_then_bad.push(json!({"op": "replace", "path": "/no-such-field", "value": "x"}));
    let bad_request = Some("");
    let control: Vec<(&str, &'static str, String, Vec<u8>, Want)> = vec![
        ("CreateRestApi, malformed JSON", "POST", "/restapis".into(), br#"{"name": "#.to_vec(), (400, bad_request)),
        (
            "CreateRestApi, 100,000 nested arrays",
            "POST",
            "/restapis".into(),
            deep(100_000, "").into_bytes(),
            (400, bad_request),
        ),
        (
            "CreateRestApi, a name nested 100,000 deep",
            "POST",
            "/restapis".into(),
            format!(r#"{{"name": {}}}"#, deep(100_000, "\"x\"")).into_bytes(),
            (400, bad_request),
        ),
        ("CreateRestApi, a body over 10 MB", "POST", "/restapis".into(), vec![b' '; LIMIT + 1], (413, None)),
        (
            "CreateModel, a schema of 100,000 nested arrays",
            "POST",
            models.clone(),
            deep_schema.to_string().into_bytes(),
            (400, bad_request),
        ),
        (
            "CreateModel, a schema nested 200 objects deep",
            "POST",
            models.clone(),
            nested_schema.to_string().into_bytes(),
            (400, bad_request),
        ),
        (
            "UpdateRestApi, 100,000 renames then a bad operation",
            "PATCH",
            format!("/restapis/{api}"),
            json!({"patchOperations": renames_then_bad}).to_string().into_bytes(),
            (400, bad_request),
        ),
        ("an unknown operation", "GET", format!("/restapis/{api}/nothing/here"), Vec::new(), (404, bad_request)),
        ("a path of bad escapes", "GET", "/restapis/%ff%fe%00".into(), Vec::new(), (404, bad_request)),
        (
            "a path of 8,000 segments",
            "GET",
            format!("/restapis/{}", "a/".repeat(8_000)),
            Vec::new(),
            (404, bad_request),
        ),
        (
            "a method on a missing resource",
            "PUT",
            format!("/restapis/{api}/resources/nope/methods/POST"),
            br#"{"authorizationType": "NONE"}"#.to_vec(),
            (404, bad_request),
        ),
    ];
    for (name, method, path, body, want) in control {
        let got = host.control(method, &path, body).await;
        if let Some(problem) = check(&got, want) {
            failures.push(format!("control plane, {name}: {problem}"));
        }
    }
    let listed = host.control("GET", "/restapis", "").await;
    let names: Vec<&str> =
        listed.body["item"].as_array().expect("items").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["robust"], "no refused CreateRestApi left an API, no refused update renamed one");
    let listed = host.control("GET", &models, "").await;
    let names: Vec<&str> =
        listed.body["item"].as_array().expect("items").iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, ["Rows"], "no refused CreateModel left a model");
    let again = host.execute(&records, "application/json", rows(1, "ok")).await;
    assert_eq!(again.status, 200, "the API still serves: {}", again.text);
    assert!(failures.is_empty(), "{} case(s) failed:\n  {}", failures.len(), failures.join("\n  "));
}

/// The problem with an answer, if any: another status than wanted, a 4xx without API Gateway's
/// `{"message": …}` and `x-amzn-errortype`, or a message other than the one wanted.
fn check(got: &Got, (status, message): Want) -> Option<String> {
    if got.status != status {
        return Some(format!("{} where {status} was due: {}", got.status, got.text));
    }
    if status < 400 {
        return None;
    }
    let Some(said) = got.body["message"].as_str() else {
        return Some(format!("{status} without a message: {}", got.text));
    };
    if got.error_type.is_none() && status < 415 {
        return Some(format!("{status} without x-amzn-errortype: {}", got.text));
    }
    match message {
        Some(m) if !m.is_empty() && m != said => Some(format!("message {said:?} where {m:?} was due")),
        _ => None,
    }
}
