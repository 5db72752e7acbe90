//! `kinesis-console template <id>`: the bundled CloudFormation template, byte for byte.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::patterns::catalogue;

pub fn run(pattern: &str) -> anyhow::Result<ExitCode> {
    let pattern = super::patterns::find(catalogue()?, pattern)?;
    let mut out = std::io::stdout().lock();
    out.write_all(pattern.template_text().as_bytes())
        .and_then(|()| out.flush())
        .with_context(|| format!("writing the template of {}", pattern.id))?;
    Ok(ExitCode::SUCCESS)
}
