//! `local serve --virtual-clock`: time moves only through the admin API, and the console's views
//! read the local cloud's clock, so data stamped far from the wall clock still shows.

use crate::support;

use aws_sdk_kinesis::primitives::Blob;
use kinesis_console::cloud::admin_client::AdminClient;
use serde_json::json;
use support::bin;
use support::served::serve_with;

/// Moves the host's virtual clock; the admin API answers once the cloud has run what fell due.
async fn advance(admin: &AdminClient, ms: u64) {
    let state = admin.post("clock", json!({ "advance_ms": ms })).await.unwrap();
    assert_eq!(state["settled"], true, "the cloud's background work caught up with the clock: {state}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_of_a_virtual_day_ahead_show_in_the_metrics_command() {
    support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--virtual-clock"]);
    let endpoint = served.endpoint();
    let admin = AdminClient::new(endpoint.clone());
    advance(&admin, 86_400_000).await;

    let kinesis = aws_sdk_kinesis::Client::new(&kinesis_console::target::local_sdk_config(&endpoint).await);
    kinesis.create_stream().stream_name("ahead").shard_count(1).send().await.unwrap();
    // Streams become ACTIVE after a transition on the cloud clock.
    advance(&admin, 1_000).await;
    for i in 0..7 {
        let put = kinesis.put_record().stream_name("ahead").partition_key("k").data(Blob::new(format!("{i}")));
        put.send().await.unwrap();
    }
    // The records' metrics are published on the next tick of the cloud clock.
    advance(&admin, 2_000).await;

    let data_dir = dir.path().to_str().unwrap();
    let out = bin()
        .args(["--data-dir", data_dir, "--output", "json", "metrics", "--stream", "ahead", "--since", "5m"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = view["rows"].as_array().unwrap_or_else(|| panic!("rows in {view}"));
    let records: f64 = rows.iter().filter_map(|r| r["IncomingRecords"].as_f64()).sum();
    assert_eq!(records, 7.0, "{view}");
}
