//! Prints a command's result as text for people or JSON for scripts.

use crate::cli::OutputFormat;

pub fn emit(format: OutputFormat, json: &serde_json::Value, text: impl FnOnce() -> String) {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(json).unwrap_or_default()),
        OutputFormat::Text => {
            let t = text();
            if !t.is_empty() {
                println!("{}", t.trim_end());
            }
        }
    }
}
