//! `kinesis-console produce`: every record acknowledged and on the stream, a summary that says so, and
//! refusals with a reason.

use std::time::Duration;

use aws_sdk_kinesis::Client;

use crate::support::TestCloud;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_delivers_every_record_and_tail_reads_them_back() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("ticks").shard_count(2).send().await.expect("CreateStream");
    cloud.until_stream_active("ticks").await;

    let produce = cloud.console_command(&[
        "--output", "json", "produce", "--stream", "ticks", "--count", "600", "--rate", "2000", "--seed", "3",
    ]);
    let out = cloud.run_advancing(produce, Duration::from_secs(60)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "produce failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &serde_json::Value| v.get("summary").is_some())
        .expect("a summary line");
    assert_eq!(summary["delivered_all"], true);
    assert_eq!(summary["summary"]["counters"]["acknowledged"], 600);
    let per_shard = summary["summary"]["counters"]["per_shard"].as_object().expect("per shard counts");
    assert_eq!(per_shard.len(), 2, "the random hash keys reach both shards: {per_shard:?}");

    let tail = cloud.console_command(&["--output", "json", "tail", "ticks", "--from", "trim-horizon", "--no-follow"]);
    let out = cloud.run_advancing(tail, Duration::from_secs(60)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON lines")).collect();
    assert_eq!(records.len(), 600);
    assert!(
        records.iter().all(
            |r| ["AAPL", "AMZN", "MSFT", "INTC", "TBV"].contains(&r["data"]["TICKER"].as_str().unwrap_or_default())
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_taxi_replay_sends_every_trip_once() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("trips").shard_count(1).send().await.expect("CreateStream");
    cloud.until_stream_active("trips").await;
    // 300 trips of a January night span about an hour; at 100,000x they are due within a few seconds.
    let args = [
        "--output",
        "json",
        "produce",
        "--stream",
        "trips",
        "--workload",
        "taxi",
        "--count",
        "300",
        "--speedup",
        "100000",
    ];
    let out = cloud.run_advancing(cloud.console_command(&args), Duration::from_secs(60)).await;
    assert!(out.status.success(), "produce failed: {}", String::from_utf8_lossy(&out.stderr));

    let tail = cloud.console_command(&["--output", "json", "tail", "trips", "--from", "trim-horizon", "--no-follow"]);
    let out = cloud.run_advancing(tail, Duration::from_secs(60)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trips: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON lines")["data"].clone())
        .collect();
    // Requests in flight at once may land in either order (PutRecords promises none), so the check is
    // that every trip of the replay arrived once, with its fields.
    let mut ids: Vec<u64> = trips.iter().map(|t| t["trip_id"].as_u64().expect("a trip id")).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=300).collect::<Vec<u64>>());
    assert!(trips.iter().all(|t| t["type"] == "trip" && t["total_amount"].as_f64().is_some()));
}

#[tokio::test]
async fn produce_refuses_what_it_cannot_do_with_a_reason() {
    let cloud = TestCloud::start().await;
    for (args, code, says) in [
        (&["produce", "--stream", "none", "--rate", "0"][..], 2, "is not a rate"),
        (&["produce"][..], 2, "required"),
        (&["produce", "--stream", "none", "--speedup", "10"][..], 1, "goes with --workload taxi"),
        (&["--read-only", "produce", "--stream", "none", "--count", "1"][..], 1, "read-only"),
        (&["produce", "--stream", "none", "--count", "1"][..], 1, "DescribeStreamSummary on stream none"),
    ] {
        let out = cloud.console(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
