//! Pattern 1's way in: `POST {api}/records` with `{"records":[{"data":…,"partitionKey":…}]}`, signed with
//! SigV4 for `execute-api` (the method's `AWS_IAM` authorization), which the API's mapping template turns
//! into one PutRecords call whose answer it passes back. A 429 (stage or usage-plan throttling) and 5xx
//! answers are retried by the engine like a throttled or failed PutRecords; a record the stream refused
//! comes back with its `ErrorCode` as from PutRecords.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use super::sink::{CallFailure, FailureKind, RecordResult, Sink, SinkAnswer, SinkRecord};
use crate::execute_api::signed;

/// No answer within this long counts as lost (the records may have landed).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// API Gateway's payload limit is 10 MB; an answer is a PutRecords result.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

pub struct RestSink {
    client: Client<Https, Full<Bytes>>,
    /// `…/records` on the API's stage.
    url: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
}

impl RestSink {
    /// `api_url` is the stage's invoke URL (`https://{api}.execute-api.{region}.amazonaws.com/{stage}/`, or
    /// the local cloud's form of it); requests are signed with the SDK configuration's credentials.
    pub fn new(sdk: &aws_config::SdkConfig, api_url: &str) -> anyhow::Result<RestSink> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| anyhow::anyhow!("reading the system's root certificates for HTTPS: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let url = format!("{}/records", api_url.trim_end_matches('/'));
        anyhow::ensure!(url.starts_with("https://") || url.starts_with("http://"), "{api_url} is not an API URL");
        Ok(RestSink {
            client: Client::builder(TokioExecutor::new()).build(https),
            url,
            region: sdk.region().map_or_else(|| "us-east-1".to_string(), |r| r.to_string()),
            credentials: sdk.credentials_provider(),
        })
    }
}

impl Sink for RestSink {
    /// The template's model takes any number; PutRecords behind it takes 500.
    fn max_records(&self) -> usize {
        500
    }

    /// The API's model carries each record's data as a JSON string.
    fn takes_binary(&self) -> bool {
        false
    }

    fn put(&self, records: Vec<SinkRecord>) -> BoxFuture<'static, SinkAnswer> {
        let (client, url, region, credentials) =
            (self.client.clone(), self.url.clone(), self.region.clone(), self.credentials.clone());
        Box::pin(async move {
            let what = format!("POST {url}");
            let failure = |kind, message: String| CallFailure { kind, what: what.clone(), message };
            let body = request_body(&records).map_err(|m| failure(FailureKind::Fatal, m))?;
            let json = [("content-type", "application/json")];
            let request = signed("POST", &url, &region, credentials.as_ref(), &json, body)
                .await
                .map_err(|m| failure(FailureKind::Fatal, m))?;
            let answer = tokio::time::timeout(CALL_TIMEOUT, client.request(request)).await;
            let response = match answer {
                Err(_) => return Err(failure(FailureKind::MaybeLanded, format!("no answer within {CALL_TIMEOUT:?}"))),
                Ok(Err(e)) => return Err(failure(FailureKind::MaybeLanded, format!("{e:#}"))),
                Ok(Ok(r)) => r,
            };
            let status = response.status();
            let limited = http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES);
            let bytes = match limited.collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return Err(failure(FailureKind::MaybeLanded, format!("reading the answer: {e}"))),
            };
            let text = String::from_utf8_lossy(&bytes).chars().take(300).collect::<String>();
            match status.as_u16() {
                200 => read_answer(&bytes, records.len()).map_err(|m| failure(FailureKind::MaybeLanded, m)),
                429 => Err(failure(FailureKind::Throttled, format!("429 {text}"))),
                // The integration's error (the mapping passes PutRecords' failure through as a 500).
                500..=599 => Err(failure(FailureKind::Retryable, format!("{} {text}", status.as_u16()))),
                code => Err(failure(FailureKind::Fatal, format!("{code} {text}"))),
            }
        })
    }
}

/// The body the API's model takes: each record's data as text (the template base64-encodes it for
/// PutRecords). Data that is not UTF-8 cannot be carried, and says so.
fn request_body(records: &[SinkRecord]) -> Result<Vec<u8>, String> {
    let mut items = Vec::with_capacity(records.len());
    for r in records {
        let data = std::str::from_utf8(&r.data).map_err(|_| {
            format!("a record for key {} is not text, and the API carries records as JSON strings", r.partition_key)
        })?;
        items.push(json!({ "data": data, "partitionKey": r.partition_key }));
    }
    serde_json::to_vec(&json!({ "records": items })).map_err(|e| format!("encoding the request: {e}"))
}

/// The PutRecords answer the integration passes back: one result per record, in order.
fn read_answer(bytes: &[u8], sent: usize) -> Result<Vec<RecordResult>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("the API answered 200 without JSON: {e}"))?;
    let results = v["Records"].as_array().ok_or("the API's answer has no Records list")?;
    if results.len() > sent {
        return Err(format!("the API answered {} results for {sent} records", results.len()));
    }
    Ok(results
        .iter()
        .map(|r| match r["ErrorCode"].as_str() {
            Some(code) => RecordResult::Failed { code: code.to_string() },
            None => RecordResult::Acknowledged { shard_id: r["ShardId"].as_str().map(str::to_string) },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_as_the_models_json_and_answers_pair_by_position() {
        let records = vec![
            SinkRecord { partition_key: "a".into(), explicit_hash_key: None, data: br#"{"n":1}"#.to_vec() },
            SinkRecord { partition_key: "b".into(), explicit_hash_key: None, data: b"plain".to_vec() },
        ];
        let body: Value = serde_json::from_slice(&request_body(&records).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"records": [{"data": "{\"n\":1}", "partitionKey": "a"}, {"data": "plain", "partitionKey": "b"}]})
        );
        let binary = [SinkRecord { partition_key: "k".into(), explicit_hash_key: None, data: vec![0xff] }];
        assert!(request_body(&binary).unwrap_err().contains("key k is not text"));

        let answer = br#"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000001"},
            {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]}"#;
        assert_eq!(
            read_answer(answer, 2).unwrap(),
            vec![
                RecordResult::Acknowledged { shard_id: Some("shardId-000000000001".into()) },
                RecordResult::Failed { code: "ProvisionedThroughputExceededException".into() },
            ]
        );
        assert!(read_answer(b"<html>", 2).unwrap_err().contains("without JSON"));
        assert!(read_answer(br#"{"message":"x"}"#, 2).unwrap_err().contains("no Records"));
    }
}
