//! One delivered object: its key as Firehose names it, its bytes compressed as configured, written
//! into the local S3 (blocking: callers run it off the async threads).

use super::super::format::object_key::object_key;
use super::super::format::prefix::{Expansion, expand};
use super::super::model::S3Destination;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

/// The key of an object whose oldest record arrived at `oldest_ms`.
pub fn key_for(dest: &S3Destination, stream: &str, version: u64, oldest_ms: Millis) -> String {
    let tz = dest.time_zone();
    let prefix =
        expand(dest.prefix.as_deref(), &Expansion { timestamp_ms: oldest_ms, time_zone: tz, error_output_type: None });
    object_key(&prefix, stream, version, oldest_ms, tz, dest.extension())
}

/// Compresses `data` and writes it as `key`; the number of bytes written.
pub fn write(ctx: &CloudContext, dest: &S3Destination, key: &str, data: &[u8]) -> Result<usize, ApiError> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let entry = name.strip_suffix(dest.extension()).unwrap_or(name);
    let body = dest
        .compression
        .compress(data, entry)
        .map_err(|e| ApiError::internal(format!("compressing {key} as {}: {e}", dest.compression.as_str())))?;
    ctx.object_writer.put_object(dest.bucket(), key, &body, "application/octet-stream")?;
    Ok(body.len())
}
