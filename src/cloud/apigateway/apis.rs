//! RestApi and Resource operations, the account settings and tags.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::{Account, ApiDoc, EndpointConfiguration, Resource, RestApi};
use super::op::{Op, Reply, Req, bad_request, conflict, new_id, not_found, page, to_json};
use super::patch;
use super::state::Put;
use crate::cloud::error::ApiError;

/// Runs `f` on a copy of the API's document and stores the result: built, persisted, published.
pub fn update_api<R>(
    op: &Op<'_>,
    api_id: &str,
    f: impl FnOnce(&mut ApiDoc) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let mut data = op.state.lock();
    let mut doc = data.apis.get(api_id).cloned().ok_or_else(|| no_api(api_id))?;
    let out = f(&mut doc)?;
    op.state.apply(&mut data, vec![Put::Api(doc)])?;
    Ok(out)
}

pub fn read_api<R>(op: &Op<'_>, api_id: &str, f: impl FnOnce(&ApiDoc) -> Result<R, ApiError>) -> Result<R, ApiError> {
    let data = op.state.lock();
    f(data.apis.get(api_id).ok_or_else(|| no_api(api_id))?)
}

pub fn no_api(id: &str) -> ApiError {
    not_found(format!("Invalid API identifier specified {}:{id}", crate::cloud::context::LOCAL_ACCOUNT_ID))
}

pub fn create_rest_api(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required("name")?;
    let types = req
        .member::<EndpointConfiguration>("endpointConfiguration")?
        .map(|e| e.types)
        .unwrap_or_else(|| vec!["EDGE".into()]);
    if let Some(bad) = types.iter().find(|t| !["EDGE", "REGIONAL", "PRIVATE"].contains(&t.as_str())) {
        return Err(bad_request(format!("Invalid endpoint configuration type {bad}")));
    }
    let api_key_source = req.str("apiKeySource")?.unwrap_or_else(|| "HEADER".into());
    if !["HEADER", "AUTHORIZER"].contains(&api_key_source.as_str()) {
        return Err(bad_request(format!("Invalid apiKeySource {api_key_source}")));
    }
    let mut data = op.state.lock();
    let id = loop {
        let id = new_id(10);
        if !data.apis.contains_key(&id) {
            break id;
        }
    };
    let root = Resource { id: new_id(10), path: "/".into(), ..Resource::default() };
    let api = RestApi {
        id: id.clone(),
        name,
        description: req.str("description")?,
        created_date: op.now_s(),
        version: req.str("version")?,
        binary_media_types: req.member("binaryMediaTypes")?.unwrap_or_default(),
        api_key_source,
        endpoint_configuration: EndpointConfiguration { types },
        tags: req.member("tags")?.unwrap_or_default(),
        disable_execute_api_endpoint: req.bool("disableExecuteApiEndpoint")?.unwrap_or(false),
        root_resource_id: root.id.clone(),
    };
    let doc = ApiDoc { api: api.clone(), resources: BTreeMap::from([(root.id.clone(), root)]), ..ApiDoc::default() };
    op.state.apply(&mut data, vec![Put::Api(doc)])?;
    Reply::created(api)
}

pub fn get_rest_api(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| Reply::ok(&d.api))
}

pub fn get_rest_apis(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    page(req, data.apis.iter().map(|(id, d)| (id.clone(), d.api.clone())).collect())
}

pub fn update_rest_api(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    update_api(op, req.seg(1), |d| {
        let mut v = to_json(&d.api)?;
        patch::apply(&mut v, &ops, &["name", "description", "version", "apiKeySource", "disableExecuteApiEndpoint"])?;
        d.api = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
        Reply::ok(&d.api)
    })
}

pub fn delete_rest_api(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(1).to_string();
    let mut data = op.state.lock();
    if !data.apis.contains_key(&id) {
        return Err(no_api(&id));
    }
    // Usage plans lose their stages of the API, as AWS detaches them.
    let mut puts = vec![Put::RemoveApi(id.clone())];
    for plan in data.plans.values() {
        if plan.api_stages.iter().any(|s| s.api_id == id) {
            let mut p = plan.clone();
            p.api_stages.retain(|s| s.api_id != id);
            puts.push(Put::Plan(p));
        }
    }
    op.state.apply(&mut data, puts)?;
    Reply::accepted()
}

fn no_resource(id: &str) -> ApiError {
    not_found(format!("Invalid Resource identifier specified {id}"))
}

/// AWS's rule for a path part: letters, digits and `-._~:@!$&'()*+,;=`, or one `{name}` / `{name+}`.
fn valid_path_part(p: &str) -> bool {
    if let Some(inner) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let name = inner.strip_suffix('+').unwrap_or(inner);
        return !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    }
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&b))
}

pub fn create_resource(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let parent_id = req.seg(3).to_string();
    let part = req.required("pathPart")?;
    if !valid_path_part(&part) {
        return Err(bad_request(format!(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace. ({part})"
        )));
    }
    update_api(op, req.seg(1), |d| {
        let parent = d.resources.get(&parent_id).ok_or_else(|| no_resource(&parent_id))?;
        if parent.path_part.as_deref().is_some_and(|p| p.ends_with("+}")) {
            return Err(bad_request("A resource cannot be created under a greedy path variable"));
        }
        let path = if parent.path == "/" { format!("/{part}") } else { format!("{}/{part}", parent.path) };
        let siblings = d.resources.values().filter(|r| r.parent_id.as_deref() == Some(&parent_id));
        for s in siblings {
            if s.path_part.as_deref() == Some(&part) {
                return Err(conflict(format!("Another resource with the same parent already has this name: {part}")));
            }
            if part.starts_with('{') && s.path_part.as_deref().is_some_and(|p| p.starts_with('{')) {
                return Err(bad_request(format!(
                    "A sibling ({}) of this resource already has a variable path part -- only one is allowed",
                    s.path_part.as_deref().unwrap_or_default()
                )));
            }
        }
        let id = new_id(6);
        let r = Resource {
            id: id.clone(),
            parent_id: Some(parent_id.clone()),
            path_part: Some(part),
            path,
            ..Resource::default()
        };
        d.resources.insert(id, r.clone());
        Reply::created(r)
    })
}

pub fn get_resource(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3);
    read_api(op, req.seg(1), |d| Reply::ok(d.resources.get(id).ok_or_else(|| no_resource(id))?))
}

pub fn get_resources(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| page(req, d.resources.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
}

pub fn delete_resource(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        let r = d.resources.get(&id).ok_or_else(|| no_resource(&id))?;
        if r.parent_id.is_none() {
            return Err(bad_request("Cannot delete root resource"));
        }
        // The resource and everything under it.
        let prefix = format!("{}/", r.path);
        let doomed: Vec<String> =
            d.resources.values().filter(|x| x.id == id || x.path.starts_with(&prefix)).map(|x| x.id.clone()).collect();
        for x in doomed {
            d.resources.remove(&x);
        }
        Reply::accepted()
    })
}

pub fn get_account(op: &Op<'_>, _req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    Reply::ok(account_json(&data.account))
}

fn account_json(a: &Account) -> Value {
    let mut v = json!({
        "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
        "features": ["UsagePlans"],
        "apiKeyVersion": "4",
    });
    if let Some(arn) = &a.cloudwatch_role_arn {
        v["cloudwatchRoleArn"] = Value::String(arn.clone());
    }
    v
}

pub fn update_account(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    let mut data = op.state.lock();
    let mut v = to_json(&data.account)?;
    patch::apply(&mut v, &ops, &["cloudwatchRoleArn"])?;
    let account: Account = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
    if let Some(arn) = &account.cloudwatch_role_arn
        && !arn.is_empty()
        && !arn.starts_with("arn:")
    {
        return Err(bad_request(format!("The role ARN is not well formed: {arn}")));
    }
    op.state.apply(&mut data, vec![Put::Account(account.clone())])?;
    Reply::ok(account_json(&account))
}

/// `/tags/{arn}`: the tags of a REST API or a stage, by ARN.
pub fn tags(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let arn = req.seg(1).to_string();
    let rest =
        arn.split_once(":/restapis/").map(|(_, r)| r).ok_or_else(|| bad_request(format!("Invalid ARN {arn}")))?;
    let (api_id, stage) = match rest.split_once("/stages/") {
        Some((a, s)) => (a.to_string(), Some(s.to_string())),
        None => (rest.to_string(), None),
    };
    let add: BTreeMap<String, String> = req.member("tags")?.unwrap_or_default();
    let remove: Vec<String> =
        req.query.get("tagKeys").map(|k| k.split(',').map(str::to_string).collect()).unwrap_or_default();
    let method = req.method.clone();
    let change = |tags: &mut BTreeMap<String, String>| {
        if method == http::Method::PUT {
            tags.extend(add.clone());
        } else if method == http::Method::DELETE {
            tags.retain(|k, _| !remove.contains(k));
        }
        tags.clone()
    };
    let tags = update_api(op, &api_id, |d| match &stage {
        Some(s) => d
            .stages
            .get_mut(s)
            .map(|st| change(&mut st.tags))
            .ok_or_else(|| not_found(format!("Invalid Stage identifier specified {s}"))),
        None => Ok(change(&mut d.api.tags)),
    })?;
    match req.method {
        http::Method::GET => Reply::ok(json!({ "tags": tags })),
        _ => Reply::no_content(),
    }
}
