use std::collections::HashSet;
use std::io::BufReader;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::types::ShardIteratorType;
use kinesis_console::cloud::host::EndpointInfo;

use super::*;

#[tokio::test]
async fn streams_records_and_sequence_counters_survive_a_restart() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "keep", 2).await;
    let before = k
        .put_records()
        .stream_name("keep")
        .set_records(Some((0..50).map(|i| entry(&i.to_string(), &format!("a{i}"))).collect()))
        .send()
        .await
        .unwrap();
    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    let after = k
        .put_records()
        .stream_name("keep")
        .set_records(Some((0..50).map(|i| entry(&i.to_string(), &format!("b{i}"))).collect()))
        .send()
        .await
        .unwrap();
    for (a, b) in before.records().iter().zip(after.records()) {
        if a.shard_id() == b.shard_id() {
            assert!(b.sequence_number() > a.sequence_number(), "counters continue after the restart");
        }
    }
    let mut n = 0;
    for shard in shard_ids(&k, "keep").await {
        n += drain(&k, iterator(&k, "keep", &shard, ShardIteratorType::TrimHorizon).await).await.len();
    }
    assert_eq!(n, 100);
}

struct Server {
    child: Child,
    info: EndpointInfo,
}

fn spawn_server(dir: &std::path::Path) -> Server {
    let mut child = support::bin()
        .args(["--data-dir", dir.to_str().unwrap(), "--output", "json", "local", "serve", "--port", "0", "--no-limits"])
        .arg("--virtual-clock")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let v: serde_json::Value = serde_json::Deserializer::from_reader(stdout)
        .into_iter()
        .next()
        .expect("server prints its endpoint")
        .expect("endpoint JSON");
    let info = EndpointInfo {
        url: v["url"].as_str().unwrap().into(),
        region: v["region"].as_str().unwrap_or("us-east-1").into(),
        access_key_id: v["access_key_id"].as_str().unwrap().into(),
        secret_access_key: v["secret_access_key"].as_str().unwrap().into(),
        pid: child.id(),
        version: String::new(),
    };
    Server { child, info }
}

async fn server_client(info: &EndpointInfo) -> Client {
    let conf = kinesis_console::target::local_sdk_config(info).await;
    Client::from_conf(aws_sdk_kinesis::config::Builder::from(&conf).retry_config(RetryConfig::disabled()).build())
}

#[tokio::test]
async fn acknowledged_records_survive_kill_9() {
    support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_server(dir.path());
    let k = server_client(&server.info).await;
    create(&k, "crash", 2).await;
    // The server's clock is virtual: moving it past the CREATING transition makes the stream ACTIVE.
    let admin = kinesis_console::cloud::admin_client::AdminClient::new(server.info.clone());
    admin.post("clock", serde_json::json!({ "advance_ms": 1000 })).await.expect("the clock advances");
    let d = k.describe_stream_summary().stream_name("crash").send().await.unwrap();
    assert_eq!(d.stream_description_summary().unwrap().stream_status(), &aws_sdk_kinesis::types::StreamStatus::Active);
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (k, acked) = (k.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for b in 0.. {
                let entries: Vec<_> = (0..100).map(|i| entry(&format!("{w}-{i}"), &format!("{w}-{b}-{i}"))).collect();
                let Ok(out) = k.put_records().stream_name("crash").set_records(Some(entries)).send().await else {
                    return;
                };
                let mut acked = acked.lock().unwrap();
                for (i, r) in out.records().iter().enumerate() {
                    if r.sequence_number().is_some() {
                        acked.insert(format!("{w}-{b}-{i}"));
                    }
                }
            }
        }));
    }
    support::eventually(Duration::from_secs(30), "some records acknowledged", || {
        let n = acked.lock().unwrap().len();
        async move { (n >= 2000).then_some(()) }
    })
    .await;
    // SAFETY: plain kill(2) on the child's pid.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGKILL) };
    let _ = server.child.wait();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();

    let server = spawn_server(dir.path());
    let k = server_client(&server.info).await;
    let mut read = HashSet::new();
    for shard in shard_ids(&k, "crash").await {
        for r in drain(&k, iterator(&k, "crash", &shard, ShardIteratorType::TrimHorizon).await).await {
            let t = text(&r);
            let mut parts = t.split('-');
            let (w, b, i): (u32, u32, u32) = (
                parts.next().unwrap().parse().unwrap(),
                parts.next().unwrap().parse().unwrap(),
                parts.next().unwrap().parse().unwrap(),
            );
            assert!(w < 4 && i < 100 && b < 100_000, "no invented record: {t}");
            assert!(read.insert(t.clone()), "no duplicate: {t}");
        }
    }
    let missing: Vec<_> = acked.difference(&read).take(5).collect();
    assert!(missing.is_empty(), "acknowledged records lost: {missing:?} (of {})", acked.len());
    let mut child = server.child;
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn iterators_stay_valid_across_a_restart() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "resume", 1).await;
    k.put_record().stream_name("resume").partition_key("k").data(Blob::new("kept")).send().await.unwrap();
    let it = iterator(&k, "resume", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    let records = k.get_records().shard_iterator(&it).send().await.expect("the iterator key is kept in the data dir");
    assert_eq!(records.records().iter().map(text).collect::<Vec<_>>(), ["kept"]);
}
