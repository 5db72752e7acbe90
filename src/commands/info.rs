//! `kinesis-console info`: version, every path used, and the target it would talk to.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::output::emit;
use crate::cli::GlobalArgs;
use crate::cloud::host::DataDir;
use crate::paths::Paths;
use crate::target::Target;
use crate::ui::config;

pub async fn run(global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    // A broken settings file is reported here rather than refused: `info` is where one looks.
    let settings = config::load(&paths.config_file);
    let mut global = global.clone();
    if let Ok(c) = &settings {
        c.apply_to(&mut global);
    }
    let config_exists = config::exists(&paths.config_file);
    let config_state = match (&settings, config_exists) {
        (Err(e), _) => format!("invalid: {e}"),
        (Ok(_), true) => "exists".to_string(),
        (Ok(_), false) => "not found; the defaults apply".to_string(),
    };
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
            "config_file": paths.config_file,
        },
        "config": {
            "path": paths.config_file,
            "exists": config_exists,
            "error": settings.as_ref().err().map(ToString::to_string),
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
        let _ = writeln!(s, "config file:      {} ({config_state})", paths.config_file.display());
        s
    });
    Ok(ExitCode::SUCCESS)
}
