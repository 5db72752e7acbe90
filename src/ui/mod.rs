//! The terminal console: one event loop over the app state, views drawn from that state only, and
//! every SDK call a background job reporting back as an action. `kinesis-console` with no
//! subcommand opens it.

pub mod action;
pub mod app;
pub mod backend;
pub mod config;
pub mod event_loop;
pub mod header;
pub mod jobs;
pub mod keymap;
pub mod palette;
pub mod screen;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod views;
pub mod widgets;

use std::io;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use crossterm::event::EventStream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::cli::GlobalArgs;
use crate::cloud::clock::wall_ms;
use crate::paths::Paths;
use crate::target;

/// Whether colour is wanted: `NO_COLOR` set to anything but "" turns it off (no-color.org).
pub fn color_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub async fn run(global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let config = config::load(&paths.config_file)?;
    let mut global = global.clone();
    config.apply_to(&mut global);
    let target = global.target(paths);
    let read_only = global.read_only || config.read_only;
    let conn = Arc::new(target::connect(target.clone()).await.with_context(|| format!("connecting to {target}"))?);
    let fetch =
        Arc::new(backend::SdkBackend::new(conn.clone(), paths.log_file.clone(), crate::control::Access { read_only }));
    let header = header::HeaderInfo { target, read_only, account: None };
    let mut app = app::App::new(header, config, color_wanted(), global.ascii, wall_ms());
    let (tx, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let mut jobs = jobs::Jobs::new(fetch, tx);
    let result = {
        let _guard = terminal::TerminalGuard::enter().context("taking over the terminal")?;
        let mut term = Terminal::new(CrosstermBackend::new(io::stdout())).context("opening the terminal")?;
        event_loop::run(&mut term, &mut app, &mut jobs, &mut answers, EventStream::new(), true).await
    };
    drop(jobs);
    if let Ok(conn) = Arc::try_unwrap(conn) {
        conn.close().await;
    }
    result.map(|()| ExitCode::SUCCESS)
}
