//! Deployment and Stage operations. A deployment keeps a snapshot of the API's resources, models and
//! validators: a stage serves what was deployed, not what has been edited since, as on AWS.

use std::collections::BTreeMap;

use serde_json::json;

use super::apis::{read_api, update_api};
use super::model::{ApiDoc, Deployment, MethodSetting, Snapshot, Stage};
use super::op::{Op, Reply, Req, bad_request, conflict, new_id, not_found, page, to_json};
use super::patch::{self, PatchOp};
use crate::cloud::error::ApiError;

/// The method settings a stage starts from (the account's default throttle).
pub fn default_setting() -> MethodSetting {
    MethodSetting {
        metrics_enabled: false,
        logging_level: Some("OFF".into()),
        data_trace_enabled: false,
        throttling_burst_limit: 5000,
        throttling_rate_limit: 10000.0,
        caching_enabled: false,
        cache_ttl_in_seconds: 300,
        cache_data_encrypted: false,
        require_authorization_for_cache_control: true,
        unauthorized_cache_control_header_strategy: "SUCCEED_WITH_RESPONSE_HEADER".into(),
    }
}

fn no_stage(name: &str) -> ApiError {
    not_found(format!("Invalid Stage identifier specified {name}"))
}

fn no_deployment(id: &str) -> ApiError {
    not_found(format!("Invalid Deployment identifier specified {id}"))
}

fn check_stage_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(bad_request("Stage name only allows a-zA-Z0-9_")) }
}

fn new_stage(op: &Op<'_>, name: String, deployment_id: String, req: &Req, prefix: &str) -> Result<Stage, ApiError> {
    let key = |k: &str| {
        if prefix.is_empty() { k.to_string() } else { format!("{prefix}{}{}", k[..1].to_uppercase(), &k[1..]) }
    };
    Ok(Stage {
        deployment_id,
        stage_name: name,
        description: req.str(&key("description"))?,
        cache_cluster_enabled: req.bool("cacheClusterEnabled")?.unwrap_or(false),
        cache_cluster_status: "NOT_AVAILABLE".into(),
        method_settings: BTreeMap::new(),
        variables: req.member("variables")?.unwrap_or_default(),
        access_log_settings: None,
        tracing_enabled: req.bool("tracingEnabled")?.unwrap_or(false),
        tags: req.member("tags")?.unwrap_or_default(),
        created_date: op.now_s(),
        last_updated_date: op.now_s(),
    })
}

pub fn create_deployment(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let stage_name = req.str("stageName")?;
    if let Some(s) = &stage_name {
        check_stage_name(s)?;
    }
    update_api(op, req.seg(1), |d| {
        if d.resources.values().all(|r| r.resource_methods.is_empty()) {
            return Err(bad_request("The REST API doesn't contain any methods"));
        }
        for r in d.resources.values() {
            if r.resource_methods.values().any(|m| m.method_integration.is_none()) {
                return Err(bad_request("No integration defined for method"));
            }
        }
        let deployment = Deployment {
            id: new_id(6),
            description: req.str("description")?,
            created_date: op.now_s(),
            snapshot: Snapshot {
                resources: d.resources.clone(),
                models: d.models.clone(),
                validators: d.validators.clone(),
            },
        };
        if let Some(name) = stage_name {
            match d.stages.get_mut(&name) {
                Some(stage) => {
                    stage.deployment_id = deployment.id.clone();
                    stage.last_updated_date = op.now_s();
                }
                None => {
                    let stage = new_stage(op, name.clone(), deployment.id.clone(), req, "stage")?;
                    d.stages.insert(name, stage);
                }
            }
        }
        d.deployments.insert(deployment.id.clone(), deployment.clone());
        Reply::created(deployment.public())
    })
}

pub fn get_deployment(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3);
    read_api(op, req.seg(1), |d| Reply::ok(d.deployments.get(id).ok_or_else(|| no_deployment(id))?.public()))
}

pub fn get_deployments(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| page(req, d.deployments.iter().map(|(k, v)| (k.clone(), v.public())).collect()))
}

pub fn delete_deployment(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        if !d.deployments.contains_key(&id) {
            return Err(no_deployment(&id));
        }
        if d.stages.values().any(|s| s.deployment_id == id) {
            return Err(bad_request("Active stages pointing to this deployment must be moved or deleted"));
        }
        d.deployments.remove(&id);
        Reply::accepted()
    })
}

pub fn create_stage(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required("stageName")?;
    check_stage_name(&name)?;
    let deployment_id = req.required("deploymentId")?;
    let stage = new_stage(op, name.clone(), deployment_id.clone(), req, "")?;
    update_api(op, req.seg(1), |d| {
        if !d.deployments.contains_key(&deployment_id) {
            return Err(no_deployment(&deployment_id));
        }
        if d.stages.contains_key(&name) {
            return Err(conflict("Stage already exists"));
        }
        d.stages.insert(name, stage.clone());
        Reply::created(&stage)
    })
}

pub fn get_stage(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.seg(3);
    read_api(op, req.seg(1), |d| Reply::ok(d.stages.get(name).ok_or_else(|| no_stage(name))?))
}

pub fn get_stages(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| {
        let wanted = req.query.get("deploymentId");
        let item: Vec<&Stage> = d.stages.values().filter(|s| wanted.is_none_or(|w| *w == s.deployment_id)).collect();
        Reply::ok(json!({ "item": to_json(item)? }))
    })
}

/// A method-setting path (`/{resource path, ~1-escaped}/{method}/{group}/{name}`): its key in
/// `methodSettings` and the member it sets, or `None` for an ordinary member's path.
fn method_setting_path(op: &PatchOp) -> Option<(String, &'static str)> {
    let segs = op.segments();
    if segs.len() != 4 {
        return None;
    }
    let member = match (segs[2].as_str(), segs[3].as_str()) {
        ("throttling", "rateLimit") => "throttlingRateLimit",
        ("throttling", "burstLimit") => "throttlingBurstLimit",
        ("logging", "loglevel") => "loggingLevel",
        ("logging", "dataTrace") => "dataTraceEnabled",
        ("metrics", "enabled") => "metricsEnabled",
        ("caching", "enabled") => "cachingEnabled",
        ("caching", "ttlInSeconds") => "cacheTtlInSeconds",
        _ => return None,
    };
    Some((format!("{}/{}", segs[0].trim_start_matches('/'), segs[1]), member))
}

pub fn apply_stage_patch(stage: &mut Stage, ops: &[PatchOp]) -> Result<(), ApiError> {
    let mut plain = Vec::new();
    for op in ops {
        let Some((key, member)) = method_setting_path(op) else {
            plain.push(op.clone());
            continue;
        };
        let setting = stage.method_settings.entry(key.clone()).or_insert_with(default_setting);
        let mut v = to_json(&*setting)?;
        let inner = PatchOp { op: op.op.clone(), path: format!("/{member}"), value: op.value.clone() };
        patch::apply(&mut v, &[inner], &[member])?;
        if op.op == "remove" {
            stage.method_settings.remove(&key);
            continue;
        }
        *setting = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
    }
    let mut v = to_json(&*stage)?;
    patch::apply(
        &mut v,
        &plain,
        &["description", "deploymentId", "tracingEnabled", "cacheClusterEnabled", "variables/*", "accessLogSettings/*"],
    )?;
    *stage = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
    Ok(())
}

pub fn update_stage(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    let name = req.seg(3).to_string();
    update_api(op, req.seg(1), |d: &mut ApiDoc| {
        let mut stage = d.stages.get(&name).cloned().ok_or_else(|| no_stage(&name))?;
        apply_stage_patch(&mut stage, &ops)?;
        if !d.deployments.contains_key(&stage.deployment_id) {
            return Err(no_deployment(&stage.deployment_id));
        }
        stage.last_updated_date = op.now_s();
        d.stages.insert(name.clone(), stage.clone());
        Reply::ok(&stage)
    })
}

pub fn delete_stage(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        d.stages.remove(&name).ok_or_else(|| no_stage(&name))?;
        Reply::accepted()
    })
}
