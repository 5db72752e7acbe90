//! An application's configuration: CreateApplication's `ApplicationConfiguration` turned into the
//! `ApplicationConfigurationDescription` the API describes (with AWS's DEFAULT values filled in), and
//! UpdateApplication's `ApplicationConfigurationUpdate` applied to it. The code location is recorded,
//! never fetched: which job runs is the application's `kinesis-console:builtin` tag.

use serde_json::{Map, Value, json};

use super::op::invalid_argument;
use crate::cloud::error::ApiError;

/// The values Managed Flink uses when a configuration's type is DEFAULT.
const DEFAULT_CHECKPOINT_INTERVAL_MS: i64 = 60_000;
const DEFAULT_MIN_PAUSE_MS: i64 = 5_000;
/// Environment property groups per application (AWS's quota is 50).
const MAX_PROPERTY_GROUPS: usize = 50;

pub fn describe(config: Option<&Value>) -> Result<Value, ApiError> {
    let empty = Value::Object(Map::new());
    let config = config.unwrap_or(&empty);
    let flink = &config["FlinkApplicationConfiguration"];
    Ok(json!({
        "ApplicationCodeConfigurationDescription": code(&config["ApplicationCodeConfiguration"])?,
        "FlinkApplicationConfigurationDescription": {
            "CheckpointConfigurationDescription": checkpoint(&flink["CheckpointConfiguration"])?,
            "MonitoringConfigurationDescription": monitoring(&flink["MonitoringConfiguration"])?,
            "ParallelismConfigurationDescription": parallelism(&flink["ParallelismConfiguration"])?,
        },
        "EnvironmentPropertyDescriptions": { "PropertyGroupDescriptions": property_groups(&config["EnvironmentProperties"]["PropertyGroups"])? },
        "ApplicationSnapshotConfigurationDescription": {
            "SnapshotsEnabled": config["ApplicationSnapshotConfiguration"]["SnapshotsEnabled"].as_bool().unwrap_or(false),
        },
        "ApplicationSystemRollbackConfigurationDescription": {
            "RollbackEnabled": config["ApplicationSystemRollbackConfiguration"]["RollbackEnabled"].as_bool().unwrap_or(false),
        },
        "VpcConfigurationDescriptions": vpcs(&config["VpcConfigurations"]),
    }))
}

fn code(c: &Value) -> Result<Value, ApiError> {
    if c.is_null() {
        return Ok(Value::Null);
    }
    let content_type = c["CodeContentType"].as_str().unwrap_or_default();
    if !matches!(content_type, "PLAINTEXT" | "ZIPFILE") {
        return Err(invalid_argument(format!(
            "1 validation error detected: Value '{content_type}' at 'applicationConfiguration.applicationCodeConfiguration.codeContentType' failed to satisfy constraint: Member must satisfy enum value set: [PLAINTEXT, ZIPFILE]"
        )));
    }
    let content = &c["CodeContent"];
    let mut description = Map::new();
    if let Some(text) = content["TextContent"].as_str() {
        description.insert("TextContent".into(), text.into());
    }
    if let Some(zip) = content["ZipFileContent"].as_str() {
        use md5::Digest as _;
        description.insert("CodeMD5".into(), hex::encode(md5::Md5::digest(zip.as_bytes())).into());
        description.insert("CodeSize".into(), (zip.len() as u64 * 3 / 4).into());
    }
    let s3 = &content["S3ContentLocation"];
    if !s3.is_null() {
        let bucket = s3["BucketARN"].as_str().unwrap_or_default();
        let key = s3["FileKey"].as_str().unwrap_or_default();
        if !bucket.starts_with("arn:") || key.is_empty() {
            return Err(invalid_argument("S3ContentLocation needs a BucketARN (arn:…:s3:::bucket) and a FileKey"));
        }
        let mut loc = json!({ "BucketARN": bucket, "FileKey": key });
        if let Some(v) = s3["ObjectVersion"].as_str() {
            loc["ObjectVersion"] = v.into();
        }
        description.insert("S3ApplicationCodeLocationDescription".into(), loc);
    }
    Ok(json!({ "CodeContentType": content_type, "CodeContentDescription": description }))
}

fn configuration_type(c: &Value, what: &str) -> Result<bool, ApiError> {
    match c["ConfigurationType"].as_str() {
        None if c.is_null() => Ok(false),
        Some("DEFAULT") => Ok(false),
        Some("CUSTOM") => Ok(true),
        other => Err(invalid_argument(format!(
            "{what}.ConfigurationType must be DEFAULT or CUSTOM, not {}",
            other.unwrap_or("null")
        ))),
    }
}

fn checkpoint(c: &Value) -> Result<Value, ApiError> {
    let custom = configuration_type(c, "CheckpointConfiguration")?;
    let pick = |member: &str, default: Value| {
        if custom { c.get(member).cloned().filter(|v| !v.is_null()).unwrap_or(default) } else { default }
    };
    let interval = pick("CheckpointInterval", DEFAULT_CHECKPOINT_INTERVAL_MS.into());
    if interval.as_i64().is_none_or(|i| i < 1) {
        return Err(invalid_argument("CheckpointInterval must be at least 1 millisecond"));
    }
    Ok(json!({
        "ConfigurationType": if custom { "CUSTOM" } else { "DEFAULT" },
        "CheckpointingEnabled": pick("CheckpointingEnabled", true.into()),
        "CheckpointInterval": interval,
        "MinPauseBetweenCheckpoints": pick("MinPauseBetweenCheckpoints", DEFAULT_MIN_PAUSE_MS.into()),
    }))
}

fn monitoring(c: &Value) -> Result<Value, ApiError> {
    let custom = configuration_type(c, "MonitoringConfiguration")?;
    let metrics = if custom { c["MetricsLevel"].as_str().unwrap_or("APPLICATION") } else { "APPLICATION" };
    let log = if custom { c["LogLevel"].as_str().unwrap_or("INFO") } else { "INFO" };
    if !matches!(metrics, "APPLICATION" | "TASK" | "OPERATOR" | "PARALLELISM") {
        return Err(invalid_argument(format!(
            "MetricsLevel {metrics} is not one of APPLICATION, TASK, OPERATOR, PARALLELISM"
        )));
    }
    if !matches!(log, "INFO" | "WARN" | "ERROR" | "DEBUG") {
        return Err(invalid_argument(format!("LogLevel {log} is not one of INFO, WARN, ERROR, DEBUG")));
    }
    Ok(
        json!({ "ConfigurationType": if custom { "CUSTOM" } else { "DEFAULT" }, "MetricsLevel": metrics, "LogLevel": log }),
    )
}

fn parallelism(c: &Value) -> Result<Value, ApiError> {
    let custom = configuration_type(c, "ParallelismConfiguration")?;
    let int = |member: &str| if custom { c[member].as_i64().unwrap_or(1) } else { 1 };
    let (p, per_kpu) = (int("Parallelism"), int("ParallelismPerKPU"));
    if p < 1 || per_kpu < 1 {
        return Err(invalid_argument("Parallelism and ParallelismPerKPU must be at least 1"));
    }
    let auto = if custom { c["AutoScalingEnabled"].as_bool().unwrap_or(false) } else { true };
    Ok(json!({
        "ConfigurationType": if custom { "CUSTOM" } else { "DEFAULT" },
        "Parallelism": p,
        "ParallelismPerKPU": per_kpu,
        "CurrentParallelism": p,
        "AutoScalingEnabled": auto,
    }))
}

fn property_groups(groups: &Value) -> Result<Value, ApiError> {
    let Some(list) = groups.as_array() else { return Ok(json!([])) };
    if list.len() > MAX_PROPERTY_GROUPS {
        return Err(invalid_argument(format!(
            "At most {MAX_PROPERTY_GROUPS} property groups are allowed, {} given",
            list.len()
        )));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for g in list {
        let id = g["PropertyGroupId"].as_str().unwrap_or_default();
        if id.is_empty() || id.len() > 50 {
            return Err(invalid_argument("PropertyGroupId must have length between 1 and 50"));
        }
        if !seen.insert(id) {
            return Err(invalid_argument(format!("Property group {id} is given twice")));
        }
        let map = g["PropertyMap"].as_object().cloned().unwrap_or_default();
        if let Some((k, _)) = map.iter().find(|(_, v)| !v.is_string()) {
            return Err(invalid_argument(format!("Property {k} of group {id} must be a string")));
        }
        out.push(json!({ "PropertyGroupId": id, "PropertyMap": map }));
    }
    Ok(Value::Array(out))
}

fn vpcs(v: &Value) -> Value {
    let list = v.as_array().cloned().unwrap_or_default();
    Value::Array(
        list.into_iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "VpcConfigurationId": format!("{}.1", i + 1),
                    "VpcId": "vpc-00000000",
                    "SubnetIds": c["SubnetIds"],
                    "SecurityGroupIds": c["SecurityGroupIds"],
                })
            })
            .collect(),
    )
}

/// Applies UpdateApplication's `ApplicationConfigurationUpdate` to a description: the code, the Flink
/// configuration (checkpoints, monitoring, parallelism), the property groups (replaced whole, as
/// AWS does) and the snapshot switch.
pub fn update(current: &Value, update: &Value) -> Result<Value, ApiError> {
    let mut next = current.clone();
    if let Some(code_update) = update.get("ApplicationCodeConfigurationUpdate").filter(|v| !v.is_null()) {
        let content = &code_update["CodeContentUpdate"];
        let mut as_config = json!({
            "CodeContentType": code_update["CodeContentTypeUpdate"].as_str()
                .or(current["ApplicationCodeConfigurationDescription"]["CodeContentType"].as_str())
                .unwrap_or("ZIPFILE"),
            "CodeContent": {},
        });
        if let Some(t) = content["TextContentUpdate"].as_str() {
            as_config["CodeContent"]["TextContent"] = t.into();
        }
        if let Some(z) = content["ZipFileContentUpdate"].as_str() {
            as_config["CodeContent"]["ZipFileContent"] = z.into();
        }
        let s3 = &content["S3ContentLocationUpdate"];
        if !s3.is_null() {
            let old = &current["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]["S3ApplicationCodeLocationDescription"];
            as_config["CodeContent"]["S3ContentLocation"] = json!({
                "BucketARN": s3["BucketARNUpdate"].as_str().or(old["BucketARN"].as_str()),
                "FileKey": s3["FileKeyUpdate"].as_str().or(old["FileKey"].as_str()),
            });
            if let Some(v) = s3["ObjectVersionUpdate"].as_str() {
                as_config["CodeContent"]["S3ContentLocation"]["ObjectVersion"] = v.into();
            }
        }
        next["ApplicationCodeConfigurationDescription"] = code(&as_config)?;
    }
    let flink = &update["FlinkApplicationConfigurationUpdate"];
    let desc = "FlinkApplicationConfigurationDescription";
    if let Some(u) = flink.get("CheckpointConfigurationUpdate").filter(|v| !v.is_null()) {
        let merged = merge(&next[desc]["CheckpointConfigurationDescription"], u);
        next[desc]["CheckpointConfigurationDescription"] = checkpoint(&merged)?;
    }
    if let Some(u) = flink.get("MonitoringConfigurationUpdate").filter(|v| !v.is_null()) {
        let merged = merge(&next[desc]["MonitoringConfigurationDescription"], u);
        next[desc]["MonitoringConfigurationDescription"] = monitoring(&merged)?;
    }
    if let Some(u) = flink.get("ParallelismConfigurationUpdate").filter(|v| !v.is_null()) {
        let merged = merge(&next[desc]["ParallelismConfigurationDescription"], u);
        next[desc]["ParallelismConfigurationDescription"] = parallelism(&merged)?;
    }
    if let Some(u) = update.get("EnvironmentPropertyUpdates").filter(|v| !v.is_null()) {
        next["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"] = property_groups(&u["PropertyGroups"])?;
    }
    if let Some(b) = update["ApplicationSnapshotConfigurationUpdate"]["SnapshotsEnabledUpdate"].as_bool() {
        next["ApplicationSnapshotConfigurationDescription"]["SnapshotsEnabled"] = b.into();
    }
    if let Some(b) = update["ApplicationSystemRollbackConfigurationUpdate"]["RollbackEnabledUpdate"].as_bool() {
        next["ApplicationSystemRollbackConfigurationDescription"]["RollbackEnabled"] = b.into();
    }
    Ok(next)
}

/// A described configuration with an `…Update` structure's members laid over it (`XUpdate` sets `X`).
fn merge(described: &Value, update: &Value) -> Value {
    let mut out = described.clone();
    if let (Some(o), Some(u)) = (out.as_object_mut(), update.as_object()) {
        for (k, v) in u {
            if v.is_null() {
                continue;
            }
            o.insert(k.strip_suffix("Update").unwrap_or(k).to_string(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_an_empty_configuration_and_custom_values_are_kept() {
        let d = describe(None).unwrap();
        let f = &d["FlinkApplicationConfigurationDescription"];
        assert_eq!(f["CheckpointConfigurationDescription"]["CheckpointInterval"], 60_000);
        assert_eq!(f["MonitoringConfigurationDescription"]["LogLevel"], "INFO");
        let custom = json!({"FlinkApplicationConfiguration": {"ParallelismConfiguration": {"ConfigurationType": "CUSTOM", "Parallelism": 4, "AutoScalingEnabled": false}}});
        let d = describe(Some(&custom)).unwrap();
        assert_eq!(
            d["FlinkApplicationConfigurationDescription"]["ParallelismConfigurationDescription"]["Parallelism"],
            4
        );
    }

    #[test]
    fn an_update_changes_parallelism_and_replaces_the_property_groups() {
        let base =
            json!({"EnvironmentProperties": {"PropertyGroups": [{"PropertyGroupId": "A", "PropertyMap": {"k": "1"}}]}});
        let d = describe(Some(&base)).unwrap();
        let u = json!({
            "FlinkApplicationConfigurationUpdate": {"ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 3}},
            "EnvironmentPropertyUpdates": {"PropertyGroups": [{"PropertyGroupId": "B", "PropertyMap": {"x": "y"}}]},
        });
        let n = update(&d, &u).unwrap();
        assert_eq!(
            n["FlinkApplicationConfigurationDescription"]["ParallelismConfigurationDescription"]["Parallelism"],
            3
        );
        assert_eq!(n["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"][0]["PropertyGroupId"], "B");
        let bad = json!({"FlinkApplicationConfigurationUpdate": {"ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 0}}});
        assert_eq!(update(&d, &bad).unwrap_err().code, "InvalidArgumentException");
    }
}
