//! boto3 1.35 (awsQuery) and a current boto3 (awsJson 1.0) make the same CloudWatch calls and must get the
//! same answers: the calls a script written against AWS makes, errors included.

use serde_json::{Value, json};

use crate::support::{self, TestCloud};
use crate::{BOTO3_RELEASES, run_script};

/// The script's answers from a fresh cloud, with the wire protocols it saw; `None` when the client is not
/// installed (outside CI).
async fn answers(release: &str) -> Option<Value> {
    let python = support::python_client(release)?;
    let cloud = TestCloud::start_virtual().await;
    let now_s = cloud.cloud.ctx.clock.now_ms() / 1000;
    // Ten whole minutes back, so every datum is in the past and periods align to the minute.
    let t0 = now_s - now_s.rem_euclid(60) - 600;
    Some(run_script(&cloud, &python, "cloudwatch_calls.py", &[cloud.url().to_string(), t0.to_string()]).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_releases_get_the_same_cloudwatch_answers() {
    let mut runs = Vec::new();
    for release in BOTO3_RELEASES {
        match answers(release).await {
            Some(a) => runs.push((release, a)),
            None => return,
        }
    }
    let (old, current) = (&runs[0].1, &runs[1].1);
    assert_eq!(old["protocols"], json!(["awsQuery", "gzip"]), "boto3 1.35 speaks awsQuery and gzips large bodies");
    assert_eq!(current["protocols"], json!(["awsJson1_0", "gzip"]), "current boto3 speaks awsJson 1.0");

    for (release, a) in &runs {
        let results = &a["GetMetricData"]["MetricDataResults"];
        let series = |id: &str| {
            results.as_array().and_then(|r| r.iter().find(|r| r["Id"] == id)).cloned().unwrap_or(Value::Null)
        };
        assert_eq!(series("m1"), Value::Null, "{release}: ReturnData false hides m1");
        assert_eq!(series("m2")["Values"], json!([6, 10]), "{release}: StatisticValues and Value summed");
        assert_eq!(series("e1")["Values"], json!([50, 80]), "{release}: the expression over Values/Counts");
        assert_eq!(series("e1")["Timestamps"], json!([0.0, 60.0]), "{release}: ascending, in ISO 8601 on the wire");
        let points = &a["GetMetricStatistics"]["Datapoints"];
        assert_eq!(points[1]["SampleCount"], json!(5), "{release}: Counts weigh Values");
        assert_eq!(points[1]["Average"], json!(1.6), "{release}");
        assert_eq!(a["ListMetrics bulk count"], json!(150), "{release}: the gzipped PutMetricData landed whole");
        assert_eq!(a["DescribeAlarms"]["MetricAlarms"][0]["StateValue"], "ALARM", "{release}");
        assert_eq!(a["DescribeAlarms"]["MetricAlarms"][0]["Threshold"], json!(5), "{release}");
        assert_eq!(a["GetDashboard missing"]["error"], "ResourceNotFound", "{release}: the awsQuery code");
        assert_eq!(a["SetAlarmState missing"]["error"], "ResourceNotFound", "{release}");
        assert_eq!(
            a["SetAlarmState missing"]["status"],
            json!(404),
            "{release}: the model's status for ResourceNotFound"
        );
        assert_eq!(a["GetDashboard missing"]["status"], json!(404), "{release}");
        assert_eq!(a["PutMetricAlarm bad period"]["status"], json!(400), "{release}");
        assert_eq!(a["ListDashboards after delete"]["DashboardEntries"], json!([]), "{release}");
    }

    let without_protocols = |a: &Value| {
        let mut a = a.clone();
        a.as_object_mut().map(|o| o.remove("protocols"));
        a
    };
    let (old, current) = (without_protocols(old), without_protocols(current));
    if old != current {
        let (o, c) = (old.as_object().cloned().unwrap_or_default(), current.as_object().cloned().unwrap_or_default());
        let differing: Vec<String> = o
            .keys()
            .chain(c.keys())
            .filter(|k| o.get(*k) != c.get(*k))
            .map(|k| {
                format!(
                    "{k}:\n  1.35:    {}\n  current: {}",
                    o.get(k).unwrap_or(&Value::Null),
                    c.get(k).unwrap_or(&Value::Null)
                )
            })
            .collect();
        panic!("boto3 1.35 and current boto3 got different answers:\n{}", differing.join("\n"));
    }
}
