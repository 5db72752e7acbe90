//! The contract every view keeps: it asks for data, takes answers and keys, and draws from its own
//! state only (no I/O, no waiting in `draw`).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::{Data, Request, Source};
use super::theme::Theme;

/// A key a view answers, as help and the footer list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHelp {
    pub keys: String,
    pub what: String,
}

impl KeyHelp {
    pub fn new(keys: &str, what: &str) -> Self {
        KeyHelp { keys: keys.to_string(), what: what.to_string() }
    }
}

/// Where a view leads: the palette, drill-down and help name views by route, and `views::open`
/// builds them. It lives here, beside the contract, so a view can lead to another without importing
/// the module that builds every view.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Home,
    Dashboard(String),
    Stream(String),
    Alarms,
    Alarm(String),
    /// Producing onto a stack's stream or a stream (starting a run as it opens).
    Producer(String),
    /// A stack's or stream's records as they arrive.
    Records(String),
    /// A stack's Managed Flink application, to watch, start and stop.
    App(String),
    Log,
    /// Help over these keys (the view it was opened from, and the shell's).
    Help(Vec<KeyHelp>),
}

/// What a key did.
pub enum Outcome {
    /// Not this view's key: the shell may use it.
    Ignored,
    /// The view's state changed: redraw.
    Changed,
    /// The view's state changed and it needs data.
    Requests(Vec<Request>),
    /// Open another view on top (Enter: drill down).
    Push(Box<dyn View>),
    /// Open the view a route names on top.
    Open(Route),
    /// Leave this view (the shell also does this on Esc when the view ignores it).
    Back,
}

/// What drawing needs besides the view's own state.
pub struct DrawCtx<'a> {
    pub theme: &'a Theme,
    /// Wall-clock milliseconds of this frame (ages such as "3m ago").
    pub now_ms: i64,
    /// Braille charts, or blocks and ASCII (`--ascii`, or the config's chart style).
    pub ascii: bool,
}

pub trait View: Send {
    /// The breadcrumb: what this view shows ("dashboard kds-kdf-s3").
    fn crumb(&self) -> String;

    /// The keys this view answers, beyond the shell's own.
    fn keys(&self) -> Vec<KeyHelp>;

    /// The data to load when the view opens or is refreshed by hand (`r`).
    fn requests(&self) -> Vec<Request>;

    /// How often the shell reloads `requests()` while the view is on top; None: only by hand.
    fn refresh_every_ms(&self) -> Option<i64> {
        None
    }

    fn on_key(&mut self, key: &KeyEvent) -> Outcome;

    /// Takes an answer to one of its requests; true when the view changed.
    fn on_data(&mut self, source: &Source, data: &Data) -> bool;

    /// A request of this view failed: the view may show it in place (the header shows it anyway).
    fn on_error(&mut self, _source: &Source, _message: &str) -> bool {
        false
    }

    /// The terminal is now `width` × `height` (also told once when the view opens): a view that
    /// prepares what it draws for a size (downsampled charts) does it here, not in `draw`.
    fn on_resize(&mut self, _width: u16, _height: u16) {}

    /// The `/` filter's text changed ("" clears it). True when the view filters.
    fn set_filter(&mut self, _text: &str) -> bool {
        false
    }

    /// The estimated monitoring cost per hour of keeping this view open (AWS bills GetMetricData per
    /// metric requested); None when it requests no metrics.
    fn cost_per_hour_usd(&self) -> Option<f64> {
        None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>);
}
