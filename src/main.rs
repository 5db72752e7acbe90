use std::process::ExitCode;

use clap::Parser;
use kinesis_console::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    kinesis_console::commands::main(cli)
}
