//! Decides, from the request line and headers alone, which protocol a request speaks and which
//! service it is for, so the body limit is known before the body is read.

use std::sync::Arc;

use http::{HeaderMap, Method, Uri};

use super::error::ApiError;
use super::protocol::cbor;
use super::registry::Registry;
use super::service::{Protocol, Service};

pub enum Route {
    Admin,
    /// awsJson or RPC v2 CBOR: service and operation are known from the headers or path.
    Rpc {
        service: Arc<dyn Service>,
        protocol: Protocol,
        operation: String,
    },
    /// awsQuery: the operation is in the form body; the service may only be known from `Version`.
    Query {
        service: Option<Arc<dyn Service>>,
    },
    Rest {
        service: Arc<dyn Service>,
    },
    /// A path under `/_aws/` a service serves and authenticates itself (`Descriptor::open_path`).
    Open {
        service: Arc<dyn Service>,
    },
}

/// A request that cannot be routed, with the protocol its error should be rendered in.
pub struct Unroutable {
    pub protocol: Protocol,
    pub error: ApiError,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn classify(
    registry: &Registry,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signing_name: Option<&str>,
) -> Result<Route, Unroutable> {
    let path = uri.path();
    if path.starts_with("/_kc/") {
        return Ok(Route::Admin);
    }
    if let Some(rest) = path.strip_prefix("/_aws/") {
        let segment = rest.split('/').next().unwrap_or_default();
        return match registry.by_open_path(segment) {
            Some(service) => Ok(Route::Open { service: service.clone() }),
            None => Err(Unroutable {
                protocol: Protocol::Rest,
                error: ApiError::new(
                    http::StatusCode::NOT_FOUND,
                    "UnknownOperationException",
                    format!("No service of the local cloud answers {method} {path}"),
                ),
            }),
        };
    }
    let content_type = header(headers, "content-type").unwrap_or_default();

    if let Some(target) = header(headers, "x-amz-target") {
        let protocol = if content_type.contains("json-1.0") { Protocol::AwsJson1_0 } else { Protocol::AwsJson1_1 };
        let Some((prefix, operation)) = target.split_once('.') else {
            return Err(Unroutable { protocol, error: ApiError::unknown_operation(target) });
        };
        return match registry.by_json_target(prefix) {
            Some(service) => Ok(Route::Rpc { service: service.clone(), protocol, operation: operation.to_string() }),
            None => Err(Unroutable { protocol, error: ApiError::unknown_operation(target) }),
        };
    }

    if let Some(rest) = path.strip_prefix("/service/") {
        let protocol = Protocol::RpcV2Cbor;
        if header(headers, "smithy-protocol") != Some("rpc-v2-cbor") && !content_type.starts_with(cbor::CONTENT_TYPE) {
            return Err(Unroutable {
                protocol,
                error: ApiError::bad_request("UnsupportedProtocolException", "expected smithy-protocol: rpc-v2-cbor"),
            });
        }
        let Some((svc, operation)) = rest.split_once("/operation/") else {
            return Err(Unroutable { protocol, error: ApiError::unknown_operation(path) });
        };
        return match registry.by_cbor_service(svc) {
            Some(service) if *method == Method::POST => {
                Ok(Route::Rpc { service: service.clone(), protocol, operation: operation.to_string() })
            }
            Some(_) => Err(Unroutable {
                protocol,
                error: ApiError::new(
                    http::StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "RPC v2 CBOR requests must be POST",
                ),
            }),
            None => Err(Unroutable { protocol, error: ApiError::unknown_operation(operation) }),
        };
    }

    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let get_action =
        *method == Method::GET && uri.query().is_some_and(|q| q.starts_with("Action=") || q.contains("&Action="));
    if form || get_action {
        let service = registry.by_query(signing_name, None).cloned();
        return Ok(Route::Query { service });
    }

    match signing_name.and_then(|n| registry.by_rest(n)) {
        Some(service) => Ok(Route::Rest { service: service.clone() }),
        None => Err(Unroutable {
            protocol: Protocol::Rest,
            error: ApiError::new(
                http::StatusCode::NOT_FOUND,
                "UnknownOperationException",
                format!("No service of the local cloud answers {method} {path}"),
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures_util::future::BoxFuture;

    use super::*;
    use crate::cloud::context::CloudContext;
    use crate::cloud::registry::ProviderTable;
    use crate::cloud::service::{Call, Descriptor, Output, no_timestamps};

    struct Open(Descriptor);

    impl Service for Open {
        fn descriptor(&self) -> &Descriptor {
            &self.0
        }

        fn call<'a>(&'a self, _: &'a Arc<CloudContext>, _: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
            Box::pin(async { Ok(Output::Xml(String::new())) })
        }
    }

    fn registry() -> Registry {
        let open = Open(Descriptor {
            id: "apis",
            signing_name: "apis",
            json_target: None,
            cbor_service: None,
            query: None,
            rest: true,
            query_compatible: false,
            max_body: 1024,
            is_timestamp_member: no_timestamps,
            open_path: Some("execute-api"),
        });
        Registry::new(vec![Arc::new(open)], Arc::new(ProviderTable::new(Vec::new())))
    }

    fn route(path: &str, signing_name: Option<&str>) -> Result<Route, Unroutable> {
        let uri: Uri = path.parse().unwrap();
        classify(&registry(), &Method::POST, &uri, &HeaderMap::new(), signing_name)
    }

    #[test]
    fn an_open_path_routes_to_its_service_whatever_the_signature_names() {
        for signing_name in [None, Some("execute-api"), Some("kinesis")] {
            let routed = route("/_aws/execute-api/a1b2c3/prod/records", signing_name);
            assert!(matches!(routed, Ok(Route::Open { ref service }) if service.descriptor().id == "apis"));
        }
        let unknown = route("/_aws/nothing/here", None).err().expect("an unknown open path is refused");
        assert_eq!(unknown.error.status, http::StatusCode::NOT_FOUND);
        assert!(unknown.error.message.contains("/_aws/nothing/here"), "{}", unknown.error.message);
        // The same service's ordinary REST API still wants its signature to route.
        assert!(matches!(route("/restapis", Some("apis")), Ok(Route::Rest { .. })));
        assert!(route("/restapis", None).is_err());
    }
}
