//! The large-input cases: what each sends and what it must get back. `large_inputs` signs,
//! sends and judges them.

use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;
/// CloudWatch's body limit in the local cloud (2 MiB); cases stay just under it.
const CLOUDWATCH_BODY: usize = 2 * MIB;
/// STS's body limit in the local cloud (64 KiB).
const STS_BODY: usize = 64 * 1024;

/// What a case must get back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// A 4xx with the protocol's error shape: the input breaks a documented limit.
    ClientError,
    /// Anything but a 5xx (AWS itself answers some of these with data).
    NoServerError,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wire {
    Kinesis,
    CloudWatchJson,
    CloudWatchCbor,
    Sts,
}

pub struct Case {
    pub name: String,
    pub wire: Wire,
    pub operation: &'static str,
    pub body: Vec<u8>,
    pub expect: Expect,
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn case(name: impl Into<String>, wire: Wire, operation: &'static str, doc: &Value, expect: Expect) -> Case {
    let body = match wire {
        Wire::CloudWatchCbor => {
            let mut out = Vec::new();
            ciborium::into_writer(doc, &mut out).expect("JSON values encode as CBOR");
            out
        }
        _ => doc.to_string().into_bytes(),
    };
    Case { name: name.into(), wire, operation, body, expect }
}

fn raw_case(name: impl Into<String>, wire: Wire, operation: &'static str, body: Vec<u8>) -> Case {
    Case { name: name.into(), wire, operation, body, expect: Expect::ClientError }
}

/// `depth` nested arrays around `inner`, as JSON text.
fn deep_json(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
}

/// `depth` nested one-element CBOR arrays around a zero, under a map key: `{"MetricDataQueries": [[[…0…]]]}`.
fn deep_cbor(depth: usize) -> Vec<u8> {
    let mut out = vec![0xA1, 0x71];
    out.extend_from_slice(b"MetricDataQueries");
    out.extend(std::iter::repeat_n(0x81u8, depth));
    out.push(0x00);
    out
}

/// A metric-math query of one expression, as GetMetricData takes it.
fn expression_query(expression: &str) -> Value {
    json!({
        "MetricDataQueries": [
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords"}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
            {"Id": "e1", "Expression": expression}
        ],
        "StartTime": 1_700_000_000, "EndTime": 1_700_003_600
    })
}

/// The Kinesis operations and their string members, each filled with 1 MiB (the body limit is 16 MiB).
fn kinesis_long_strings() -> Vec<Case> {
    let m = long(MIB);
    let docs: [(&'static str, Value); 12] = [
        ("CreateStream", json!({"StreamName": m, "ShardCount": 1})),
        (
            "PutRecord",
            json!({"StreamName": m, "PartitionKey": m, "ExplicitHashKey": m, "Data": "A".repeat(MIB), "SequenceNumberForOrdering": m}),
        ),
        (
            "PutRecords",
            json!({"StreamName": "s", "Records": [{"Data": "A".repeat(MIB), "PartitionKey": m, "ExplicitHashKey": m}]}),
        ),
        (
            "GetShardIterator",
            json!({"StreamName": "s", "ShardId": m, "ShardIteratorType": m, "StartingSequenceNumber": m}),
        ),
        ("GetRecords", json!({"ShardIterator": m})),
        ("ListShards", json!({"StreamName": m, "NextToken": m, "ExclusiveStartShardId": m})),
        ("DescribeStream", json!({"StreamName": "s", "ExclusiveStartShardId": m})),
        ("SplitShard", json!({"StreamName": "s", "ShardToSplit": m, "NewStartingHashKey": "9".repeat(MIB)})),
        ("MergeShards", json!({"StreamName": "s", "ShardToMerge": m, "AdjacentShardToMerge": m})),
        ("AddTagsToStream", json!({"StreamName": "s", "Tags": {m.clone(): m}})),
        ("RegisterStreamConsumer", json!({"StreamARN": m, "ConsumerName": m})),
        ("UpdateStreamMode", json!({"StreamARN": m, "StreamModeDetails": {"StreamMode": m}})),
    ];
    docs.iter()
        .map(|(op, doc)| {
            case(format!("{op}: 1 MiB in every string member"), Wire::Kinesis, op, doc, Expect::ClientError)
        })
        .collect()
}

/// Every string member CloudWatch reads, one at a time at 1 MiB (the body limit is 2 MiB),
/// alternating awsJson and CBOR.
fn cloudwatch_long_strings() -> Vec<Case> {
    type Build = fn(&str) -> Value;
    let members: [(&'static str, &str, Build); 24] = [
        ("PutMetricData", "Namespace", |m| json!({"Namespace": m, "MetricData": [{"MetricName": "a", "Value": 1}]})),
        ("PutMetricData", "MetricName", |m| json!({"Namespace": "n", "MetricData": [{"MetricName": m, "Value": 1}]})),
        (
            "PutMetricData",
            "Dimensions",
            |m| json!({"Namespace": "n", "MetricData": [{"MetricName": "a", "Value": 1, "Dimensions": [{"Name": m, "Value": m}]}]}),
        ),
        (
            "PutMetricData",
            "Unit",
            |m| json!({"Namespace": "n", "MetricData": [{"MetricName": "a", "Value": 1, "Unit": m}]}),
        ),
        (
            "GetMetricData",
            "Id",
            |m| json!({"MetricDataQueries": [{"Id": m, "Expression": "1"}], "StartTime": 0, "EndTime": 60}),
        ),
        (
            "GetMetricData",
            "Label",
            |m| json!({"MetricDataQueries": [{"Id": "e1", "Expression": "1", "Label": m}], "StartTime": 0, "EndTime": 60}),
        ),
        (
            "GetMetricData",
            "Stat",
            |m| json!({"MetricDataQueries": [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "a"}, "Period": 60, "Stat": m}}], "StartTime": 0, "EndTime": 60}),
        ),
        (
            "GetMetricData",
            "NextToken",
            |m| json!({"MetricDataQueries": [{"Id": "e1", "Expression": "1"}], "StartTime": 0, "EndTime": 60, "NextToken": m}),
        ),
        (
            "GetMetricStatistics",
            "Namespace",
            |m| json!({"Namespace": m, "MetricName": "a", "StartTime": 0, "EndTime": 60, "Period": 60, "Statistics": ["Sum"]}),
        ),
        (
            "GetMetricStatistics",
            "ExtendedStatistics",
            |m| json!({"Namespace": "n", "MetricName": "a", "StartTime": 0, "EndTime": 60, "Period": 60, "ExtendedStatistics": [m]}),
        ),
        ("ListMetrics", "MetricName", |m| json!({"Namespace": "n", "MetricName": m})),
        ("ListMetrics", "NextToken", |m| json!({"NextToken": m})),
        ("PutMetricAlarm", "AlarmName", |m| alarm(m, "Sum", "GreaterThanThreshold")),
        ("PutMetricAlarm", "AlarmDescription", |m| {
            let mut a = alarm("a", "Sum", "GreaterThanThreshold");
            a["AlarmDescription"] = m.into();
            a
        }),
        ("PutMetricAlarm", "ExtendedStatistic", |m| {
            let mut a = alarm("a", "Sum", "GreaterThanThreshold");
            a.as_object_mut().map(|o| o.remove("Statistic"));
            a["ExtendedStatistic"] = m.into();
            a
        }),
        ("PutMetricAlarm", "ComparisonOperator", |m| alarm("a", "Sum", m)),
        ("DescribeAlarms", "AlarmNamePrefix", |m| json!({"AlarmNamePrefix": m})),
        ("DescribeAlarms", "AlarmNames", |m| json!({"AlarmNames": [m]})),
        ("SetAlarmState", "StateReason", |m| json!({"AlarmName": "a", "StateValue": "OK", "StateReason": m})),
        ("SetAlarmState", "StateValue", |m| json!({"AlarmName": "a", "StateValue": m, "StateReason": "r"})),
        ("PutDashboard", "DashboardName", |m| json!({"DashboardName": m, "DashboardBody": "{\"widgets\":[]}"})),
        ("PutDashboard", "DashboardBody", |m| json!({"DashboardName": "d", "DashboardBody": m})),
        ("GetDashboard", "DashboardName", |m| json!({"DashboardName": m})),
        ("DescribeAlarmHistory", "AlarmName", |m| json!({"AlarmName": m})),
    ];
    let m = long(MIB);
    members
        .iter()
        .enumerate()
        .map(|(i, (op, member, build))| {
            let wire = if i % 2 == 0 { Wire::CloudWatchJson } else { Wire::CloudWatchCbor };
            let expect =
                if LAX_FILTERS.contains(&(*op, *member)) { Expect::NoServerError } else { Expect::ClientError };
            case(format!("{op}: 1 MiB {member} ({wire:?})"), wire, op, &build(&m), expect)
        })
        .collect()
}

/// Members that only filter what is read: the model bounds the names at 255 characters (a label
/// has no bound), but the local cloud answers an empty page for a name nothing has. No crash, no
/// growth; the bound itself belongs to CloudWatch's own validation tests.
const LAX_FILTERS: &[(&str, &str)] = &[
    ("GetMetricData", "Label"),
    ("GetMetricStatistics", "Namespace"),
    ("ListMetrics", "MetricName"),
    ("DescribeAlarms", "AlarmNamePrefix"),
    ("DescribeAlarms", "AlarmNames"),
    ("DescribeAlarmHistory", "AlarmName"),
];

fn alarm(name: &str, statistic: &str, operator: &str) -> Value {
    json!({
        "AlarmName": name, "Namespace": "n", "MetricName": "a", "Statistic": statistic, "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": operator
    })
}

/// Metric math through every door that takes an expression: deep parentheses, and 2 MiB of text.
fn math_cases() -> Vec<Case> {
    let deep = format!("{}m1{}", "(".repeat(100_000), ")".repeat(100_000));
    // As long as the body limit allows, once the query around it is counted.
    let room = CLOUDWATCH_BODY - 1024;
    let open_only = "(".repeat(room);
    let flat = "m1+".repeat(room / 3) + "m1";
    let search = format!("SEARCH('{}', 'Sum', 60)", "(".repeat(100_000));
    let mut cases = vec![];
    for (what, expression) in
        [("100,000 nested parentheses", &deep), ("2 MiB of '('", &open_only), ("2 MiB of m1+m1+…", &flat)]
    {
        let doc = expression_query(expression);
        cases.push(case(
            format!("GetMetricData: {what}"),
            Wire::CloudWatchJson,
            "GetMetricData",
            &doc,
            Expect::ClientError,
        ));
    }
    let doc = expression_query(&deep);
    cases.push(case(
        "GetMetricData: 100,000 nested parentheses (CBOR)",
        Wire::CloudWatchCbor,
        "GetMetricData",
        &doc,
        Expect::ClientError,
    ));
    let doc = expression_query(&search);
    cases.push(case(
        "GetMetricData: SEARCH of 100,000 '('",
        Wire::CloudWatchJson,
        "GetMetricData",
        &doc,
        Expect::ClientError,
    ));
    let doc = json!({
        "AlarmName": "deep", "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "a"}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
            {"Id": "e1", "Expression": deep, "ReturnData": true}
        ]
    });
    cases.push(case(
        "PutMetricAlarm: 100,000 nested parentheses",
        Wire::CloudWatchJson,
        "PutMetricAlarm",
        &doc,
        Expect::ClientError,
    ));
    let body = json!({"widgets": [{"type": "metric", "properties": {"metrics": [[{"expression": deep, "id": "e1"}]], "region": "us-east-1"}}]});
    let doc = json!({"DashboardName": "deep", "DashboardBody": body.to_string()});
    // PutDashboard may store a widget whose expression it does not evaluate; it must not fall over.
    cases.push(case(
        "PutDashboard: a widget of 100,000 nested parentheses",
        Wire::CloudWatchJson,
        "PutDashboard",
        &doc,
        Expect::NoServerError,
    ));
    cases
}

/// 100,000-deep documents in each encoding and in a dashboard body.
fn nesting_cases() -> Vec<Case> {
    let deep = deep_json(100_000, "0");
    let unclosed = "[".repeat(100_000);
    let dashboard = json!({"DashboardName": "d", "DashboardBody": deep_json(100_000, "{}")});
    vec![
        raw_case(
            "PutRecord: 100,000 nested JSON arrays",
            Wire::Kinesis,
            "PutRecord",
            format!("{{\"StreamName\":{deep}}}").into_bytes(),
        ),
        raw_case("PutRecords: 100,000 unclosed '['", Wire::Kinesis, "PutRecords", unclosed.clone().into_bytes()),
        raw_case("GetMetricData: 100,000 nested JSON arrays", Wire::CloudWatchJson, "GetMetricData", deep.into_bytes()),
        raw_case("GetMetricData: 100,000 unclosed '['", Wire::CloudWatchJson, "GetMetricData", unclosed.into_bytes()),
        raw_case(
            "GetMetricData: 100,000 nested CBOR arrays",
            Wire::CloudWatchCbor,
            "GetMetricData",
            deep_cbor(100_000),
        ),
        case(
            "PutDashboard: a body of 100,000 nested arrays",
            Wire::CloudWatchJson,
            "PutDashboard",
            &dashboard,
            Expect::ClientError,
        ),
    ]
}

/// List members far past their quotas, and counts far past their ranges.
fn count_cases() -> Vec<Case> {
    let records: Vec<Value> = (0..100_000).map(|_| json!({"Data": "", "PartitionKey": "a"})).collect();
    let tags: serde_json::Map<String, Value> = (0..100_000).map(|i| (format!("k{i}"), Value::from("v"))).collect();
    // Two lists of 450,000 ones: 1.8 MB, inside the 2 MiB body limit.
    let ones = vec![1; 450_000];
    let data: Vec<Value> = (0..50_000).map(|_| json!({"MetricName": "a", "Value": 1})).collect();
    let dims: Vec<Value> = (0..40_000).map(|i| json!({"Name": format!("d{i}"), "Value": "v"})).collect();
    let queries: Vec<Value> = (0..40_000).map(|i| json!({"Id": format!("e{i}"), "Expression": "1"})).collect();
    let names: Vec<Value> = (0..200_000).map(|_| Value::from("a")).collect();
    let big = i64::MAX;
    let kinesis = [
        ("PutRecords", "100,000 records", json!({"StreamName": "s", "Records": records})),
        ("AddTagsToStream", "100,000 tags", json!({"StreamName": "s", "Tags": tags})),
        ("CreateStream", "ShardCount i64::MAX", json!({"StreamName": "big", "ShardCount": big})),
        ("CreateStream", "ShardCount 1,000,000,000", json!({"StreamName": "big", "ShardCount": 1_000_000_000})),
        (
            "UpdateShardCount",
            "TargetShardCount 1,000,000,000",
            json!({"StreamName": "s", "TargetShardCount": 1_000_000_000, "ScalingType": "UNIFORM_SCALING"}),
        ),
        ("ListShards", "MaxResults i64::MAX", json!({"StreamName": "s", "MaxResults": big})),
        (
            "IncreaseStreamRetentionPeriod",
            "RetentionPeriodHours i64::MAX",
            json!({"StreamName": "s", "RetentionPeriodHours": big}),
        ),
    ];
    let cloudwatch = [
        (
            "PutMetricData",
            "450,000 values and counts",
            json!({"Namespace": "n", "MetricData": [{"MetricName": "a", "Values": ones.clone(), "Counts": ones}]}),
        ),
        ("PutMetricData", "50,000 data", json!({"Namespace": "n", "MetricData": data})),
        (
            "PutMetricData",
            "40,000 dimensions",
            json!({"Namespace": "n", "MetricData": [{"MetricName": "a", "Value": 1, "Dimensions": dims}]}),
        ),
        ("GetMetricData", "40,000 queries", json!({"MetricDataQueries": queries, "StartTime": 0, "EndTime": 60})),
        ("DescribeAlarms", "200,000 alarm names", json!({"AlarmNames": names})),
        ("PutMetricAlarm", "EvaluationPeriods 1,000,000,000", {
            let mut a = alarm("a", "Sum", "GreaterThanThreshold");
            a["EvaluationPeriods"] = 1_000_000_000.into();
            a["DatapointsToAlarm"] = 1_000_000_000.into();
            a
        }),
        (
            "GetMetricStatistics",
            "a century of 1-second periods",
            json!({"Namespace": "n", "MetricName": "a", "StartTime": 0, "EndTime": 3_155_760_000i64, "Period": 1, "Statistics": ["Sum"]}),
        ),
    ];
    let mut cases: Vec<Case> = kinesis
        .iter()
        .map(|(op, what, doc)| case(format!("{op}: {what}"), Wire::Kinesis, op, doc, Expect::ClientError))
        .collect();
    cases.extend(cloudwatch.iter().enumerate().map(|(i, (op, what, doc))| {
        let wire = if i % 2 == 0 { Wire::CloudWatchJson } else { Wire::CloudWatchCbor };
        case(format!("{op}: {what} ({wire:?})"), wire, op, doc, Expect::ClientError)
    }));
    // AWS answers these with data and a NextToken, or an empty page: what matters is no 5xx
    // and no attempt to lay out billions of points.
    let points = json!({
        "MetricDataQueries": [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "a"}, "Period": 1, "Stat": "Sum"}}],
        "StartTime": 0, "EndTime": 3_155_760_000i64, "MaxDatapoints": big
    });
    cases.push(case(
        "GetMetricData: a century of 1-second points",
        Wire::CloudWatchJson,
        "GetMetricData",
        &points,
        Expect::NoServerError,
    ));
    cases
}

/// awsQuery forms (STS): one deeply nested parameter name, thousands of list members, a long value.
fn query_cases() -> Vec<Case> {
    let prefix = "Action=GetCallerIdentity&Version=2011-06-15";
    let room = STS_BODY - prefix.len() - 64;
    let deep = format!("{prefix}&Tags{}=v", ".member.1".repeat(room / 9));
    let mut many = String::from(prefix);
    let mut n = 1;
    while many.len() + 32 < STS_BODY {
        many.push_str(&format!("&Tags.member.{n}.Key=k"));
        n += 1;
    }
    let long_value = format!("{prefix}&Policy={}", "x".repeat(room));
    let too_big = format!("{prefix}&Policy={}", "x".repeat(MIB));
    [
        ("a parameter nested 7,000 deep", deep, Expect::NoServerError),
        ("thousands of list members", many, Expect::NoServerError),
        ("a 64 KiB value", long_value, Expect::NoServerError),
        ("a 1 MiB body (past the limit)", too_big, Expect::ClientError),
    ]
    .into_iter()
    .map(|(what, body, expect)| Case {
        name: format!("GetCallerIdentity: {what}"),
        wire: Wire::Sts,
        operation: "GetCallerIdentity",
        body: body.into_bytes(),
        expect,
    })
    .collect()
}

pub fn all_cases() -> Vec<Case> {
    let mut cases = nesting_cases();
    cases.extend(math_cases());
    cases.extend(count_cases());
    cases.extend(query_cases());
    cases.extend(kinesis_long_strings());
    cases.extend(cloudwatch_long_strings());
    cases
}
