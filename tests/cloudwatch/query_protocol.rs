//! CloudWatch over awsQuery, as the older SDKs (boto3 up to 1.35, Java v1, Go v1, JavaScript v2)
//! speak it: signed form requests, answered with the XML documents of the CloudWatch API reference.
//! `query_equivalence.rs` checks that the three protocols give the same answers.

use std::io::Write;

use quick_xml::events::Event;

use crate::support::TestCloud;
use crate::support::raw::Raw;

pub const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// An element of a response: its name, attributes, text and children.
#[derive(Debug, Clone, Default)]
pub struct Elem {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Elem>,
}

impl Elem {
    pub fn parse(xml: &[u8]) -> Elem {
        let mut reader = quick_xml::Reader::from_reader(xml);
        let mut stack: Vec<Elem> = vec![Elem::default()];
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf).expect("well-formed XML") {
                Event::Start(e) => stack.push(Elem::start(&e)),
                Event::Empty(e) => {
                    let elem = Elem::start(&e);
                    stack.last_mut().expect("a parent").children.push(elem);
                }
                Event::End(_) => {
                    let done = stack.pop().expect("an open element");
                    stack.last_mut().expect("a parent").children.push(done);
                }
                Event::Text(t) => {
                    let text = t.unescape().expect("escaped text");
                    stack.last_mut().expect("an element").text.push_str(&text);
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        let mut document = stack.pop().expect("the document");
        assert_eq!(document.children.len(), 1, "one root element");
        document.children.remove(0)
    }

    fn start(e: &quick_xml::events::BytesStart<'_>) -> Elem {
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.expect("an attribute");
                (String::from_utf8_lossy(a.key.as_ref()).into_owned(), a.unescape_value().expect("value").into_owned())
            })
            .collect();
        Elem { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), attrs, ..Elem::default() }
    }

    /// The only child named `name`.
    pub fn get(&self, name: &str) -> &Elem {
        let found: Vec<&Elem> = self.children.iter().filter(|c| c.name == name).collect();
        assert_eq!(found.len(), 1, "<{}> has one <{name}>: {self:#?}", self.name);
        found[0]
    }

    pub fn has(&self, name: &str) -> bool {
        self.children.iter().any(|c| c.name == name)
    }

    /// The element at a path of names below this one.
    pub fn at(&self, path: &[&str]) -> &Elem {
        path.iter().fold(self, |e, name| e.get(name))
    }

    pub fn text_at(&self, path: &[&str]) -> &str {
        &self.at(path).text
    }

    /// The `<member>` children of a list element (every child must be one).
    pub fn members(&self) -> Vec<&Elem> {
        assert!(self.children.iter().all(|c| c.name == "member"), "<{}> holds only <member>s: {self:#?}", self.name);
        self.children.iter().collect()
    }

    pub fn texts(&self) -> Vec<&str> {
        self.members().into_iter().map(|m| m.text.as_str()).collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

/// The form body of `Action=<action>&Version=2010-08-01&<params>`.
pub fn form(action: &str, params: &[(&str, String)]) -> Vec<u8> {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("Action", action).append_pair("Version", "2010-08-01");
    for (k, v) in params {
        f.append_pair(k, v);
    }
    f.finish().into_bytes()
}

/// Sends a signed awsQuery request; the status and the parsed XML answer.
pub async fn send(cloud: &TestCloud, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, Elem) {
    let mut all = vec![("content-type", FORM)];
    all.extend_from_slice(headers);
    let raw = cloud.sign(Raw::post("/", &all, body), "monitoring");
    let (status, headers, body) = raw.send(cloud.url()).await;
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/xml"), "an XML answer, not {content_type}");
    (status, Elem::parse(&body))
}

pub async fn query(cloud: &TestCloud, action: &str, params: &[(&str, String)]) -> (u16, Elem) {
    send(cloud, form(action, params), &[]).await
}

/// A successful answer: `<ActionResponse xmlns=…>` with a request id; its `<ActionResult>`, if any.
pub async fn ok(cloud: &TestCloud, action: &str, params: &[(&str, String)]) -> Option<Elem> {
    let (status, doc) = query(cloud, action, params).await;
    assert_eq!(status, 200, "{action}: {doc:#?}");
    assert_eq!(doc.name, format!("{action}Response"));
    assert_eq!(doc.attrs, vec![("xmlns".to_string(), XMLNS.to_string())]);
    assert!(!doc.text_at(&["ResponseMetadata", "RequestId"]).is_empty(), "{action} answers a request id");
    let result = format!("{action}Result");
    doc.has(&result).then(|| doc.get(&result).clone())
}

/// A refusal: `<ErrorResponse><Error><Type>Sender</Type><Code>…` with a request id; (status, code, message).
pub async fn refused(cloud: &TestCloud, action: &str, params: &[(&str, String)]) -> (u16, String, String) {
    let (status, doc) = query(cloud, action, params).await;
    error_of(status, &doc)
}

fn error_of(status: u16, doc: &Elem) -> (u16, String, String) {
    assert_eq!(doc.name, "ErrorResponse", "{doc:#?}");
    assert_eq!(doc.text_at(&["Error", "Type"]), "Sender");
    assert!(!doc.text_at(&["RequestId"]).is_empty());
    (status, doc.text_at(&["Error", "Code"]).to_string(), doc.text_at(&["Error", "Message"]).to_string())
}

fn p(k: &str, v: impl ToString) -> (&str, String) {
    (k, v.to_string())
}

/// awsQuery's form of a time: ISO 8601 in UTC.
pub fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("valid time");
    t.format(&time::format_description::well_known::Rfc3339).expect("formats")
}

/// The minute ten minutes before the cloud's now, so periods line up with what is put.
fn minute_start(cloud: &TestCloud) -> i64 {
    let now = cloud.cloud.ctx.clock.now_ms();
    now - now.rem_euclid(60_000) - 10 * 60_000
}

/// A datum with Values/Counts, one with StatisticValues, one with a plain Value (two minutes later).
fn put_three_datums(t0: i64) -> Vec<(&'static str, String)> {
    vec![
        p("Namespace", "App"),
        p("MetricData.member.1.MetricName", "Latency"),
        p("MetricData.member.1.Dimensions.member.1.Name", "Host"),
        p("MetricData.member.1.Dimensions.member.1.Value", "a"),
        p("MetricData.member.1.Timestamp", iso(t0)),
        p("MetricData.member.1.Values.member.1", "10"),
        p("MetricData.member.1.Values.member.2", "20.5"),
        p("MetricData.member.1.Counts.member.1", "2"),
        p("MetricData.member.1.Counts.member.2", "1"),
        p("MetricData.member.1.Unit", "Milliseconds"),
        p("MetricData.member.1.StorageResolution", "60"),
        p("MetricData.member.2.MetricName", "Latency"),
        p("MetricData.member.2.Dimensions.member.1.Name", "Host"),
        p("MetricData.member.2.Dimensions.member.1.Value", "a"),
        p("MetricData.member.2.Timestamp", iso(t0 + 1_000)),
        p("MetricData.member.2.StatisticValues.SampleCount", "3"),
        p("MetricData.member.2.StatisticValues.Sum", "30"),
        p("MetricData.member.2.StatisticValues.Minimum", "5"),
        p("MetricData.member.2.StatisticValues.Maximum", "15"),
        p("MetricData.member.2.Unit", "Milliseconds"),
        p("MetricData.member.3.MetricName", "Latency"),
        p("MetricData.member.3.Dimensions.member.1.Name", "Host"),
        p("MetricData.member.3.Dimensions.member.1.Value", "a"),
        p("MetricData.member.3.Timestamp", iso(t0 + 120_000)),
        p("MetricData.member.3.Value", "7"),
        p("MetricData.member.3.Unit", "Milliseconds"),
    ]
}

#[tokio::test]
async fn put_metric_data_then_get_metric_data_with_a_metric_stat_and_an_expression() {
    let cloud = TestCloud::start_virtual().await;
    let t0 = minute_start(&cloud);
    let put = ok(&cloud, "PutMetricData", &put_three_datums(t0)).await;
    assert!(put.is_none(), "PutMetricData answers only ResponseMetadata: {put:?}");

    let metric = "MetricDataQueries.member.1.MetricStat.Metric";
    let result = ok(
        &cloud,
        "GetMetricData",
        &[
            p("MetricDataQueries.member.1.Id", "m1"),
            p(&format!("{metric}.Namespace"), "App"),
            p(&format!("{metric}.MetricName"), "Latency"),
            p(&format!("{metric}.Dimensions.member.1.Name"), "Host"),
            p(&format!("{metric}.Dimensions.member.1.Value"), "a"),
            p("MetricDataQueries.member.1.MetricStat.Period", "60"),
            p("MetricDataQueries.member.1.MetricStat.Stat", "SampleCount"),
            p("MetricDataQueries.member.1.ReturnData", "true"),
            p("MetricDataQueries.member.2.Id", "e1"),
            p("MetricDataQueries.member.2.Expression", "m1 * 2"),
            p("MetricDataQueries.member.2.Label", "Doubled"),
            p("StartTime", iso(t0)),
            p("EndTime", iso(t0 + 180_000)),
            p("ScanBy", "TimestampAscending"),
        ],
    )
    .await
    .expect("a GetMetricDataResult");
    let results = result.get("MetricDataResults").members();
    assert_eq!(results.len(), 2);
    let (m1, e1) = (results[0], results[1]);
    assert_eq!(m1.text_at(&["Id"]), "m1");
    assert_eq!(m1.text_at(&["Label"]), "Latency");
    assert_eq!(m1.text_at(&["StatusCode"]), "Complete");
    assert_eq!(m1.get("Timestamps").texts(), vec![iso(t0).as_str(), &iso(t0 + 120_000)]);
    // Counts 2 + 1, then a statistic set of 3, in the first minute; one value in the third.
    let numbers =
        |e: &Elem| e.get("Values").texts().iter().map(|v| v.parse::<f64>().expect("a number")).collect::<Vec<_>>();
    assert_eq!(numbers(m1), vec![6.0, 1.0]);
    assert_eq!(e1.text_at(&["Id"]), "e1");
    assert_eq!(e1.text_at(&["Label"]), "Doubled");
    assert_eq!(numbers(e1), vec![12.0, 2.0]);
    assert_eq!(m1.get("Messages").children.len(), 0);
}

#[tokio::test]
async fn a_gzipped_form_is_inflated_before_it_is_read() {
    let cloud = TestCloud::start_virtual().await;
    let t0 = minute_start(&cloud);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&form("PutMetricData", &put_three_datums(t0))).expect("gzip");
    let (status, doc) = send(&cloud, gz.finish().expect("gzip"), &[("content-encoding", "gzip")]).await;
    assert_eq!(status, 200, "{doc:#?}");
    assert_eq!(doc.name, "PutMetricDataResponse");
    let listed = ok(&cloud, "ListMetrics", &[p("Namespace", "App")]).await.expect("a ListMetricsResult");
    let metrics = listed.get("Metrics").members();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].text_at(&["MetricName"]), "Latency");
}

#[tokio::test]
async fn get_metric_statistics_and_list_metrics() {
    let cloud = TestCloud::start_virtual().await;
    let t0 = minute_start(&cloud);
    ok(&cloud, "PutMetricData", &put_three_datums(t0)).await;
    let stats = ok(
        &cloud,
        "GetMetricStatistics",
        &[
            p("Namespace", "App"),
            p("MetricName", "Latency"),
            p("Dimensions.member.1.Name", "Host"),
            p("Dimensions.member.1.Value", "a"),
            p("StartTime", iso(t0)),
            p("EndTime", iso(t0 + 180_000)),
            p("Period", "60"),
            p("Statistics.member.1", "Sum"),
            p("Statistics.member.2", "Maximum"),
        ],
    )
    .await
    .expect("a GetMetricStatisticsResult");
    assert_eq!(stats.text_at(&["Label"]), "Latency");
    let points = stats.get("Datapoints").members();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].text_at(&["Timestamp"]), iso(t0));
    assert_eq!(points[0].text_at(&["Sum"]).parse::<f64>().expect("Sum"), 10.0 * 2.0 + 20.5 + 30.0);
    assert_eq!(points[0].text_at(&["Maximum"]).parse::<f64>().expect("Maximum"), 20.5);
    assert_eq!(points[0].text_at(&["Unit"]), "Milliseconds");
    assert_eq!(points[1].text_at(&["Timestamp"]), iso(t0 + 120_000));

    let extended = ok(
        &cloud,
        "GetMetricStatistics",
        &[
            p("Namespace", "App"),
            p("MetricName", "Latency"),
            p("Dimensions.member.1.Name", "Host"),
            p("Dimensions.member.1.Value", "a"),
            p("StartTime", iso(t0 + 120_000)),
            p("EndTime", iso(t0 + 180_000)),
            p("Period", "60"),
            p("ExtendedStatistics.member.1", "p99"),
        ],
    )
    .await
    .expect("a GetMetricStatisticsResult");
    // A map is written as entries of key and value.
    let entry = extended.at(&["Datapoints", "member", "ExtendedStatistics", "entry"]);
    assert_eq!(entry.text_at(&["key"]), "p99");
    assert_eq!(entry.text_at(&["value"]).parse::<f64>().expect("p99"), 7.0);

    let listed = ok(
        &cloud,
        "ListMetrics",
        &[p("Namespace", "App"), p("Dimensions.member.1.Name", "Host"), p("Dimensions.member.1.Value", "a")],
    )
    .await
    .expect("a ListMetricsResult");
    let metrics = listed.get("Metrics").members();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].text_at(&["Namespace"]), "App");
    assert_eq!(metrics[0].text_at(&["MetricName"]), "Latency");
    let dims = metrics[0].get("Dimensions").members();
    assert_eq!((dims[0].text_at(&["Name"]), dims[0].text_at(&["Value"])), ("Host", "a"));
    assert!(!listed.has("NextToken"));
    let none = ok(&cloud, "ListMetrics", &[p("Namespace", "Other")]).await.expect("a ListMetricsResult");
    assert_eq!(none.get("Metrics").children.len(), 0, "an empty list is an empty element");
}

#[tokio::test]
async fn alarms_are_put_described_and_set() {
    let cloud = TestCloud::start_virtual().await;
    let put = ok(
        &cloud,
        "PutMetricAlarm",
        &[
            p("AlarmName", "high-latency"),
            p("Namespace", "App"),
            p("MetricName", "Latency"),
            p("Dimensions.member.1.Name", "Host"),
            p("Dimensions.member.1.Value", "a"),
            p("Statistic", "Maximum"),
            p("Period", "60"),
            p("EvaluationPeriods", "3"),
            p("DatapointsToAlarm", "2"),
            p("Threshold", "2.5"),
            p("ComparisonOperator", "GreaterThanThreshold"),
            p("ActionsEnabled", "false"),
            p("TreatMissingData", "notBreaching"),
            p("OKActions", ""),
        ],
    )
    .await;
    assert!(put.is_none(), "PutMetricAlarm answers only ResponseMetadata");

    let described = ok(&cloud, "DescribeAlarms", &[p("AlarmNames.member.1", "high-latency")]).await.expect("a result");
    let alarms = described.get("MetricAlarms").members();
    assert_eq!(alarms.len(), 1);
    let alarm = alarms[0];
    assert_eq!(alarm.text_at(&["AlarmName"]), "high-latency");
    assert_eq!(alarm.text_at(&["Period"]), "60");
    assert_eq!(alarm.text_at(&["EvaluationPeriods"]), "3");
    assert_eq!(alarm.text_at(&["DatapointsToAlarm"]), "2");
    assert_eq!(alarm.text_at(&["Threshold"]).parse::<f64>().expect("Threshold"), 2.5);
    assert_eq!(alarm.text_at(&["ActionsEnabled"]), "false");
    assert_eq!(alarm.text_at(&["StateValue"]), "INSUFFICIENT_DATA");
    let dims = alarm.get("Dimensions").members();
    assert_eq!((dims[0].text_at(&["Name"]), dims[0].text_at(&["Value"])), ("Host", "a"));
    let updated = alarm.text_at(&["StateUpdatedTimestamp"]);
    assert!(
        time::OffsetDateTime::parse(updated, &time::format_description::well_known::Rfc3339).is_ok()
            && updated.ends_with('Z'),
        "timestamps are ISO 8601 in UTC: {updated}"
    );

    let set = ok(
        &cloud,
        "SetAlarmState",
        &[p("AlarmName", "high-latency"), p("StateValue", "ALARM"), p("StateReason", "testing")],
    )
    .await;
    assert!(set.is_none(), "SetAlarmState answers only ResponseMetadata");
    let described = ok(&cloud, "DescribeAlarms", &[p("StateValue", "ALARM")]).await.expect("a result");
    let alarms = described.get("MetricAlarms").members();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].text_at(&["StateReason"]), "testing");
    let none = ok(&cloud, "DescribeAlarms", &[p("StateValue", "OK")]).await.expect("a result");
    assert_eq!(none.get("MetricAlarms").children.len(), 0);

    let (status, code, _) =
        refused(&cloud, "SetAlarmState", &[p("AlarmName", "nope"), p("StateValue", "OK"), p("StateReason", "x")]).await;
    assert_eq!(status, 404, "the model gives ResourceNotFound status 404");
    assert_eq!(code, "ResourceNotFound");
    ok(&cloud, "DeleteAlarms", &[p("AlarmNames.member.1", "high-latency")]).await;
    let gone = ok(&cloud, "DescribeAlarms", &[]).await.expect("a result");
    assert_eq!(gone.get("MetricAlarms").children.len(), 0);
}

#[tokio::test]
async fn dashboards_are_put_got_listed_and_deleted() {
    let cloud = TestCloud::start_virtual().await;
    let body = crate::body("hello");
    let put = ok(&cloud, "PutDashboard", &[p("DashboardName", "ops"), p("DashboardBody", &body)]).await;
    let put = put.expect("a PutDashboardResult");
    assert_eq!(put.names(), vec!["DashboardValidationMessages"]);
    assert_eq!(put.get("DashboardValidationMessages").children.len(), 0);
    let got = ok(&cloud, "GetDashboard", &[p("DashboardName", "ops")]).await.expect("a GetDashboardResult");
    assert_eq!(got.text_at(&["DashboardName"]), "ops");
    assert_eq!(got.text_at(&["DashboardBody"]), body);
    assert!(got.text_at(&["DashboardArn"]).ends_with(":dashboard/ops"));

    let arn = got.text_at(&["DashboardArn"]).to_string();
    let tagged = ok(
        &cloud,
        "TagResource",
        &[p("ResourceARN", &arn), p("Tags.member.1.Key", "team"), p("Tags.member.1.Value", "7")],
    )
    .await;
    assert_eq!(tagged.map(|r| r.children.len()), Some(0), "TagResource answers an empty TagResourceResult");
    let tags = ok(&cloud, "ListTagsForResource", &[p("ResourceARN", &arn)]).await.expect("a result");
    let tag = tags.get("Tags").members()[0];
    assert_eq!((tag.text_at(&["Key"]), tag.text_at(&["Value"])), ("team", "7"), "a tag's value stays text");

    let listed = ok(&cloud, "ListDashboards", &[]).await.expect("a ListDashboardsResult");
    let entries = listed.get("DashboardEntries").members();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].text_at(&["DashboardName"]), "ops");
    assert_eq!(entries[0].text_at(&["Size"]), body.len().to_string());
    let modified = time::OffsetDateTime::parse(
        entries[0].text_at(&["LastModified"]),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("LastModified is ISO 8601");
    assert_eq!((modified.unix_timestamp_nanos() / 1_000_000) as i64, cloud.cloud.ctx.clock.now_ms());

    // The API model gives DeleteDashboards an (empty) output, so the SDKs look for its result element.
    let deleted = ok(&cloud, "DeleteDashboards", &[p("DashboardNames.member.1", "ops")]).await;
    assert_eq!(deleted.map(|r| r.children.len()), Some(0), "DeleteDashboards answers an empty DeleteDashboardsResult");
    let (status, code, message) = refused(&cloud, "GetDashboard", &[p("DashboardName", "ops")]).await;
    assert_eq!((status, code.as_str()), (404, "ResourceNotFound"), "{message}");
    let (_, code, _) =
        refused(&cloud, "PutDashboard", &[p("DashboardName", "bad name!"), p("DashboardBody", &body)]).await;
    assert_eq!(code, "InvalidParameterInput");
}

#[tokio::test]
async fn refusals_carry_the_query_error_codes() {
    let cloud = TestCloud::start_virtual().await;
    let t0 = minute_start(&cloud);
    // (action, parameters, the code, a name the message must mention)
    type Refusal<'a> = (&'a str, Vec<(&'a str, String)>, &'a str, &'a str);
    let cases: Vec<Refusal> = vec![
        (
            "GetMetricStatistics",
            vec![p("Namespace", "App"), p("MetricName", "L"), p("Period", "abc"), p("Statistics.member.1", "Sum")],
            "InvalidParameterValue",
            "Period",
        ),
        (
            "PutMetricData",
            vec![p("Namespace", "App"), p("MetricData.member.1.MetricName", "L"), p("MetricData.member.1.Value", "x1")],
            "InvalidParameterValue",
            "MetricData.member.1.Value",
        ),
        (
            "GetMetricData",
            vec![p("StartTime", "yesterday"), p("EndTime", iso(t0))],
            "InvalidParameterValue",
            "StartTime",
        ),
        ("PutMetricData", vec![p("MetricData.member.1.MetricName", "L")], "MissingParameter", "Namespace"),
        (
            "PutMetricData",
            vec![
                p("Namespace", "AWS/Kinesis"),
                p("MetricData.member.1.MetricName", "L"),
                p("MetricData.member.1.Value", "1"),
            ],
            "InvalidParameterValue",
            "Namespace",
        ),
        ("GetMetricData", vec![p("MetricDataQueries.member.0.Id", "a")], "InvalidQueryParameter", "member"),
        ("DescribeTheWeather", vec![], "InvalidAction", "DescribeTheWeather"),
        (
            "GetMetricData",
            vec![
                p("MetricDataQueries.member.1.Id", "m"),
                p("MetricDataQueries.member.1.MetricStat.Metric.MetricName", "L"),
                p("MetricDataQueries.member.1.MetricStat.Stat", "Sum"),
                p("StartTime", iso(t0)),
                p("EndTime", iso(t0 + 60_000)),
            ],
            "ValidationError",
            "Period",
        ),
    ];
    for (action, params, want, mentions) in cases {
        let (status, code, message) = refused(&cloud, action, &params).await;
        assert_eq!((status, code.as_str()), (400, want), "{action} {params:?}: {message}");
        assert!(message.contains(mentions), "{action}: the message names {mentions}: {message}");
    }
}

#[tokio::test]
async fn an_unsigned_form_is_routed_by_its_version() {
    let cloud = TestCloud::start_with(|c| {
        c.auth = false;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await;
    let raw = Raw::post("/", &[("content-type", FORM)], form("ListDashboards", &[]));
    let (status, _, body) = raw.send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let doc = Elem::parse(&body);
    assert_eq!(doc.name, "ListDashboardsResponse");
    assert_eq!(doc.at(&["ListDashboardsResult", "DashboardEntries"]).children.len(), 0);
}

#[tokio::test]
async fn a_get_request_carries_its_form_in_the_query_string() {
    let cloud = TestCloud::start_virtual().await;
    let form = String::from_utf8(form("ListMetrics", &[p("Namespace", "App")])).expect("ASCII");
    let raw = Raw { method: "GET", path: format!("/?{form}"), headers: Vec::new(), body: Vec::new() };
    let raw = cloud.sign(raw, "monitoring");
    let (status, _, body) = raw.send(cloud.url()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let doc = Elem::parse(&body);
    assert_eq!(doc.name, "ListMetricsResponse");
    assert_eq!(doc.at(&["ListMetricsResult", "Metrics"]).children.len(), 0);
}
