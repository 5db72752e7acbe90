//! Alarms: every alarm with its state (coloured), since when and why; Enter opens one, drawn as its
//! metric at the alarm's statistic and period with the threshold as a line, and its state history.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

use crate::control::alarms::{AlarmDetail, AlarmRow, reason_summary};
use crate::control::dashboard::plan::USD_PER_METRIC;
use crate::text_format::age;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, Route, View};

/// The history DescribeAlarmHistory is asked for.
const HISTORY_SECS: i64 = 86_400;
/// Points a chart keeps at most: wider than any terminal, so the chart never has to thin them again.
const MAX_POINTS: usize = 480;

/// One row of the list, its reason summarised once.
struct ListRow {
    name: String,
    state: String,
    since_ms: Option<i64>,
    reason: String,
}

/// One alarm, prepared for drawing.
struct Prepared {
    alarm: AlarmRow,
    reason: String,
    /// What is compared: `Maximum of AWS/Kinesis GetRecords.IteratorAgeMilliseconds per 60 s > 60000`.
    rule: String,
    /// Points as (seconds before the range's end, value).
    points: Vec<(f64, f64)>,
    threshold: Option<[(f64, f64); 2]>,
    x_bounds: [f64; 2],
    y_bounds: [f64; 2],
    y_labels: [String; 2],
    x_label: String,
    metric_error: Option<String>,
    history: Vec<(i64, String)>,
}

pub struct AlarmsScreen {
    /// One alarm's detail, or every alarm.
    name: Option<String>,
    rows: Vec<ListRow>,
    loaded: bool,
    selected: usize,
    filter: String,
    detail: Option<Prepared>,
    error: Option<String>,
}

impl AlarmsScreen {
    pub fn new(name: Option<String>) -> Self {
        AlarmsScreen {
            name,
            rows: Vec::new(),
            loaded: false,
            selected: 0,
            filter: String::new(),
            detail: None,
            error: None,
        }
    }

    fn visible(&self) -> Vec<&ListRow> {
        let f = self.filter.to_lowercase();
        self.rows.iter().filter(|r| f.is_empty() || r.name.to_lowercase().contains(&f)).collect()
    }
}

fn comparison_sign(c: &str) -> &str {
    match c {
        "GreaterThanThreshold" => ">",
        "GreaterThanOrEqualToThreshold" => "≥",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "≤",
        other => other,
    }
}

/// At most `max` points: each bucket keeps its largest value, as an alarm on a peak must still see it.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points;
    }
    let per = points.len().div_ceil(max);
    points.chunks(per).filter_map(|c| c.iter().copied().reduce(|a, b| if b.1 > a.1 { (a.0, b.1) } else { a })).collect()
}

/// An axis label: short, whole where the value is large.
fn label(v: f64) -> String {
    match v.abs() {
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e4 => format!("{:.0}k", v / 1e3),
        a if a >= 100.0 || v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    }
}

fn prepare(d: &AlarmDetail) -> Prepared {
    let a = &d.alarm;
    let rule = format!(
        "{} of {} {} per {} s {} {}",
        a.statistic.as_deref().unwrap_or("?"),
        a.namespace.as_deref().unwrap_or("?"),
        a.metric.as_deref().unwrap_or("(metric math)"),
        a.period.unwrap_or(0),
        a.comparison.as_deref().map_or("?", comparison_sign),
        a.threshold.map_or("?".to_string(), |t| format!("{t}")),
    );
    let (points, x_bounds, metric_error, span) = match &d.metric {
        Ok(m) => {
            let end = m.range.end_ms;
            let pts = m.timestamps_ms.iter().zip(&m.values).map(|(t, v)| ((t - end) as f64 / 1000.0, *v)).collect();
            (thin(pts, MAX_POINTS), [-(m.range.secs() as f64), 0.0], None, m.range.secs())
        }
        Err(e) => (Vec::new(), [-1.0, 0.0], Some(e.clone()), 0),
    };
    let threshold = a.threshold.map(|t| [(x_bounds[0], t), (x_bounds[1], t)]);
    let values = points.iter().map(|p| p.1).chain(a.threshold);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo.min(0.0), hi) } else { (0.0, 1.0) };
    let hi = if hi <= lo { lo + 1.0 } else { hi + (hi - lo) * 0.05 };
    Prepared {
        alarm: a.clone(),
        reason: a.reason.as_deref().map(reason_summary).unwrap_or_default(),
        rule,
        points,
        threshold,
        x_bounds,
        y_bounds: [lo, hi],
        y_labels: [label(lo), label(hi)],
        x_label: format!("-{}", age(span * 1000)),
        metric_error,
        history: d.history.iter().map(|h| (h.timestamp_ms, h.summary.clone())).collect(),
    }
}

impl View for AlarmsScreen {
    fn crumb(&self) -> String {
        self.name.as_ref().map_or("alarms".to_string(), |n| format!("alarm {n}"))
    }
    fn keys(&self) -> Vec<KeyHelp> {
        match self.name {
            None => vec![KeyHelp::new("↑↓", "select"), KeyHelp::new("Enter", "open the alarm")],
            Some(_) => Vec::new(),
        }
    }
    fn requests(&self) -> Vec<Request> {
        match &self.name {
            Some(name) => vec![Request::Alarm { name: name.clone(), range_secs: HISTORY_SECS }],
            None => vec![Request::Alarms],
        }
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        // One alarm refreshes at its period: sooner would fetch the same points again.
        let period = self.detail.as_ref().and_then(|d| d.alarm.period).map_or(10, i64::from);
        Some((period * 1000).max(10_000))
    }
    fn cost_per_hour_usd(&self) -> Option<f64> {
        let has_metric = self.detail.as_ref().is_some_and(|d| d.metric_error.is_none());
        let refreshes = 3_600_000 / self.refresh_every_ms().unwrap_or(10_000).max(1);
        has_metric.then_some(USD_PER_METRIC * refreshes as f64)
    }
    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        if self.name.is_some() {
            return Outcome::Ignored;
        }
        let len = self.visible().len();
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(len.saturating_sub(1)),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            // A kept filter goes first; Esc again goes back.
            KeyCode::Esc if !self.filter.is_empty() => {
                self.set_filter("");
            }
            KeyCode::Enter => {
                return match self.visible().get(self.selected) {
                    Some(r) => Outcome::Open(Route::Alarm(r.name.clone())),
                    None => Outcome::Ignored,
                };
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Changed
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Alarms, Data::Alarms(rows)) if self.name.is_none() => {
                self.rows = rows
                    .iter()
                    .map(|a| ListRow {
                        name: a.name.clone(),
                        state: a.state.clone(),
                        since_ms: a.since_ms,
                        reason: a.reason.as_deref().map(reason_summary).unwrap_or_default(),
                    })
                    .collect();
                self.loaded = true;
                self.selected = self.selected.min(self.visible().len().saturating_sub(1));
            }
            (Source::Alarm(n), Data::Alarm(d)) if self.name.as_ref() == Some(n) => {
                self.detail = Some(prepare(d));
            }
            _ => return false,
        }
        self.error = None;
        true
    }
    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        let mine = match &self.name {
            Some(n) => *source == Source::Alarm(n.clone()),
            None => *source == Source::Alarms,
        };
        if mine {
            self.error = Some(message.to_string());
        }
        mine
    }
    fn set_filter(&mut self, text: &str) -> bool {
        if self.name.is_some() {
            return false;
        }
        self.filter = text.to_string();
        self.selected = 0;
        true
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        if let Some(e) = &self.error {
            frame.render_widget(Paragraph::new(Line::styled(e.clone(), ctx.theme.error)), area);
            return;
        }
        match (&self.name, &self.detail) {
            (None, _) => self.draw_list(frame, area, ctx),
            (Some(_), Some(p)) => draw_one(p, frame, area, ctx),
            (Some(_), None) => frame.render_widget(Paragraph::new(Line::styled("loading…", ctx.theme.dim)), area),
        }
    }
}

impl AlarmsScreen {
    fn draw_list(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let t = ctx.theme;
        let rows = self.visible();
        let count = if self.filter.is_empty() {
            format!("{}", self.rows.len())
        } else {
            format!("{} of {} /{}", rows.len(), self.rows.len(), self.filter)
        };
        // Ages go first, then reasons, as the width shrinks.
        let (ages, reasons) = (area.width >= 80, area.width >= 60);
        let mut block =
            Block::default().borders(Borders::ALL).border_style(t.border).title(format!(" Alarms ({count}) "));
        let hidden = match (ages, reasons) {
            (true, _) => "",
            (false, true) => " ages hidden: 80 columns show them ",
            (false, false) => " ages and reasons hidden: 80 columns show them ",
        };
        if !hidden.is_empty() {
            block = block.title_bottom(Line::styled(hidden, t.dim));
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let lines: Vec<Line> = if !self.loaded {
            vec![Line::styled("loading…", t.dim)]
        } else if rows.is_empty() {
            vec![Line::styled(if self.filter.is_empty() { "no alarms" } else { "none match the filter" }, t.dim)]
        } else {
            let height = inner.height as usize;
            let first = self.selected.saturating_sub(height - 1);
            let name_width =
                rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).min(inner.width as usize / 2);
            rows.iter()
                .enumerate()
                .skip(first)
                .take(height)
                .map(|(n, r)| {
                    let name_style = if n == self.selected { t.selected } else { t.text };
                    let mut spans = vec![
                        Span::styled(format!("{:<17}", r.state), t.state(&r.state)),
                        Span::raw(" "),
                        Span::styled(format!("{:<name_width$}", r.name), name_style),
                    ];
                    if ages {
                        let since = r.since_ms.map_or("-".to_string(), |s| age(ctx.now_ms - s));
                        spans.push(Span::styled(format!(" {since:>4}"), t.dim));
                    }
                    if reasons {
                        spans.push(Span::styled(format!(" {}", r.reason), t.dim));
                    }
                    Line::from(spans)
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn draw_one(p: &Prepared, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
    let t = ctx.theme;
    let a = &p.alarm;
    let since = a.since_ms.map_or(String::new(), |s| format!(" for {}", age(ctx.now_ms - s)));
    let head = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", a.state), t.state(&a.state)),
            Span::raw(" "),
            Span::styled(a.name.clone(), t.title),
            Span::styled(since, t.dim),
        ]),
        Line::styled(p.rule.clone(), t.text),
        Line::styled(p.reason.clone(), t.dim),
    ];
    // The chart needs room to mean anything; below 80×24 it loses its axes, below 12 rows it goes.
    let chart_rows = if area.height >= 12 { (area.height - 3) * 3 / 5 } else { 0 };
    let [head_area, chart_area, history_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(chart_rows), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    if chart_rows > 0 {
        draw_chart(p, frame, chart_area, ctx);
    }
    if history_area.height == 0 {
        return;
    }
    let mut lines = Vec::new();
    if chart_rows == 0 {
        lines.push(Line::styled("(chart hidden: 12 rows show it)", t.dim));
    }
    lines.push(Line::styled(format!("History ({})", p.history.len()), t.title));
    if p.history.is_empty() {
        lines.push(Line::styled("  no state changes in the last day", t.dim));
    }
    let wide = area.width >= 80;
    lines.extend(p.history.iter().take(history_area.height as usize).map(|(at, summary)| {
        let mut spans = Vec::new();
        if wide {
            spans.push(Span::styled(format!("  {:>4} ago ", age(ctx.now_ms - at)), t.dim));
        } else {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(summary.clone(), t.text));
        Line::from(spans)
    }));
    frame.render_widget(Paragraph::new(lines), history_area);
}

fn draw_chart(p: &Prepared, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
    let t = ctx.theme;
    if let Some(e) = &p.metric_error {
        frame.render_widget(Paragraph::new(Line::styled(e.clone(), t.dim)), area);
        return;
    }
    let marker = if ctx.ascii { Marker::Block } else { Marker::Braille };
    let mut datasets = vec![
        Dataset::default()
            .name(p.alarm.metric.clone().unwrap_or_default())
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(ratatui::style::Style::default().fg(t.series_color(0)))
            .data(&p.points),
    ];
    if let Some(line) = &p.threshold {
        datasets.push(
            Dataset::default().name("threshold").marker(marker).graph_type(GraphType::Line).style(t.error).data(line),
        );
    }
    let full = area.width >= 80 && area.height >= 8;
    let mut x = Axis::default().bounds(p.x_bounds).style(t.dim);
    let mut y = Axis::default().bounds(p.y_bounds).style(t.dim);
    if full {
        x = x.labels([Span::raw(p.x_label.clone()), Span::raw("now")]);
        y = y.labels([Span::raw(p.y_labels[0].clone()), Span::raw(p.y_labels[1].clone())]);
    }
    let mut chart = Chart::new(datasets).x_axis(x).y_axis(y);
    if !full {
        // No axes and no legend: the lines alone still show where the metric sits against the threshold.
        chart = chart.hidden_legend_constraints((Constraint::Length(0), Constraint::Length(0)));
    }
    frame.render_widget(chart, area);
}
