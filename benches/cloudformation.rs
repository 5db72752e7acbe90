//! CloudFormation create and delete of a 40-resource stack on a local cloud started in this process
//! (real clock, durable writes): wall time per operation and per resource, with the stack's events
//! counted (every resource has its own, as on AWS).
//!
//! Run: `cargo bench --bench cloudformation -- [--resources N] [--rounds N]`. The resources are
//! `AWS::CloudFormation::WaitConditionHandle`s in chains of four (each depends on the one before), so
//! the run exercises both parallel creation and dependency order.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_cloudformation::Client;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};

struct Args {
    resources: usize,
    rounds: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { resources: 40, rounds: 5 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--resources" => a.resources = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn template(n: usize) -> String {
    let mut resources = serde_json::Map::new();
    for i in 0..n {
        let mut r = serde_json::json!({ "Type": "AWS::CloudFormation::WaitConditionHandle" });
        if i % 4 != 0 {
            r["DependsOn"] = serde_json::json!(format!("Handle{}", i - 1));
        }
        resources.insert(format!("Handle{i}"), r);
    }
    serde_json::json!({ "Resources": resources }).to_string()
}

/// Polls until the stack reaches `want` (by id, so a deleted stack is still found).
async fn wait_for(cf: &Client, id: &str, want: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = cf.describe_stacks().stack_name(id).send().await?;
        let status = out.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_string());
        match status.as_deref() {
            Some(s) if s == want => return Ok(()),
            Some(s) if s.ends_with("FAILED") || s.contains("ROLLBACK") => bail!("stack {id} ended {s}"),
            _ if Instant::now() > deadline => bail!("stack {id} did not reach {want} in 120 s"),
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

async fn events(cf: &Client, id: &str) -> anyhow::Result<usize> {
    let (mut n, mut token) = (0, None);
    loop {
        let page = cf.describe_stack_events().stack_name(id).set_next_token(token).send().await?;
        n += page.stack_events().len();
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(n);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = tempfile::tempdir()?;
    let mut config = CloudConfig::ephemeral(dir.path());
    config.limits = false;
    let running = cloud::start(config, LocalCredentials::generate()).await?;
    let sdk = kinesis_console::target::local_sdk_config(&running.endpoint_info()).await;
    let cf = Client::new(&sdk);
    let body = template(args.resources);
    let (mut creates, mut deletes) = (Vec::new(), Vec::new());
    let mut event_count = 0;
    for round in 0..args.rounds {
        let name = format!("bench-{round}");
        let t = Instant::now();
        let id = cf
            .create_stack()
            .stack_name(&name)
            .template_body(&body)
            .send()
            .await?
            .stack_id()
            .unwrap_or_default()
            .to_string();
        wait_for(&cf, &id, "CREATE_COMPLETE").await?;
        creates.push(t.elapsed());
        let t = Instant::now();
        cf.delete_stack().stack_name(&id).send().await?;
        wait_for(&cf, &id, "DELETE_COMPLETE").await?;
        deletes.push(t.elapsed());
        event_count = events(&cf, &id).await?;
    }
    let report = |what: &str, times: &[Duration]| {
        let mut sorted = times.to_vec();
        sorted.sort();
        let median = sorted[sorted.len() / 2];
        println!(
            "{what:<7} {} resources: median {:>7.1} ms ({:.2} ms per resource), best {:.1} ms, worst {:.1} ms",
            args.resources,
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3 / args.resources as f64,
            sorted[0].as_secs_f64() * 1e3,
            sorted[sorted.len() - 1].as_secs_f64() * 1e3,
        );
    };
    println!("local CloudFormation, {} rounds", args.rounds);
    report("create", &creates);
    report("delete", &deletes);
    println!("events per create + delete: {event_count} (a stack's own, plus each resource's transitions)");
    running.shutdown().await;
    Ok(())
}
