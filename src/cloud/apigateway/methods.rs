//! Method, MethodResponse, Integration and IntegrationResponse operations, under
//! `/restapis/{api}/resources/{resource}/methods/{http_method}`.

use super::apis::{read_api, update_api};
use super::model::{ApiDoc, Integration, IntegrationResponse, Method, MethodResponse};
use super::op::{Op, Reply, Req, bad_request, conflict, not_found, to_json};
use super::patch;
use crate::cloud::error::ApiError;

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];
const AUTHORIZATION_TYPES: &[&str] = &["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];
const INTEGRATION_TYPES: &[&str] = &["HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"];

fn method_of<'d>(d: &'d mut ApiDoc, req: &Req) -> Result<&'d mut Method, ApiError> {
    let (rid, m) = (req.seg(3), req.seg(5));
    let r =
        d.resources.get_mut(rid).ok_or_else(|| not_found(format!("Invalid Resource identifier specified {rid}")))?;
    r.resource_methods.get_mut(m).ok_or_else(|| not_found("Invalid Method identifier specified"))
}

fn status_code(code: &str) -> Result<(), ApiError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) && ("100".."600").contains(&code) {
        return Ok(());
    }
    Err(bad_request(format!("Invalid status code specified: {code}")))
}

pub fn put_method(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (rid, http_method) = (req.seg(3).to_string(), req.seg(5).to_string());
    if !HTTP_METHODS.contains(&http_method.as_str()) {
        return Err(bad_request(format!("Invalid HttpMethod specified. Valid options are {}", HTTP_METHODS.join(","))));
    }
    let authorization_type = req.required("authorizationType")?;
    if !AUTHORIZATION_TYPES.contains(&authorization_type.as_str()) {
        return Err(bad_request(format!("Invalid authorization type specified: {authorization_type}")));
    }
    let method = Method {
        http_method: http_method.clone(),
        authorization_type,
        authorizer_id: req.str("authorizerId")?,
        api_key_required: req.bool("apiKeyRequired")?.unwrap_or(false),
        request_validator_id: req.str("requestValidatorId")?,
        operation_name: req.str("operationName")?,
        request_parameters: req.member("requestParameters")?.unwrap_or_default(),
        request_models: req.member("requestModels")?.unwrap_or_default(),
        ..Method::default()
    };
    update_api(op, req.seg(1), |d| {
        if let Some(v) = &method.request_validator_id
            && !d.validators.contains_key(v)
        {
            return Err(bad_request(format!("Invalid Request Validator identifier specified {v}")));
        }
        for model in method.request_models.values() {
            if !d.models.values().any(|m| &m.name == model) {
                return Err(bad_request(format!("Invalid model identifier specified: {model}")));
            }
        }
        let r = d
            .resources
            .get_mut(&rid)
            .ok_or_else(|| not_found(format!("Invalid Resource identifier specified {rid}")))?;
        if r.resource_methods.contains_key(&http_method) {
            return Err(conflict("Method already exists for this resource"));
        }
        r.resource_methods.insert(http_method.clone(), method.clone());
        Reply::created(&method)
    })
}

pub fn get_method(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| {
        let mut d = d.clone();
        Reply::ok(&*method_of(&mut d, req)?)
    })
}

pub fn update_method(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    update_api(op, req.seg(1), |d| {
        let m = method_of(d, req)?;
        let mut v = to_json(&*m)?;
        patch::apply(
            &mut v,
            &ops,
            &[
                "authorizationType",
                "apiKeyRequired",
                "requestValidatorId",
                "operationName",
                "requestParameters/*",
                "requestModels/*",
            ],
        )?;
        *m = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
        Reply::ok(&*m)
    })
}

pub fn delete_method(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (rid, m) = (req.seg(3).to_string(), req.seg(5).to_string());
    update_api(op, req.seg(1), |d| {
        let r = d
            .resources
            .get_mut(&rid)
            .ok_or_else(|| not_found(format!("Invalid Resource identifier specified {rid}")))?;
        r.resource_methods.remove(&m).ok_or_else(|| not_found("Invalid Method identifier specified"))?;
        Reply::no_content()
    })
}

pub fn put_method_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let code = req.seg(7).to_string();
    status_code(&code)?;
    let response = MethodResponse {
        status_code: code.clone(),
        response_parameters: req.member("responseParameters")?.unwrap_or_default(),
        response_models: req.member("responseModels")?.unwrap_or_default(),
    };
    update_api(op, req.seg(1), |d| {
        method_of(d, req)?.method_responses.insert(code, response.clone());
        Reply::created(&response)
    })
}

pub fn get_method_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| {
        let mut d = d.clone();
        let m = method_of(&mut d, req)?;
        Reply::ok(
            m.method_responses.get(req.seg(7)).ok_or_else(|| not_found("Invalid Response status code specified"))?,
        )
    })
}

pub fn delete_method_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    update_api(op, req.seg(1), |d| {
        let m = method_of(d, req)?;
        m.method_responses.remove(req.seg(7)).ok_or_else(|| not_found("Invalid Response status code specified"))?;
        Reply::no_content()
    })
}

pub fn put_integration(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let kind = req.required("type")?;
    if !INTEGRATION_TYPES.contains(&kind.as_str()) {
        return Err(bad_request(format!("Invalid integration type specified: {kind}")));
    }
    let uri = req.str("uri")?;
    let http_method = req.str("httpMethod")?;
    if kind != "MOCK" {
        if uri.as_deref().is_none_or(str::is_empty) {
            return Err(bad_request("Enumeration value for Uri must be non-empty"));
        }
        if http_method.is_none() {
            return Err(bad_request("Enumeration value for HttpMethod must be non-empty"));
        }
    }
    if matches!(kind.as_str(), "AWS" | "AWS_PROXY") && !uri.as_deref().is_some_and(|u| u.starts_with("arn:aws")) {
        return Err(bad_request("AWS ARN for integration must contain path or action"));
    }
    let passthrough = req.str("passthroughBehavior")?.unwrap_or_else(|| "WHEN_NO_MATCH".into());
    if !["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"].contains(&passthrough.as_str()) {
        return Err(bad_request(format!("Invalid passthrough behavior specified: {passthrough}")));
    }
    let integration = Integration {
        kind,
        http_method,
        uri,
        connection_type: req.str("connectionType")?.unwrap_or_else(|| "INTERNET".into()),
        credentials: req.str("credentials")?,
        request_parameters: req.member("requestParameters")?.unwrap_or_default(),
        request_templates: req.member("requestTemplates")?.unwrap_or_default(),
        passthrough_behavior: passthrough,
        content_handling: req.str("contentHandling")?,
        timeout_in_millis: req.member("timeoutInMillis")?.unwrap_or(29_000),
        cache_namespace: req.str("cacheNamespace")?.unwrap_or_else(|| req.seg(3).to_string()),
        cache_key_parameters: req.member("cacheKeyParameters")?.unwrap_or_default(),
        integration_responses: Default::default(),
    };
    for (content_type, template) in &integration.request_templates {
        super::velocity::Template::parse(template)
            .map_err(|e| bad_request(format!("Invalid mapping expression specified for {content_type}: {e}")))?;
    }
    if !(50..=29_000).contains(&integration.timeout_in_millis) {
        return Err(bad_request("Timeout should be between 50 ms and 29000 ms"));
    }
    update_api(op, req.seg(1), |d| {
        method_of(d, req)?.method_integration = Some(integration.clone());
        Reply::created(&integration)
    })
}

fn integration_of<'d>(d: &'d mut ApiDoc, req: &Req) -> Result<&'d mut Integration, ApiError> {
    method_of(d, req)?.method_integration.as_mut().ok_or_else(|| not_found("No integration defined for method"))
}

pub fn get_integration(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| {
        let mut d = d.clone();
        Reply::ok(&*integration_of(&mut d, req)?)
    })
}

pub fn update_integration(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    update_api(op, req.seg(1), |d| {
        let i = integration_of(d, req)?;
        let mut v = to_json(&*i)?;
        patch::apply(
            &mut v,
            &ops,
            &[
                "uri",
                "httpMethod",
                "credentials",
                "passthroughBehavior",
                "timeoutInMillis",
                "requestTemplates/*",
                "requestParameters/*",
            ],
        )?;
        *i = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
        Reply::ok(&*i)
    })
}

pub fn delete_integration(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    update_api(op, req.seg(1), |d| {
        let m = method_of(d, req)?;
        m.method_integration.take().ok_or_else(|| not_found("No integration defined for method"))?;
        Reply::no_content()
    })
}

pub fn put_integration_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let code = req.seg(8).to_string();
    status_code(&code)?;
    let response = IntegrationResponse {
        status_code: code.clone(),
        selection_pattern: req.str("selectionPattern")?,
        response_parameters: req.member("responseParameters")?.unwrap_or_default(),
        response_templates: req.member("responseTemplates")?.unwrap_or_default(),
        content_handling: req.str("contentHandling")?,
    };
    if let Some(p) = &response.selection_pattern {
        regex::Regex::new(p).map_err(|e| bad_request(format!("Invalid selection pattern specified: {e}")))?;
    }
    for template in response.response_templates.values() {
        super::velocity::Template::parse(template)
            .map_err(|e| bad_request(format!("Invalid mapping expression specified: {e}")))?;
    }
    update_api(op, req.seg(1), |d| {
        let m = method_of(d, req)?;
        if !m.method_responses.contains_key(&code) {
            return Err(not_found("Invalid Response status code specified"));
        }
        let i = m.method_integration.as_mut().ok_or_else(|| not_found("No integration defined for method"))?;
        i.integration_responses.insert(code, response.clone());
        Reply::created(&response)
    })
}

pub fn get_integration_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| {
        let mut d = d.clone();
        let i = integration_of(&mut d, req)?;
        Reply::ok(
            i.integration_responses
                .get(req.seg(8))
                .ok_or_else(|| not_found("Invalid Response status code specified"))?,
        )
    })
}

pub fn delete_integration_response(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    update_api(op, req.seg(1), |d| {
        let i = integration_of(d, req)?;
        i.integration_responses
            .remove(req.seg(8))
            .ok_or_else(|| not_found("Invalid Response status code specified"))?;
        Reply::no_content()
    })
}
