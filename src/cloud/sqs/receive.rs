//! ReceiveMessage (one look at the queue; `mod.rs` repeats it for a long poll on the cloud clock),
//! DeleteMessage(Batch) and ChangeMessageVisibility(Batch), with receipt handles that name the message
//! and the receive that handed it out. A visible message received more often than its queue's
//! RedrivePolicy allows moves to the dead-letter queue instead, as on AWS.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::errors;
use super::model::{Message, queue_arn};
use super::op::{Op, integer, queue_of, required};
use super::send::{check_batch, failed_entry};
use super::state::{Queue, put_message, remove_message};
use crate::cloud::clock::Millis;
use crate::cloud::doc_store::Change;
use crate::cloud::error::ApiError;

/// A ReceiveMessage input, checked.
pub struct ReceiveRequest {
    pub queue: String,
    pub max: usize,
    pub visibility_s: Option<i64>,
    pub wait_s: Option<i64>,
    system_names: Vec<String>,
    attribute_names: Vec<String>,
}

fn names(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
}

fn in_range(member: &str, v: Option<i64>, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
    match v {
        Some(n) if !(lo..=hi).contains(&n) => Err(errors::invalid_parameter(format!(
            "Value {n} for parameter {member} is invalid. Reason: Must be between {lo} and {hi}, if provided."
        ))),
        _ => Ok(v),
    }
}

pub fn request(op: &Op<'_>, input: &Value) -> Result<ReceiveRequest, ApiError> {
    let queue = queue_of(op, input)?;
    let max = in_range("MaxNumberOfMessages", integer(input, "MaxNumberOfMessages")?, 1, 10)?.unwrap_or(1) as usize;
    let visibility_s = in_range("VisibilityTimeout", integer(input, "VisibilityTimeout")?, 0, 43_200)?;
    let wait_s = in_range("WaitTimeSeconds", integer(input, "WaitTimeSeconds")?, 0, 20)?;
    let mut system_names = names(input, "AttributeNames");
    system_names.extend(names(input, "MessageSystemAttributeNames"));
    Ok(ReceiveRequest {
        queue,
        max,
        visibility_s,
        wait_s,
        system_names,
        attribute_names: names(input, "MessageAttributeNames"),
    })
}

/// What one look found: the messages handed out (already written), the queue's long-poll bell and
/// when the next message becomes visible.
pub struct Look {
    pub messages: Vec<Value>,
    pub next_visible_ms: Option<Millis>,
}

/// One look at the queue: up to `max` visible messages, oldest first, each made invisible for the
/// visibility timeout, written, then answered.
pub fn look(op: &Op<'_>, req: &ReceiveRequest) -> Result<Look, ApiError> {
    let mut queues = op.state.lock();
    redrive(op, &mut queues, &req.queue)?;
    let q = queues.get_mut(&req.queue).ok_or_else(errors::no_queue)?;
    let visibility_ms = req.visibility_s.unwrap_or_else(|| q.meta.number("VisibilityTimeout")) * 1000;
    let mut taken: Vec<Message> = Vec::new();
    for m in q.messages.values().filter(|m| m.is_visible(op.now)).take(req.max) {
        let mut m = m.clone();
        m.receive_count += 1;
        m.first_receive_ms.get_or_insert(op.now);
        m.visible_at_ms = op.now + visibility_ms;
        m.receipt_nonce = Some(uuid::Uuid::new_v4().simple().to_string());
        taken.push(m);
    }
    if !taken.is_empty() {
        op.state.commit(&taken.iter().map(|m| put_message(&req.queue, m)).collect::<Vec<_>>())?;
    }
    let mut out = Vec::with_capacity(taken.len());
    for m in taken {
        out.push(received_json(op, req, &req.queue, &m));
        q.counters.received += 1;
        q.messages.insert(m.seq, m);
    }
    let next_visible_ms = q.messages.values().map(|m| m.visible_at_ms).filter(|t| *t > op.now).min();
    Ok(Look { messages: out, next_visible_ms })
}

/// Moves every visible message of `queue` that has used up its receives to the dead-letter queue
/// its RedrivePolicy names (when that queue exists), keeping its id, body and attributes.
fn redrive(op: &Op<'_>, queues: &mut std::collections::BTreeMap<String, Queue>, queue: &str) -> Result<(), ApiError> {
    let Some(q) = queues.get(queue) else { return Ok(()) };
    let Some(policy) = q.meta.attributes.get("RedrivePolicy").and_then(|p| serde_json::from_str::<Value>(p).ok())
    else {
        return Ok(());
    };
    let max =
        policy.get("maxReceiveCount").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(i64::MAX);
    let target = policy.get("deadLetterTargetArn").and_then(Value::as_str).unwrap_or_default();
    let Some(dlq) = target.rsplit(':').next().filter(|n| *n != queue && queues.contains_key(*n)).map(str::to_string)
    else {
        return Ok(());
    };
    if queue_arn(&op.ctx.config.region, op.account(), &dlq) != target {
        return Ok(());
    }
    let spent: Vec<Message> = queues[queue]
        .messages
        .values()
        .filter(|m| m.is_visible(op.now) && i64::from(m.receive_count) >= max)
        .cloned()
        .collect();
    if spent.is_empty() {
        return Ok(());
    }
    let mut changes: Vec<Change> = spent.iter().map(|m| remove_message(queue, m.seq)).collect();
    // In the dead-letter queue a message keeps its original send time (AWS keeps the enqueue
    // timestamp, so retention counts from the first send) and starts unreceived.
    let moved: Vec<Message> = spent
        .iter()
        .map(|m| Message {
            receive_count: 0,
            first_receive_ms: None,
            receipt_nonce: None,
            visible_at_ms: op.now,
            ..m.clone()
        })
        .collect();
    changes.extend(moved.iter().map(|m| put_message(&dlq, m)));
    op.state.commit(&changes)?;
    if let Some(src) = queues.get_mut(queue) {
        for m in &spent {
            src.messages.remove(&m.seq);
        }
    }
    if let Some(d) = queues.get_mut(&dlq) {
        for m in moved {
            d.messages.insert(m.seq, m);
        }
        d.notify.notify_waiters();
    }
    Ok(())
}

fn wants(names: &[String], name: &str) -> bool {
    names.iter().any(|n| {
        n == "All" || n == name || n == ".*" || n.strip_suffix(".*").is_some_and(|p| name.starts_with(&format!("{p}.")))
    })
}

fn received_json(op: &Op<'_>, req: &ReceiveRequest, queue: &str, m: &Message) -> Value {
    let mut out = Map::new();
    out.insert("MessageId".into(), json!(m.id));
    out.insert("ReceiptHandle".into(), json!(receipt(queue, m)));
    out.insert("MD5OfBody".into(), json!(m.md5_of_body));
    out.insert("Body".into(), json!(m.body));
    let mut system = Map::new();
    let mut add = |k: &str, v: String| {
        if wants(&req.system_names, k) {
            system.insert(k.to_string(), Value::String(v));
        }
    };
    add("SenderId", op.account().to_string());
    add("SentTimestamp", m.sent_ms.to_string());
    add("ApproximateReceiveCount", m.receive_count.to_string());
    add("ApproximateFirstReceiveTimestamp", m.first_receive_ms.unwrap_or(op.now).to_string());
    if let Some(h) = &m.trace_header {
        add("AWSTraceHeader", h.clone());
    }
    if !system.is_empty() {
        out.insert("Attributes".into(), Value::Object(system));
    }
    let chosen: Map<String, Value> = m
        .attributes
        .iter()
        .filter(|(k, _)| wants(&req.attribute_names, k))
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    if !chosen.is_empty() {
        // The digest covers every attribute of the message, whichever were asked for, as on AWS.
        out.insert("MD5OfMessageAttributes".into(), json!(m.md5_of_attributes));
        out.insert("MessageAttributes".into(), Value::Object(chosen));
    }
    Value::Object(out)
}

fn receipt(queue: &str, m: &Message) -> String {
    let raw = format!("{queue}\n{}\n{}", m.seq, m.receipt_nonce.as_deref().unwrap_or_default());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A receipt handle read back: the queue, the message and the receive it came from.
#[derive(Debug)]
struct Receipt {
    queue: String,
    seq: u64,
    nonce: String,
}

fn parse_receipt(handle: &str) -> Result<Receipt, ApiError> {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(handle)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| errors::receipt_invalid(handle))?;
    let mut parts = text.split('\n');
    match (parts.next(), parts.next().and_then(|s| s.parse().ok()), parts.next(), parts.next()) {
        (Some(queue), Some(seq), Some(nonce), None) => {
            Ok(Receipt { queue: queue.to_string(), seq, nonce: nonce.to_string() })
        }
        _ => Err(errors::receipt_invalid(handle)),
    }
}

/// Deletes the message a receipt names; one already gone is no error, as on AWS.
fn delete_one(op: &Op<'_>, queue: &str, handle: &str) -> Result<(), ApiError> {
    let r = parse_receipt(handle)?;
    if r.queue != queue {
        return Err(errors::receipt_invalid(handle));
    }
    let mut queues = op.state.lock();
    let q = queues.get_mut(queue).ok_or_else(errors::no_queue)?;
    if q.messages.contains_key(&r.seq) {
        op.state.commit(&[remove_message(queue, r.seq)])?;
        q.messages.remove(&r.seq);
        q.counters.deleted += 1;
    }
    Ok(())
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let queue = queue_of(op, &input)?;
    delete_one(op, &queue, required(&input, "ReceiptHandle")?)?;
    Ok(json!({}))
}

fn change_one(op: &Op<'_>, queue: &str, handle: &str, timeout: Option<i64>) -> Result<(), ApiError> {
    let timeout =
        in_range("VisibilityTimeout", timeout, 0, 43_200)?.ok_or_else(|| errors::missing("VisibilityTimeout"))?;
    let r = parse_receipt(handle)?;
    if r.queue != queue {
        return Err(errors::receipt_invalid(handle));
    }
    let mut queues = op.state.lock();
    let q = queues.get_mut(queue).ok_or_else(errors::no_queue)?;
    let Some(m) = q.messages.get(&r.seq).filter(|m| m.receipt_nonce.as_deref() == Some(r.nonce.as_str())) else {
        return Err(errors::invalid_parameter(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        )));
    };
    if !m.is_in_flight(op.now) {
        return Err(errors::batch(
            "AWS.SimpleQueueService.MessageNotInflight",
            "The message referred to is not in flight.",
        ));
    }
    let changed = Message { visible_at_ms: op.now + timeout * 1000, ..m.clone() };
    op.state.commit(&[put_message(queue, &changed)])?;
    q.messages.insert(changed.seq, changed);
    if timeout == 0 {
        q.notify.notify_waiters();
    }
    Ok(())
}

pub fn change_visibility(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let queue = queue_of(op, &input)?;
    change_one(op, &queue, required(&input, "ReceiptHandle")?, integer(&input, "VisibilityTimeout")?)?;
    Ok(json!({}))
}

/// A batch of per-entry operations: each entry succeeds or fails on its own.
fn per_entry(
    op: &Op<'_>,
    input: &Value,
    kind: &str,
    each: impl Fn(&Op<'_>, &str, &Value) -> Result<(), ApiError>,
) -> Result<Value, ApiError> {
    let queue = queue_of(op, input)?;
    let entries = check_batch(input, kind)?;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for e in entries {
        let id = e.get("Id").and_then(Value::as_str).unwrap_or_default();
        match each(op, &queue, e) {
            Ok(()) => ok.push(json!({ "Id": id })),
            Err(err) if err.code == errors::NON_EXISTENT_QUEUE => return Err(err),
            Err(err) => failed.push(failed_entry(id, &err)),
        }
    }
    Ok(json!({ "Successful": ok, "Failed": failed }))
}

pub fn delete_batch(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    per_entry(op, &input, "DeleteMessageBatchRequestEntry", |op, queue, e| {
        delete_one(op, queue, required(e, "ReceiptHandle")?)
    })
}

pub fn change_visibility_batch(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    per_entry(op, &input, "ChangeMessageVisibilityBatchRequestEntry", |op, queue, e| {
        change_one(op, queue, required(e, "ReceiptHandle")?, integer(e, "VisibilityTimeout")?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_handles_read_back_and_garbage_is_refused() {
        let m = Message {
            id: "i".into(),
            seq: 42,
            body: "b".into(),
            md5_of_body: String::new(),
            attributes: Default::default(),
            md5_of_attributes: None,
            trace_header: None,
            sent_ms: 0,
            visible_at_ms: 0,
            receive_count: 1,
            first_receive_ms: None,
            receipt_nonce: Some("n1".into()),
        };
        let r = parse_receipt(&receipt("dlq", &m)).unwrap();
        assert_eq!((r.queue.as_str(), r.seq, r.nonce.as_str()), ("dlq", 42, "n1"));
        assert_eq!(parse_receipt("not a handle").unwrap_err().code, "ReceiptHandleIsInvalid");
        assert_eq!(parse_receipt("").unwrap_err().code, "ReceiptHandleIsInvalid");
    }

    #[test]
    fn message_attribute_names_match_all_exact_and_prefix_patterns() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wants(&n(&["All"]), "x"));
        assert!(wants(&n(&[".*"]), "x"));
        assert!(wants(&n(&["bar.*"]), "bar.baz"));
        assert!(!wants(&n(&["bar.*"]), "barbaz"));
        assert!(!wants(&n(&["a"]), "b"));
    }
}
