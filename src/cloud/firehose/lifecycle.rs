//! Status transitions on the cloud clock: CREATING ends ACTIVE, or CREATING_FAILED with the reason
//! (a source that could not be read at creation, a bucket that does not exist); DELETING ends with
//! the delivery stream gone, or DELETING_FAILED when its removal could not be stored.

use super::model::{DeliveryStream, Failure, Status};
use super::state::FirehoseState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;

fn bucket_failure(ctx: &CloudContext, meta: &DeliveryStream) -> Option<Failure> {
    let bucket = meta.destination.bucket();
    match ctx.object_writer.object_exists(bucket, ".firehose-probe") {
        Ok(_) => None,
        Err(e) if e.code == "NoSuchBucket" => Some(Failure {
            kind: "UNKNOWN_ERROR".into(),
            details: format!("The destination bucket {bucket} does not exist: {}", e.message),
        }),
        Err(e) => Some(Failure {
            kind: "UNKNOWN_ERROR".into(),
            details: format!("Bucket {bucket} could not be checked: {e}"),
        }),
    }
}

/// Ends every transition that is due at `now`.
pub fn settle(state: &FirehoseState, ctx: &CloudContext, now: Millis) {
    let mut streams = state.lock();
    let due: Vec<String> = streams
        .values()
        .filter(|e| e.meta.transition_at_ms.is_some_and(|t| t <= now))
        .map(|e| e.meta.name.clone())
        .collect();
    for name in due {
        let Some(mut meta) = streams.get(&name).map(|e| e.meta.clone()) else { continue };
        meta.transition_at_ms = None;
        match meta.status {
            Status::Creating => {
                let failure = meta.failure.clone().or_else(|| bucket_failure(ctx, &meta));
                meta.status = if failure.is_some() { Status::CreatingFailed } else { Status::Active };
                meta.failure = failure;
                if let Err(e) = state.update(&mut streams, meta) {
                    tracing::warn!(delivery_stream = %name, error = %e, "storing the end of CREATING failed; retrying");
                }
            }
            Status::Deleting => {
                if let Err(e) = state.remove(&mut streams, &name) {
                    meta.status = Status::DeletingFailed;
                    meta.failure = Some(Failure { kind: "UNKNOWN_ERROR".into(), details: e.message.clone() });
                    if let Some(entry) = streams.get_mut(&name) {
                        // Published without storing: the store just failed; a new delete retries.
                        entry.meta = meta;
                    }
                }
            }
            _ => {}
        }
    }
}
