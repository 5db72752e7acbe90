//! What a restarted cloud does with operations a stop or a crash cut off: none stays IN_PROGRESS.
//! Deletions, rollbacks and cleanups resume where they stood (deleting is idempotent); a creation or
//! an update fails with a reason naming the stop, and rolls back as AWS rolls back a failed one.

use std::sync::Arc;

use super::model::Stack;
use super::runner::Runner;
use super::state::resource_event;

pub const INTERRUPTED: &str = "The local cloud stopped during the operation";

/// Resumes or fails the stack's cut-off operation; `None` when it has none.
pub async fn resume(runner: Arc<Runner>, stack: Stack) {
    let id = stack.id.clone();
    match stack.status.as_str() {
        "CREATE_IN_PROGRESS" => {
            mark_interrupted(&runner, &id, "CREATE");
            let failed = failed_resources(&runner, &id, "CREATE_FAILED");
            let reason = format!("The following resource(s) failed to create: [{failed}]. {INTERRUPTED}. ");
            runner.fail_create(&id, reason).await;
        }
        "ROLLBACK_IN_PROGRESS" => runner.rollback_create(&id).await,
        "DELETE_IN_PROGRESS" => runner.clone().delete(id).await,
        "UPDATE_IN_PROGRESS" => {
            mark_interrupted(&runner, &id, "UPDATE");
            mark_interrupted(&runner, &id, "CREATE");
            runner.set_stack(&id, "UPDATE_ROLLBACK_IN_PROGRESS", Some(format!("{INTERRUPTED}. ")));
            runner.rollback_update(&id).await;
        }
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" => runner.cleanup_update(&id).await,
        "UPDATE_ROLLBACK_IN_PROGRESS" | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" => {
            runner.rollback_update(&id).await
        }
        _ => {}
    }
}

/// Resources left `<verb>_IN_PROGRESS` are failed with the reason.
fn mark_interrupted(runner: &Runner, id: &str, verb: &str) {
    let now = runner.now();
    let in_progress = format!("{verb}_IN_PROGRESS");
    let _ = runner.stacks.update(id, |s| {
        let cut: Vec<String> =
            s.resources.iter().filter(|r| r.status == in_progress).map(|r| r.logical_id.clone()).collect();
        for logical_id in cut {
            resource_event(s, &logical_id, &format!("{verb}_FAILED"), Some(format!("{INTERRUPTED}.")), now);
        }
        Ok(())
    });
}

fn failed_resources(runner: &Runner, id: &str, status: &str) -> String {
    let Ok(stack) = runner.stacks.get(id) else { return String::new() };
    let names: Vec<&str> =
        stack.resources.iter().filter(|r| r.status == status).map(|r| r.logical_id.as_str()).collect();
    names.join(", ")
}
