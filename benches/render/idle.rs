//! The console's CPU while a dashboard is open and nothing changes (`cargo bench --bench render --
//! --idle [--seconds 30]`). Target: under 1 % of one core.
//!
//! Method: `kinesis-console local serve --port 0` runs as a process of its own on a fresh data dir,
//! so the cloud's work is not counted; a one-shard stream gets a few records and the sample
//! dashboard's body (its incoming records and bytes, iterator age and throttled writes), then nothing
//! more is put. The console is launched in a 120×40 pseudo-terminal on the same data dir (it attaches
//! to the running host as a client), and measured twice for `--seconds` each: first idle on its home
//! view (the baseline, measured in the same run), then with the dashboard opened through the palette
//! and drawn. Each window reads the console's utime+stime from `/proc/<pid>/stat` before and after and
//! counts the bytes it wrote to the terminal; the `local serve` process's CPU is shown beside.
//!
//! How it compares: k9s and bottom poll on a timer (every 1–2 s by default) and redraw the whole screen
//! each time. This console wakes on a 250 ms tick only to turn the spinner and see whether a refresh
//! is due, and draws only when an answer or a key changed its state — and then ratatui writes only
//! the cells that differ; a dashboard asks for data once per refresh (one GetMetricData call). The
//! bytes written show what its redraws cost the terminal. Measured on a debug build, 2 cores, 30 s
//! windows: about 0.2–0.3 % of a core on the home view and with the dashboard open, a few bytes a
//! second written.

#[path = "../../tests/ui/pty_console.rs"]
mod pty_console;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_sdk_kinesis::primitives::Blob;
use kinesis_console::cloud::host::{DataDir, EndpointInfo};
use kinesis_console::control::sample;
use pty_console::Console;

const STREAM: &str = "idle-bench";
const TARGET_PERCENT: f64 = 1.0;

/// `--seconds N` (default 30): the length of each measured window.
fn seconds(args: &[String]) -> anyhow::Result<u64> {
    match args.iter().position(|a| a == "--seconds") {
        None => Ok(30),
        Some(i) => {
            let v = args.get(i + 1).context("--seconds needs a number of seconds")?;
            let n: u64 = v.parse().with_context(|| format!("--seconds {v}: not a whole number of seconds"))?;
            anyhow::ensure!(n > 0, "--seconds must be at least 1");
            Ok(n)
        }
    }
}

/// `local serve` as a process, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> anyhow::Result<(Serve, EndpointInfo)> {
    let child = Command::new(env!("CARGO_BIN_EXE_kinesis-console"))
        .arg("--data-dir")
        .arg(dir)
        .args(["local", "serve", "--port", "0"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting kinesis-console local serve")?;
    let serve = Serve(child);
    let data_dir = DataDir::new(dir);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(info) = data_dir.live_endpoint()? {
            return Ok((serve, info));
        }
        anyhow::ensure!(Instant::now() < deadline, "local serve wrote no endpoint in {} within 60 s", dir.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The stream with a few records, and the sample dashboard's body over it.
async fn setup(info: &EndpointInfo) -> anyhow::Result<()> {
    let sdk = kinesis_console::target::local_sdk_config(info).await;
    let kinesis = aws_sdk_kinesis::Client::new(&sdk);
    kinesis.create_stream().stream_name(STREAM).shard_count(1).send().await.context("CreateStream")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = kinesis.describe_stream_summary().stream_name(STREAM).send().await.context("DescribeStreamSummary")?;
        if s.stream_description_summary().is_some_and(|d| d.stream_status().as_str() == "ACTIVE") {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "stream {STREAM} not ACTIVE within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..20 {
        let data = format!("{{\"ticker\":\"AMZN\",\"price\":{}}}", 180 + i);
        kinesis
            .put_record()
            .stream_name(STREAM)
            .partition_key(format!("k{i}"))
            .data(Blob::new(data))
            .send()
            .await
            .context("PutRecord")?;
    }
    let body = sample::dashboard_body(STREAM, &info.region);
    aws_sdk_cloudwatch::Client::new(&sdk)
        .put_dashboard()
        .dashboard_name(STREAM)
        .dashboard_body(body.to_string())
        .send()
        .await
        .context("PutDashboard")?;
    Ok(())
}

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`.
fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces: state is the first,
    // utime the 12th and stime the 13th (fields 14 and 15 of proc(5)).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).with_context(|| format!("{path}: no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        let f = fields.get(i).with_context(|| format!("{path}: field {} missing", i + 3))?;
        f.parse::<f64>().with_context(|| format!("{path}: field {} is {f}", i + 3))
    };
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    anyhow::ensure!(hz > 0, "sysconf(_SC_CLK_TCK) failed");
    Ok((ticks(11)? + ticks(12)?) / hz as f64)
}

struct Window {
    console_percent: f64,
    serve_percent: f64,
    bytes: u64,
    secs: f64,
}

/// One measured window: nothing is pressed or put while it lasts.
fn measure(console: &Console, serve_pid: u32, secs: u64) -> anyhow::Result<Window> {
    let pid = u32::try_from(console.pid()).context("the console's pid")?;
    let (c0, s0, b0, t0) = (cpu_secs(pid)?, cpu_secs(serve_pid)?, console.bytes_written(), Instant::now());
    // The point of the window is to let real time pass with nothing happening.
    std::thread::sleep(Duration::from_secs(secs));
    let (c1, s1, b1) = (cpu_secs(pid)?, cpu_secs(serve_pid)?, console.bytes_written());
    let wall = t0.elapsed().as_secs_f64();
    Ok(Window {
        console_percent: (c1 - c0) / wall * 100.0,
        serve_percent: (s1 - s0) / wall * 100.0,
        bytes: b1 - b0,
        secs: wall,
    })
}

fn print(name: &str, w: &Window) {
    println!(
        "{name:<18} console {:>6.2} % of a core   wrote {:>8} B ({:>7.0} B/s)   local serve {:>6.2} %   over {:.1} s",
        w.console_percent,
        w.bytes,
        w.bytes as f64 / w.secs,
        w.serve_percent,
        w.secs
    );
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let secs = seconds(args)?;
    let dir = tempfile::Builder::new().prefix("kinesis-console-idle-").tempdir().context("a data dir")?;
    let (serve, info) = serve(dir.path())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(setup(&info))?;

    let mut console = Console::start(dir.path(), &[]);
    console.wait_until("the home view with the dashboard listed", |s| s.contains("Dashboards (1)"));
    let home = measure(&console, info.pid, secs)?;

    console.press(&format!(":dashboard {STREAM}\r"));
    console.wait_for("Incoming records");
    let dashboard = measure(&console, info.pid, secs)?;
    console.press("q");
    let (status, _, _) = console.wait_exit();
    anyhow::ensure!(status.success(), "the console exited with {status:?}");
    drop(serve);

    println!("idle CPU of the console ({} cores on this machine)", std::thread::available_parallelism()?.get());
    print("home (baseline)", &home);
    print("dashboard open", &dashboard);
    let ratio = if home.console_percent > 0.0 { dashboard.console_percent / home.console_percent } else { f64::NAN };
    println!(
        "dashboard / home: {ratio:.2}x CPU, {} B more written; target < {TARGET_PERCENT} % of a core: {}",
        dashboard.bytes as i64 - home.bytes as i64,
        if dashboard.console_percent < TARGET_PERCENT { "met" } else { "MISSED" }
    );
    Ok(())
}
