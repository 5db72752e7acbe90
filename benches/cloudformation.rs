//! CloudFormation create and delete of a 40-resource stack of real resource types: wall time per
//! operation and per resource, and the stack events each resource gets, on the local cloud and
//! optionally on a second CloudFormation endpoint (moto's server) for comparison.
//!
//! Run: `cargo bench --bench cloudformation -- [--endpoint-url URL] [--compare-endpoint URL]
//!       [--resources N] [--rounds N]`
//! Without `--endpoint-url` a local cloud is started in this process (real clock, durable writes).
//! External endpoints use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment, or dummies
//! (moto accepts any). `benches/moto.sh` starts both servers as processes and runs this harness.
//!
//! The template cycles through five types both servers support: `AWS::Kinesis::Stream`,
//! `AWS::S3::Bucket`, `AWS::Logs::LogGroup`, `AWS::IAM::Role` and `AWS::IAM::Policy`; each policy is
//! attached to its group's role by `Ref` and names its group's stream by `Fn::GetAtt`, so the run
//! exercises dependency order as well as parallel creation. (`AWS::CloudWatch::Alarm` is left out:
//! moto 5.2 has no CloudFormation model for it and would skip it silently, flattering its figures.)

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::Capability;
use kinesis_console::cloud::host::EndpointInfo;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};
use serde_json::{Value, json};

struct Args {
    endpoint: Option<String>,
    compare: Option<String>,
    resources: usize,
    rounds: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { endpoint: None, compare: None, resources: 40, rounds: 5 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint-url" => a.endpoint = Some(value()?),
            "--compare-endpoint" => a.compare = Some(value()?),
            "--resources" => a.resources = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    if a.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    Ok(a)
}

/// One resource of the template: the `i`th of its five-type cycle.
fn resource(i: usize) -> (String, Value) {
    let group = i / 5;
    match i % 5 {
        0 => (format!("Stream{group}"), json!({ "Type": "AWS::Kinesis::Stream", "Properties": { "ShardCount": 1 } })),
        1 => (format!("Bucket{group}"), json!({ "Type": "AWS::S3::Bucket" })),
        2 => (format!("Logs{group}"), json!({ "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 7 } })),
        3 => (
            format!("Role{group}"),
            json!({ "Type": "AWS::IAM::Role", "Properties": { "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" },
                                "Action": "sts:AssumeRole" }]
            } } }),
        ),
        _ => (
            // The policy names its group's role by Ref, which orders it after the role.
            format!("Policy{group}"),
            json!({ "Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": format!("bench-policy-{group}"),
                "Roles": [{ "Ref": format!("Role{group}") }],
                "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "kinesis:PutRecords",
                    "Resource": { "Fn::GetAtt": [format!("Stream{group}"), "Arn"] }
                }] }
            } }),
        ),
    }
}

fn template(n: usize) -> String {
    let resources: serde_json::Map<String, Value> = (0..n).map(resource).collect();
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": resources }).to_string()
}

/// Polls until the stack reaches `want` (by id, so a deleted stack is still found).
async fn wait_for(cf: &Client, id: &str, want: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = cf.describe_stacks().stack_name(id).send().await.with_context(|| format!("DescribeStacks {id}"))?;
        let stack = out.stacks().first();
        let status = stack.and_then(|s| s.stack_status()).map(|s| s.as_str().to_string());
        match status.as_deref() {
            Some(s) if s == want => return Ok(()),
            Some(s) if s.ends_with("FAILED") || s.contains("ROLLBACK") => {
                let reason = stack.and_then(|s| s.stack_status_reason()).unwrap_or("no reason given");
                bail!("stack {id} ended {s}: {reason}")
            }
            _ if Instant::now() > deadline => bail!("stack {id} did not reach {want} in 120 s"),
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

/// The stack's events, counted per logical resource id (the stack's own under its name).
async fn events(cf: &Client, id: &str) -> anyhow::Result<BTreeMap<String, usize>> {
    let (mut per_resource, mut token) = (BTreeMap::new(), None);
    loop {
        let page = cf
            .describe_stack_events()
            .stack_name(id)
            .set_next_token(token)
            .send()
            .await
            .with_context(|| format!("DescribeStackEvents {id}"))?;
        for e in page.stack_events() {
            *per_resource.entry(e.logical_resource_id().unwrap_or_default().to_string()).or_default() += 1;
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(per_resource);
        }
    }
}

/// What one server did over all rounds.
#[derive(Default)]
struct Figures {
    creates: Vec<Duration>,
    deletes: Vec<Duration>,
    /// Events of the template's own resources (not the stack's) after the create, and after the delete.
    resource_events_created: usize,
    resource_events_deleted: usize,
    /// Resources with at least one event of their own after the delete.
    resources_with_events: usize,
    stack_events: usize,
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

async fn run(cf: &Client, args: &Args, label: &str) -> anyhow::Result<Figures> {
    let body = template(args.resources);
    let names: Vec<String> = (0..args.resources).map(|i| resource(i).0).collect();
    let own = |events: &BTreeMap<String, usize>| names.iter().filter_map(|n| events.get(n)).sum::<usize>();
    let mut f = Figures::default();
    let tag = std::process::id();
    for round in 0..args.rounds {
        let name = format!("bench-{tag}-{round}");
        let t = Instant::now();
        let created = cf
            .create_stack()
            .stack_name(&name)
            .template_body(&body)
            .capabilities(Capability::CapabilityIam)
            .send()
            .await;
        let id =
            created.with_context(|| format!("{label}: CreateStack {name}"))?.stack_id().unwrap_or(&name).to_string();
        wait_for(cf, &id, "CREATE_COMPLETE").await.with_context(|| label.to_string())?;
        f.creates.push(t.elapsed());
        f.resource_events_created = own(&events(cf, &id).await?);
        let t = Instant::now();
        cf.delete_stack().stack_name(&id).send().await.with_context(|| format!("{label}: DeleteStack {id}"))?;
        wait_for(cf, &id, "DELETE_COMPLETE").await.with_context(|| label.to_string())?;
        f.deletes.push(t.elapsed());
        let after = events(cf, &id).await?;
        f.resource_events_deleted = own(&after);
        f.resources_with_events = names.iter().filter(|n| after.contains_key(*n)).count();
        f.stack_events = after.values().sum::<usize>() - f.resource_events_deleted;
    }
    Ok(f)
}

fn print(label: &str, args: &Args, f: &Figures) {
    let n = args.resources as f64;
    println!("{label}");
    for (what, times) in [("create", &f.creates), ("delete", &f.deletes)] {
        let mut sorted = times.clone();
        sorted.sort();
        let m = median(times).as_secs_f64() * 1e3;
        println!(
            "  {what} {} resources: median {m:>8.1} ms ({:>6.2} ms per resource), best {:.1} ms, worst {:.1} ms",
            args.resources,
            m / n,
            sorted[0].as_secs_f64() * 1e3,
            sorted[sorted.len() - 1].as_secs_f64() * 1e3,
        );
    }
    println!(
        "  events per resource: {:.2} after create, {:.2} after delete ({} of {} resources have events; {} stack events)",
        f.resource_events_created as f64 / n,
        f.resource_events_deleted as f64 / n,
        f.resources_with_events,
        args.resources,
        f.stack_events,
    );
}

async fn external_client(url: &str) -> Client {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "benchkey".into());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "benchsecret".into());
    let info = EndpointInfo {
        url: url.to_string(),
        region: "us-east-1".into(),
        access_key_id: key,
        secret_access_key: secret,
        pid: 0,
        version: String::new(),
    };
    Client::new(&kinesis_console::target::local_sdk_config(&info).await)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let (cf, _cloud, _dir) = match &args.endpoint {
        Some(url) => (external_client(url).await, None, None),
        None => {
            let dir = tempfile::tempdir()?;
            let mut config = CloudConfig::ephemeral(dir.path());
            config.limits = false;
            let running = cloud::start(config, LocalCredentials::generate()).await?;
            let cf = Client::new(&kinesis_console::target::local_sdk_config(&running.endpoint_info()).await);
            (cf, Some(running), Some(dir))
        }
    };
    let label = match &args.endpoint {
        Some(url) => format!("kinesis-console at {url}"),
        None => "kinesis-console, in-process local cloud".into(),
    };
    println!(
        "CloudFormation create + delete of {} resources, median of {} rounds (real clock)",
        args.resources, args.rounds
    );
    let ours = run(&cf, &args, &label).await?;
    print(&label, &args, &ours);
    if let Some(url) = &args.compare {
        let label = format!("compared server at {url}");
        let other = run(&external_client(url).await, &args, &label).await?;
        print(&label, &args, &other);
        for (what, a, b) in [("create", &ours.creates, &other.creates), ("delete", &ours.deletes, &other.deletes)] {
            let (a, b) = (median(a).as_secs_f64(), median(b).as_secs_f64());
            let ratio = if b > 0.0 { format!("{:.2}x", a / b) } else { "n/a".into() };
            println!("ratio local/compared {what}: {ratio} ({:.1} ms vs {:.1} ms)", a * 1e3, b * 1e3);
        }
    }
    if let Some(running) = _cloud {
        running.shutdown().await;
    }
    Ok(())
}
