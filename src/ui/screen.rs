//! The whole screen from the app's state: header, the top view, and the bottom line (the palette or
//! filter being typed, the last error, or the keys). The one render path; it only reads.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, Mode};
use super::header::{self, HeaderState};
use super::view::DrawCtx;

/// Below this the views draw less and the bottom line says so.
pub const MIN_FULL: (u16, u16) = (80, 24);

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let [head, body, foot] = if area.height >= 3 {
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area)
    } else {
        // Two rows or one: the target line first, always.
        let [head, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        [head, rest, Rect::default()]
    };
    let crumbs = app.crumbs();
    // Only the view on top refreshes: the ones beneath it cost nothing until they are back on top.
    let cost = app.top().cost_per_hour_usd();
    let state = HeaderState {
        info: &app.header,
        crumbs: &crumbs,
        busy: !app.in_flight.is_empty(),
        spinner: app.spinner,
        cost_per_hour_usd: cost,
    };
    header::draw(frame, head, &state, &app.theme);
    if body.height > 0 {
        let ctx = DrawCtx { theme: &app.theme, now_ms: app.now_ms, ascii: app.ascii };
        app.top().draw(frame, body, &ctx);
    }
    if foot.height > 0 {
        frame.render_widget(Paragraph::new(bottom_line(app, area)), foot);
    }
    if let Mode::Palette(p) = &app.mode {
        draw_completions(frame, app, body, &p.completions(&app.names), p.selected);
    }
}

fn bottom_line(app: &App, area: Rect) -> Line<'static> {
    let theme = &app.theme;
    match &app.mode {
        Mode::Palette(p) => {
            return Line::from(vec![
                Span::styled(":", theme.title),
                Span::styled(p.input.clone(), theme.text),
                Span::styled("▏  ↑↓ pick · Tab complete · Enter run · Esc cancel", theme.dim),
            ]);
        }
        Mode::Filter(f) => {
            return Line::from(vec![
                Span::styled("/", theme.title),
                Span::styled(f.clone(), theme.text),
                Span::styled("▏  Enter keep · Esc clear", theme.dim),
            ]);
        }
        Mode::Normal => {}
    }
    if let Some(e) = &app.last_error {
        return Line::from(Span::styled(format!("error: {e}"), theme.error));
    }
    let mut spans = Vec::new();
    if area.width < MIN_FULL.0 || area.height < MIN_FULL.1 {
        spans.push(Span::styled(
            format!("{}×{}: some columns and axes hidden (80×24 shows all) ", area.width, area.height),
            theme.insufficient,
        ));
    }
    let keys: Vec<String> =
        app.top().keys().into_iter().chain(app.shell_keys()).map(|k| format!("{} {}", k.keys, k.what)).collect();
    spans.push(Span::styled(keys.join(" · "), theme.dim));
    Line::from(spans)
}

fn draw_completions(frame: &mut Frame, app: &App, body: Rect, items: &[String], selected: usize) {
    if items.is_empty() || body.height < 3 || body.width < 10 {
        return;
    }
    let rows = (items.len() as u16).min(body.height.saturating_sub(2)).min(10);
    let width = (items.iter().map(|s| s.chars().count()).max().unwrap_or(10) as u16 + 2).max(12).min(body.width);
    let area = Rect { x: body.x, y: body.bottom().saturating_sub(rows + 2), width, height: rows + 2 };
    frame.render_widget(Clear, area);
    let selected = selected.min(items.len() - 1);
    // The window of completions keeps the picked one in sight.
    let first = selected.saturating_sub(rows as usize - 1);
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .skip(first)
        .take(rows as usize)
        .map(|(i, s)| Line::styled(s.clone(), if i == selected { app.theme.selected } else { app.theme.text }))
        .collect();
    let title = if items.len() > rows as usize {
        format!("commands {}/{}", selected + 1, items.len())
    } else {
        "commands".to_string()
    };
    let block = Block::default().borders(Borders::ALL).border_style(app.theme.border).title(title);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
