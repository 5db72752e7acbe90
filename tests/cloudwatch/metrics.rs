//! CloudWatch metrics and dashboards through the Rust SDK (RPC v2 CBOR).

use crate::support;

use std::time::Duration;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, RecentlyActive, ScanBy, StandardUnit,
    StatisticSet, StatusCode,
};
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use support::TestCloud;

async fn client(cloud: &TestCloud) -> Client {
    Client::new(&cloud.sdk_config().await)
}

/// The cloud clock's current minute start, so periods line up with what was put.
fn minute_start(cloud: &TestCloud) -> i64 {
    let now = cloud.cloud.ctx.clock.now_ms();
    now - now.rem_euclid(60_000) - 10 * 60_000
}

fn dim(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn datum(name: &str, ts_ms: i64, value: f64) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(name)
        .dimensions(dim("Host", "a"))
        .timestamp(DateTime::from_millis(ts_ms))
        .value(value)
        .unit(StandardUnit::Count)
        .storage_resolution(1)
        .build()
}

fn stat(id: &str, name: &str, period: i32, statistic: &str) -> MetricDataQuery {
    let metric = Metric::builder().namespace("App").metric_name(name).dimensions(dim("Host", "a")).build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(MetricStat::builder().metric(metric).period(period).stat(statistic).build())
        .build()
}

fn secs(dt: &DateTime) -> i64 {
    dt.secs()
}

#[tokio::test]
async fn put_and_get_metric_data_with_math_and_pagination() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    let data: Vec<MetricDatum> = (0..120).map(|s| datum("Requests", t0 + s * 1_000, 1.0)).collect();
    cw.put_metric_data().namespace("App").set_metric_data(Some(data)).send().await.expect("PutMetricData");
    let errors = MetricDatum::builder()
        .metric_name("Errors")
        .dimensions(dim("Host", "a"))
        .timestamp(DateTime::from_millis(t0))
        .values(1.0)
        .values(3.0)
        .counts(2.0)
        .counts(1.0)
        .build();
    let stats = MetricDatum::builder()
        .metric_name("Errors")
        .dimensions(dim("Host", "a"))
        .timestamp(DateTime::from_millis(t0 + 60_000))
        .statistic_values(StatisticSet::builder().sample_count(2.0).sum(4.0).minimum(1.0).maximum(3.0).build())
        .build();
    cw.put_metric_data().namespace("App").metric_data(errors).metric_data(stats).send().await.expect("PutMetricData");

    let out = cw
        .get_metric_data()
        .metric_data_queries(stat("requests", "Requests", 60, "Sum"))
        .metric_data_queries({
            let mut q = stat("errors", "Errors", 60, "Sum");
            q.return_data = Some(false);
            q
        })
        .metric_data_queries(
            MetricDataQuery::builder().id("ratio").expression("100*(errors/requests)").label("Error %").build(),
        )
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 120_000))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("GetMetricData");
    let results = out.metric_data_results();
    assert_eq!(results.len(), 2, "ReturnData=false hides the errors query");
    assert_eq!(results[0].label(), Some("Requests"));
    assert_eq!(results[0].values(), &[60.0, 60.0]);
    assert_eq!(results[0].timestamps().iter().map(secs).collect::<Vec<_>>(), vec![t0 / 1000, t0 / 1000 + 60]);
    assert_eq!(results[0].status_code(), Some(&StatusCode::Complete));
    assert_eq!(results[1].label(), Some("Error %"));
    assert_eq!(results[1].values(), &[5.0 / 60.0 * 100.0, 4.0 / 60.0 * 100.0]);

    let out = cw
        .get_metric_data()
        .metric_data_queries(stat("requests", "Requests", 60, "Sum"))
        .metric_data_queries(stat("errors", "Errors", 60, "Sum"))
        .metric_data_queries(MetricDataQuery::builder().id("per_second").expression("METRICS() / 60").build())
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 120_000))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("GetMetricData with METRICS()");
    let per_second: Vec<(&str, &[f64])> = out
        .metric_data_results()
        .iter()
        .filter(|r| r.id() == Some("per_second"))
        .map(|r| (r.label().unwrap_or_default(), r.values()))
        .collect();
    assert_eq!(
        per_second,
        vec![("Requests", &[1.0, 1.0][..]), ("Errors", &[5.0 / 60.0, 4.0 / 60.0][..])],
        "an expression of several series answers one result per series under its id"
    );

    let mut token = None;
    let mut pages = Vec::new();
    loop {
        let page = cw
            .get_metric_data()
            .metric_data_queries(stat("r", "Requests", 10, "Sum"))
            .start_time(DateTime::from_millis(t0))
            .end_time(DateTime::from_millis(t0 + 120_000))
            .max_datapoints(5)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("GetMetricData page");
        let r = &page.metric_data_results()[0];
        let expected_status = if page.next_token().is_some() { StatusCode::PartialData } else { StatusCode::Complete };
        assert_eq!(r.status_code(), Some(&expected_status));
        pages.push(r.timestamps().iter().map(secs).collect::<Vec<_>>());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 5, 2]);
    let all: Vec<i64> = pages.concat();
    let descending: Vec<i64> = (0..12).rev().map(|i| t0 / 1000 + i * 10).collect();
    assert_eq!(all, descending, "TimestampDescending is the default order");
}

#[tokio::test]
async fn get_metric_statistics_with_percentiles() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    let data: Vec<MetricDatum> = (1..=100).map(|v| datum("Latency", t0 + (v % 60) * 1_000, v as f64)).collect();
    cw.put_metric_data().namespace("App").set_metric_data(Some(data)).send().await.expect("PutMetricData");
    let out = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .dimensions(dim("Host", "a"))
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .period(60)
        .statistics(aws_sdk_cloudwatch::types::Statistic::Sum)
        .statistics(aws_sdk_cloudwatch::types::Statistic::SampleCount)
        .statistics(aws_sdk_cloudwatch::types::Statistic::Maximum)
        .send()
        .await
        .expect("GetMetricStatistics");
    let dp = &out.datapoints()[0];
    assert_eq!((dp.sum(), dp.sample_count(), dp.maximum()), (Some(5050.0), Some(100.0), Some(100.0)));
    assert_eq!(dp.unit(), Some(&StandardUnit::Count));
    assert_eq!(dp.timestamp().map(secs), Some(t0 / 1000));
    let ext = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .dimensions(dim("Host", "a"))
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .period(60)
        .extended_statistics("p50")
        .extended_statistics("p99")
        .send()
        .await
        .expect("GetMetricStatistics with ExtendedStatistics");
    let map = ext.datapoints()[0].extended_statistics().expect("extended statistics");
    // 100 distinct values exceed the exact limit: the sketch answers within 1 %.
    for (p, exact) in [("p50", 50.0), ("p99", 99.0)] {
        let got = map.get(p).copied().expect("percentile present");
        assert!((got - exact).abs() / exact <= 0.01, "{p}: {got} vs {exact}");
    }
}

#[tokio::test]
async fn list_metrics_filters_and_pages() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    for chunk in (0..600).collect::<Vec<i64>>().chunks(300) {
        let data = chunk
            .iter()
            .map(|i| {
                MetricDatum::builder()
                    .metric_name(if i % 2 == 0 { "Even" } else { "Odd" })
                    .dimensions(dim("Shard", &format!("s{i:03}")))
                    .timestamp(DateTime::from_millis(t0))
                    .value(1.0)
                    .build()
            })
            .collect();
        cw.put_metric_data().namespace("Many").set_metric_data(Some(data)).send().await.expect("PutMetricData");
    }
    let first = cw.list_metrics().namespace("Many").send().await.expect("ListMetrics");
    assert_eq!(first.metrics().len(), 500);
    let token = first.next_token().expect("a second page");
    let second = cw.list_metrics().namespace("Many").next_token(token).send().await.expect("ListMetrics page 2");
    assert_eq!(second.metrics().len(), 100);
    assert!(second.next_token().is_none());
    let odd = cw.list_metrics().metric_name("Odd").send().await.expect("ListMetrics by name");
    assert_eq!(odd.metrics().len(), 300);
    let one = cw
        .list_metrics()
        .dimensions(DimensionFilter::builder().name("Shard").value("s007").build())
        .send()
        .await
        .expect("ListMetrics by dimension");
    assert_eq!(one.metrics().len(), 1);
    assert_eq!(one.metrics()[0].metric_name(), Some("Odd"));
    let named = cw
        .list_metrics()
        .namespace("Many")
        .dimensions(DimensionFilter::builder().name("Shard").build())
        .send()
        .await
        .expect("ListMetrics by dimension name");
    assert!(named.next_token().is_some());
    let recent = cw.list_metrics().recently_active(RecentlyActive::Pt3H).send().await.expect("recent");
    assert_eq!(recent.metrics().len(), 500);
    cloud.advance(Duration::from_secs(4 * 3600));
    let stale = cw.list_metrics().recently_active(RecentlyActive::Pt3H).send().await.expect("recent later");
    assert!(stale.metrics().is_empty(), "nothing put in the last three hours");
}

#[tokio::test]
async fn put_metric_data_is_validated_like_cloudwatch() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    let code = |e: aws_sdk_cloudwatch::error::SdkError<_, _>| {
        use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
        let e: aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError = e.into_service_error();
        e.code().map(str::to_string)
    };
    let reserved = cw.put_metric_data().namespace("AWS/Kinesis").metric_data(datum("X", t0, 1.0)).send().await;
    assert_eq!(code(reserved.unwrap_err()).as_deref(), Some("InvalidParameterValue"));
    let too_many: Vec<MetricDatum> = (0..1001).map(|i| datum("X", t0, i as f64)).collect();
    let r = cw.put_metric_data().namespace("App").set_metric_data(Some(too_many)).send().await;
    assert_eq!(code(r.unwrap_err()).as_deref(), Some("InvalidParameterValue"));
    let set = StatisticSet::builder().sample_count(1.0).sum(1.0).minimum(1.0).maximum(1.0).build();
    let mut both = datum("X", t0, 1.0);
    both.statistic_values = Some(set);
    let r = cw.put_metric_data().namespace("App").metric_data(both).send().await;
    assert_eq!(code(r.unwrap_err()).as_deref(), Some("InvalidParameterCombination"));
    let mut resolution = datum("X", t0, 1.0);
    resolution.storage_resolution = Some(5);
    let r = cw.put_metric_data().namespace("App").metric_data(resolution).send().await;
    assert_eq!(code(r.unwrap_err()).as_deref(), Some("InvalidParameterValue"));
    let dims: Vec<Dimension> = (0..31).map(|i| dim(&format!("d{i}"), "v")).collect();
    let mut wide = datum("X", t0, 1.0);
    wide.dimensions = Some(dims);
    let r = cw.put_metric_data().namespace("App").metric_data(wide).send().await;
    assert_eq!(code(r.unwrap_err()).as_deref(), Some("InvalidParameterValue"));
    let old = datum("X", t0 - 15 * 86_400_000, 1.0);
    let r = cw.put_metric_data().namespace("App").metric_data(old).send().await;
    assert_eq!(code(r.unwrap_err()).as_deref(), Some("InvalidParameterValue"));
}

#[tokio::test]
async fn service_metrics_published_through_the_sink_are_queryable() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    assert!(cloud.cloud.ctx.metric_publisher.is_installed());
    let published = (0..10)
        .map(|s| Datum {
            namespace: "AWS/Kinesis".into(),
            name: "IncomingRecords".into(),
            dimensions: vec![("StreamName".into(), "ticker".into())],
            unit: "Count".into(),
            timestamp_ms: t0 + s * 1_000,
            sample: Sample::Stats { count: 2.0, sum: 50.0, min: 20.0, max: 30.0 },
        })
        .collect();
    cloud.cloud.ctx.metric_publisher.publish(published);
    let metric = Metric::builder()
        .namespace("AWS/Kinesis")
        .metric_name("IncomingRecords")
        .dimensions(dim("StreamName", "ticker"))
        .build();
    let q = MetricDataQuery::builder()
        .id("m")
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Sum").build())
        .build();
    let out = cw
        .get_metric_data()
        .metric_data_queries(q)
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .send()
        .await
        .expect("GetMetricData");
    assert_eq!(out.metric_data_results()[0].values(), &[500.0]);
}

#[tokio::test]
async fn dashboards_are_validated_listed_and_deleted() {
    use aws_sdk_cloudwatch::operation::get_dashboard::GetDashboardError;
    use aws_sdk_cloudwatch::operation::put_dashboard::PutDashboardError;
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let body = r##"{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":1,"properties":{"markdown":"# Kinesis"}},
        {"type":"metric","properties":{"metrics":[["AWS/Kinesis","IncomingRecords","StreamName","s"]],"period":60,"stat":"Sum","region":"us-east-1"}}]}"##;
    let put = cw.put_dashboard().dashboard_name("Pipeline-1").dashboard_body(body).send().await.expect("PutDashboard");
    assert!(put.dashboard_validation_messages().is_empty());
    let got = cw.get_dashboard().dashboard_name("Pipeline-1").send().await.expect("GetDashboard");
    assert_eq!(got.dashboard_body(), Some(body));
    assert_eq!(got.dashboard_arn(), Some("arn:aws:cloudwatch::000000000000:dashboard/Pipeline-1"));
    cw.put_dashboard().dashboard_name("Other").dashboard_body(body).send().await.expect("PutDashboard");
    let listed = cw.list_dashboards().dashboard_name_prefix("Pipe").send().await.expect("ListDashboards");
    let entries = listed.dashboard_entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].size(), Some(body.len() as i64));
    assert!(entries[0].last_modified().is_some());

    let bad = r#"{"widgets":[{"type":"metric","properties":{}},{"type":"chart","properties":{}}]}"#;
    let err = cw.put_dashboard().dashboard_name("Bad").dashboard_body(bad).send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(matches!(err, PutDashboardError::DashboardInvalidInputError(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/widgets/0/properties") && text.contains("/widgets/1/type"), "{text}");

    cw.delete_dashboards().dashboard_names("Pipeline-1").send().await.expect("DeleteDashboards");
    let gone = cw.get_dashboard().dashboard_name("Pipeline-1").send().await.unwrap_err().into_service_error();
    assert!(matches!(gone, GetDashboardError::DashboardNotFoundError(_)), "{gone:?}");
    let again = cw.delete_dashboards().dashboard_names("Pipeline-1").send().await.unwrap_err();
    use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
    assert_eq!(again.into_service_error().code(), Some("ResourceNotFound"));
}

#[tokio::test]
async fn metrics_and_dashboards_survive_a_restart() {
    let cloud = TestCloud::start_virtual().await;
    let t0 = minute_start(&cloud);
    {
        let cw = client(&cloud).await;
        let data: Vec<MetricDatum> = (0..60).map(|s| datum("Kept", t0 + s * 1_000, 2.0)).collect();
        cw.put_metric_data().namespace("App").set_metric_data(Some(data)).send().await.expect("PutMetricData");
        let body = r#"{"widgets":[]}"#;
        cw.put_dashboard().dashboard_name("Kept").dashboard_body(body).send().await.expect("PutDashboard");
    }
    let cloud = cloud.restart().await;
    let cw = client(&cloud).await;
    let out = cw
        .get_metric_data()
        .metric_data_queries(stat("k", "Kept", 1, "Sum"))
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .send()
        .await
        .expect("GetMetricData after restart");
    assert_eq!(out.metric_data_results()[0].values().len(), 60, "1-second detail is kept");
    let listed = cw.list_metrics().namespace("App").send().await.expect("ListMetrics");
    assert_eq!(listed.metrics().len(), 1);
    cw.get_dashboard().dashboard_name("Kept").send().await.expect("dashboard after restart");
}

#[tokio::test]
async fn search_expressions_find_metrics_by_schema_and_terms() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let t0 = minute_start(&cloud);
    let put = |name: &str, dims: Vec<Dimension>, value: f64| {
        MetricDatum::builder()
            .metric_name(name)
            .set_dimensions(Some(dims))
            .timestamp(DateTime::from_millis(t0))
            .value(value)
            .unit(StandardUnit::Count)
            .build()
    };
    let data = vec![
        put("IncomingRecords", vec![dim("StreamName", "orders")], 5.0),
        put("IncomingRecords", vec![dim("StreamName", "clicks")], 7.0),
        put("IncomingRecords", vec![dim("StreamName", "orders"), dim("ShardId", "shardId-000000000000")], 5.0),
        put("IncomingBytes", vec![dim("StreamName", "orders")], 500.0),
    ];
    cw.put_metric_data().namespace("Shop").set_metric_data(Some(data)).send().await.expect("PutMetricData");
    let search = r#"SEARCH('{Shop,StreamName} MetricName="IncomingRecords"', 'Sum', 60)"#;
    let out = cw
        .get_metric_data()
        .metric_data_queries(MetricDataQuery::builder().id("found").expression(search).build())
        .metric_data_queries(MetricDataQuery::builder().id("total").expression(format!("SUM({search})")).build())
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .send()
        .await
        .expect("GetMetricData with SEARCH");
    let mut found: Vec<(&str, &[f64])> = out
        .metric_data_results()
        .iter()
        .filter(|r| r.id() == Some("found"))
        .map(|r| (r.label().unwrap_or_default(), r.values()))
        .collect();
    found.sort_by_key(|(label, _)| *label);
    assert_eq!(
        found,
        vec![("clicks IncomingRecords", &[7.0][..]), ("orders IncomingRecords", &[5.0][..])],
        "the schema keeps stream-level metrics and leaves the shard-level one out"
    );
    let total = out.metric_data_results().iter().find(|r| r.id() == Some("total")).unwrap();
    assert_eq!(total.values(), &[12.0]);

    let bad = cw
        .get_metric_data()
        .metric_data_queries(MetricDataQuery::builder().id("bad").expression("SEARCH('{Shop', 'Sum')").build())
        .start_time(DateTime::from_millis(t0))
        .end_time(DateTime::from_millis(t0 + 60_000))
        .send()
        .await
        .expect_err("an unclosed schema");
    assert!(bad.into_service_error().meta().message().unwrap_or_default().contains("schema"));
}
