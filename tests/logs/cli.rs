use super::*;

// The CLI runs as a blocking child process: the cloud has a runtime of its own meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reads_and_filters_log_events() {
    let cloud = cloud().await;
    let Some(_) = cloud.aws_json(&["logs", "create-log-group", "--log-group-name", "/cli/app"]) else { return };
    cloud
        .aws_json(&["logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "main"])
        .unwrap();
    let t = now(&cloud);
    let events = format!(
        r#"[{{"timestamp":{},"message":"ERROR boom"}},{{"timestamp":{},"message":"{{\"latency\": 300}}"}}]"#,
        t - 2,
        t - 1
    );
    let put = cloud
        .aws_json(&[
            "logs",
            "put-log-events",
            "--log-group-name",
            "/cli/app",
            "--log-stream-name",
            "main",
            "--log-events",
            &events,
        ])
        .unwrap();
    assert!(put["nextSequenceToken"].is_string());
    let got = cloud
        .aws_json(&[
            "logs",
            "get-log-events",
            "--log-group-name",
            "/cli/app",
            "--log-stream-name",
            "main",
            "--start-from-head",
        ])
        .unwrap();
    let msgs: Vec<&str> = got["events"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(msgs, ["ERROR boom", "{\"latency\": 300}"]);
    assert!(got["nextForwardToken"].as_str().unwrap().starts_with("f/"));
    let filtered = cloud
        .aws_json(&[
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/cli/app",
            "--filter-pattern",
            "{ $.latency > 100 }",
        ])
        .unwrap();
    let events = filtered["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["logStreamName"], "main");
    let missing = cloud.aws(&["logs", "describe-log-streams", "--log-group-name", "/cli/none"]).unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ResourceNotFoundException"));
}
