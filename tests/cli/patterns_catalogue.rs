//! The catalogue against its sources: every bundled template parses and round-trips (what the YAML
//! declares is what the catalogue shows), the parameter tables equal the reference's
//! (shared/reference/streaming-solution.md §2.1, §3.1, §4.1, §5.1) apart from DESIGN §4's changes,
//! and the alarms carry the reference's thresholds (§6).

use std::collections::BTreeMap;

use kinesis_console::patterns::alarms::{Alarm, AlarmMetric};
use kinesis_console::patterns::intrinsic::Values;
use kinesis_console::patterns::{Pattern, catalogue};
use serde_yaml::{Mapping, Value};

const IDS: [&str; 4] = ["apigw-kds-lambda", "kpl-kds-kda", "kds-kdf-s3", "kds-kda-apigw"];

fn pattern(id: &str) -> &'static Pattern {
    catalogue().expect("the bundled templates parse").find(id).expect("pattern exists")
}

fn yaml(p: &Pattern) -> Mapping {
    serde_yaml::from_str(p.template_text()).expect("template is YAML")
}

fn keys(m: &Mapping, section: &str) -> Vec<String> {
    m.get(section)
        .and_then(Value::as_mapping)
        .map(|s| s.keys().filter_map(|k| k.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[test]
fn the_catalogue_holds_the_four_patterns_in_order_with_their_files() {
    let c = catalogue().unwrap();
    let ids: Vec<&str> = c.patterns().iter().map(|p| p.id).collect();
    assert_eq!(ids, IDS);
    for (i, p) in c.patterns().iter().enumerate() {
        assert_eq!(p.number as usize, i + 1);
        let dir = env!("CARGO_MANIFEST_DIR");
        let on_disk = std::fs::read_to_string(format!("{dir}/templates/{}.yaml", p.id)).unwrap();
        assert_eq!(p.template_text(), on_disk, "{}: the embedded template is the file, byte for byte", p.id);
        let diagram = std::fs::read_to_string(format!("{dir}/assets/diagrams/{}.txt", p.id)).unwrap();
        assert_eq!(p.diagram, diagram);
        assert!(!p.title.is_empty() && !p.summary.is_empty());
    }
}

#[test]
fn every_template_round_trips_to_the_catalogue() {
    for id in IDS {
        let p = pattern(id);
        let y = yaml(p);
        let t = &p.template;

        let mut declared = keys(&y, "Parameters");
        let mut read: Vec<String> = t.parameters.iter().map(|p| p.name.clone()).collect();
        declared.sort();
        read.sort();
        assert_eq!(read, declared, "{id}: parameters");

        let outputs: Vec<String> = t.outputs.iter().map(|o| o.key.clone()).collect();
        assert_eq!(outputs, keys(&y, "Outputs"), "{id}: outputs");

        let resources = y.get("Resources").and_then(Value::as_mapping).unwrap();
        let of_type = |ty: &str| -> Vec<String> {
            resources
                .iter()
                .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
                .map(|(k, _)| k.as_str().unwrap().to_string())
                .collect()
        };
        let alarms: Vec<String> = t.alarms.iter().map(|a| a.logical_id.clone()).collect();
        assert_eq!(alarms, of_type("AWS::CloudWatch::Alarm"), "{id}: alarms");
        assert_eq!(t.resources.len(), resources.len(), "{id}: resources");
        let dashboards = of_type("AWS::CloudWatch::Dashboard");
        assert_eq!(dashboards.len(), 1, "{id}: one dashboard");
        assert_eq!(t.dashboard.as_ref().unwrap().logical_id, dashboards[0]);
    }
}

#[test]
fn parameter_groups_and_labels_follow_the_interface() {
    for id in IDS {
        let p = pattern(id);
        let y = yaml(p);
        let iface = &y["Metadata"]["AWS::CloudFormation::Interface"];
        let mut expected = Vec::new();
        for g in iface["ParameterGroups"].as_sequence().unwrap() {
            let label = g["Label"]["default"].as_str().unwrap();
            for name in g["Parameters"].as_sequence().unwrap() {
                let name = name.as_str().unwrap();
                let plabel = iface["ParameterLabels"][name]["default"].as_str().map(String::from);
                expected.push((name.to_string(), Some(label.to_string()), plabel));
            }
        }
        let read: Vec<_> =
            p.template.parameters.iter().map(|p| (p.name.clone(), p.group.clone(), p.label.clone())).collect();
        assert_eq!(read, expected, "{id}: parameters in the interface's order with group and label");
    }
}

/// One row of a reference parameter table: name, group, type, default, constraint, label.
struct Row {
    name: &'static str,
    group: &'static str,
    ty: &'static str,
    default: Option<&'static str>,
    range: Option<(f64, f64)>,
    allowed: &'static [&'static str],
    label: &'static str,
}

const KDS: &str = "Amazon Kinesis Data Streams configuration";
const KDA: &str = "Amazon Kinesis Data Analytics configuration";
const TF: &[&str] = &["true", "false"];

fn row(
    name: &'static str,
    group: &'static str,
    ty: &'static str,
    default: Option<&'static str>,
    range: Option<(f64, f64)>,
    allowed: &'static [&'static str],
    label: &'static str,
) -> Row {
    Row { name, group, ty, default, range, allowed, label }
}

fn stream_rows() -> Vec<Row> {
    vec![
        row("ShardCount", KDS, "Number", Some("2"), Some((1.0, 200.0)), &[], "Number of open shards"),
        row("RetentionHours", KDS, "Number", Some("24"), Some((24.0, 8760.0)), &[], "Data retention period (hours)"),
        row(
            "EnableEnhancedMonitoring",
            KDS,
            "String",
            Some("false"),
            None,
            TF,
            "Enable enhanced (shard-level) metrics",
        ),
    ]
}

/// §3.1 / §5.1 without the producer group (DESIGN §4: no EC2 producer host). The optional lists
/// default to empty: §1.5 notes CloudFormation passes `[""]` when they are left out.
fn flink_rows() -> Vec<Row> {
    let mut rows = stream_rows();
    rows.extend([
        row("LogLevel", KDA, "String", Some("INFO"), None, &["DEBUG", "ERROR", "INFO", "WARN"], "Monitoring log level"),
        row(
            "MetricsLevel",
            KDA,
            "String",
            Some("TASK"),
            None,
            &["APPLICATION", "OPERATOR", "PARALLELISM", "TASK"],
            "Monitoring metrics level",
        ),
        row("EnableSnapshots", KDA, "String", Some("true"), None, TF, "Enable service-triggered snapshots"),
        row("EnableAutoScaling", KDA, "String", Some("true"), None, TF, "Enable automatic scaling"),
        row(
            "ApplicationSubnetIds",
            KDA,
            "CommaDelimitedList",
            Some(""),
            None,
            &[],
            "(Optional) subnet ids for VPC connectivity; requires security groups too",
        ),
        row(
            "ApplicationSecurityGroupIds",
            KDA,
            "CommaDelimitedList",
            Some(""),
            None,
            &[],
            "(Optional) security group ids; requires subnets too",
        ),
    ]);
    rows
}

/// The reference's table for a pattern, and the parameters DESIGN §4 adds to it.
fn reference_parameters(id: &str) -> (Vec<Row>, &'static [&'static str]) {
    match id {
        "apigw-kds-lambda" => {
            let api = "Amazon API Gateway configuration";
            let lambda = "AWS Lambda consumer configuration";
            let mut rows = vec![
                row(
                    "ThrottlingRateLimit",
                    api,
                    "Number",
                    Some("100"),
                    Some((1.0, 10000.0)),
                    &[],
                    "Steady-state requests per second",
                ),
                row(
                    "ThrottlingBurstLimit",
                    api,
                    "Number",
                    Some("50"),
                    Some((0.0, 5000.0)),
                    &[],
                    "Burst requests per second",
                ),
            ];
            rows.extend(stream_rows());
            rows.extend([
                row(
                    "BatchSize",
                    lambda,
                    "Number",
                    Some("100"),
                    Some((1.0, 10000.0)),
                    &[],
                    "Largest number of records read from the stream at once",
                ),
                row(
                    "ParallelizationFactor",
                    lambda,
                    "Number",
                    Some("1"),
                    Some((1.0, 10.0)),
                    &[],
                    "Number of batches to process from each shard concurrently",
                ),
                row(
                    "MaxRetryAttempts",
                    lambda,
                    "Number",
                    Some("3"),
                    Some((1.0, 10000.0)),
                    &[],
                    "Max times to retry when the function returns an error",
                ),
            ]);
            (rows, &[])
        }
        "kds-kdf-s3" => {
            let kdf = "Amazon Kinesis Data Firehose configuration";
            let mut rows = stream_rows();
            rows.extend([
                row(
                    "BufferingSize",
                    kdf,
                    "Number",
                    Some("5"),
                    Some((1.0, 128.0)),
                    &[],
                    "Buffer size (MB) before delivery",
                ),
                row(
                    "BufferingInterval",
                    kdf,
                    "Number",
                    Some("300"),
                    Some((60.0, 900.0)),
                    &[],
                    "Buffer time (seconds) before delivery",
                ),
                row(
                    "CompressionFormat",
                    kdf,
                    "String",
                    Some("GZIP"),
                    None,
                    &["GZIP", "HADOOP_SNAPPY", "Snappy", "UNCOMPRESSED", "ZIP"],
                    "Compression format for delivered data in S3",
                ),
            ]);
            (rows, &[])
        }
        // DESIGN §4: the Flink code location is a parameter; pattern 4's API key is a NoEcho parameter.
        "kpl-kds-kda" => (flink_rows(), &["ApplicationCodeBucket", "ApplicationCodeKey"]),
        "kds-kda-apigw" => (flink_rows(), &["ApiKeyValue", "ApplicationCodeBucket", "ApplicationCodeKey"]),
        _ => unreachable!(),
    }
}

#[test]
fn parameters_equal_the_reference_tables_apart_from_design_changes() {
    for id in IDS {
        let t = &pattern(id).template;
        let (rows, added) = reference_parameters(id);
        for r in &rows {
            let p = t.parameter(r.name).unwrap_or_else(|| panic!("{id}: {} is missing", r.name));
            assert_eq!(p.group.as_deref(), Some(r.group), "{id}.{}: group", r.name);
            assert_eq!(p.type_name, r.ty, "{id}.{}: type", r.name);
            assert_eq!(p.default.as_deref(), r.default, "{id}.{}: default", r.name);
            assert_eq!((p.min_value.zip(p.max_value)), r.range, "{id}.{}: range", r.name);
            assert_eq!(p.allowed_values, r.allowed, "{id}.{}: allowed values", r.name);
            assert_eq!(p.label.as_deref(), Some(r.label), "{id}.{}: label", r.name);
        }
        let mut extra: Vec<&str> =
            t.parameters.iter().map(|p| p.name.as_str()).filter(|n| !rows.iter().any(|r| r.name == *n)).collect();
        extra.sort();
        assert_eq!(extra, added, "{id}: parameters beyond the reference's are exactly DESIGN §4's");
        // The reference's relative order survives within the interface order.
        let order: Vec<&str> =
            t.parameters.iter().map(|p| p.name.as_str()).filter(|n| rows.iter().any(|r| r.name == *n)).collect();
        let reference: Vec<&str> = rows.iter().map(|r| r.name).collect();
        assert_eq!(order, reference, "{id}: order");
    }
    let key = pattern("kds-kda-apigw").template.parameter("ApiKeyValue").unwrap();
    assert!(key.no_echo && key.required() && key.min_length == Some(20));
}

/// A row of the reference's alarm tables: metric, statistic, period, comparison, threshold, missing data.
type AlarmRow = (&'static str, &'static str, u32, &'static str, f64, &'static str);

const GE: &str = "GreaterThanOrEqualToThreshold";
const GT: &str = "GreaterThanThreshold";
const LE: &str = "LessThanOrEqualToThreshold";

/// §6.1 (also the first six of §6.3).
const KDS_ALARMS: [AlarmRow; 6] = [
    ("GetRecords.IteratorAgeMilliseconds", "Maximum", 60, GE, 60000.0, "breaching"),
    ("ReadProvisionedThroughputExceeded", "Average", 60, GE, 0.01, "breaching"),
    ("WriteProvisionedThroughputExceeded", "Average", 60, GE, 0.01, "breaching"),
    ("PutRecord.Success", "Average", 60, LE, 0.95, "notBreaching"),
    ("PutRecords.Success", "Average", 60, LE, 0.95, "notBreaching"),
    ("GetRecords.Success", "Average", 60, LE, 0.98, "breaching"),
];

/// §6.2: the GC alarm is on an expression over `oldGenerationGCTime` Maximum.
const KDA_ALARMS: [AlarmRow; 7] = [
    ("downtime", "Average", 60, GT, 0.0, "breaching"),
    ("numberOfFailedCheckpoints", "Average", 60, GT, 0.0, "breaching"),
    ("cpuUtilization", "Maximum", 60, GT, 80.0, "breaching"),
    ("heapMemoryUtilization", "Maximum", 60, GT, 90.0, "breaching"),
    ("oldGenerationGCTime", "Maximum", 60, GT, 60.0, "breaching"),
    ("numRecordsOutPerSecond", "Average", 60, LE, 0.0, "breaching"),
    ("millisBehindLatest", "Maximum", 60, GT, 60000.0, "breaching"),
];

fn reference_alarms(id: &str) -> Vec<AlarmRow> {
    match id {
        // DESIGN §4 adds the DLQ-depth alarm to pattern 1.
        "apigw-kds-lambda" => {
            let mut rows = KDS_ALARMS.to_vec();
            rows.push(("ApproximateNumberOfMessagesVisible", "Maximum", 60, GT, 0.0, "notBreaching"));
            rows
        }
        "kds-kdf-s3" => {
            let mut rows = KDS_ALARMS.to_vec();
            rows.push(("DeliveryToS3.DataFreshness", "Maximum", 300, GT, 900.0, "breaching"));
            rows
        }
        _ => KDA_ALARMS.to_vec(),
    }
}

fn alarm_row(a: &Alarm) -> (String, String, u32, String, f64, String) {
    let stats = a.metric_stats();
    assert_eq!(stats.len(), 1, "{}: one metric read", a.logical_id);
    (
        stats[0].metric_name.clone(),
        stats[0].stat.clone(),
        stats[0].period,
        a.comparison.clone(),
        a.threshold,
        a.treat_missing_data.clone().unwrap_or_default(),
    )
}

#[test]
fn alarms_match_the_reference_table() {
    for id in IDS {
        let t = &pattern(id).template;
        let read: Vec<_> = t.alarms.iter().map(alarm_row).collect();
        let expected: Vec<_> = reference_alarms(id)
            .into_iter()
            .map(|(m, s, p, c, th, md)| (m.to_string(), s.to_string(), p, c.to_string(), th, md.to_string()))
            .collect();
        assert_eq!(read, expected, "{id}: alarms");
        for a in &t.alarms {
            // §6: 1-of-1 evaluation, no actions.
            assert_eq!((a.evaluation_periods, a.datapoints_to_alarm.unwrap_or(1)), (1, 1), "{id}.{}", a.logical_id);
        }
    }
    let gc = pattern("kpl-kds-kda").template.alarms.iter().find(|a| a.logical_id == "GcPercentAlarm").unwrap();
    let AlarmMetric::Math { queries } = &gc.metric else { panic!("GcPercentAlarm is metric math") };
    assert!(queries.iter().any(|q| q.expression.as_deref() == Some("(m1 * 100)/60000")));
}

/// The names a deployment called `demo` in eu-west-1 would give the dashboard's references.
fn deployment_values(names: &[String]) -> Values {
    let mut v: Values = BTreeMap::new();
    for n in names {
        let value = match n.as_str() {
            "AWS::Region" => "eu-west-1".to_string(),
            "AWS::StackName" => "demo".to_string(),
            "AWS::AccountId" => "000000000000".to_string(),
            "AWS::Partition" => "aws".to_string(),
            other => match other.strip_suffix(".Arn") {
                Some(alarm) => format!("arn:aws:cloudwatch:eu-west-1:000000000000:alarm:demo-{alarm}"),
                None => format!("demo-{other}"),
            },
        };
        v.insert(n.clone(), value);
    }
    v
}

#[test]
fn dashboards_render_to_json_and_show_every_alarm() {
    for id in IDS {
        let t = &pattern(id).template;
        let d = t.dashboard.as_ref().unwrap();
        let names = d.names().unwrap();
        let body = d.render(&deployment_values(&names)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(!body.contains("${"), "{id}: every reference substituted");
        assert!(json["widgets"].as_array().is_some_and(|w| !w.is_empty()));
        for a in &t.alarms {
            let arn = format!("{}.Arn", a.logical_id);
            assert!(names.contains(&arn), "{id}: the dashboard shows {}", a.logical_id);
        }
        // Every name is a pseudo parameter, a local variable's input, a resource or a resource attribute.
        for n in &names {
            let resource = n.split('.').next().unwrap();
            assert!(
                n.starts_with("AWS::") || t.resources.iter().any(|r| r.logical_id == resource),
                "{id}: {n} names nothing in the template"
            );
        }
        assert_eq!(d.widgets().unwrap().len(), json["widgets"].as_array().unwrap().len());
        let missing = d.render(&Values::new()).unwrap_err().to_string();
        assert!(missing.starts_with("no value for"), "{missing}");
    }
}

#[test]
fn default_values_of_every_template_validate() {
    for id in IDS {
        let t = &pattern(id).template;
        let mut given = BTreeMap::new();
        for p in t.parameters.iter().filter(|p| p.required()) {
            let v = match p.name.as_str() {
                "ApplicationCodeBucket" => "my-code-bucket",
                "ApiKeyValue" => "abcdefghijklmnopqrstuvwxyz012345",
                other => panic!("{id}: no sample value for required {other}"),
            };
            given.insert(p.name.clone(), v.to_string());
        }
        let values =
            kinesis_console::patterns::validate(&t.parameters, &given).unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(values.len(), t.parameters.len());
    }
}

#[test]
fn the_validator_applies_each_rule_of_the_real_declarations() {
    use kinesis_console::patterns::{Rule, validate_pairs};
    let params = &pattern("kds-kda-apigw").template.parameters;
    let check = |pairs: &[(&str, &str)]| -> Vec<(String, Rule, String)> {
        let required = [("ApiKeyValue", "abcdefghijklmnopqrstuvwxyz"), ("ApplicationCodeBucket", "code-bucket")];
        let mut given: Vec<(String, String)> = required
            .iter()
            .filter(|(k, _)| !pairs.iter().any(|(n, _)| n == k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        given.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        match validate_pairs(params, &given) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| (p.parameter.clone(), p.rule, p.to_string())).collect(),
        }
    };
    let rules = |pairs: &[(&str, &str)]| check(pairs).into_iter().map(|(n, r, _)| (n, r)).collect::<Vec<_>>();
    let one = |n: &str, r: Rule| vec![(n.to_string(), r)];

    assert!(check(&[("ShardCount", "200"), ("RetentionHours", "8760"), ("LogLevel", "WARN")]).is_empty());
    assert_eq!(rules(&[("ShardCount", "201")]), one("ShardCount", Rule::MaxValue));
    assert_eq!(rules(&[("RetentionHours", "23")]), one("RetentionHours", Rule::MinValue));
    assert_eq!(rules(&[("ShardCount", "2x")]), one("ShardCount", Rule::Number));
    assert_eq!(rules(&[("LogLevel", "info")]), one("LogLevel", Rule::AllowedValues));
    assert_eq!(rules(&[("ApplicationCodeBucket", "Code_Bucket")]), one("ApplicationCodeBucket", Rule::AllowedPattern));
    // The pattern must match the whole value, as in CloudFormation.
    assert_eq!(rules(&[("ApplicationCodeBucket", "code-bucket-")]), one("ApplicationCodeBucket", Rule::AllowedPattern));
    assert_eq!(
        rules(&[("ApplicationCodeBucket", "ab")]),
        one("ApplicationCodeBucket", Rule::MinLength),
        "ab matches the pattern but is too short"
    );
    assert_eq!(rules(&[("ApplicationCodeKey", &"k".repeat(1025))]), one("ApplicationCodeKey", Rule::MaxLength));
    assert!(check(&[("ApplicationSubnetIds", "subnet-1,subnet-2"), ("ApplicationSecurityGroupIds", "")]).is_empty());
    assert_eq!(rules(&[("Region", "eu-west-1")]), one("Region", Rule::UnknownParameter));
    assert_eq!(rules(&[("ShardCount", "2"), ("ShardCount", "3")]), one("ShardCount", Rule::Duplicate));
    assert!(check(&[("ShardCount", "2"), ("ShardCount", "2")]).is_empty());

    let secret = check(&[("ApiKeyValue", "has spaces in it, twenty+")]);
    assert_eq!(secret.len(), 1);
    assert!(!secret[0].2.contains("spaces"), "NoEcho values stay out of messages: {}", secret[0].2);
    assert_eq!(
        secret[0].2,
        "ApiKeyValue: the value (hidden: NoEcho) does not match the pattern ^[A-Za-z0-9_-]+$ \
         (must be 20 to 128 letters, digits, hyphens or underscores)"
    );
    let missing = validate_pairs(params, &[]).unwrap_err();
    let missing: Vec<_> = missing.iter().map(|p| (p.parameter.as_str(), p.rule)).collect();
    assert_eq!(missing, [("ApiKeyValue", Rule::Required), ("ApplicationCodeBucket", Rule::Required)]);
}
