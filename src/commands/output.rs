//! Prints a command's result as text for people or JSON for scripts.

/// The `--output` flag: text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

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

/// `text` broken at spaces into lines of at most `width` characters (a longer word stays whole),
/// each line after the first starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    wrap_items(&words, " ", width, indent)
}

/// `items` joined by `sep`, broken between items into lines of at most `width` characters.
pub fn wrap_items(items: &[&str], sep: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for item in items {
        let len = item.chars().count();
        if line_len > 0 && line_len + sep.len() + len > width {
            out.push_str(sep.trim_end());
            out.push('\n');
            out.push_str(indent);
            line_len = 0;
        } else if line_len > 0 {
            out.push_str(sep);
            line_len += sep.chars().count();
        }
        out.push_str(item);
        line_len += len;
    }
    out
}
