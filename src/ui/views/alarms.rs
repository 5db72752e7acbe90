//! Alarms: every alarm with its state, or one alarm with its history.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::control::alarms::{AlarmDetail, AlarmRow};
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

pub struct AlarmsScreen {
    /// One alarm's detail, or every alarm.
    name: Option<String>,
    rows: Vec<AlarmRow>,
    detail: Option<Box<AlarmDetail>>,
}

impl AlarmsScreen {
    pub fn new(name: Option<String>) -> Self {
        AlarmsScreen { name, rows: Vec::new(), detail: None }
    }
}

impl View for AlarmsScreen {
    fn crumb(&self) -> String {
        self.name.as_ref().map_or("alarms".to_string(), |n| format!("alarm {n}"))
    }
    fn keys(&self) -> Vec<KeyHelp> {
        Vec::new()
    }
    fn requests(&self) -> Vec<Request> {
        match &self.name {
            Some(name) => vec![Request::Alarm { name: name.clone(), range_secs: 86_400 }],
            None => vec![Request::Alarms],
        }
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(10_000)
    }
    fn on_key(&mut self, _key: &KeyEvent) -> Outcome {
        Outcome::Ignored
    }
    fn on_data(&mut self, _source: &Source, data: &Data) -> bool {
        match data {
            Data::Alarms(rows) if self.name.is_none() => self.rows = rows.clone(),
            Data::Alarm(d) if self.name.as_deref() == Some(d.alarm.name.as_str()) => self.detail = Some(d.clone()),
            _ => return false,
        }
        true
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let row = |a: &AlarmRow| {
            Line::from(vec![
                Span::styled(format!("{:<18}", a.state), ctx.theme.state(&a.state)),
                Span::raw(a.name.clone()),
            ])
        };
        let lines: Vec<Line> = match &self.detail {
            Some(d) => std::iter::once(row(&d.alarm))
                .chain(d.history.iter().map(|h| Line::raw(format!("  {}", h.summary))))
                .collect(),
            None => self.rows.iter().map(row).collect(),
        };
        frame.render_widget(Paragraph::new(lines), area);
    }
}
