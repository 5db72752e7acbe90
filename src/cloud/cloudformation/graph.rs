//! Runs work over a dependency graph: every node whose prerequisites are done starts at once, so
//! independent resources are created (or deleted) in parallel and dependents wait for what they need.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use tokio::task::JoinSet;

/// Runs `work` for each node of `order` once every node it `after` has succeeded. A node whose
/// prerequisite failed never starts; with `stop_on_failure`, nothing new starts after the first failure
/// (what is running finishes). Prerequisites outside `order` count as done. Returns the failed nodes
/// and the nodes never started.
pub async fn run<W, Fut>(
    order: Vec<String>,
    after: BTreeMap<String, BTreeSet<String>>,
    stop_on_failure: bool,
    work: W,
) -> Outcome
where
    W: Fn(String) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let members: BTreeSet<String> = order.iter().cloned().collect();
    let mut pending = order;
    let mut done = BTreeSet::new();
    let mut outcome = Outcome::default();
    let mut running = JoinSet::new();
    loop {
        if !stop_on_failure || outcome.failed.is_empty() {
            let (ready, rest): (Vec<String>, Vec<String>) = pending.into_iter().partition(|n| {
                after.get(n).is_none_or(|deps| deps.iter().all(|d| !members.contains(d) || done.contains(d)))
            });
            pending = rest;
            for node in ready {
                let fut = work(node.clone());
                running.spawn(async move { (node, fut.await) });
            }
        }
        let Some(joined) = running.join_next().await else { break };
        match joined {
            Ok((node, true)) => {
                done.insert(node);
            }
            Ok((node, false)) => outcome.failed.push(node),
            // A panicking task is a bug; its node counts as failed so the operation still ends.
            Err(e) => outcome.failed.push(format!("<task: {e}>")),
        }
    }
    outcome.not_started = pending;
    outcome
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub failed: Vec<String>,
    pub not_started: Vec<String>,
}

/// The reverse of a dependency map: for each node, the nodes that depend on it (deleted first).
pub fn reversed(after: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (node, deps) in after {
        for d in deps {
            out.entry(d.clone()).or_default().insert(node.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn deps(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            m.entry(a.to_string()).or_default().insert(b.to_string());
        }
        m
    }

    #[tokio::test]
    async fn dependents_start_after_their_prerequisites_and_failures_stop_them() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let order = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        let l = log.clone();
        let out = run(order, deps(&[("C", "A"), ("C", "B")]), true, move |n| {
            let l = l.clone();
            async move {
                l.lock().unwrap().push(n.clone());
                n != "B"
            }
        })
        .await;
        assert_eq!(out.failed, vec!["B".to_string()]);
        assert_eq!(out.not_started, vec!["C".to_string()]);
        let mut started = log.lock().unwrap().clone();
        started.sort();
        assert_eq!(started, vec!["A".to_string(), "B".to_string()]);
    }

    #[test]
    fn reversing_puts_dependents_first() {
        let r = reversed(&deps(&[("C", "A")]));
        assert_eq!(r["A"], BTreeSet::from(["C".to_string()]));
    }
}
