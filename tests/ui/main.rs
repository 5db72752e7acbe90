//! The console: whole screens drawn with ratatui's `TestBackend` and snapshotted, the update
//! function driven by actions, and the real binary in a pseudo-terminal.

#[path = "../support/mod.rs"]
mod support;

mod app_view;
mod dashboard;
mod dashboard_paging;
mod header;
mod producing;
mod pty;
mod pty_console;
mod render;
mod shell;
mod update;
mod views;
mod views_cloud;
mod views_fixtures;
