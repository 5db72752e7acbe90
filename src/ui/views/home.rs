//! Home: the deployments, streams, dashboards and alarms, each a list to filter and open. Tab moves
//! between the lists, Enter opens the selected entry.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Route;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Deployments,
    Streams,
    Dashboards,
    Alarms,
}

const PANES: [Pane; 4] = [Pane::Deployments, Pane::Streams, Pane::Dashboards, Pane::Alarms];

/// One row: the name it opens by, and the columns shown after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub detail: String,
    /// An alarm state to colour the detail by.
    pub state: Option<String>,
}

#[derive(Default)]
pub struct Home {
    pub focus: Pane,
    rows: [Vec<Row>; 4],
    loaded: [bool; 4],
    selected: [usize; 4],
    filter: String,
}

impl Home {
    fn index(p: Pane) -> usize {
        PANES.iter().position(|q| *q == p).unwrap_or(0)
    }

    /// The rows of a pane the filter keeps.
    pub fn visible(&self, p: Pane) -> Vec<&Row> {
        let f = self.filter.to_lowercase();
        self.rows[Self::index(p)].iter().filter(|r| f.is_empty() || r.name.to_lowercase().contains(&f)).collect()
    }

    fn open_selected(&self) -> Outcome {
        let i = Self::index(self.focus);
        let Some(row) = self.visible(self.focus).get(self.selected[i]).map(|r| r.name.clone()) else {
            return Outcome::Ignored;
        };
        let route = match self.focus {
            // A deployment's dashboard carries the stack's name (the templates name it so).
            Pane::Deployments | Pane::Dashboards => Route::Dashboard(row),
            Pane::Streams => Route::Stream(row),
            Pane::Alarms => Route::Alarm(row),
        };
        Outcome::Push(super::open(route))
    }
}

impl View for Home {
    fn crumb(&self) -> String {
        "home".into()
    }

    fn keys(&self) -> Vec<KeyHelp> {
        vec![KeyHelp::new("Tab", "next list"), KeyHelp::new("↑↓", "select"), KeyHelp::new("Enter", "open")]
    }

    fn requests(&self) -> Vec<Request> {
        vec![Request::Stacks, Request::Streams, Request::Dashboards, Request::Alarms]
    }

    fn refresh_every_ms(&self) -> Option<i64> {
        Some(10_000)
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        let i = Self::index(self.focus);
        let len = self.visible(self.focus).len();
        match key.code {
            KeyCode::Tab => self.focus = PANES[(i + 1) % PANES.len()],
            KeyCode::BackTab => self.focus = PANES[(i + PANES.len() - 1) % PANES.len()],
            KeyCode::Down | KeyCode::Char('j') => self.selected[i] = (self.selected[i] + 1).min(len.saturating_sub(1)),
            KeyCode::Up | KeyCode::Char('k') => self.selected[i] = self.selected[i].saturating_sub(1),
            KeyCode::Enter => return self.open_selected(),
            _ => return Outcome::Ignored,
        }
        Outcome::Changed
    }

    fn on_data(&mut self, _source: &Source, data: &Data) -> bool {
        let (pane, rows) = match data {
            Data::Stacks(s) => (
                Pane::Deployments,
                s.iter()
                    .map(|s| Row {
                        name: s.name.clone(),
                        detail: format!(
                            "{} · {} · {}",
                            s.pattern.as_deref().unwrap_or("-"),
                            s.status,
                            match s.alarms_in_alarm {
                                Some(0) => "no alarm firing".to_string(),
                                Some(n) => format!("{n} in ALARM"),
                                None => "alarms unknown".to_string(),
                            }
                        ),
                        state: s.alarms_in_alarm.map(|n| if n > 0 { "ALARM" } else { "OK" }.to_string()),
                    })
                    .collect(),
            ),
            Data::Streams(s) => (
                Pane::Streams,
                s.iter()
                    .map(|s| Row {
                        name: s.name.clone(),
                        detail: format!("{} {}", s.status, s.mode.as_deref().unwrap_or("")),
                        state: None,
                    })
                    .collect(),
            ),
            Data::Dashboards(d) => (
                Pane::Dashboards,
                d.iter().map(|d| Row { name: d.name.clone(), detail: String::new(), state: None }).collect(),
            ),
            Data::Alarms(a) => (
                Pane::Alarms,
                a.iter()
                    .map(|a| Row { name: a.name.clone(), detail: a.state.clone(), state: Some(a.state.clone()) })
                    .collect(),
            ),
            _ => return false,
        };
        let i = Self::index(pane);
        self.rows[i] = rows;
        self.loaded[i] = true;
        self.selected[i] = self.selected[i].min(self.visible(pane).len().saturating_sub(1));
        true
    }

    fn set_filter(&mut self, text: &str) -> bool {
        self.filter = text.to_string();
        self.selected = [0; 4];
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let areas = if area.width >= 100 {
            let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
            let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
            let [c, d] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
            [a, b, c, d]
        } else {
            Layout::vertical([Constraint::Ratio(1, 4); 4]).areas(area)
        };
        for (pane, rect) in PANES.iter().zip(areas) {
            self.draw_pane(frame, rect, *pane, ctx);
        }
    }
}

impl Home {
    fn draw_pane(&self, frame: &mut Frame, area: Rect, pane: Pane, ctx: &DrawCtx<'_>) {
        let i = Self::index(pane);
        let title = match pane {
            Pane::Deployments => "Deployments",
            Pane::Streams => "Streams",
            Pane::Dashboards => "Dashboards",
            Pane::Alarms => "Alarms",
        };
        let rows = self.visible(pane);
        let focused = pane == self.focus;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(if focused { ctx.theme.title } else { ctx.theme.border })
            .title(format!(" {title} ({}) ", rows.len()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 {
            return;
        }
        let lines: Vec<Line> = if !self.loaded[i] {
            vec![Line::styled("loading…", ctx.theme.dim)]
        } else if rows.is_empty() {
            vec![Line::styled(if self.filter.is_empty() { "none" } else { "none match the filter" }, ctx.theme.dim)]
        } else {
            let first = self.selected[i].saturating_sub(inner.height as usize - 1);
            rows.iter()
                .enumerate()
                .skip(first)
                .take(inner.height as usize)
                .map(|(n, r)| {
                    let name_style = if focused && n == self.selected[i] { ctx.theme.selected } else { ctx.theme.text };
                    let detail_style = r.state.as_deref().map_or(ctx.theme.dim, |s| ctx.theme.state(s));
                    Line::from(vec![
                        Span::styled(r.name.clone(), name_style),
                        Span::raw(" "),
                        Span::styled(r.detail.clone(), detail_style),
                    ])
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
