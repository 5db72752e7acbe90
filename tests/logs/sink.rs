use kinesis_console::cloud::log_sink::LogLine;

use super::*;

#[tokio::test]
async fn other_services_write_through_the_log_sink_and_clients_read_it() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    let publisher = &cloud.cloud.ctx.log_publisher;
    assert!(publisher.is_installed());
    publisher.ensure_stream("/aws/kinesis-analytics/app", "kinesis-analytics-log-stream").unwrap();
    publisher.ensure_stream("/aws/kinesis-analytics/app", "kinesis-analytics-log-stream").unwrap();
    let t = now(&cloud);
    let lines = vec![
        LogLine { timestamp_ms: t - 1, message: "second".into() },
        LogLine { timestamp_ms: t - 2, message: "first".into() },
        LogLine { timestamp_ms: t + 3 * 3_600_000, message: "too far ahead, dropped".into() },
    ];
    publisher.append("/aws/kinesis-analytics/app", "kinesis-analytics-log-stream", lines).unwrap();
    let got = logs
        .get_log_events()
        .log_group_name("/aws/kinesis-analytics/app")
        .log_stream_name("kinesis-analytics-log-stream")
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let msgs: Vec<&str> = got.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(msgs, ["first", "second"]);
    let err = publisher.append("/no/group", "s", vec![LogLine { timestamp_ms: t, message: "x".into() }]).unwrap_err();
    assert!(err.0.contains("/no/group") && err.0.contains("does not exist"), "{err}");
    assert!(publisher.ensure_stream("bad group", "s").is_err());
}
