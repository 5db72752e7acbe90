//! A stack's Managed Flink application: its status, version, runtime, since when it runs, its last
//! operation, snapshots, last checkpoint and restarts (from its metrics) and the last lines of its
//! log, refreshed every two seconds. `s` starts it from its latest snapshot and `x` stops it (taking a
//! snapshot when snapshots are on), each after a `y`; the view does not wait for the transition, it
//! shows it as the status moves.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::control::flink::AppView;
use crate::text_format;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

/// A change waiting for its `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Start,
    Stop,
}

pub struct AppScreen {
    stack: String,
    app: Option<AppView>,
    error: Option<String>,
    asked: Option<Asked>,
}

impl AppScreen {
    pub fn new(stack: String) -> Self {
        AppScreen { stack, app: None, error: None, asked: None }
    }

    fn status(&self) -> Option<&str> {
        self.app.as_ref().map(|a| a.status.as_str())
    }

    fn change(&self) -> Source {
        Source::Change(format!("app {}", self.stack))
    }

    fn question(&self, asked: Asked) -> String {
        let name = self.app.as_ref().map_or(self.stack.as_str(), |a| a.name.as_str());
        match asked {
            Asked::Start => {
                format!("Start application {name} from its latest snapshot? y starts it, any other key cancels")
            }
            Asked::Stop => format!(
                "Stop application {name} (taking a snapshot when snapshots are on)? y stops it, any other key cancels"
            ),
        }
    }
}

/// The status's style: running is healthy, ready is quiet, anything else is under way.
fn status_line(app: &AppView, ctx: &DrawCtx<'_>) -> Line<'static> {
    let t = ctx.theme;
    let style = match app.status.as_str() {
        "RUNNING" => t.ok,
        "READY" => t.dim,
        _ => t.text,
    };
    let mut spans = vec![Span::styled(format!("  {:<16}", "status"), t.dim), Span::styled(app.status.clone(), style)];
    if let Some(since) = app.running_since_ms {
        spans.push(Span::styled(format!("  since {}", text_format::timestamp(since)), t.dim));
    }
    Line::from(spans)
}

fn figure(name: &str, value: String, ctx: &DrawCtx<'_>) -> Line<'static> {
    Line::from(vec![Span::styled(format!("  {name:<16}"), ctx.theme.dim), Span::styled(value, ctx.theme.text)])
}

impl View for AppScreen {
    fn crumb(&self) -> String {
        format!("app {}", self.stack)
    }

    fn keys(&self) -> Vec<KeyHelp> {
        match self.status() {
            Some("READY") => vec![KeyHelp::new("s", "start from the latest snapshot")],
            Some("RUNNING") => vec![KeyHelp::new("x", "stop (with a snapshot when they are on)")],
            _ => Vec::new(),
        }
    }

    fn requests(&self) -> Vec<Request> {
        vec![Request::App { stack: self.stack.clone() }]
    }

    fn refresh_every_ms(&self) -> Option<i64> {
        Some(2_000)
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        if let Some(asked) = self.asked.take() {
            if key.code != KeyCode::Char('y') {
                return Outcome::Changed;
            }
            let stack = self.stack.clone();
            self.error = None;
            return Outcome::Requests(vec![match asked {
                Asked::Start => Request::StartApp { stack },
                Asked::Stop => Request::StopApp { stack },
            }]);
        }
        match (key.code, self.status()) {
            (KeyCode::Char('s'), Some("READY")) => {
                self.asked = Some(Asked::Start);
                Outcome::Changed
            }
            (KeyCode::Char('x'), Some("RUNNING")) => {
                self.asked = Some(Asked::Stop);
                Outcome::Changed
            }
            _ => Outcome::Ignored,
        }
    }

    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        let ours = *source == Source::App(self.stack.clone()) || *source == self.change();
        match data {
            Data::App(app) if ours => {
                self.app = Some((**app).clone());
                if *source == self.change() {
                    self.error = None;
                }
                true
            }
            _ => false,
        }
    }

    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::App(self.stack.clone()) || *source == self.change() {
            self.error = Some(message.to_string());
            return true;
        }
        false
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let t = ctx.theme;
        let mut lines = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("the application of {}: {e}", self.stack), t.error));
        }
        if let Some(asked) = self.asked {
            lines.push(Line::styled(self.question(asked), t.title));
        }
        let Some(app) = &self.app else {
            if self.error.is_none() {
                lines.push(Line::styled(format!("reading the application of {}…", self.stack), t.dim));
            }
            frame.render_widget(Paragraph::new(lines), area);
            return;
        };
        lines.push(Line::styled(
            format!("application {} · {} · version {}", app.name, app.runtime, app.version),
            t.title,
        ));
        lines.push(status_line(app, ctx));
        lines.push(figure("last operation", app.last_operation.clone().unwrap_or_else(|| "-".into()), ctx));
        lines.push(figure("snapshots", app.snapshots.to_string(), ctx));
        let f = &app.figures;
        let checkpoint = match (f.checkpoint_size_bytes, f.checkpoint_duration_ms) {
            (Some(size), Some(took)) => format!("{} in {} ms", text_format::bytes(size), text_format::number(took)),
            (Some(size), None) => text_format::bytes(size),
            _ => "-".into(),
        };
        lines.push(figure("last checkpoint", checkpoint, ctx));
        lines.push(figure("restarts", f.restarts.map_or("-".into(), text_format::number), ctx));
        lines.push(Line::raw(""));
        if app.log.is_empty() {
            lines.push(Line::styled("  the application's log has no lines yet", t.dim));
        } else {
            lines.push(Line::styled("  log", t.dim));
            lines.extend(app.log.iter().map(|l| Line::styled(format!("  {l}"), t.text)));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
