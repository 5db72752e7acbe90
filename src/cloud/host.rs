//! One host per data dir, like an embedded database: the first process that needs the local cloud
//! takes the data dir's lock, serves, and writes `endpoint.json`; every other process reads that file
//! and connects as an ordinary client. The lock is an OS file lock, so a host killed with `kill -9`
//! leaves no lock behind; its stale `endpoint.json` (dead pid) is replaced by the next host.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::auth::LocalCredentials;

/// What a running host publishes for other processes (mode 0600: it holds the secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EndpointInfo {
    pub url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub pid: u32,
    pub version: String,
}

impl EndpointInfo {
    pub fn credentials(&self) -> LocalCredentials {
        LocalCredentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// Held by the hosting process for as long as it serves.
#[derive(Debug)]
pub struct HostLock {
    file: File,
    endpoint_path: PathBuf,
}

impl Drop for HostLock {
    fn drop(&mut self) {
        // Only our own endpoint file is removed; the lock itself goes with the file handle.
        if let Ok(text) = fs::read_to_string(&self.endpoint_path)
            && serde_json::from_str::<EndpointInfo>(&text).is_ok_and(|i| i.pid == std::process::id())
        {
            let _ = fs::remove_file(&self.endpoint_path);
        }
        let _ = self.file.unlock();
    }
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join("host.lock")
    }

    pub fn endpoint_path(&self) -> PathBuf {
        self.root.join("endpoint.json")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.root.join("credentials.json")
    }

    fn ensure(&self) -> anyhow::Result<()> {
        fs::create_dir_all(&self.root).with_context(|| format!("creating data dir {}", self.root.display()))
    }

    /// Takes the host lock if no live process holds it.
    pub fn try_lock(&self) -> anyhow::Result<Option<HostLock>> {
        self.ensure()?;
        let path = self.lock_path();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(HostLock { file, endpoint_path: self.endpoint_path() })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
        }
    }

    /// True when some process holds the host lock right now.
    pub fn is_locked(&self) -> bool {
        let Ok(file) = OpenOptions::new().write(true).open(self.lock_path()) else {
            return false;
        };
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
    }

    /// Reads `endpoint.json`; a missing file is `None`, a corrupt one an error naming it.
    pub fn read_endpoint(&self) -> anyhow::Result<Option<EndpointInfo>> {
        let path = self.endpoint_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .with_context(|| format!("{} is not a valid endpoint file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The endpoint of a live host, if there is one: the lock is held and the pid is alive.
    pub fn live_endpoint(&self) -> anyhow::Result<Option<EndpointInfo>> {
        let Some(info) = self.read_endpoint()? else { return Ok(None) };
        Ok((pid_alive(info.pid) && self.is_locked()).then_some(info))
    }

    pub fn write_endpoint(&self, _lock: &HostLock, info: &EndpointInfo) -> anyhow::Result<()> {
        write_private(&self.endpoint_path(), &serde_json::to_vec_pretty(info)?)
    }

    /// The local credentials, generated on first use and kept with mode 0600.
    pub fn load_or_create_credentials(&self) -> anyhow::Result<LocalCredentials> {
        self.ensure()?;
        let path = self.credentials_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not a valid credentials file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = LocalCredentials::generate();
                write_private(&path, &serde_json::to_vec_pretty(&creds)?)?;
                Ok(creds)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// Writes a file readable by its owner only, atomically (temp file + rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: kill with signal 0 only checks that the process exists; it sends nothing.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Asks a host over its admin API; errors say which URL did not answer.
pub struct AdminClient {
    http: reqwest::Client,
    info: EndpointInfo,
}

impl AdminClient {
    pub fn new(info: EndpointInfo) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).no_proxy().build().unwrap_or_default();
        AdminClient { http, info }
    }

    pub fn info(&self) -> &EndpointInfo {
        &self.info
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}/_kc/{path}", self.info.url);
        let mut req = self.http.request(method, &url).bearer_auth(&self.info.secret_access_key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("the local cloud at {} did not answer", self.info.url))?;
        let status = resp.status();
        let value: serde_json::Value = resp.json().await.with_context(|| format!("reading the answer of {url}"))?;
        if !status.is_success() {
            let msg = value.get("error").and_then(|v| v.as_str()).unwrap_or("unknown error");
            anyhow::bail!("{url} answered {status}: {msg}");
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}
