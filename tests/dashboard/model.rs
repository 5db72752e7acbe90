//! The dashboard model on the four pattern dashboards and on hand-written bodies.

use kinesis_console::control::dashboard::axis::Axis;
use kinesis_console::control::dashboard::metric_rows::MetricRow;
use kinesis_console::control::dashboard::model::{Annotation, Dashboard, View, WidgetKind};
use serde_json::json;

use crate::templates::{self, PATTERNS};

#[test]
fn reads_the_four_pattern_dashboards() {
    for pattern in PATTERNS {
        let d = Dashboard::parse(&templates::body(pattern)).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        assert!(d.widgets.len() >= 10, "{pattern}: {} widgets", d.widgets.len());
        for w in &d.widgets {
            let (x, y) = (w.x.expect("placed"), w.y.expect("placed"));
            assert!(x + w.width <= 24, "{pattern}: widget at {x},{y} overflows the grid");
        }
        assert!(d.metric_widgets().count() >= 5, "{pattern}");
        let arns = d.alarm_arns();
        assert_eq!(arns.len(), templates::alarm_logical_ids(pattern).len(), "{pattern}: alarms once each");
        assert!(arns.iter().all(|a| a.starts_with("arn:aws:cloudwatch:us-east-1:000000000000:alarm:demo-")));
    }
}

#[test]
fn pattern_2_reads_expressions_hidden_rows_and_logs() {
    let d = Dashboard::parse(&templates::body("kpl-kds-kda")).unwrap();
    let latency =
        d.metric_widgets().map(|(_, m)| m).find(|m| m.settings.title.as_deref() == Some("Event Time Latency"));
    let latency = latency.expect("the event time latency widget");
    assert_eq!(latency.metrics.len(), 3);
    assert!(matches!(&latency.metrics[0], MetricRow::Expression { expression, .. } if expression == "m1 - m2"));
    assert!(latency.metrics[0].visible());
    assert!(!latency.metrics[1].visible() && !latency.metrics[2].visible());
    let MetricRow::Metric { namespace, metric_name, dimensions, props } = &latency.metrics[1] else { panic!() };
    assert_eq!((namespace.as_str(), metric_name.as_str()), ("AWS/KinesisAnalytics", "currentOutputWatermark"));
    assert_eq!(dimensions, &vec![("Application".to_string(), "demo-App".to_string())]);
    assert_eq!((props.id.as_deref(), props.stat.as_deref()), (Some("m1"), Some("Minimum")));
    assert_eq!(latency.period(), 60);
    let y = latency.settings.y_axis.as_ref().unwrap();
    assert_eq!(y.left.as_ref().unwrap().show_units, Some(false));

    let logs: Vec<_> = d
        .widgets
        .iter()
        .filter_map(|w| match &w.kind {
            WidgetKind::Log(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(logs.len(), 5);
    assert_eq!(logs[0].log_groups(), vec!["demo-ApplicationLogGroup".to_string()]);
    assert_eq!(logs[0].view.as_deref(), Some("table"));
}

#[test]
fn alarm_graph_widgets_name_their_alarm() {
    let d = Dashboard::parse(&templates::body("apigw-kds-lambda")).unwrap();
    let (_, iterator) = d.metric_widgets().next().unwrap();
    assert!(iterator.metrics.is_empty());
    assert_eq!(iterator.alarm_arns(), ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:demo-IteratorAgeAlarm"]);
    let success =
        d.metric_widgets().map(|(_, m)| m).find(|m| m.metrics.len() == 3 && m.metrics[2].props().expression.is_some());
    let success = success.expect("the error count and success rate widget");
    assert_eq!(success.metrics[2].props().y_axis, Some(Axis::Right));
    assert_eq!(success.metrics[0].props().color.as_deref(), Some("#d13212"));
    assert_eq!(success.settings.y_axis.as_ref().unwrap().right.as_ref().unwrap().max, Some(100.0));
}

fn hand_made() -> serde_json::Value {
    json!({
        "start": "-PT3H",
        "periodOverride": "inherit",
        "variables": [{"type": "property", "property": "StreamName"}],
        "widgets": [
            {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "someday": true, "properties": {
                "metrics": [
                    ["AWS/Kinesis", "IncomingRecords", "StreamName", "a", {"stat": "Sum", "label": "A", "id": "ra"}],
                    ["...", "b", {"id": "rb", "yAxis": "right", "color": "#ff0000", "period": 10}],
                    [".", "IncomingBytes", ".", ".", {"visible": false, "region": "eu-west-1", "accountId": "1"}],
                    [{"expression": "ra + rb", "label": "Total", "id": "total"}]
                ],
                "view": "timeSeries", "stacked": true, "liveData": true, "stat": "Average", "period": 60,
                "region": "us-east-1", "title": "Records",
                "yAxis": {"left": {"min": 0, "label": "records", "showUnits": false}, "right": {"max": 10}},
                "annotations": {
                    "horizontal": [
                        {"value": 100, "label": "limit", "color": "#d13212", "fill": "above", "yAxis": "left"},
                        [{"value": 10, "label": "band"}, {"value": 20}]
                    ],
                    "vertical": [
                        {"value": "2024-01-01T00:00:00Z", "label": "deploy", "fill": "after", "visible": true},
                        [{"value": "2024-01-01T01:00:00Z"}, {"value": "2024-01-01T02:00:00Z", "label": "window"}]
                    ]
                },
                "legend": {"position": "bottom"},
                "newProperty": {"nested": 1}
            }},
            {"type": "metric", "properties": {"view": "singleValue", "sparkline": true,
                "metrics": [["AWS/Lambda", "Errors", "FunctionName", "f"]]}},
            {"type": "metric", "properties": {"view": "gauge", "metrics": [["AWS/Lambda", "Duration"]]}},
            {"type": "metric", "properties": {"view": "bar", "metrics": [["AWS/Lambda", "Duration"]]}},
            {"type": "metric", "properties": {"view": "pie", "metrics": [["AWS/Lambda", "Duration"]]}},
            {"type": "metric", "properties": {"view": "somethingNew", "metrics": []}},
            {"type": "text", "x": 0, "y": 6, "width": 24, "height": 2, "properties": {"markdown": "## Hi", "background": "transparent"}},
            {"type": "alarm", "properties": {"title": "All", "alarms": ["arn:aws:cloudwatch:us-east-1:1:alarm:x"], "sortBy": "stateUpdatedTimestamp", "states": ["ALARM"]}},
            {"type": "log", "properties": {"query": "SOURCE 'g1' | SOURCE \"g2\" | fields @message", "region": "us-east-1", "title": "Logs", "stacked": false, "view": "table"}},
            {"type": "explorer", "properties": {"metrics": [{"metricName": "CPUUtilization"}]}}
        ]
    })
}

#[test]
fn reads_every_feature_of_a_hand_written_body() {
    let d = Dashboard::parse(&hand_made().to_string()).unwrap();
    assert_eq!(d.start.as_deref(), Some("-PT3H"));
    assert_eq!(d.period_override.as_deref(), Some("inherit"));
    assert!(d.extra.contains_key("variables"));
    assert_eq!(d.widgets.len(), 10);

    let w = &d.widgets[0];
    assert_eq!((w.x, w.y, w.width, w.height), (Some(0), Some(0), 12, 6));
    assert_eq!(w.extra["someday"], json!(true));
    let WidgetKind::Metric(m) = &w.kind else { panic!("a metric widget") };
    let s = &m.settings;
    assert_eq!((s.view, s.stacked, s.live_data, s.period), (View::TimeSeries, Some(true), Some(true), Some(60)));
    assert_eq!(
        (s.stat.as_deref(), s.region.as_deref(), s.title.as_deref()),
        (Some("Average"), Some("us-east-1"), Some("Records"))
    );
    assert_eq!(s.extra["legend"], json!({"position": "bottom"}));
    assert_eq!(s.extra["newProperty"], json!({"nested": 1}));
    let y = s.y_axis.as_ref().unwrap();
    assert_eq!(y.left.as_ref().unwrap().min, Some(0.0));
    assert_eq!(y.left.as_ref().unwrap().label.as_deref(), Some("records"));
    assert_eq!(y.right.as_ref().unwrap().max, Some(10.0));

    let dims = |row: &MetricRow| match row {
        MetricRow::Metric { namespace, metric_name, dimensions, .. } => {
            let mut v = vec![namespace.clone(), metric_name.clone()];
            v.extend(dimensions.iter().flat_map(|(n, v)| [n.clone(), v.clone()]));
            v
        }
        MetricRow::Expression { .. } => vec![],
    };
    assert_eq!(dims(&m.metrics[0]), ["AWS/Kinesis", "IncomingRecords", "StreamName", "a"]);
    assert_eq!(dims(&m.metrics[1]), ["AWS/Kinesis", "IncomingRecords", "StreamName", "b"], "\"...\" repeats the head");
    assert_eq!(dims(&m.metrics[2]), ["AWS/Kinesis", "IncomingBytes", "StreamName", "b"], "\".\" repeats a position");
    let p1 = m.metrics[1].props();
    assert_eq!((p1.y_axis, p1.color.as_deref(), p1.period), (Some(Axis::Right), Some("#ff0000"), Some(10)));
    let p2 = m.metrics[2].props();
    assert_eq!(
        (p2.visible, p2.region.as_deref(), p2.account_id.as_deref()),
        (Some(false), Some("eu-west-1"), Some("1"))
    );
    assert!(
        matches!(&m.metrics[3], MetricRow::Expression { expression, props } if expression == "ra + rb" && props.label.as_deref() == Some("Total"))
    );

    let a = s.annotations.as_ref().unwrap();
    let Annotation::Line(h) = &a.horizontal[0] else { panic!("a line") };
    assert_eq!((h.value, h.fill.as_deref(), h.y_axis), (100.0, Some("above"), Some(Axis::Left)));
    let Annotation::Band(band) = &a.horizontal[1] else { panic!("a band") };
    assert_eq!((band[0].value, band[1].value), (10.0, 20.0));
    let Annotation::Line(v) = &a.vertical[0] else { panic!("a line") };
    assert_eq!((v.value.as_str(), v.fill.as_deref()), ("2024-01-01T00:00:00Z", Some("after")));
    assert!(matches!(&a.vertical[1], Annotation::Band(b) if b[1].label.as_deref() == Some("window")));

    let views: Vec<View> = d.metric_widgets().skip(1).map(|(_, m)| m.settings.view).collect();
    assert_eq!(views, [View::SingleValue, View::Gauge, View::Bar, View::Pie, View::Unknown]);
    let second = &d.widgets[1];
    assert_eq!((second.x, second.width, second.height), (None, 6, 6), "CloudWatch's default size");
    let WidgetKind::Metric(single) = &second.kind else { panic!() };
    assert_eq!((single.period(), single.stat()), (300, "Average"));
    assert_eq!(single.settings.extra["sparkline"], json!(true));

    let WidgetKind::Text(t) = &d.widgets[6].kind else { panic!("text") };
    assert_eq!((t.markdown.as_str(), t.background.as_deref()), ("## Hi", Some("transparent")));
    let WidgetKind::Alarm(al) = &d.widgets[7].kind else { panic!("alarm") };
    assert_eq!((al.alarms.len(), al.sort_by.as_deref()), (1, Some("stateUpdatedTimestamp")));
    assert_eq!(al.states.as_deref(), Some(&["ALARM".to_string()][..]));
    let WidgetKind::Log(l) = &d.widgets[8].kind else { panic!("log") };
    assert_eq!(l.log_groups(), ["g1", "g2"]);
    assert!(matches!(&d.widgets[9].kind, WidgetKind::Other { type_name, .. } if type_name == "explorer"));
    assert_eq!(d.alarm_arns(), ["arn:aws:cloudwatch:us-east-1:1:alarm:x"]);
}

#[test]
fn malformed_rows_name_the_widget_and_the_row() {
    let bad = |metrics: serde_json::Value| {
        let body = json!({"widgets": [{"type": "text", "properties": {"markdown": ""}}, {"type": "metric", "properties": {"metrics": metrics}}]});
        Dashboard::parse(&body.to_string()).unwrap_err().to_string()
    };
    assert_eq!(
        bad(json!([["...", "x"]])),
        "widget 1 (metric): metrics[0]: \"...\" has no previous row long enough to repeat"
    );
    assert_eq!(
        bad(json!([["AWS/Lambda"]])),
        "widget 1 (metric): metrics[0]: a metric row needs a namespace and a metric name"
    );
    assert_eq!(
        bad(json!([["AWS/Lambda", "Errors", "FunctionName"]])),
        "widget 1 (metric): metrics[0]: dimension \"FunctionName\" has no value"
    );
    assert_eq!(bad(json!([["AWS/Lambda", 3]])), "widget 1 (metric): metrics[0]: expected a string, found 3");
    assert!(Dashboard::parse("not json").unwrap_err().to_string().starts_with("the dashboard body is not JSON"));
    let empty = Dashboard::parse("{\"widgets\": []}").unwrap();
    assert!(empty.widgets.is_empty());
}
