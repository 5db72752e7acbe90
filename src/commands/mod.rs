//! The headless subcommands. Each returns an exit code: 0 ok, 1 failure (2, usage, is clap's).

pub mod alarms;
pub mod app;
pub mod dashboard;
pub mod deploy;
pub mod dlq;
pub mod health;
pub mod info;
pub mod invoke;
pub mod local;
pub mod metrics;
pub mod objects;
pub mod output;
pub mod pattern_show;
pub mod patterns;
pub mod produce;
pub mod stack_view;
pub mod stacks;
pub mod tail;
pub mod template;
pub mod validate;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::paths::Paths;

pub fn main(cli: Cli) -> ExitCode {
    let paths = Paths::resolve(cli.global.data_dir.as_deref()).with_config_file(cli.global.config.as_deref());
    let _log_guard = match crate::logging::init(&paths.log_file, &cli.global.log_level) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("warning: logging disabled: {e:#}");
            None
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut global = cli.global;
    // The profile an error about credentials names (service answers do not say which).
    let profile = global.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok());
    let Some(command) = cli.command else {
        // No subcommand: the console itself on a terminal; help where there is none (a pipe, a script).
        if !std::io::IsTerminal::is_terminal(&std::io::stdout()) || !std::io::IsTerminal::is_terminal(&std::io::stdin())
        {
            let _ = Cli::command().print_help();
            println!();
            return ExitCode::SUCCESS;
        }
        return finish(runtime.block_on(crate::ui::run(&global, &paths)), profile.as_deref());
    };
    // The settings file's default target and read-only hold for commands too; a broken file stops
    // them (it might have said read-only), except `info`, which reports it, and `completion`.
    if !matches!(command, Command::Info | Command::Completion { .. }) {
        match crate::ui::config::load(&paths.config_file) {
            Ok(config) => config.apply_to(&mut global),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let result = runtime.block_on(async move {
        match command {
            Command::Local(cmd) => local::run(cmd, &global, &paths).await,
            Command::Info => info::run(&global, &paths).await,
            Command::Alarms(args) => alarms::run(args, &global, &paths).await,
            Command::Metrics(args) => metrics::run(args, &global, &paths).await,
            Command::Tail(args) => tail::run(args, &global, &paths).await,
            Command::Produce(args) => produce::run(args, &global, &paths).await,
            Command::Patterns(args) => patterns::run(args, &global),
            Command::Template { pattern } => template::run(&pattern),
            Command::Validate(args) => validate::run(args, &global),
            Command::Dashboard(cmd) => dashboard::run(cmd, &global, &paths).await,
            Command::Health(args) => health::run(args, &global, &paths).await,
            Command::Deploy(args) => deploy::deploy(args, &global, &paths).await,
            Command::Stacks => stacks::list(&global, &paths).await,
            Command::Status { stack } => stacks::status(&stack, &global, &paths).await,
            Command::Events(args) => stacks::events(args, &global, &paths).await,
            Command::Update(args) => deploy::update(args, &global, &paths).await,
            Command::Delete(args) => deploy::delete(args, &global, &paths).await,
            Command::Objects(args) => objects::run(args, &global, &paths).await,
            Command::Dlq(args) => dlq::run(args, &global, &paths).await,
            Command::Invoke(args) => invoke::run(args, &global, &paths).await,
            Command::StartApp(args) => app::start(args, &global, &paths).await,
            Command::StopApp(args) => app::stop(args, &global, &paths).await,
            Command::Snapshots(args) => app::snapshots(args, &global, &paths).await,
            Command::App { stack } => app::show(&stack, &global, &paths).await,
            Command::Completion { shell } => {
                clap_complete::generate(shell, &mut Cli::command(), "kinesis-console", &mut std::io::stdout());
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    finish(result, profile.as_deref())
}

/// The exit code of a command; an error is printed first, credentials trouble as the sentence
/// naming the fix for `profile` rather than the SDK's chain of causes.
fn finish(result: anyhow::Result<ExitCode>, profile: Option<&str>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "command failed");
            let sentence = crate::control::credentials::explain_for(&e, profile);
            eprintln!("error: {}", sentence.unwrap_or_else(|| format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
