//! One host per data dir, like an embedded database: the first process that needs the local cloud
//! takes the data dir's lock, serves, and writes `endpoint.json`; every other process reads that file
//! and connects as an ordinary client. The lock is an OS file lock, so a host killed with `kill -9`
//! leaves no lock behind; its stale `endpoint.json` (dead pid) is replaced by the next host.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::auth::LocalCredentials;
use super::files;

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

    /// Creates the data dir owner-only (0700); an existing one keeps its mode (see [`Self::permission_warning`]).
    fn ensure(&self) -> anyhow::Result<()> {
        files::create_private_dir_all(&self.root).with_context(|| format!("creating data dir {}", self.root.display()))
    }

    /// What is wrong when the data dir is open to other users.
    pub fn permission_warning(&self) -> Option<String> {
        files::permission_warning(&self.root)
    }

    /// Takes the host lock if no live process holds it.
    pub fn try_lock(&self) -> anyhow::Result<Option<HostLock>> {
        self.ensure()?;
        let path = self.lock_path();
        let file = files::private_options()
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
        let path = self.endpoint_path();
        files::write_atomic(&path, &serde_json::to_vec_pretty(info)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The local credentials, generated on first use and kept with mode 0600.
    pub fn load_or_create_credentials(&self) -> anyhow::Result<LocalCredentials> {
        self.ensure()?;
        let path = self.credentials_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not a valid credentials file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = LocalCredentials::try_generate().context("reading the OS random number generator")?;
                files::write_atomic(&path, &serde_json::to_vec_pretty(&creds)?)
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(creds)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: kill with signal 0 only checks that the process exists; it sends nothing.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
