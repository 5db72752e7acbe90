//! The planner and the mapping, without a cloud: calls, ids, periods, hidden rows, expressions,
//! labels, the partial last bucket and the alarm join.

use std::collections::HashSet;

use kinesis_console::control::dashboard::alarms::{AlarmBook, AlarmInfo, AlarmWatches};
use kinesis_console::control::dashboard::map::{MetricResult, map};
use kinesis_console::control::dashboard::metric::MetricSpec;
use kinesis_console::control::dashboard::model::Dashboard;
use kinesis_console::control::dashboard::period::PeriodRule;
use kinesis_console::control::dashboard::plan::{
    MAX_QUERIES_PER_CALL, Plan, Query, QueryBody, TimeRange, call_region, plan,
};
use serde_json::json;

use crate::templates::{self, PATTERNS};

const NOW: i64 = 1_700_000_000_000;

fn alarm(name: &str, state: &str, threshold: f64) -> AlarmInfo {
    AlarmInfo {
        name: name.to_string(),
        arn: format!("arn:aws:cloudwatch:us-east-1:000000000000:alarm:{name}"),
        state: state.to_string(),
        reason: None,
        threshold: Some(threshold),
        comparison: Some("GreaterThanOrEqualToThreshold".to_string()),
        watches: AlarmWatches::Metric(MetricSpec {
            namespace: "AWS/Kinesis".to_string(),
            metric_name: format!("{name}-metric"),
            dimensions: vec![("StreamName".to_string(), "demo-DataStream".to_string())],
            stat: "Maximum".to_string(),
            period: 60,
        }),
    }
}

/// The alarms of a pattern's template, each watching a metric of its own.
fn book(pattern: &str) -> AlarmBook {
    templates::alarm_logical_ids(pattern)
        .iter()
        .map(|l| {
            let name = templates::alarm_name(l);
            (name.clone(), alarm(&name, "OK", 1.0))
        })
        .collect()
}

fn assert_well_formed(p: &Plan) {
    for call in &p.calls {
        assert!(call.len() <= MAX_QUERIES_PER_CALL);
        let ids: HashSet<&str> = call.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids.len(), call.len(), "ids unique within a call");
        for q in call {
            if let QueryBody::Expression { expression } = &q.body {
                for word in expression.split(|c: char| !c.is_alphanumeric()).filter(|w| w.starts_with(['m', 'e'])) {
                    if word.len() > 1 && word[1..].chars().all(|c| c.is_ascii_digit()) {
                        assert!(ids.contains(word), "{} refers to {word}, which is in another call", q.id);
                    }
                }
            }
        }
    }
}

#[test]
fn each_pattern_dashboard_is_one_call() {
    for pattern in PATTERNS {
        let d = Dashboard::parse(&templates::body(pattern)).unwrap();
        for target in [PeriodRule::Local, PeriodRule::Aws] {
            let p = plan(&d, &book(pattern), TimeRange::last(3600, NOW), target);
            assert_eq!(p.calls.len(), 1, "{pattern} {target:?}");
            assert_well_formed(&p);
            for w in &p.widgets {
                assert!(w.problems.is_empty(), "{pattern}: {:?}", w.problems);
                assert!(!w.series.is_empty(), "{pattern}: widget {} draws something", w.widget);
            }
            assert_eq!(p.widgets.len(), d.metric_widgets().count());
        }
    }
}

#[test]
fn identical_metrics_are_asked_for_once() {
    // Pattern 1's Lambda widgets ask for Invocations (Sum) twice and Duration three ways.
    let d = Dashboard::parse(&templates::body("apigw-kds-lambda")).unwrap();
    let p = plan(&d, &book("apigw-kds-lambda"), TimeRange::last(3600, NOW), PeriodRule::Aws);
    let metrics: Vec<_> = p.calls[0]
        .iter()
        .filter_map(|q| match &q.body {
            QueryBody::Metric(m) => Some(m),
            _ => None,
        })
        .collect();
    let invocations: Vec<_> = metrics.iter().filter(|m| m.metric_name == "Invocations" && m.stat == "Sum").collect();
    assert_eq!(invocations.len(), 1);
    assert_eq!(metrics.iter().filter(|m| m.metric_name == "Duration").count(), 3);
    let series: Vec<&str> = p.widgets.iter().flat_map(|w| &w.series).map(|s| s.query_id.as_str()).collect();
    let shared = &invocations_id(&p);
    assert_eq!(series.iter().filter(|id| *id == shared).count(), 2, "two widgets share the query");
    assert_eq!(p.metrics_requested(), metrics.len());
}

fn invocations_id(p: &Plan) -> String {
    p.calls[0]
        .iter()
        .find(|q| matches!(&q.body, QueryBody::Metric(m) if m.metric_name == "Invocations"))
        .map(|q| q.id.clone())
        .unwrap()
}

fn widget(metrics: serde_json::Value) -> serde_json::Value {
    json!({"type": "metric", "properties": {"metrics": metrics, "period": 60, "stat": "Sum", "region": "us-east-1"}})
}

#[test]
fn widgets_reusing_ids_are_renamed_consistently() {
    let pair = |stream: &str| {
        widget(json!([
            [{"expression": "m1 - m2", "id": "e1", "label": "diff"}],
            ["AWS/Kinesis", "IncomingRecords", "StreamName", stream, {"id": "m1", "visible": false}],
            ["AWS/Kinesis", "GetRecords.Records", "StreamName", stream, {"id": "m2", "visible": false}]
        ]))
    };
    let d = Dashboard::parse(&json!({"widgets": [pair("a"), pair("b")]}).to_string()).unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(900, NOW), PeriodRule::Local);
    assert_eq!(p.calls.len(), 1);
    assert_well_formed(&p);
    let by_id = |id: &str| p.calls[0].iter().find(|q| q.id == id).unwrap().clone();
    let stream_of = |q: &Query| match &q.body {
        QueryBody::Metric(m) => m.dimensions[0].1.clone(),
        _ => panic!("a metric"),
    };
    for (w, stream) in p.widgets.iter().zip(["a", "b"]) {
        let e = by_id(&w.series[0].query_id);
        let QueryBody::Expression { expression } = &e.body else { panic!("an expression") };
        let (l, r) = expression.split_once(" - ").unwrap();
        assert_eq!((stream_of(&by_id(l)), stream_of(&by_id(r))), (stream.to_string(), stream.to_string()));
        assert!(e.return_data);
        assert!(!by_id(l).return_data && !by_id(r).return_data, "hidden inputs are not returned");
        assert_eq!(w.series[0].local_id.as_deref(), Some("e1"));
    }
}

#[test]
fn six_hundred_queries_take_two_calls() {
    let widgets: Vec<_> = (0..6)
        .map(|w| {
            let rows: Vec<_> =
                (0..100).map(|i| json!(["Custom", format!("metric{w}_{i}"), "Shard", format!("{i}")])).collect();
            widget(json!(rows))
        })
        .collect();
    let d = Dashboard::parse(&json!({ "widgets": widgets }).to_string()).unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    assert_eq!(p.calls.iter().map(Vec::len).collect::<Vec<_>>(), vec![500, 100]);
    assert_eq!(p.metrics_requested(), 600);
    assert!((p.cost_per_refresh_usd() - 0.006).abs() < 1e-12);
    assert!((p.cost_per_hour_usd(60) - 0.36).abs() < 1e-9);
    assert_well_formed(&p);

    // An expression over a widget's 100 metrics keeps them together in the second call.
    let mut with_sum = widgets.clone();
    for w in &mut with_sum {
        let rows = w["properties"]["metrics"].as_array_mut().unwrap();
        rows.push(json!([{"expression": "SUM(METRICS())", "id": "total"}]));
    }
    let d = Dashboard::parse(&json!({ "widgets": with_sum }).to_string()).unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    assert_eq!(p.calls.iter().map(Vec::len).collect::<Vec<_>>(), vec![404, 202]);
    assert_well_formed(&p);
}

#[test]
fn periods_follow_the_target() {
    let d = Dashboard::parse(&templates::body("kpl-kds-kda")).unwrap();
    let periods = |target, secs| {
        let p = plan(&d, &book("kpl-kds-kda"), TimeRange::last(secs, NOW), target);
        p.calls[0]
            .iter()
            .filter_map(|q| match &q.body {
                QueryBody::Metric(m) => Some(m.period),
                _ => None,
            })
            .collect::<HashSet<_>>()
    };
    assert_eq!(periods(PeriodRule::Local, 15 * 60), HashSet::from([10]));
    assert_eq!(periods(PeriodRule::Local, 3 * 3600), HashSet::from([60]));
    assert_eq!(periods(PeriodRule::Local, 86_400), HashSet::from([300]));
    assert_eq!(periods(PeriodRule::Aws, 15 * 60), HashSet::from([60]), "the dashboard's and the alarms' own");
    let d = Dashboard::parse(
        &json!({"widgets": [{"type": "metric", "properties": {"metrics": [["A", "B"]]}}]}).to_string(),
    )
    .unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    assert!(matches!(&p.calls[0][0].body, QueryBody::Metric(m) if m.period == 300 && m.stat == "Average"));
}

#[test]
fn unknown_ids_and_missing_alarms_are_reported_not_sent() {
    let d = Dashboard::parse(
        &json!({"widgets": [
            widget(json!([["A", "B", {"id": "m1"}], [{"expression": "m1 + nope", "id": "e1"}], [{"expression": "e1 * 2", "id": "e2"}]])),
            {"type": "metric", "properties": {"annotations": {"alarms": ["arn:aws:cloudwatch:us-east-1:1:alarm:gone"]}}}
        ]})
        .to_string(),
    )
    .unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    assert_eq!(p.calls.len(), 1);
    assert_eq!(p.calls[0].len(), 1, "only m1 is asked for");
    assert_eq!(p.widgets[0].series.len(), 1);
    assert_eq!(p.widgets[0].problems.len(), 2, "{:?}", p.widgets[0].problems);
    assert!(p.widgets[0].problems[0].contains("\"nope\""));
    assert_eq!(p.widgets[1].problems, ["alarm arn:aws:cloudwatch:us-east-1:1:alarm:gone was not found"]);
}

fn result(id: &str, label: &str, from: i64, step: i64, values: &[f64]) -> MetricResult {
    MetricResult {
        id: id.to_string(),
        label: label.to_string(),
        timestamps_ms: (0..values.len() as i64).rev().map(|i| from + i * step).collect(),
        values: values.iter().rev().copied().collect(),
        status_code: "Complete".to_string(),
        messages: vec![],
    }
}

#[test]
fn answers_map_back_to_series_with_labels_hidden_rows_and_the_partial_bucket() {
    let d = Dashboard::parse(
        &json!({"widgets": [
            widget(json!([
                ["AWS/Lambda", "Errors", "FunctionName", "f", {"id": "errors", "label": "Errors!"}],
                ["AWS/Lambda", "Invocations", "FunctionName", "f", {"id": "inv", "visible": false}],
                [{"expression": "100 * errors / inv", "id": "rate", "yAxis": "right"}],
                [{"expression": "RATE(METRICS())", "id": "rates"}]
            ])),
            {"type": "metric", "properties": {"title": "Iterator age", "annotations": {"alarms": ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:age"]}}},
            {"type": "alarm", "properties": {"alarms": ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:age", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:other"]}},
            {"type": "text", "properties": {"markdown": "# Notes"}}
        ]})
        .to_string(),
    )
    .unwrap();
    let alarms: AlarmBook = [("age".to_string(), alarm("age", "ALARM", 60_000.0))].into();
    let range = TimeRange { start_ms: NOW - 600_000, end_ms: NOW - 5_000 };
    let p = plan(&d, &alarms, range, PeriodRule::Local);
    assert_eq!(p.calls.len(), 1);
    let ids: Vec<String> = p.widgets[0].series.iter().map(|s| s.query_id.clone()).collect();
    let age_id = p.widgets[1].series[0].query_id.clone();
    let step = 10_000;
    let last = NOW - 10_000; // the bucket [NOW-10s, NOW) runs past the range's end
    let results = vec![
        result(&ids[0], "Errors", last - 2 * step, step, &[1.0, 2.0, 3.0]),
        result(&ids[2], "rate", last - step, step, &[10.0, 20.0]),
        result(&ids[3], "Errors", last - step, step, &[0.1, 0.2]),
        result(&ids[3], "Invocations", last - step, step, &[1.0, 2.0]),
        result(&age_id, "age-metric", last - 3 * step, step, &[5.0, 6.0]),
    ];
    let view = map(&d, &p, &results, &alarms);
    let w = &view.widgets[0];
    let labels: Vec<&str> = w.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Errors!", "Invocations", "rate", "Errors", "Invocations"]);
    assert_eq!(w.series[0].values, [1.0, 2.0, 3.0], "ascending in time");
    assert_eq!(w.series[0].latest(), Some(3.0));
    assert!(w.series[0].partial_last);
    assert_eq!(w.series[0].unit, Some("Count"));
    assert!(!w.series[1].visible && w.series[1].values.is_empty(), "hidden: fetched for the expression, not drawn");
    assert_eq!(format!("{:?}", w.series[2].y_axis), "Right");
    assert_eq!(w.series[2].unit, None);
    let age = &view.widgets[1];
    assert_eq!(age.title.as_deref(), Some("Iterator age"));
    assert!(!age.series[0].partial_last, "its last point ended before the range did");
    assert_eq!(age.series[0].unit, Some("Count"));
    assert_eq!((age.alarms[0].state.as_str(), age.alarms[0].threshold), ("ALARM", Some(60_000.0)));
    let states: Vec<&str> = view.widgets[2].alarms.iter().map(|a| a.state.as_str()).collect();
    assert_eq!(states, ["ALARM", "NOT_FOUND"]);
    assert_eq!(view.widgets[3].markdown.as_deref(), Some("# Notes"));
    assert_eq!(view.alarms().len(), 2);
    assert_eq!((view.calls, view.metrics_requested), (1, 3));
}

#[test]
fn each_call_asks_one_region_on_aws_and_the_local_cloud_takes_them_all() {
    let in_region = |region: &str, rows: serde_json::Value| json!({"type": "metric", "properties": {"metrics": rows, "region": region, "stat": "Sum", "period": 60}});
    let d = Dashboard::parse(
        &json!({"widgets": [
            in_region("us-east-1", json!([["AWS/Kinesis", "IncomingRecords", "StreamName", "a"]])),
            in_region("eu-west-1", json!([
                ["AWS/Kinesis", "IncomingRecords", "StreamName", "a"],
                ["AWS/Kinesis", "IncomingBytes", "StreamName", "a", {"region": "us-east-1"}]
            ])),
            in_region("eu-west-1", json!([
                ["AWS/Kinesis", "IncomingRecords", "StreamName", "a", {"id": "m1", "region": "us-east-1"}],
                [{"expression": "m1 * 2", "id": "e1"}]
            ]))
        ]})
        .to_string(),
    )
    .unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    assert_well_formed(&p);
    let mut regions: Vec<(Option<&str>, usize)> = p.calls.iter().map(|c| (call_region(c), c.len())).collect();
    regions.sort();
    assert_eq!(
        regions,
        [(Some("eu-west-1"), 1), (Some("us-east-1"), 2)],
        "the same metric in two regions is two queries"
    );
    for call in &p.calls {
        assert!(call.iter().all(|q| q.region.as_deref() == call_region(call)), "one region per call");
    }
    assert_eq!(p.widgets[2].problems.len(), 1, "math cannot reach across regions: {:?}", p.widgets[2].problems);
    assert_eq!(p.widgets[2].series.len(), 1, "m1 is drawn, e1 is not");

    let local = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Local);
    assert_eq!(local.calls.len(), 1);
    assert!(local.calls[0].iter().all(|q| q.region.is_none()));
}

#[test]
fn cross_account_rows_name_their_account_on_aws() {
    let d = Dashboard::parse(
        &json!({"widgets": [widget(json!([
            ["AWS/Kinesis", "IncomingRecords", "StreamName", "a", {"accountId": "111122223333"}],
            ["AWS/Kinesis", "IncomingRecords", "StreamName", "a"]
        ]))]})
        .to_string(),
    )
    .unwrap();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Aws);
    let accounts: Vec<Option<&str>> = p.calls[0].iter().map(|q| q.account_id.as_deref()).collect();
    assert_eq!(accounts, [Some("111122223333"), None], "the same metric of two accounts is two queries");
    let local = plan(&d, &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Local);
    assert_eq!(local.calls[0].len(), 1, "the local cloud has one account");
}
