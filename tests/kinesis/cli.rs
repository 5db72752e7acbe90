use base64::Engine as _;

use super::*;

/// What a record holds, as base64 text: CLI v2 sends `--data` base64 as given, v1 encodes it once more.
fn stored(output: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let once = b64.decode(output).expect("base64 Data");
    match b64.decode(&once) {
        Ok(twice) if once.iter().all(u8::is_ascii_graphic) => String::from_utf8(twice).unwrap(),
        _ => String::from_utf8(once).unwrap(),
    }
}

// The CLI runs as a blocking child process: the cloud needs a worker thread of its own meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_cli_session_reads_back_what_it_wrote() {
    let cloud = cloud(false).await;
    let Some(_) = cloud.aws_json(&["kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "2"]) else {
        return;
    };
    let put = cloud
        .aws_json(&["kinesis", "put-record", "--stream-name", "cli", "--partition-key", "a", "--data", "aGVsbG8="])
        .unwrap();
    assert_eq!(put["SequenceNumber"].as_str().unwrap().len(), 56);
    let shard = put["ShardId"].as_str().unwrap().to_string();
    let puts = cloud
        .aws_json(&[
            "kinesis",
            "put-records",
            "--stream-name",
            "cli",
            "--records",
            r#"[{"Data":"b25l","PartitionKey":"a"},{"Data":"dHdv","PartitionKey":"a"}]"#,
        ])
        .unwrap();
    assert_eq!(puts["FailedRecordCount"], 0);
    let it = cloud
        .aws_json(&[
            "kinesis",
            "get-shard-iterator",
            "--stream-name",
            "cli",
            "--shard-id",
            &shard,
            "--shard-iterator-type",
            "TRIM_HORIZON",
        ])
        .unwrap();
    let got =
        cloud.aws_json(&["kinesis", "get-records", "--shard-iterator", it["ShardIterator"].as_str().unwrap()]).unwrap();
    let data: Vec<String> =
        got["Records"].as_array().unwrap().iter().map(|r| stored(r["Data"].as_str().unwrap())).collect();
    assert_eq!(data, ["hello", "one", "two"]);
    assert!(got["NextShardIterator"].is_string());
    assert_eq!(got["MillisBehindLatest"], 0);
    let up = cloud
        .aws_json(&[
            "kinesis",
            "update-shard-count",
            "--stream-name",
            "cli",
            "--target-shard-count",
            "4",
            "--scaling-type",
            "UNIFORM_SCALING",
        ])
        .unwrap();
    assert_eq!(up["TargetShardCount"], 4);
    let shards = cloud.aws_json(&["kinesis", "list-shards", "--stream-name", "cli"]).unwrap();
    assert_eq!(shards["Shards"].as_array().unwrap().len(), 6);
    let summary = cloud.aws_json(&["kinesis", "describe-stream-summary", "--stream-name", "cli"]).unwrap();
    assert_eq!(summary["StreamDescriptionSummary"]["OpenShardCount"], 4);
}
