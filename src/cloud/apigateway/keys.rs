//! ApiKey, UsagePlan and UsagePlanKey operations. A key's value is answered only when asked for
//! (`includeValue` on GetApiKey, `includeValues` on GetApiKeys), as AWS does.

use serde_json::{Value, json};

use super::model::{ApiKey, ApiStage, Quota, Throttle, UsagePlan};
use super::op::{Op, Reply, Req, bad_request, conflict, new_id, not_found, page, to_json};
use super::patch;
use super::state::Put;
use crate::cloud::error::ApiError;

fn no_key(id: &str) -> ApiError {
    not_found(format!("Invalid API Key identifier specified {}:{id}", crate::cloud::context::LOCAL_ACCOUNT_ID))
}

fn no_plan(id: &str) -> ApiError {
    not_found(format!("Invalid Usage Plan ID specified {id}"))
}

fn key_json(k: &ApiKey, with_value: bool) -> Result<Value, ApiError> {
    let mut v = to_json(k)?;
    if !with_value && let Value::Object(o) = &mut v {
        o.remove("value");
    }
    Ok(v)
}

pub fn create_api_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let value = match req.str("value")? {
        Some(v) if v.len() < 20 || v.len() > 128 => {
            return Err(bad_request("API Key value should be at least 20 characters and at most 128 characters"));
        }
        Some(v) => v,
        None => (0..40).map(|_| fastrand::alphanumeric()).collect(),
    };
    let mut data = op.state.lock();
    if data.keys.values().any(|k| k.value == value) {
        return Err(conflict("API Key already exists"));
    }
    let id = new_id(10);
    let key = ApiKey {
        id: id.clone(),
        value,
        name: req.str("name")?.unwrap_or_else(|| id.clone()),
        customer_id: req.str("customerId")?,
        description: req.str("description")?,
        enabled: req.bool("enabled")?.unwrap_or(false),
        created_date: op.now_s(),
        last_updated_date: op.now_s(),
        stage_keys: Vec::new(),
        tags: req.member("tags")?.unwrap_or_default(),
    };
    op.state.apply(&mut data, vec![Put::Key(key.clone())])?;
    Reply::created(key_json(&key, true)?)
}

pub fn get_api_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    let key = data.keys.get(req.seg(1)).ok_or_else(|| no_key(req.seg(1)))?;
    Reply::ok(key_json(key, req.query_flag("includeValue"))?)
}

pub fn get_api_keys(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    let with_values = req.query_flag("includeValues");
    let name = req.query.get("name");
    let items = data
        .keys
        .values()
        .filter(|k| name.is_none_or(|n| k.name.starts_with(n.as_str())))
        .map(|k| Ok((k.id.clone(), key_json(k, with_values)?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    page(req, items)
}

pub fn update_api_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    let mut data = op.state.lock();
    let key = data.keys.get(req.seg(1)).ok_or_else(|| no_key(req.seg(1)))?;
    let mut v = to_json(key)?;
    patch::apply(&mut v, &ops, &["name", "description", "enabled", "customerId"])?;
    let mut key: ApiKey = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
    key.last_updated_date = op.now_s();
    op.state.apply(&mut data, vec![Put::Key(key.clone())])?;
    Reply::ok(key_json(&key, false)?)
}

pub fn delete_api_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(1).to_string();
    let mut data = op.state.lock();
    if !data.keys.contains_key(&id) {
        return Err(no_key(&id));
    }
    let mut puts = vec![Put::RemoveKey(id.clone())];
    for plan in data.plans.values().filter(|p| p.keys.contains(&id)) {
        let mut p = plan.clone();
        p.keys.retain(|k| *k != id);
        puts.push(Put::Plan(p));
    }
    op.state.apply(&mut data, puts)?;
    Reply::accepted()
}

fn check_plan(
    data: &super::state::Data,
    stages: &[ApiStage],
    throttle: &Option<Throttle>,
    quota: &Option<Quota>,
) -> Result<(), ApiError> {
    for s in stages {
        let api = data
            .apis
            .get(&s.api_id)
            .ok_or_else(|| bad_request(format!("Invalid API identifier specified {}", s.api_id)))?;
        if !api.stages.contains_key(&s.stage) {
            return Err(bad_request(format!("Invalid stage identifier specified {}", s.stage)));
        }
    }
    if let Some(t) = throttle
        && (t.rate_limit < 0.0 || t.burst_limit < 0)
    {
        return Err(bad_request("Throttle rate and burst limits must not be negative"));
    }
    if let Some(q) = quota {
        if !["DAY", "WEEK", "MONTH"].contains(&q.period.as_str()) {
            return Err(bad_request(format!("Invalid quota period {}; valid values are DAY, WEEK, MONTH", q.period)));
        }
        if q.limit < 0 {
            return Err(bad_request("Quota limit must not be negative"));
        }
    }
    Ok(())
}

pub fn create_usage_plan(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let plan = UsagePlan {
        id: new_id(6),
        name: req.required("name")?,
        description: req.str("description")?,
        api_stages: req.member("apiStages")?.unwrap_or_default(),
        throttle: req.member("throttle")?,
        quota: req.member("quota")?,
        tags: req.member("tags")?.unwrap_or_default(),
        keys: Vec::new(),
    };
    let mut data = op.state.lock();
    check_plan(&data, &plan.api_stages, &plan.throttle, &plan.quota)?;
    op.state.apply(&mut data, vec![Put::Plan(plan.clone())])?;
    Reply::created(plan.public())
}

pub fn get_usage_plan(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    Reply::ok(data.plans.get(req.seg(1)).ok_or_else(|| no_plan(req.seg(1)))?.public())
}

pub fn get_usage_plans(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    let key = req.query.get("keyId");
    page(
        req,
        data.plans
            .values()
            .filter(|p| key.is_none_or(|k| p.keys.contains(k)))
            .map(|p| (p.id.clone(), p.public()))
            .collect(),
    )
}

/// Patch paths of a usage plan: `/name`, `/description`, `/throttle/*`, `/quota/*`, and `add` /
/// `remove` of `/apiStages` with the value `{api}:{stage}`.
pub fn update_usage_plan(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    let mut data = op.state.lock();
    let mut plan = data.plans.get(req.seg(1)).cloned().ok_or_else(|| no_plan(req.seg(1)))?;
    let (stage_ops, plain): (Vec<_>, Vec<_>) = ops.into_iter().partition(|o| o.path == "/apiStages");
    for o in stage_ops {
        let value = o.value.clone().unwrap_or_default();
        let (api_id, stage) = value
            .split_once(':')
            .ok_or_else(|| bad_request(format!("Invalid API stage {value}; expected apiId:stage")))?;
        match o.op.as_str() {
            "add" => {
                plan.api_stages.push(ApiStage { api_id: api_id.into(), stage: stage.into(), ..ApiStage::default() })
            }
            "remove" => plan.api_stages.retain(|s| !(s.api_id == api_id && s.stage == stage)),
            other => return Err(bad_request(format!("Invalid patch operation {other} for /apiStages"))),
        }
    }
    if plain.iter().any(|o| o.path.starts_with("/throttle/")) && plan.throttle.is_none() {
        plan.throttle = Some(Throttle::default());
    }
    if plain.iter().any(|o| o.path.starts_with("/quota/")) && plan.quota.is_none() {
        plan.quota = Some(Quota { period: "DAY".into(), ..Quota::default() });
    }
    let keys = std::mem::take(&mut plan.keys);
    let mut v = to_json(&plan)?;
    patch::apply(&mut v, &plain, &["name", "description", "throttle/*", "quota/*", "throttle", "quota"])?;
    let mut plan: UsagePlan =
        serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
    plan.keys = keys;
    check_plan(&data, &plan.api_stages, &plan.throttle, &plan.quota)?;
    op.state.apply(&mut data, vec![Put::Plan(plan.clone())])?;
    Reply::ok(plan.public())
}

pub fn delete_usage_plan(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(1).to_string();
    let mut data = op.state.lock();
    if !data.plans.contains_key(&id) {
        return Err(no_plan(&id));
    }
    op.state.apply(&mut data, vec![Put::RemovePlan(id)])?;
    Reply::accepted()
}

fn plan_key_json(k: &ApiKey) -> Value {
    json!({"id": k.id, "type": "API_KEY", "value": k.value, "name": k.name})
}

pub fn create_usage_plan_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let key_id = req.required("keyId")?;
    let key_type = req.required("keyType")?;
    if key_type != "API_KEY" {
        return Err(bad_request(format!("Invalid key type {key_type}; the only key type is API_KEY")));
    }
    let mut data = op.state.lock();
    let key = data.keys.get(&key_id).ok_or_else(|| no_key(&key_id))?.clone();
    let mut plan = data.plans.get(req.seg(1)).cloned().ok_or_else(|| no_plan(req.seg(1)))?;
    if plan.keys.contains(&key_id) {
        return Err(conflict(format!(
            "Usage Plan {} cannot be added because API Key {key_id} cannot reference the same API Stage more than once",
            plan.id
        )));
    }
    plan.keys.push(key_id);
    op.state.apply(&mut data, vec![Put::Plan(plan)])?;
    Reply::created(plan_key_json(&key))
}

pub fn get_usage_plan_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    let plan = data.plans.get(req.seg(1)).ok_or_else(|| no_plan(req.seg(1)))?;
    let id = req.seg(3);
    let key = plan.keys.iter().find(|k| *k == id).and_then(|k| data.keys.get(k)).ok_or_else(|| no_key(id))?;
    Reply::ok(plan_key_json(key))
}

pub fn get_usage_plan_keys(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let data = op.state.lock();
    let plan = data.plans.get(req.seg(1)).ok_or_else(|| no_plan(req.seg(1)))?;
    page(req, plan.keys.iter().filter_map(|k| data.keys.get(k)).map(|k| (k.id.clone(), plan_key_json(k))).collect())
}

pub fn delete_usage_plan_key(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let mut data = op.state.lock();
    let mut plan = data.plans.get(req.seg(1)).cloned().ok_or_else(|| no_plan(req.seg(1)))?;
    let id = req.seg(3).to_string();
    if !plan.keys.contains(&id) {
        return Err(no_key(&id));
    }
    plan.keys.retain(|k| *k != id);
    op.state.apply(&mut data, vec![Put::Plan(plan)])?;
    Reply::accepted()
}
