//! One data-plane request, stage by stage, as API Gateway answers it:
//!
//! | stage | refusal |
//! |---|---|
//! | the API, stage and a route of its deployment | 403 `Missing Authentication Token` |
//! | `AWS_IAM`: a SigV4 signature for `execute-api` (not under `--no-auth`) | 403 `Missing Authentication Token`, or AWS's signature message |
//! | `apiKeyRequired`: `x-api-key` of an enabled key in a usage plan of the stage (also under `--no-auth`) | 403 `Forbidden` |
//! | throttles: the stage's method settings, the usage plan's | 429 `Too Many Requests` |
//! | the usage plan's quota | 429 `Limit Exceeded` |
//! | the validator: parameters, body against the model | 400 `Missing required request parameters: […]`, `Invalid request body` |
//! | the integration | its answer, or 500 / 502 `Internal server error` |
//!
//! Everything before validation reads only the request line and headers: the body is not decoded
//! until the caller is authenticated.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde_json::{Value, json};

use super::integration::{self, Answer};
use super::matching;
use super::metrics::{self, Observed};
use super::model::{ApiDoc, Method, Snapshot, Stage};
use super::plane::Plane;
use super::validate;
use super::velocity::Request as TemplateRequest;
use crate::cloud::auth::{self, Authorization};
use crate::cloud::context::CloudContext;
use crate::cloud::service::RestRequest;

const MISSING_TOKEN: &str = "Missing Authentication Token";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn render(answer: Answer, request_id: &str) -> Response<Full<Bytes>> {
    let error_type = match (answer.status, answer.body_message()) {
        (403, Some(MISSING_TOKEN)) => Some("MissingAuthenticationTokenException"),
        (403, Some("Forbidden")) => Some("ForbiddenException"),
        (403, _) => Some("AccessDeniedException"),
        (429, Some("Limit Exceeded")) => Some("LimitExceededException"),
        (429, _) => Some("TooManyRequestsException"),
        (400, Some("Invalid request body")) => Some("BadRequestException"),
        _ => None,
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(&answer.content_type) {
        headers.insert(http::header::CONTENT_TYPE, v);
    }
    for (k, v) in &answer.headers {
        if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(v)) {
            headers.append(k, v);
        }
    }
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Some(t) = error_type {
        headers.insert("x-amzn-errortype", http::HeaderValue::from_static(t));
    }
    response
}

impl Answer {
    fn body_message(&self) -> Option<&str> {
        let s = std::str::from_utf8(&self.body).ok()?;
        let m = s.strip_prefix("{\"message\":\"")?.strip_suffix("\"}")?;
        Some(m)
    }
}

/// The parts of `/_aws/execute-api/{api}/{stage}/{path}`.
fn address(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix(crate::execute_api::LOCAL_PREFIX)?;
    let (api, rest) = rest.split_once('/')?;
    let (stage, path) = rest.split_once('/').unwrap_or((rest, ""));
    Some((api, stage, path))
}

/// What the request resolved to in the deployed API.
struct Resolved {
    api_name: String,
    stage: Stage,
    snapshot: Arc<Snapshot>,
}

pub async fn serve(gw: &Plane, ctx: &Arc<CloudContext>, req: RestRequest, request_id: &str) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let Some((api_id, stage_name, path)) = address(req.uri.path()) else {
        return render(Answer::message(403, MISSING_TOKEN), request_id);
    };
    let resolved = {
        let data = gw.state.lock();
        data.apis.get(api_id).and_then(|d: &ApiDoc| {
            let stage = d.stages.get(stage_name)?.clone();
            let deployment = d.deployments.get(&stage.deployment_id)?;
            Some(Resolved { api_name: d.api.name.clone(), stage, snapshot: Arc::new(deployment.snapshot.clone()) })
        })
    };
    let Some(resolved) = resolved else {
        return render(Answer::message(403, MISSING_TOKEN), request_id);
    };
    let mut integration_ms = None;
    let answer =
        run(gw, ctx, &req, request_id, api_id, &resolved, &super::op::percent_decode(path), &mut integration_ms).await;
    metrics::publish(
        ctx,
        &Observed {
            api_name: &resolved.api_name,
            stage: stage_name,
            status: answer.status,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            integration_ms,
        },
    );
    render(answer, request_id)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    gw: &Plane,
    ctx: &Arc<CloudContext>,
    req: &RestRequest,
    request_id: &str,
    api_id: &str,
    resolved: &Resolved,
    path: &str,
    integration_ms: &mut Option<f64>,
) -> Answer {
    let resources = &resolved.snapshot.resources;
    let Some(matched) = matching::find(resources, req.method.as_str(), path) else {
        return Answer::message(403, MISSING_TOKEN);
    };
    let method = matched.method;
    if let Err(answer) = authorize(ctx, req, method) {
        return answer;
    }
    let api_key = header(req, "x-api-key");
    let plan = match usage_plan(gw, api_id, &resolved.stage.stage_name, api_key.as_deref()) {
        Ok(plan) => plan,
        Err(()) if method.api_key_required => return Answer::message(403, "Forbidden"),
        Err(()) => None,
    };
    if method.api_key_required && plan.is_none() {
        return Answer::message(403, "Forbidden");
    }
    if let Err(answer) = throttle(gw, ctx, api_id, resolved, &matched.resource.path, method, plan.as_ref()) {
        return answer;
    }
    let query = query_params(req);
    let headers = headers(req);
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let validator = method.request_validator_id.as_ref().and_then(|id| resolved.snapshot.validators.get(id));
    let incoming = validate::Incoming {
        content_type: &content_type,
        body: &req.body,
        query: &query,
        headers: &headers,
        path: &matched.path_params,
    };
    if let Err(validate::Invalid(message)) = validate::check(method, validator, &resolved.snapshot.models, &incoming) {
        return Answer::message(400, &message);
    }
    let Some(integration) = &method.method_integration else {
        return Answer::message(500, "Internal server error");
    };
    let body = String::from_utf8_lossy(&req.body).into_owned();
    let now_ms = ctx.clock.now_ms();
    let source_ip = "127.0.0.1";
    let context = json!({
        "requestId": request_id,
        "extendedRequestId": request_id,
        "accountId": ctx.account_id(),
        "apiId": api_id,
        "stage": resolved.stage.stage_name,
        "resourceId": matched.resource.id,
        "resourcePath": matched.resource.path,
        "httpMethod": req.method.as_str(),
        "path": format!("/{}/{}", resolved.stage.stage_name, path.trim_start_matches('/')),
        "protocol": "HTTP/1.1",
        "requestTime": request_time(now_ms.max(0) as u64),
        "requestTimeEpoch": now_ms,
        "domainName": header(req, "host").unwrap_or_default(),
        "identity": {
            "sourceIp": source_ip,
            "userAgent": header(req, "user-agent"),
            "apiKey": api_key,
            "apiKeyId": plan.as_ref().map(|p| p.key_id.clone()),
            "accountId": Value::Null,
            "caller": Value::Null,
            "user": Value::Null,
            "userArn": Value::Null,
            "accessKey": Authorization::from_headers(&req.headers).and_then(Result::ok).map(|a| a.access_key_id),
        },
    });
    let stage_variables = json!(resolved.stage.variables);
    let params = json!({"path": matched.path_params, "querystring": query, "header": original_headers(req)});
    let proxy_event = || {
        json!({
            "resource": matched.resource.path,
            "path": format!("/{}", path.trim_start_matches('/')),
            "httpMethod": req.method.as_str(),
            "headers": non_empty(json!(original_headers(req))),
            "multiValueHeaders": non_empty(multi_headers(req)),
            "queryStringParameters": non_empty(json!(query)),
            "multiValueQueryStringParameters": non_empty(multi_query(req)),
            "pathParameters": non_empty(json!(matched.path_params)),
            "stageVariables": non_empty(stage_variables.clone()),
            "requestContext": context.clone(),
            "body": if req.body.is_empty() { Value::Null } else { Value::String(body.clone()) },
            "isBase64Encoded": false,
        })
    };
    let incoming = integration::Incoming {
        content_type: &content_type,
        template: TemplateRequest {
            body: body.clone(),
            params: params.clone(),
            context: context.clone(),
            stage_variables: stage_variables.clone(),
        },
        proxy_event: &proxy_event,
    };
    let began = Instant::now();
    let region = ctx.config.region.clone();
    let answer = integration::call(gw, ctx, &region, integration, &incoming).await;
    *integration_ms = Some(began.elapsed().as_secs_f64() * 1000.0);
    answer
}

fn non_empty(v: Value) -> Value {
    match &v {
        Value::Object(o) if o.is_empty() => Value::Null,
        _ => v,
    }
}

fn header(req: &RestRequest, name: &str) -> Option<String> {
    req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Headers by lower-case name (last value wins), for validation.
fn headers(req: &RestRequest) -> BTreeMap<String, String> {
    req.headers.iter().filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))).collect()
}

/// Headers as the client named them, as far as HTTP/1.1 keeps case (hyper lower-cases them).
fn original_headers(req: &RestRequest) -> BTreeMap<String, String> {
    headers(req)
}

fn multi_headers(req: &RestRequest) -> Value {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &req.headers {
        if let Ok(v) = v.to_str() {
            out.entry(k.as_str().to_string()).or_default().push(v.to_string());
        }
    }
    json!(out)
}

fn query_params(req: &RestRequest) -> BTreeMap<String, String> {
    form_urlencoded::parse(req.uri.query().unwrap_or_default().as_bytes()).into_owned().collect()
}

fn multi_query(req: &RestRequest) -> Value {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(req.uri.query().unwrap_or_default().as_bytes()).into_owned() {
        out.entry(k).or_default().push(v);
    }
    json!(out)
}

/// `$context.requestTime`'s format: `29/Nov/2026:09:30:00 +0000`.
fn request_time(now_ms: u64) -> String {
    let t = time::OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(now_ms as i64);
    let format = time::macros::format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    t.format(format).unwrap_or_default()
}

/// The method's authorization: SigV4 for `execute-api` under `AWS_IAM`, unless `--no-auth`.
fn authorize(ctx: &CloudContext, req: &RestRequest, method: &Method) -> Result<(), Answer> {
    if method.authorization_type != "AWS_IAM" || !ctx.config.auth {
        return Ok(());
    }
    let auth = match Authorization::from_headers(&req.headers) {
        None => return Err(Answer::message(403, MISSING_TOKEN)),
        Some(Err(e)) => return Err(Answer::message(403, &e.message)),
        Some(Ok(a)) => a,
    };
    if auth.service != "execute-api" {
        return Err(Answer::message(403, "Credential should be scoped to correct service: 'execute-api'. "));
    }
    auth::verify(&ctx.credentials, &auth, &req.method, &req.uri, &req.headers, &req.body, SystemTime::now()).map_err(
        |e| {
            let message = match e.code.as_ref() {
                "InvalidSignatureException" if e.message.starts_with("The request signature") => {
                    SIGNATURE_MISMATCH.to_string()
                }
                "UnrecognizedClientException" => "The security token included in the request is invalid.".to_string(),
                _ => e.message,
            };
            Answer::message(403, &message)
        },
    )
}

/// The usage plan an API key brings to this stage.
pub struct PlanUse {
    pub plan_id: String,
    pub key_id: String,
    pub throttle: Option<super::model::Throttle>,
    pub quota: Option<super::model::Quota>,
    pub method_throttles: BTreeMap<String, super::model::Throttle>,
}

/// `Ok(None)` without a key; `Err(())` for a key that is unknown, disabled or in no plan of the stage.
fn usage_plan(gw: &Plane, api_id: &str, stage: &str, key: Option<&str>) -> Result<Option<PlanUse>, ()> {
    let Some(value) = key else { return Ok(None) };
    let data = gw.state.lock();
    let key = data.keys.values().find(|k| auth::secrets_equal(&k.value, value) && k.enabled).ok_or(())?;
    let (plan, api_stage) = data
        .plans
        .values()
        .filter(|p| p.keys.contains(&key.id))
        .find_map(|p| p.api_stages.iter().find(|s| s.api_id == api_id && s.stage == stage).map(|s| (p, s)))
        .ok_or(())?;
    Ok(Some(PlanUse {
        plan_id: plan.id.clone(),
        key_id: key.id.clone(),
        throttle: plan.throttle.clone(),
        quota: plan.quota.clone(),
        method_throttles: api_stage.throttle.clone(),
    }))
}

fn throttle(
    gw: &Plane,
    ctx: &CloudContext,
    api_id: &str,
    resolved: &Resolved,
    resource_path: &str,
    method: &Method,
    plan: Option<&PlanUse>,
) -> Result<(), Answer> {
    let now = ctx.clock.now_ms().max(0) as u64;
    let too_many = || Answer::message(429, "Too Many Requests");
    let settings = &ctx.config.apigateway;
    if ctx.config.limits
        && !gw.throttles.take("account", settings.account_rate_limit, settings.account_burst_limit, now)
    {
        return Err(too_many());
    }
    let stage = &resolved.stage;
    let specific = format!("{}/{}", resource_path.trim_start_matches('/'), method.http_method);
    let (key, setting) = match stage.method_settings.get(&specific) {
        Some(s) => (specific, Some(s)),
        None => ("*/*".to_string(), stage.method_settings.get("*/*")),
    };
    if let Some(s) = setting
        && !gw.throttles.take(
            &format!("stage/{api_id}/{}/{key}", stage.stage_name),
            s.throttling_rate_limit,
            s.throttling_burst_limit,
            now,
        )
    {
        return Err(too_many());
    }
    let Some(plan) = plan else { return Ok(()) };
    let method_key = format!("{resource_path}/{}", method.http_method);
    let plan_throttle = plan.method_throttles.get(&method_key).or(plan.throttle.as_ref());
    if let Some(t) = plan_throttle
        && !gw.throttles.take(&format!("plan/{}/{}", plan.plan_id, plan.key_id), t.rate_limit, t.burst_limit, now)
    {
        return Err(too_many());
    }
    if let Some(q) = &plan.quota {
        let period = super::throttle::period(&q.period, now);
        if !gw.throttles.count(&format!("quota/{}/{}", plan.plan_id, plan.key_id), q.limit, period) {
            return Err(Answer::message(429, "Limit Exceeded"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_name_api_stage_and_path() {
        assert_eq!(address("/_aws/execute-api/abc/prod/records"), Some(("abc", "prod", "records")));
        assert_eq!(address("/_aws/execute-api/abc/prod"), Some(("abc", "prod", "")));
        assert_eq!(address("/_aws/execute-api/abc/prod/a/b"), Some(("abc", "prod", "a/b")));
        assert_eq!(address("/_aws/execute-api/abc"), None);
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
    }
}
