//! A Kinesis stream: its settings (mode, retention, encryption, enhanced monitoring), its key figures
//! per period from `AWS/Kinesis` over the view's range, its shards (hash ranges as shares of the key
//! space, open or closed, parents) and its consumers. Everything drawn is prepared in `on_data`.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::control::dashboard::plan::USD_PER_METRIC;
use crate::control::dashboard::sparkline::sparkline;
use crate::control::streams::{FIGURES, StreamFigures, StreamView, key_share};
use crate::duration;
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, Route, View};

/// The ranges `t` steps through.
const RANGES: [i64; 4] = [15 * 60, 3600, 3 * 3600, 86_400];
/// Sparkline bars prepared per figure; a narrower screen draws the newest ones.
const SPARK: usize = 40;

/// One key figure, formatted once per answer.
#[derive(Debug, Clone, PartialEq)]
struct FigureRow {
    label: String,
    latest: String,
    peak: String,
    /// Over the whole range: a sum for counts, none for iterator age.
    total: String,
    spark: String,
}

#[derive(Debug, Clone, PartialEq)]
struct ShardLine {
    id: String,
    range: String,
    open: bool,
    parents: String,
}

/// What the view draws, prepared from one answer.
#[derive(Debug, Clone, PartialEq)]
struct Prepared {
    title: String,
    settings: Vec<(String, String)>,
    figures: Result<Vec<FigureRow>, String>,
    period: String,
    shards: Vec<ShardLine>,
    consumers: Vec<String>,
}

pub struct StreamScreen {
    name: String,
    range_secs: i64,
    data: Option<Prepared>,
    error: Option<String>,
    scroll: u16,
    /// The figures' period: refreshing faster than it would fetch the same points again.
    period_secs: Option<i64>,
}

impl StreamScreen {
    pub fn new(name: String) -> Self {
        StreamScreen { name, range_secs: 3600, data: None, error: None, scroll: 0, period_secs: None }
    }
}

/// A figure's value: whole numbers as they are, large ones with a k/M/G suffix, fractions to two places.
fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn prepare_figures(f: &StreamFigures) -> Vec<FigureRow> {
    f.figures
        .iter()
        .map(|fig| {
            let summed = fig.stat == "Sum";
            let (latest, peak, total) = match fig.values.last() {
                None => ("-".to_string(), "-".to_string(), "-".to_string()),
                Some(last) => (
                    number(*last),
                    number(fig.values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                    if summed { number(fig.values.iter().sum()) } else { "-".to_string() },
                ),
            };
            FigureRow { label: fig.label.clone(), latest, peak, total, spark: sparkline(&fig.values, SPARK) }
        })
        .collect()
}

fn prepare(v: &StreamView) -> Prepared {
    let d = &v.detail;
    let enhanced = if d.enhanced_metrics.is_empty() { "off".to_string() } else { d.enhanced_metrics.join(", ") };
    let period = match &v.figures {
        Ok(f) => format!(
            "per {} over the last {}",
            duration::describe(std::time::Duration::from_secs(f.period_secs.max(1) as u64)),
            duration::describe(std::time::Duration::from_secs(f.range.secs() as u64))
        ),
        Err(_) => String::new(),
    };
    Prepared {
        title: format!("{} · {} · {}", d.row.name, d.row.status, d.row.mode.as_deref().unwrap_or("-")),
        settings: vec![
            ("open shards".into(), d.row.open_shards.map_or("-".into(), |n| n.to_string())),
            ("retention".into(), format!("{} h", d.retention_hours)),
            ("encryption".into(), d.encryption.clone()),
            ("enhanced monitoring".into(), enhanced),
            ("consumers".into(), d.consumers.len().to_string()),
        ],
        figures: v.figures.as_ref().map(prepare_figures).map_err(Clone::clone),
        period,
        shards: d
            .shards
            .iter()
            .map(|s| ShardLine {
                id: s.shard_id.clone(),
                range: format!("{}–{}", key_share(&s.starting_hash_key), key_share(&s.ending_hash_key)),
                open: s.open,
                parents: [&s.parent, &s.adjacent_parent]
                    .iter()
                    .filter_map(|p| p.as_deref())
                    .collect::<Vec<_>>()
                    .join(" + "),
            })
            .collect(),
        consumers: d.consumers.clone(),
    }
}

impl View for StreamScreen {
    fn crumb(&self) -> String {
        format!("stream {}", self.name)
    }
    fn keys(&self) -> Vec<KeyHelp> {
        vec![
            KeyHelp::new("t", "time range 15m/1h/3h/1d"),
            KeyHelp::new("↑↓", "scroll"),
            KeyHelp::new("p", "produce onto this stream"),
            KeyHelp::new("v", "its records"),
        ]
    }
    fn requests(&self) -> Vec<Request> {
        vec![Request::Stream { name: self.name.clone(), range_secs: self.range_secs }]
    }
    fn refresh_every_ms(&self) -> Option<i64> {
        Some(self.period_secs.map_or(10_000, |p| (p * 1000).max(10_000)))
    }
    fn cost_per_hour_usd(&self) -> Option<f64> {
        let refreshes = 3_600_000 / self.refresh_every_ms().unwrap_or(10_000).max(1);
        Some(FIGURES.len() as f64 * USD_PER_METRIC * refreshes as f64)
    }
    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Char('t') => {
                let i = RANGES.iter().position(|r| *r == self.range_secs).map_or(0, |i| (i + 1) % RANGES.len());
                self.range_secs = RANGES[i];
                Outcome::Requests(self.requests())
            }
            KeyCode::Char('p') => Outcome::Open(Route::Producer(self.name.clone())),
            KeyCode::Char('v') => Outcome::Open(Route::Records(self.name.clone())),
            KeyCode::Down | KeyCode::Char('j') => {
                // No further than the most lines any width draws; `draw` keeps the last one at the bottom.
                let most = self.data.as_ref().map_or(0, |p| p.settings.len() + p.shards.len() + p.consumers.len() + 16);
                self.scroll = (self.scroll + 1).min(most as u16);
                Outcome::Changed
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                Outcome::Changed
            }
            _ => Outcome::Ignored,
        }
    }
    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Stream(n), Data::Stream(v)) if *n == self.name => {
                self.data = Some(prepare(v));
                self.period_secs = v.figures.as_ref().ok().map(|f| f.period_secs);
                self.error = None;
                true
            }
            _ => false,
        }
    }
    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Stream(self.name.clone()) {
            self.error = Some(message.to_string());
            return true;
        }
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let lines: Vec<Line> = match (&self.data, &self.error) {
            (_, Some(e)) => vec![Line::styled(e.clone(), ctx.theme.error)],
            (None, None) => vec![Line::styled("loading…", ctx.theme.dim)],
            (Some(p), None) => self.lines(p, area, ctx),
        };
        let scroll = self.scroll.min(lines.len().saturating_sub(area.height as usize) as u16);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
    }
}

impl StreamScreen {
    fn lines<'a>(&self, p: &'a Prepared, area: Rect, ctx: &DrawCtx<'_>) -> Vec<Line<'a>> {
        let t = ctx.theme;
        let wide = area.width >= 80;
        let mut lines = vec![Line::styled(p.title.clone(), t.title)];
        if wide {
            // Short settings share a line; a long one (the enhanced metrics) gets its own.
            let mut line: Vec<Span> = Vec::new();
            let mut used = 0;
            for (k, v) in &p.settings {
                let len = k.chars().count() + v.chars().count() + 4;
                if used > 0 && used + len > area.width as usize {
                    lines.push(Line::from(std::mem::take(&mut line)));
                    used = 0;
                }
                if used > 0 {
                    line.push(Span::styled(" · ", t.dim));
                }
                line.push(Span::styled(format!("{k} "), t.dim));
                line.push(Span::styled(v.clone(), t.text));
                used += len;
            }
            lines.push(Line::from(line));
        } else {
            lines.extend(p.settings.iter().map(|(k, v)| {
                Line::from(vec![Span::styled(format!("{k:<20}"), t.dim), Span::styled(v.clone(), t.text)])
            }));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Key figures {}", p.period).trim_end().to_string(), t.title));
        match &p.figures {
            Err(e) => lines.push(Line::styled(e.clone(), t.error)),
            Ok(rows) => {
                // Narrow screens drop the sparkline first, then the totals.
                let spark = (area.width as usize).saturating_sub(60).min(SPARK);
                let totals = area.width >= 50;
                let mut head = format!("  {:<18}{:>9}{:>9}", "", "latest", "peak");
                if totals {
                    head.push_str(&format!("{:>9}", "total"));
                }
                lines.push(Line::styled(head, t.dim));
                for r in rows {
                    let mut s = format!("  {:<18}{:>9}{:>9}", r.label, r.latest, r.peak);
                    if totals {
                        s.push_str(&format!("{:>9}", r.total));
                    }
                    let bars: String = r.spark.chars().skip(r.spark.chars().count().saturating_sub(spark)).collect();
                    lines.push(Line::from(vec![Span::styled(s, t.text), Span::raw("  "), Span::styled(bars, t.ok)]));
                }
                if !totals {
                    lines.push(Line::styled("  (totals and sparklines hidden: 50 columns show totals)", t.dim));
                } else if spark == 0 && rows.iter().any(|r| !r.spark.is_empty()) {
                    lines.push(Line::styled("  (sparklines hidden: 80 columns show them)", t.dim));
                }
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Shards ({})", p.shards.len()), t.title));
        let parents = area.width >= 80;
        for s in &p.shards {
            let mut spans = vec![
                Span::styled(format!("  {:<22}", s.id), t.text),
                Span::styled(format!("{:<14}", s.range), t.text),
                Span::styled(if s.open { "open  " } else { "closed" }, if s.open { t.ok } else { t.dim }),
            ];
            if parents && !s.parents.is_empty() {
                spans.push(Span::styled(format!("  from {}", s.parents), t.dim));
            }
            lines.push(Line::from(spans));
        }
        if !parents && p.shards.iter().any(|s| !s.parents.is_empty()) {
            lines.push(Line::styled("  (parents hidden: 80 columns show them)", t.dim));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Consumers ({})", p.consumers.len()), t.title));
        if p.consumers.is_empty() {
            lines.push(Line::styled("  none (enhanced fan-out not used)", t.dim));
        }
        lines.extend(p.consumers.iter().map(|c| Line::styled(format!("  {c}"), t.text)));
        lines
    }
}
