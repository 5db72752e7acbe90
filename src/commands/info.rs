//! `kinesis-console info`: version, every path used, and the target it would talk to.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::output::emit;
use crate::cli::GlobalArgs;
use crate::cloud::host::DataDir;
use crate::paths::Paths;
use crate::target::Target;

pub async fn run(global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let target = global.target(paths);
    let dir = DataDir::new(&paths.data_dir);
    let host = match &target {
        Target::Local { .. } => dir.live_endpoint().ok().flatten(),
        _ => None,
    };
    let value = json!({
        "version": crate::VERSION,
        "target": target,
        "read_only": global.read_only,
        "paths": {
            "data_dir": paths.data_dir,
            "state_dir": paths.state_dir,
            "log_file": paths.log_file,
            "endpoint_file": dir.endpoint_path(),
            "credentials_file": dir.credentials_path(),
            "lock_file": dir.lock_path(),
        },
        "local_cloud": host.as_ref().map(|h| json!({ "url": h.url, "pid": h.pid })),
    });
    emit(global.output, &value, || {
        let mut s = String::new();
        let _ = writeln!(s, "kinesis-console {}", crate::VERSION);
        let _ = writeln!(s, "target:           {target}{}", if global.read_only { " (read-only)" } else { "" });
        if let Target::Local { .. } = target {
            match &host {
                Some(h) => {
                    let _ = writeln!(s, "local cloud:      running at {} (pid {})", h.url, h.pid);
                }
                None => {
                    let _ = writeln!(s, "local cloud:      not running; the next command that needs it hosts it");
                }
            }
        }
        let _ = writeln!(s, "data dir:         {}", paths.data_dir.display());
        let _ = writeln!(s, "state dir:        {}", paths.state_dir.display());
        let _ = writeln!(s, "log file:         {}", paths.log_file.display());
        let _ = writeln!(s, "endpoint file:    {}", dir.endpoint_path().display());
        let _ = writeln!(s, "credentials file: {}", dir.credentials_path().display());
        s
    });
    Ok(ExitCode::SUCCESS)
}
