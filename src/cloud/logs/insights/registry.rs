//! The queries of the account: admitted as `Scheduled`, `Running` while a blocking task evaluates
//! them, then `Complete`, `Cancelled` (StopQuery), `Failed` or `Timeout` (60 minutes of cloud time,
//! AWS's limit). At most [`MAX_CONCURRENT`] are Scheduled or Running at once; ended queries and their
//! results are kept [`KEEP_MS`] of cloud time for GetQueryResults and DescribeQueries. Kept in
//! memory only: a query's results are derived data, and a restarted cloud has no running queries.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::ast::Query;
use super::record::SourceEvent;
use super::run::{Halt, Outcome, execute};
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

/// Logs Insights' quota of concurrent queries per account.
pub const MAX_CONCURRENT: usize = 100;
/// A query that runs longer than this (cloud time) ends in `Timeout`.
pub const TIMEOUT_MS: Millis = 60 * 60 * 1000;
/// How long a query and its results stay retrievable: 7 days, as on AWS.
pub const KEEP_MS: Millis = 7 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled,
    Running,
    Complete,
    Cancelled,
    Failed,
    Timeout,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Scheduled, Status::Running, Status::Complete, Status::Cancelled, Status::Failed, Status::Timeout];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "Scheduled",
            Status::Running => "Running",
            Status::Complete => "Complete",
            Status::Cancelled => "Cancelled",
            Status::Failed => "Failed",
            Status::Timeout => "Timeout",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, Status::Scheduled | Status::Running)
    }
}

#[derive(Debug, Clone)]
pub struct QueryEntry {
    pub id: String,
    pub text: String,
    pub groups: Vec<String>,
    pub created_ms: Millis,
    /// Order of admission, which orders queries started in the same millisecond.
    seq: u64,
    pub ended_ms: Option<Millis>,
    pub status: Status,
    pub outcome: Option<Outcome>,
    stop: Arc<AtomicBool>,
}

pub struct QueryRegistry {
    ctx: Weak<CloudContext>,
    queries: Mutex<BTreeMap<String, QueryEntry>>,
    next_seq: AtomicU64,
}

/// What a running query needs: its id and the flag StopQuery raises.
pub struct Admitted {
    pub id: String,
    stop: Arc<AtomicBool>,
    created_ms: Millis,
}

impl QueryRegistry {
    pub fn new(ctx: Weak<CloudContext>) -> Self {
        QueryRegistry { ctx, queries: Mutex::new(BTreeMap::new()), next_seq: AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, QueryEntry>> {
        self.queries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a new query as Scheduled, or refuses it when the account runs its maximum.
    pub fn admit(&self, now: Millis, text: &str, groups: Vec<String>) -> Result<Admitted, ApiError> {
        let mut queries = self.lock();
        self.tidy(&mut queries, now);
        if queries.values().filter(|q| q.status.is_active()).count() >= MAX_CONCURRENT {
            return Err(ApiError::bad_request(
                "LimitExceededException",
                format!("Account maximum query concurrency limit of [{MAX_CONCURRENT}] reached."),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        queries.insert(
            id.clone(),
            QueryEntry {
                id: id.clone(),
                text: text.to_string(),
                groups,
                created_ms: now,
                seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
                ended_ms: None,
                status: Status::Scheduled,
                outcome: None,
                stop: stop.clone(),
            },
        );
        Ok(Admitted { id, stop, created_ms: now })
    }

    /// Evaluates an admitted query on a blocking thread (inline where there is no runtime).
    pub fn spawn(
        self: &Arc<Self>,
        admitted: Admitted,
        query: Query,
        events: Vec<SourceEvent>,
        account: String,
        limit: usize,
    ) {
        let registry = self.clone();
        let work = move || registry.run(&admitted, &query, &events, &account, limit);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(work)),
            Err(_) => work(),
        }
    }

    fn run(&self, admitted: &Admitted, query: &Query, events: &[SourceEvent], account: &str, limit: usize) {
        if !self.advance(&admitted.id, Status::Running, None) {
            return;
        }
        let halt = || {
            if admitted.stop.load(Ordering::Relaxed) {
                return Some(Halt::Stopped);
            }
            let now = self.ctx.upgrade().map(|c| c.clock.now_ms())?;
            (now - admitted.created_ms > TIMEOUT_MS).then_some(Halt::TimedOut)
        };
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(query, events, account, limit, &halt)));
        let (status, outcome) = match result {
            Ok(Ok(outcome)) => (Status::Complete, Some(outcome)),
            Ok(Err(Halt::Stopped)) => (Status::Cancelled, None),
            Ok(Err(Halt::TimedOut)) => (Status::Timeout, None),
            Err(_) => {
                tracing::error!("Logs Insights query {} failed while running", admitted.id);
                (Status::Failed, None)
            }
        };
        self.advance(&admitted.id, status, outcome);
    }

    /// Moves an active query to `status`; false when it already ended (stopped, timed out).
    fn advance(&self, id: &str, status: Status, outcome: Option<Outcome>) -> bool {
        let now = self.now();
        let mut queries = self.lock();
        let Some(q) = queries.get_mut(id).filter(|q| q.status.is_active()) else { return false };
        q.status = status;
        q.outcome = outcome;
        if !status.is_active() {
            q.ended_ms = Some(now);
        }
        true
    }

    fn now(&self) -> Millis {
        self.ctx.upgrade().map_or(0, |c| c.clock.now_ms())
    }

    /// The query as GetQueryResults sees it at `now`.
    pub fn get(&self, id: &str, now: Millis) -> Result<QueryEntry, ApiError> {
        let mut queries = self.lock();
        self.tidy(&mut queries, now);
        queries.get(id).cloned().ok_or_else(|| not_found(id))
    }

    /// Stops an active query: true if it was running, false if it had already ended.
    pub fn stop(&self, id: &str, now: Millis) -> Result<bool, ApiError> {
        let mut queries = self.lock();
        self.tidy(&mut queries, now);
        let q = queries.get_mut(id).ok_or_else(|| not_found(id))?;
        if !q.status.is_active() {
            return Ok(false);
        }
        q.stop.store(true, Ordering::Relaxed);
        q.status = Status::Cancelled;
        q.ended_ms = Some(now);
        Ok(true)
    }

    /// Every kept query, newest first.
    pub fn list(&self, now: Millis) -> Vec<QueryEntry> {
        let mut queries = self.lock();
        self.tidy(&mut queries, now);
        let mut all: Vec<QueryEntry> = queries.values().cloned().collect();
        all.sort_by_key(|q| std::cmp::Reverse((q.created_ms, q.seq)));
        all
    }

    pub fn clear(&self) {
        for q in self.lock().values() {
            q.stop.store(true, Ordering::Relaxed);
        }
        self.lock().clear();
    }

    /// Times out queries past their hour and forgets those past their keep period.
    fn tidy(&self, queries: &mut BTreeMap<String, QueryEntry>, now: Millis) {
        for q in queries.values_mut() {
            if q.status.is_active() && now - q.created_ms > TIMEOUT_MS {
                q.stop.store(true, Ordering::Relaxed);
                q.status = Status::Timeout;
                q.ended_ms = Some(now);
            }
        }
        queries.retain(|_, q| now - q.created_ms <= KEEP_MS);
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("Query {id} does not exist."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::logs::insights::parser::parse;

    fn registry() -> Arc<QueryRegistry> {
        Arc::new(QueryRegistry::new(Weak::new()))
    }

    #[test]
    fn the_concurrency_quota_refuses_the_next_query_until_one_ends() {
        let r = registry();
        let first = r.admit(0, "fields a", vec!["g".into()]).unwrap();
        for _ in 1..MAX_CONCURRENT {
            r.admit(0, "fields a", vec!["g".into()]).unwrap();
        }
        let e = r.admit(0, "fields a", vec!["g".into()]).err().expect("over the quota");
        assert_eq!(e.code, "LimitExceededException");
        assert!(r.stop(&first.id, 5).unwrap());
        assert!(!r.stop(&first.id, 6).unwrap(), "a stopped query is not running any more");
        r.admit(7, "fields a", vec!["g".into()]).unwrap();
    }

    #[test]
    fn a_query_runs_to_complete_and_is_kept_seven_days() {
        let r = registry();
        let admitted = r.admit(1_000, "fields @message", vec!["g".into()]).unwrap();
        let id = admitted.id.clone();
        assert_eq!(r.get(&id, 1_000).unwrap().status, Status::Scheduled);
        let event = SourceEvent {
            group: "g".into(),
            stream: "s".into(),
            timestamp: 5,
            seq: 1,
            message: "hello".into(),
            ingestion_ms: 6,
        };
        r.spawn(admitted, parse("fields @message").unwrap(), vec![event], "1".into(), 10);
        let q = r.get(&id, 2_000).unwrap();
        assert_eq!(q.status, Status::Complete);
        assert_eq!(q.outcome.unwrap().rows[0][0], ("@message".to_string(), "hello".to_string()));
        assert!(r.get(&id, 1_000 + KEEP_MS).is_ok());
        assert_eq!(r.get(&id, 1_001 + KEEP_MS).unwrap_err().code, "ResourceNotFoundException");
    }

    #[test]
    fn an_active_query_past_an_hour_of_cloud_time_times_out() {
        let r = registry();
        let a = r.admit(0, "fields a", vec!["g".into()]).unwrap();
        assert_eq!(r.get(&a.id, TIMEOUT_MS).unwrap().status, Status::Scheduled);
        assert_eq!(r.get(&a.id, TIMEOUT_MS + 1).unwrap().status, Status::Timeout);
        assert!(a.stop.load(Ordering::Relaxed), "its evaluation is told to give up");
        assert_eq!(r.list(TIMEOUT_MS + 1).len(), 1);
    }
}
