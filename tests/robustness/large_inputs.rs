//! Long and deeply nested inputs up to each service's body limit, each sent as a correctly signed
//! request so it passes authentication and is decoded: 100,000-deep JSON and CBOR, 1 MiB strings
//! in every string member an operation reads, metric-math expressions of deep parentheses and of
//! 2 MiB, deep and numerous awsQuery parameters, and list members far past their quotas.
//!
//! The host runs as a child process (`local serve`), so a stack overflow or an abort shows up as a
//! dead host with its last words, not as the end of the test binary; every case is sent, the host
//! restarted after any that killed it, and the test fails listing each case that answered 5xx,
//! answered without an AWS error shape, or took the host down.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::large_cases::{Expect, Wire, all_cases};
use crate::support::raw::Raw;
use crate::support::served::{Served, serve_with};

/// The request for a case, signed with the host's credentials like any SDK's.
fn signed(wire: Wire, operation: &str, body: Vec<u8>, host: &Host) -> Raw {
    let (raw, service) = match wire {
        Wire::Kinesis => {
            let target = format!("Kinesis_20131202.{operation}");
            (
                Raw::post(
                    "/",
                    &[("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.1")],
                    body,
                ),
                "kinesis",
            )
        }
        Wire::CloudWatchJson => {
            let target = format!("GraniteServiceVersion20100801.{operation}");
            (
                Raw::post(
                    "/",
                    &[("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.0")],
                    body,
                ),
                "monitoring",
            )
        }
        Wire::CloudWatchCbor => {
            let path = format!("/service/GraniteServiceVersion20100801/operation/{operation}");
            let headers = [
                ("smithy-protocol", "rpc-v2-cbor"),
                ("content-type", "application/cbor"),
                ("accept", "application/cbor"),
            ];
            (Raw::post(&path, &headers, body), "monitoring")
        }
        Wire::Sts => (Raw::post("/", &[("content-type", "application/x-www-form-urlencoded")], body), "sts"),
    };
    raw.signed(&host.url, service, &host.key, &host.secret, SystemTime::now())
}

/// What a case got: the status and body, or why there was no answer.
async fn send(client: &reqwest::Client, url: &str, raw: Raw) -> Result<(u16, Vec<u8>), String> {
    let mut req = client.post(format!("{url}{}", raw.path));
    for (k, v) in raw.headers.iter().filter(|(k, _)| k != "host") {
        req = req.header(k, v);
    }
    let resp = req.body(raw.body).send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| format!("answer cut off: {e}"))?;
    Ok((status, body.to_vec()))
}

/// Whether `body` is the protocol's error document with a code.
fn error_shaped(wire: Wire, body: &[u8]) -> bool {
    match wire {
        Wire::Kinesis | Wire::CloudWatchJson => {
            serde_json::from_slice::<Value>(body).is_ok_and(|v| v["__type"].as_str().is_some_and(|t| !t.is_empty()))
        }
        Wire::CloudWatchCbor => {
            ciborium::from_reader::<Value, _>(body).is_ok_and(|v| v["__type"].as_str().is_some_and(|t| !t.is_empty()))
        }
        Wire::Sts => {
            let text = String::from_utf8_lossy(body);
            text.contains("<ErrorResponse") && text.contains("<Code>")
        }
    }
}

/// The host under test: a `local serve` child and what a client needs to sign for it.
struct Host {
    served: Served,
    _dir: tempfile::TempDir,
    url: String,
    key: String,
    secret: String,
}

impl Host {
    fn start() -> Host {
        let dir = tempfile::tempdir().expect("temp dir");
        let served = serve_with(dir.path(), &["--no-limits"]);
        let info = served.endpoint();
        Host { served, _dir: dir, url: info.url, key: info.access_key_id, secret: info.secret_access_key }
    }

    /// A stream for the operations that need one to get past "not found".
    async fn prepare(&self, client: &reqwest::Client) {
        let create = signed(Wire::Kinesis, "CreateStream", br#"{"StreamName":"s","ShardCount":1}"#.to_vec(), self);
        let answer = send(client, &self.url, create).await;
        assert!(matches!(answer, Ok((200, _))), "CreateStream s: {answer:?}");
    }

    /// Whether the host still answers an ordinary request, and if not, what it said.
    async fn serves(&self, client: &reqwest::Client) -> Result<(), String> {
        let list = signed(Wire::Kinesis, "ListStreams", b"{}".to_vec(), self);
        match send(client, &self.url, list).await {
            Ok((200, _)) => Ok(()),
            Ok((status, body)) => Err(format!("ListStreams answered {status}: {}", String::from_utf8_lossy(&body))),
            Err(e) => Err(format!("ListStreams: {e}")),
        }
    }

    /// The host's last words, when it has died (a stack overflow's message, a panic).
    fn last_words(&mut self) -> Option<String> {
        let status = self.served.child.try_wait().ok().flatten()?;
        let mut err = String::new();
        if let Some(mut pipe) = self.served.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
        }
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        Some(format!("{status}: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | ")))
    }
}

/// Waits (with a deadline) for the child to be reaped after a failed case, so its exit is seen.
fn died(host: &mut Host) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(words) = host.last_words() {
            return Some(words);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn long_and_deep_inputs_get_client_errors_and_the_host_keeps_serving() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // A fresh connection per request: a host that refuses a body before reading it closes the
    // connection, and a pooled one would fail the next request for the client's reasons, not the host's.
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let mut host = Host::start();
    rt.block_on(host.prepare(&client));
    let cases = all_cases();
    let started = Instant::now();
    let mut failures = vec![];
    for c in cases {
        let (name, wire, expect) = (c.name.clone(), c.wire, c.expect);
        let answer = rt.block_on(send(&client, &host.url.clone(), signed(c.wire, c.operation, c.body, &host)));
        let problem = match &answer {
            Err(e) => Some(e.clone()),
            Ok((status, body)) if *status >= 500 => {
                Some(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])))
            }
            Ok((status, body)) if expect == Expect::ClientError && !(400..500).contains(status) => Some(format!(
                "{status} where a client error was due: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
            Ok((status, body)) if (400..500).contains(status) && !error_shaped(wire, body) => Some(format!(
                "{status} without an AWS error shape: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
            Ok(_) => None,
        };
        let health = rt.block_on(host.serves(&client));
        let serving = health.is_ok();
        if problem.is_some() || !serving {
            let death = if serving { None } else { died(&mut host) };
            let what = match (&problem, &death, &health) {
                (_, Some(words), _) => {
                    format!("the host died ({words}); {}", problem.as_deref().unwrap_or("answered first"))
                }
                (p, None, Ok(())) => p.clone().unwrap_or_default(),
                (p, None, Err(e)) => {
                    format!("{}; then the host did not serve: {e}", p.as_deref().unwrap_or("answered"))
                }
            };
            failures.push(format!("{name}: {what}"));
            if !serving {
                host = Host::start();
                rt.block_on(host.prepare(&client));
            }
        }
    }
    eprintln!("large inputs: sent in {:?}", started.elapsed());
    assert!(failures.is_empty(), "{} case(s) failed:\n  {}", failures.len(), failures.join("\n  "));
}
