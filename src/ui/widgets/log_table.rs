//! A log widget: its Logs Insights query's results as a table. Where the target has no Logs
//! Insights (an AWS-compatible endpoint without it) the widget says so and shows the query and the
//! columns it asks for; a failed query shows why.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::control::logs_insights::{LogQueryError, LogResults};
use crate::text_format::fit;
use crate::ui::theme::Theme;

pub const NOT_AVAILABLE: &str = "Logs Insights query: not available on this target yet";

#[derive(Debug, Clone, PartialEq)]
pub struct PreparedLog {
    /// The columns of the `fields` clause (`@timestamp`, `@message`, …).
    pub columns: Vec<String>,
    pub query: String,
    /// The query's answer; None until the first refresh brings one.
    pub results: Option<Result<LogResults, LogQueryError>>,
}

impl PreparedLog {
    pub fn new(query: &str, results: Option<Result<LogResults, LogQueryError>>) -> PreparedLog {
        PreparedLog { columns: columns(query), query: query.split_whitespace().collect::<Vec<_>>().join(" "), results }
    }
}

/// The fields a query's first `fields` command names.
fn columns(query: &str) -> Vec<String> {
    query
        .split('|')
        .map(str::trim)
        .find_map(|cmd| cmd.strip_prefix("fields "))
        .map(|f| f.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
        .unwrap_or_default()
}

pub fn draw(log: &PreparedLog, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if let Some(Ok(results)) = &log.results {
        return draw_rows(results, area, buf, theme);
    }
    let mut lines = Vec::with_capacity(3);
    if !log.columns.is_empty() {
        lines.push(Line::styled(log.columns.join("  "), theme.title));
    }
    match &log.results {
        Some(Err(LogQueryError::NotAvailable)) => lines.push(Line::styled(NOT_AVAILABLE, theme.insufficient)),
        Some(Err(LogQueryError::Failed(why))) => lines.push(Line::styled(format!("Logs Insights: {why}"), theme.error)),
        _ => lines.push(Line::styled("Logs Insights query running…", theme.dim)),
    }
    lines.push(Line::styled(log.query.as_str(), theme.dim));
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
}

/// The rows under their fields, each column as wide as its widest cell up to an even share of the
/// width; the last column takes what is left.
fn draw_rows(results: &LogResults, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if results.rows.is_empty() {
        Paragraph::new(Line::styled("no log events in this range", theme.dim)).render(area, buf);
        return;
    }
    let n = results.columns.len().max(1);
    let share = (area.width as usize / n).max(4);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            let widest = results.rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0);
            widest.max(results.columns.get(i).map_or(0, |c| c.chars().count())).min(share)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let last = i + 1 == cells.len();
            text.push_str(&if last { cell.clone() } else { fit(cell, widths[i]) + " " });
        }
        text
    };
    let mut lines = vec![Line::styled(line(&results.columns), theme.title)];
    lines.extend(results.rows.iter().take(area.height as usize).map(|r| Line::styled(line(r), theme.text)));
    Paragraph::new(lines).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_come_from_the_fields_command() {
        let q = "SOURCE '/aws/lambda/x' | fields @timestamp, @message\n| sort @timestamp desc | limit 20";
        let log = PreparedLog::new(q, None);
        assert_eq!(log.columns, vec!["@timestamp", "@message"]);
        assert_eq!(log.query, "SOURCE '/aws/lambda/x' | fields @timestamp, @message | sort @timestamp desc | limit 20");
        assert!(PreparedLog::new("stats count(*) by bin(5m)", None).columns.is_empty());
    }

    fn drawn(log: &PreparedLog, w: u16, h: u16) -> String {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        draw(log, area, &mut buf, &Theme::new(crate::ui::theme::ThemeName::Dark, false));
        (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string() + "\n").collect()
    }

    #[test]
    fn results_are_a_table_and_a_target_without_logs_insights_says_so() {
        let q = "SOURCE 'g' | fields @timestamp, @message";
        let rows = LogResults {
            columns: vec!["@timestamp".into(), "@message".into()],
            rows: vec![vec!["2026-11-29 12:00:01".into(), "checkpoint 7 completed".into()]],
        };
        let table = drawn(&PreparedLog::new(q, Some(Ok(rows))), 60, 3);
        assert_eq!(table, "@timestamp          @message\n2026-11-29 12:00:01 checkpoint 7 completed\n\n");
        let local = drawn(&PreparedLog::new(q, Some(Err(LogQueryError::NotAvailable))), 60, 3);
        assert!(local.contains(NOT_AVAILABLE), "{local}");
        let failed = drawn(&PreparedLog::new(q, Some(Err(LogQueryError::Failed("AccessDenied".into())))), 60, 3);
        assert!(failed.contains("Logs Insights: AccessDenied"), "{failed}");
    }
}
