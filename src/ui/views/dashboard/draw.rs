//! Drawing a dashboard from its prepared widgets: the status line (range, refresh, pause, or the
//! custom range prompt), then the grid or the zoomed widget.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::grid::{self, Cell};
use super::prepare::{Body, Prepared};
use crate::ui::action::DashboardData;
use crate::ui::view::DrawCtx;
use crate::ui::widgets::chart::{self, ChartLook};
use crate::ui::widgets::{alarm_list, log_table, markdown, number};

/// What a frame of the dashboard shows: the view's state, borrowed.
pub struct Scene<'a> {
    pub data: Option<&'a DashboardData>,
    pub error: Option<&'a str>,
    pub range_secs: i64,
    /// None while paused.
    pub refresh_every_ms: Option<i64>,
    pub cells: &'a [Cell],
    pub prepared: &'a [Prepared],
    pub selected: usize,
    pub zoom: Option<&'a Prepared>,
    /// The cursor's time, that time as drawn, and each series' value there.
    pub cursor: Option<(i64, &'a str, &'a [String])>,
    /// The custom range prompt's text and its last error.
    pub prompt: Option<(&'a str, Option<&'a str>)>,
}

pub fn draw(s: &Scene<'_>, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let grid_area = grid::grid_area(area);
    if grid_area != area {
        status(s, Rect { height: 1, ..area }, frame.buffer_mut(), ctx);
    }
    let buf = frame.buffer_mut();
    let Some(data) = s.data else {
        let line = match s.error {
            Some(e) => Line::styled(e, ctx.theme.error),
            None => Line::styled("loading…", ctx.theme.dim),
        };
        Paragraph::new(line).render(grid_area, buf);
        return;
    };
    if data.view.widgets.is_empty() {
        Line::styled("this dashboard has no widgets", ctx.theme.dim).render(grid_area, buf);
        return;
    }
    if let Some(zoom) = s.zoom {
        widget(zoom, grid_area, buf, ctx, true, s.cursor, data.end_ms);
        return;
    }
    let rpu = grid::rows_per_unit(grid_area.width, grid_area.height, grid::height(s.cells));
    let scroll = grid::scroll_for(s.cells.get(s.selected).copied(), grid_area, rpu);
    for (i, (p, c)) in s.prepared.iter().zip(s.cells).enumerate() {
        if let Some(rect) = grid::clip(grid_area, grid::scaled(*c, grid_area, rpu, scroll)) {
            widget(p, rect, buf, ctx, i == s.selected, None, data.end_ms);
        }
    }
}

fn status(s: &Scene<'_>, area: Rect, buf: &mut Buffer, ctx: &DrawCtx<'_>) {
    let t = ctx.theme;
    let line = if let Some((text, error)) = s.prompt {
        let mut spans = vec![Span::styled("time range: ", t.title), Span::styled(format!("{text}_"), t.text)];
        match error {
            Some(e) => spans.push(Span::styled(format!("  {e}"), t.error)),
            None => spans.push(Span::styled("  e.g. 90s, 45m, 2d · Enter · Esc", t.dim)),
        }
        Line::from(spans)
    } else {
        let range = crate::duration::describe(std::time::Duration::from_secs(s.range_secs.max(1) as u64));
        let refresh = match s.refresh_every_ms {
            None => Span::styled("paused", t.insufficient),
            Some(ms) => Span::styled(format!("every {}s", ms / 1000), t.dim),
        };
        let mut spans = vec![Span::styled(format!("last {range}"), t.title), Span::raw("  "), refresh];
        if let Some(d) = s.data {
            spans.push(Span::styled(
                format!("  ·  {} GetMetricData call(s), {} metrics", d.view.calls, d.view.metrics_requested),
                t.dim,
            ));
        }
        if let Some(e) = s.error {
            spans.push(Span::styled(format!("  {e}"), t.error));
        }
        Line::from(spans)
    };
    line.render(area, buf);
}

fn widget(
    p: &Prepared,
    area: Rect,
    buf: &mut Buffer,
    ctx: &DrawCtx<'_>,
    selected: bool,
    cursor: Option<(i64, &str, &[String])>,
    end_ms: i64,
) {
    let t = ctx.theme;
    let inner = if p.framed && area.width >= 4 && area.height >= 3 {
        let border = if selected { t.title } else { t.border };
        let title = Span::styled(format!(" {} ", p.title), if selected { t.selected } else { t.title });
        let block = Block::bordered().border_style(border).title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        inner
    } else {
        if p.framed {
            Line::styled(p.title.as_str(), if selected { t.selected } else { t.title }).render(area, buf);
            return;
        }
        area
    };
    let mut body = inner;
    for problem in p.problems.iter().take(body.height.saturating_sub(1) as usize) {
        Line::styled(problem.as_str(), t.error).render(Rect { height: 1, ..body }, buf);
        body = Rect { y: body.y + 1, height: body.height - 1, ..body };
    }
    if body.width == 0 || body.height == 0 {
        return;
    }
    match &p.body {
        Body::Chart(c) => {
            let span = c.span_ms as i64;
            let look = ChartLook {
                theme: t,
                ascii: ctx.ascii,
                axes: true,
                cursor: cursor.map(|(at, label, values)| ((at - (end_ms - span)) as f64, label, values)),
            };
            chart::draw(c, body, buf, &look);
        }
        Body::Numbers(n) => number::draw(n, body, buf, t, ctx.ascii),
        Body::Alarms(rows) => alarm_list::draw(rows, body, buf, t),
        Body::Text(lines) => {
            markdown::draw(lines, body, buf, t);
            if selected {
                buf.set_style(Rect { height: 1, ..body }, t.selected);
            }
        }
        Body::Log(log) => log_table::draw(log, body, buf, t),
        Body::Note(note) => Line::styled(note.as_str(), t.dim).render(body, buf),
    }
}
