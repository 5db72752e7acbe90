//! `kinesis-console patterns`: the catalogue of pipeline patterns. Reads only the bundled templates;
//! no cloud is started or contacted.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::output::{emit, wrap};
use crate::cli::{GlobalArgs, PatternsArgs, PatternsCommand};
use crate::patterns::{Catalogue, Pattern, catalogue};

pub fn run(args: PatternsArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let catalogue = catalogue()?;
    match args.command {
        None => list(catalogue, global),
        Some(PatternsCommand::Show { pattern }) => super::pattern_show::run(find(catalogue, &pattern)?, global),
    }
}

/// A pattern by id or number; the error lists what exists.
pub fn find<'a>(catalogue: &'a Catalogue, key: &str) -> anyhow::Result<&'a Pattern> {
    Ok(catalogue.find(key)?)
}

fn list(catalogue: &Catalogue, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let patterns = catalogue.patterns();
    let value = json!({ "patterns": patterns });
    emit(global.output, &value, || {
        let width = patterns.iter().map(|p| p.id.len()).max().unwrap_or(2);
        let mut s = String::new();
        let _ = writeln!(s, "#  {:width$}  TITLE / SUMMARY", "ID");
        for p in patterns {
            let _ = writeln!(s, "{}  {:width$}  {}", p.number, p.id, p.title);
            let indent = " ".repeat(width + 5);
            let _ = writeln!(s, "{indent}{}", wrap(p.summary, 100 - indent.len(), &indent));
        }
        let _ = writeln!(s, "\nkinesis-console patterns show <id|number> for the parameters, outputs and alarms.");
        s
    });
    Ok(ExitCode::SUCCESS)
}
