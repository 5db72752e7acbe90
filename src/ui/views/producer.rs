//! The producer: a run of the stack's workload onto its stream, started by the key that opened this view,
//! and its live counters (made, acknowledged, retried, throttled, expired, in flight, latency), the
//! acknowledged rate second by second and the spread over shards. `p` stops it (what is owed is still
//! sent) or starts it again.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::control::dashboard::sparkline::sparkline;
use crate::control::production::{RunState, RunStatus};
use crate::text_format::{self, span};
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, Route, View};

/// Seconds of acknowledged rate the sparkline keeps.
const HISTORY: usize = 120;
/// Widest per-shard bar.
const BAR: usize = 30;

/// What the view draws, prepared from one status.
#[derive(Debug, Clone, PartialEq)]
struct Prepared {
    title: String,
    state: String,
    /// The state's style: producing, draining, delivered, or not.
    healthy: Option<bool>,
    figures: Vec<(String, String)>,
    shards: Vec<(String, String, usize)>,
    duplicates: Option<String>,
}

pub struct ProducerScreen {
    target: String,
    status: Option<RunStatus>,
    /// Whether a run was asked for since the view opened (until then, `requests` asks to start one).
    started: bool,
    error: Option<String>,
    /// (elapsed seconds, acknowledged) of the last status, to turn counts into a rate.
    last: Option<(f64, u64)>,
    rates: VecDeque<f64>,
    /// The rates as sparkline bars, one per second.
    spark: String,
    prepared: Option<Prepared>,
}

impl ProducerScreen {
    /// A view that starts producing onto `target` (a stack or a stream) as it opens.
    pub fn new(target: String) -> Self {
        ProducerScreen {
            target,
            status: None,
            started: false,
            error: None,
            last: None,
            rates: VecDeque::new(),
            spark: String::new(),
            prepared: None,
        }
    }

    fn take(&mut self, status: Option<&RunStatus>) {
        self.started = true;
        self.error = None;
        let Some(status) = status else {
            self.status = None;
            self.prepared = None;
            return;
        };
        let acked = status.counters.acknowledged;
        match self.last {
            Some((at, before)) if status.elapsed_secs > at && acked >= before => {
                self.rates.push_back((acked - before) as f64 / (status.elapsed_secs - at));
                if self.rates.len() > HISTORY {
                    self.rates.pop_front();
                }
            }
            // A new run (its clock went back) starts a new history.
            Some((at, _)) if status.elapsed_secs < at => self.rates.clear(),
            _ => {}
        }
        self.last = Some((status.elapsed_secs, acked));
        self.spark = sparkline(&self.rates.iter().copied().collect::<Vec<_>>(), HISTORY);
        self.prepared = Some(prepare(status));
        self.status = Some(status.clone());
    }

    fn producing(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.state == RunState::Producing)
    }
}

fn prepare(s: &RunStatus) -> Prepared {
    let c = &s.counters;
    let (state, healthy) = match &s.state {
        RunState::Producing => ("producing".to_string(), None),
        RunState::Draining => ("stopping: sending what is owed".to_string(), None),
        RunState::Finished { delivered_all: true, .. } => {
            (format!("stopped: every record acknowledged ({})", text_format::number(c.acknowledged as f64)), Some(true))
        }
        RunState::Finished { undelivered, .. } => (
            format!("stopped: NOT DELIVERED {undelivered} undelivered, {} expired, {} refused", c.expired, c.failed),
            Some(false),
        ),
        RunState::Failed(e) => (format!("failed: {e}"), Some(false)),
    };
    let rate = if s.workload == "taxi" { "replay pace".to_string() } else { format!("{}/s asked", s.rate) };
    let aggregated = if s.aggregate { " · KPL aggregation" } else { "" };
    let count = |v: u64| text_format::number(v as f64);
    let figures = vec![
        ("made".into(), count(c.produced)),
        ("acknowledged".into(), count(c.acknowledged)),
        ("in flight".into(), count(c.in_flight)),
        ("retried".into(), count(c.retried)),
        ("throttled".into(), count(c.throttled)),
        ("expired".into(), count(c.expired)),
        ("refused".into(), count(c.failed)),
        ("latency p50".into(), format!("{:.0} ms", c.latency_p50_ms)),
        ("latency p99".into(), format!("{:.0} ms", c.latency_p99_ms)),
    ];
    let most = c.per_shard.values().copied().max().unwrap_or(0).max(1);
    let shards = c
        .per_shard
        .iter()
        .map(|(shard, n)| (shard.clone(), count(*n), (*n as usize * BAR).div_ceil(most as usize)))
        .collect();
    let duplicates = (c.possible_duplicates > 0).then(|| {
        format!(
            "{} records were sent again after an answer was lost: each may be on the stream twice",
            c.possible_duplicates
        )
    });
    Prepared {
        title: format!(
            "producer → {} · {} · {rate}{aggregated} · {}",
            s.stream,
            s.workload,
            span(s.elapsed_secs as i64)
        ),
        state,
        healthy,
        figures,
        shards,
        duplicates,
    }
}

impl View for ProducerScreen {
    fn crumb(&self) -> String {
        format!("producer {}", self.target)
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let p = if self.producing() { "stop producing (owed records are still sent)" } else { "start producing" };
        vec![KeyHelp::new("p", p), KeyHelp::new("v", "the stream's records")]
    }

    fn requests(&self) -> Vec<Request> {
        // Starting is idempotent while a run produces, so a refresh before the first answer is harmless.
        if self.started {
            vec![Request::Producer { target: self.target.clone() }]
        } else {
            vec![Request::StartProducer { target: self.target.clone() }]
        }
    }

    fn refresh_every_ms(&self) -> Option<i64> {
        Some(1_000)
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Char('p') if self.producing() => {
                Outcome::Requests(vec![Request::StopProducer { target: self.target.clone() }])
            }
            KeyCode::Char('p') => {
                self.last = None;
                Outcome::Requests(vec![Request::StartProducer { target: self.target.clone() }])
            }
            KeyCode::Char('v') => Outcome::Open(Route::Records(self.target.clone())),
            _ => Outcome::Ignored,
        }
    }

    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        let ours = match source {
            Source::Producer(t) => *t == self.target,
            Source::Change(c) => *c == format!("producer {}", self.target),
            _ => false,
        };
        match data {
            Data::Producer(status) if ours => {
                self.take(status.as_deref());
                true
            }
            _ => false,
        }
    }

    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Change(format!("producer {}", self.target))
            || *source == Source::Producer(self.target.clone())
        {
            // A refused start is final until asked again: the refresh must not retry it every second.
            self.started = true;
            self.error = Some(message.to_string());
            return true;
        }
        false
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let t = ctx.theme;
        let mut lines = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("the producer for {} could not run: {e}", self.target), t.error));
        }
        let Some(p) = &self.prepared else {
            if self.error.is_none() {
                let what =
                    if self.started { "no producer runs here: p starts one" } else { "starting the producer…" };
                lines.push(Line::styled(what, t.dim));
            }
            frame.render_widget(Paragraph::new(lines), area);
            return;
        };
        lines.push(Line::styled(p.title.clone(), t.title));
        let style = match p.healthy {
            Some(true) => t.ok,
            Some(false) => t.error,
            None => t.text,
        };
        lines.push(Line::styled(p.state.clone(), style));
        lines.push(Line::raw(""));
        // Two figures a line when there is room for them.
        let per_line = if area.width >= 64 { 2 } else { 1 };
        for pair in p.figures.chunks(per_line) {
            let spans: Vec<Span> = pair
                .iter()
                .flat_map(|(k, v)| {
                    [Span::styled(format!("  {k:<14}"), t.dim), Span::styled(format!("{v:>12}"), t.text)]
                })
                .collect();
            lines.push(Line::from(spans));
        }
        lines.push(Line::raw(""));
        let width = (area.width as usize).saturating_sub(26);
        let latest = self.rates.back().map_or("-".to_string(), |r| format!("{r:.0}/s"));
        let mut newest: String = self.spark.chars().skip(self.spark.chars().count().saturating_sub(width)).collect();
        if ctx.ascii {
            newest = newest.chars().map(ascii_bar).collect();
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<14}{latest:>8}  ", "rate"), t.dim),
            Span::styled(newest, t.ok),
        ]));
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Shards ({})", p.shards.len()), t.title));
        let bar = (area.width as usize).saturating_sub(40).min(BAR);
        for (shard, n, len) in &p.shards {
            lines.push(Line::from(vec![
                Span::styled(format!("  {shard:<22}{n:>10}  "), t.text),
                Span::styled(if ctx.ascii { "#" } else { "█" }.repeat((*len).min(bar)), t.ok),
            ]));
        }
        if let Some(d) = &p.duplicates {
            lines.push(Line::raw(""));
            lines.push(Line::styled(d.clone(), t.warning));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// A sparkline bar in ASCII, for terminals without block characters: low to high.
fn ascii_bar(c: char) -> char {
    match c {
        '▁' | '▂' => '.',
        '▃' | '▄' => ':',
        '▅' | '▆' => '+',
        '▇' | '█' => '#',
        other => other,
    }
}
