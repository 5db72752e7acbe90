//! A log widget: its Logs Insights query's results as a table. The local cloud has no Logs
//! Insights yet, so until it does the widget says so and shows the query and the columns it asks for.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::ui::theme::Theme;

pub const NOT_AVAILABLE: &str = "Logs Insights query: not available on this target yet";

#[derive(Debug, Clone, PartialEq)]
pub struct PreparedLog {
    /// The columns of the `fields` clause (`@timestamp`, `@message`, …).
    pub columns: Vec<String>,
    pub query: String,
}

impl PreparedLog {
    pub fn new(query: &str) -> PreparedLog {
        PreparedLog { columns: columns(query), query: query.split_whitespace().collect::<Vec<_>>().join(" ") }
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
    let mut lines = Vec::with_capacity(3);
    if !log.columns.is_empty() {
        lines.push(Line::styled(log.columns.join("  "), theme.title));
    }
    lines.push(Line::styled(NOT_AVAILABLE, theme.insufficient));
    lines.push(Line::styled(log.query.as_str(), theme.dim));
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_come_from_the_fields_command() {
        let q = "SOURCE '/aws/lambda/x' | fields @timestamp, @message\n| sort @timestamp desc | limit 20";
        let log = PreparedLog::new(q);
        assert_eq!(log.columns, vec!["@timestamp", "@message"]);
        assert_eq!(log.query, "SOURCE '/aws/lambda/x' | fields @timestamp, @message | sort @timestamp desc | limit 20");
        assert!(PreparedLog::new("stats count(*) by bin(5m)").columns.is_empty());
    }
}
