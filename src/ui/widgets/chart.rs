//! The time-series chart: lines (or stacked areas) on ratatui's canvas in braille, or blocks for
//! terminals without braille; a left and an optional right y axis (right-axis series are mapped
//! onto the left's scale when prepared), the x axis in the viewer's time zone, horizontal
//! annotations and alarm thresholds as lines, the partial last bucket dimmed, and a legend with
//! each series' latest value (or its value at the cursor). Everything is prepared beforehand:
//! drawing walks the prepared points once.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::canvas::{Canvas, FilledLine, Line as Segment};

use crate::ui::theme::Theme;

/// A series' colour: the dashboard's own, or the theme's palette by position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeriesColor {
    Palette(usize),
    Fixed(Color),
}

impl SeriesColor {
    pub fn resolve(self, theme: &Theme) -> Color {
        match self {
            // Without colour every series is the terminal's default.
            _ if !theme.color => Color::Reset,
            SeriesColor::Palette(i) => theme.series_color(i),
            SeriesColor::Fixed(c) => c,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub label: String,
    pub color: SeriesColor,
    /// Downsampled `(ms since the range's start, value on the left axis's scale)`; stacked series
    /// hold the running sum.
    pub points: Vec<(f64, f64)>,
    /// The latest value with its unit, for the legend.
    pub latest: String,
    /// The last point's period has not ended: its segment is drawn dim.
    pub partial_last: bool,
    pub right_axis: bool,
}

/// A horizontal line: an annotation or an alarm's threshold, on the left axis's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub y: f64,
    pub label: String,
    pub alarm: bool,
    pub color: Option<Color>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisScale {
    pub lo: f64,
    pub hi: f64,
    /// The widget's axis label, else the unit of the series on it.
    pub label: Option<String>,
    /// Top, middle and bottom tick labels.
    pub ticks: [String; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreparedChart {
    pub span_ms: f64,
    pub series: Vec<ChartSeries>,
    /// Labels of rows fetched but not drawn (`visible: false`).
    pub hidden: Vec<String>,
    pub lines: Vec<Threshold>,
    pub left: AxisScale,
    pub right: Option<AxisScale>,
    /// Start, middle and end of the range.
    pub x_labels: [String; 3],
    pub stacked: bool,
}

/// How to draw a prepared chart.
pub struct ChartLook<'a> {
    pub theme: &'a Theme,
    pub ascii: bool,
    /// Axes and legend; off when the widget is too small for them.
    pub axes: bool,
    /// A cursor: its x (ms since the range's start), its time, and each series' value there, for
    /// the legend.
    pub cursor: Option<(f64, &'a str, &'a [String])>,
}

const LEGEND_SWATCH: &str = "■ ";
const ASCII_SWATCH: &str = "# ";

pub fn draw(chart: &PreparedChart, area: Rect, buf: &mut Buffer, look: &ChartLook<'_>) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let axes = look.axes && area.height >= 5 && area.width >= 24;
    if !axes {
        // Too small for axes: the legend still says what the lines are and their latest values.
        if look.axes && area.height >= 3 && area.width >= 12 {
            let [body, legend] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
            plot(chart, body, buf, look);
            self::legend(chart, legend, buf, look);
        } else {
            plot(chart, area, buf, look);
        }
        return;
    }
    let [body, x_row, legend] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let tick_width = |a: &AxisScale| a.ticks.iter().map(|t| t.chars().count()).max().unwrap_or(0) as u16 + 1;
    let left_w = tick_width(&chart.left).min(area.width / 4);
    let right_w = chart.right.as_ref().map_or(0, |r| tick_width(r).min(area.width / 4));
    let [left_col, canvas, right_col] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(1), Constraint::Length(right_w)]).areas(body);
    ticks(&chart.left, left_col, buf, look.theme.dim, false);
    if let Some(r) = &chart.right {
        ticks(r, right_col, buf, look.theme.dim, true);
    }
    plot(chart, canvas, buf, look);
    x_axis(chart, Rect { x: canvas.x, width: canvas.width, ..x_row }, buf, look.theme.dim);
    self::legend(chart, legend, buf, look);
}

fn ticks(axis: &AxisScale, area: Rect, buf: &mut Buffer, style: Style, right: bool) {
    if area.width < 2 || area.height == 0 {
        return;
    }
    let rows = [area.y, area.y + area.height / 2, area.bottom() - 1];
    for (tick, y) in axis.ticks.iter().zip(rows) {
        let w = area.width - 1;
        let text: String = tick.chars().take(w as usize).collect();
        let x = if right { area.x + 1 } else { area.x + w - text.chars().count() as u16 };
        buf.set_string(x, y, &text, style);
    }
    if let Some(label) = axis.label.as_deref().filter(|_| area.height >= 5) {
        let text: String = label.chars().take(area.width as usize - 1).collect();
        let x = if right { area.x + 1 } else { area.x };
        buf.set_string(x, area.y + 1, &text, style);
    }
}

fn x_axis(chart: &PreparedChart, area: Rect, buf: &mut Buffer, style: Style) {
    let [start, mid, end] = &chart.x_labels;
    let w = area.width as usize;
    if w < start.len() + end.len() + 2 {
        return;
    }
    buf.set_string(area.x, area.y, start, style);
    buf.set_string(area.right() - end.len() as u16, area.y, end, style);
    if w >= start.len() + mid.len() + end.len() + 6 {
        buf.set_string(area.x + (area.width - mid.len() as u16) / 2, area.y, mid, style);
    }
}

fn legend(chart: &PreparedChart, area: Rect, buf: &mut Buffer, look: &ChartLook<'_>) {
    let swatch = if look.ascii { ASCII_SWATCH } else { LEGEND_SWATCH };
    let mut spans: Vec<Span> = Vec::with_capacity(chart.series.len() * 3 + chart.hidden.len() + 1);
    if let Some((_, at, _)) = look.cursor {
        spans.push(Span::styled(format!("at {at}: "), look.theme.title));
    }
    for (i, s) in chart.series.iter().enumerate() {
        let value = match look.cursor {
            Some((_, _, values)) => values.get(i).map_or("-", String::as_str),
            None => s.latest.as_str(),
        };
        let axis = if s.right_axis && chart.right.is_some() { " (R)" } else { "" };
        spans.push(Span::styled(swatch, Style::default().fg(s.color.resolve(look.theme))));
        spans.push(Span::styled(format!("{}{axis} ", s.label), look.theme.text));
        spans.push(Span::styled(format!("{value}  "), look.theme.title));
    }
    for h in &chart.hidden {
        spans.push(Span::styled(format!("{h} (hidden)  "), look.theme.dim));
    }
    Line::from(spans).render(area, buf);
}

fn plot(chart: &PreparedChart, area: Rect, buf: &mut Buffer, look: &ChartLook<'_>) {
    let (lo, hi) = (chart.left.lo, chart.left.hi);
    let theme = look.theme;
    let dim = theme.dim.fg.unwrap_or(Color::Reset);
    let marker = if look.ascii { Marker::Block } else { Marker::Braille };
    Canvas::default()
        .marker(marker)
        .x_bounds([0.0, chart.span_ms.max(1.0)])
        .y_bounds([lo, hi])
        .paint(|ctx| {
            for t in &chart.lines {
                let color =
                    t.color.unwrap_or_else(|| if t.alarm { theme.error.fg.unwrap_or(Color::Reset) } else { dim });
                ctx.draw(&Segment::new(0.0, t.y, chart.span_ms, t.y, color));
            }
            ctx.layer();
            // Stacked areas from the top down, so each lower band paints over the one above it.
            let order: Box<dyn Iterator<Item = &ChartSeries>> =
                if chart.stacked { Box::new(chart.series.iter().rev()) } else { Box::new(chart.series.iter()) };
            for s in order {
                let color = s.color.resolve(theme);
                let n = s.points.len();
                if n == 1 {
                    let (x, y) = s.points[0];
                    ctx.draw(&Segment::new(x, y, x, y, color));
                }
                for (i, w) in s.points.windows(2).enumerate() {
                    let ((x1, y1), (x2, y2)) = (w[0], w[1]);
                    let c = if s.partial_last && i + 2 == n { dim } else { color };
                    if chart.stacked {
                        ctx.draw(&FilledLine::new(x1, y1, x2, y2, lo, c));
                    } else {
                        ctx.draw(&Segment::new(x1, y1, x2, y2, c));
                    }
                }
            }
            if let Some((x, _, _)) = look.cursor {
                ctx.layer();
                ctx.draw(&Segment::new(x, lo, x, hi, theme.title.fg.unwrap_or(Color::Reset)));
            }
            ctx.layer();
            for t in chart.lines.iter().filter(|t| !t.label.is_empty()) {
                ctx.print(0.0, t.y, Line::styled(t.label.clone(), theme.dim));
            }
        })
        .render(area, buf);
}
