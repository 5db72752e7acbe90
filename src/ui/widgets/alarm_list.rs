//! An alarm status widget: one row per alarm, its state in the state's colour, and why.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::ui::theme::Theme;

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    pub name: String,
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA` or `NOT_FOUND`.
    pub state: String,
    pub reason: String,
}

pub fn draw(rows: &[AlarmRow], area: Rect, buf: &mut Buffer, theme: &Theme) {
    if rows.is_empty() {
        Line::styled("no alarms", theme.dim).render(area, buf);
        return;
    }
    let state_w = rows.iter().map(|r| r.state.len()).max().unwrap_or(2);
    let name_w = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).min(area.width as usize / 2);
    for (row, y) in rows.iter().zip(area.y..area.bottom()) {
        let name: String = row.name.chars().take(name_w).collect();
        let line = Line::from(vec![
            Span::styled(format!("{:<state_w$}", row.state), theme.state(&row.state)),
            Span::raw(" "),
            Span::styled(format!("{name:<name_w$}"), theme.text),
            Span::raw(" "),
            Span::styled(row.reason.as_str(), theme.dim),
        ]);
        line.render(Rect { y, height: 1, ..area }, buf);
    }
}
