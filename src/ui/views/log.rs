//! The console log: the last lines of the log file, newest at the bottom as a tail shows them,
//! reloaded every few seconds; ↑/↓ and PgUp/PgDn scroll back, End returns to the newest.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

const LINES: usize = 500;
/// Lines PgUp and PgDn move.
const PAGE: usize = 20;

#[derive(Default)]
pub struct LogScreen {
    lines: Vec<String>,
    error: Option<String>,
    /// Lines scrolled back from the newest; 0 follows the tail.
    back: usize,
}

impl LogScreen {
    /// Scrolled back, the reader keeps their place as new lines arrive below, even once the oldest
    /// fall out of the window read: the line at the bottom of the screen is found again (log lines
    /// carry their time, so a repeat is unlikely; if it is gone, back to the tail).
    fn place_in(&self, lines: &[String]) -> usize {
        if self.back == 0 {
            return 0;
        }
        let Some(bottom) = self.lines.len().checked_sub(self.back + 1).and_then(|i| self.lines.get(i)) else {
            return 0;
        };
        lines.iter().rposition(|l| l == bottom).map_or(0, |i| lines.len() - 1 - i)
    }

    fn scroll(&mut self, up: bool, by: usize) -> Outcome {
        let max = self.lines.len().saturating_sub(1);
        self.back = if up { (self.back + by).min(max) } else { self.back.saturating_sub(by) };
        Outcome::Changed
    }
}

impl View for LogScreen {
    fn crumb(&self) -> String {
        "log".into()
    }
    fn keys(&self) -> Vec<KeyHelp> {
        vec![KeyHelp::new("↑↓ PgUp PgDn", "scroll"), KeyHelp::new("End", "newest")]
    }
    fn requests(&self) -> Vec<Request> {
        vec![Request::ConsoleLog { lines: LINES }]
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(2_000)
    }
    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll(true, 1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll(false, 1),
            KeyCode::PageUp => self.scroll(true, PAGE),
            KeyCode::PageDown => self.scroll(false, PAGE),
            KeyCode::Home => self.scroll(true, usize::MAX / 2),
            KeyCode::End => {
                self.back = 0;
                Outcome::Changed
            }
            _ => Outcome::Ignored,
        }
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::ConsoleLog, Data::ConsoleLog(lines)) => {
                self.back = self.place_in(lines);
                self.lines = lines.clone();
                self.error = None;
                true
            }
            _ => false,
        }
    }
    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::ConsoleLog {
            self.error = Some(message.to_string());
            return true;
        }
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(Line::styled(e.clone(), ctx.theme.error)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        if self.lines.is_empty() {
            frame.render_widget(Paragraph::new(Line::styled("the log is empty", ctx.theme.dim)), area);
            return;
        }
        let mut rows = area.height as usize;
        let end = self.lines.len() - self.back.min(self.lines.len() - 1);
        let note = (self.back > 0 && rows > 1).then(|| {
            rows -= 1;
            Line::styled(format!("↓ {} newer lines (End shows them)", self.back), ctx.theme.dim)
        });
        let start = end.saturating_sub(rows);
        let mut lines: Vec<Line> =
            self.lines[start..end].iter().map(|l| Line::styled(l.as_str(), ctx.theme.text)).collect();
        lines.extend(note);
        frame.render_widget(Paragraph::new(lines), area);
    }
}
