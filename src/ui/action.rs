//! What moves the console: input, time, and the answers of background requests. Every state change
//! starts as one of these and happens in `App::update`.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;

use crate::control::alarms::{AlarmDetail, AlarmRow};
use crate::control::dashboard::fetch::DashboardEntry;
use crate::control::dashboard::{Dashboard, DashboardView, Plan};
use crate::control::flink::AppView;
use crate::control::logs_insights::{LogQueryError, LogResults};
use crate::control::production::RunStatus;
use crate::control::record_feed::Page;
use crate::control::stacks::model::StackSummary;
use crate::control::streams::{StreamRow, StreamView};

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// The terminal's new size, columns × rows.
    Resize(u16, u16),
    /// Wall-clock milliseconds: spinners turn and refresh timers fall due.
    Tick(i64),
    Loaded(Loaded),
    /// SIGTERM, SIGHUP or an error the loop cannot go on from.
    Quit,
}

/// What a background request answered. `generation` tells a stale answer from the newest one.
#[derive(Debug)]
pub struct Loaded {
    pub source: Source,
    pub generation: u64,
    pub result: Result<Data, String>,
}

/// A data source: at most one request per source is in flight, and only the newest one's answer
/// is taken (gitui's single-job idea).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Identity,
    Stacks,
    Streams,
    Dashboards,
    Alarms,
    Dashboard(String),
    Stream(String),
    Alarm(String),
    ConsoleLog,
    /// The producer run on a stack or stream, by the name the console was given.
    Producer(String),
    /// The records view's feed of a stack's or stream's records.
    Records(String),
    /// The Managed Flink application of a stack.
    App(String),
    /// A change the user asked for (creating or feeding the sample stream, …).
    Change(String),
}

/// A request a view makes; the backend answers it off the UI thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The account, for the header on AWS (STS GetCallerIdentity).
    Identity,
    Stacks,
    Streams,
    Dashboards,
    Alarms,
    /// A dashboard over the last `range_secs` ending now (`end_ms` None) or at `end_ms`.
    Dashboard {
        name: String,
        range_secs: i64,
        end_ms: Option<i64>,
    },
    Stream {
        name: String,
        range_secs: i64,
    },
    Alarm {
        name: String,
        range_secs: i64,
    },
    /// The last `lines` lines of the console's log file.
    ConsoleLog {
        lines: usize,
    },
    /// Creates the sample stream and its dashboard, and puts a few records a second on it.
    StartSample,
    /// Starts producing onto a stack's stream (its pattern's workload) or a stream, unless a run on it
    /// is already producing; answers the run's status.
    StartProducer {
        target: String,
    },
    /// Stops a run's workload; what it owes is still sent.
    StopProducer {
        target: String,
    },
    /// The status of the run on a stack or stream.
    Producer {
        target: String,
    },
    /// The records of a stack's or stream's feed after position `after` (opening the feed on first ask).
    Records {
        target: String,
        after: Option<u64>,
    },
    /// The Managed Flink application of a stack: status, version, last operation, log lines.
    App {
        stack: String,
    },
    /// Starts a stack's application from its latest snapshot, without waiting for it to run.
    StartApp {
        stack: String,
    },
    /// Stops a stack's application (with a snapshot when snapshots are on), without waiting.
    StopApp {
        stack: String,
    },
}

impl Request {
    pub fn source(&self) -> Source {
        match self {
            Request::Identity => Source::Identity,
            Request::Stacks => Source::Stacks,
            Request::Streams => Source::Streams,
            Request::Dashboards => Source::Dashboards,
            Request::Alarms => Source::Alarms,
            Request::Dashboard { name, .. } => Source::Dashboard(name.clone()),
            Request::Stream { name, .. } => Source::Stream(name.clone()),
            Request::Alarm { name, .. } => Source::Alarm(name.clone()),
            Request::ConsoleLog { .. } => Source::ConsoleLog,
            Request::StartSample => Source::Change("sample".into()),
            Request::StartProducer { target } | Request::StopProducer { target } => {
                Source::Change(format!("producer {target}"))
            }
            Request::Producer { target } => Source::Producer(target.clone()),
            Request::Records { target, .. } => Source::Records(target.clone()),
            Request::App { stack } => Source::App(stack.clone()),
            Request::StartApp { stack } | Request::StopApp { stack } => Source::Change(format!("app {stack}")),
        }
    }
}

/// One dashboard refresh: the body, what it drew, and what the refresh cost.
#[derive(Debug, Clone)]
pub struct DashboardData {
    pub dashboard: Dashboard,
    /// The GetMetricData calls the refresh made: their periods and what they cost.
    pub plan: Plan,
    pub view: DashboardView,
    /// The range's end, on the target's clock.
    pub end_ms: i64,
    pub range_secs: i64,
    /// Each log widget's Logs Insights results, by widget index.
    pub logs: BTreeMap<usize, Result<LogResults, LogQueryError>>,
}

#[derive(Debug, Clone)]
pub enum Data {
    Identity {
        account: String,
    },
    Stacks(Vec<StackSummary>),
    Streams(Vec<StreamRow>),
    Dashboards(Vec<DashboardEntry>),
    Alarms(Vec<AlarmRow>),
    Dashboard(Box<DashboardData>),
    Stream(Box<StreamView>),
    Alarm(Box<AlarmDetail>),
    ConsoleLog(Vec<String>),
    /// A change finished; the sentence says what it did.
    Changed(String),
    /// The run on a target (`None`: there is none).
    Producer(Option<Box<RunStatus>>),
    Records(Box<Page>),
    App(Box<AppView>),
}
