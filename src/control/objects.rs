//! What a pattern's bucket received, SDK side: the bucket and delivery stream a stack's outputs name,
//! the delivery stream's compression and file extension (DescribeDeliveryStream), the objects
//! (ListObjectsV2), and objects read back decompressed (GetObject). `commands::objects` prints.

use aws_sdk_cloudformation::Client as Cfn;
use aws_sdk_firehose::Client as Firehose;
use aws_sdk_s3::Client as S3;
use serde::Serialize;

use super::stacks::model::StackOutput;
use super::stacks::{CallError, inspect};
use crate::cloud::firehose::format::compression::Compression;

/// Objects at most this large (as stored) get their records counted in a listing.
pub const COUNT_LIMIT: i64 = 8 * 1024 * 1024;
/// The most an object may decompress to: a bound against a small object that expands without end.
pub const MAX_DECOMPRESSED: usize = 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    #[error("stack {0} does not exist")]
    NoStack(String),
    #[error(
        "stack {stack} has no bucket output (an output whose key ends in BucketName); its outputs: {}",
        listed(.outputs)
    )]
    NoBucket { stack: String, outputs: Vec<String> },
    #[error(transparent)]
    Stack(#[from] CallError),
    #[error("{operation} {what}: {message}")]
    Call { operation: &'static str, what: String, message: String },
    #[error("object {key}: {message}")]
    Decode { key: String, message: String },
}

fn listed(keys: &[String]) -> String {
    if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
}

/// Where a stack's pattern delivers, and how its objects are written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Destination {
    pub stack: String,
    pub bucket: String,
    pub delivery_stream: Option<String>,
    /// Firehose's CompressionFormat (UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY), when a
    /// delivery stream says it.
    pub compression: Option<String>,
    pub file_extension: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectInfo {
    pub key: String,
    pub size: i64,
    pub last_modified_ms: i64,
}

/// The bucket output: `OutputBucketName` (pattern 3) first, otherwise the first key ending in
/// `BucketName`.
pub fn bucket_output(outputs: &[StackOutput]) -> Option<&StackOutput> {
    outputs
        .iter()
        .find(|o| o.key == "OutputBucketName")
        .or_else(|| outputs.iter().find(|o| o.key.ends_with("BucketName")))
}

pub async fn destination(cfn: &Cfn, firehose: &Firehose, stack: &str) -> Result<Destination, ObjectsError> {
    let summary = inspect::stack(cfn, stack).await.map_err(|e| match &e {
        CallError::Other { code: Some(code), message, .. }
            if code == "ValidationError" && message.contains("does not exist") =>
        {
            ObjectsError::NoStack(stack.to_string())
        }
        _ => ObjectsError::Stack(e),
    })?;
    let Some(bucket) = bucket_output(&summary.outputs) else {
        return Err(ObjectsError::NoBucket {
            stack: summary.name,
            outputs: summary.outputs.iter().map(|o| o.key.clone()).collect(),
        });
    };
    let delivery_stream = summary.outputs.iter().find(|o| o.key == "DeliveryStreamName").map(|o| o.value.clone());
    let mut dest = Destination {
        stack: summary.name.clone(),
        bucket: bucket.value.clone(),
        delivery_stream: delivery_stream.clone(),
        compression: None,
        file_extension: None,
    };
    if let Some(name) = delivery_stream {
        let out = firehose.describe_delivery_stream().delivery_stream_name(&name).send().await.map_err(|e| {
            ObjectsError::Call {
                operation: "DescribeDeliveryStream",
                what: name.clone(),
                message: aws_sdk_firehose::error::DisplayErrorContext(&e).to_string(),
            }
        })?;
        let s3 = out
            .delivery_stream_description()
            .and_then(|d| d.destinations().first())
            .and_then(|d| d.extended_s3_destination_description());
        if let Some(s3) = s3 {
            dest.compression = Some(s3.compression_format().as_str().to_string());
            dest.file_extension = s3.file_extension().map(str::to_string);
        }
    }
    Ok(dest)
}

/// Every object under `prefix`, oldest first (by last modified, then key).
pub async fn list(s3: &S3, bucket: &str, prefix: Option<&str>) -> Result<Vec<ObjectInfo>, ObjectsError> {
    let mut out = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).set_prefix(prefix.map(str::to_string)).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ObjectsError::Call {
            operation: "ListObjectsV2",
            what: format!("bucket {bucket}"),
            message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
        })?;
        out.extend(page.contents().iter().map(|o| ObjectInfo {
            key: o.key().unwrap_or_default().to_string(),
            size: o.size().unwrap_or_default(),
            last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()).unwrap_or_default(),
        }));
    }
    out.sort_by(|a, b| (a.last_modified_ms, &a.key).cmp(&(b.last_modified_ms, &b.key)));
    Ok(out)
}

/// The object's bytes as stored.
pub async fn get(s3: &S3, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectsError> {
    let call =
        |message: String| ObjectsError::Call { operation: "GetObject", what: format!("s3://{bucket}/{key}"), message };
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| call(aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
    let body = out.body.collect().await.map_err(|e| call(e.to_string()))?;
    Ok(body.into_bytes().to_vec())
}

/// How an object is compressed: the delivery stream's format when there is one, otherwise what the
/// key's extension says (`.gz`, `.zip`, `.snappy`), otherwise not at all.
pub fn compression_of(dest: &Destination, key: &str) -> Compression {
    if let Some(c) = dest.compression.as_deref().and_then(Compression::parse) {
        return c;
    }
    // `.snappy` is both Snappy forms; the framing format (first in the list) is the one tools read.
    Compression::ALL
        .into_iter()
        .find(|c| !c.extension().is_empty() && key.ends_with(c.extension()))
        .unwrap_or(Compression::Uncompressed)
}

/// The object's content, decompressed.
pub fn decode(compression: Compression, key: &str, data: &[u8]) -> Result<Vec<u8>, ObjectsError> {
    compression
        .decompress(data, MAX_DECOMPRESSED)
        .map_err(|e| ObjectsError::Decode { key: key.to_string(), message: format!("decompressing: {e}") })
}

/// The name a downloaded object gets: its key without the compression's extension, so
/// `data/x.json.gz` becomes `data/x.json` once decompressed.
pub fn download_name(compression: Compression, key: &str) -> &str {
    key.strip_suffix(compression.extension()).unwrap_or(key)
}

/// Newline-delimited records: each line with content counts, the last one too when it lacks its
/// newline.
pub fn count_records(data: &[u8]) -> u64 {
    data.split(|b| *b == b'\n').filter(|line| !line.iter().all(u8::is_ascii_whitespace)).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(key: &str, value: &str) -> StackOutput {
        StackOutput { key: key.into(), value: value.into(), description: None, export_name: None }
    }

    #[test]
    fn the_output_bucket_wins_over_other_bucket_outputs() {
        let outputs = [output("LogBucketName", "logs"), output("OutputBucketName", "data"), output("X", "y")];
        assert_eq!(bucket_output(&outputs).map(|o| o.value.as_str()), Some("data"));
        assert_eq!(bucket_output(&outputs[..1]).map(|o| o.value.as_str()), Some("logs"));
        assert!(bucket_output(&outputs[2..]).is_none());
    }

    #[test]
    fn compression_comes_from_the_stream_then_the_extension() {
        let mut dest = Destination {
            stack: "s".into(),
            bucket: "b".into(),
            delivery_stream: None,
            compression: None,
            file_extension: None,
        };
        assert_eq!(compression_of(&dest, "a/b.gz"), Compression::Gzip);
        assert_eq!(compression_of(&dest, "a.b/c"), Compression::Uncompressed);
        dest.compression = Some("ZIP".into());
        assert_eq!(compression_of(&dest, "a/b.gz"), Compression::Zip);
    }

    #[test]
    fn downloads_lose_the_compression_extension_only() {
        assert_eq!(download_name(Compression::Gzip, "d/x.json.gz"), "d/x.json");
        assert_eq!(download_name(Compression::Gzip, "d/x"), "d/x");
        assert_eq!(download_name(Compression::Uncompressed, "d/x.gz"), "d/x.gz");
    }

    #[test]
    fn records_are_lines_with_content() {
        assert_eq!(count_records(b"{\"a\":1}\n{\"a\":2}\n"), 2);
        assert_eq!(count_records(b"{\"a\":1}\n{\"a\":2}"), 2);
        assert_eq!(count_records(b""), 0);
        assert_eq!(count_records(b"\n\n"), 0);
    }
}
