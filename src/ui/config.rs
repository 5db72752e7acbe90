//! The console's settings: theme, refresh, read-only, default target, chart style and key overrides,
//! read from `config.yaml` under the XDG config dir (`--config FILE` or `KINESIS_CONSOLE_CONFIG`
//! name another). A missing file means the defaults; a file that cannot be read as settings is an
//! error naming the file, the line and what is wrong, never silently ignored.
//!
//! ```yaml
//! theme: light            # dark | light
//! refresh: 30s            # a duration with a unit, as --since takes it; absent: the metric period
//! read-only: true         # refuse every action that changes anything
//! default-target: aws     # local | aws, when no --target flag or KINESIS_CONSOLE_TARGET names one
//! chart-style: ascii      # braille | ascii
//! keys:                   # action: key — see keymap::ACTIONS
//!   quit: x
//!   refresh: F5
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::keymap;
use super::theme::ThemeName;
use crate::cli::GlobalArgs;
use crate::target::TargetKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartStyle {
    Braille,
    Ascii,
}

/// The settings, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Config {
    pub theme: ThemeName,
    /// Dashboard refresh in seconds; absent: the metric period.
    pub refresh_secs: Option<u64>,
    pub read_only: bool,
    /// The target when no flag or environment variable names one.
    pub default_target: Option<TargetKind>,
    pub chart_style: ChartStyle,
    /// Action name → key, e.g. `quit: x`; every action is one of [`keymap::ACTIONS`].
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

impl Config {
    /// Applies the settings the command line shares with the console: the default target (when no
    /// flag or environment variable names one) and read-only, which a flag can add but not remove.
    pub fn apply_to(&self, global: &mut GlobalArgs) {
        global.default_target = self.default_target;
        global.read_only |= self.read_only;
    }
}

/// The file as written: the same fields, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    theme: Option<ThemeName>,
    refresh: Option<String>,
    read_only: Option<bool>,
    default_target: Option<TargetKind>,
    chart_style: Option<ChartStyle>,
    keys: BTreeMap<String, String>,
}

/// A settings file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// Whether the settings file exists, as `info` reports it.
pub fn exists(path: &Path) -> bool {
    path.is_file()
}

/// The settings in `path`; the defaults when there is no such file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            return Err(ConfigError { path: path.to_path_buf(), line: None, message: format!("cannot read it: {e}") });
        }
    };
    parse(&text).map_err(|(line, message)| ConfigError { path: path.to_path_buf(), line, message })
}

/// `text` as settings, or the line (when known) and what is wrong there.
pub fn parse(text: &str) -> Result<Config, (Option<usize>, String)> {
    // A file of comments only is an empty document, which serde_yaml will not read as a mapping.
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(Config::default());
    }
    let file: File = serde_yaml::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        (e.location().map(|l| l.line()), message)
    })?;
    let line_of = |key: &str| line_of(text, key);
    let refresh_secs = match &file.refresh {
        None => None,
        Some(r) => {
            Some(crate::duration::parse(r).map_err(|e| (line_of("refresh"), format!("refresh: {e}")))?.as_secs())
        }
    };
    for (action, key) in &file.keys {
        let at = line_of(action);
        if !keymap::is_action(action) {
            let known = keymap::action_names().join(", ");
            return Err((at, format!("keys: unknown action `{action}`, expected one of {known}")));
        }
        keymap::parse_key(key).map_err(|e| (at, format!("keys: {e} (for {action})")))?;
    }
    // Clashes, with each other or with a default key, as the console would meet them.
    keymap::KeyMap::new(&file.keys).map_err(|e| (line_of("keys"), e))?;
    Ok(Config {
        theme: file.theme.unwrap_or(ThemeName::Dark),
        refresh_secs,
        read_only: file.read_only.unwrap_or(false),
        default_target: file.default_target,
        chart_style: file.chart_style.unwrap_or(ChartStyle::Braille),
        keys: file.keys,
    })
}

/// The first line where `key:` starts a mapping entry (1-based), for errors found after parsing.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':')))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> (Option<usize>, String) {
        parse(text).expect_err("invalid")
    }

    #[test]
    fn a_full_file_is_read_into_settings() {
        let text = "# mine\ntheme: light\nrefresh: 30s\nread-only: true\ndefault-target: aws\nchart-style: ascii\n\
                    keys:\n  quit: x\n  refresh: F5\n";
        let config = parse(text).expect("valid");
        assert_eq!(config.theme, ThemeName::Light);
        assert_eq!(config.refresh_secs, Some(30));
        assert!(config.read_only);
        assert_eq!(config.default_target, Some(TargetKind::Aws));
        assert_eq!(config.chart_style, ChartStyle::Ascii);
        let map = keymap::KeyMap::new(&config.keys).expect("valid keys");
        let press = |code| crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
        use crossterm::event::KeyCode;
        assert_eq!(map.action(&press(KeyCode::Char('x'))), Some(keymap::ShellAction::Quit));
        assert_eq!(map.action(&press(KeyCode::F(5))), Some(keymap::ShellAction::Refresh));
        assert_eq!(map.action(&press(KeyCode::Char('?'))), Some(keymap::ShellAction::Help));
    }

    #[test]
    fn empty_files_and_absent_fields_are_the_defaults() {
        assert_eq!(parse(""), Ok(Config::default()));
        assert_eq!(parse("# nothing yet\n\n"), Ok(Config::default()));
        assert_eq!(parse("theme: dark\n"), Ok(Config::default()));
    }

    #[test]
    fn an_unknown_setting_is_named_with_its_line() {
        let (line, message) = error_of("theme: dark\ncolour: blue\n");
        assert_eq!(line, Some(2));
        assert!(message.contains("unknown field `colour`") && message.contains("theme"), "{message}");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_line() {
        let (line, message) = error_of("theme: dark\n\nread-only: sometimes\n");
        assert_eq!(line, Some(3));
        assert!(message.contains("read-only") || message.contains("boolean"), "{message}");
        let (line, message) = error_of("keys: [quit]\n");
        assert_eq!(line, Some(1));
        assert!(message.contains("keys") || message.contains("map"), "{message}");
    }

    #[test]
    fn an_unknown_theme_target_or_chart_style_says_what_is_allowed() {
        let (line, message) = error_of("refresh: 5s\ntheme: blue\n");
        assert_eq!(line, Some(2));
        assert!(message.contains("unknown variant `blue`") && message.contains("light"), "{message}");
        let (_, message) = error_of("default-target: gcp\n");
        assert!(message.contains("`gcp`") && message.contains("aws"), "{message}");
        let (_, message) = error_of("chart-style: dots\n");
        assert!(message.contains("`dots`") && message.contains("braille"), "{message}");
    }

    #[test]
    fn a_refresh_takes_the_one_duration_rule() {
        let (line, message) = error_of("theme: dark\nrefresh: 30\n");
        assert_eq!(line, Some(2));
        assert!(message.contains("refresh: '30' needs a unit"), "{message}");
    }

    #[test]
    fn keys_are_checked_against_the_shells_actions() {
        let (line, message) = error_of("keys:\n  quit: x\n  explode: e\n");
        assert_eq!(line, Some(3));
        assert!(message.contains("unknown action `explode`") && message.contains("palette"), "{message}");
        let (_, message) = error_of("keys:\n  quit: Ctrl-Q\n");
        assert!(message.contains("`Ctrl-Q` is not a key") && message.contains("(for quit)"), "{message}");
        let (_, message) = error_of("keys:\n  quit: x\n  help: x\n");
        assert!(message.contains("`x` is bound to both help and quit"), "{message}");
        let (_, message) = error_of("keys:\n  quit: r\n");
        assert!(message.contains("`r` is bound to both refresh and quit"), "a default key counts: {message}");
    }

    #[test]
    fn loading_names_the_file_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.yaml");
        assert_eq!(load(&path), Ok(Config::default()));
        assert!(!exists(&path));
        std::fs::write(&path, "theme: blue\n").expect("write");
        let e = load(&path).expect_err("invalid");
        assert_eq!(e.line, Some(1));
        assert!(e.to_string().starts_with(&format!("{} line 1: theme: unknown variant `blue`", path.display())), "{e}");
    }

    #[test]
    fn the_file_sets_the_default_target_and_can_add_read_only_but_not_remove_it() {
        use clap::Parser as _;
        let cli = |args: &[&str]| crate::cli::Cli::try_parse_from(args).expect("parses").global;
        let config = parse("default-target: aws\nread-only: true\n").expect("valid");
        let paths = crate::paths::Paths::resolve(Some(Path::new("/tmp/kc-test")));
        let mut global = cli(&["kc"]);
        config.apply_to(&mut global);
        assert!(global.read_only);
        assert!(matches!(global.target(&paths), crate::target::Target::Aws { .. }));
        let mut flagged = cli(&["kc", "--target", "local"]);
        config.apply_to(&mut flagged);
        assert!(matches!(flagged.target(&paths), crate::target::Target::Local { .. }));
        let mut read_only = cli(&["kc", "--read-only"]);
        Config::default().apply_to(&mut read_only);
        assert!(read_only.read_only);
    }
}
