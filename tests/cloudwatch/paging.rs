//! GetMetricData pages as CloudWatch does: at most 100,800 data points and 500 metrics per call, the
//! rest behind NextToken; and the console's dashboard fetch follows the pages.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StatusCode};
use kinesis_console::control::dashboard::TimeRange;
use kinesis_console::control::dashboard::fetch::run_call;
use kinesis_console::control::dashboard::plan::{Query, QueryBody};

use super::*;

const SERIES_PER_NAME: usize = 300;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as i64
}

/// 300 metrics named `a` and 300 named `b` in namespace `Paging`, one per `Id`, one datum each at `at_ms`.
async fn six_hundred_metrics(cw: &Client, at_ms: i64) {
    let datums = ["a", "b"].into_iter().flat_map(|name| {
        (0..SERIES_PER_NAME).map(move |i| {
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(Dimension::builder().name("Id").value(format!("{i:03}")).build())
                .value(i as f64)
                .timestamp(DateTime::from_millis(at_ms))
                .build()
        })
    });
    cw.put_metric_data().namespace("Paging").set_metric_data(Some(datums.collect())).send().await.expect("600 datums");
}

fn search(name: &str) -> String {
    format!("SEARCH('{{Paging,Id}} MetricName=\"{name}\"', 'Sum', 60)")
}

#[tokio::test]
async fn a_call_answers_at_most_500_metrics_and_pages_the_rest() {
    let cloud = TestCloud::start().await;
    let cw = client(&cloud).await;
    let minute = now_ms() / 60_000 * 60_000 - 60_000;
    six_hundred_metrics(&cw, minute).await;
    let request = || {
        cw.get_metric_data()
            .metric_data_queries(MetricDataQuery::builder().id("a").expression(search("a")).build())
            .metric_data_queries(MetricDataQuery::builder().id("b").expression(search("b")).build())
            .start_time(DateTime::from_millis(minute - 300_000))
            .end_time(DateTime::from_millis(minute + 60_000))
    };
    let first = request().send().await.expect("page 1");
    assert_eq!(first.metric_data_results().len(), 500);
    let token = first.next_token().expect("a second page").to_string();
    let second = request().next_token(&token).send().await.expect("page 2");
    assert_eq!(second.metric_data_results().len(), 100);
    assert!(second.next_token().is_none());
    let mut labels: Vec<String> = first
        .metric_data_results()
        .iter()
        .chain(second.metric_data_results())
        .map(|r| format!("{}/{}", r.id().unwrap_or_default(), r.label().unwrap_or_default()))
        .collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), 600, "every series once");
    assert!(first.metric_data_results().iter().all(|r| r.status_code() == Some(&StatusCode::Complete)));

    // The token belongs to its request: another time range cannot use it.
    let other = request().end_time(DateTime::from_millis(minute + 120_000)).next_token(&token).send().await;
    assert_eq!(code(&other.unwrap_err()), "InvalidNextToken");
}

#[tokio::test]
async fn a_call_answers_at_most_100800_data_points_whatever_max_datapoints_asks() {
    let cloud = TestCloud::start().await;
    let cw = client(&cloud).await;
    // 2,900 seconds of 1-second data, read by 37 queries of period 1: 107,300 points in all.
    let end = now_ms() / 1000 * 1000 - 1000;
    let start = end - 2_900 * 1000;
    for chunk in (0..2_900i64).collect::<Vec<_>>().chunks(1000) {
        let datums = chunk.iter().map(|s| {
            MetricDatum::builder()
                .metric_name("fine")
                .value(*s as f64)
                .storage_resolution(1)
                .timestamp(DateTime::from_millis(start + s * 1000))
                .build()
        });
        cw.put_metric_data().namespace("Paging").set_metric_data(Some(datums.collect())).send().await.expect("put");
    }
    let metric = Metric::builder().namespace("Paging").metric_name("fine").build();
    let stats = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"]
        .into_iter()
        .map(str::to_string)
        .chain((1..=32).map(|p| format!("p{p}")));
    let queries: Vec<MetricDataQuery> = stats
        .enumerate()
        .map(|(i, stat)| {
            let ms = MetricStat::builder().metric(metric.clone()).period(1).stat(stat).build();
            MetricDataQuery::builder().id(format!("q{i}")).metric_stat(ms).build()
        })
        .collect();
    assert_eq!(queries.len(), 37);
    let request = || {
        cw.get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_millis(start))
            .end_time(DateTime::from_millis(end))
            .max_datapoints(1_000_000)
    };
    let first = request().send().await.expect("page 1");
    let points: usize = first.metric_data_results().iter().map(|r| r.values().len()).sum();
    assert_eq!(points, 100_800);
    let last = first.metric_data_results().last().expect("results");
    assert_eq!(last.status_code(), Some(&StatusCode::PartialData), "the result cut short goes on");
    let second = request().next_token(first.next_token().expect("more")).send().await.expect("page 2");
    let rest: usize = second.metric_data_results().iter().map(|r| r.values().len()).sum();
    assert_eq!(points + rest, 37 * 2_900);
    assert_eq!(second.metric_data_results()[0].id(), last.id(), "the cut result continues on the next page");
    assert!(second.next_token().is_none());
}

#[tokio::test]
async fn the_dashboard_fetch_follows_next_token_across_pages() {
    let cloud = TestCloud::start().await;
    let cw = client(&cloud).await;
    let minute = now_ms() / 60_000 * 60_000 - 60_000;
    six_hundred_metrics(&cw, minute).await;
    let query = |id: &str| Query {
        id: id.to_string(),
        body: QueryBody::Expression { expression: search(id) },
        label: None,
        return_data: true,
        region: None,
        account_id: None,
    };
    let range = TimeRange { start_ms: minute - 300_000, end_ms: minute + 60_000 };
    let results = run_call(&cw, range, &[query("a"), query("b")]).await.expect("the planned call");
    assert_eq!(results.len(), 600, "both pages are read");
    let b_299 = results.iter().find(|r| r.id == "b" && r.label == "299 b").expect("the last series of page 2");
    assert_eq!(b_299.values, [299.0]);
    assert_eq!(b_299.timestamps_ms, [minute]);
}
