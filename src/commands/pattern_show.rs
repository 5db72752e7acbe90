//! `kinesis-console patterns show <id>`: what a pattern deploys, what it asks for, what it reports
//! and what it watches — all read from its template.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use super::output::{emit, wrap, wrap_items};
use crate::cli::GlobalArgs;
use crate::patterns::Pattern;
use crate::patterns::alarms::{Alarm, AlarmMetric, MetricStat};
use crate::patterns::dashboard::{Dashboard, Widget};
use crate::patterns::intrinsic::{Expr, Values};
use crate::patterns::parameters::Parameter;

/// The text is laid out for terminals this wide.
const WIDTH: usize = 100;

pub fn run(pattern: &Pattern, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let t = &pattern.template;
    let widgets = match &t.dashboard {
        Some(d) => d.widgets()?,
        None => Vec::new(),
    };
    let value = json!({
        "id": pattern.id,
        "number": pattern.number,
        "title": pattern.title,
        "summary": pattern.summary,
        "file": pattern.file,
        "description": t.description,
        "diagram": pattern.diagram,
        "resources": t.resources,
        "parameters": t.parameters,
        "outputs": t.outputs,
        "alarms": t.alarms,
        "dashboard": t.dashboard.as_ref().map(|d| json!({
            "logical_id": d.logical_id,
            "name": d.name,
            "widgets": widgets,
        })),
    });
    emit(global.output, &value, || text(pattern, &widgets));
    Ok(ExitCode::SUCCESS)
}

/// The whole description for a person.
fn text(pattern: &Pattern, widgets: &[Widget]) -> String {
    let t = &pattern.template;
    let mut s = String::new();
    let _ = writeln!(s, "Pattern {}: {} — {}", pattern.number, pattern.id, pattern.title);
    let _ = writeln!(s, "{}\n", wrap(pattern.summary, WIDTH, ""));
    let _ = writeln!(s, "{}", pattern.diagram.trim_end());

    let _ = writeln!(s, "\nResources ({})", t.resources.len());
    let width = t.resources.iter().map(|r| r.logical_id.len()).max().unwrap_or(0);
    for r in &t.resources {
        let _ = writeln!(s, "  {:width$}  {}", r.logical_id, r.type_name);
    }

    let _ = writeln!(s, "\nParameters ({})", t.parameters.len());
    let mut group: Option<Option<&str>> = None;
    for p in &t.parameters {
        if group != Some(p.group.as_deref()) {
            group = Some(p.group.as_deref());
            let _ = writeln!(s, "  {}", p.group.as_deref().unwrap_or("Other parameters"));
        }
        parameter(&mut s, p);
    }

    let _ = writeln!(s, "\nOutputs ({})", t.outputs.len());
    let width = t.outputs.iter().map(|o| o.key.len()).max().unwrap_or(0);
    for o in &t.outputs {
        let _ = writeln!(s, "  {:width$}  {}", o.key, o.description.as_deref().unwrap_or(""));
    }

    let _ = writeln!(s, "\nAlarms ({}; no actions)", t.alarms.len());
    for a in &t.alarms {
        alarm(&mut s, a);
    }

    if let Some(d) = &t.dashboard {
        dashboard(&mut s, d, widgets);
    }
    let _ = writeln!(s, "\nkinesis-console template {} prints the template.", pattern.id);
    s
}

fn parameter(s: &mut String, p: &Parameter) {
    match &p.label {
        Some(label) => {
            let _ = writeln!(s, "    {} — {}", p.name, label);
        }
        None => {
            let _ = writeln!(s, "    {}", p.name);
        }
    }
    let _ = writeln!(s, "        {}", wrap(&constraints(p).join(", "), WIDTH - 8, "        "));
    if let Some(d) = &p.description {
        let _ = writeln!(s, "        {}", wrap(d, WIDTH - 8, "        "));
    }
}

/// Type, default and every constraint, in the words of the declaration.
pub fn constraints(p: &Parameter) -> Vec<String> {
    let mut c = vec![p.type_name.clone()];
    c.push(match p.default.as_deref() {
        None => "required".into(),
        Some("") => "default empty".into(),
        Some(d) if p.no_echo => format!("default {}", "*".repeat(d.len().min(8))),
        Some(d) => format!("default {d}"),
    });
    if p.no_echo {
        c.push("secret (NoEcho)".into());
    }
    match (p.min_value, p.max_value) {
        (Some(min), Some(max)) => c.push(format!("{min} to {max}")),
        (Some(min), None) => c.push(format!("at least {min}")),
        (None, Some(max)) => c.push(format!("at most {max}")),
        (None, None) => {}
    }
    match (p.min_length, p.max_length) {
        (Some(min), Some(max)) => c.push(format!("{min} to {max} characters")),
        (Some(min), None) => c.push(format!("at least {min} characters")),
        (None, Some(max)) => c.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    if !p.allowed_values.is_empty() {
        c.push(format!("one of {}", p.allowed_values.join(" | ")));
    }
    if let Some(pattern) = &p.allowed_pattern {
        c.push(format!("matching {pattern}"));
    }
    c
}

fn alarm(s: &mut String, a: &Alarm) {
    let (watched, inputs) = match &a.metric {
        AlarmMetric::Single { stat } => (stat.metric_name.clone(), vec![metric(stat)]),
        AlarmMetric::Math { queries } => {
            let returned = queries.iter().find(|q| q.return_data != Some(false) && q.expression.is_some());
            let expr = returned.and_then(|q| q.expression.as_deref()).unwrap_or("?");
            let label = returned.and_then(|q| q.label.as_deref()).map(|l| format!(" ({l})")).unwrap_or_default();
            let inputs = queries
                .iter()
                .filter_map(|q| q.metric_stat.as_ref().map(|m| format!("{} = {}, {}", q.id, m.metric_name, metric(m))))
                .collect();
            (format!("{expr}{label}"), inputs)
        }
    };
    let datapoints = a.datapoints_to_alarm.unwrap_or(a.evaluation_periods);
    let missing = a.treat_missing_data.as_deref().unwrap_or("missing");
    let _ = writeln!(s, "  {} ({})", a.logical_id, name(a.alarm_name.as_ref()));
    let when = format!(
        "fires when {watched} {} {} in {datapoints} of {} periods; missing data: {missing}",
        a.comparison_symbol(),
        a.threshold,
        a.evaluation_periods
    );
    let _ = writeln!(s, "      {}", wrap(&when, WIDTH - 6, "        "));
    for input in inputs {
        let _ = writeln!(s, "      {}", wrap(&input, WIDTH - 6, "        "));
    }
}

/// How a metric is read: `Maximum over 60 s of AWS/Kinesis by StreamName`.
fn metric(m: &MetricStat) -> String {
    let dims: Vec<&str> = m.dimensions.iter().map(|d| d.name.as_str()).collect();
    format!("{} over {} s of {} by {}", m.stat, m.period, m.namespace, dims.join(", "))
}

fn dashboard(s: &mut String, d: &Dashboard, widgets: &[Widget]) {
    let _ = writeln!(s, "\nDashboard {} ({} widgets)", name(d.name.as_ref()), widgets.len());
    let mut section: Vec<&str> = Vec::new();
    let flush = |s: &mut String, section: &mut Vec<&str>| {
        if !section.is_empty() {
            let _ = writeln!(s, "      {}", wrap_items(section, " · ", WIDTH - 6, "      "));
            section.clear();
        }
    };
    for w in widgets {
        if w.kind == "text" {
            flush(s, &mut section);
            let _ = writeln!(s, "  {}", w.title.trim_start_matches('#').trim());
        } else {
            section.push(&w.title);
        }
    }
    flush(s, &mut section);
}

/// A resource name as a deployment gets it: the stack name shown as `<stack>`.
fn name(expr: Option<&Expr>) -> String {
    let Some(expr) = expr else { return "(generated name)".into() };
    let values: Values = [("AWS::StackName".to_string(), "<stack>".to_string())].into();
    expr.resolve(&values).unwrap_or_else(|_| expr.to_string())
}
