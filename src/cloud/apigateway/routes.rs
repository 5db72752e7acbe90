//! The control plane's one dispatch table: a REST JSON request's method and path segments to its
//! operation.

use super::op::{Op, Reply, Req};
use super::{apis, keys, methods, models, stages};
use crate::cloud::error::ApiError;

type Handler = fn(&Op<'_>, &Req) -> Result<Reply, ApiError>;

fn route(method: &str, segs: &[&str]) -> Option<Handler> {
    use apis::*;
    use keys::*;
    use methods::*;
    use models::*;
    use stages::*;
    Some(match (method, segs) {
        ("POST", ["restapis"]) => create_rest_api,
        ("GET", ["restapis"]) => get_rest_apis,
        ("GET", ["restapis", _]) => get_rest_api,
        ("PATCH", ["restapis", _]) => update_rest_api,
        ("DELETE", ["restapis", _]) => delete_rest_api,
        ("GET", ["restapis", _, "resources"]) => get_resources,
        ("POST", ["restapis", _, "resources", _]) => create_resource,
        ("GET", ["restapis", _, "resources", _]) => get_resource,
        ("DELETE", ["restapis", _, "resources", _]) => delete_resource,
        ("PUT", ["restapis", _, "resources", _, "methods", _]) => put_method,
        ("GET", ["restapis", _, "resources", _, "methods", _]) => get_method,
        ("PATCH", ["restapis", _, "resources", _, "methods", _]) => update_method,
        ("DELETE", ["restapis", _, "resources", _, "methods", _]) => delete_method,
        ("PUT", ["restapis", _, "resources", _, "methods", _, "responses", _]) => put_method_response,
        ("GET", ["restapis", _, "resources", _, "methods", _, "responses", _]) => get_method_response,
        ("DELETE", ["restapis", _, "resources", _, "methods", _, "responses", _]) => delete_method_response,
        ("PUT", ["restapis", _, "resources", _, "methods", _, "integration"]) => put_integration,
        ("GET", ["restapis", _, "resources", _, "methods", _, "integration"]) => get_integration,
        ("PATCH", ["restapis", _, "resources", _, "methods", _, "integration"]) => update_integration,
        ("DELETE", ["restapis", _, "resources", _, "methods", _, "integration"]) => delete_integration,
        ("PUT", ["restapis", _, "resources", _, "methods", _, "integration", "responses", _]) => {
            put_integration_response
        }
        ("GET", ["restapis", _, "resources", _, "methods", _, "integration", "responses", _]) => {
            get_integration_response
        }
        ("DELETE", ["restapis", _, "resources", _, "methods", _, "integration", "responses", _]) => {
            delete_integration_response
        }
        ("POST", ["restapis", _, "models"]) => create_model,
        ("GET", ["restapis", _, "models"]) => get_models,
        ("GET", ["restapis", _, "models", _]) => get_model,
        ("PATCH", ["restapis", _, "models", _]) => update_model,
        ("DELETE", ["restapis", _, "models", _]) => delete_model,
        ("POST", ["restapis", _, "requestvalidators"]) => create_request_validator,
        ("GET", ["restapis", _, "requestvalidators"]) => get_request_validators,
        ("GET", ["restapis", _, "requestvalidators", _]) => get_request_validator,
        ("PATCH", ["restapis", _, "requestvalidators", _]) => update_request_validator,
        ("DELETE", ["restapis", _, "requestvalidators", _]) => delete_request_validator,
        ("POST", ["restapis", _, "deployments"]) => create_deployment,
        ("GET", ["restapis", _, "deployments"]) => get_deployments,
        ("GET", ["restapis", _, "deployments", _]) => get_deployment,
        ("DELETE", ["restapis", _, "deployments", _]) => delete_deployment,
        ("POST", ["restapis", _, "stages"]) => create_stage,
        ("GET", ["restapis", _, "stages"]) => get_stages,
        ("GET", ["restapis", _, "stages", _]) => get_stage,
        ("PATCH", ["restapis", _, "stages", _]) => update_stage,
        ("DELETE", ["restapis", _, "stages", _]) => delete_stage,
        ("POST", ["apikeys"]) => create_api_key,
        ("GET", ["apikeys"]) => get_api_keys,
        ("GET", ["apikeys", _]) => get_api_key,
        ("PATCH", ["apikeys", _]) => update_api_key,
        ("DELETE", ["apikeys", _]) => delete_api_key,
        ("POST", ["usageplans"]) => create_usage_plan,
        ("GET", ["usageplans"]) => get_usage_plans,
        ("GET", ["usageplans", _]) => get_usage_plan,
        ("PATCH", ["usageplans", _]) => update_usage_plan,
        ("DELETE", ["usageplans", _]) => delete_usage_plan,
        ("POST", ["usageplans", _, "keys"]) => create_usage_plan_key,
        ("GET", ["usageplans", _, "keys"]) => get_usage_plan_keys,
        ("GET", ["usageplans", _, "keys", _]) => get_usage_plan_key,
        ("DELETE", ["usageplans", _, "keys", _]) => delete_usage_plan_key,
        ("GET", ["account"]) => get_account,
        ("PATCH", ["account"]) => update_account,
        ("GET" | "PUT" | "DELETE", ["tags", _]) => tags,
        _ => return None,
    })
}

pub fn dispatch(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match route(req.method.as_str(), &segs) {
        Some(handler) => handler(op, req),
        None => Err(ApiError::new(
            http::StatusCode::NOT_FOUND,
            "NotFoundException",
            format!("No API Gateway operation answers {} /{}", req.method, segs.join("/")),
        )),
    }
}
