//! The integrations a method calls. AWS service integrations
//! (`arn:aws:apigateway:{region}:{service}:action/{Action}`) render the request mapping template, call
//! the service's operation in process and map its answer through the integration response its
//! status code selects. Lambda proxy integrations send the proxy event to `ctx.function_invoker` and
//! read the function's `{statusCode, headers, body}` answer. MOCK answers from its templates.

use serde_json::{Value, json};

use super::model::{Integration, IntegrationResponse};
use super::plane::Plane;
use super::velocity::{EvalError, Request as TemplateRequest, Template};
use crate::cloud::context::CloudContext;

/// What the integration answered, ready to send.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn message(status: u16, message: &str) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: json!({ "message": message }).to_string().into_bytes(),
        }
    }
}

/// The request as the integration sees it.
pub struct Incoming<'a> {
    pub content_type: &'a str,
    pub template: TemplateRequest,
    /// The Lambda proxy event, built by the caller (it knows the request's every part).
    pub proxy_event: &'a (dyn Fn() -> Value + Sync),
}

fn media_type(content_type: &str) -> String {
    let m = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if m.is_empty() { "application/json".into() } else { m }
}

/// The body the integration receives: the request template for the content type, or the body itself
/// as the passthrough behaviour allows; `Err` is API Gateway's answer instead.
fn request_body(integration: &Integration, incoming: &Incoming<'_>) -> Result<String, Answer> {
    let media = media_type(incoming.content_type);
    let template = integration.request_templates.get(&media);
    let Some(template) = template else {
        let passthrough = match integration.passthrough_behavior.as_str() {
            "NEVER" => false,
            "WHEN_NO_TEMPLATES" => integration.request_templates.is_empty(),
            _ => true,
        };
        return if passthrough {
            Ok(incoming.template.body.clone())
        } else {
            Err(Answer::message(415, "Unsupported Media Type"))
        };
    };
    let parsed = Template::parse(template).map_err(|e| {
        tracing::warn!("a stored request template does not parse: {e}");
        Answer::message(500, "Internal server error")
    })?;
    parsed.render(&incoming.template).map_err(|e| match e {
        EvalError::Body(_) => Answer::message(400, &e.to_string()),
        EvalError::Template(m) => {
            tracing::info!("request mapping template failed: {m}");
            Answer::message(500, "Internal server error")
        }
    })
}

/// `arn:aws:apigateway:{region}:{service}:action/{Action}` → (service, action).
fn aws_action(uri: &str) -> Option<(&str, &str)> {
    let mut parts = uri.splitn(6, ':');
    let (_, _, _, _, service, rest) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((service, rest.strip_prefix("action/")?.split(['?', '&']).next()?))
}

pub async fn call(
    gw: &Plane,
    ctx: &CloudContext,
    region: &str,
    integration: &Integration,
    incoming: &Incoming<'_>,
) -> Answer {
    match integration.kind.as_str() {
        "AWS" => aws(gw, region, integration, incoming).await,
        "AWS_PROXY" => lambda_proxy(ctx, integration, incoming).await,
        "MOCK" => {
            let body = match request_body(integration, incoming) {
                Ok(b) => b,
                Err(a) => return a,
            };
            let status = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
                .unwrap_or(200);
            respond(integration, status as u16, String::new())
        }
        other => {
            tracing::info!("integration type {other} is not served by the local cloud");
            Answer::message(500, "Internal server error")
        }
    }
}

async fn aws(gw: &Plane, region: &str, integration: &Integration, incoming: &Incoming<'_>) -> Answer {
    let uri = integration.uri.as_deref().unwrap_or_default();
    let Some((service, action)) = aws_action(uri) else {
        tracing::info!("AWS integration URI {uri} names no action");
        return Answer::message(500, "Internal server error");
    };
    let Some(api) = (gw.services)(service) else {
        tracing::info!("AWS integration with {service}, which the local cloud does not serve");
        return Answer::message(500, "Internal server error");
    };
    let body = match request_body(integration, incoming) {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    // The service reads the body as its JSON protocol would; a body that is not JSON is its 400.
    let (status, out) = match serde_json::from_str::<Value>(&body) {
        Ok(input @ Value::Object(_)) => match api.call(region, action, input).await {
            Ok(v) => (200, v.to_string()),
            Err(e) => (e.status.as_u16(), json!({"__type": e.code, "message": e.message}).to_string()),
        },
        _ => (400, json!({"__type": "SerializationException", "message": "Start of structure or map found where not expected"}).to_string()),
    };
    respond(integration, status, out)
}

/// The integration response a backend status selects (by full match of its pattern), else the one
/// without a pattern.
fn select<'i>(integration: &'i Integration, selector: &str) -> Option<&'i IntegrationResponse> {
    let responses = integration.integration_responses.values();
    let by_pattern = responses.clone().find(|r| {
        r.selection_pattern
            .as_deref()
            .filter(|p| !p.is_empty())
            .is_some_and(|p| regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(selector)))
    });
    by_pattern.or_else(|| responses.clone().find(|r| r.selection_pattern.as_deref().is_none_or(str::is_empty)))
}

fn respond(integration: &Integration, backend_status: u16, backend_body: String) -> Answer {
    let Some(chosen) = select(integration, &backend_status.to_string()) else {
        return Answer::message(500, "Internal server error");
    };
    let status = chosen.status_code.parse().unwrap_or(200);
    let Some((content_type, template)) =
        chosen.response_templates.get_key_value("application/json").or_else(|| chosen.response_templates.iter().next())
    else {
        return Answer {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: backend_body.into_bytes(),
        };
    };
    let request = TemplateRequest { body: backend_body, ..TemplateRequest::default() };
    match Template::parse(template)
        .map_err(|e| e.to_string())
        .and_then(|t| t.render(&request).map_err(|e| e.to_string()))
    {
        Ok(body) => Answer { status, content_type: content_type.clone(), headers: Vec::new(), body: body.into_bytes() },
        Err(e) => {
            tracing::info!("response mapping template failed: {e}");
            Answer::message(500, "Internal server error")
        }
    }
}

/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations` → function.
fn function_of(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once(":lambda:path/")?;
    rest.split_once("/functions/")?.1.strip_suffix("/invocations")
}

async fn lambda_proxy(ctx: &CloudContext, integration: &Integration, incoming: &Incoming<'_>) -> Answer {
    let uri = integration.uri.as_deref().unwrap_or_default();
    let Some(function) = function_of(uri) else {
        tracing::info!("Lambda proxy integration URI {uri} names no function");
        return Answer::message(500, "Internal server error");
    };
    let event = (incoming.proxy_event)();
    let invocation = match ctx.function_invoker.invoke(function, event.to_string().into_bytes()).await {
        Ok(i) if i.function_error.is_none() => i,
        Ok(i) => {
            tracing::info!(function, "Lambda proxy function failed: {}", String::from_utf8_lossy(&i.payload));
            return Answer::message(502, "Internal server error");
        }
        Err(e) => {
            tracing::info!(function, "Lambda proxy invocation refused: {e}");
            return Answer::message(500, "Internal server error");
        }
    };
    proxy_response(&invocation.payload).unwrap_or_else(|| {
        tracing::info!(function, "malformed Lambda proxy response");
        Answer::message(502, "Internal server error")
    })
}

/// A Lambda proxy response: `statusCode`, optional `headers`, `multiValueHeaders`, `body` (a string)
/// and `isBase64Encoded`; anything else is malformed.
pub fn proxy_response(payload: &[u8]) -> Option<Answer> {
    use base64::Engine as _;
    let v: Value = serde_json::from_slice(payload).ok()?;
    let o = v.as_object()?;
    let status = match o.get("statusCode")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if !(100..600).contains(&status) {
        return None;
    }
    let mut headers = Vec::new();
    match o.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                headers.push((k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())));
            }
        }
        Some(_) => return None,
    }
    if let Some(Value::Object(h)) = o.get("multiValueHeaders") {
        for (k, vs) in h {
            for v in vs.as_array()? {
                headers.push((k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())));
            }
        }
    }
    let body = match o.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if o.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => {
            base64::engine::general_purpose::STANDARD.decode(s).ok()?
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return None,
    };
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "application/json".into());
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    Some(Answer { status: status as u16, content_type, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_their_action_or_function() {
        assert_eq!(
            aws_action("arn:aws:apigateway:us-east-1:kinesis:action/PutRecords"),
            Some(("kinesis", "PutRecords"))
        );
        assert_eq!(aws_action("arn:aws:apigateway:us-east-1:kinesis:path/streams"), None);
        let fare = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:fare/invocations";
        assert_eq!(function_of(fare), Some("arn:aws:lambda:us-east-1:000000000000:function:fare"));
    }

    #[test]
    fn proxy_responses_are_read_or_refused_as_malformed() {
        let ok = proxy_response(br#"{"statusCode": 201, "headers": {"X-A": "1"}, "body": "{\"fare\": 3}"}"#).unwrap();
        assert_eq!(
            (ok.status, ok.headers.clone(), ok.body.as_slice()),
            (201, vec![("X-A".into(), "1".into())], &br#"{"fare": 3}"#[..])
        );
        let b64 = proxy_response(br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#).unwrap();
        assert_eq!(b64.body, b"hi");
        for bad in [
            &br#"{"body": "x"}"#[..],
            br#"{"statusCode": 200, "body": {"a": 1}}"#,
            b"[]",
            b"nope",
            br#"{"statusCode": 99}"#,
        ] {
            assert!(proxy_response(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
