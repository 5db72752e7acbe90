//! `kinesis-console validate <id> --param K=V…`: checks values against a pattern's template without
//! deploying. Exit 0 when valid, 1 with every problem listed when not.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::output::emit;
use crate::cli::{GlobalArgs, ValidateArgs};
use crate::patterns::{Pattern, catalogue, validate_pairs};

pub fn run(args: ValidateArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let pattern = super::patterns::find(catalogue()?, &args.pattern)?;
    let declared = &pattern.template.parameters;
    match validate_pairs(declared, &args.params) {
        Ok(values) => {
            let given = |name: &str| args.params.iter().any(|(n, _)| n == name);
            let shown: Vec<(String, String, bool)> = declared
                .iter()
                .filter_map(|p| {
                    let v = values.get(&p.name)?;
                    let v = if p.no_echo { "****".to_string() } else { v.clone() };
                    Some((p.name.clone(), v, given(&p.name)))
                })
                .collect();
            let value = json!({
                "pattern": pattern.id,
                "valid": true,
                "problems": [],
                "values": shown.iter().map(|(n, v, _)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            });
            emit(global.output, &value, || valid_text(pattern, &shown));
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            let value = json!({ "pattern": pattern.id, "valid": false, "problems": problems });
            emit(global.output, &value, || {
                let mut s = String::new();
                let n = problems.len();
                let _ = writeln!(s, "{}: {n} problem{}", pattern.id, if n == 1 { "" } else { "s" });
                for p in &problems {
                    let _ = writeln!(s, "  {p}");
                }
                s
            });
            Ok(ExitCode::FAILURE)
        }
    }
}

fn valid_text(pattern: &Pattern, shown: &[(String, String, bool)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: the values are valid", pattern.id);
    let width = shown.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, value, given) in shown {
        let value = if value.is_empty() { "(empty)" } else { value };
        let _ = writeln!(s, "  {name:width$}  {value}{}", if *given { "" } else { "  (default)" });
    }
    s
}
