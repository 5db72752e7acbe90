//! The protocol-and-fidelity matrix: every client × every service of the local cloud, the protocol the
//! client spoke (seen in its requests) and whether its calls got the answers AWS gives. The run writes
//! `docs/protocol-matrix.md` when `KC_WRITE_MATRIX=1`, and otherwise fails when the file says something
//! else than the clients do today.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{self, TestCloud};
use crate::{BOTO3_RELEASES, run_script};

mod rust_sdk;

/// One client's findings: per service, the protocols its requests spoke and each call's outcome ("ok", the
/// expected error code, or "FAILED: …").
#[derive(Debug, Default)]
pub struct Findings {
    pub client: String,
    pub services: BTreeMap<String, (Vec<String>, BTreeMap<String, String>)>,
}

impl Findings {
    fn from_probe(client: String, probe: &Value) -> Findings {
        let mut services = BTreeMap::new();
        for (service, found) in probe["services"].as_object().into_iter().flatten() {
            let protocols = found["protocols"].as_array().into_iter().flatten();
            let protocols = protocols.filter_map(|p| p.as_str().map(str::to_string)).collect();
            let calls = found["calls"].as_object().into_iter().flatten();
            let calls =
                calls.map(|(k, v)| (k.clone(), v.as_str().unwrap_or("FAILED: no outcome").to_string())).collect();
            services.insert(service.clone(), (protocols, calls));
        }
        Findings { client, services }
    }
}

/// The wire protocol a request speaks, from its headers alone (as the local cloud's router decides it).
pub fn protocol_of(headers: &[(String, String)], rest: &str) -> String {
    let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let ctype = get("content-type").unwrap_or_default();
    if get("smithy-protocol") == Some("rpc-v2-cbor") {
        "rpc-v2-cbor".into()
    } else if get("x-amz-target").is_some() {
        if ctype.contains("1.0") { "awsJson1.0".into() } else { "awsJson1.1".into() }
    } else if ctype.starts_with("application/x-www-form-urlencoded") {
        "awsQuery".into()
    } else {
        rest.into()
    }
}

async fn python_findings(cloud: &TestCloud, venv: &str, label: &str, args: &[&str]) -> Option<Findings> {
    let python = support::python_client(venv)?;
    let mut all = vec![cloud.url().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let probe = run_script(cloud, &python, "probe.py", &all).await;
    let version = probe["client"].as_str().unwrap_or("?");
    Some(Findings::from_probe(format!("{label} {version}"), &probe))
}

fn cell(protocols: &[String], calls: &BTreeMap<String, String>) -> String {
    let failed = calls.values().filter(|o| o.starts_with("FAILED")).count();
    let mark = if failed == 0 {
        format!("✓ {}/{}", calls.len(), calls.len())
    } else {
        format!("✗ {failed} of {} fail", calls.len())
    };
    format!("{} {mark}", protocols.join(", "))
}

pub fn render(columns: &[Findings]) -> String {
    let mut services: Vec<&String> = columns.iter().flat_map(|c| c.services.keys()).collect();
    services.sort();
    services.dedup();
    let mut out = String::from(MATRIX_HEAD);
    out.push_str(&format!(
        "| service | {} |\n",
        columns.iter().map(|c| c.client.as_str()).collect::<Vec<_>>().join(" | ")
    ));
    out.push_str(&format!("|---|{}\n", "---|".repeat(columns.len())));
    for service in &services {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| c.services.get(*service).map_or("not probed".into(), |(p, calls)| cell(p, calls)))
            .collect();
        out.push_str(&format!("| {service} | {} |\n", cells.join(" | ")));
    }
    out.push_str(
        "\n## The calls\n\nEach cell above is these calls; an error code is the error AWS answers for that case.\n\n",
    );
    for service in &services {
        let mut calls: Vec<&String> =
            columns.iter().filter_map(|c| c.services.get(*service)).flat_map(|(_, c)| c.keys()).collect();
        calls.sort();
        calls.dedup();
        let names: Vec<String> = calls.iter().map(|c| format!("`{c}`")).collect();
        out.push_str(&format!("- **{service}**: {}\n", names.join(", ")));
    }
    let failures: Vec<String> = columns
        .iter()
        .flat_map(|c| {
            c.services.iter().flat_map(move |(s, (_, calls))| {
                calls
                    .iter()
                    .filter(|(_, o)| o.starts_with("FAILED"))
                    .map(move |(call, o)| format!("- {}, {s} `{call}`: {o}\n", c.client))
            })
        })
        .collect();
    if !failures.is_empty() {
        out.push_str("\n## What fails\n\n");
        out.extend(failures);
    }
    out
}

const MATRIX_HEAD: &str = "# Protocols and clients\n\n\
Which wire protocol each official client speaks to each service of the local cloud, and whether its calls\n\
got AWS's answers. Generated by `cargo test --test clients matrix` (`KC_WRITE_MATRIX=1` rewrites this file);\n\
the test fails when a client's behaviour and this page disagree. The Python clients are the ones `.ci/run`\n\
installs: boto3 1.35 (late 2024) and a current boto3 in `.venv-clients/`, and the botocore the `aws` CLI v1\n\
carries (what `aws` itself sends). The Rust SDK column is the SDK crates the console is built with.\n\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_matrix_matches_what_the_clients_do() {
    let cloud = TestCloud::start().await;
    let mut columns = vec![rust_sdk::findings(&cloud).await];
    let [old, current] = BOTO3_RELEASES;
    for (venv, label, args) in
        [(current, "boto3", &[][..]), (old, "boto3", &[][..]), ("aws-cli", "aws CLI", &["--awscli"][..])]
    {
        match python_findings(&cloud, venv, label, args).await {
            Some(f) => columns.push(f),
            None => return,
        }
    }
    let rendered = render(&columns);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protocol-matrix.md");
    if std::env::var("KC_WRITE_MATRIX").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &rendered).expect("writes docs/protocol-matrix.md");
        return;
    }
    let on_file = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_file == rendered,
        "docs/protocol-matrix.md differs from what the clients do now (rerun with KC_WRITE_MATRIX=1 and read \
         the diff):\n{rendered}"
    );
}

/// Records the protocol of every request a Rust SDK client sends.
#[derive(Debug, Clone, Default)]
pub struct SeenProtocols {
    pub seen: Arc<Mutex<Vec<String>>>,
    pub rest: &'static str,
}

impl SeenProtocols {
    pub fn new(rest: &'static str) -> Self {
        SeenProtocols { seen: Arc::default(), rest }
    }

    pub fn protocols(&self) -> Vec<String> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        seen.sort();
        seen.dedup();
        seen
    }
}

impl aws_sdk_kinesis::config::Intercept for SeenProtocols {
    fn name(&self) -> &'static str {
        "SeenProtocols"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_kinesis::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_kinesis::config::RuntimeComponents,
        _: &mut aws_sdk_kinesis::config::ConfigBag,
    ) -> Result<(), aws_sdk_kinesis::error::BoxError> {
        let headers: Vec<(String, String)> =
            context.request().headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).push(protocol_of(&headers, self.rest));
        Ok(())
    }
}
