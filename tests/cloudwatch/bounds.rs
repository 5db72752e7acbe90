//! Metric math bounds over the wire: no expression, however long or deep, can take the host down;
//! each is answered with CloudWatch's ValidationError and the next request is served.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, Statistic};
use kinesis_console::cloud::cloudwatch::math::parse::{MAX_DEPTH, MAX_EXPRESSION_CHARS};

use super::{client, code, message, put_alarm};
use crate::support::TestCloud;

fn m1() -> MetricDataQuery {
    let metric = Metric::builder().namespace("App").metric_name("Requests").build();
    MetricDataQuery::builder()
        .id("m1")
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Sum").build())
        .return_data(false)
        .build()
}

/// GetMetricData of `m1` and one expression over it; `Err((code, message))` when refused.
async fn query(cw: &Client, cloud: &TestCloud, expression: &str) -> Result<(), (String, String)> {
    let now = cloud.cloud.ctx.clock.now_ms();
    let e = MetricDataQuery::builder().id("e1").expression(expression).build();
    cw.get_metric_data()
        .metric_data_queries(m1())
        .metric_data_queries(e)
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now))
        .send()
        .await
        .map(drop)
        .map_err(|e| {
            let e = e.into_service_error();
            (code(&e), message(&e))
        })
}

#[tokio::test]
async fn a_two_mebibyte_expression_is_refused_and_the_host_keeps_serving() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    // Just under CloudWatch's 2 MiB body limit, so it reaches the parser rather than the size check.
    let brackets = "(".repeat(2 * 1024 * 1024 - 4096);
    let (code, message) = query(&cw, &cloud, &brackets).await.expect_err("refused");
    assert_eq!(code, "ValidationError");
    assert!(message.contains("length less than or equal to 2048"), "{message}");
    assert_eq!(query(&cw, &cloud, "m1 * 2").await, Ok(()), "the host still serves");
    put_alarm(&cw, "still-serving", "Lag", 1.0).await.expect("and accepts other operations");
}

#[tokio::test]
async fn expressions_are_bounded_at_2048_characters_and_64_levels() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    assert_eq!(MAX_EXPRESSION_CHARS, 2048);
    let at_limit = format!("{:<2048}", "m1 * 2");
    assert_eq!(query(&cw, &cloud, &at_limit).await, Ok(()), "2,048 characters are not refused for their length");
    let (code, message) = query(&cw, &cloud, &format!("{at_limit} ")).await.expect_err("2,049 are");
    assert_eq!(code, "ValidationError");
    assert!(message.contains("MetricDataQueries.member.2.Expression"), "{message}");

    let nested = |n: usize| format!("{}m1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(query(&cw, &cloud, &nested(MAX_DEPTH)).await, Ok(()), "64 levels are accepted");
    let (code, message) = query(&cw, &cloud, &nested(MAX_DEPTH + 1)).await.expect_err("65 are not");
    assert_eq!(code, "ValidationError");
    assert!(message.contains("nested more than 64 levels"), "{message}");
    let calls = format!("{}m1{}", "ABS(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(query(&cw, &cloud, &calls).await.expect_err("deep calls").1.contains("nested"));
    let search = format!("SEARCH('{}a{}', 'Sum', 60)", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(query(&cw, &cloud, &search).await.expect_err("deep search").1.contains("nested"));
}

#[tokio::test]
async fn an_alarm_expression_over_2048_characters_is_refused() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let metric = Metric::builder()
        .namespace("Test")
        .metric_name("Lag")
        .dimensions(Dimension::builder().name("Stream").value("s1").build())
        .build();
    let m1 = MetricDataQuery::builder()
        .id("m1")
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat(Statistic::Maximum.as_str()).build())
        .return_data(false)
        .build();
    let put = |expression: String| {
        cw.put_metric_alarm()
            .alarm_name("math")
            .metrics(m1.clone())
            .metrics(MetricDataQuery::builder().id("e1").expression(expression).build())
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
            .send()
    };
    let refused = put("(".repeat(MAX_EXPRESSION_CHARS + 1)).await.expect_err("refused").into_service_error();
    assert_eq!(code(&refused), "ValidationError");
    assert!(message(&refused).contains("metrics.2.member.expression"), "{}", message(&refused));
    put(format!("{:<2048}", "m1 * 2")).await.expect("2,048 characters are accepted");
}

#[tokio::test]
async fn a_long_chain_of_expressions_referring_to_each_other_is_refused() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let now = cloud.cloud.ctx.clock.now_ms();
    let chain = |n: usize| {
        let mut queries = vec![m1()];
        for i in 0..n {
            let refers = if i + 1 == n { "m1".to_string() } else { format!("e{}", i + 1) };
            queries.push(MetricDataQuery::builder().id(format!("e{i}")).expression(format!("{refers} + 1")).build());
        }
        cw.get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(DateTime::from_millis(now - 600_000))
            .end_time(DateTime::from_millis(now))
            .send()
    };
    chain(MAX_DEPTH).await.expect("64 expressions deep are answered");
    let refused = chain(499).await.expect_err("499 are refused").into_service_error();
    assert_eq!(code(&refused), "ValidationError");
    assert!(message(&refused).contains("nested more than 64"), "{}", message(&refused));
    query(&cw, &cloud, "m1 * 2").await.expect("the host still serves");
}
