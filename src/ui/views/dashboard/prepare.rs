//! What each widget draws, computed once per answer or size: charts downsampled to their drawn
//! width with axes, thresholds and labels formatted; big numbers and sparklines; alarm rows;
//! markdown parsed; log queries. Drawing then only walks these.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use ratatui::style::Color;

use crate::control::dashboard::axis::{Axis, AxisProps};
use crate::control::dashboard::map::{Series, WidgetView};
use crate::control::dashboard::model::{Annotation, HorizontalAnnotation, MetricSettings, View, WidgetKind};
use crate::text_format;
use crate::ui::action::DashboardData;
use crate::ui::widgets::alarm_list::AlarmRow;
use crate::ui::widgets::chart::{AxisScale, ChartSeries, PreparedChart, SeriesColor, Threshold};
use crate::ui::widgets::downsample::downsample;
use crate::ui::widgets::log_table::PreparedLog;
use crate::ui::widgets::markdown::{self, MdLine};
use crate::ui::widgets::number::{Gauge, PreparedNumber};

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Chart(Box<PreparedChart>),
    Numbers(Vec<PreparedNumber>),
    Alarms(Vec<AlarmRow>),
    Text(Vec<MdLine>),
    Log(PreparedLog),
    /// A widget the terminal does not draw, and why.
    Note(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub title: String,
    /// Rows that could not be asked for, said in the widget.
    pub problems: Vec<String>,
    pub body: Body,
    /// Drawn in a box with its title; text widgets are section headers without one.
    pub framed: bool,
}

/// The time range an answer covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Range {
    pub fn of(d: &DashboardData) -> Range {
        Range { start_ms: d.end_ms - d.range_secs * 1000, end_ms: d.end_ms }
    }
}

/// Prepares widget `w` of the answer `d` for `columns` of plot width.
pub fn widget(d: &DashboardData, w: &WidgetView, columns: u16, tz: &TimeZone) -> Prepared {
    let model = d.dashboard.widgets.get(w.index).map(|m| &m.kind);
    let title = w.title.clone().unwrap_or_else(|| match model {
        Some(WidgetKind::Log(_)) => "Logs".to_string(),
        Some(WidgetKind::Alarm(_)) => "Alarms".to_string(),
        _ => w.kind.clone(),
    });
    let range = Range::of(d);
    let (body, framed) = match model {
        Some(WidgetKind::Metric(m)) => (metric(w, &m.settings, range, columns, tz), true),
        Some(WidgetKind::Text(t)) => (Body::Text(markdown::parse(&t.markdown)), false),
        Some(WidgetKind::Alarm(_)) => (Body::Alarms(alarm_rows(w)), true),
        Some(WidgetKind::Log(l)) => (Body::Log(PreparedLog::new(&l.query, d.logs.get(&w.index).cloned())), true),
        Some(WidgetKind::Other { type_name, .. }) => {
            (Body::Note(format!("{type_name} widgets are not drawn in the terminal")), true)
        }
        None => (Body::Note("not in the dashboard body any more".to_string()), true),
    };
    Prepared { title, problems: w.problems.clone(), body, framed }
}

fn alarm_rows(w: &WidgetView) -> Vec<AlarmRow> {
    w.alarms
        .iter()
        .map(|a| AlarmRow {
            name: a.name.clone(),
            state: a.state.clone(),
            reason: a.reason.as_deref().map(first_sentence).unwrap_or_default().to_string(),
        })
        .collect()
}

fn first_sentence(s: &str) -> &str {
    s.split_once(". ").map_or(s, |(a, _)| a)
}

fn metric(w: &WidgetView, s: &MetricSettings, range: Range, columns: u16, tz: &TimeZone) -> Body {
    match s.view {
        View::SingleValue | View::Gauge => Body::Numbers(numbers(w, s, range, columns)),
        // Bars, pies and tables are drawn as the time series they summarise.
        _ => Body::Chart(Box::new(chart(w, s, range, columns, tz))),
    }
}

/// `#1f77b4` as a colour.
pub fn parse_color(hex: &str) -> Option<Color> {
    let h = hex.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let n = u32::from_str_radix(h, 16).ok()?;
    Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8))
}

fn color_of(s: &Series, i: usize) -> SeriesColor {
    s.color.as_deref().and_then(parse_color).map_or(SeriesColor::Palette(i), SeriesColor::Fixed)
}

fn numbers(w: &WidgetView, s: &MetricSettings, range: Range, columns: u16) -> Vec<PreparedNumber> {
    let gauge = (s.view == View::Gauge).then(|| {
        let left = s.y_axis.as_ref().and_then(|y| y.left.as_ref());
        let min = left.and_then(|l| l.min).unwrap_or(0.0);
        let max = left.and_then(|l| l.max).unwrap_or(100.0);
        Gauge { min, max, min_label: text_format::short(min), max_label: text_format::short(max) }
    });
    w.series
        .iter()
        .filter(|x| x.visible)
        .enumerate()
        .map(|(i, x)| {
            let points = downsample(&x.timestamps_ms, &x.values, range.start_ms, range.end_ms, columns.into());
            let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            // One bar a column: the higher of a column's two points.
            let mut spark: Vec<u64> = Vec::with_capacity(columns.into());
            let per_column = (range.end_ms - range.start_ms).max(1) as f64 / f64::from(columns.max(1));
            let mut last_column = None;
            for (t, v) in points {
                let bar = if hi > lo { ((v - lo) / (hi - lo) * 100.0).round() as u64 } else { 50 };
                let column = (t / per_column) as u64;
                if last_column == Some(column) {
                    if let Some(b) = spark.last_mut() {
                        *b = (*b).max(bar);
                    }
                } else {
                    spark.push(bar);
                    last_column = Some(column);
                }
            }
            PreparedNumber {
                label: x.label.clone(),
                value: x.latest().map(text_format::short),
                latest: x.latest(),
                unit: text_format::unit_suffix(x.unit),
                spark,
                color: color_of(x, i),
                gauge: gauge.clone(),
            }
        })
        .collect()
}

/// The lines an axis must show: annotations and alarm thresholds on it.
fn lines_on(w: &WidgetView, s: &MetricSettings, axis: Axis) -> Vec<(f64, String, bool, Option<Color>)> {
    let mut out = Vec::new();
    let shown = |h: &HorizontalAnnotation| h.visible != Some(false) && h.y_axis.unwrap_or_default() == axis;
    let mut add = |h: &HorizontalAnnotation| {
        if shown(h) {
            let label = h.label.clone().unwrap_or_else(|| text_format::short(h.value));
            out.push((h.value, label, false, h.color.as_deref().and_then(parse_color)));
        }
    };
    for a in s.annotations.iter().flat_map(|a| &a.horizontal) {
        match a {
            Annotation::Line(h) => add(h),
            Annotation::Band(edges) => edges.iter().for_each(&mut add),
        }
    }
    if axis == Axis::Left {
        for a in &w.alarms {
            if let Some(t) = a.threshold {
                out.push((t, format!("{} {}", a.name, text_format::short(t)), true, None));
            }
        }
    }
    out
}

/// Adds each stacked series to the ones before it, point by point in time.
fn stack(series: &[&Series]) -> Vec<Vec<f64>> {
    let mut below: HashMap<i64, f64> = HashMap::new();
    series
        .iter()
        .map(|s| {
            s.timestamps_ms
                .iter()
                .zip(&s.values)
                .map(|(t, v)| {
                    let sum = below.entry(*t).or_insert(0.0);
                    *sum += v;
                    *sum
                })
                .collect()
        })
        .collect()
}

fn scale(props: Option<&AxisProps>, values: impl Iterator<Item = f64>, unit: Option<&str>) -> AxisScale {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    // Charts of non-negative data start at zero, as CloudWatch draws them.
    let lo = props.and_then(|p| p.min).unwrap_or(lo.min(0.0));
    let mut hi = props.and_then(|p| p.max).unwrap_or(hi);
    if hi <= lo {
        hi = lo + 1.0;
    }
    let label = props.and_then(|p| p.label.clone()).or_else(|| {
        let u = text_format::unit_suffix(unit);
        (!u.is_empty()).then(|| u.to_string())
    });
    AxisScale {
        lo,
        hi,
        label,
        ticks: [text_format::short(hi), text_format::short((lo + hi) / 2.0), text_format::short(lo)],
    }
}

fn chart(w: &WidgetView, s: &MetricSettings, range: Range, columns: u16, tz: &TimeZone) -> PreparedChart {
    let visible: Vec<&Series> = w.series.iter().filter(|x| x.visible).collect();
    let hidden = w.series.iter().filter(|x| !x.visible).map(|x| x.label.clone()).collect();
    let stacked = s.stacked == Some(true);
    let values: Vec<Vec<f64>> =
        if stacked { stack(&visible) } else { visible.iter().map(|x| x.values.clone()).collect() };
    let on = |axis: Axis| visible.iter().zip(&values).filter(move |(x, _)| x.y_axis == axis);
    let axes = s.y_axis.as_ref();
    let left_lines = lines_on(w, s, Axis::Left);
    let right_lines = lines_on(w, s, Axis::Right);
    let left_unit = on(Axis::Left).map(|(x, _)| x.unit).next().flatten();
    let right_unit = on(Axis::Right).map(|(x, _)| x.unit).next().flatten();
    let left = scale(
        axes.and_then(|a| a.left.as_ref()),
        on(Axis::Left).flat_map(|(_, v)| v.iter().copied()).chain(left_lines.iter().map(|l| l.0)),
        left_unit,
    );
    let right = (on(Axis::Right).next().is_some() || !right_lines.is_empty()).then(|| {
        scale(
            axes.and_then(|a| a.right.as_ref()),
            on(Axis::Right).flat_map(|(_, v)| v.iter().copied()).chain(right_lines.iter().map(|l| l.0)),
            right_unit,
        )
    });
    // Right-axis values onto the left axis's scale: the canvas has one.
    let to_left = |v: f64, axis: Axis| match (&right, axis) {
        (Some(r), Axis::Right) => left.lo + (v - r.lo) / (r.hi - r.lo) * (left.hi - left.lo),
        _ => v,
    };
    // Braille has two dots a column; blocks one.
    let dots = usize::from(columns.max(1)) * 2;
    let series = visible
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (x, v))| {
            let points = downsample(&x.timestamps_ms, v, range.start_ms, range.end_ms, dots)
                .into_iter()
                .map(|(t, y)| (t, to_left(y, x.y_axis)))
                .collect();
            ChartSeries {
                label: x.label.clone(),
                color: color_of(x, i),
                points,
                latest: x.latest().map_or("-".to_string(), |v| text_format::short_with_unit(v, x.unit)),
                partial_last: x.partial_last,
                right_axis: x.y_axis == Axis::Right,
            }
        })
        .collect();
    let lines = left_lines
        .into_iter()
        .map(|l| (l, Axis::Left))
        .chain(right_lines.into_iter().map(|l| (l, Axis::Right)))
        .map(|((v, label, alarm, color), axis)| Threshold { y: to_left(v, axis), label, alarm, color })
        .collect();
    let span = range.end_ms - range.start_ms;
    PreparedChart {
        span_ms: span as f64,
        series,
        hidden,
        lines,
        left,
        right,
        x_labels: [
            text_format::clock(range.start_ms, span, tz),
            text_format::clock(range.start_ms + span / 2, span, tz),
            text_format::clock(range.end_ms, span, tz),
        ],
        stacked,
    }
}

/// Each visible series' value at `at_ms` (the point whose period holds it), for the cursor.
pub fn readout(w: &WidgetView, at_ms: i64) -> Vec<String> {
    w.series
        .iter()
        .filter(|x| x.visible)
        .map(|x| {
            let i = x.timestamps_ms.partition_point(|t| *t <= at_ms);
            match i.checked_sub(1) {
                Some(i) if at_ms - x.timestamps_ms[i] < x.period.max(1) * 1000 => {
                    text_format::short_with_unit(x.values[i], x.unit)
                }
                _ => "-".to_string(),
            }
        })
        .collect()
}
