//! The console log: the last lines of the log file, reloaded every few seconds.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

const LINES: usize = 500;

#[derive(Default)]
pub struct LogScreen {
    lines: Vec<String>,
    error: Option<String>,
}

impl View for LogScreen {
    fn crumb(&self) -> String {
        "log".into()
    }
    fn keys(&self) -> Vec<KeyHelp> {
        Vec::new()
    }
    fn requests(&self) -> Vec<Request> {
        vec![Request::ConsoleLog { lines: LINES }]
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(2_000)
    }
    fn on_key(&mut self, _key: &KeyEvent) -> Outcome {
        Outcome::Ignored
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::ConsoleLog, Data::ConsoleLog(lines)) => {
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
        if let Some(e) = &self.error {
            frame.render_widget(Paragraph::new(Line::styled(e.clone(), ctx.theme.error)), area);
            return;
        }
        // The newest lines at the bottom, as a tail shows them.
        let skip = self.lines.len().saturating_sub(area.height as usize);
        let lines: Vec<Line> = self.lines[skip..].iter().map(|l| Line::styled(l.clone(), ctx.theme.text)).collect();
        frame.render_widget(Paragraph::new(lines), area);
    }
}
