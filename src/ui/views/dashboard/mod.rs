//! A CloudWatch dashboard: its widgets on the 24-column grid scaled to the terminal, refreshed at
//! the metric period with one planned GetMetricData call, a time range to pick, pause, one widget
//! zoomed to the whole screen with a cursor that reads every series at a time. What is drawn is
//! prepared when an answer comes or the size changes (`prepare`), never per frame.

mod draw;
pub mod grid;
pub mod prepare;
pub mod synth;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::control::dashboard::PeriodRule;
use crate::ui::action::{DashboardData, Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};
use grid::Cell;
use prepare::Prepared;

/// The ranges `1`…`6` pick and `t` steps through, in seconds.
pub const RANGES: [i64; 6] = [5 * 60, 15 * 60, 3600, 3 * 3600, 12 * 3600, 86_400];

/// Until the first answer says the period, refresh this often.
const FIRST_REFRESH_MS: i64 = 10_000;

/// Columns a chart's y-axis labels and borders take from its widget, about.
const CHART_CHROME: u16 = 8;

pub struct DashboardScreen {
    name: String,
    range_secs: i64,
    /// Paused at this range end: refreshes stop, `r` reloads the same window.
    paused_at: Option<i64>,
    paused: bool,
    data: Option<Box<DashboardData>>,
    error: Option<String>,
    tz: TimeZone,
    /// The terminal's size the preparation is for.
    size: (u16, u16),
    cells: Vec<Cell>,
    prepared: Vec<Prepared>,
    selected: usize,
    zoomed: bool,
    /// The selected widget prepared for the whole body, while zoomed.
    zoom: Option<Prepared>,
    /// The cursor's time in the zoomed chart, that time as drawn, and each series' value there.
    cursor: Option<(i64, String, Vec<String>)>,
    /// The custom range prompt's text, and its last error.
    prompt: Option<(String, Option<String>)>,
}

impl DashboardScreen {
    pub fn new(name: String) -> Self {
        DashboardScreen {
            name,
            range_secs: 15 * 60,
            paused_at: None,
            paused: false,
            data: None,
            error: None,
            tz: TimeZone::try_system().unwrap_or(TimeZone::UTC),
            size: (80, 24),
            cells: Vec::new(),
            prepared: Vec::new(),
            selected: 0,
            zoomed: false,
            zoom: None,
            cursor: None,
            prompt: None,
        }
    }

    /// Times on the x axis in this zone instead of the system's (tests, a config's choice).
    pub fn with_time_zone(mut self, tz: TimeZone) -> Self {
        self.tz = tz;
        self.prepare();
        self
    }

    pub fn range_secs(&self) -> i64 {
        self.range_secs
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn zoomed(&self) -> bool {
        self.zoomed
    }

    /// The cursor's time and each visible series' value there.
    pub fn cursor(&self) -> Option<(i64, &[String])> {
        self.cursor.as_ref().map(|(t, _, v)| (*t, v.as_slice()))
    }

    /// What is drawn for each widget (for tests and the benchmark).
    pub fn prepared(&self) -> &[Prepared] {
        &self.prepared
    }

    /// The body's area for a terminal size: below the header, above the bottom line.
    fn body(&self) -> Rect {
        let (w, h) = self.size;
        Rect::new(0, 0, w, if h >= 3 { h - 2 } else { h.saturating_sub(1) })
    }

    /// Lays the widgets out and prepares each for its drawn width.
    fn prepare(&mut self) {
        let Some(d) = self.data.as_deref() else {
            self.cells.clear();
            self.prepared.clear();
            self.zoom = None;
            return;
        };
        let widgets = &d.view.widgets;
        self.cells = grid::place(&widgets.iter().map(|w| (w.x, w.y, w.width, w.height)).collect::<Vec<_>>());
        let area = grid::grid_area(self.body());
        let rpu = grid::rows_per_unit(area.width, area.height, grid::height(&self.cells));
        self.prepared = widgets
            .iter()
            .zip(&self.cells)
            .map(|(w, c)| {
                let (_, _, width, _) = grid::scaled(*c, area, rpu, 0);
                prepare::widget(d, w, width.saturating_sub(CHART_CHROME).max(1), &self.tz)
            })
            .collect();
        self.selected = self.selected.min(widgets.len().saturating_sub(1));
        self.zoom = widgets
            .get(self.selected)
            .filter(|_| self.zoomed)
            .map(|w| prepare::widget(d, w, self.body().width.saturating_sub(CHART_CHROME).max(1), &self.tz));
        self.read_cursor();
    }

    fn read_cursor(&mut self) {
        let (Some((at, _, _)), Some(d)) = (&self.cursor, &self.data) else { return };
        let at = *at;
        if let Some(w) = d.view.widgets.get(self.selected) {
            self.cursor = Some((at, self.clock(at), prepare::readout(w, at)));
        }
    }

    /// Moves the cursor one step (a period, or a drawn column when that is wider) left or right.
    fn move_cursor(&mut self, steps: i64) {
        let Some(d) = self.data.as_deref() else { return };
        let Some(w) = d.view.widgets.get(self.selected) else { return };
        let range = prepare::Range::of(d);
        let period_ms = w.series.iter().map(|s| s.period).filter(|p| *p > 0).min().unwrap_or(60) * 1000;
        let column_ms = (range.end_ms - range.start_ms) / i64::from(self.body().width.max(1));
        let step = period_ms.max(column_ms);
        let from = self.cursor.as_ref().map_or(range.end_ms, |(t, _, _)| *t);
        let at = (from + steps * step).clamp(range.start_ms, range.end_ms);
        self.cursor = Some((at, self.clock(at), prepare::readout(w, at)));
    }

    /// A time as the cursor shows it: to the second.
    fn clock(&self, at_ms: i64) -> String {
        crate::text_format::clock(at_ms, 0, &self.tz)
    }

    fn set_range(&mut self, secs: i64) -> Outcome {
        self.range_secs = secs;
        self.cursor = None;
        Outcome::Requests(self.requests())
    }

    fn on_prompt_key(&mut self, key: &KeyEvent) -> Outcome {
        let Some((text, error)) = self.prompt.as_mut() else { return Outcome::Ignored };
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                text.pop();
                *error = None;
            }
            KeyCode::Char(c) if !c.is_control() && text.len() < 16 => {
                text.push(c);
                *error = None;
            }
            KeyCode::Enter => match crate::duration::parse(text) {
                Ok(d) => {
                    self.prompt = None;
                    return self.set_range(d.as_secs() as i64);
                }
                Err(e) => *error = Some(e),
            },
            _ => {}
        }
        Outcome::Changed
    }
}

impl View for DashboardScreen {
    fn crumb(&self) -> String {
        format!("dashboard {}", self.name)
    }

    fn keys(&self) -> Vec<KeyHelp> {
        vec![
            KeyHelp::new("1-6", "time range 5m 15m 1h 3h 12h 1d"),
            KeyHelp::new("t", "next time range"),
            KeyHelp::new("T", "custom time range (90s, 45m, 2d…)"),
            KeyHelp::new("p", "pause / resume"),
            KeyHelp::new("Tab, arrows", "select a widget"),
            KeyHelp::new("z, Enter", "zoom the selected widget / back"),
            KeyHelp::new("← →", "move the cursor (zoomed)"),
        ]
    }

    fn requests(&self) -> Vec<Request> {
        vec![Request::Dashboard { name: self.name.clone(), range_secs: self.range_secs, end_ms: self.paused_at }]
    }

    fn refresh_every_ms(&self) -> Option<i64> {
        if self.paused {
            return None;
        }
        let Some(d) = self.data.as_deref() else { return Some(FIRST_REFRESH_MS) };
        // New data appears once a period; the local cloud keeps seconds, AWS standard metrics minutes.
        let floor = if d.plan.period_rule == PeriodRule::Local { 1 } else { 60 };
        Some(d.plan.finest_period().max(floor) * 1000)
    }

    fn cost_per_hour_usd(&self) -> Option<f64> {
        let d = self.data.as_deref()?;
        if d.plan.period_rule == PeriodRule::Local || self.paused {
            return None;
        }
        let every = self.refresh_every_ms()? / 1000;
        Some(d.plan.cost_per_hour_usd(every as u64))
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        if self.prompt.is_some() {
            return self.on_prompt_key(key);
        }
        let count = self.data.as_ref().map_or(0, |d| d.view.widgets.len());
        let zoomed = self.zoomed;
        match key.code {
            KeyCode::Char(c @ '1'..='6') => {
                let secs = RANGES[c as usize - '1' as usize];
                self.set_range(secs)
            }
            KeyCode::Char('t') => {
                let next = RANGES.iter().copied().find(|r| *r > self.range_secs).unwrap_or(RANGES[0]);
                self.set_range(next)
            }
            KeyCode::Char('T') => {
                self.prompt = Some((String::new(), None));
                Outcome::Changed
            }
            KeyCode::Char('p') => {
                self.paused = !self.paused;
                self.paused_at = if self.paused { self.data.as_ref().map(|d| d.end_ms) } else { None };
                if self.paused { Outcome::Changed } else { Outcome::Requests(self.requests()) }
            }
            KeyCode::Char('z') | KeyCode::Enter if count > 0 => {
                self.zoomed = !zoomed;
                self.cursor = None;
                self.prepare();
                Outcome::Changed
            }
            KeyCode::Esc if zoomed => {
                self.zoomed = false;
                self.cursor = None;
                self.prepare();
                Outcome::Changed
            }
            KeyCode::Left if zoomed => {
                self.move_cursor(-1);
                Outcome::Changed
            }
            KeyCode::Right if zoomed => {
                self.move_cursor(1);
                Outcome::Changed
            }
            KeyCode::Tab | KeyCode::Right | KeyCode::Down if count > 0 && !zoomed => {
                self.selected = (self.selected + 1) % count;
                Outcome::Changed
            }
            KeyCode::BackTab | KeyCode::Left | KeyCode::Up if count > 0 && !zoomed => {
                self.selected = (self.selected + count - 1) % count;
                Outcome::Changed
            }
            _ => Outcome::Ignored,
        }
    }

    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Dashboard(n), Data::Dashboard(d)) if *n == self.name => {
                self.data = Some(d.clone());
                self.error = None;
                self.prepare();
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

    fn on_resize(&mut self, width: u16, height: u16) {
        if self.size != (width, height) {
            self.size = (width, height);
            self.prepare();
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let scene = draw::Scene {
            data: self.data.as_deref(),
            error: self.error.as_deref(),
            range_secs: self.range_secs,
            refresh_every_ms: self.refresh_every_ms(),
            cells: &self.cells,
            prepared: &self.prepared,
            selected: self.selected,
            zoom: self.zoom.as_ref(),
            cursor: self.cursor.as_ref().map(|(t, at, v)| (*t, at.as_str(), v.as_slice())),
            prompt: self.prompt.as_ref().map(|(text, e)| (text.as_str(), e.as_deref())),
        };
        draw::draw(&scene, frame, area, ctx);
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use serde_json::json;

    use super::*;
    use crate::control::dashboard::{AlarmBook, Dashboard};

    const END: i64 = 1_795_953_600_000;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn answer(range_secs: i64, rule: PeriodRule) -> Data {
        let body = json!({"widgets": [
            {"type": "metric", "width": 12, "properties": {"title": "A", "metrics": [["N", "a"], ["N", "b", {"yAxis": "right"}]], "period": 60}},
            {"type": "text", "width": 12, "height": 2, "properties": {"markdown": "# Hello"}},
            {"type": "metric", "width": 12, "properties": {"title": "B", "view": "singleValue", "metrics": [["N", "c"]], "period": 60}},
        ]});
        let d = Dashboard::parse(&body.to_string()).expect("a body");
        Data::Dashboard(Box::new(synth::synthesize(d, &AlarmBook::new(), range_secs, END, rule)))
    }

    fn screen(rule: PeriodRule) -> DashboardScreen {
        let mut s = DashboardScreen::new("d".into()).with_time_zone(TimeZone::UTC);
        s.on_resize(120, 40);
        assert!(s.on_data(&Source::Dashboard("d".into()), &answer(900, rule)));
        s
    }

    fn asked(o: Outcome) -> Vec<Request> {
        match o {
            Outcome::Requests(r) => r,
            _ => panic!("expected requests"),
        }
    }

    #[test]
    fn number_keys_and_t_pick_the_range_and_ask_again() {
        let mut s = screen(PeriodRule::Local);
        let r = asked(s.on_key(&key(KeyCode::Char('3'))));
        assert_eq!(r, vec![Request::Dashboard { name: "d".into(), range_secs: 3600, end_ms: None }]);
        asked(s.on_key(&key(KeyCode::Char('t'))));
        assert_eq!(s.range_secs(), 3 * 3600);
        for _ in 0..3 {
            asked(s.on_key(&key(KeyCode::Char('t'))));
        }
        assert_eq!(s.range_secs(), 5 * 60, "t wraps around after a day");
    }

    #[test]
    fn a_custom_range_goes_through_the_duration_parser() {
        let mut s = screen(PeriodRule::Local);
        assert!(matches!(s.on_key(&key(KeyCode::Char('T'))), Outcome::Changed));
        for c in "45".chars() {
            assert!(matches!(s.on_key(&key(KeyCode::Char(c))), Outcome::Changed));
        }
        assert!(matches!(s.on_key(&key(KeyCode::Enter)), Outcome::Changed), "no unit: stays open");
        assert!(s.prompt.as_ref().is_some_and(|(_, e)| e.as_deref().is_some_and(|e| e.contains("needs a unit"))));
        s.on_key(&key(KeyCode::Char('m')));
        let r = asked(s.on_key(&key(KeyCode::Enter)));
        assert_eq!(r, vec![Request::Dashboard { name: "d".into(), range_secs: 45 * 60, end_ms: None }]);
        assert!(s.prompt.is_none());
        // q and Esc inside the prompt belong to it, not the shell.
        s.on_key(&key(KeyCode::Char('T')));
        assert!(matches!(s.on_key(&key(KeyCode::Char('q'))), Outcome::Changed));
        assert!(matches!(s.on_key(&key(KeyCode::Esc)), Outcome::Changed));
        assert!(s.prompt.is_none());
    }

    #[test]
    fn pause_freezes_the_window_and_stops_refreshing() {
        let mut s = screen(PeriodRule::Local);
        assert_eq!(s.refresh_every_ms(), Some(10_000), "the local 15-minute period");
        assert!(matches!(s.on_key(&key(KeyCode::Char('p'))), Outcome::Changed));
        assert!(s.paused());
        assert_eq!(s.refresh_every_ms(), None);
        assert_eq!(s.requests(), vec![Request::Dashboard { name: "d".into(), range_secs: 900, end_ms: Some(END) }]);
        let r = asked(s.on_key(&key(KeyCode::Char('p'))));
        assert_eq!(r, vec![Request::Dashboard { name: "d".into(), range_secs: 900, end_ms: None }]);
    }

    #[test]
    fn refresh_follows_the_period_with_a_floor_per_target_and_aws_shows_its_cost() {
        let mut s = screen(PeriodRule::Local);
        s.on_data(&Source::Dashboard("d".into()), &answer(300, PeriodRule::Local));
        assert_eq!(s.refresh_every_ms(), Some(1000));
        assert_eq!(s.cost_per_hour_usd(), None, "the local cloud costs nothing");
        let s = screen(PeriodRule::Aws);
        assert_eq!(s.refresh_every_ms(), Some(60_000));
        // 3 metrics, 60 refreshes an hour, $0.01 per 1,000 metrics.
        let cost = s.cost_per_hour_usd().expect("a cost on AWS");
        assert!((cost - 3.0 * 60.0 * 0.00001).abs() < 1e-12, "{cost}");
    }

    #[test]
    fn tab_selects_z_zooms_and_the_cursor_reads_every_series() {
        let mut s = screen(PeriodRule::Fixed(60));
        s.on_key(&key(KeyCode::Tab));
        s.on_key(&key(KeyCode::Tab));
        assert_eq!(s.selected(), 2);
        s.on_key(&key(KeyCode::BackTab));
        s.on_key(&key(KeyCode::BackTab));
        assert_eq!(s.selected(), 0);
        assert!(matches!(s.on_key(&key(KeyCode::Char('z'))), Outcome::Changed));
        assert!(s.zoomed());
        // The first step back lands one period before the end; each series reads its point there.
        s.on_key(&key(KeyCode::Left));
        let (at, values) = s.cursor().expect("a cursor");
        assert_eq!(at, END - 60_000);
        let step = (END - 60_000) / 1000 / 60;
        assert_eq!(values, [synth::wave(0, step).to_string(), synth::wave(1, step).to_string()]);
        s.on_key(&key(KeyCode::Right));
        assert_eq!(s.cursor().map(|c| c.0), Some(END));
        assert!(matches!(s.on_key(&key(KeyCode::Esc)), Outcome::Changed), "Esc leaves the zoom, not the view");
        assert!(!s.zoomed() && s.cursor().is_none());
        assert!(matches!(s.on_key(&key(KeyCode::Esc)), Outcome::Ignored));
    }

    #[test]
    fn charts_are_downsampled_for_their_width_when_data_or_size_changes() {
        let mut s = DashboardScreen::new("d".into()).with_time_zone(TimeZone::UTC);
        s.on_resize(120, 40);
        s.on_data(&Source::Dashboard("d".into()), &answer(3 * 3600, PeriodRule::Fixed(1)));
        let points = |s: &DashboardScreen| match &s.prepared()[0].body {
            prepare::Body::Chart(c) => c.series[0].points.len(),
            _ => panic!("a chart"),
        };
        // Half of 120 columns, less the axes: 52 columns of two braille dots, two points each at most.
        let wide = points(&s);
        assert!(wide <= 52 * 2 * 2 && wide > 52, "{wide}");
        s.on_resize(40, 40);
        let narrow = points(&s);
        assert!(narrow < wide / 2, "{narrow} vs {wide}");
    }
}
