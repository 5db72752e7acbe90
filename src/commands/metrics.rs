//! `kinesis-console metrics --stream NAME [--since 15m]`: a stream's key figures per period
//! (`control::metrics`), as a table or JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::output::emit;
use crate::cli::{GlobalArgs, MetricsArgs};
use crate::control::metrics::{FIGURES, StreamFigures, stream_figures};
use crate::paths::Paths;
use crate::target::{Target, connect};
use crate::text_format::{number, timestamp};

pub async fn run(args: MetricsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let target = global.target(paths);
    // Local clouds and other endpoints keep 1-second data; AWS keeps stream metrics per minute.
    let local = !matches!(target, Target::Aws { .. });
    let conn = connect(target).await?;
    let client = aws_sdk_cloudwatch::Client::new(&conn.sdk);
    let now_ms = conn.now_ms().await;
    let result = stream_figures(&client, &args.stream, args.since, local, now_ms).await;
    conn.close().await;
    let figures = result?;
    emit(global.output, &to_json(&figures), || table(&figures));
    Ok(ExitCode::SUCCESS)
}

fn to_json(figures: &StreamFigures) -> Value {
    let rows: Vec<Value> = figures
        .rows
        .iter()
        .map(|r| {
            let mut row = json!({ "timestamp": timestamp(r.timestamp_ms) });
            for (f, v) in FIGURES.iter().zip(r.values) {
                row[f.metric] = v.map_or(Value::Null, Value::from);
            }
            row
        })
        .collect();
    json!({
        "stream": figures.stream,
        "namespace": "AWS/Kinesis",
        "period_seconds": figures.period_secs,
        "start": timestamp(figures.start_ms),
        "end": timestamp(figures.end_ms),
        "rows": rows,
    })
}

fn table(figures: &StreamFigures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "stream {} (AWS/Kinesis), {}-second periods", figures.stream, figures.period_secs);
    let _ = write!(out, "{:<20}", "TIME");
    for f in FIGURES {
        let _ = write!(out, "  {:>w$}", f.title, w = f.title.len().max(10));
    }
    out.push('\n');
    for row in &figures.rows {
        let _ = write!(out, "{:<20}", timestamp(row.timestamp_ms));
        for (f, v) in FIGURES.iter().zip(row.values) {
            let cell = v.map_or("-".to_string(), number);
            let _ = write!(out, "  {cell:>w$}", w = f.title.len().max(10));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::metrics::FigureRow;

    #[test]
    fn the_table_has_a_column_per_figure_and_dashes_for_gaps() {
        let figures = StreamFigures {
            stream: "ticker".into(),
            period_secs: 10,
            start_ms: 0,
            end_ms: 20_000,
            rows: vec![
                FigureRow { timestamp_ms: 0, values: [Some(305.0), Some(30_000.0), None, None, Some(3000.0)] },
                FigureRow { timestamp_ms: 10_000, values: [None; 5] },
            ],
        };
        let text = table(&figures);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "stream ticker (AWS/Kinesis), 10-second periods");
        assert!(lines[1].starts_with("TIME") && lines[1].ends_with("ITERATOR AGE MAX (ms)"), "{text}");
        assert!(lines[2].starts_with("1970-01-01T00:00:00Z") && lines[2].ends_with(" 3000"), "{text}");
        assert_eq!(lines[3].split_whitespace().filter(|c| *c == "-").count(), 5, "{text}");
        let json = to_json(&figures);
        assert_eq!(json["rows"][0]["IncomingRecords"], 305.0);
        assert_eq!(json["rows"][1]["IncomingBytes"], Value::Null);
        assert_eq!(json["end"], "1970-01-01T00:00:20Z");
    }
}
