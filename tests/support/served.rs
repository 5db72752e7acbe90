//! `local serve` as a child process, for tests of the binary as users run it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kinesis_console::cloud::host::EndpointInfo;

use super::bin;

pub struct Served {
    pub child: Child,
    pub info: serde_json::Value,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `local serve --port 0 --output json` and waits (with a deadline) for its JSON line.
pub fn serve(dir: &Path) -> Served {
    serve_with(dir, &[])
}

/// As [`serve`], with more `local serve` flags.
pub fn serve_with(dir: &Path, flags: &[&str]) -> Served {
    let mut child = bin()
        .args(["--data-dir", dir.to_str().unwrap(), "--output", "json", "local", "serve", "--port", "0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            text.push_str(&line);
            if line.starts_with('}') {
                let _ = tx.send(text.clone());
            }
        }
    });
    let text = rx.recv_timeout(Duration::from_secs(30)).expect("serve prints its endpoint within 30 s");
    Served { child, info: serde_json::from_str(&text).expect("serve prints JSON") }
}

impl Served {
    /// The endpoint as other processes see it.
    pub fn endpoint(&self) -> EndpointInfo {
        let s = |k: &str| self.info[k].as_str().unwrap_or_default().to_string();
        EndpointInfo {
            url: s("url"),
            region: s("region"),
            access_key_id: s("access_key_id"),
            secret_access_key: s("secret_access_key"),
            pid: self.info["pid"].as_u64().unwrap_or_default() as u32,
            version: kinesis_console::VERSION.to_string(),
        }
    }
}
