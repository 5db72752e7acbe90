//! `local serve --virtual-clock`: time moves only through the admin API, and the console's views
//! read the local cloud's clock, so data stamped far from the wall clock still shows.

mod support;

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use serde_json::json;
use support::served::serve_with;
use support::{bin, eventually};

#[tokio::test(flavor = "multi_thread")]
async fn metrics_of_a_virtual_day_ahead_show_in_the_metrics_command() {
    support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--virtual-clock"]);
    let endpoint = served.endpoint();
    let admin = kinesis_console::cloud::admin_client::AdminClient::new(endpoint.clone());
    admin.post("clock", json!({ "advance_ms": 86_400_000 })).await.unwrap();

    let kinesis = aws_sdk_kinesis::Client::new(&kinesis_console::target::local_sdk_config(&endpoint).await);
    kinesis.create_stream().stream_name("ahead").shard_count(1).send().await.unwrap();
    // Streams become ACTIVE after a transition on the cloud clock.
    admin.post("clock", json!({ "advance_ms": 1_000 })).await.unwrap();
    for i in 0..7 {
        let put = kinesis.put_record().stream_name("ahead").partition_key("k").data(Blob::new(format!("{i}")));
        put.send().await.unwrap();
    }
    admin.post("clock", json!({ "advance_ms": 2_000 })).await.unwrap();

    let data_dir = dir.path().to_str().unwrap().to_string();
    let records = eventually(Duration::from_secs(20), "7 records in the metrics view", || {
        let data_dir = data_dir.clone();
        async move {
            let out = bin()
                .args(["--data-dir", &data_dir, "--output", "json", "metrics", "--stream", "ahead", "--since", "5m"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let sum: f64 = view["rows"].as_array()?.iter().filter_map(|r| r["IncomingRecords"].as_f64()).sum();
            (sum >= 7.0).then_some(sum)
        }
    })
    .await;
    assert_eq!(records, 7.0);
}
