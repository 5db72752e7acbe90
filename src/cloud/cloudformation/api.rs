//! What every operation of the service is given: the stacks and the runner of their operations, and
//! the background tasks those operations run as. Below the operation files and `mod.rs`, which
//! dispatches to them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::runner::Runner;

/// How long a call that started an operation waits for it before answering. AWS answers at once; the
/// local cloud lets an operation that ends within this answer after it, so a client's first poll sees
/// it finished (the aws CLI's waiters otherwise sleep 30 s before polling again) while a slow one still
/// answers promptly, IN_PROGRESS.
pub const QUICK_FINISH: Duration = Duration::from_millis(500);

pub struct Api {
    pub runner: Arc<Runner>,
    /// The operations running after their API call returned; aborted at stop, resumed at the next start.
    tasks: Mutex<JoinSet<()>>,
    /// By request id: the end of the operation a call started (see [`QUICK_FINISH`]).
    finished: Mutex<HashMap<String, oneshot::Receiver<()>>>,
}

impl Api {
    pub fn new(runner: Arc<Runner>) -> Self {
        Api { runner, tasks: Mutex::new(JoinSet::new()), finished: Mutex::new(HashMap::new()) }
    }

    /// Runs an operation in the background (it outlives the request that started it); the request
    /// `request_id` waits up to [`QUICK_FINISH`] for it.
    pub fn spawn(&self, request_id: Option<&str>, op: impl Future<Output = ()> + Send + 'static) {
        let (done, finished) = oneshot::channel();
        if let Some(id) = request_id {
            self.finished.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), finished);
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            op.await;
            let _ = done.send(());
        });
    }

    /// Waits (up to [`QUICK_FINISH`]) for the operation the request started, if it started one.
    pub async fn settle(&self, request_id: &str) {
        let started = self.finished.lock().unwrap_or_else(|p| p.into_inner()).remove(request_id);
        if let Some(finished) = started {
            let _ = tokio::time::timeout(QUICK_FINISH, finished).await;
        }
    }

    /// Ends every running operation (a restart resumes or fails them).
    pub async fn abort_all(&self) {
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        tasks.shutdown().await;
    }
}
