//! Logs Insights through aws-sdk-cloudwatchlogs: each command over a fixture of Managed Flink log
//! records, the pattern 2 and 4 dashboards' queries (read from the templates) through the console's
//! own client, and AWS's errors and lifecycle for StartQuery, GetQueryResults, StopQuery and
//! DescribeQueries.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use kinesis_console::control::dashboard::plan::TimeRange;
use kinesis_console::control::dashboard::{Dashboard, WidgetKind};
use kinesis_console::control::logs_insights::{self, LogResults};
use kinesis_console::patterns::catalogue::catalogue;

use super::*;

const GROUP: &str = "/aws/kinesis-analytics/demo-app";
const APP_ARN: &str = "arn:aws:kinesisanalytics:us-east-1:000000000000:application/demo-app";
const FIXTURE: &str = include_str!("../fixtures/logs/flink-application.tsv");

/// The fixture's records put into `GROUP`, timed from a base a minute before the cloud's now;
/// returns the base in milliseconds.
async fn seeded(cloud: &TestCloud, logs: &Client) -> i64 {
    let base = now(cloud) - 60_000;
    logs.create_log_group().log_group_name(GROUP).send().await.expect("CreateLogGroup");
    let mut by_stream: BTreeMap<&str, Vec<InputLogEvent>> = BTreeMap::new();
    for line in FIXTURE.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut cols = line.splitn(3, '\t');
        let (Some(at), Some(stream), Some(message)) = (cols.next(), cols.next(), cols.next()) else {
            panic!("a fixture line has three columns: {line}")
        };
        let at: i64 = at.parse().expect("seconds");
        by_stream.entry(stream).or_default().push(event(base + at * 1000, message));
    }
    for (stream, events) in by_stream {
        logs.create_log_stream().log_group_name(GROUP).log_stream_name(stream).send().await.expect("stream");
        put(logs, GROUP, stream, events).await;
    }
    base
}

/// Runs `query` over `[from_s, to_s]` and waits for it to end.
async fn run(logs: &Client, query: &str, from_s: i64, to_s: i64) -> GetQueryResultsOutput {
    let id = logs
        .start_query()
        .log_group_name(GROUP)
        .start_time(from_s)
        .end_time(to_s)
        .query_string(query)
        .send()
        .await
        .unwrap_or_else(|e| panic!("StartQuery {query}: {:?}", e.into_service_error()))
        .query_id()
        .expect("a query id")
        .to_string();
    support::eventually(Duration::from_secs(10), "the query to end", || {
        let logs = logs.clone();
        let id = id.clone();
        async move {
            let out = logs.get_query_results().query_id(id).send().await.expect("GetQueryResults");
            matches!(out.status(), Some(QueryStatus::Complete | QueryStatus::Failed | QueryStatus::Cancelled))
                .then_some(out)
        }
    })
    .await
}

/// Each row as `field=value` pairs, `@ptr` left out.
fn rows(out: &GetQueryResultsOutput) -> Vec<Vec<String>> {
    out.results()
        .iter()
        .map(|row| {
            row.iter()
                .filter(|f| f.field() != Some("@ptr"))
                .map(|f| format!("{}={}", f.field().unwrap_or("?"), f.value().unwrap_or("?")))
                .collect()
        })
        .collect()
}

fn column(out: &GetQueryResultsOutput, field: &str) -> Vec<String> {
    out.results()
        .iter()
        .filter_map(|row| row.iter().find(|f| f.field() == Some(field)).and_then(|f| f.value()).map(str::to_string))
        .collect()
}

#[tokio::test]
async fn each_command_runs_over_the_fixture_log() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    let base = seeded(&cloud, &logs).await;
    let (from, to) = (base / 1000, base / 1000 + 60);

    // fields, filter with like, JSON discovery, sort, limit; the statistics count what was read.
    let out = run(
        &logs,
        "fields @timestamp, messageType | filter message like 'Deploying' | sort @timestamp asc | limit 2",
        from,
        to,
    )
    .await;
    assert_eq!(out.status(), Some(&QueryStatus::Complete));
    assert_eq!(column(&out, "messageType"), ["INFO", "INFO"]);
    assert_eq!(column(&out, "@timestamp").len(), 2);
    assert!(
        out.results().iter().all(|r| r.last().and_then(|f| f.field()) == Some("@ptr")),
        "each event row ends with its @ptr"
    );
    let stats = out.statistics().expect("statistics");
    assert_eq!(stats.records_scanned(), 11.0, "the record an hour before the range is not read");
    assert_eq!(stats.records_matched(), 3.0);
    let bytes: usize =
        FIXTURE.lines().filter(|l| !l.starts_with('#')).skip(1).map(|l| l.splitn(3, '\t').nth(2).unwrap().len()).sum();
    assert_eq!(stats.bytes_scanned(), bytes as f64);

    // comparisons, and/or/not, in, parentheses and comments.
    let q = "# failures and access problems of this application\n\
             filter (messageType in ['WARN', 'ERROR'] and not (message like /RESTARTING/)) \
             and applicationARN = '{APP_ARN}' and applicationVersionId >= 3 and applicationVersionId != 4 \
             | sort @timestamp desc | display messageType";
    let out = run(&logs, &q.replace("{APP_ARN}", APP_ARN), from, to).await;
    assert_eq!(rows(&out), [["messageType=WARN"], ["messageType=ERROR"], ["messageType=WARN"]]);
    let out = run(
        &logs,
        "filter messageType < 'INFO' or messageType > 'INFO' and messageType <= 'WARN' | display messageType",
        from,
        to,
    )
    .await;
    assert_eq!(column(&out, "messageType"), ["WARN", "WARN", "ERROR", "WARN"], "newest first without a sort");

    // parse: a glob and a regex with named groups.
    let out = run(&logs, "parse message 'Deploying * (* (attempt' as task, subtask | filter ispresent(task) | sort @timestamp | display task, subtask", from, to).await;
    assert_eq!(column(&out, "subtask"), ["1/2)", "2/2)", "1/2)"]);
    assert_eq!(column(&out, "task")[2], "Window(SlidingEventTimeWindows(10000, 5000)) -> Sink: S3");
    let out = run(&logs, "parse message /parallelism\\.default, (?<p>\\d+)/ | filter ispresent(p) | stats sum(p) as total, max(p) as most, avg(p) as mean, min(p)", from, to).await;
    assert_eq!(rows(&out), [["total=6", "most=4", "mean=3", "min(p)=2"]]);

    // stats by a field and by bin(), count(f) against count(*).
    let out = run(&logs, "stats count(*) as n, count(threadName) by messageType | sort n desc", from, to).await;
    assert_eq!(
        rows(&out),
        [
            ["messageType=INFO", "n=7", "count(threadName)=7"],
            ["messageType=WARN", "n=3", "count(threadName)=3"],
            ["messageType=ERROR", "n=1", "count(threadName)=1"],
        ]
    );
    let out = run(&logs, "filter message like 'Deploying' | stats count(*) by bin(1h)", from, to).await;
    let counts: Vec<u32> = column(&out, "count(*)").iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u32>(), 3);
    assert!(column(&out, "bin(1h)").iter().all(|b| b.ends_with(":00:00.000")), "{:?}", rows(&out));
    assert!(out.results()[0].iter().all(|f| f.field() != Some("@ptr")), "stats rows are not events");

    // the other system fields.
    let out = run(&logs, "fields @logStream, @log, @ingestionTime | limit 1", from, to).await;
    let row = &rows(&out)[0];
    assert_eq!(row[0], "@logStream=kinesis-analytics-log-stream");
    assert!(row[1].starts_with("@log=") && row[1].ends_with(&format!(":{GROUP}")), "{row:?}");
    assert_eq!(row[2].len(), "@ingestionTime=2024-01-31 12:00:00.000".len(), "{row:?}");
}

/// The pattern's dashboard body with its names filled in for application `demo-app`.
fn dashboard(pattern: &str) -> Dashboard {
    let p = catalogue().expect("the catalogue").find(pattern).expect("the pattern");
    let d = p.template.dashboard.as_ref().expect("a dashboard");
    let values: BTreeMap<String, String> = d
        .names()
        .expect("names")
        .into_iter()
        .map(|n| {
            let v = match n.as_str() {
                "AWS::Region" => "us-east-1".to_string(),
                "AWS::AccountId" => "000000000000".to_string(),
                "AWS::Partition" => "aws".to_string(),
                "AWS::StackName" => "demo".to_string(),
                "Application" => "demo-app".to_string(),
                "ApplicationLogGroup" => GROUP.to_string(),
                other => format!("demo-{other}"),
            };
            (n, v)
        })
        .collect();
    Dashboard::parse(&d.render(&values).expect("the body renders")).expect("the body parses")
}

#[tokio::test]
async fn the_pattern_dashboards_log_widgets_find_the_flink_records_through_the_console_client() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    let base = seeded(&cloud, &logs).await;
    let range = TimeRange { start_ms: base, end_ms: base + 60_000 };
    for pattern in ["kpl-kds-kda", "kds-kda-apigw"] {
        let d = dashboard(pattern);
        let titles: BTreeMap<usize, String> = d
            .widgets
            .iter()
            .enumerate()
            .filter_map(|(i, w)| match &w.kind {
                WidgetKind::Log(l) => Some((i, l.title.clone().unwrap_or_default())),
                _ => None,
            })
            .collect();
        assert_eq!(titles.len(), 5, "{pattern}: five log widgets");
        let answers = logs_insights::dashboard(&logs, &d, range, Duration::from_secs(10)).await;
        let by_title: BTreeMap<&str, LogResults> = answers
            .into_iter()
            .map(|(i, r)| (titles[&i].as_str(), r.unwrap_or_else(|e| panic!("{pattern}: {}: {e}", titles[&i]))))
            .collect();

        let tasks = &by_title["Distribution of Tasks"];
        assert_eq!(tasks.columns, ["taskManager", "NumberOfTasksBeingDeployed"], "{pattern}");
        let mut counts = tasks.rows.clone();
        counts.sort();
        assert_eq!(counts, [["0", "2"], ["1", "1"]], "{pattern}: two tasks to taskmanager 0, one to 1");

        // The glob runs over the raw JSON record: its trailing * takes the rest of it.
        let parallelism = &by_title["Change in Parallelism"];
        assert_eq!(parallelism.columns, ["@timestamp", "@message", "parallelism"], "{pattern}");
        let values: Vec<&str> = parallelism.rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(values.len(), 2, "{pattern}");
        assert!(values[0].starts_with("2\",") && values[1].starts_with("4\","), "{pattern}: oldest first: {values:?}");

        for (title, needle, expected) in [
            ("Access Denied", "AccessDenied", 1),
            ("Source or Sink Not Found", "ResourceNotFoundException", 1),
            ("Application Task-Related Failures", "switched from RUNNING to FAILED", 2),
        ] {
            let r = &by_title[title];
            assert_eq!(r.columns, ["@timestamp", "@message"], "{pattern}: {title}: @messageType is in no record");
            assert_eq!(r.rows.len(), expected, "{pattern}: {title}: only demo-app's records in range: {:?}", r.rows);
            assert!(r.rows.iter().all(|row| row[1].contains(needle) && row[1].contains(APP_ARN)), "{pattern}: {title}");
            let times: Vec<&str> = r.rows.iter().map(|row| row[0].as_str()).collect();
            assert!(times.windows(2).all(|w| w[0] >= w[1]), "{pattern}: {title}: newest first: {times:?}");
        }
    }
}

#[tokio::test]
async fn bad_queries_and_requests_get_aws_errors() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    seeded(&cloud, &logs).await;
    let start = |q: &str| logs.start_query().log_group_name(GROUP).start_time(0).end_time(10).query_string(q).send();

    let e = start("fields @message\n| filter @message likes 'x'").await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "MalformedQueryException");
    assert!(e.is_malformed_query_exception());
    assert_eq!(
        message(&e),
        "Query is malformed at line 2, column 19 (characters 34-39): unexpected text after the command; a pipe (|) separates commands"
    );
    for bad in [
        "",
        "stats count(*) by",
        "filter a in [1, 2",
        "parse @message 'a*b*' as x",
        "sort",
        "frobnicate",
        "limit 20000",
    ] {
        let e = start(bad).await.unwrap_err().into_service_error();
        assert_eq!(code(&e), "MalformedQueryException", "{bad:?}: {}", message(&e));
    }

    let e = logs.start_query().log_group_name("/nope").start_time(0).end_time(10).query_string("fields a").send().await;
    let e = e.unwrap_err().into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert!(message(&e).contains("/nope"), "{}", message(&e));

    let invalid = [
        logs.start_query()
            .log_group_name(GROUP)
            .log_group_names(GROUP)
            .start_time(0)
            .end_time(1)
            .query_string("fields a"),
        logs.start_query().log_group_name(GROUP).start_time(10).end_time(5).query_string("fields a"),
        logs.start_query().log_group_name(GROUP).start_time(0).end_time(5).limit(100_001).query_string("fields a"),
        logs.start_query().log_group_name(GROUP).start_time(0).end_time(5).query_string("a".repeat(10_001)),
    ];
    for request in invalid {
        let e = request.send().await.unwrap_err().into_service_error();
        assert_eq!(code(&e), "InvalidParameterException", "{}", message(&e));
    }

    let e = logs.get_query_results().query_id("no-such-query").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let e = logs.stop_query().query_id("no-such-query").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let e = logs.describe_queries().max_results(0).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "InvalidParameterException");
}

#[tokio::test]
async fn queries_are_described_stopped_and_kept_seven_days() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    let base = seeded(&cloud, &logs).await;
    logs.create_log_group().log_group_name("/other").send().await.unwrap();
    let done = run(&logs, "stats count(*)", base / 1000, base / 1000 + 60).await;
    assert_eq!(column(&done, "count(*)"), ["11"]);
    let other =
        logs.start_query().log_group_name("/other").start_time(0).end_time(1).query_string("fields a").send().await;
    let other_id = other.unwrap().query_id().unwrap().to_string();

    let all = logs.describe_queries().send().await.unwrap();
    assert_eq!(all.queries().len(), 2);
    assert_eq!(all.queries()[0].query_id(), Some(other_id.as_str()), "newest first");
    let mine = logs.describe_queries().log_group_name(GROUP).status(QueryStatus::Complete).send().await.unwrap();
    assert_eq!(mine.queries().len(), 1);
    let q = &mine.queries()[0];
    assert_eq!((q.query_string(), q.log_group_name()), (Some("stats count(*)"), Some(GROUP)));
    assert!(q.create_time().is_some());
    let paged = logs.describe_queries().max_results(1).send().await.unwrap();
    assert_eq!(paged.queries().len(), 1);
    let rest = logs.describe_queries().max_results(1).next_token(paged.next_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.queries()[0].query_id(), mine.queries()[0].query_id());

    let finished = mine.queries()[0].query_id().unwrap();
    let stopped = logs.stop_query().query_id(finished).send().await.unwrap();
    assert!(!stopped.success(), "a query that has ended cannot be stopped");

    cloud.advance(Duration::from_secs(7 * 24 * 3600 - 60));
    let kept = logs.get_query_results().query_id(finished).send().await.unwrap();
    assert_eq!(column(&kept, "count(*)"), ["11"]);
    cloud.advance(Duration::from_secs(120));
    let e = logs.get_query_results().query_id(finished).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert!(logs.describe_queries().send().await.unwrap().queries().is_empty());
}
