//! Home: the deployments, streams, dashboards and alarms, each a list to filter and open. Tab moves
//! between the lists, Enter opens the selected entry. On the local target with no dashboard at all,
//! home offers the sample stream and its dashboard (`s`), so a first run has something that moves.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::control::alarms::reason_summary;
use crate::control::stacks::model::StackSummary;
use crate::text_format::age;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, Route, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Deployments,
    Streams,
    Dashboards,
    Alarms,
}

const PANES: [Pane; 4] = [Pane::Deployments, Pane::Streams, Pane::Dashboards, Pane::Alarms];

/// The templates' output naming a deployment's dashboard.
const DASHBOARD_OUTPUT: &str = "DashboardName";

pub const SAMPLE_OFFER: &str =
    "No dashboards yet — press s to create a sample stream fed with a few records a second and its dashboard";

/// A column after the name.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    /// An alarm state to colour the cell by.
    pub state: Option<String>,
    /// A reason: the second thing a narrow screen hides, after ages.
    pub reason: bool,
}

/// What a narrow pane hides: ages first, then reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Hide {
    Nothing,
    Ages,
    AgesAndReasons,
}

/// One row: the name it opens by, what it opens, and its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub opens: Route,
    pub cells: Vec<Cell>,
    /// A time to show as an age ("3m"), drawn against the frame's clock.
    pub since_ms: Option<i64>,
    /// A deployment whose pattern runs a Managed Flink application (`a` opens it).
    pub flink: bool,
}

#[derive(Default)]
pub struct Home {
    pub focus: Pane,
    /// The local cloud: home may offer the sample stream.
    local: bool,
    rows: [Vec<Row>; 4],
    loaded: [bool; 4],
    selected: [usize; 4],
    filter: String,
    /// What the last change did ("sample stream created"), until the lists reload.
    notice: Option<String>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell { text: text.into(), state: None, reason: false }
}

/// The dashboard a deployment opens: its `DashboardName` output when it has one, else the name the
/// templates give it.
pub fn deployment_dashboard(stack: &StackSummary) -> String {
    stack
        .outputs
        .iter()
        .find(|o| o.key == DASHBOARD_OUTPUT)
        .map_or_else(|| format!("{}-dashboard", stack.name), |o| o.value.clone())
}

impl Home {
    pub fn new(local: bool) -> Home {
        Home { local, ..Home::default() }
    }

    fn index(p: Pane) -> usize {
        PANES.iter().position(|q| *q == p).unwrap_or(0)
    }

    /// The rows of a pane the filter keeps.
    pub fn visible(&self, p: Pane) -> Vec<&Row> {
        let f = self.filter.to_lowercase();
        self.rows[Self::index(p)].iter().filter(|r| f.is_empty() || r.name.to_lowercase().contains(&f)).collect()
    }

    /// Whether home offers the sample: local, dashboards loaded, and none at all.
    pub fn offers_sample(&self) -> bool {
        let i = Self::index(Pane::Dashboards);
        self.local && self.loaded[i] && self.rows[i].is_empty()
    }

    /// The selected deployment, when its pattern runs a Managed Flink application.
    fn selected_flink(&self) -> Option<String> {
        if self.focus != Pane::Deployments {
            return None;
        }
        let i = Self::index(Pane::Deployments);
        self.visible(Pane::Deployments).get(self.selected[i]).filter(|r| r.flink).map(|r| r.name.clone())
    }

    fn open_selected(&self) -> Outcome {
        let i = Self::index(self.focus);
        match self.visible(self.focus).get(self.selected[i]) {
            Some(row) => Outcome::Open(row.opens.clone()),
            None => Outcome::Ignored,
        }
    }

    fn rows_of(data: &Data) -> Option<(Pane, Vec<Row>)> {
        Some(match data {
            Data::Stacks(s) => (Pane::Deployments, s.iter().map(stack_row).collect()),
            Data::Streams(s) => (
                Pane::Streams,
                s.iter()
                    .map(|s| Row {
                        name: s.name.clone(),
                        opens: Route::Stream(s.name.clone()),
                        cells: vec![cell(s.status.clone()), cell(s.mode.clone().unwrap_or_default())],
                        since_ms: s.created_ms,
                        flink: false,
                    })
                    .collect(),
            ),
            Data::Dashboards(d) => (
                Pane::Dashboards,
                d.iter()
                    .map(|d| Row {
                        name: d.name.clone(),
                        opens: Route::Dashboard(d.name.clone()),
                        cells: Vec::new(),
                        since_ms: d.last_modified_secs.map(|s| s * 1000),
                        flink: false,
                    })
                    .collect(),
            ),
            Data::Alarms(a) => (
                Pane::Alarms,
                a.iter()
                    .map(|a| Row {
                        name: a.name.clone(),
                        opens: Route::Alarm(a.name.clone()),
                        cells: vec![
                            Cell { text: a.state.clone(), state: Some(a.state.clone()), reason: false },
                            Cell {
                                text: a.reason.as_deref().map(reason_summary).unwrap_or_default(),
                                state: None,
                                reason: true,
                            },
                        ],
                        since_ms: a.since_ms,
                        flink: false,
                    })
                    .collect(),
            ),
            _ => return None,
        })
    }
}

fn stack_row(s: &StackSummary) -> Row {
    let alarms = match s.alarms_in_alarm {
        Some(0) => Cell { text: "none firing".into(), state: Some("OK".into()), reason: false },
        Some(n) => Cell { text: format!("{n} in ALARM"), state: Some("ALARM".into()), reason: false },
        None => Cell { text: "alarms unknown".into(), state: Some("INSUFFICIENT_DATA".into()), reason: false },
    };
    Row {
        name: s.name.clone(),
        opens: Route::Dashboard(deployment_dashboard(s)),
        cells: vec![cell(s.pattern.as_deref().unwrap_or("-")), cell(s.status.clone()), alarms],
        since_ms: Some(s.updated_ms.unwrap_or(s.created_ms)),
        flink: matches!(s.pattern.as_deref(), Some("kpl-kds-kda" | "kds-kda-apigw")),
    }
}

impl View for Home {
    fn crumb(&self) -> String {
        "home".into()
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys =
            vec![KeyHelp::new("Tab", "next list"), KeyHelp::new("↑↓", "select"), KeyHelp::new("Enter", "open")];
        if self.offers_sample() {
            keys.push(KeyHelp::new("s", "create the sample stream and dashboard"));
        }
        if matches!(self.focus, Pane::Deployments | Pane::Streams) {
            keys.push(KeyHelp::new("p", "produce onto it"));
            keys.push(KeyHelp::new("v", "its records"));
        }
        if self.selected_flink().is_some() {
            keys.push(KeyHelp::new("a", "its Managed Flink application"));
        }
        keys
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
            KeyCode::Char(c @ ('p' | 'v')) if matches!(self.focus, Pane::Deployments | Pane::Streams) => {
                let Some(row) = self.visible(self.focus).get(self.selected[i]).map(|r| r.name.clone()) else {
                    return Outcome::Ignored;
                };
                return Outcome::Open(if c == 'p' { Route::Producer(row) } else { Route::Records(row) });
            }
            // A kept filter goes first; Esc again goes back.
            KeyCode::Esc if !self.filter.is_empty() => {
                self.set_filter("");
            }
            KeyCode::Char('a') => match self.selected_flink() {
                Some(stack) => return Outcome::Open(Route::App(stack)),
                None => return Outcome::Ignored,
            },
            KeyCode::Char('s') if self.offers_sample() => {
                self.notice = Some("creating the sample stream and its dashboard…".into());
                return Outcome::Requests(vec![Request::StartSample]);
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Changed
    }

    fn on_data(&mut self, _source: &Source, data: &Data) -> bool {
        if let Data::Changed(what) = data {
            self.notice = Some(what.clone());
            return true;
        }
        let Some((pane, rows)) = Self::rows_of(data) else {
            return false;
        };
        let i = Self::index(pane);
        if pane == Pane::Dashboards && !rows.is_empty() {
            self.notice = None;
        }
        self.rows[i] = rows;
        self.loaded[i] = true;
        self.selected[i] = self.selected[i].min(self.visible(pane).len().saturating_sub(1));
        true
    }

    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Change("sample".into()) {
            self.notice = Some(format!("the sample could not be created: {message}"));
            return true;
        }
        false
    }

    fn set_filter(&mut self, text: &str) -> bool {
        self.filter = text.to_string();
        self.selected = [0; 4];
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.width >= 100 && area.height >= 12 {
            let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
            let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
            let [c, d] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
            for (pane, rect) in PANES.iter().zip([a, b, c, d]) {
                self.draw_pane(frame, rect, *pane, false, ctx);
            }
        } else if area.height >= 16 {
            let areas: [Rect; 4] = Layout::vertical([Constraint::Ratio(1, 4); 4]).areas(area);
            for (pane, rect) in PANES.iter().zip(areas) {
                self.draw_pane(frame, rect, *pane, false, ctx);
            }
        } else {
            // Too low for four lists: the focused one alone; its title says Tab shows the others.
            self.draw_pane(frame, area, self.focus, true, ctx);
        }
    }
}

impl Home {
    fn draw_pane(&self, frame: &mut Frame, area: Rect, pane: Pane, alone: bool, ctx: &DrawCtx<'_>) {
        let i = Self::index(pane);
        let title = match pane {
            Pane::Deployments => "Deployments",
            Pane::Streams => "Streams",
            Pane::Dashboards => "Dashboards",
            Pane::Alarms => "Alarms",
        };
        let rows = self.visible(pane);
        let total = self.rows[i].len();
        let focused = pane == self.focus;
        let count = if self.filter.is_empty() {
            format!("{total}")
        } else {
            format!("{} of {total} /{}", rows.len(), self.filter)
        };
        // Ages go first, then reasons, as the width shrinks.
        let hide = match area.width {
            60.. => Hide::Nothing,
            40..60 => Hide::Ages,
            _ => Hide::AgesAndReasons,
        };
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_style(if focused { ctx.theme.title } else { ctx.theme.border })
            .title(format!(" {title} ({count}){} ", if alone { " · Tab: next list" } else { "" }));
        let hidden = self.hidden_words(pane, hide);
        if !hidden.is_empty() {
            block = block.title_bottom(Line::styled(format!(" {hidden} hidden "), ctx.theme.dim));
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height > 0 && inner.width > 0 {
            self.draw_rows(frame, inner, pane, hide, ctx);
        }
    }

    /// A pane's rows (or why there are none) inside its border.
    fn draw_rows(&self, frame: &mut Frame, inner: Rect, pane: Pane, hide: Hide, ctx: &DrawCtx<'_>) {
        let i = Self::index(pane);
        let rows = self.visible(pane);
        let focused = pane == self.focus;
        if !self.loaded[i] {
            frame.render_widget(Paragraph::new(Line::styled("loading…", ctx.theme.dim)), inner);
            return;
        }
        if rows.is_empty() {
            let text = match (&self.notice, pane) {
                (Some(n), Pane::Dashboards) => Line::styled(n.clone(), ctx.theme.text),
                _ if pane == Pane::Dashboards && self.offers_sample() => Line::styled(SAMPLE_OFFER, ctx.theme.title),
                _ if self.filter.is_empty() => Line::styled("none", ctx.theme.dim),
                _ => Line::styled("none match the filter", ctx.theme.dim),
            };
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
            return;
        }
        let height = inner.height as usize;
        let first = self.selected[i].saturating_sub(height - 1);
        let shown: Vec<(usize, &&Row)> = rows.iter().enumerate().skip(first).take(height).collect();
        // Columns line up over the rows in sight (reasons, last, need not).
        let mut widths = vec![shown.iter().map(|(_, r)| r.name.chars().count()).max().unwrap_or(0)];
        for (_, r) in &shown {
            for (k, c) in r.cells.iter().filter(|c| !c.reason).enumerate() {
                if widths.len() <= k + 1 {
                    widths.push(0);
                }
                widths[k + 1] = widths[k + 1].max(c.text.chars().count());
            }
        }
        widths[0] = widths[0].min(inner.width as usize / 2);
        let lines: Vec<Line> = shown
            .into_iter()
            .map(|(n, r)| {
                let selected = focused && n == self.selected[i];
                self.row_line(r, selected, &widths, hide, ctx)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn row_line(&self, r: &Row, selected: bool, widths: &[usize], hide: Hide, ctx: &DrawCtx<'_>) -> Line<'_> {
        let name_style = if selected { ctx.theme.selected } else { ctx.theme.text };
        let mut spans = vec![Span::styled(format!("{:<w$}", r.name, w = widths[0]), name_style)];
        let cell = |c: &Cell, w: usize| {
            let style: Style = c.state.as_deref().map_or(ctx.theme.dim, |s| ctx.theme.state(s));
            [Span::raw(" "), Span::styled(format!("{:<w$}", c.text), style)]
        };
        let fixed = r.cells.iter().filter(|c| !c.reason).enumerate();
        spans.extend(fixed.flat_map(|(k, c)| cell(c, widths.get(k + 1).copied().unwrap_or(0))));
        if let Some(since) = r.since_ms.filter(|_| hide == Hide::Nothing) {
            spans.push(Span::styled(format!(" {:>3}", age(ctx.now_ms - since)), ctx.theme.dim));
        }
        // Reasons come last: long, and the first thing cut by the pane's edge.
        spans.extend(r.cells.iter().filter(|c| c.reason && hide < Hide::AgesAndReasons).flat_map(|c| cell(c, 0)));
        Line::from(spans)
    }

    /// Which kinds of column this pane hides at this width, as words.
    fn hidden_words(&self, pane: Pane, hide: Hide) -> String {
        let rows = &self.rows[Self::index(pane)];
        let mut words = Vec::new();
        if hide >= Hide::Ages && rows.iter().any(|r| r.since_ms.is_some()) {
            words.push("ages");
        }
        if hide >= Hide::AgesAndReasons && rows.iter().any(|r| r.cells.iter().any(|c| c.reason)) {
            words.push("reasons");
        }
        words.join(", ")
    }
}
