//! Restarts: delivery resumes from committed positions with nothing lost; an object written whose
//! positions were not committed (a crash between the two) is delivered again, counted and logged.

use std::sync::atomic::Ordering;

use aws_sdk_firehose::primitives::Blob as FhBlob;
use aws_sdk_firehose::types::{CompressionFormat, Record};

use super::{assert_once_in_order, destination, env, lines};

#[tokio::test]
async fn a_restart_resumes_from_committed_positions_and_loses_nothing() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("src", 2).await;
    env.delivery("src-to-s3", &arn, "out", 1, 30, CompressionFormat::Gzip).await;
    let (a, b) = (lines("a", 100), lines("b", 100));
    env.put("src", "ka", &a).await;
    env.seconds(31).await;
    env.put("src", "kb", &b).await;
    env.seconds(1).await;
    let env = env.restart().await;
    let c = lines("c", 100);
    env.put("src", "kc", &c).await;
    env.seconds(62).await;
    let got = env.lines("out", "data/").await;
    for want in [&a, &b, &c] {
        assert_once_in_order(&got, want);
    }
}

#[tokio::test]
async fn a_crash_between_writing_and_committing_delivers_again_and_is_counted() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("src", 1).await;
    env.delivery("src-to-s3", &arn, "out", 1, 0, CompressionFormat::Uncompressed).await;
    let hook = env.cloud.cloud.ctx.config.firehose.skip_commit_after_write.clone();
    hook.store(true, Ordering::SeqCst);
    let a = lines("a", 10);
    env.put("src", "k", &a).await;
    env.seconds(2).await;
    assert_eq!(env.lines("out", "data/").await.len(), 10, "written, positions not committed");
    hook.store(false, Ordering::SeqCst);
    let env = env.restart().await;
    // The restarted cloud's tasks start on their own schedule: move the clock until the second
    // delivery is there, within ten seconds of cloud time.
    let mut got = Vec::new();
    for _ in 0..10 {
        env.seconds(1).await;
        got = env.lines("out", "data/").await;
        if got.len() >= 20 {
            break;
        }
    }
    assert_eq!(got.iter().filter(|l| l.starts_with("a-")).count(), 20, "delivered twice, never lost");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&env.cloud.sdk_config().await);
    let events = logs
        .filter_log_events()
        .log_group_name("/aws/kinesisfirehose/src-to-s3")
        .send()
        .await
        .expect("the delivery stream's log group exists");
    let text: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    assert!(text.iter().any(|m| m.contains("10 records are delivered again")), "{text:?}");
}

#[tokio::test]
async fn direct_put_records_acknowledged_before_a_restart_are_delivered() {
    let env = env().await;
    env.bucket("out").await;
    env.fh
        .create_delivery_stream()
        .delivery_stream_name("direct")
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap();
    env.seconds(1).await;
    // Skipping the commit (also the stop's last flush) leaves the journal in place, as a crash
    // before any object would.
    let hook = env.cloud.cloud.ctx.config.firehose.skip_commit_after_write.clone();
    hook.store(true, Ordering::SeqCst);
    let recs: Vec<Record> =
        lines("d", 30).iter().map(|l| Record::builder().data(FhBlob::new(l.as_bytes())).build().unwrap()).collect();
    env.fh.put_record_batch().delivery_stream_name("direct").set_records(Some(recs)).send().await.unwrap();
    let env = env.restart().await;
    hook.store(false, Ordering::SeqCst);
    env.seconds(62).await;
    let got = env.lines("out", "data/").await;
    assert!(got.iter().filter(|l| l.starts_with("d-")).count() >= 30);
    let distinct: std::collections::BTreeSet<&String> = got.iter().collect();
    assert_eq!(distinct.len(), 30, "every acknowledged record arrives");
}
