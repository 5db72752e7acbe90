//! Lambda's REST JSON routes: a request's method and path to an operation name, and its path labels,
//! query string and JSON body to the one JSON input the operation reads. Errors in Lambda's shape:
//! `x-amzn-errortype` and `{"Type": "User", "message": …}` (`Reason` for throttles).

use bytes::Bytes;
use http::{HeaderValue, Method, Response};
use http_body_util::Full;
use serde_json::{Map, Value};

use crate::cloud::error::ApiError;

/// The operation a request names, with the labels its path carries.
#[derive(Debug, PartialEq)]
pub struct Routed {
    pub operation: &'static str,
    pub labels: Vec<(&'static str, String)>,
}

fn decode_segment(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn route(method: &Method, path: &str) -> Option<Routed> {
    let segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(decode_segment).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = method.as_str();
    let (operation, labels): (&'static str, Vec<(&'static str, String)>) = match (m, s.as_slice()) {
        ("POST", ["2015-03-31", "functions"]) => ("CreateFunction", vec![]),
        ("GET", ["2015-03-31", "functions"]) => ("ListFunctions", vec![]),
        ("GET", ["2015-03-31", "functions", f]) => ("GetFunction", vec![("FunctionName", f.to_string())]),
        ("DELETE", ["2015-03-31", "functions", f]) => ("DeleteFunction", vec![("FunctionName", f.to_string())]),
        ("GET", ["2015-03-31", "functions", f, "configuration"]) => {
            ("GetFunctionConfiguration", vec![("FunctionName", f.to_string())])
        }
        ("PUT", ["2015-03-31", "functions", f, "configuration"]) => {
            ("UpdateFunctionConfiguration", vec![("FunctionName", f.to_string())])
        }
        ("PUT", ["2015-03-31", "functions", f, "code"]) => {
            ("UpdateFunctionCode", vec![("FunctionName", f.to_string())])
        }
        ("POST", ["2015-03-31", "functions", f, "invocations"]) => ("Invoke", vec![("FunctionName", f.to_string())]),
        ("POST", ["2015-03-31", "functions", f, "policy"]) => ("AddPermission", vec![("FunctionName", f.to_string())]),
        ("GET", ["2015-03-31", "functions", f, "policy"]) => ("GetPolicy", vec![("FunctionName", f.to_string())]),
        ("DELETE", ["2015-03-31", "functions", f, "policy", sid]) => {
            ("RemovePermission", vec![("FunctionName", f.to_string()), ("StatementId", sid.to_string())])
        }
        ("PUT", ["2017-10-31", "functions", f, "concurrency"]) => {
            ("PutFunctionConcurrency", vec![("FunctionName", f.to_string())])
        }
        ("DELETE", ["2017-10-31", "functions", f, "concurrency"]) => {
            ("DeleteFunctionConcurrency", vec![("FunctionName", f.to_string())])
        }
        ("GET", ["2019-09-30", "functions", f, "concurrency"]) => {
            ("GetFunctionConcurrency", vec![("FunctionName", f.to_string())])
        }
        ("POST", ["2017-03-31", "tags", arn]) => ("TagResource", vec![("Resource", arn.to_string())]),
        ("GET", ["2017-03-31", "tags", arn]) => ("ListTags", vec![("Resource", arn.to_string())]),
        ("DELETE", ["2017-03-31", "tags", arn]) => ("UntagResource", vec![("Resource", arn.to_string())]),
        ("POST", ["2015-03-31", "event-source-mappings"]) => ("CreateEventSourceMapping", vec![]),
        ("GET", ["2015-03-31", "event-source-mappings"]) => ("ListEventSourceMappings", vec![]),
        ("GET", ["2015-03-31", "event-source-mappings", id]) => {
            ("GetEventSourceMapping", vec![("UUID", id.to_string())])
        }
        ("PUT", ["2015-03-31", "event-source-mappings", id]) => {
            ("UpdateEventSourceMapping", vec![("UUID", id.to_string())])
        }
        ("DELETE", ["2015-03-31", "event-source-mappings", id]) => {
            ("DeleteEventSourceMapping", vec![("UUID", id.to_string())])
        }
        _ => return None,
    };
    Some(Routed { operation, labels })
}

/// Query members by their wire names; `tagKeys` repeats.
fn query_member(name: &str) -> Option<&'static str> {
    Some(match name {
        "Marker" => "Marker",
        "MaxItems" => "MaxItems",
        "EventSourceArn" => "EventSourceArn",
        "FunctionName" => "FunctionName",
        "Qualifier" => "Qualifier",
        "RevisionId" => "RevisionId",
        "tagKeys" => "TagKeys",
        _ => return None,
    })
}

/// The operation's input: body members, then query members, then path labels (which win).
pub fn input(routed: &Routed, query: Option<&str>, body: &Bytes) -> Result<Value, ApiError> {
    let mut map = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(ApiError::serialization("Start of structure or map found where not expected")),
            Err(e) => return Err(ApiError::serialization(format!("Could not parse request body into json: {e}"))),
        }
    };
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let Some(member) = query_member(&k) else { continue };
        if member == "TagKeys" {
            let list = map.entry(member).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = list {
                a.push(Value::String(v.into_owned()));
            }
        } else {
            map.insert(member.to_string(), Value::String(v.into_owned()));
        }
    }
    for (k, v) in &routed.labels {
        map.insert(k.to_string(), Value::String(v.clone()));
    }
    Ok(Value::Object(map))
}

/// Lambda's error response.
pub fn error(e: &ApiError) -> Response<Full<Bytes>> {
    let mut message = e.message.clone();
    let mut body = Map::new();
    body.insert("Type".into(), Value::String(if e.sender_fault { "User" } else { "Service" }.into()));
    if e.code == "TooManyRequestsException"
        && let Some(open) = message.rfind(" [")
        && message.ends_with(']')
    {
        let reason = message[open + 2..message.len() - 1].to_string();
        message.truncate(open);
        body.insert("Reason".into(), Value::String(reason));
    }
    body.insert("message".into(), Value::String(message));
    let mut r = Response::new(Full::new(Bytes::from(Value::Object(body).to_string())));
    *r.status_mut() = e.status;
    let h = r.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&e.code) {
        h.insert("x-amzn-errortype", v);
    }
    if e.code == "TooManyRequestsException" {
        h.insert("retry-after", HeaderValue::from_static("1"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_operations_with_their_labels_decoded() {
        let r = route(&Method::GET, "/2015-03-31/functions/").unwrap();
        assert_eq!(r.operation, "ListFunctions");
        let r = route(&Method::POST, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af")
            .unwrap();
        assert_eq!(r.labels, vec![("Resource", "arn:aws:lambda:us-east-1:000000000000:function:f".to_string())]);
        assert!(route(&Method::PATCH, "/2015-03-31/functions/f").is_none());
        let i = input(&r, Some("tagKeys=a&tagKeys=b"), &Bytes::new()).unwrap();
        assert_eq!(i["TagKeys"], serde_json::json!(["a", "b"]));
    }
}
