//! What happens on the cloud clock: transitions end when due (STARTING → RUNNING or back to READY,
//! STOPPING → READY with the stop's snapshot, UPDATING → RUNNING, DELETING → gone; snapshots CREATING →
//! READY or FAILED, DELETING → gone), and each running application's job steps once a second and
//! checkpoints at its configured interval. A job that fails (a step, or its state at a checkpoint) is
//! down while the application stays RUNNING, and restarts from its last checkpoint when the restart
//! strategy's delay has passed (`restart.rs`); each minute every RUNNING application publishes its
//! metrics (`metrics.rs`). Transitions run from the service's loop each second and from every
//! request first, so an answer never shows one that is already due.
//!
//! Lock order: the jobs, then the meters, then the applications. A job is stepped with only the
//! jobs held.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::app_log::{self, EXECUTION_GRAPH, Level, Messages, SERVICE};
use super::job_failures::{failed, job_failed, restarted};
use super::jobs::{self, Job, JobEnv, JobError, StartFrom};
use super::metrics::Meter;
use super::model::{
    Application, CheckpointStats, JobHealth, OperationStatus, Restore, SavedState, SnapshotStatus, Status, Transition,
};
use super::process_stats::ProcessMeter;
use super::rollback;
use super::settings::FlinkSettings;
use super::state::{FlinkState, StateWrite};
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;

/// Operations kept per application (the oldest are dropped beyond it).
const MAX_OPERATIONS: usize = 1000;

pub struct Runtime {
    /// How long transitions take (a system rollback's ROLLING_BACK).
    settings: FlinkSettings,
    jobs: Mutex<HashMap<String, Box<dyn Job>>>,
    /// Per running application, what its metrics remember between publications.
    meters: Mutex<HashMap<String, Meter>>,
    process: Mutex<ProcessMeter>,
}

type Logs = Vec<(Application, Messages)>;

/// What a transition did with an application's job: whether a snapshot took its state (what the job
/// held back for it is committed once the snapshot is kept), the states to write with the
/// application, and the job a stop took out, to be stopped after that.
#[derive(Default)]
struct Handover {
    took_state: bool,
    states: Vec<StateWrite>,
    stopped: Vec<Box<dyn Job>>,
}

/// What a transition or a second of running works with: the service's store (to read a saved job
/// state), the cloud, and the time.
struct Turn<'a> {
    store: &'a FlinkState,
    ctx: &'a Arc<CloudContext>,
    now: Millis,
}

impl Runtime {
    pub fn new(settings: FlinkSettings) -> Self {
        Runtime {
            settings,
            jobs: Mutex::new(HashMap::new()),
            meters: Mutex::new(HashMap::new()),
            process: Mutex::new(ProcessMeter::new()),
        }
    }

    fn meters(&self) -> MutexGuard<'_, HashMap<String, Meter>> {
        self.meters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn checkpoint_took(&self, name: &str, took: Duration) {
        self.meters().entry(name.to_string()).or_default().checkpoint_duration_ms = Some(took.as_secs_f64() * 1000.0);
    }

    /// Publishes the metrics of every RUNNING application whose minute has come; applications that
    /// no longer run are forgotten, so they publish nothing.
    fn publish(&self, state: &FlinkState, ctx: &Arc<CloudContext>, jobs: &HashMap<String, Box<dyn Job>>, now: Millis) {
        // Read in place under the lock, not cloned: this runs every second.
        let mut meters = self.meters();
        let apps = state.lock();
        let running = |a: &&Application| a.status == Status::Running;
        meters.retain(|name, _| apps.get(name).is_some_and(|a| running(&a)));
        let mut process = None;
        let mut datums = Vec::new();
        for app in apps.values().filter(running) {
            let meter = meters.entry(app.name.clone()).or_default();
            if !meter.due(now) {
                continue;
            }
            let p = process.get_or_insert_with(|| self.process.lock().unwrap_or_else(|p| p.into_inner()).read());
            let stats = jobs.get(&app.name).map(|j| j.stats());
            datums.extend(meter.datums(app, now, stats.as_ref(), Some(p)));
        }
        drop(apps);
        drop(meters);
        ctx.metric_publisher.publish(datums);
    }

    fn jobs(&self) -> MutexGuard<'_, HashMap<String, Box<dyn Job>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `name` has a job in this process (tests and the CLI's `app` view read it).
    pub fn is_running(&self, name: &str) -> bool {
        self.jobs().contains_key(name)
    }

    /// Ends every transition due by `now`.
    pub fn transitions(&self, state: &FlinkState, ctx: &Arc<CloudContext>, now: Millis) {
        let mut jobs = self.jobs();
        let mut logs: Logs = Vec::new();
        let t = Turn { store: state, ctx, now };
        {
            let mut apps = state.lock();
            let names: Vec<String> = apps.keys().cloned().collect();
            for name in names {
                let Some(app) = apps.get(&name).cloned() else { continue };
                if app.status == Status::Deleting {
                    // Halted at once; deleted when DELETING ends.
                    if let Some(mut job) = jobs.remove(&name) {
                        job.stop();
                        let halted = format!("Job {name} switched from state RUNNING to CANCELED.");
                        logs.push((app.clone(), vec![(Level::Info, &EXECUTION_GRAPH, halted)]));
                    }
                }
                let mut handover = Handover::default();
                let Some(next) = self.advance(app.clone(), &mut jobs, &t, &mut logs, &mut handover) else {
                    continue;
                };
                let states = std::mem::take(&mut handover.states);
                let result = match next {
                    Some(app) => state.put_with(&mut apps, app, states),
                    None => state.remove(&mut apps, &name),
                };
                match result {
                    Ok(()) if handover.took_state => {
                        // A snapshot holds the job's state now: what it held back for it is committed.
                        if let Some(job) = jobs.get_mut(&name) {
                            job.committed();
                        }
                        for job in handover.stopped.iter_mut() {
                            job.committed();
                        }
                    }
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(application = %name, error = %e, "saving a Managed Flink transition failed; it is retried next second");
                    }
                }
                for mut job in handover.stopped {
                    job.stop();
                }
            }
        }
        drop(jobs);
        for (app, messages) in logs {
            app_log::write(ctx, &app, now, &messages);
        }
    }

    /// The application after what is due by `now`: `None` if nothing changed, `Some(None)` once deleted.
    fn advance(
        &self,
        mut app: Application,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        logs: &mut Logs,
        handover: &mut Handover,
    ) -> Option<Option<Application>> {
        let now = t.now;
        let before = app.clone();
        let mut messages = Vec::new();
        for s in app.snapshots.iter_mut() {
            match (s.status, s.due_ms) {
                (SnapshotStatus::Creating, Some(due)) if due <= now => {
                    let taken = jobs.get_mut(&app.name).map(|j| j.state());
                    match taken {
                        Some(Ok(bytes)) => {
                            let saved = SavedState::snapshot(&app.name, bytes.len());
                            handover.states.push((saved.key.clone(), bytes));
                            s.state = Some(saved);
                            s.status = SnapshotStatus::Ready;
                            handover.took_state = true;
                            messages.push((Level::Info, &SERVICE, format!("Snapshot {} completed", s.name)));
                        }
                        other => {
                            s.status = SnapshotStatus::Failed;
                            let why = match other {
                                Some(Err(e)) => e.0,
                                _ => "the job was not running".into(),
                            };
                            messages.push((Level::Error, &SERVICE, format!("Snapshot {} failed: {why}", s.name)));
                        }
                    }
                    s.due_ms = None;
                }
                _ => {}
            }
        }
        app.snapshots.retain(|s| !(s.status == SnapshotStatus::Deleting && s.due_ms.is_some_and(|d| d <= now)));
        if let Some(p) = app.pending.clone().filter(|p| p.due_ms <= now) {
            app.pending = None;
            let updating = p.transition == Transition::Update;
            let outcome = match p.transition {
                Transition::Start { restore } => self.start(&mut app, restore, jobs, t, &mut messages),
                Transition::Stop { snapshot } => {
                    self.stop(&mut app, snapshot, jobs, handover, &mut messages);
                    Ok(())
                }
                Transition::Update => self.update(&mut app, jobs, t, &mut messages),
                Transition::Rollback => self.rollback(&mut app, jobs, t, &mut messages),
                Transition::Delete => {
                    logs.push((app.clone(), messages));
                    return Some(None);
                }
            };
            let system_rollback = match outcome {
                Err(_) if updating => self.system_rollback(&mut app, now, &mut messages),
                _ => None,
            };
            if let Some(id) = p.operation_id
                && let Some(o) = app.operation_mut(&id)
            {
                o.end_ms = Some(now);
                match outcome {
                    Ok(()) => o.status = OperationStatus::Successful,
                    Err(e) => {
                        o.status = OperationStatus::Failed;
                        o.error = Some(e);
                        o.rollback_operation_id = system_rollback;
                    }
                }
            }
        }
        if app.operations.len() > MAX_OPERATIONS {
            let extra = app.operations.len() - MAX_OPERATIONS;
            app.operations.drain(..extra);
        }
        if !messages.is_empty() {
            logs.push((app.clone(), messages));
        }
        (app != before).then_some(Some(app))
    }

    /// An update whose job would not start, with system rollback on: the service rolls the
    /// application back to the version before as RollbackApplication does (ROLLING_BACK, then the job
    /// restarts from the latest READY snapshot); without that version or a snapshot it stays READY,
    /// as AWS leaves an application whose rollback fails. The rollback's operation id.
    fn system_rollback(&self, app: &mut Application, now: Millis, messages: &mut Messages) -> Option<String> {
        if !app.system_rollback_enabled() {
            return None;
        }
        let from = app.version_id;
        // As RollbackApplication asks: a READY snapshot to restore, and a version before this one.
        let id =
            app.latest_snapshot().is_some().then(|| rollback::begin(app, now, now + self.settings.update_ms)).flatten();
        let line = match &id {
            Some(id) => format!("System rollback {id} of application {} from version {from} started", app.name),
            None => format!(
                "System rollback of application {} is not possible: it needs a previous version and a READY snapshot",
                app.name
            ),
        };
        messages.push((Level::Warn, &SERVICE, line));
        id
    }

    /// The application's tagged job, started from `from`.
    fn job(app: &Application, ctx: &Arc<CloudContext>, from: StartFrom) -> Result<Box<dyn Job>, JobError> {
        jobs::lookup(app.builtin(), &Self::env(app, ctx)).and_then(|mut job| job.start(from).map(|_| job))
    }

    /// A new Flink job for `app` (a start, an update, a rollback): RUNNING from `now` with its health
    /// begun again, or back to READY with the reason, for the operation.
    fn launch(
        app: &mut Application,
        from: StartFrom,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> Result<(), String> {
        match Self::job(app, t.ctx, from) {
            Ok(job) => {
                jobs.insert(app.name.clone(), job);
                app.status = Status::Running;
                app.started_ms = Some(t.now);
                app.health = JobHealth { job_started_ms: Some(t.now), ..JobHealth::default() };
                Ok(())
            }
            Err(e) => Err(job_failed(app, messages, e.0)),
        }
    }

    fn env(app: &Application, ctx: &Arc<CloudContext>) -> JobEnv {
        JobEnv {
            application: app.name.clone(),
            application_arn: app.arn.clone(),
            version_id: app.version_id,
            properties: app.properties(),
            logging: app.logging.clone(),
            ctx: ctx.clone(),
        }
    }

    /// STARTING ends: the tagged job starts from the restore's snapshot, or the application goes back
    /// to READY with the reason.
    fn start(
        &self,
        app: &mut Application,
        restore: Restore,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> Result<(), String> {
        let snapshot = match &restore {
            Restore::Skip => None,
            _ if !app.snapshots_enabled() => None,
            Restore::Latest => app.latest_snapshot(),
            Restore::Custom(name) => app.snapshot(name),
        };
        let saved = snapshot.and_then(|s| s.state.clone());
        let from = restoring(app, saved, t, messages)?;
        Self::launch(app, from, jobs, t, messages)?;
        app.checkpoint_ms = Some(t.now);
        let line = format!("Job {} switched from state CREATED to RUNNING.", app.name);
        messages.push((Level::Info, &EXECUTION_GRAPH, line));
        Ok(())
    }

    /// STOPPING or FORCE_STOPPING ends: the stop's snapshot (if any) takes the job's last state. The
    /// job goes to the handover, to be stopped once the snapshot is kept.
    fn stop(
        &self,
        app: &mut Application,
        snapshot: Option<String>,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        handover: &mut Handover,
        messages: &mut Messages,
    ) {
        let mut job = jobs.remove(&app.name);
        if let Some(name) = snapshot {
            let taken = job.as_mut().map(|j| j.state());
            if let Some(s) = app.snapshots.iter_mut().find(|s| s.name == name) {
                match taken {
                    Some(Ok(bytes)) => {
                        let saved = SavedState::snapshot(&app.name, bytes.len());
                        handover.states.push((saved.key.clone(), bytes));
                        s.state = Some(saved);
                        s.status = SnapshotStatus::Ready;
                        handover.took_state = true;
                    }
                    _ => s.status = SnapshotStatus::Failed,
                }
            }
        }
        handover.stopped.extend(job);
        app.status = Status::Ready;
        app.started_ms = None;
        app.checkpoint = None;
        app.checkpoint_ms = None;
        app.health.down_since_ms = None;
        app.health.restart_due_ms = None;
        messages.push((
            Level::Info,
            &EXECUTION_GRAPH,
            format!("Job {} switched from state RUNNING to CANCELED.", app.name),
        ));
    }

    /// UPDATING ends: the job restarts on the new version from the state it had.
    fn update(
        &self,
        app: &mut Application,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> Result<(), String> {
        let from = match jobs.remove(&app.name) {
            Some(mut old) => {
                let s = old.state().ok();
                old.stop();
                s.map_or(StartFrom::Fresh, StartFrom::Snapshot)
            }
            None => restoring(app, app.checkpoint.clone(), t, messages)?,
        };
        Self::launch(app, from, jobs, t, messages)?;
        let line = format!("Application {} updated to version {}", app.name, app.version_id);
        messages.push((Level::Info, &SERVICE, line));
        Ok(())
    }

    /// ROLLING_BACK ends: the job restarts on the restored version from the latest READY snapshot.
    fn rollback(
        &self,
        app: &mut Application,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> Result<(), String> {
        if let Some(mut old) = jobs.remove(&app.name) {
            old.stop();
        }
        let saved = app.latest_snapshot().and_then(|s| s.state.clone());
        let from = restoring(app, saved, t, messages)?;
        Self::launch(app, from, jobs, t, messages)?;
        app.checkpoint_ms = Some(t.now);
        let to = app.rolled_back.map_or(app.version_id, |(_, to)| to);
        let line = format!("Application {} rolled back to version {to} as version {}", app.name, app.version_id);
        messages.push((Level::Info, &SERVICE, line));
        Ok(())
    }

    /// One step of every running job, a checkpoint where its interval has passed, the restart of a
    /// failed job once its delay has passed, and the jobs of applications running before a restart
    /// of the local cloud resumed from their last checkpoint.
    pub fn steps(&self, state: &FlinkState, ctx: &Arc<CloudContext>, now: Millis) {
        let running: Vec<Application> =
            state.lock().values().filter(|a| a.status == Status::Running).cloned().collect();
        let mut jobs = self.jobs();
        let mut logs: Logs = Vec::new();
        let t = Turn { store: state, ctx, now };
        for app in running {
            let mut messages = Vec::new();
            let (next, checkpoint) = self.run(&app, &mut jobs, &t, &mut messages);
            if next != app {
                let (began, write) = checkpoint.unzip();
                match save_run(state, next, write) {
                    Ok(Some(saved)) => {
                        if let Some(began) = began {
                            // The checkpoint is durable: what the job held back for it is committed.
                            if let Some(job) = jobs.get_mut(&saved.name) {
                                job.committed();
                            }
                            self.checkpoint_took(&saved.name, began.elapsed());
                        }
                        logs.push((saved, messages));
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(application = %app.name, error = %e, "saving a Managed Flink job's progress failed")
                    }
                }
            }
            if !messages.is_empty() {
                logs.push((app, messages));
            }
        }
        self.publish(state, ctx, &jobs, now);
        drop(jobs);
        for (app, messages) in logs {
            app_log::write(ctx, &app, now, &messages);
        }
    }

    /// Makes sure `app`'s job runs: restarts it once its restart delay has passed, or resumes it
    /// after a restart of the local cloud. Whether it runs now (`next` records a restart).
    fn bring_up(
        &self,
        app: &Application,
        next: &mut Application,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> bool {
        let now = t.now;
        let restarting = app.health.restart_due_ms.is_some();
        if app.health.restart_due_ms.is_some_and(|due| now < due) || (!restarting && jobs.contains_key(&app.name)) {
            return !restarting;
        }
        let from = match &app.checkpoint {
            None => Ok(StartFrom::Fresh),
            Some(saved) => t.store.read_state(&app.name, saved).map(StartFrom::Checkpoint).map_err(JobError),
        };
        let started = from.and_then(|from| Self::job(app, t.ctx, from));
        if !restarting {
            match started {
                Ok(job) => {
                    jobs.insert(app.name.clone(), job);
                }
                Err(e) => tracing::warn!(application = %app.name, error = %e, "resuming a Managed Flink job failed"),
            }
            return jobs.contains_key(&app.name);
        }
        next.health.restart_due_ms = None;
        next.health.restarts += 1;
        match started {
            Ok(job) => {
                jobs.insert(app.name.clone(), job);
                next.health.down_since_ms = None;
                next.started_ms = Some(now);
                restarted(next, app.checkpoint.as_ref().and(app.checkpoint_ms), messages);
                true
            }
            Err(e) => {
                failed(next, &e.0, now, messages);
                false
            }
        }
    }

    /// What one second does to `app`'s job; the application as it is after it, and for a checkpoint
    /// taken in it, when it began (its duration runs until the application is saved) and its state.
    fn run(
        &self,
        app: &Application,
        jobs: &mut HashMap<String, Box<dyn Job>>,
        t: &Turn<'_>,
        messages: &mut Messages,
    ) -> (Application, Option<(Instant, StateWrite)>) {
        let now = t.now;
        let mut next = app.clone();
        if !self.bring_up(app, &mut next, jobs, t, messages) {
            return (next, None);
        }
        let Some(job) = jobs.get_mut(&app.name) else { return (next, None) };
        if let Err(e) = job.step(now) {
            if let Some(mut j) = jobs.remove(&app.name) {
                j.stop();
            }
            failed(&mut next, &e.0, now, messages);
            return (next, None);
        }
        let due = app.checkpoint_interval_ms().is_some_and(|i| now >= app.checkpoint_ms.unwrap_or(now) + i);
        if !due {
            return (next, None);
        }
        let began = Instant::now();
        match job.state() {
            Ok(bytes) => {
                let saved = SavedState::checkpoint(&app.name, bytes.len());
                next.health.last_checkpoint = Some(CheckpointStats { at_ms: now, size_bytes: saved.size_bytes });
                let write = (saved.key.clone(), bytes);
                next.checkpoint = Some(saved);
                next.checkpoint_ms = Some(now);
                (next, Some((began, write)))
            }
            Err(e) => {
                // Flink tolerates no failed checkpoint by default: the job fails over.
                next.health.failed_checkpoints += 1;
                if let Some(mut j) = jobs.remove(&app.name) {
                    j.stop();
                }
                failed(
                    &mut next,
                    &format!("org.apache.flink.runtime.checkpoint.CheckpointException: {}", e.0),
                    now,
                    messages,
                );
                (next, None)
            }
        }
    }

    /// Stops every job (the host is stopping); their state stays as of the last checkpoint.
    pub fn stop_all(&self) {
        for (_, mut job) in self.jobs().drain() {
            job.stop();
        }
    }
}

/// Saves what a second of running did to `next` (its checkpoint with the checkpoint's state, restarts,
/// failures) if the application is still RUNNING; the application as saved, or `None` when it no
/// longer runs.
fn save_run(
    state: &FlinkState,
    next: Application,
    checkpoint: Option<StateWrite>,
) -> Result<Option<Application>, crate::cloud::error::ApiError> {
    let mut apps = state.lock();
    let Some(mut current) = apps.get(&next.name).filter(|a| a.status == Status::Running).cloned() else {
        return Ok(None);
    };
    current.checkpoint = next.checkpoint;
    current.checkpoint_ms = next.checkpoint_ms;
    current.started_ms = next.started_ms;
    current.health = next.health;
    state.put_with(&mut apps, current.clone(), checkpoint.into_iter().collect())?;
    Ok(Some(current))
}

/// Where a job restoring `saved` (a snapshot's or checkpoint's state) starts: fresh without one; a
/// state that cannot be read fails the start (the application back to READY) with the reason.
fn restoring(
    app: &mut Application,
    saved: Option<SavedState>,
    t: &Turn<'_>,
    messages: &mut Messages,
) -> Result<StartFrom, String> {
    match saved {
        None => Ok(StartFrom::Fresh),
        Some(saved) => {
            t.store.read_state(&app.name, &saved).map(StartFrom::Snapshot).map_err(|e| job_failed(app, messages, e))
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new(FlinkSettings::default())
    }
}
