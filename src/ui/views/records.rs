//! A stream's records as they arrive: from five minutes back, every shard read within Kinesis's read
//! limits (the tail of `control/tail.rs`, running in the backend), KPL aggregates shown one user record
//! per row. The newest row is followed until ↑ picks another; the picked record's data is shown whole
//! below the list, JSON pretty-printed, else text, else hex (`x` toggles hex).

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::control::record_feed::Page;
use crate::control::tail::{DataFormat, TailRecord, show_data};
use crate::text_format::{self, timestamp_ms};
use crate::ui::action::{Data, Request, Source};
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

/// Rows the view keeps; older ones scroll away.
const KEEP: usize = 1_000;

/// One record, formatted once as it arrives.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    shard: String,
    position: String,
    arrival: String,
    key: String,
    /// The data on one line (JSON compact), for the list.
    data: String,
    record: TailRecord,
}

pub struct RecordsScreen {
    target: String,
    stream: Option<String>,
    rows: VecDeque<Row>,
    /// The feed position of the newest row taken.
    last: Option<u64>,
    /// The picked row, counted from the newest (0); `None` follows the newest.
    picked: Option<usize>,
    missed: u64,
    caught_up: bool,
    stopped: Option<String>,
    error: Option<String>,
    hex: bool,
    /// The picked record's data as the detail pane shows it.
    detail: Vec<String>,
}

impl RecordsScreen {
    pub fn new(target: String) -> Self {
        RecordsScreen {
            target,
            stream: None,
            rows: VecDeque::new(),
            last: None,
            picked: None,
            missed: 0,
            caught_up: false,
            stopped: None,
            error: None,
            hex: false,
            detail: Vec::new(),
        }
    }

    fn take(&mut self, page: &Page) {
        self.stream = Some(page.stream.clone());
        self.missed += page.missed;
        self.caught_up = page.caught_up;
        self.stopped = page.error.clone();
        self.error = None;
        for (at, record) in &page.records {
            self.last = Some(*at);
            self.rows.push_back(row(record));
            if self.rows.len() > KEEP {
                self.rows.pop_front();
            }
        }
        // A picked row keeps its record as new ones arrive below it.
        if let Some(p) = self.picked.as_mut() {
            *p = (*p + page.records.len()).min(self.rows.len().saturating_sub(1));
        }
        self.prepare_detail();
    }

    fn picked_row(&self) -> Option<&Row> {
        let back = self.picked.unwrap_or(0);
        self.rows.len().checked_sub(back + 1).and_then(|i| self.rows.get(i))
    }

    fn prepare_detail(&mut self) {
        let format = if self.hex { DataFormat::Hex } else { DataFormat::Pretty };
        self.detail = match self.picked_row() {
            Some(r) => show_data(&r.record.data, format).lines().map(str::to_string).collect(),
            None => Vec::new(),
        };
    }
}

fn row(r: &TailRecord) -> Row {
    let position = match r.sub_sequence {
        Some(sub) => format!("…{}/{sub}", tail_digits(&r.sequence_number)),
        None => format!("…{}", tail_digits(&r.sequence_number)),
    };
    Row {
        // `shardId-000000000007` reads as 7.
        shard: r
            .shard_id
            .strip_prefix("shardId-")
            .and_then(|n| n.parse::<u64>().ok())
            .map_or_else(|| r.shard_id.clone(), |n| n.to_string()),
        position,
        arrival: r.arrival_ms.map(timestamp_ms).unwrap_or_else(|| "-".into()),
        key: r.partition_key.clone(),
        data: show_data(&r.data, DataFormat::Compact),
        record: r.clone(),
    }
}

/// Sequence numbers run to 56 digits and differ in their last ones.
fn tail_digits(seq: &str) -> &str {
    &seq[seq.len().saturating_sub(8)..]
}

impl View for RecordsScreen {
    fn crumb(&self) -> String {
        format!("records {}", self.target)
    }

    fn keys(&self) -> Vec<KeyHelp> {
        vec![
            KeyHelp::new("↑↓", "pick a record"),
            KeyHelp::new("End", "follow the newest"),
            KeyHelp::new("x", "data as hex / as read"),
        ]
    }

    fn requests(&self) -> Vec<Request> {
        vec![Request::Records { target: self.target.clone(), after: self.last }]
    }

    fn refresh_every_ms(&self) -> Option<i64> {
        Some(1_000)
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        let newest = self.rows.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.picked = Some((self.picked.unwrap_or(0) + 1).min(newest)),
            KeyCode::Down | KeyCode::Char('j') => {
                self.picked = match self.picked {
                    Some(0) | None => None,
                    Some(p) => Some(p - 1),
                }
            }
            KeyCode::End => self.picked = None,
            KeyCode::Char('x') => self.hex = !self.hex,
            _ => return Outcome::Ignored,
        }
        self.prepare_detail();
        Outcome::Changed
    }

    fn on_data(&mut self, source: &Source, data: &Data) -> bool {
        match (source, data) {
            (Source::Records(t), Data::Records(page)) if *t == self.target => {
                self.take(page);
                true
            }
            _ => false,
        }
    }

    fn on_error(&mut self, source: &Source, message: &str) -> bool {
        if *source == Source::Records(self.target.clone()) {
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
        let detail_height = if area.height >= 16 { (area.height / 3).max(5) } else { 0 };
        let [list, detail] = Layout::vertical([Constraint::Min(1), Constraint::Length(detail_height)]).areas(area);
        let stream = self.stream.as_deref().unwrap_or(&self.target);
        let mut state = format!("records of {stream} · {} shown", self.rows.len());
        if self.picked.is_none() {
            state.push_str(" · following");
        }
        if self.caught_up {
            state.push_str(" · caught up");
        }
        let mut lines = vec![Line::styled(state, t.title)];
        if let Some(e) = &self.error {
            lines.push(Line::styled(e.clone(), t.error));
        }
        if let Some(s) = &self.stopped {
            lines.push(Line::styled(format!("the tail stopped: {s}"), t.warning));
        }
        if self.missed > 0 {
            lines.push(Line::styled(
                format!("{} records arrived faster than shown and were skipped", self.missed),
                t.dim,
            ));
        }
        let wide = area.width >= 100;
        let head = if wide {
            format!("{:<6}{:<14}{:<25}{:<16}{}", "shard", "sequence", "arrival", "key", "data")
        } else {
            format!("{:<6}{:<14}{}", "shard", "sequence", "data")
        };
        lines.push(Line::styled(head, t.dim));
        let room = (list.height as usize).saturating_sub(lines.len());
        // The picked row stays on screen: the window ends at it or at the newest.
        let back = self.picked.unwrap_or(0);
        let end = self.rows.len().saturating_sub(back.saturating_sub(room.saturating_sub(1)));
        let start = end.saturating_sub(room);
        let picked_index = self.rows.len().checked_sub(back + 1);
        for (i, r) in self.rows.iter().enumerate().skip(start).take(end - start) {
            let text = if wide {
                format!(
                    "{:<6}{:<14}{:<25}{:<16}{}",
                    r.shard,
                    r.position,
                    r.arrival,
                    text_format::fit(&r.key, 15),
                    r.data
                )
            } else {
                format!("{:<6}{:<14}{}", r.shard, r.position, r.data)
            };
            let style = if Some(i) == picked_index && self.picked.is_some() { t.selected } else { t.text };
            lines.push(Line::styled(text_format::fit(&text, list.width as usize), style));
        }
        if self.rows.is_empty() && self.error.is_none() {
            lines.push(Line::styled("no records in the last five minutes yet: waiting for new ones", t.dim));
        }
        frame.render_widget(Paragraph::new(lines), list);
        if detail.height > 0 {
            let mut text = vec![Line::from(Span::styled(
                self.picked_row().map_or("—".to_string(), |r| {
                    format!("{} · {} · key {}", r.record.shard_id, r.record.sequence_number, r.key)
                }),
                t.title,
            ))];
            text.extend(self.detail.iter().map(|l| Line::styled(l.clone(), t.text)));
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), detail);
        }
    }
}
