//! The local Lambda through aws-sdk-lambda on the virtual clock: the control plane and its errors,
//! the code link, the built-in handlers and their logs, and Kinesis event source mappings fed through
//! aws-sdk-kinesis, with failure records read back from the local SQS queue the mappings name as their destination.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod invoke;
mod mapping;

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use kinesis_console::cloud::CloudConfig;
use kinesis_console::cloud::clock::ClockMode;
use support::TestCloud;

pub const ROLE: &str = "arn:aws:iam::000000000000:role/consumer";
pub const CONSUMER: &str = "apigw-kds-lambda/consumer";
pub const FARE: &str = "kds-kda-apigw/predict-fare";

pub struct Env {
    pub cloud: TestCloud,
    pub lambda: aws_sdk_lambda::Client,
    pub kinesis: aws_sdk_kinesis::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cw: aws_sdk_cloudwatch::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// The failure records read from the `dlq` queue so far (a read keeps them invisible).
    received: Mutex<Vec<serde_json::Value>>,
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(configure: impl FnOnce(&mut CloudConfig)) -> Env {
    let cloud = TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        configure(c);
    })
    .await;
    clients(cloud).await
}

pub async fn clients(cloud: TestCloud) -> Env {
    let conf = cloud.sdk_config().await;
    let no_retry = aws_sdk_lambda::config::retry::RetryConfig::disabled();
    let lambda =
        aws_sdk_lambda::Client::from_conf(aws_sdk_lambda::config::Builder::from(&conf).retry_config(no_retry).build());
    let sqs = aws_sdk_sqs::Client::new(&conf);
    // The mappings' on-failure destination, `arn:aws:sqs:us-east-1:000000000000:dlq` (idempotent after a restart).
    sqs.create_queue().queue_name("dlq").send().await.expect("CreateQueue dlq");
    Env {
        lambda,
        kinesis: aws_sdk_kinesis::Client::new(&conf),
        logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
        cw: aws_sdk_cloudwatch::Client::new(&conf),
        sqs,
        received: Mutex::new(Vec::new()),
        cloud,
    }
}

/// A deployment package holding `index.py`.
pub fn zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("index.py", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"def handler(event, context):\n    return event\n").unwrap();
    w.finish().unwrap().into_inner()
}

impl Env {
    /// Every failure record the local SQS holds in `dlq`, in the order they were read.
    pub async fn dlq_bodies(&self) -> Vec<serde_json::Value> {
        let url = self.sqs.get_queue_url().queue_name("dlq").send().await.expect("GetQueueUrl dlq");
        let url = url.queue_url().expect("a queue URL").to_string();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(43_200)
                .send()
                .await
                .expect("ReceiveMessage dlq");
            if out.messages().is_empty() {
                break;
            }
            let mut received = self.received.lock().unwrap();
            for m in out.messages() {
                received.push(serde_json::from_str(m.body().unwrap_or_default()).expect("a JSON failure record"));
            }
        }
        self.received.lock().unwrap().clone()
    }

    pub async fn seconds(&self, secs: u64) {
        for _ in 0..secs {
            self.cloud.advance_settled(Duration::from_secs(1)).await;
        }
    }

    pub async fn restart(self) -> Env {
        clients(self.cloud.restart().await).await
    }

    /// Creates a function running `builtin` (none: no tag) and waits until it is Active.
    pub async fn function(&self, name: &str, builtin: Option<&str>) -> String {
        let mut create = self
            .lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python313)
            .handler("index.handler")
            .role(ROLE)
            .code(FunctionCode::builder().zip_file(Blob::new(zip())).build());
        if let Some(b) = builtin {
            create = create.tags("kinesis-console:builtin", b);
        }
        let created = create.send().await.expect("CreateFunction");
        self.seconds(1).await;
        created.function_arn().unwrap().to_string()
    }

    pub async fn stream(&self, name: &str, shards: i32) -> String {
        self.kinesis.create_stream().stream_name(name).shard_count(shards).send().await.expect("CreateStream");
        self.seconds(1).await;
        let d = self.kinesis.describe_stream_summary().stream_name(name).send().await.expect("DescribeStreamSummary");
        d.stream_description_summary().unwrap().stream_arn().to_string()
    }

    /// Every log message of `group`, in time order.
    pub async fn log_messages(&self, group: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self.logs.filter_log_events().log_group_name(group).set_next_token(token).send().await;
            let Ok(page) = page else { return out };
            out.extend(page.events().iter().filter_map(|e| e.message().map(str::to_string)));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return out;
            }
        }
    }

    /// Moves the clock a second at a time until `check` holds, at most `secs` seconds.
    pub async fn until(&self, secs: u64, what: &str, mut check: impl AsyncFnMut() -> bool) {
        for _ in 0..secs {
            if check().await {
                return;
            }
            self.seconds(1).await;
        }
        assert!(check().await, "{what} within {secs} s of the cloud clock");
    }
}
