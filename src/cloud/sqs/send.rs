//! SendMessage and SendMessageBatch: a message's body and attributes checked as SQS checks them,
//! every accepted message of a call written in one transaction, then shown to receivers (and any
//! long poll on the queue woken).

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use super::digest::{attributes_md5, md5_hex};
use super::errors;
use super::model::{AttributeValue, MAX_MESSAGE_BYTES, Message};
use super::op::{Op, integer, queue_of, required};
use super::state::put_message;
use crate::cloud::error::ApiError;

/// Entries per batch call (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch).
pub const MAX_BATCH: usize = 10;
const MAX_ATTRIBUTES: usize = 10;

/// One message to send, checked.
pub struct Outgoing {
    pub body: String,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub delay_s: Option<i64>,
    pub trace_header: Option<String>,
}

impl Outgoing {
    /// A plain message (what other services send through the queue sink).
    pub fn body(body: &str) -> Outgoing {
        Outgoing { body: body.to_string(), attributes: BTreeMap::new(), delay_s: None, trace_header: None }
    }

    /// A plain message (what other services send through the queue sink), its body checked.
    pub fn checked(body: &str) -> Result<Outgoing, ApiError> {
        check_body(body)?;
        Ok(Outgoing::body(body))
    }

    fn size(&self) -> usize {
        let m = Message {
            id: String::new(),
            seq: 0,
            body: self.body.clone(),
            md5_of_body: String::new(),
            attributes: self.attributes.clone(),
            md5_of_attributes: None,
            trace_header: None,
            sent_ms: 0,
            visible_at_ms: 0,
            receive_count: 0,
            first_receive_ms: None,
            receipt_nonce: None,
        };
        m.size()
    }
}

/// Characters SQS accepts in a body: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 up.
fn check_body(body: &str) -> Result<(), ApiError> {
    if body.is_empty() {
        return Err(errors::missing("MessageBody"));
    }
    let bad = body.chars().find(|c| {
        let c = *c as u32;
        !(c == 0x9
            || c == 0xA
            || c == 0xD
            || (0x20..=0xD7FF).contains(&c)
            || (0xE000..=0xFFFD).contains(&c)
            || c >= 0x10000)
    });
    match bad {
        Some(c) => Err(ApiError::bad_request(
            "InvalidMessageContents",
            format!(
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF (found U+{:04X}).",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

fn parse_attributes(value: Option<&Value>) -> Result<BTreeMap<String, AttributeValue>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(map) = value.filter(|v| !v.is_null()) else { return Ok(out) };
    let map = map.as_object().ok_or_else(|| ApiError::serialization("MessageAttributes must be a map"))?;
    if map.len() > MAX_ATTRIBUTES {
        return Err(errors::invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    for (name, v) in map {
        let valid_name = !name.is_empty()
            && name.len() <= 256
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..")
            && !name.to_ascii_lowercase().starts_with("aws.")
            && !name.to_ascii_lowercase().starts_with("amazon.");
        if !valid_name {
            return Err(errors::invalid_parameter(format!("Message attribute name '{name}' is invalid.")));
        }
        let attr: AttributeValue = serde_json::from_value(v.clone()).map_err(|_| {
            errors::invalid_parameter(format!(
                "The message attribute '{name}' must contain a non-empty message attribute type."
            ))
        })?;
        check_attribute(name, &attr)?;
        out.insert(name.clone(), attr);
    }
    Ok(out)
}

fn check_attribute(name: &str, a: &AttributeValue) -> Result<(), ApiError> {
    let base = a.data_type.split('.').next().unwrap_or_default();
    let fail = |why: &str| errors::invalid_parameter(format!("The message attribute '{name}' {why}"));
    match base {
        "String" | "Number" => {
            let s = a
                .string_value
                .as_deref()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| fail("must contain a non-empty value of message attribute type 'String'."))?;
            if base == "Number" && s.parse::<f64>().is_err() {
                return Err(fail("with type 'Number' must use a valid numeric value."));
            }
            Ok(())
        }
        "Binary" => match a.binary_value.as_deref() {
            Some(b) if !b.is_empty() => Ok(()),
            _ => Err(fail("must contain a non-empty value of message attribute type 'Binary'.")),
        },
        _ => Err(fail(
            "has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        )),
    }
}

/// A SendMessage input or a SendMessageBatch entry, checked.
fn outgoing(input: &Value) -> Result<Outgoing, ApiError> {
    let body = required(input, "MessageBody")?.to_string();
    check_body(&body)?;
    let delay_s = integer(input, "DelaySeconds")?;
    if let Some(d) = delay_s
        && !(0..=900).contains(&d)
    {
        return Err(errors::invalid_parameter(format!(
            "Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
        )));
    }
    if input.get("MessageGroupId").is_some_and(|v| !v.is_null())
        || input.get("MessageDeduplicationId").is_some_and(|v| !v.is_null())
    {
        return Err(errors::invalid_parameter(
            "The request includes a parameter that is not valid for this queue type: MessageGroupId and MessageDeduplicationId are for FIFO queues.",
        ));
    }
    let trace_header = input
        .get("MessageSystemAttributes")
        .and_then(|m| m.get("AWSTraceHeader"))
        .and_then(|v| v.get("StringValue"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Outgoing { body, attributes: parse_attributes(input.get("MessageAttributes"))?, delay_s, trace_header })
}

/// Sends checked messages to `queue` in one transaction; their ids and digests, in order.
pub fn enqueue(op: &Op<'_>, queue: &str, outgoing: Vec<Outgoing>) -> Result<Vec<Message>, ApiError> {
    let mut queues = op.state.lock();
    let q = queues.get_mut(queue).ok_or_else(errors::no_queue)?;
    let max = q.meta.number("MaximumMessageSize") as usize;
    if let Some(too_big) = outgoing.iter().find(|o| o.size() > max) {
        return Err(errors::invalid_parameter(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes (this one is {}).",
            too_big.size()
        )));
    }
    let default_delay = q.meta.number("DelaySeconds");
    let first = op.state.take_seqs(outgoing.len() as u64);
    let messages: Vec<Message> = outgoing
        .into_iter()
        .enumerate()
        .map(|(i, o)| Message {
            id: uuid::Uuid::new_v4().to_string(),
            seq: first + i as u64,
            md5_of_body: md5_hex(o.body.as_bytes()),
            md5_of_attributes: attributes_md5(&o.attributes),
            body: o.body,
            attributes: o.attributes,
            trace_header: o.trace_header,
            sent_ms: op.now,
            visible_at_ms: op.now + o.delay_s.unwrap_or(default_delay) * 1000,
            receive_count: 0,
            first_receive_ms: None,
            receipt_nonce: None,
        })
        .collect();
    let changes: Vec<_> = messages.iter().map(|m| put_message(queue, m)).collect();
    op.state.commit(&changes)?;
    for m in &messages {
        q.counters.sent += 1;
        q.counters.sent_sizes.push(m.size() as f64);
        q.messages.insert(m.seq, m.clone());
    }
    q.notify.notify_waiters();
    Ok(messages)
}

fn sent_json(m: &Message) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("MessageId".into(), json!(m.id));
    out.insert("MD5OfMessageBody".into(), json!(m.md5_of_body));
    if let Some(md5) = &m.md5_of_attributes {
        out.insert("MD5OfMessageAttributes".into(), json!(md5));
    }
    if let Some(h) = &m.trace_header {
        let system = BTreeMap::from([(
            "AWSTraceHeader".to_string(),
            AttributeValue { data_type: "String".into(), string_value: Some(h.clone()), binary_value: None },
        )]);
        out.insert("MD5OfMessageSystemAttributes".into(), json!(attributes_md5(&system)));
    }
    out
}

pub fn send(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let queue = queue_of(op, &input)?;
    let message = outgoing(&input)?;
    let sent = enqueue(op, &queue, vec![message])?;
    Ok(sent.first().map(|m| Value::Object(sent_json(m))).unwrap_or_default())
}

/// Checks a batch's entries as a whole: 1–10 entries with distinct, well-formed ids.
pub fn check_batch<'v>(input: &'v Value, entry_kind: &str) -> Result<&'v Vec<Value>, ApiError> {
    let entries = match input.get("Entries") {
        Some(Value::Array(e)) => e,
        None | Some(Value::Null) => return Err(errors::missing("Entries")),
        Some(_) => return Err(ApiError::serialization("Entries must be a list")),
    };
    if entries.is_empty() {
        return Err(errors::batch(
            "AWS.SimpleQueueService.EmptyBatchRequest",
            format!("There should be at least one {entry_kind} in the request."),
        ));
    }
    if entries.len() > MAX_BATCH {
        return Err(errors::batch(
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are {MAX_BATCH}. You have sent {}.", entries.len()),
        ));
    }
    let mut seen = HashSet::new();
    for e in entries {
        let id = e.get("Id").and_then(Value::as_str).unwrap_or_default();
        let well_formed =
            !id.is_empty() && id.len() <= 80 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(errors::batch(
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(errors::batch("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", format!("Id {id} repeated.")));
        }
    }
    Ok(entries)
}

/// A per-entry failure of a batch call.
pub fn failed_entry(id: &str, err: &ApiError) -> Value {
    json!({ "Id": id, "SenderFault": err.sender_fault, "Code": err.code, "Message": err.message })
}

pub fn send_batch(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let queue = queue_of(op, &input)?;
    let entries = check_batch(&input, "SendMessageBatchRequestEntry")?;
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for e in entries {
        let id = e.get("Id").and_then(Value::as_str).unwrap_or_default().to_string();
        match outgoing(e) {
            Ok(o) => ok.push((id, o)),
            Err(err) => failed.push(failed_entry(&id, &err)),
        }
    }
    let total: usize = ok.iter().map(|(_, o)| o.size()).sum();
    if total > MAX_MESSAGE_BYTES {
        return Err(errors::batch(
            "AWS.SimpleQueueService.BatchRequestTooLong",
            format!(
                "Batch requested message too long: the messages total {total} bytes; at most {MAX_MESSAGE_BYTES} are allowed."
            ),
        ));
    }
    let (ids, outgoing): (Vec<String>, Vec<Outgoing>) = ok.into_iter().unzip();
    let sent = if outgoing.is_empty() { Vec::new() } else { enqueue(op, &queue, outgoing)? };
    let successful: Vec<Value> = ids
        .iter()
        .zip(&sent)
        .map(|(id, m)| {
            let mut entry = sent_json(m);
            entry.insert("Id".into(), json!(id));
            Value::Object(entry)
        })
        .collect();
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_with_characters_sqs_refuses_are_named() {
        assert!(check_body("ok \u{1F600}\t").is_ok());
        let err = check_body("bad\u{1}").unwrap_err();
        assert_eq!(err.code, "InvalidMessageContents");
        assert!(err.message.contains("U+0001"), "{}", err.message);
        assert_eq!(check_body("").unwrap_err().code, "MissingParameter");
    }

    #[test]
    fn attributes_need_a_known_type_and_a_value_of_it() {
        let ok = json!({"n": {"DataType": "Number", "StringValue": "1.5"}, "b": {"DataType": "Binary.gz", "BinaryValue": "AAE="}});
        assert_eq!(parse_attributes(Some(&ok)).unwrap().len(), 2);
        for bad in [
            json!({"n": {"DataType": "Number", "StringValue": "x"}}),
            json!({"s": {"DataType": "Text", "StringValue": "x"}}),
            json!({"AWS.x": {"DataType": "String", "StringValue": "x"}}),
            json!({"s": {"DataType": "String"}}),
        ] {
            assert_eq!(parse_attributes(Some(&bad)).unwrap_err().code, "InvalidParameterValue", "{bad}");
        }
    }

    #[test]
    fn a_batch_is_one_to_ten_entries_with_distinct_well_formed_ids() {
        let entries =
            |ids: Vec<&str>| json!({"Entries": ids.into_iter().map(|i| json!({"Id": i})).collect::<Vec<_>>()});
        assert_eq!(check_batch(&entries(vec![]), "E").unwrap_err().code, "AWS.SimpleQueueService.EmptyBatchRequest");
        let eleven: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        let err = check_batch(&entries(eleven.iter().map(String::as_str).collect()), "E").unwrap_err();
        assert_eq!(err.code, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
        assert_eq!(
            check_batch(&entries(vec!["a", "a"]), "E").unwrap_err().code,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
        );
        assert_eq!(
            check_batch(&entries(vec!["a b"]), "E").unwrap_err().code,
            "AWS.SimpleQueueService.InvalidBatchEntryId"
        );
        assert!(check_batch(&entries(vec!["a", "b-2"]), "E").is_ok());
    }
}
