//! Pattern 4 end to end on the virtual clock: the `kds-kda-apigw` template deployed, its application
//! started, taxi trips from the producer's workload put on its stream. Exactly the sampled trips show
//! in the application's log, each once, with the fare the template's fare function gives (its formula
//! computed here, apart from the cloud's code); with the API refusing the job's key the job fails,
//! the dashboard's "Application Task-Related Failures" query finds it, and once the key works again
//! every sampled trip is enriched, none lost and none twice. `dashboard.rs` reads the stack's
//! dashboard while the job runs and once it is stopped.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinesis_console::control::logs_insights::query_text;
use kinesis_console::producer::workloads::Workload;
use kinesis_console::producer::workloads::taxi::Taxi;
use serde_json::Value;

use crate::templates::{create, param, physical_id, settle};
use crate::{Env, env, support};

mod dashboard;

const STACK: &str = "kds-kda-apigw";
const API_KEY: &str = "a-secret-key-of-24-chars";
/// The template's `SampleEveryNthTrip`.
const NTH: u64 = 20;
/// Seconds of the cloud clock a test may move before its condition must hold (two checkpoints and
/// then some).
const PATIENCE_S: u32 = 400;

/// What the test needs of the deployed stack.
struct Stack {
    app: String,
    stream: String,
    key_id: String,
    plan_id: String,
    log_group: String,
}

async fn deploy(e: &Env) -> Stack {
    let cf = aws_sdk_cloudformation::Client::new(&e.cloud.sdk_config().await);
    let params = [param("ApplicationCodeBucket", "code-bucket"), param("ApiKeyValue", API_KEY)];
    create(&cf, STACK, STACK, &params).await;
    assert_eq!(settle(e, &cf, STACK, 300).await, Some(StackStatus::CreateComplete));
    let id = |logical| physical_id(&cf, STACK, logical);
    Stack {
        app: id("Application").await,
        stream: id("DataStream").await,
        key_id: id("RideApiKey").await,
        plan_id: id("RideApiKeyUsagePlan").await,
        log_group: id("ApplicationLogGroup").await,
    }
}

/// The next `n` trips of the taxi workload put on the stream; their ids.
async fn put_trips(e: &Env, stack: &Stack, taxi: &mut Taxi, n: usize) -> Vec<u64> {
    let kinesis = aws_sdk_kinesis::Client::new(&e.cloud.sdk_config().await);
    let mut ids = Vec::new();
    let mut batch = Vec::new();
    for _ in 0..n {
        let r = taxi.next_record().expect("a trip");
        let trip: Value = serde_json::from_slice(&r.data).expect("a JSON trip");
        ids.push(trip["trip_id"].as_u64().expect("a trip id"));
        batch.push(
            PutRecordsRequestEntry::builder().partition_key(r.partition_key).data(Blob::new(r.data)).build().unwrap(),
        );
    }
    for chunk in batch.chunks(100) {
        let out = kinesis
            .put_records()
            .stream_name(&stack.stream)
            .set_records(Some(chunk.to_vec()))
            .send()
            .await
            .expect("PutRecords");
        assert_eq!(out.failed_record_count(), Some(0));
    }
    ids
}

/// The template's fare function, written out from the reference's description: r is the fractional
/// part of e·id, the base fare floor(91·r + 10), times a noise of 1 + 0.4·r − 0.2.
fn fare(id: u64) -> f64 {
    let x = std::f64::consts::E * id as f64;
    let r = x - x.floor();
    (r * 91.0 + 10.0).floor() * (1.0 + 0.4 * r - 0.2)
}

/// The enriched trips in the application's log: trip id → the fares logged for it.
async fn enriched(e: &Env, stack: &Stack) -> BTreeMap<u64, Vec<f64>> {
    let out = e
        .logs
        .get_log_events()
        .log_group_name(&stack.log_group)
        .log_stream_name(crate::STREAM)
        .start_from_head(true)
        .send()
        .await
        .expect("GetLogEvents");
    let mut trips: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for event in out.events() {
        let record: Value = serde_json::from_str(event.message().unwrap_or_default()).expect("a JSON record");
        let Ok(line) = serde_json::from_str::<Value>(record["message"].as_str().unwrap_or_default()) else { continue };
        if let (Some(id), Some(fare)) = (line["trip_id"].as_u64(), line["expected_fare"].as_f64()) {
            assert_eq!(record["messageType"], "INFO", "{record}");
            assert_eq!(line["ride_request_id"].as_u64(), Some(id), "{line}");
            trips.entry(id).or_default().push(fare);
        }
    }
    trips
}

/// Moves the clock a second at a time until `want` trips are in the log (at most [`PATIENCE_S`]),
/// then past one more checkpoint; the log's enriched trips.
async fn until_enriched(e: &Env, stack: &Stack, want: usize) -> BTreeMap<u64, Vec<f64>> {
    for _ in 0..PATIENCE_S {
        if enriched(e, stack).await.len() >= want {
            break;
        }
        e.advance(1).await;
    }
    for _ in 0..61 {
        e.advance(1).await;
    }
    enriched(e, stack).await
}

/// Every sampled id of `ids` enriched exactly once with its fare, and nothing else.
fn assert_exactly(logged: &BTreeMap<u64, Vec<f64>>, ids: &[u64]) {
    let mut want: Vec<u64> = ids.iter().copied().filter(|id| id % NTH == 0).collect();
    want.sort();
    assert!(!want.is_empty(), "the trips include sampled ones");
    assert_eq!(logged.keys().copied().collect::<Vec<_>>(), want, "exactly the 1-in-{NTH} trips");
    for (id, fares) in logged {
        assert_eq!(fares.len(), 1, "trip {id} logged once: {fares:?}");
        assert!((fares[0] - fare(*id)).abs() < 1e-9, "trip {id}: logged {} but the fare is {}", fares[0], fare(*id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_the_sampled_trips_are_logged_once_with_the_fare_the_api_gives() {
    let e = env().await;
    let stack = deploy(&e).await;
    e.start_running(&stack.app).await;
    let mut taxi = Taxi::new(7, 6480.0).expect("the taxi workload");
    let ids = put_trips(&e, &stack, &mut taxi, 400).await;
    let want = ids.iter().filter(|id| *id % NTH == 0).count();
    let logged = until_enriched(&e, &stack, want).await;
    assert_exactly(&logged, &ids);
    let records_in = crate::metrics::values(&e, &stack.app, "numRecordsInPerSecond", "Maximum").await;
    let records_out = crate::metrics::values(&e, &stack.app, "numRecordsOutPerSecond", "Maximum").await;
    assert!(records_in.iter().any(|v| *v > 0.0), "records in are published: {records_in:?}");
    assert!(records_out.iter().any(|v| *v > 0.0), "enriched trips are records out: {records_out:?}");
}

/// Runs the dashboard's "Application Task-Related Failures" query over the log group; its rows'
/// messages.
async fn task_failures(e: &Env, stack: &Stack) -> Vec<String> {
    let cw = aws_sdk_cloudwatch::Client::new(&e.cloud.sdk_config().await);
    let board = cw.get_dashboard().dashboard_name(format!("{STACK}-dashboard")).send().await.expect("GetDashboard");
    let body: Value = serde_json::from_str(board.dashboard_body().unwrap_or_default()).expect("a dashboard body");
    let widget = body["widgets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|w| w["properties"]["title"] == "Application Task-Related Failures")
        .expect("the dashboard has the widget");
    let query = widget["properties"]["query"].as_str().expect("a query");
    let now_s = e.cloud.cloud.ctx.clock.now_ms() / 1000;
    let id = e
        .logs
        .start_query()
        .log_group_name(&stack.log_group)
        .start_time(now_s - 3600)
        .end_time(now_s + 60)
        .query_string(query_text(query))
        .send()
        .await
        .expect("StartQuery")
        .query_id()
        .expect("a query id")
        .to_string();
    let out = support::eventually(Duration::from_secs(10), "the query to end", || {
        let logs = e.logs.clone();
        let id = id.clone();
        async move {
            let out = logs.get_query_results().query_id(id).send().await.expect("GetQueryResults");
            matches!(out.status(), Some(QueryStatus::Complete)).then_some(out)
        }
    })
    .await;
    out.results()
        .iter()
        .filter_map(|row| row.iter().find(|f| f.field() == Some("@message")).and_then(|f| f.value()))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_api_refusing_the_key_the_job_fails_and_after_it_works_again_no_trip_is_lost_or_twice() {
    let e = env().await;
    let stack = deploy(&e).await;
    e.start_running(&stack.app).await;
    let mut taxi = Taxi::new(11, 6480.0).expect("the taxi workload");
    let mut ids = put_trips(&e, &stack, &mut taxi, 200).await;
    let before = ids.iter().filter(|id| *id % NTH == 0).count();
    assert_exactly(&until_enriched(&e, &stack, before).await, &ids);

    // The key leaves its usage plan: API Gateway answers 403 Forbidden to every call.
    let gw = aws_sdk_apigateway::Client::new(&e.cloud.sdk_config().await);
    gw.delete_usage_plan_key().usage_plan_id(&stack.plan_id).key_id(&stack.key_id).send().await.expect("detach");
    ids.extend(put_trips(&e, &stack, &mut taxi, 200).await);
    let mut failures = Vec::new();
    for _ in 0..PATIENCE_S {
        e.advance(1).await;
        failures = task_failures(&e, &stack).await;
        if !failures.is_empty() {
            break;
        }
    }
    assert!(!failures.is_empty(), "the task-related failures query finds the job's failure");
    assert!(
        failures.iter().all(|m| m.contains(&stack.app) && m.contains("switched from RUNNING to FAILED")),
        "{failures:?}"
    );
    assert!(failures.iter().any(|m| m.contains("403")), "the failure carries its cause: {failures:?}");
    let during = enriched(&e, &stack).await;
    assert_eq!(during.len(), before, "nothing is enriched while the API refuses");

    gw.create_usage_plan_key()
        .usage_plan_id(&stack.plan_id)
        .key_id(&stack.key_id)
        .key_type("API_KEY")
        .send()
        .await
        .expect("attach again");
    let all = ids.iter().filter(|id| *id % NTH == 0).count();
    assert_exactly(&until_enriched(&e, &stack, all).await, &ids);
    let restarts = crate::metrics::values(&e, &stack.app, "numRestarts", "Maximum").await;
    assert!(restarts.iter().any(|n| *n >= 1.0), "the restarts are counted in numRestarts: {restarts:?}");
}

/// A job run by hand outside any application, against `endpoint`, reading the stream "trips" of
/// `e`'s cloud: the way to see a call's failure in the step that finds it.
async fn job_against(
    e: &Env,
    endpoint: &str,
    capacity: &str,
) -> Box<dyn kinesis_console::cloud::kinesisanalytics::jobs::Job> {
    use kinesis_console::cloud::kinesisanalytics::jobs::{self, JobEnv, StartFrom};
    let kinesis = aws_sdk_kinesis::Client::new(&e.cloud.sdk_config().await);
    kinesis.create_stream().stream_name("trips").shard_count(1).send().await.expect("CreateStream");
    e.cloud.until_stream_active("trips").await;
    let props = [
        ("InputStreamName", "trips"),
        ("RideApiEndpoint", endpoint),
        ("ApiKey", API_KEY),
        ("AsyncTimeoutSeconds", "30"),
        ("AsyncCapacity", capacity),
    ];
    let env = JobEnv {
        application: "by-hand".into(),
        application_arn: "arn:aws:kinesisanalytics:us-east-1:000000000000:application/by-hand".into(),
        version_id: 1,
        properties: BTreeMap::from([(
            "FlinkApplicationProperties".to_string(),
            props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        )]),
        logging: Vec::new(),
        ctx: e.cloud.cloud.ctx.clone(),
    };
    let mut job = jobs::lookup(Some("kds-kda-apigw/async-enrichment"), &env).expect("the built-in job");
    job.start(StartFrom::Fresh).expect("start");
    for id in 1..=100u64 {
        let trip = format!(r#"{{"trip_id":{id},"type":"trip"}}"#);
        kinesis
            .put_record()
            .stream_name("trips")
            .partition_key(id.to_string())
            .data(Blob::new(trip))
            .send()
            .await
            .unwrap();
    }
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_finds_no_server_fails_the_step_with_its_cause() {
    let e = env().await;
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut job = job_against(&e, &format!("http://127.0.0.1:{port}/prod/"), "20").await;
    let now = e.cloud.cloud.ctx.clock.now_ms() + 1_000;
    let err = support::eventually(Duration::from_secs(10), "the refused call to be seen", || {
        let found = job.step(now).err();
        async move { found }
    })
    .await;
    assert!(err.0.contains("ride_request_id 20") && err.0.contains(&format!("127.0.0.1:{port}")), "{}", err.0);
    assert!(err.0.to_lowercase().contains("connect"), "the cause is the connection: {}", err.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_capacity_wait_and_a_call_unanswered_past_the_timeout_fails_the_step() {
    let e = env().await;
    // A server that takes connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            held.push(tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut head = vec![0u8; 4096];
                let n = socket.read(&mut head).await.unwrap_or(0);
                let _ = tx.send(String::from_utf8_lossy(&head[..n]).into_owned());
                // Keeps the connection open, unanswered.
                let _ = socket.read(&mut head).await;
            }));
        }
    });
    let mut job = job_against(&e, &format!("http://127.0.0.1:{port}/prod/"), "3").await;
    let start = e.cloud.cloud.ctx.clock.now_ms() + 1_000;
    job.step(start).expect("the first step sends the calls");
    let mut asked = Vec::new();
    while asked.len() < 3 {
        let head = tokio::time::timeout(Duration::from_secs(10), accepted.recv()).await.expect("a call").unwrap();
        assert!(head.starts_with("GET /prod/predictFare?ride_request_id="), "{head}");
        let lower = head.to_lowercase();
        assert!(lower.contains(&format!("x-api-key: {API_KEY}")), "the key is sent: {head}");
        assert!(
            lower.contains("authorization: aws4-hmac-sha256") && lower.contains("/execute-api/aws4_request"),
            "{head}"
        );
        let id: u64 =
            head["GET /prod/predictFare?ride_request_id=".len()..].split(' ').next().unwrap().parse().unwrap();
        asked.push(id);
    }
    asked.sort();
    assert_eq!(asked, [20, 40, 60], "AsyncCapacity calls at once, the first sampled trips");
    job.step(start + 29_000).expect("within the timeout a call may take its time");
    let err = job.step(start + 30_000).expect_err("past the timeout the step fails");
    assert!(err.0.contains("TimeoutException") && err.0.contains("30 s"), "{}", err.0);
    assert!(accepted.try_recv().is_err(), "no call beyond the capacity was sent while three were in flight");
    assert_eq!(job.stats().records_in, 100);
}
