//! Smithy RPC v2 CBOR: `POST /service/<Service>/operation/<Operation>` with a CBOR body.
//!
//! Bodies are converted to and from JSON values so one operation implementation serves both this
//! protocol and awsJson: byte strings become base64 text, tag-1 timestamps epoch seconds. On the
//! way out, members the service names as timestamps are tagged again and JSON floats stay floats
//! (the SDK's decoder does not accept an integer where a double is modelled).

use base64::Engine;
use ciborium::value::{Integer, Value as Cbor};
use http::{HeaderValue, StatusCode};
use serde_json::Value as Json;

use super::response::{HttpResponse, response};
use crate::cloud::error::ApiError;

pub const CONTENT_TYPE: &str = "application/cbor";

pub fn decode(body: &[u8]) -> Result<Json, ApiError> {
    if body.is_empty() {
        return Ok(Json::Object(Default::default()));
    }
    let value: Cbor =
        ciborium::from_reader(body).map_err(|e| ApiError::serialization(format!("Malformed CBOR body: {e}")))?;
    let json = to_json(value)?;
    if !json.is_object() {
        return Err(ApiError::serialization("Expected a CBOR map as the request body"));
    }
    Ok(json)
}

fn to_json(value: Cbor) -> Result<Json, ApiError> {
    Ok(match value {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Integer(i) => {
            let i: i128 = i.into();
            match i64::try_from(i) {
                Ok(v) => Json::from(v),
                Err(_) => Json::from(i as f64),
            }
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        Cbor::Text(s) => Json::String(s),
        Cbor::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Cbor::Array(items) => Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Cbor::Map(entries) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries {
                let Cbor::Text(key) = k else {
                    return Err(ApiError::serialization("CBOR map keys must be text strings"));
                };
                map.insert(key, to_json(v)?);
            }
            Json::Object(map)
        }
        // Tag 1 (epoch timestamp) and any other tag: keep the tagged value.
        Cbor::Tag(_, inner) => to_json(*inner)?,
        _ => return Err(ApiError::serialization("Unsupported CBOR data item")),
    })
}

fn from_json(value: &Json, timestamp: bool, is_ts: fn(&str) -> bool) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => {
            let plain = if let Some(i) = n.as_i64().filter(|_| !n.is_f64()) {
                Cbor::Integer(Integer::from(i))
            } else if let Some(u) = n.as_u64().filter(|_| !n.is_f64()) {
                Cbor::Integer(Integer::from(u))
            } else {
                Cbor::Float(n.as_f64().unwrap_or(0.0))
            };
            if timestamp { Cbor::Tag(1, Box::new(plain)) } else { plain }
        }
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(items) => Cbor::Array(items.iter().map(|v| from_json(v, timestamp, is_ts)).collect()),
        Json::Object(map) => {
            Cbor::Map(map.iter().map(|(k, v)| (Cbor::Text(k.clone()), from_json(v, is_ts(k), is_ts))).collect())
        }
    }
}

pub fn encode(value: &Json, is_timestamp_member: fn(&str) -> bool) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    ciborium::into_writer(&from_json(value, false, is_timestamp_member), &mut out)
        .map_err(|e| ApiError::internal(format!("could not encode CBOR: {e}")))?;
    Ok(out)
}

fn with_protocol_header(mut r: HttpResponse) -> HttpResponse {
    r.headers_mut().insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    r
}

pub fn output(value: &Json, is_timestamp_member: fn(&str) -> bool) -> Result<HttpResponse, ApiError> {
    let body = encode(value, is_timestamp_member)?;
    Ok(with_protocol_header(response(StatusCode::OK, CONTENT_TYPE, body)))
}

pub fn error(err: &ApiError) -> HttpResponse {
    let body = serde_json::json!({ "__type": err.code, "message": err.message });
    let bytes = encode(&body, |_| false).unwrap_or_default();
    with_protocol_header(response(err.status, CONTENT_TYPE, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tags_timestamps() {
        let v = serde_json::json!({"Timestamps": [1.5, 2.0], "Values": [1.0], "Count": 3, "Label": "x"});
        let bytes = encode(&v, |k| k == "Timestamps").unwrap();
        let raw: Cbor = ciborium::from_reader(&bytes[..]).unwrap();
        let Cbor::Map(entries) = raw else { panic!("not a map") };
        let ts = entries.iter().find(|(k, _)| k == &Cbor::Text("Timestamps".into())).unwrap();
        let Cbor::Array(items) = &ts.1 else { panic!("not an array") };
        assert!(matches!(items[0], Cbor::Tag(1, _)));
        let values = entries.iter().find(|(k, _)| k == &Cbor::Text("Values".into())).unwrap();
        assert_eq!(values.1, Cbor::Array(vec![Cbor::Float(1.0)]));
        assert_eq!(decode(&bytes).unwrap(), v);
    }

    #[test]
    fn rejects_garbage_and_non_maps() {
        assert_eq!(decode(&[0xff, 0x00]).unwrap_err().code, "SerializationException");
        let mut list = Vec::new();
        ciborium::into_writer(&Cbor::Array(vec![]), &mut list).unwrap();
        assert_eq!(decode(&list).unwrap_err().code, "SerializationException");
    }
}
