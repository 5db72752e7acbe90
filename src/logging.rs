//! Logs go to a file under the XDG state dir, never to the terminal the console owns.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts file logging; keep the guard alive until exit so buffered lines are written.
/// `KINESIS_CONSOLE_LOG` (an `EnvFilter` directive) overrides `level`.
pub fn init(log_file: &Path, level: &str) -> anyhow::Result<WorkerGuard> {
    let dir = log_file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = log_file.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "kinesis-console.log".into());
    let appender = tracing_appender::rolling::never(dir, name);
    // The default queue preallocates 128,000 line slots (about 4 MB resident from the first moment);
    // a few thousand absorb any burst the console produces.
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().buffered_lines_limit(4096).finish(appender);
    let filter = EnvFilter::try_from_env("KINESIS_CONSOLE_LOG")
        .or_else(|_| EnvFilter::try_new(format!("kinesis_console={level},warn")))
        .map_err(|e| anyhow::anyhow!("invalid log level '{level}': {e}"))?;
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok();
    Ok(guard)
}
