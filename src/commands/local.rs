//! `kinesis-console local serve | status | stop | reset`.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

use super::output::emit;
use crate::cli::{GlobalArgs, LocalCommand, OutputFormat, ServeArgs};
use crate::cloud::CloudConfig;
use crate::cloud::admin_client::AdminClient;
use crate::cloud::attach;
use crate::cloud::clock::ClockMode;
use crate::cloud::faults::parse_spec;
use crate::cloud::host::DataDir;
use crate::control::Access;
use crate::paths::Paths;

/// `local status` exit code when nothing serves the data dir (as `systemctl status` does).
pub const NOT_RUNNING: u8 = 3;

pub async fn run(cmd: LocalCommand, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let dir = DataDir::new(&paths.data_dir);
    let access = Access { read_only: global.read_only };
    match cmd {
        LocalCommand::Serve(args) => serve(args, global, &dir).await,
        LocalCommand::Status => status(global, &dir).await,
        LocalCommand::Stop => {
            access.check("stop the local cloud")?;
            stop(global, &dir).await
        }
        LocalCommand::Reset { yes } => {
            access.check("reset the local cloud")?;
            reset(yes, global, &dir).await
        }
    }
}

async fn serve(args: ServeArgs, global: &GlobalArgs, dir: &DataDir) -> anyhow::Result<ExitCode> {
    let mut config = CloudConfig::new(dir.root());
    config.bind = SocketAddr::new(args.bind, args.port);
    config.auth = !args.no_auth;
    config.limits = !args.no_limits;
    config.clock = if args.virtual_clock { ClockMode::Virtual } else { ClockMode::Real };
    if let Some(region) = &global.region {
        config.region = region.clone();
    }
    config.allowed_origins = args.allow_origin.clone();
    for spec in &args.faults {
        config.faults.push(parse_spec(spec).with_context(|| format!("invalid --faults '{spec}'"))?);
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: binding {} exposes the local cloud to the network; anyone who reaches it can use it{}",
            args.bind,
            if args.no_auth { " without credentials" } else { "" }
        );
    }
    if let Some(warning) = dir.permission_warning() {
        eprintln!("warning: {warning}");
    }
    let Some(hosted) = attach::host(dir, config, false).await? else {
        let at =
            dir.read_endpoint().ok().flatten().map(|i| format!(" at {} (pid {})", i.url, i.pid)).unwrap_or_default();
        anyhow::bail!(
            "a local cloud already serves the data dir {}{at}; use `kinesis-console local status`, or pass another --data-dir",
            dir.root().display()
        );
    };
    let info = hosted.info.clone();
    let value = json!({
        "url": info.url, "region": info.region, "pid": info.pid, "data_dir": dir.root(),
        "access_key_id": info.access_key_id, "secret_access_key": info.secret_access_key,
    });
    emit(global.output, &value, || {
        format!(
            "kinesis-console local cloud at {url} (data dir {dir}, pid {pid})\n\
             Point the aws CLI or any SDK at it:\n\
             export AWS_ACCESS_KEY_ID={ak}\n\
             export AWS_SECRET_ACCESS_KEY={sk}\n\
             export AWS_DEFAULT_REGION={region}\n\
             export AWS_ENDPOINT_URL={url}\n\
             Stop it with Ctrl-C or `kinesis-console local stop`.",
            url = info.url,
            dir = dir.root().display(),
            pid = info.pid,
            ak = info.access_key_id,
            sk = info.secret_access_key,
            region = info.region,
        )
    });
    let _ = std::io::stdout().flush();

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm.recv() => {}
        _ = hosted.cloud.stopped() => {}
    }
    tracing::info!("local cloud stopping");
    hosted.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn status(global: &GlobalArgs, dir: &DataDir) -> anyhow::Result<ExitCode> {
    let Some(info) = dir.live_endpoint()? else {
        let stale = dir.read_endpoint().ok().flatten();
        let value = json!({ "running": false, "data_dir": dir.root(), "stale_pid": stale.as_ref().map(|i| i.pid) });
        emit(global.output, &value, || {
            let mut s = format!("no local cloud is running for the data dir {}", dir.root().display());
            if let Some(i) = &stale {
                s.push_str(&format!(" (a stale endpoint file from pid {} will be replaced by the next host)", i.pid));
            }
            s
        });
        return Ok(ExitCode::from(NOT_RUNNING));
    };
    let health = AdminClient::new(info.clone()).get("health").await?;
    let value = json!({ "running": true, "url": info.url, "pid": info.pid, "data_dir": dir.root(), "health": health });
    emit(global.output, &value, || {
        let mut s = format!(
            "local cloud running at {} (pid {}, version {}, up {}s, clock {})\ndata dir: {}",
            info.url,
            info.pid,
            health["version"].as_str().unwrap_or("?"),
            health["uptime_ms"].as_u64().unwrap_or(0) / 1000,
            health["clock"]["mode"].as_str().unwrap_or("?"),
            dir.root().display()
        );
        for d in health["damaged"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "\nDAMAGED {} {}: {}",
                d["service"].as_str().unwrap_or("?"),
                d["resource"].as_str().unwrap_or("?"),
                d["reason"].as_str().unwrap_or("?")
            ));
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}

async fn stop(global: &GlobalArgs, dir: &DataDir) -> anyhow::Result<ExitCode> {
    let Some(info) = dir.live_endpoint()? else {
        emit(global.output, &json!({ "stopped": false, "running": false }), || {
            format!("no local cloud is running for the data dir {}", dir.root().display())
        });
        return Ok(ExitCode::SUCCESS);
    };
    if let Err(e) = AdminClient::new(info.clone()).post("shutdown", json!({})).await {
        tracing::warn!(error = %format!("{e:#}"), pid = info.pid, "admin shutdown failed; sending SIGTERM");
        // SAFETY: sends SIGTERM to the pid recorded by the live host of this data dir.
        unsafe { libc::kill(info.pid as libc::pid_t, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.is_locked() {
        if Instant::now() >= deadline {
            anyhow::bail!("the local cloud (pid {}) did not stop within 10 s", info.pid);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    emit(global.output, &json!({ "stopped": true, "pid": info.pid }), || {
        format!("stopped the local cloud at {} (pid {})", info.url, info.pid)
    });
    Ok(ExitCode::SUCCESS)
}

fn confirm(dir: &DataDir, output: OutputFormat) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() || output == OutputFormat::Json {
        anyhow::bail!(
            "`local reset` deletes everything in {}; pass --yes to confirm without a terminal",
            dir.root().display()
        );
    }
    eprint!(
        "This deletes every stream, record, metric, alarm and stack the local cloud holds in {}.\nType 'reset' to confirm: ",
        dir.root().display()
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "reset")
}

async fn reset(yes: bool, global: &GlobalArgs, dir: &DataDir) -> anyhow::Result<ExitCode> {
    if !yes && !confirm(dir, global.output)? {
        eprintln!("nothing was reset");
        return Ok(ExitCode::FAILURE);
    }
    if let Some(info) = dir.live_endpoint()? {
        AdminClient::new(info.clone()).post("reset", json!({})).await?;
        emit(global.output, &json!({ "reset": true, "live": true }), || {
            format!("reset the running local cloud at {}", info.url)
        });
        return Ok(ExitCode::SUCCESS);
    }
    let Some(_lock) = dir.try_lock()? else {
        anyhow::bail!("a local cloud started while resetting; run `kinesis-console local reset` again");
    };
    let keep = [dir.credentials_path(), dir.lock_path()];
    if dir.root().exists() {
        for entry in std::fs::read_dir(dir.root())? {
            let path = entry?.path();
            if keep.contains(&path) {
                continue;
            }
            let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            removed.with_context(|| format!("removing {}", path.display()))?;
        }
    }
    emit(global.output, &json!({ "reset": true, "live": false }), || {
        format!("reset the data dir {}", dir.root().display())
    });
    Ok(ExitCode::SUCCESS)
}
