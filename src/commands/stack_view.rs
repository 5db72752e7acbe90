//! How the stack commands print: one line per event (elapsed time, logical id, type, status, reason),
//! and the tables of stacks, resources, outputs and changes. Pure functions of the view values, so
//! they are tested on recorded SDK outputs.

use std::fmt::Write as _;

use crate::control::stacks::change::ChangeRow;
use crate::control::stacks::inspect::StackDetail;
use crate::control::stacks::{StackEvent, StackOutput, StackResource, StackSummary};
use crate::text_format::{age, fit, width};

/// One event as it is printed while following: the time since `start_ms` (the operation's first
/// event), then logical id, type, status and the reason when there is one.
pub fn event_line(e: &StackEvent, start_ms: i64) -> String {
    let elapsed = (e.timestamp_ms - start_ms).max(0) as f64 / 1000.0;
    let mut line = format!("{elapsed:>7.1}s  {:<28} {:<32} {}", e.logical_id, e.resource_type, e.status);
    if let Some(r) = &e.reason {
        let _ = write!(line, "  {r}");
    }
    line.trim_end().to_string()
}

/// Rows as a table with a header, columns as wide as their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| width(&r[i])).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| fit(c, *w)).collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push('\n');
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

pub fn stacks_table(stacks: &[StackSummary], now_ms: i64) -> String {
    if stacks.is_empty() {
        return "No deployments: `kinesis-console deploy <pattern>` makes one.".into();
    }
    let rows: Vec<Vec<String>> = stacks
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.pattern.clone().unwrap_or_default(),
                s.status.clone(),
                age(now_ms - s.created_ms),
                s.alarms_in_alarm.map_or("?".into(), |n| n.to_string()),
            ]
        })
        .collect();
    table(&["STACK", "PATTERN", "STATUS", "AGE", "IN ALARM"], &rows)
}

pub fn outputs_table(outputs: &[StackOutput]) -> String {
    let rows: Vec<Vec<String>> = outputs.iter().map(|o| vec![o.key.clone(), o.value.clone()]).collect();
    table(&["OUTPUT", "VALUE"], &rows)
}

pub fn resources_table(resources: &[StackResource]) -> String {
    let rows: Vec<Vec<String>> = resources
        .iter()
        .map(|r| {
            vec![
                r.logical_id.clone(),
                r.resource_type.clone(),
                r.physical_id.clone().unwrap_or_else(|| "-".into()),
                r.status.clone(),
            ]
        })
        .collect();
    table(&["RESOURCE", "TYPE", "PHYSICAL ID", "STATUS"], &rows)
}

pub fn status_text(d: &StackDetail) -> String {
    let s = &d.stack;
    let mut out = format!("{}  {}", s.name, s.status);
    if let Some(r) = &s.reason {
        let _ = write!(out, "  {r}");
    }
    let _ = write!(out, "\npattern: {}", s.pattern.as_deref().unwrap_or("(not deployed by the console)"));
    let _ = write!(out, "\nid: {}\n\n{}", s.stack_id, resources_table(&d.resources));
    if !s.outputs.is_empty() {
        let _ = write!(out, "\n\n{}", outputs_table(&s.outputs));
    }
    if let Some(oldest) = d.events.last() {
        out.push_str("\n\nlast events:");
        for e in d.events.iter().rev() {
            let _ = write!(out, "\n{}", event_line(e, oldest.timestamp_ms));
        }
    }
    out
}

pub fn changes_table(changes: &[ChangeRow]) -> String {
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            let replacement = match c.replacement.as_deref() {
                Some("True") => "REPLACED",
                Some("Conditional") => "may be replaced",
                Some(_) => "in place",
                None => "",
            };
            vec![
                c.action.clone(),
                c.logical_id.clone(),
                c.resource_type.clone(),
                c.properties.join(", "),
                replacement.into(),
            ]
        })
        .collect();
    table(&["ACTION", "RESOURCE", "TYPE", "PROPERTIES", "REPLACEMENT"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::primitives::DateTime;
    use aws_sdk_cloudformation::types as cfn;

    fn recorded_event(
        id: &str,
        ms: i64,
        logical: &str,
        kind: &str,
        status: cfn::ResourceStatus,
        reason: Option<&str>,
    ) -> StackEvent {
        let e = cfn::StackEvent::builder()
            .event_id(id)
            .stack_name("orders")
            .logical_resource_id(logical)
            .resource_type(kind)
            .resource_status(status)
            .set_resource_status_reason(reason.map(str::to_string))
            .timestamp(DateTime::from_millis(ms))
            .build();
        StackEvent::from(&e)
    }

    #[test]
    fn an_event_line_has_elapsed_time_logical_id_type_status_and_reason() {
        let start = 1_700_000_000_000;
        let e = recorded_event(
            "1",
            start + 2_345,
            "Stream",
            "AWS::Kinesis::Stream",
            cfn::ResourceStatus::CreateInProgress,
            Some("Resource creation Initiated"),
        );
        let line = event_line(&e, start);
        assert!(line.starts_with("    2.3s  Stream "), "{line:?}");
        assert!(line.contains("AWS::Kinesis::Stream"), "{line}");
        assert!(line.ends_with("CREATE_IN_PROGRESS  Resource creation Initiated"), "{line}");
        let done = recorded_event(
            "2",
            start + 3_000,
            "Stream",
            "AWS::Kinesis::Stream",
            cfn::ResourceStatus::CreateComplete,
            None,
        );
        assert!(event_line(&done, start).ends_with("CREATE_COMPLETE"), "no trailing reason");
    }

    #[test]
    fn stacks_show_pattern_status_age_and_alarms_or_a_hint_when_there_are_none() {
        let s = cfn::Stack::builder()
            .stack_name("orders")
            .stack_status(cfn::StackStatus::CreateComplete)
            .creation_time(DateTime::from_millis(0))
            .tags(cfn::Tag::builder().key("kinesis-console:pattern").value("kds-kdf-s3").build())
            .build();
        let mut summary = StackSummary::from(&s);
        let text = stacks_table(std::slice::from_ref(&summary), 2 * 3_600_000 + 5);
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["orders", "kds-kdf-s3", "CREATE_COMPLETE", "2h", "?"]),
            "{text}"
        );
        summary.alarms_in_alarm = Some(2);
        assert!(stacks_table(&[summary], 0).lines().nth(1).is_some_and(|l| l.ends_with('2')));
        assert!(stacks_table(&[], 0).contains("kinesis-console deploy"));
    }

    #[test]
    fn a_change_that_replaces_says_so() {
        let row = ChangeRow {
            action: "Modify".into(),
            logical_id: "Stream".into(),
            physical_id: Some("orders-stream".into()),
            resource_type: "AWS::Kinesis::Stream".into(),
            replacement: Some("True".into()),
            properties: vec!["Name".into()],
        };
        let text = changes_table(&[row]);
        assert!(text.lines().nth(1).is_some_and(|l| l.contains("Name") && l.ends_with("REPLACED")), "{text}");
    }

    #[test]
    fn table_columns_line_up_in_display_columns() {
        let rows = vec![vec!["注文".to_string(), "x".to_string()], vec!["ab".to_string(), "y".to_string()]];
        let text = table(&["NAME", "V"], &rows);
        let columns: Vec<usize> =
            text.lines().map(|l| crate::text_format::width(l.trim_end().trim_end_matches(['x', 'y', 'V']))).collect();
        assert_eq!(columns, vec![6, 6, 6], "{text}");
    }
}
