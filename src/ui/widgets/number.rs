//! `singleValue` and `gauge` metric widgets: each series' latest value as a big number (three rows
//! of seven-segment ASCII, which every terminal draws), its unit and label, a sparkline of the
//! range below, and for a gauge a bar between the widget's y-axis min and max.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::bar;
use ratatui::text::Line;
use ratatui::widgets::{Sparkline, Widget};

use super::chart::SeriesColor;
use crate::ui::theme::Theme;

#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub min: f64,
    pub max: f64,
    pub min_label: String,
    pub max_label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreparedNumber {
    pub label: String,
    /// The latest value without its unit (`12.3k`), None without data.
    pub value: Option<String>,
    pub latest: Option<f64>,
    pub unit: &'static str,
    /// The range scaled to 0–100, downsampled to the widget's width.
    pub spark: Vec<u64>,
    pub color: SeriesColor,
    pub gauge: Option<Gauge>,
}

const ASCII_BARS: bar::Set = bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: ".",
    one_eighth: ".",
    empty: " ",
};

/// Three rows per glyph, three columns wide (a dot and a space take one).
fn glyph(c: char) -> Option<[&'static str; 3]> {
    Some(match c {
        '0' => [" _ ", "| |", "|_|"],
        '1' => ["   ", "  |", "  |"],
        '2' => [" _ ", " _|", "|_ "],
        '3' => [" _ ", " _|", " _|"],
        '4' => ["   ", "|_|", "  |"],
        '5' => [" _ ", "|_ ", " _|"],
        '6' => [" _ ", "|_ ", "|_|"],
        '7' => [" _ ", "  |", "  |"],
        '8' => [" _ ", "|_|", "|_|"],
        '9' => [" _ ", "|_|", " _|"],
        '-' => ["   ", " _ ", "   "],
        '.' => [" ", " ", "."],
        _ => return None,
    })
}

/// The columns `text` takes in big digits; letters (k, M, G) print small on the last row.
fn big_width(text: &str) -> u16 {
    text.chars().map(|c| glyph(c).map_or(1, |g| g[0].len() as u16)).sum()
}

fn draw_big(text: &str, x: u16, y: u16, buf: &mut Buffer, style: Style) {
    let mut at = x;
    for c in text.chars() {
        match glyph(c) {
            Some(g) => {
                for (row, part) in g.iter().enumerate() {
                    buf.set_string(at, y + row as u16, part, style);
                }
                at += g[0].len() as u16;
            }
            None => {
                buf.set_string(at, y + 2, c.to_string(), style);
                at += 1;
            }
        }
    }
}

pub fn draw(numbers: &[PreparedNumber], area: Rect, buf: &mut Buffer, theme: &Theme, ascii: bool) {
    if numbers.is_empty() || area.width == 0 || area.height == 0 {
        return;
    }
    let cells = Layout::horizontal(numbers.iter().map(|_| Constraint::Fill(1))).split(area);
    for (n, cell) in numbers.iter().zip(cells.iter()) {
        one(n, *cell, buf, theme, ascii);
    }
}

fn one(n: &PreparedNumber, area: Rect, buf: &mut Buffer, theme: &Theme, ascii: bool) {
    let value = n.value.as_deref().unwrap_or("-");
    let color = n.color.resolve(theme);
    let strong = theme.title.fg(color).add_modifier(Modifier::BOLD);
    let gauge_rows = if n.gauge.is_some() { 1 } else { 0 };
    let big = area.height >= 4 + gauge_rows && big_width(value) + 1 + n.unit.len() as u16 <= area.width;
    let number_rows = if big { 3 } else { 1 };
    let [number, label, gauge, spark] = Layout::vertical([
        Constraint::Length(number_rows),
        Constraint::Length(1),
        Constraint::Length(gauge_rows),
        Constraint::Min(0),
    ])
    .areas(area);
    if big {
        let w = big_width(value) + 1 + n.unit.len() as u16;
        let x = number.x + (number.width - w) / 2;
        draw_big(value, x, number.y, buf, strong);
        buf.set_string(x + big_width(value) + 1, number.y + 2, n.unit, theme.text);
    } else {
        Line::styled(format!("{value} {}", n.unit), strong).centered().render(number, buf);
    }
    Line::styled(n.label.as_str(), theme.text).centered().render(label, buf);
    if let Some(g) = &n.gauge {
        draw_gauge(g, n.latest, gauge, buf, theme, ascii, color);
    }
    if spark.height > 0 && !n.spark.is_empty() {
        let set = if ascii { ASCII_BARS } else { bar::NINE_LEVELS };
        Sparkline::default().data(&n.spark).max(100).bar_set(set).style(Style::default().fg(color)).render(spark, buf);
    }
}

fn draw_gauge(
    g: &Gauge,
    latest: Option<f64>,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    ascii: bool,
    color: ratatui::style::Color,
) {
    let labels = g.min_label.chars().count() + g.max_label.chars().count() + 2;
    if area.width as usize <= labels + 2 {
        return;
    }
    let inner = area.width as usize - labels;
    let ratio = latest.map_or(0.0, |v| ((v - g.min) / (g.max - g.min)).clamp(0.0, 1.0));
    let ratio = if ratio.is_finite() { ratio } else { 0.0 };
    let filled = (ratio * inner as f64).round() as usize;
    let (on, off) = if ascii { ("#", "-") } else { ("█", "░") };
    buf.set_string(area.x, area.y, &g.min_label, theme.dim);
    let x = area.x + g.min_label.chars().count() as u16 + 1;
    buf.set_string(x, area.y, on.repeat(filled), Style::default().fg(color));
    buf.set_string(x + filled as u16, area.y, off.repeat(inner - filled), theme.dim);
    buf.set_string(x + inner as u16 + 1, area.y, &g.max_label, theme.dim);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_digits_take_three_columns_and_a_dot_one() {
        assert_eq!(big_width("12.5"), 10);
        assert_eq!(big_width("4k"), 4);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        draw_big("12.5", 0, 0, &mut buf, Style::default());
        let rows: Vec<String> = (0..3).map(|y| (0..10).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect();
        assert_eq!(rows, vec!["    _   _ ", "  | _| |_ ", "  ||_ . _|"]);
    }
}
