//! The local S3 as the cloud's object sink (`cloud/object_sink.rs`): other services' objects go
//! through the same store and write path as PutObject, and the same injected faults.

use std::sync::{Arc, Weak};

use super::store::{NewObject, Store};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::faults::Fault;
use crate::cloud::object_sink::ObjectSink;

pub struct Writer {
    store: Arc<Store>,
    /// Weak: the context holds this writer.
    ctx: Weak<CloudContext>,
}

impl Writer {
    pub fn new(store: Arc<Store>, ctx: Weak<CloudContext>) -> Self {
        Writer { store, ctx }
    }
}

impl ObjectSink for Writer {
    fn put_object(&self, bucket: &str, key: &str, bytes: &[u8], content_type: &str) -> Result<String, ApiError> {
        let ctx = self.ctx.upgrade();
        // In-process writes honour the `s3` fault rates as wire requests do, so a delivery's retry
        // path can be driven from `/_kc/faults`. Latency is not slept here: callers block a thread.
        if let Some(ctx) = &ctx
            && let (_, Some(fault)) = ctx.faults.roll("s3")
        {
            let (code, message) = match fault {
                Fault::Throttle => ("SlowDown", "Please reduce your request rate."),
                Fault::Error | Fault::Reset => ("InternalError", "We encountered an internal error. Please try again."),
            };
            return Err(ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, code, message));
        }
        let now = ctx.map(|c| c.clock.now_ms()).unwrap_or_else(crate::cloud::clock::wall_ms).max(0) as u64;
        let new = NewObject { content_type: Some(content_type.to_string()), ..Default::default() };
        Ok(self.store.put_object(bucket, key, bytes, new, now)?.etag)
    }

    fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError> {
        match self.store.object(bucket, key) {
            Ok(_) => Ok(true),
            Err(e) if e.code == "NoSuchKey" => Ok(false),
            Err(e) => Err(e),
        }
    }
}
