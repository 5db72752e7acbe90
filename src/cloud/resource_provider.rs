//! The contract between the local CloudFormation and the services whose resources a template declares.
//!
//! One provider per resource type, living in its service's folder (`kinesis/`, `s3/`, …), calling that
//! service's own logic in process, so what a stack creates is exactly what the service's API then
//! describes. `registry.rs` lists the providers in one table; CloudFormation looks types up there and
//! fails a resource whose type has no provider with "Resource type X is not supported by the local cloud".

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Input, Output, Protocol, Service};

/// Properties with every intrinsic function resolved and `AWS::NoValue` removed.
pub type Properties = Map<String, Value>;

/// What a provider is asked to act on.
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    pub stack_name: String,
    /// The stack's ARN.
    pub stack_id: String,
    pub logical_id: String,
    pub region: String,
    pub account_id: String,
    pub properties: Properties,
    /// Tags to put on a resource that takes tags: the stack's tags, then `aws:cloudformation:stack-name`,
    /// `aws:cloudformation:stack-id` and `aws:cloudformation:logical-id`, as AWS propagates them.
    pub tags: Vec<(String, String)>,
}

impl ResourceRequest {
    /// The name CloudFormation gives a resource its template leaves unnamed: `<stack>-<logical>-<13
    /// random>`, the first two parts shortened so the whole fits `max` characters.
    pub fn generated_name(&self, max: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let suffix: String = (0..13).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect();
        let room = max.saturating_sub(suffix.len() + 2);
        let stack_part: String = self.stack_name.chars().take(room / 2).collect();
        let logical_part: String = self.logical_id.chars().take(room - stack_part.chars().count()).collect();
        format!("{stack_part}-{logical_part}-{suffix}")
    }
}

/// Refuses a property the type does not declare, in CloudFormation's schema-validation wording.
pub fn check_known(properties: &Properties, known: &[&str]) -> Result<(), ProviderError> {
    let extra: Vec<&str> = properties.keys().map(String::as_str).filter(|k| !known.contains(k)).collect();
    if extra.is_empty() {
        return Ok(());
    }
    Err(ProviderError::new(format!(
        "Properties validation failed for resource: #: extraneous key [{}] is not permitted (HandlerErrorCode: InvalidRequest)",
        extra.join(", ")
    )))
}

/// A resource as it exists after create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct Provisioned {
    /// The physical id in the format AWS uses for the type (a stream's name, a bucket's name, a role's
    /// name, an alarm's name, …). `Ref` returns it unless `ref_value` says otherwise.
    pub physical_id: String,
    /// What `Ref` returns when it is not the physical id.
    pub ref_value: Option<String>,
    /// The `Fn::GetAtt` attributes, by name (`Arn`, `StreamArn`, `RootResourceId`, …).
    pub attributes: Map<String, Value>,
}

impl Provisioned {
    pub fn new(physical_id: impl Into<String>) -> Self {
        Provisioned { physical_id: physical_id.into(), ref_value: None, attributes: Map::new() }
    }

    pub fn attribute(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attributes.insert(name.to_string(), value.into());
        self
    }

    /// The value `Ref` resolves to.
    pub fn reference(&self) -> &str {
        self.ref_value.as_deref().unwrap_or(&self.physical_id)
    }
}

/// Why a provider could not do what it was asked, worded for the resource's `*_FAILED` stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub reason: String,
}

impl ProviderError {
    pub fn new(reason: impl Into<String>) -> Self {
        ProviderError { reason: reason.into() }
    }

    /// A property value the type does not accept, named as CloudFormation's resource handlers name it.
    pub fn invalid_property(property: &str, detail: impl fmt::Display) -> Self {
        ProviderError::new(format!(
            "Properties validation failed for resource: #/{property}: {detail} (HandlerErrorCode: InvalidRequest)"
        ))
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ProviderError {}

/// A service's refusal, as CloudFormation's resource handlers report it in the failed event.
impl From<ApiError> for ProviderError {
    fn from(e: ApiError) -> Self {
        ProviderError::new(format!(
            "Resource handler returned message: \"{}\" (Status Code: {}, Error Code: {})",
            e.message,
            e.status.as_u16(),
            e.code
        ))
    }
}

/// A service seen through its own JSON API, in process: what providers call, so a stack's resource goes
/// through the same validation and logic as an SDK's request for it.
#[derive(Clone)]
pub struct ServiceApi {
    service: Arc<dyn Service>,
    ctx: Arc<CloudContext>,
    protocol: Protocol,
}

impl ServiceApi {
    /// `protocol` is the awsJson version the service speaks (the input is decoded JSON either way, but
    /// a service may frame its answers by it).
    pub fn new(ctx: &Arc<CloudContext>, service: Arc<dyn Service>, protocol: Protocol) -> Self {
        ServiceApi { service, ctx: ctx.clone(), protocol }
    }

    pub async fn call(&self, region: &str, operation: &str, input: Value) -> Result<Value, ApiError> {
        let call = Call {
            operation: operation.to_string(),
            protocol: self.protocol,
            input: Input::Json(input),
            request_id: uuid::Uuid::new_v4().to_string(),
            region: region.to_string(),
        };
        match self.service.call(&self.ctx, call).await? {
            Output::Json(v) => Ok(v),
            // An operation without output answers an empty body, as AWS does; to a caller in process
            // that is an empty document. A body rendered ahead (GetRecords) is read as JSON.
            Output::Rest(r) => {
                let bytes =
                    http_body_util::BodyExt::collect(r.into_body()).await.map(|b| b.to_bytes()).unwrap_or_default();
                if bytes.is_empty() {
                    return Ok(Value::Object(Map::new()));
                }
                serde_json::from_slice(&bytes).map_err(|e| {
                    let id = self.service.descriptor().id;
                    ApiError::internal(format!("{id} {operation} answered a non-JSON body: {e}"))
                })
            }
            _ => Err(ApiError::internal(format!(
                "{} {operation} answered a non-JSON body",
                self.service.descriptor().id
            ))),
        }
    }

    /// Sleeps on the cloud clock, between two looks at a resource that is still changing (virtual
    /// time moves only when a test advances it).
    pub async fn sleep(&self, duration: Duration) {
        self.ctx.clock.sleep(duration).await
    }
}

pub trait ResourceProvider: Send + Sync + 'static {
    /// The CloudFormation type, e.g. `AWS::Kinesis::Stream`.
    fn type_name(&self) -> &'static str;

    /// The names `Fn::GetAtt` may read, checked when a template is validated.
    fn attribute_names(&self) -> &'static [&'static str];

    /// Whether changing the properties from `old` to `new` replaces the resource (the type's documented
    /// "Update requires: Replacement" properties), rather than updating it in place.
    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool;

    /// Creates the resource and returns once it is usable (a stream ACTIVE), on the cloud clock.
    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>>;

    /// Updates the resource in place from `old` to `request.properties` (only called when
    /// [`needs_replacement`](Self::needs_replacement) is false).
    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>>;

    /// Deletes the resource. A resource already gone is not an error (CloudFormation's delete is
    /// idempotent: a rollback may delete what a crash half-created).
    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>>;
}

/// A resource's tags: the stack's propagated ones without `aws:` keys (the services' own), then the
/// resource's `Tags` property, which wins; as a tag map.
pub fn tag_map(props: &Properties, stack_tags: &[(String, String)]) -> Result<BTreeMap<String, String>, ProviderError> {
    // `aws:` keys are the service's own; callers (CloudFormation included) cannot set them.
    let mut out: BTreeMap<String, String> =
        stack_tags.iter().filter(|(k, _)| !k.starts_with("aws:")).cloned().collect();
    match props.get("Tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for t in list {
                let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str))
                else {
                    return Err(ProviderError::invalid_property("Tags", "each tag needs a Key and a Value"));
                };
                out.insert(k.to_string(), v.to_string());
            }
        }
        Some(_) => return Err(ProviderError::invalid_property("Tags", "expected type: JSONArray")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::cloud::auth::LocalCredentials;
    use crate::cloud::context::CloudConfig;
    use crate::cloud::service::{Descriptor, no_timestamps};

    /// A service that records what it was called with and answers `Echo` in JSON, anything else in XML.
    struct Echo {
        descriptor: Descriptor,
        seen: Mutex<Vec<(String, Protocol, String)>>,
    }

    impl Service for Echo {
        fn descriptor(&self) -> &Descriptor {
            &self.descriptor
        }

        fn call<'a>(&'a self, _: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
            Box::pin(async move {
                self.seen.lock().unwrap().push((call.operation.clone(), call.protocol, call.region.clone()));
                match call.operation.as_str() {
                    "Echo" => Ok(Output::Json(call.input.json()?)),
                    "Fail" => Err(ApiError::bad_request("ValidationException", "no")),
                    _ => Ok(Output::Xml(String::new())),
                }
            })
        }
    }

    #[tokio::test]
    async fn a_service_api_calls_the_service_in_its_protocol_and_wants_json_back() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = Arc::new(CloudContext::new(CloudConfig::ephemeral(tmp.path()), LocalCredentials::generate()));
        let echo = Arc::new(Echo {
            descriptor: Descriptor {
                id: "echo",
                signing_name: "echo",
                json_target: Some("Echo_1"),
                cbor_service: None,
                query: None,
                rest: false,
                query_compatible: false,
                max_body: 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            seen: Mutex::new(Vec::new()),
        });
        let api = ServiceApi::new(&ctx, echo.clone(), Protocol::AwsJson1_1);
        let answer = api.call("eu-west-1", "Echo", serde_json::json!({"StreamName": "orders"})).await.unwrap();
        assert_eq!(answer, serde_json::json!({"StreamName": "orders"}));
        assert_eq!(echo.seen.lock().unwrap()[0], ("Echo".to_string(), Protocol::AwsJson1_1, "eu-west-1".to_string()));
        let refused = api.call("eu-west-1", "Fail", Value::Null).await.unwrap_err();
        assert_eq!(refused.code, "ValidationException");
        let odd = api.call("eu-west-1", "Xml", Value::Null).await.unwrap_err();
        assert_eq!(odd.message, "echo Xml answered a non-JSON body");
    }

    #[test]
    fn ref_is_the_physical_id_unless_a_provider_says_otherwise() {
        let p = Provisioned::new("orders").attribute("Arn", "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
        assert_eq!(p.reference(), "orders");
        let q = Provisioned { ref_value: Some("AKIA".into()), ..p.clone() };
        assert_eq!(q.reference(), "AKIA");
        assert_eq!(p.attributes["Arn"], "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
    }

    #[test]
    fn a_generated_name_is_stack_logical_and_thirteen_random_characters_within_the_limit() {
        let request = |stack: &str| ResourceRequest {
            stack_name: stack.into(),
            stack_id: format!("arn:aws:cloudformation:us-east-1:000000000000:stack/{stack}/1"),
            logical_id: "Stream".into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            properties: Properties::new(),
            tags: Vec::new(),
        };
        let n = request("orders").generated_name(128);
        assert!(n.starts_with("orders-Stream-"), "{n}");
        assert_eq!(n.len(), "orders-Stream-".len() + 13);
        let long = request(&"s".repeat(200)).generated_name(128);
        assert!(long.chars().count() <= 128 && long.starts_with(&"s".repeat(50)), "{long}");
        assert!(long.contains("-Stream-"), "the logical id keeps its share: {long}");
    }

    #[test]
    fn unknown_properties_are_named() {
        let mut props = Properties::new();
        props.insert("ShardCount".into(), 1.into());
        props.insert("Shards".into(), 1.into());
        assert!(check_known(&props, &["ShardCount"]).unwrap_err().reason.contains("extraneous key [Shards]"));
        assert!(check_known(&props, &["ShardCount", "Shards"]).is_ok());
    }

    #[test]
    fn a_service_refusal_reads_as_a_resource_handler_message() {
        let e: ProviderError = ApiError::bad_request("ResourceInUseException", "Stream orders already exists").into();
        assert!(e.reason.contains("\"Stream orders already exists\""), "{e}");
        assert!(e.reason.contains("Error Code: ResourceInUseException"), "{e}");
    }
}
