//! A Kinesis stream: its shards and settings.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::control::streams::StreamDetail;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

pub struct StreamScreen {
    name: String,
    detail: Option<Box<StreamDetail>>,
    error: Option<String>,
}

impl StreamScreen {
    pub fn new(name: String) -> Self {
        StreamScreen { name, detail: None, error: None }
    }
}

impl View for StreamScreen {
    fn crumb(&self) -> String {
        format!("stream {}", self.name)
    }
    fn keys(&self) -> Vec<KeyHelp> {
        Vec::new()
    }
    fn requests(&self) -> Vec<Request> {
        vec![Request::Stream { name: self.name.clone(), range_secs: 3600 }]
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(10_000)
    }
    fn on_key(&mut self, _key: &KeyEvent) -> Outcome {
        Outcome::Ignored
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Stream(n), Data::Stream(d)) if *n == self.name => {
                self.detail = Some(d.clone());
                self.error = None;
                true
            }
            _ => false,
        }
    }
    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Stream(self.name.clone()) {
            self.error = Some(message.to_string());
            return true;
        }
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let lines: Vec<Line> = match (&self.detail, &self.error) {
            (_, Some(e)) => vec![Line::styled(e.clone(), ctx.theme.error)],
            (None, None) => vec![Line::styled("loading…", ctx.theme.dim)],
            (Some(d), None) => std::iter::once(Line::styled(
                format!("{} {} · {} shards open", d.row.name, d.row.status, d.row.open_shards.unwrap_or(0)),
                ctx.theme.title,
            ))
            .chain(
                d.shards
                    .iter()
                    .map(|s| Line::raw(format!("  {} {}", s.shard_id, if s.open { "open" } else { "closed" }))),
            )
            .collect(),
        };
        frame.render_widget(Paragraph::new(lines), area);
    }
}
