//! PutRecord and PutRecordBatch for DirectPut delivery streams: records are journalled durably before
//! they are acknowledged, then delivered like a Kinesis source's.

use base64::Engine as _;
use serde_json::{Value, json};

use super::model::{Status, StreamType};
use super::op::Op;
use super::validate::{self, constraint, invalid, not_found, req_str};
use crate::cloud::error::ApiError;

/// Per record, as the service model bounds Data.
const MAX_RECORD: usize = 1_024_000;
const MAX_BATCH_RECORDS: usize = 500;
const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;

fn data(record: &Value, wire: &str) -> Result<Vec<u8>, ApiError> {
    let b64 = req_str(record, "Data", wire)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| ApiError::serialization(format!("{wire} is not valid base64")))?;
    if bytes.len() > MAX_RECORD {
        return Err(constraint(
            "java.nio.HeapByteBuffer",
            wire,
            &format!("Member must have length less than or equal to {MAX_RECORD}"),
        ));
    }
    Ok(bytes)
}

/// A random record id, shaped like AWS's (opaque, long, base64-like).
fn record_id() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

fn accept(op: &Op<'_>, name: &str, records: Vec<Vec<u8>>) -> Result<(), ApiError> {
    let pipeline = {
        let streams = op.state.lock();
        let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
        if entry.meta.kind == StreamType::KinesisStreamAsSource {
            return Err(invalid("This operation is not permitted on KinesisStreamAsSource delivery stream type."));
        }
        if entry.meta.status != Status::Active {
            return Err(not_found(name, op.account()));
        }
        entry.pipeline.clone()
    };
    pipeline.accept(records, op.now)
}

pub fn put_record(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let record = input.get("Record").filter(|v| !v.is_null()).ok_or_else(|| validate::not_null("record"))?;
    let bytes = data(record, "record.data")?;
    accept(op, name, vec![bytes])?;
    Ok(json!({ "RecordId": record_id(), "Encrypted": false }))
}

pub fn put_record_batch(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let list = match input.get("Records") {
        None | Some(Value::Null) => return Err(validate::not_null("records")),
        Some(Value::Array(l)) => l,
        Some(_) => return Err(ApiError::serialization("Records must be a list")),
    };
    if list.is_empty() || list.len() > MAX_BATCH_RECORDS {
        return Err(constraint(
            format!("[{} records]", list.len()),
            "records",
            &format!(
                "Member must have length {}",
                if list.is_empty() { "greater than or equal to 1" } else { "less than or equal to 500" }
            ),
        ));
    }
    let records: Vec<Vec<u8>> = list
        .iter()
        .enumerate()
        .map(|(i, r)| data(r, &format!("records.{}.member.data", i + 1)))
        .collect::<Result<_, _>>()?;
    let total: usize = records.iter().map(Vec::len).sum();
    if total > MAX_BATCH_BYTES {
        return Err(invalid(format!("Records size exceeds 4 MB limit: the batch holds {total} bytes.")));
    }
    let n = records.len();
    accept(op, name, records)?;
    let responses: Vec<Value> = (0..n).map(|_| json!({ "RecordId": record_id() })).collect();
    Ok(json!({ "FailedPutCount": 0, "Encrypted": false, "RequestResponses": responses }))
}
