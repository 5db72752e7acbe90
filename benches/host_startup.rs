//! Start-up and idle memory of `local serve`, next to kinesalite's, measured in the same run.
//!
//! Method: a fresh data dir and a free port; the clock starts just before the server process is
//! spawned and stops at the first HTTP response to a Kinesis `ListStreams` request (whatever its status),
//! polled over raw TCP every millisecond. Idle RSS is `VmRSS` from `/proc/<pid>/status` two seconds
//! after that first answer. Each server is measured `RUNS` times; the median is reported.
//! kinesalite is installed from npm into a temporary directory; without npm only our figures print.
//!
//! Run: `cargo bench --bench host_startup` (builds the release binary first).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn answered(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let body = "{}";
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 12];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf.starts_with(b"HTTP/1.1 "))
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Sample {
    first_answer: Duration,
    idle_rss_kb: u64,
}

fn measure(spawn: &dyn Fn(u16) -> Child) -> Sample {
    let port = free_port();
    let started = Instant::now();
    let mut child = spawn(port);
    let deadline = started + Duration::from_secs(30);
    while !answered(port) {
        assert!(Instant::now() < deadline, "server did not answer within 30 s");
        std::thread::sleep(Duration::from_millis(1));
    }
    let first_answer = started.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss_kb = rss_kb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    Sample { first_answer, idle_rss_kb }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(name: &str, spawn: &dyn Fn(u16) -> Child) -> (f64, f64) {
    let samples: Vec<Sample> = (0..RUNS).map(|_| measure(spawn)).collect();
    let ms = median(samples.iter().map(|s| s.first_answer.as_secs_f64() * 1000.0).collect());
    let mb = median(samples.iter().map(|s| s.idle_rss_kb as f64 / 1024.0).collect());
    println!("{name:<16} first answer {ms:>8.1} ms   idle RSS {mb:>6.1} MB   (median of {RUNS})");
    (ms, mb)
}

fn release_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "kinesis-console"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo build --release");
    assert!(status.success());
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kinesis-console")
}

fn install_kinesalite() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join("kc-bench-kinesalite");
    let script = dir.join("node_modules/kinesalite/cli.js");
    if !script.exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "kinesalite"])
            .current_dir(&dir)
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
    }
    script.exists().then_some(script)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bin = release_binary();
    let ours = run("kinesis-console", &|port| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        Command::new(&bin)
            .args(["--data-dir", dir.to_str().unwrap(), "local", "serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("local serve starts")
    });
    let Some(kinesalite) = install_kinesalite() else {
        println!("kinesalite: npm install failed; no baseline this run");
        return;
    };
    let theirs = run("kinesalite", &|port| {
        Command::new("node")
            .arg(&kinesalite)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kinesalite starts")
    });
    println!(
        "ratio (kinesalite / kinesis-console): first answer {:.1}x faster, idle RSS {:.1}x smaller",
        theirs.0 / ours.0,
        theirs.1 / ours.1
    );
}
