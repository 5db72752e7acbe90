//! Background requests: one tokio task per job, the newest per source replacing (aborting) the one
//! before, each answer posted back as an action. Answers carry their generation so `App::update`
//! drops any that a newer request made stale.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::action::{Action, Data, Loaded, Request, Source};
use super::app::Job;

pub type Answer = Pin<Box<dyn Future<Output = Result<Data, String>> + Send>>;

/// Answers requests: the SDK against a target, or a fake in tests.
pub trait Fetch: Send + Sync + 'static {
    fn fetch(&self, request: Request) -> Answer;
}

/// No request may take longer: a target that stops answering shows an error, never a hang.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Jobs {
    fetch: Arc<dyn Fetch>,
    tx: UnboundedSender<Action>,
    running: HashMap<Source, JoinHandle<()>>,
}

impl Jobs {
    pub fn new(fetch: Arc<dyn Fetch>, tx: UnboundedSender<Action>) -> Jobs {
        Jobs { fetch, tx, running: HashMap::new() }
    }

    pub fn start(&mut self, jobs: Vec<Job>) {
        self.running.retain(|_, h| !h.is_finished());
        for job in jobs {
            let answer = self.fetch.fetch(job.request.clone());
            let tx = self.tx.clone();
            let source = job.source.clone();
            let what = format!("{:?}", job.request);
            let handle = tokio::spawn(async move {
                let result = match tokio::time::timeout(TIMEOUT, answer).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("no answer within {} s to {what}", TIMEOUT.as_secs())),
                };
                // The loop may have ended: then nobody needs the answer.
                let _ = tx.send(Action::Loaded(Loaded { source: job.source, generation: job.generation, result }));
            });
            if let Some(old) = self.running.insert(source, handle) {
                old.abort();
            }
        }
    }

    /// Jobs still running.
    pub fn running(&self) -> usize {
        self.running.values().filter(|h| !h.is_finished()).count()
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        for h in self.running.values() {
            h.abort();
        }
    }
}
