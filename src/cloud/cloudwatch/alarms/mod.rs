//! CloudWatch alarms: definitions, evaluation on the cloud clock, state history.
//!
//! Each alarm is evaluated at each of its period boundaries (aligned to the epoch) by a background
//! task that sleeps on the cloud clock. Every alarm operation first catches evaluations up to the
//! current cloud time, so a caller that advanced a virtual clock sees exactly the states AWS's rules
//! give at that instant.

pub mod describe;
pub mod evaluate;
pub mod history;
pub mod manage;
pub mod model;
pub mod put;
pub mod source;
pub mod storage;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use self::evaluate::{Evaluation, evaluation_range};
use self::model::MetricAlarm;
use self::source::MetricSource;
use self::storage::Book;
use crate::cloud::cloudwatch::math::parse::parse;
use crate::cloud::cloudwatch::model::{Metric, MetricDataQuery};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

pub use self::model::{HistoryItem, MetricAlarm as Alarm};

/// Boundaries evaluated at most when catching up after the clock jumped (or the host was down):
/// older ones cannot change what the newest evaluations decide.
const MAX_CATCH_UP: i64 = 64;

pub struct Alarms {
    state: Arc<State>,
}

/// The alarms as the operations and the evaluator share them.
pub struct State {
    book: Mutex<Book>,
    /// Next evaluation time of each alarm (cloud ms), not persisted: after a restart the alarm is
    /// evaluated from the next boundary on.
    next_eval: Mutex<HashMap<String, i64>>,
    /// Held while evaluating, so the task and a request never evaluate the same boundary twice.
    evaluating: Mutex<()>,
    source: Arc<dyn MetricSource>,
    path: PathBuf,
    region: String,
    account: String,
    ctx: Weak<CloudContext>,
    changed: Notify,
    /// Alarms at most (CloudWatch's own settings).
    max_alarms: usize,
    /// The cloud time up to which every due evaluation is done and written.
    evaluated: watch::Sender<i64>,
}

fn evaluators() -> &'static Mutex<HashMap<PathBuf, Weak<State>>> {
    static EVALUATORS: OnceLock<Mutex<HashMap<PathBuf, Weak<State>>>> = OnceLock::new();
    EVALUATORS.get_or_init(Default::default)
}

/// The cloud time up to which the alarms of a data dir live in this process are evaluated, for
/// tests and tools that advance a virtual clock and then wait for the background evaluator.
pub fn evaluated_through(data_dir: &Path) -> Option<watch::Receiver<i64>> {
    let state = lock(evaluators()).get(data_dir).and_then(Weak::upgrade)?;
    Some(state.evaluated.subscribe())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Alarms {
    /// Loads the alarms of the data dir and starts evaluating them on the cloud clock. A damaged
    /// alarms file is set aside and reported; the alarms start empty.
    pub fn new(ctx: &Arc<CloudContext>, source: Arc<dyn MetricSource>, max_alarms: usize) -> Self {
        let path = storage::file_path(&ctx.config.data_dir);
        let (book, damaged) = storage::load(&path);
        if let Some(d) = damaged {
            ctx.damage.report("cloudwatch", path.display().to_string(), d.reason);
        }
        let now = ctx.clock.now_ms();
        let next_eval = book.alarms.values().map(|a| (a.alarm_name.clone(), next_boundary(a, now))).collect();
        let state = Arc::new(State {
            book: Mutex::new(book),
            next_eval: Mutex::new(next_eval),
            evaluating: Mutex::new(()),
            source,
            path,
            region: ctx.config.region.clone(),
            account: ctx.account_id().to_string(),
            ctx: Arc::downgrade(ctx),
            changed: Notify::new(),
            max_alarms,
            evaluated: watch::Sender::new(now),
        });
        lock(evaluators()).insert(ctx.config.data_dir.clone(), Arc::downgrade(&state));
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(run_evaluator(state.clone(), ctx.clone()));
        }
        Alarms { state }
    }

    /// The alarms with every evaluation due by `now` done, so a caller that advanced a virtual
    /// clock sees exactly the states AWS's rules give at that instant.
    pub fn at(&self, now: i64) -> &State {
        self.state.catch_up(now);
        &self.state
    }

    /// Every alarm as DescribeAlarms shows it, evaluated up to `now_ms` (for the console).
    pub fn list(&self, now_ms: i64) -> Vec<MetricAlarm> {
        self.at(now_ms).book().alarms.values().cloned().collect()
    }

    /// History items of one alarm (or all), newest first.
    pub fn history(&self, alarm_name: Option<&str>) -> Vec<HistoryItem> {
        let book = self.state.book();
        book.history
            .iter()
            .rev()
            .filter(|(_, h)| alarm_name.is_none_or(|n| h.alarm_name == n))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Drops every alarm and its history (admin reset).
    pub fn clear(&self) -> anyhow::Result<()> {
        let mut book = self.state.book();
        let empty = Book { version: storage::FORMAT_VERSION, ..Book::default() };
        storage::save(&self.state.path, &empty)?;
        *book = empty;
        lock(&self.state.next_eval).clear();
        Ok(())
    }
}

/// The first period boundary strictly after `now`.
fn next_boundary(alarm: &MetricAlarm, now: i64) -> i64 {
    let p = alarm.evaluation_period().max(1) * 1000;
    (now.div_euclid(p) + 1) * p
}

/// Id of the SampleCount query beside a percentile alarm that ignores periods with few samples.
pub const SAMPLES_ID: &str = "samples";

/// The queries that produce an alarm's series, and the id of the one that returns it.
pub fn alarm_queries(alarm: &MetricAlarm) -> (Vec<MetricDataQuery>, String) {
    if let Some(metrics) = &alarm.metrics {
        let id = metrics.iter().find(|q| q.return_data.unwrap_or(true)).map(|q| q.id.clone()).unwrap_or_default();
        return (metrics.clone(), id);
    }
    let stat_query = |id: &str, stat: &str| {
        let metric = Metric {
            namespace: alarm.namespace.clone(),
            metric_name: alarm.metric_name.clone(),
            dimensions: alarm.dimensions.clone(),
        };
        let mut q = MetricDataQuery::of_metric(id, metric, alarm.evaluation_period(), stat);
        if let Some(ms) = q.metric_stat.as_mut() {
            ms.unit = alarm.unit.clone();
        }
        q.return_data = Some(id != SAMPLES_ID);
        q
    };
    let mut queries = vec![stat_query("alarm", alarm.stat_name().unwrap_or("Average"))];
    if alarm.low_sample_minimum().is_some() {
        queries.push(stat_query(SAMPLES_ID, "SampleCount"));
    }
    (queries, "alarm".to_string())
}

impl State {
    /// The book as it stands (callers that need evaluations done first go through [`Alarms::at`]).
    pub fn book(&self) -> MutexGuard<'_, Book> {
        lock(&self.book)
    }

    fn arn_prefix(&self) -> String {
        format!("arn:aws:cloudwatch:{}:{}:alarm:", self.region, self.account)
    }

    /// Applies a change to a copy of the book, writes the copy out, and only then makes it the
    /// book: a change that fails, or whose write fails, leaves the alarms as they were.
    pub fn mutate(&self, change: impl FnOnce(&mut Book) -> Result<Value, ApiError>) -> Result<Value, ApiError> {
        let mut book = lock(&self.book);
        let mut next = book.clone();
        let out = change(&mut next)?;
        self.persist(&next)?;
        *book = next;
        drop(book);
        self.changed.notify_one();
        Ok(out)
    }

    fn persist(&self, book: &Book) -> Result<(), ApiError> {
        storage::save(&self.path, book).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "writing the alarms failed");
            ApiError::internal(format!("writing the alarms failed: {e:#}"))
        })
    }

    pub fn put_metric_alarm(&self, input: put::PutMetricAlarmInput, now: i64) -> Result<Value, ApiError> {
        let alarm = input.into_alarm(&self.arn_prefix(), now)?;
        self.check_queries(&alarm, now)?;
        let name = alarm.alarm_name.clone();
        let out = self.mutate(|book| {
            if !book.alarms.contains_key(&name) && book.alarms.len() >= self.max_alarms {
                // PutMetricAlarm's modelled error (LimitExceededFault, awsQuery code LimitExceeded).
                return Err(ApiError::bad_request(
                    "LimitExceeded",
                    format!(
                        "The quota for alarms for this customer has already been reached: this local cloud keeps \
                         at most {} alarms.",
                        self.max_alarms
                    ),
                ));
            }
            history::record_put(book, alarm, now);
            Ok(json!({}))
        })?;
        if let Some(a) = lock(&self.book).alarms.get(&name) {
            lock(&self.next_eval).insert(name, next_boundary(a, now));
        }
        Ok(out)
    }

    /// Runs the alarm's queries once, so an expression that cannot be evaluated is refused now.
    fn check_queries(&self, alarm: &MetricAlarm, now: i64) -> Result<(), ApiError> {
        if alarm.metrics.is_none() {
            return Ok(());
        }
        let (queries, returned) = alarm_queries(alarm);
        let searches = queries
            .iter()
            .filter_map(|q| q.expression.as_deref())
            .filter_map(|e| parse(e).ok())
            .any(|e| e.calls("SEARCH"));
        if searches {
            return Err(ApiError::bad_request(
                "ValidationError",
                "Invalid metrics list: an alarm cannot watch a SEARCH expression",
            ));
        }
        let range = evaluation_range(alarm, now);
        let results = self
            .source
            .query(&queries, range.0, range.1)
            .map_err(|e| ApiError::bad_request("ValidationError", format!("Invalid metrics list: {}", e.message)))?;
        if results.iter().filter(|r| r.id == returned).count() > 1 {
            return Err(ApiError::bad_request(
                "ValidationError",
                format!("Invalid metrics list: the expression {returned} of an alarm must return a single time series"),
            ));
        }
        Ok(())
    }

    pub fn set_alarm_state(&self, input: manage::SetAlarmStateInput, now: i64) -> Result<Value, ApiError> {
        let verdict = input.validate()?;
        self.mutate(|book| {
            let name = input.alarm_name.clone().unwrap_or_default();
            if !book.alarms.contains_key(&name) {
                return Err(ApiError::new(
                    http::StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    format!("Alarm {name} not found"),
                ));
            }
            history::transition(book, &name, verdict, now);
            Ok(json!({}))
        })
    }

    /// Evaluates every alarm at each of its boundaries up to `now`.
    fn catch_up(&self, now: i64) {
        let _evaluating = lock(&self.evaluating);
        let due: Vec<(String, i64)> = {
            let next = lock(&self.next_eval);
            next.iter().filter(|(_, t)| **t <= now).map(|(n, t)| (n.clone(), *t)).collect()
        };
        for (name, first) in due {
            let Some(alarm) = lock(&self.book).alarms.get(&name).cloned() else {
                lock(&self.next_eval).remove(&name);
                continue;
            };
            let p = alarm.evaluation_period().max(1) * 1000;
            let last = now.div_euclid(p) * p;
            let mut at = first.max(last - (MAX_CATCH_UP - 1) * p);
            while at <= now {
                self.evaluate_at(&alarm.alarm_name, at);
                at += p;
            }
            lock(&self.next_eval).insert(name, at);
        }
        self.evaluated.send_if_modified(|through| {
            let later = now > *through;
            *through = (*through).max(now);
            later
        });
    }

    fn evaluate_at(&self, name: &str, at_ms: i64) {
        let Some(alarm) = lock(&self.book).alarms.get(name).cloned() else {
            return;
        };
        let (queries, returned) = alarm_queries(&alarm);
        let range = evaluation_range(&alarm, at_ms);
        let (points, sample_counts) = match self.source.query(&queries, range.0, range.1) {
            Ok(results) => (
                evaluate::alarm_points(&results, &returned, range),
                evaluate::alarm_points(&results, SAMPLES_ID, range),
            ),
            Err(e) => {
                tracing::warn!(alarm = name, error = %e, "alarm query failed; evaluating as no data");
                (Vec::new(), Vec::new())
            }
        };
        let verdict = Evaluation { alarm: &alarm, current: alarm.state_value, at_ms, points, sample_counts }.decide();
        let Some(verdict) = verdict.filter(|v| v.state != alarm.state_value) else {
            return;
        };
        if self.ctx.upgrade().is_none_or(|c| c.is_shutting_down()) {
            return;
        }
        let mut book = lock(&self.book);
        // The definition may have changed while the data was read: then this verdict is stale.
        let unchanged = book.alarms.get(name).is_some_and(|a| {
            a.alarm_configuration_updated_timestamp == alarm.alarm_configuration_updated_timestamp
                && a.state_value == alarm.state_value
        });
        if unchanged {
            // Persisted first: if the write fails the transition is not made, and the next
            // evaluation, reaching the same verdict, tries again.
            let mut next = book.clone();
            history::transition(&mut next, name, verdict, at_ms);
            if self.persist(&next).is_ok() {
                *book = next;
            }
        }
    }

    fn next_wake(&self) -> Option<i64> {
        lock(&self.next_eval).values().min().copied()
    }
}

/// Sleeps on the cloud clock until the next boundary (or a change), evaluates, repeats.
async fn run_evaluator(state: Arc<State>, ctx: Arc<CloudContext>) {
    loop {
        let next = state.next_wake();
        tokio::select! {
            _ = ctx.shutdown_requested() => return,
            _ = state.changed.notified() => continue,
            _ = async {
                match next {
                    Some(t) => ctx.clock.sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
        let now = ctx.clock.now_ms();
        let s = state.clone();
        if tokio::task::spawn_blocking(move || s.catch_up(now)).await.is_err() {
            tracing::error!("alarm evaluation panicked");
        }
    }
}
