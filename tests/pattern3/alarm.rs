//! Pattern 3's freshness alarm under S3 faults: with every S3 request failing (`/_kc/faults`, service
//! `s3`, error rate 1) nothing is delivered, `DeliveryToS3.DataFreshness` grows past 900 s and the
//! stack's `kdf-data-freshness` alarm goes to ALARM; with the faults off every record arrives exactly
//! once and the alarm returns to OK. Time moves only through the virtual clock.

use crate::{firehose_support, support};

use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use firehose_support::Pattern3;
use serde_json::json;
use support::TestCloud;

async fn alarm_state(cw: &aws_sdk_cloudwatch::Client, name: &str) -> StateValue {
    let out =
        cw.describe_alarms().alarm_names(name).send().await.unwrap_or_else(|e| panic!("DescribeAlarms {name}: {e:?}"));
    let alarm = out.metric_alarms().first().unwrap_or_else(|| panic!("no alarm {name}"));
    alarm.state_value().cloned().unwrap_or_else(|| panic!("{name} has no state"))
}

/// Moves the clock a minute at a time (at most `minutes`) until `name` is in `state`; returns the
/// cloud seconds it took.
async fn advance_until(
    cloud: &TestCloud,
    cw: &aws_sdk_cloudwatch::Client,
    name: &str,
    state: StateValue,
    minutes: u32,
) -> u64 {
    for minute in 1..=minutes {
        cloud.advance_settled(Duration::from_secs(60)).await;
        if alarm_state(cw, name).await == state {
            return u64::from(minute) * 60;
        }
    }
    panic!("{name} not {state:?} after {minutes} minutes of cloud time (now {:?})", alarm_state(cw, name).await)
}

async fn s3_faults(cloud: &TestCloud, rate: f64) {
    cloud.admin().post("faults", json!({ "service": "s3", "error": rate })).await.expect("faults set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freshness_alarm_fires_while_s3_fails_and_clears_once_everything_is_delivered() {
    let cloud = firehose_support::virtual_cloud().await;
    let p: Pattern3 = firehose_support::deploy_pattern3(&cloud, "fresh", &["BufferingInterval=60"]).await;
    let config = cloud.sdk_config().await;
    let k = aws_sdk_kinesis::Client::new(&config);
    let s3 = aws_sdk_s3::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let alarm = format!("{}-kdf-data-freshness", p.stack);
    let second = || cloud.advance_settled(Duration::from_secs(1));

    // Records flowing and delivered first, so the alarm starts from OK.
    let mut sent = firehose_support::put_records(&k, &p.stream, 0..1_000, second).await;
    advance_until(&cloud, &cw, &alarm, StateValue::Ok, 15).await;
    let before = firehose_support::delivered_objects(&s3, &p.bucket, "data/").await;
    assert_eq!(firehose_support::delivery_counts(&before).len(), 1_000, "delivered before the faults");

    s3_faults(&cloud, 1.0).await;
    sent.extend(firehose_support::put_records(&k, &p.stream, 1_000..3_000, second).await);
    let took = advance_until(&cloud, &cw, &alarm, StateValue::Alarm, 30).await;
    // The puts took 4 s of cloud time before the count started, and the clock moves a minute at a time.
    assert!(took > 840, "ALARM only once freshness passes 900 s, not after {took} s");
    // The clock stands still between advances, so nothing is delivered while the faults are lifted here.
    s3_faults(&cloud, 0.0).await;
    let during = firehose_support::delivered_objects(&s3, &p.bucket, "data/").await;
    assert_eq!(during.len(), before.len(), "no object written while every S3 request failed");
    let errors = firehose_support::delivered_objects(&s3, &p.bucket, "errors/").await;
    assert!(errors.is_empty(), "S3 failures are retried, never sent to the error prefix");

    advance_until(&cloud, &cw, &alarm, StateValue::Ok, 30).await;
    let after = firehose_support::delivered_objects(&s3, &p.bucket, "data/").await;
    let (missing, invented, extra) = firehose_support::compare(&sent, &after);
    assert!(
        missing.is_empty(),
        "{} records never delivered after the faults, first {:?}",
        missing.len(),
        missing.first()
    );
    assert!(invented.is_empty(), "records delivered that were never put: {invented:?}");
    assert_eq!(extra, 0, "every record exactly once across the faults");
    firehose_support::assert_per_shard_order(&sent, &after);

    let listed = cloud.console(&["alarms", "--prefix", &alarm, "--output", "json"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "alarms: {text}\n{}", String::from_utf8_lossy(&listed.stderr));
    assert!(text.contains(&alarm) && text.contains("OK"), "the console reads the alarm back in OK: {text}");
}
