//! Following a stack's events as they happen: DescribeStackEvents answers newest first, in pages; the
//! follower reads pages until it meets an event it has already shown, hands over the new ones oldest
//! first, and ends when the stack's own event says the operation settled.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use serde::Serialize;

use super::model::{StackEvent, is_settled, is_success};
use super::retry::{CallError, Pace};

/// Pages read per poll at most: a poll after a long pause shows the newest events, not the whole history.
const MAX_PAGES: usize = 20;

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The stack's settled status (`CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, …).
    pub status: String,
    pub success: bool,
    /// The first resource that failed on its own, and why; else the stack's own reason, if any.
    pub failure: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EventFollower {
    stack_name: String,
    seen: HashSet<String>,
    /// Every event handed over, oldest first.
    shown: Vec<StackEvent>,
    outcome: Option<Outcome>,
}

impl EventFollower {
    pub fn new(stack_name: &str) -> Self {
        EventFollower { stack_name: stack_name.to_string(), seen: HashSet::new(), shown: Vec::new(), outcome: None }
    }

    /// Marks events that were there before the operation began, so they are neither shown nor taken
    /// for its end (an update's stack still has its CREATE_COMPLETE).
    pub fn skip(&mut self, existing: &[StackEvent]) {
        self.seen.extend(existing.iter().map(|e| e.event_id.clone()));
    }

    /// Whether a page (newest first) reaches back to what was already seen: no older page is needed.
    pub fn reaches_seen(&self, page: &[StackEvent]) -> bool {
        page.iter().any(|e| self.seen.contains(&e.event_id))
    }

    pub fn has_seen_any(&self) -> bool {
        !self.seen.is_empty()
    }

    /// One poll's events, newest first as CloudFormation pages them; returns the new ones oldest first.
    pub fn accept(&mut self, newest_first: Vec<StackEvent>) -> Vec<StackEvent> {
        let mut fresh: Vec<StackEvent> =
            newest_first.into_iter().filter(|e| !self.seen.contains(&e.event_id)).collect();
        fresh.reverse();
        fresh.sort_by_key(|e| e.timestamp_ms);
        for e in &fresh {
            self.seen.insert(e.event_id.clone());
            self.shown.push(e.clone());
            if self.outcome.is_none() && e.is_stack() && e.logical_id == self.stack_name && is_settled(&e.status) {
                self.outcome = Some(self.outcome_at(e));
            }
        }
        fresh
    }

    fn outcome_at(&self, end: &StackEvent) -> Outcome {
        let success = is_success(&end.status);
        let failure = if success {
            None
        } else {
            self.shown
                .iter()
                .find(|e| e.is_root_failure())
                .map(|e| {
                    format!("{} ({}): {}", e.logical_id, e.resource_type, e.reason.as_deref().unwrap_or(&e.status))
                })
                .or_else(|| end.reason.clone())
        };
        Outcome { status: end.status.clone(), success, failure }
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    pub fn shown(&self) -> &[StackEvent] {
        &self.shown
    }
}

/// The newest events of a stack, newest first, up to where `follower` has already seen (all pages,
/// up to [`MAX_PAGES`], for a follower that has seen nothing).
pub async fn newest_events(
    client: &Client,
    stack: &str,
    follower: &EventFollower,
) -> Result<Vec<StackEvent>, CallError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DescribeStackEvents", &e))?;
        let events: Vec<StackEvent> = page.stack_events().iter().map(StackEvent::from).collect();
        let done = follower.reaches_seen(&events);
        out.extend(events);
        token = page.next_token().map(str::to_string);
        if done || token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Polls `stack`'s events every `interval` (backing off while throttled), calling `on_event` for each
/// new one in order, until the operation settles.
pub async fn follow(
    client: &Client,
    stack: &str,
    follower: &mut EventFollower,
    interval: Duration,
    mut on_event: impl FnMut(&StackEvent),
) -> Result<Outcome, CallError> {
    let mut pace = Pace::new(interval);
    loop {
        let throttled = match newest_events(client, stack, follower).await {
            Ok(events) => {
                follower.accept(events).iter().for_each(&mut on_event);
                if let Some(outcome) = follower.outcome() {
                    return Ok(outcome.clone());
                }
                false
            }
            Err(CallError::Throttled { .. }) => true,
            Err(e) => return Err(e),
        };
        let wait = pace.next(throttled).ok_or(CallError::Throttled { operation: "DescribeStackEvents".into() })?;
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, t: i64, logical: &str, kind: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            timestamp_ms: t,
            logical_id: logical.into(),
            physical_id: None,
            resource_type: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
        }
    }

    const STACK: &str = "AWS::CloudFormation::Stack";
    const STREAM: &str = "AWS::Kinesis::Stream";
    const ALARM: &str = "AWS::CloudWatch::Alarm";

    #[test]
    fn new_events_come_once_each_in_order_and_the_stacks_end_settles_it() {
        let mut f = EventFollower::new("orders");
        let first = vec![
            ev("2", 2, "Stream", STREAM, "CREATE_IN_PROGRESS", None),
            ev("1", 1, "orders", STACK, "CREATE_IN_PROGRESS", Some("User Initiated")),
        ];
        let got: Vec<String> = f.accept(first.clone()).into_iter().map(|e| e.event_id).collect();
        assert_eq!(got, ["1", "2"]);
        assert!(f.outcome().is_none());
        let mut second = vec![
            ev("4", 4, "orders", STACK, "CREATE_COMPLETE", None),
            ev("3", 3, "Stream", STREAM, "CREATE_COMPLETE", None),
        ];
        second.extend(first);
        assert!(f.reaches_seen(&second));
        let got: Vec<String> = f.accept(second).into_iter().map(|e| e.event_id).collect();
        assert_eq!(got, ["3", "4"], "only the new ones, oldest first");
        let o = f.outcome().expect("settled");
        assert!(o.success && o.status == "CREATE_COMPLETE" && o.failure.is_none());
    }

    #[test]
    fn a_rollback_names_the_resource_that_failed_not_the_ones_cancelled_after_it() {
        let mut f = EventFollower::new("orders");
        let events = vec![
            ev("8", 8, "orders", STACK, "ROLLBACK_COMPLETE", None),
            ev("7", 7, "Stream", STREAM, "DELETE_COMPLETE", None),
            ev(
                "6",
                6,
                "orders",
                STACK,
                "ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [Alarm]. Rollback requested by user."),
            ),
            ev("5", 5, "Stream", STREAM, "CREATE_FAILED", Some("Resource creation cancelled")),
            ev(
                "4",
                4,
                "Alarm",
                ALARM,
                "CREATE_FAILED",
                Some("Resource handler returned message: \"Period must be 10, 30 or a multiple of 60\""),
            ),
            ev("3", 3, "Alarm", ALARM, "CREATE_IN_PROGRESS", None),
            ev("2", 2, "Stream", STREAM, "CREATE_IN_PROGRESS", None),
            ev("1", 1, "orders", STACK, "CREATE_IN_PROGRESS", Some("User Initiated")),
        ];
        f.accept(events);
        let o = f.outcome().expect("settled");
        assert!(!o.success);
        assert_eq!(o.status, "ROLLBACK_COMPLETE");
        assert_eq!(
            o.failure.as_deref(),
            Some(
                "Alarm (AWS::CloudWatch::Alarm): Resource handler returned message: \"Period must be 10, 30 or a multiple of 60\""
            )
        );
    }

    #[test]
    fn an_update_ignores_the_stacks_earlier_end_and_waits_for_its_own() {
        let mut f = EventFollower::new("orders");
        let before = vec![
            ev("2", 2, "orders", STACK, "CREATE_COMPLETE", None),
            ev("1", 1, "orders", STACK, "CREATE_IN_PROGRESS", None),
        ];
        f.skip(&before);
        assert!(f.has_seen_any());
        let mut poll = vec![
            ev("4", 4, "orders", STACK, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None),
            ev("3", 3, "orders", STACK, "UPDATE_IN_PROGRESS", Some("User Initiated")),
        ];
        poll.extend(before.clone());
        assert_eq!(f.accept(poll).len(), 2);
        assert!(f.outcome().is_none(), "cleanup in progress is not the end, and CREATE_COMPLETE was before");
        f.accept(vec![ev("5", 5, "orders", STACK, "UPDATE_COMPLETE", None)]);
        assert_eq!(f.outcome().map(|o| o.status.as_str()), Some("UPDATE_COMPLETE"));
    }

    #[test]
    fn a_failed_stack_without_a_failed_resource_reports_the_stacks_reason() {
        let mut f = EventFollower::new("orders");
        f.accept(vec![ev("1", 1, "orders", STACK, "UPDATE_ROLLBACK_COMPLETE", Some("Template error"))]);
        assert_eq!(f.outcome().and_then(|o| o.failure.as_deref()), Some("Template error"));
    }
}
