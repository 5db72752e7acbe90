//! A CloudWatch dashboard: its widgets with their latest values, refreshed at the metric period.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::ui::action::{DashboardData, Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

pub struct DashboardScreen {
    name: String,
    range_secs: i64,
    data: Option<Box<DashboardData>>,
    error: Option<String>,
}

impl DashboardScreen {
    pub fn new(name: String) -> Self {
        DashboardScreen { name, range_secs: 15 * 60, data: None, error: None }
    }
}

impl View for DashboardScreen {
    fn crumb(&self) -> String {
        format!("dashboard {}", self.name)
    }
    fn keys(&self) -> Vec<KeyHelp> {
        Vec::new()
    }
    fn requests(&self) -> Vec<Request> {
        vec![Request::Dashboard { name: self.name.clone(), range_secs: self.range_secs, end_ms: None }]
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(10_000)
    }
    fn on_key(&mut self, _key: &KeyEvent) -> Outcome {
        Outcome::Ignored
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Dashboard(n), Data::Dashboard(d)) if *n == self.name => {
                self.data = Some(d.clone());
                self.error = None;
                true
            }
            _ => false,
        }
    }
    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Dashboard(self.name.clone()) {
            self.error = Some(message.to_string());
            return true;
        }
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let lines: Vec<Line> = match (&self.data, &self.error) {
            (_, Some(e)) => vec![Line::styled(e.clone(), ctx.theme.error)],
            (None, None) => vec![Line::styled("loading…", ctx.theme.dim)],
            (Some(d), None) => d
                .view
                .widgets
                .iter()
                .flat_map(|w| {
                    let title = Line::styled(w.title.clone().unwrap_or_else(|| w.kind.clone()), ctx.theme.title);
                    let series = w.series.iter().map(|s| {
                        Line::raw(format!("  {} {}", s.label, s.latest().map_or("-".into(), |v| format!("{v}"))))
                    });
                    std::iter::once(title).chain(series)
                })
                .collect(),
        };
        frame.render_widget(Paragraph::new(lines), area);
    }
}
