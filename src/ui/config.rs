//! The console's settings: theme, refresh, read-only, default target, chart style and key overrides,
//! read from a YAML file under the XDG config dir.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::theme::ThemeName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartStyle {
    Braille,
    Ascii,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub theme: ThemeName,
    /// Dashboard refresh in seconds; absent: the metric period.
    pub refresh_secs: Option<u64>,
    pub read_only: bool,
    /// `local` or `aws` when no flag names one.
    pub default_target: Option<String>,
    pub chart_style: ChartStyle,
    /// Action name → key, e.g. `quit: x`.
    pub keys: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: ThemeName::Dark,
            refresh_secs: None,
            read_only: false,
            default_target: None,
            chart_style: ChartStyle::Braille,
            keys: BTreeMap::new(),
        }
    }
}
