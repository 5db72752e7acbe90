//! Where the console keeps things, following the XDG base directories.

use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    /// The local cloud's durable state, lock, endpoint and credentials.
    pub data_dir: PathBuf,
    /// Logs.
    pub state_dir: PathBuf,
    pub log_file: PathBuf,
    /// The console's settings (`ui::config`): `--config`, `KINESIS_CONSOLE_CONFIG`, else
    /// `config.yaml` in the XDG config dir.
    pub config_file: PathBuf,
}

impl Paths {
    pub fn resolve(data_dir_override: Option<&Path>) -> Self {
        let dirs = directories::ProjectDirs::from("", "", "kinesis-console");
        let fallback = || PathBuf::from(".kinesis-console");
        let data_dir = data_dir_override
            .map(Path::to_path_buf)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(fallback);
        let state_dir = dirs
            .as_ref()
            .and_then(|d| d.state_dir().map(Path::to_path_buf))
            .or_else(|| dirs.as_ref().map(|d| d.data_local_dir().join("state")))
            .unwrap_or_else(|| fallback().join("state"));
        let log_file = state_dir.join("kinesis-console.log");
        let config_file = dirs
            .as_ref()
            .map(|d| d.config_dir().to_path_buf())
            .unwrap_or_else(|| fallback().join("config"))
            .join("config.yaml");
        Paths { data_dir, state_dir, log_file, config_file }
    }

    /// These paths with the settings file a flag (or its environment variable) names.
    pub fn with_config_file(mut self, config_override: Option<&Path>) -> Self {
        if let Some(p) = config_override {
            self.config_file = p.to_path_buf();
        }
        self
    }
}
