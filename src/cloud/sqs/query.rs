//! SQS over awsQuery (`Version=2012-11-05`), for the SDKs that still send it (boto3 before its JSON
//! switch, Java v1, Go v1, JavaScript v2), read into the same JSON documents the JSON protocol
//! carries, so one implementation serves both. SQS's query shapes are *flattened*, unlike
//! CloudWatch's `.member.N` (hence not `protocol/query_tree.rs`):
//!
//! | awsQuery | JSON member |
//! |---|---|
//! | `Attribute.N.Name` / `.Value` | `Attributes` map (queue and message system attributes) |
//! | `Tag.N.Key` / `.Value` | `Tags` map (`tags` on CreateQueue) |
//! | `MessageAttribute.N.Name` / `.Value.StringValue` … | `MessageAttributes` map of structures |
//! | `MessageSystemAttribute.N.Name` / `.Value.…` | `MessageSystemAttributes` |
//! | `AttributeName.N`, `MessageAttributeName.N`, `MessageSystemAttributeName.N`, `TagKey.N` | lists of names |
//! | `<Op>RequestEntry.N.…` | `Entries` |
//! | answers: `<QueueUrl>`, `<Message>`, `<Attribute>`, `<MessageAttribute>`, `<Tag>`, `<OpResultEntry>`, `<BatchResultErrorEntry>` | `QueueUrls`, `Messages`, `Attributes`, `MessageAttributes`, `Tags`, `Successful`, `Failed` |
//!
//! A request sent to a queue's URL (`POST /<account>/<name>`, as the Java v1 SDK does) names its queue
//! by that path when the form has no `QueueUrl`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::query_tree::{MAX_DEPTH, MAX_PARAMS};
use crate::cloud::protocol::xml::XmlWriter;

/// How a flattened query name reads into JSON.
enum Kind {
    /// A map whose entries are `N.<key>` and `N.<value>`.
    Map(&'static str, &'static str, &'static str),
    /// A list of names.
    Names(&'static str),
    /// A list of structures.
    Entries,
}

fn kind_of(operation: &str, name: &str) -> Option<Kind> {
    Some(match name {
        "Attribute" => Kind::Map("Attributes", "Name", "Value"),
        "Tag" if operation == "CreateQueue" => Kind::Map("tags", "Key", "Value"),
        "Tag" => Kind::Map("Tags", "Key", "Value"),
        "MessageAttribute" => Kind::Map("MessageAttributes", "Name", "Value"),
        "MessageSystemAttribute" => Kind::Map("MessageSystemAttributes", "Name", "Value"),
        "AttributeName" => Kind::Names("AttributeNames"),
        "MessageAttributeName" => Kind::Names("MessageAttributeNames"),
        "MessageSystemAttributeName" => Kind::Names("MessageSystemAttributeNames"),
        "TagKey" => Kind::Names("TagKeys"),
        "StringListValue" => Kind::Names("StringListValues"),
        "BinaryListValue" => Kind::Names("BinaryListValues"),
        n if n.ends_with("BatchRequestEntry") => Kind::Entries,
        _ => return None,
    })
}

fn is_integer(name: &str) -> bool {
    matches!(name, "DelaySeconds" | "MaxNumberOfMessages" | "VisibilityTimeout" | "WaitTimeSeconds" | "MaxResults")
}

enum Node {
    Leaf(String, String),
    Branch(BTreeMap<String, Node>),
}

fn malformed(message: String) -> ApiError {
    ApiError::bad_request("InvalidQueryParameter", message)
}

/// The form as the JSON document the operation reads.
pub fn to_json(operation: &str, params: &QueryParams) -> Result<Value, ApiError> {
    let mut root = BTreeMap::new();
    for (count, (key, text)) in params.iter().filter(|(k, _)| !matches!(*k, "Action" | "Version")).enumerate() {
        if count >= MAX_PARAMS {
            return Err(malformed(format!("The request has more than {MAX_PARAMS} parameters.")));
        }
        insert(&mut root, key, text)?;
    }
    let mut doc = object(operation, root)?;
    if !doc.contains_key("QueueUrl")
        && let Some(path) = params.path().filter(|p| p.trim_matches('/').contains('/'))
    {
        doc.insert("QueueUrl".into(), Value::String(path.to_string()));
    }
    Ok(Value::Object(doc))
}

fn insert(root: &mut BTreeMap<String, Node>, key: &str, text: &str) -> Result<(), ApiError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.len() > MAX_DEPTH || segments.iter().any(|s| s.is_empty()) {
        return Err(malformed(format!("The parameter name {key} is malformed.")));
    }
    let (last, parents) = segments.split_last().ok_or_else(|| malformed("A parameter has no name.".into()))?;
    let mut level = root;
    for segment in parents {
        let node = level.entry(segment.to_string()).or_insert_with(|| Node::Branch(BTreeMap::new()));
        level = match node {
            Node::Branch(children) => children,
            Node::Leaf(other, _) => return Err(malformed(format!("The parameters {other} and {key} conflict."))),
        };
    }
    if level.contains_key(*last) {
        return Err(malformed(format!("The parameter {key} conflicts with its members.")));
    }
    level.insert(last.to_string(), Node::Leaf(key.to_string(), text.to_string()));
    Ok(())
}

fn object(operation: &str, children: BTreeMap<String, Node>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (name, node) in children {
        match (kind_of(operation, &name), node) {
            (Some(kind), Node::Branch(items)) => {
                let (member, value) = flattened(operation, &name, kind, items)?;
                out.insert(member, value);
            }
            (_, Node::Leaf(key, text)) if is_integer(&name) => {
                let n = text.trim().parse::<i64>().map_err(|_| {
                    ApiError::bad_request(
                        "InvalidParameterValue",
                        format!("Value {text} for parameter {key} is invalid."),
                    )
                })?;
                out.insert(name, Value::from(n));
            }
            (_, Node::Leaf(_, text)) => {
                out.insert(name, Value::String(text));
            }
            (None, Node::Branch(members)) => {
                out.insert(name, Value::Object(object(operation, members)?));
            }
        }
    }
    Ok(out)
}

/// The members of `Name.1`, `Name.2`, … in numeric order.
fn numbered(name: &str, items: BTreeMap<String, Node>) -> Result<Vec<Node>, ApiError> {
    let mut out = Vec::with_capacity(items.len());
    for (index, node) in items {
        match index.parse::<u32>() {
            Ok(n) if n >= 1 => out.push((n, node)),
            _ => return Err(malformed(format!("{name} has a member numbered {index}; members count from 1."))),
        }
    }
    out.sort_by_key(|(n, _)| *n);
    Ok(out.into_iter().map(|(_, node)| node).collect())
}

fn flattened(
    operation: &str,
    name: &str,
    kind: Kind,
    items: BTreeMap<String, Node>,
) -> Result<(String, Value), ApiError> {
    let items = numbered(name, items)?;
    match kind {
        Kind::Names(member) => {
            let names = items.into_iter().map(|n| match n {
                Node::Leaf(_, text) => Ok(Value::String(text)),
                Node::Branch(_) => Err(malformed(format!("{name} members are names."))),
            });
            Ok((member.to_string(), Value::Array(names.collect::<Result<_, _>>()?)))
        }
        Kind::Entries => {
            let entries = items.into_iter().map(|n| match n {
                Node::Branch(members) => object(operation, members).map(Value::Object),
                Node::Leaf(..) => Err(malformed(format!("{name} members are structures."))),
            });
            Ok(("Entries".to_string(), Value::Array(entries.collect::<Result<_, _>>()?)))
        }
        Kind::Map(member, key_name, value_name) => {
            let mut map = Map::new();
            for item in items {
                let Node::Branch(mut parts) = item else {
                    return Err(malformed(format!("Each {name} needs a {key_name} and a {value_name}.")));
                };
                let (Some(Node::Leaf(_, key)), Some(value)) = (parts.remove(key_name), parts.remove(value_name)) else {
                    return Err(malformed(format!("Each {name} needs a {key_name} and a {value_name}.")));
                };
                let value = match value {
                    Node::Leaf(_, text) => Value::String(text),
                    Node::Branch(members) => Value::Object(object(operation, members)?),
                };
                map.insert(key, value);
            }
            Ok((member.to_string(), Value::Object(map)))
        }
    }
}

/// Operations whose awsQuery answer has a result element (the rest answer only `ResponseMetadata`).
pub fn has_result(operation: &str) -> bool {
    !matches!(
        operation,
        "DeleteMessage"
            | "DeleteQueue"
            | "PurgeQueue"
            | "SetQueueAttributes"
            | "TagQueue"
            | "UntagQueue"
            | "ChangeMessageVisibility"
    )
}

/// The output document as the inner XML of `<OpResult>`.
pub fn to_xml(operation: &str, output: &Value) -> String {
    let mut w = XmlWriter::new();
    if let Value::Object(members) = output {
        members_xml(&mut w, operation, members);
    }
    w.finish()
}

fn members_xml(w: &mut XmlWriter, operation: &str, members: &Map<String, Value>) {
    for (name, value) in members {
        match (name.as_str(), value) {
            ("Attributes", Value::Object(m)) => map_xml(w, operation, "Attribute", "Name", m),
            ("Tags", Value::Object(m)) => map_xml(w, operation, "Tag", "Key", m),
            ("MessageAttributes", Value::Object(m)) => map_xml(w, operation, "MessageAttribute", "Name", m),
            (list, Value::Array(items)) => {
                let tag = match list {
                    "QueueUrls" => "QueueUrl".to_string(),
                    "Messages" => "Message".to_string(),
                    "Successful" => format!("{operation}ResultEntry"),
                    "Failed" => "BatchResultErrorEntry".to_string(),
                    "StringListValues" => "StringListValue".to_string(),
                    other => other.to_string(),
                };
                for item in items {
                    value_xml(w, operation, &tag, item);
                }
            }
            (_, v) => value_xml(w, operation, name, v),
        }
    }
}

fn map_xml(w: &mut XmlWriter, operation: &str, tag: &str, key_name: &str, map: &Map<String, Value>) {
    for (key, value) in map {
        w.open(tag).elem(key_name, key);
        value_xml(w, operation, "Value", value);
        w.close(tag);
    }
}

fn value_xml(w: &mut XmlWriter, operation: &str, tag: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => {
            w.elem(tag, s);
        }
        Value::Bool(b) => {
            w.elem(tag, b);
        }
        Value::Number(n) => {
            w.elem(tag, n);
        }
        Value::Object(members) => {
            w.open(tag);
            members_xml(w, operation, members);
            w.close(tag);
        }
        Value::Array(items) => {
            for item in items {
                value_xml(w, operation, tag, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(operation: &str, form: &str) -> Value {
        to_json(operation, &QueryParams::parse(form.as_bytes())).unwrap()
    }

    #[test]
    fn flattened_maps_lists_and_entries_read_as_the_json_members() {
        assert_eq!(
            doc(
                "CreateQueue",
                "Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5&Tag.1.Key=team&Tag.1.Value=data"
            ),
            json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "5"}, "tags": {"team": "data"}})
        );
        assert_eq!(
            doc(
                "ReceiveMessage",
                "QueueUrl=u&AttributeName.2=SentTimestamp&AttributeName.1=All&MaxNumberOfMessages=10&WaitTimeSeconds=20"
            ),
            json!({"QueueUrl": "u", "AttributeNames": ["All", "SentTimestamp"], "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20})
        );
        assert_eq!(
            doc(
                "SendMessageBatch",
                "QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.1.DelaySeconds=3&\
                 SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&\
                 SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v"
            ),
            json!({"QueueUrl": "u", "Entries": [{"Id": "a", "MessageBody": "x", "DelaySeconds": 3,
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}]})
        );
    }

    #[test]
    fn a_request_to_a_queue_url_names_its_queue_by_the_path() {
        let params = QueryParams::parse(b"Action=PurgeQueue").with_path("/000000000000/dlq");
        assert_eq!(to_json("PurgeQueue", &params).unwrap(), json!({"QueueUrl": "/000000000000/dlq"}));
        let root = QueryParams::parse(b"Action=ListQueues").with_path("/");
        assert_eq!(to_json("ListQueues", &root).unwrap(), json!({}));
    }

    #[test]
    fn malformed_forms_are_refused_with_the_parameter_named() {
        for form in
            ["Attribute.0.Name=a&Attribute.0.Value=b", "Attribute.1.Name=a", "MaxNumberOfMessages=ten", "A=1&A.B=2"]
        {
            let err = to_json("X", &QueryParams::parse(form.as_bytes())).unwrap_err();
            assert!(matches!(&*err.code, "InvalidQueryParameter" | "InvalidParameterValue"), "{form}: {err}");
        }
    }

    #[test]
    fn answers_are_written_flattened() {
        let out = json!({
            "Messages": [{"MessageId": "m", "Body": "b<", "Attributes": {"SentTimestamp": "1"},
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}],
        });
        assert_eq!(
            to_xml("ReceiveMessage", &out),
            "<Message><Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute><Body>b&lt;</Body>\
             <MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute>\
             <MessageId>m</MessageId></Message>"
        );
        let batch = json!({"Successful": [{"Id": "a"}], "Failed": [{"Id": "b", "SenderFault": true}]});
        assert_eq!(
            to_xml("DeleteMessageBatch", &batch),
            "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault></BatchResultErrorEntry>\
             <DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"
        );
        assert_eq!(
            to_xml("ListQueues", &json!({"QueueUrls": ["u1", "u2"]})),
            "<QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl>"
        );
    }
}
