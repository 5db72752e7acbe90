//! How local services write objects into the local S3 (Firehose deliveries, a Flink job's output)
//! without going through the wire: a narrow handle S3 installs on the context when it starts.

use std::sync::{Arc, OnceLock};

use super::error::ApiError;

/// Where objects go. The local S3 installs itself here when it is built.
pub trait ObjectSink: Send + Sync {
    /// Stores `bytes` as `bucket`/`key`, durably, before returning; the object's ETag on success,
    /// S3's error (`NoSuchBucket`, `InvalidArgument`, …) otherwise.
    fn put_object(&self, bucket: &str, key: &str, bytes: &[u8], content_type: &str) -> Result<String, ApiError>;

    /// Whether `bucket`/`key` exists; `NoSuchBucket` when the bucket does not.
    fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError>;
}

/// The handle services hold: the sink S3 installs, or a clear error before it is.
#[derive(Default)]
pub struct ObjectWriter {
    sink: OnceLock<Arc<dyn ObjectSink>>,
}

impl ObjectWriter {
    pub fn install(&self, sink: Arc<dyn ObjectSink>) {
        let _ = self.sink.set(sink);
    }

    /// Blocking (it syncs to disk): call it from a blocking task in async code.
    pub fn put_object(&self, bucket: &str, key: &str, bytes: &[u8], content_type: &str) -> Result<String, ApiError> {
        match self.sink.get() {
            Some(sink) => sink.put_object(bucket, key, bytes, content_type),
            None => Err(ApiError::internal("the local S3 is not running")),
        }
    }

    pub fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError> {
        match self.sink.get() {
            Some(sink) => sink.object_exists(bucket, key),
            None => Err(ApiError::internal("the local S3 is not running")),
        }
    }

    pub fn is_installed(&self) -> bool {
        self.sink.get().is_some()
    }
}
