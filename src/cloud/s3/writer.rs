//! The local S3 as the cloud's object sink (`cloud/object_sink.rs`): other services' objects go
//! through the same store and write path as PutObject.

use std::sync::{Arc, Weak};

use super::store::{NewObject, Store};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
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
        let now =
            self.ctx.upgrade().map(|c| c.clock.now_ms()).unwrap_or_else(crate::cloud::clock::wall_ms).max(0) as u64;
        let new = NewObject { content_type: Some(content_type.to_string()), ..Default::default() };
        Ok(self.store.put_object(bucket, key, bytes, new, now)?.etag)
    }
}
