//! One refresh of the pattern 2 dashboard over 3 hours of 1-second data, against the in-process
//! local cloud: plan + fetch + map, next to the baseline of the same GetMetricData calls already
//! planned (fetch alone), measured in the same run.
//!
//! Method: every metric the dashboard asks for gets 3 hours of one datum a second (10,800 points
//! each) through the cloud's metric sink; the alarm-graph widgets watch metrics of their own.
//! Each case runs `RUNS` times after one warm-up; the median is reported. Two period rules: the
//! local "auto" period for 3 hours (60 s, 180 points a series) and 1 s (10,800 points a series).
//!
//! Run: `cargo bench --bench dashboard`.

#[path = "../tests/dashboard/templates.rs"]
#[allow(dead_code)]
mod templates;

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::Client;
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};
use kinesis_console::control::dashboard::alarms::{AlarmBook, AlarmInfo, AlarmWatches};
use kinesis_console::control::dashboard::fetch::run_plan;
use kinesis_console::control::dashboard::map::map;
use kinesis_console::control::dashboard::metric::MetricSpec;
use kinesis_console::control::dashboard::plan::{QueryBody, plan};
use kinesis_console::control::dashboard::{Dashboard, PeriodRule, TimeRange};

const RUNS: usize = 9;
const PATTERN: &str = "kpl-kds-kda";
const SECS: i64 = 3 * 3600;

fn book() -> AlarmBook {
    templates::alarm_logical_ids(PATTERN)
        .iter()
        .map(|l| {
            let name = templates::alarm_name(l);
            let info = AlarmInfo {
                name: name.clone(),
                arn: String::new(),
                state: "OK".into(),
                reason: None,
                threshold: Some(1.0),
                comparison: None,
                watches: AlarmWatches::Metric(MetricSpec {
                    namespace: "AWS/KinesisAnalytics".into(),
                    metric_name: l.clone(),
                    dimensions: vec![("Application".into(), "demo-App".into())],
                    stat: "Maximum".into(),
                    period: 60,
                }),
            };
            (name, info)
        })
        .collect()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn time<F: std::future::Future<Output = ()>>(mut f: impl FnMut() -> F) -> Duration {
    f().await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await;
        runs.push(t.elapsed());
    }
    median(runs)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let running = cloud::start(CloudConfig::ephemeral(dir.path()), LocalCredentials::generate()).await?;
    let info = running.endpoint_info();
    let client = Client::new(&kinesis_console::target::local_sdk_config(&info).await);
    let dashboard = Dashboard::parse(&templates::body(PATTERN))?;
    let alarms = book();
    let now = running.ctx.clock.now_ms();
    let range = TimeRange::last(SECS, now);

    let loaded = Instant::now();
    let probe = plan(&dashboard, &alarms, range, PeriodRule::Local);
    let mut points = 0;
    for q in probe.calls.iter().flatten() {
        let QueryBody::Metric(m) = &q.body else { continue };
        let datums: Vec<Datum> = (0..SECS)
            .map(|i| Datum {
                namespace: m.namespace.clone(),
                name: m.metric_name.clone(),
                dimensions: m.dimensions.clone(),
                unit: "Count".into(),
                timestamp_ms: range.start_ms + i * 1000,
                sample: Sample::Value((i % 100) as f64),
            })
            .collect();
        points += datums.len();
        running.ctx.metric_publisher.publish(datums);
    }
    println!("loaded {points} datums for {} metrics in {:?}", probe.metrics_requested(), loaded.elapsed());

    for (name, target) in [("auto period (60 s)", PeriodRule::Local), ("1-second period", PeriodRule::Fixed(1))] {
        let planned = plan(&dashboard, &alarms, range, target);
        let results = run_plan(&client, &planned).await?;
        let returned: usize = results.iter().map(|r| r.values.len()).sum();
        let baseline = time(|| {
            let (client, planned) = (&client, &planned);
            async move {
                run_plan(client, planned).await.expect("fetch");
            }
        })
        .await;
        let full = time(|| {
            let (client, dashboard, alarms) = (&client, &dashboard, &alarms);
            async move {
                let p = plan(dashboard, alarms, range, target);
                let r = run_plan(client, &p).await.expect("fetch");
                std::hint::black_box(map(dashboard, &p, &r, alarms));
            }
        })
        .await;
        let plan_only = {
            let t = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(plan(&dashboard, &alarms, range, target));
            }
            t.elapsed() / 100
        };
        println!(
            "{name}: {} call(s), {} queries, {} metrics, {returned} points returned\n  \
             plan+fetch+map {full:?}   fetch alone (baseline) {baseline:?}   ratio {:.3}   plan alone {plan_only:?}",
            planned.calls.len(),
            planned.queries(),
            planned.metrics_requested(),
            full.as_secs_f64() / baseline.as_secs_f64(),
        );
    }
    running.shutdown().await;
    Ok(())
}
