//! kinesis-console: a terminal control plane for streaming pipelines on Amazon Kinesis,
//! with an embedded local cloud that speaks the AWS wire protocols.

pub mod cli;
pub mod cloud;
pub mod commands;
pub mod control;
pub mod duration;
pub mod execute_api;
pub mod kpl;
pub mod logging;
pub mod paths;
pub mod patterns;
pub mod producer;
pub mod target;
pub mod text_format;
pub mod ui;

/// The console's version, as it appears in stack tags and `info`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
