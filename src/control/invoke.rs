//! `invoke`'s SDK side: a function named by a stack's logical id or by its physical name (or given
//! directly), the payload from the command line or a file, and one RequestResponse invocation with its
//! log tail, as a finished result the CLI prints.

use anyhow::Context as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::stacks::{self, StackResource};

const FUNCTION_TYPE: &str = "AWS::Lambda::Function";

/// What an invocation answered.
#[derive(Debug, Clone, Serialize)]
pub struct Invoked {
    pub function: String,
    pub status: i32,
    /// `Unhandled` when the function failed.
    pub function_error: Option<String>,
    pub executed_version: Option<String>,
    /// The last 4 KB of the invocation's log, decoded.
    pub log_tail: Option<String>,
    /// The response document as JSON when it is JSON.
    pub payload: serde_json::Value,
    /// The response as text when it is not JSON.
    pub payload_text: Option<String>,
}

/// The physical name of the function `function` names among `resources`: a logical id, or a physical
/// name, of an `AWS::Lambda::Function`.
pub fn pick_function(resources: &[StackResource], stack: &str, function: &str) -> anyhow::Result<String> {
    let functions: Vec<&StackResource> = resources.iter().filter(|r| r.resource_type == FUNCTION_TYPE).collect();
    let found = functions.iter().find(|r| r.logical_id == function || r.physical_id.as_deref() == Some(function));
    match found {
        Some(r) => r.physical_id.clone().with_context(|| {
            format!("function {} of stack {stack} has no physical id yet ({})", r.logical_id, r.status)
        }),
        None => {
            let names: Vec<&str> = functions.iter().map(|r| r.logical_id.as_str()).collect();
            let known = if names.is_empty() {
                "it has no Lambda functions".to_string()
            } else {
                format!("its functions: {}", names.join(", "))
            };
            anyhow::bail!("stack {stack} has no function {function} ({known})")
        }
    }
}

/// The function `function` names in stack `stack`.
pub async fn stack_function(
    cfn: &aws_sdk_cloudformation::Client,
    stack: &str,
    function: &str,
) -> anyhow::Result<String> {
    let resources = stacks::inspect::resources(cfn, stack)
        .await
        .with_context(|| format!("listing the resources of stack {stack}"))?;
    pick_function(&resources, stack, function)
}

/// `--payload`: a JSON document, or `@path` to read one from a file; none is `{}`.
pub fn payload(arg: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let bytes = match arg {
        None => return Ok(b"{}".to_vec()),
        Some(a) => match a.strip_prefix('@') {
            Some(path) => std::fs::read(path).with_context(|| format!("reading the payload file {path}"))?,
            None => a.as_bytes().to_vec(),
        },
    };
    serde_json::from_slice::<serde_json::Value>(&bytes).context("the payload is not JSON")?;
    Ok(bytes)
}

pub async fn invoke(lambda: &aws_sdk_lambda::Client, function: &str, payload: Vec<u8>) -> anyhow::Result<Invoked> {
    let out = lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload))
        .log_type(aws_sdk_lambda::types::LogType::Tail)
        .send()
        .await
        .map_err(aws_sdk_lambda::Error::from)
        .with_context(|| format!("invoking {function}"))?;
    let log_tail =
        out.log_result().and_then(|b| STANDARD.decode(b).ok()).map(|b| String::from_utf8_lossy(&b).into_owned());
    let bytes = out.payload().map(|p| p.as_ref().to_vec()).unwrap_or_default();
    let (payload, payload_text) = match serde_json::from_slice(&bytes) {
        Ok(v) => (v, None),
        Err(_) => (serde_json::Value::Null, Some(String::from_utf8_lossy(&bytes).into_owned())),
    };
    Ok(Invoked {
        function: function.to_string(),
        status: out.status_code(),
        function_error: out.function_error().map(str::to_string),
        executed_version: out.executed_version().map(str::to_string),
        log_tail,
        payload,
        payload_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical: &str, physical: &str, kind: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(physical.into()),
            resource_type: kind.into(),
            status: "CREATE_COMPLETE".into(),
            reason: None,
        }
    }

    #[test]
    fn a_function_is_found_by_logical_id_or_physical_name_and_a_miss_names_the_functions() {
        let rs = [resource("Fare", "pipe-Fare-ABC", FUNCTION_TYPE), resource("Queue", "q", "AWS::SQS::Queue")];
        assert_eq!(pick_function(&rs, "pipe", "Fare").unwrap(), "pipe-Fare-ABC");
        assert_eq!(pick_function(&rs, "pipe", "pipe-Fare-ABC").unwrap(), "pipe-Fare-ABC");
        let miss = pick_function(&rs, "pipe", "Queue").unwrap_err().to_string();
        assert!(miss.contains("has no function Queue") && miss.contains("Fare"), "{miss}");
        assert!(payload(Some("{\"a\":1}")).is_ok());
        assert!(payload(Some("nope")).is_err());
        assert_eq!(payload(None).unwrap(), b"{}");
    }
}
