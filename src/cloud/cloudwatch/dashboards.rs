//! Dashboards: PutDashboard (with CloudWatch's body validation), GetDashboard, ListDashboards,
//! DeleteDashboards. Kept in `<data_dir>/cloudwatch/dashboards.json`, replaced durably on every
//! change; a change is written before it is made in memory, so a failed write changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::alarms::model::Tag;
use super::alarms::put::check_tags;
use super::get_metric_data::epoch_seconds;
use super::storage::{faults, quarantine};
use crate::cloud::damage::Damage;
use crate::cloud::error::ApiError;
use crate::cloud::files::write_atomic;

const WIDGET_TYPES: [&str; 6] = ["metric", "text", "alarm", "log", "explorer", "custom"];
const VIEWS: [&str; 6] = ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Dashboard {
    body: String,
    last_modified_ms: i64,
    #[serde(default)]
    tags: Vec<Tag>,
}

type All = BTreeMap<String, Dashboard>;

pub struct Dashboards {
    path: PathBuf,
    all: Mutex<All>,
    /// Dashboards at most (CloudWatch's own settings).
    max_dashboards: usize,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutInput {
    pub dashboard_name: Option<String>,
    pub dashboard_body: Option<String>,
    /// Applied when the dashboard is created; an update keeps the tags it has (TagResource changes them).
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetInput {
    pub dashboard_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    pub dashboard_name_prefix: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteInput {
    #[serde(default)]
    pub dashboard_names: Vec<String>,
}

fn arn(name: &str) -> String {
    format!("arn:aws:cloudwatch::{}:dashboard/{name}", crate::cloud::context::LOCAL_ACCOUNT_ID)
}

fn not_found(message: String) -> ApiError {
    ApiError::new(http::StatusCode::NOT_FOUND, "ResourceNotFound", message)
}

fn missing(p: &str) -> ApiError {
    ApiError::bad_request("MissingParameter", format!("The parameter {p} is required."))
}

impl Dashboards {
    /// Loads the dashboards of the data dir. A file that cannot be read or parsed is set aside and
    /// reported, and the dashboards start empty.
    pub fn open(data_dir: &Path, damage: &Damage, max_dashboards: usize) -> Dashboards {
        let path = data_dir.join("cloudwatch").join("dashboards.json");
        let problem = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(all) => return Dashboards { path, all: Mutex::new(all), max_dashboards },
                Err(e) => format!("{} is not a dashboards file: {e}", path.display()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => format!("reading {} failed: {e}", path.display()),
        };
        if !problem.is_empty() {
            let reason = quarantine::reason(&problem, quarantine::set_aside(&path));
            damage.report("cloudwatch", path.display().to_string(), reason);
        }
        Dashboards { path, all: Mutex::new(BTreeMap::new()), max_dashboards }
    }

    fn save(&self, all: &All) -> Result<(), ApiError> {
        let written = serde_json::to_vec(all)
            .map_err(std::io::Error::other)
            .and_then(|bytes| faults::check(&self.path).and_then(|()| write_atomic(&self.path, &bytes)));
        written.map_err(|e| {
            tracing::error!(path = %self.path.display(), error = %e, "writing the dashboards failed");
            ApiError::internal(format!("could not save dashboards to {}: {e}", self.path.display()))
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, All> {
        self.all.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `change` to a copy, writes the copy, and only then makes it current.
    fn change<T>(&self, change: impl FnOnce(&mut All) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut all = self.lock();
        let mut next = all.clone();
        let out = change(&mut next)?;
        self.save(&next)?;
        *all = next;
        Ok(out)
    }

    pub fn clear(&self) -> Result<(), ApiError> {
        self.change(|all| {
            all.clear();
            Ok(())
        })
    }

    pub fn put(&self, input: PutInput, now_ms: i64) -> Result<Value, ApiError> {
        let name = input.dashboard_name.ok_or_else(|| missing("DashboardName"))?;
        let body = input.dashboard_body.ok_or_else(|| missing("DashboardBody"))?;
        let name_ok = !name.is_empty()
            && name.len() <= 255
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(ApiError::bad_request(
                "InvalidParameterInput",
                "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).",
            ));
        }
        check_tags(&input.tags)?;
        let problems = validate_body(&body);
        if !problems.is_empty() {
            let listed: Vec<Value> = problems.iter().map(|(p, m)| json!({"dataPath": p, "message": m})).collect();
            let pretty = serde_json::to_string_pretty(&listed).unwrap_or_default();
            return Err(ApiError::bad_request(
                "InvalidParameterInput",
                format!("The dashboard body is invalid, there are {} validation errors:\n{pretty}", problems.len()),
            ));
        }
        self.change(|all| {
            if !all.contains_key(&name) && all.len() >= self.max_dashboards {
                return Err(ApiError::bad_request(
                    "LimitExceeded",
                    format!(
                        "Dashboard {name} was not created: this local cloud keeps at most {} dashboards.",
                        self.max_dashboards
                    ),
                ));
            }
            let tags = all.get(&name).map_or(input.tags, |d| d.tags.clone());
            all.insert(name, Dashboard { body, last_modified_ms: now_ms, tags });
            Ok(json!({ "DashboardValidationMessages": [] }))
        })
    }

    /// The dashboard an ARN names, for the tagging operations CloudWatch shares between alarms and
    /// dashboards.
    fn named_by<'a>(all: &All, arn: &'a str) -> Result<&'a str, ApiError> {
        arn.split_once(":dashboard/").map(|(_, n)| n).filter(|n| all.contains_key(*n)).ok_or_else(|| {
            ApiError::new(
                http::StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                format!("The resource {arn} could not be found."),
            )
        })
    }

    pub fn tag(&self, arn: &str, tags: Vec<Tag>) -> Result<Value, ApiError> {
        check_tags(&tags)?;
        self.change(|all| {
            let name = Self::named_by(all, arn)?.to_string();
            let Some(d) = all.get_mut(&name) else { return Ok(json!({})) };
            for tag in tags {
                match d.tags.iter_mut().find(|t| t.key == tag.key) {
                    Some(existing) => existing.value = tag.value,
                    None => d.tags.push(tag),
                }
            }
            if d.tags.len() > 50 {
                return Err(ApiError::bad_request("LimitExceeded", "A resource can have at most 50 tags."));
            }
            Ok(json!({}))
        })
    }

    pub fn untag(&self, arn: &str, keys: &[String]) -> Result<Value, ApiError> {
        self.change(|all| {
            let name = Self::named_by(all, arn)?.to_string();
            if let Some(d) = all.get_mut(&name) {
                d.tags.retain(|t| !keys.contains(&t.key));
            }
            Ok(json!({}))
        })
    }

    pub fn list_tags(&self, arn: &str) -> Result<Value, ApiError> {
        let all = self.lock();
        let name = Self::named_by(&all, arn)?;
        Ok(json!({ "Tags": all.get(name).map(|d| d.tags.clone()).unwrap_or_default() }))
    }

    pub fn get(&self, input: GetInput) -> Result<Value, ApiError> {
        let name = input.dashboard_name.ok_or_else(|| missing("DashboardName"))?;
        let all = self.lock();
        let d = all.get(&name).ok_or_else(|| not_found(format!("Dashboard {name} does not exist")))?;
        Ok(json!({ "DashboardArn": arn(&name), "DashboardBody": d.body, "DashboardName": name }))
    }

    pub fn list(&self, input: ListInput) -> Result<Value, ApiError> {
        let prefix = input.dashboard_name_prefix.unwrap_or_default();
        let after = input.next_token.unwrap_or_default();
        let all = self.lock();
        let page: Vec<(&String, &Dashboard)> =
            all.iter().filter(|(n, _)| n.starts_with(&prefix) && **n > after).take(1000).collect();
        let next = (page.len() == 1000).then(|| page.last().map(|(n, _)| (*n).clone())).flatten();
        let entries: Vec<Value> = page
            .into_iter()
            .map(|(n, d)| json!({"DashboardName": n, "DashboardArn": arn(n), "LastModified": epoch_seconds(d.last_modified_ms), "Size": d.body.len()}))
            .collect();
        let mut out = json!({ "DashboardEntries": entries });
        if let Some(t) = next {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    pub fn delete(&self, input: DeleteInput) -> Result<Value, ApiError> {
        if input.dashboard_names.is_empty() {
            return Err(missing("DashboardNames"));
        }
        self.change(|all| {
            let absent: Vec<&str> =
                input.dashboard_names.iter().filter(|n| !all.contains_key(*n)).map(String::as_str).collect();
            if !absent.is_empty() {
                return Err(not_found(format!("Dashboard(s) [{}] does not exist", absent.join(", "))));
            }
            for n in &input.dashboard_names {
                all.remove(n);
            }
            Ok(json!({}))
        })
    }
}

/// The body's problems as `(dataPath, message)`, in CloudWatch's wording.
pub fn validate_body(body: &str) -> Vec<(String, String)> {
    let parsed: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return vec![(String::new(), format!("Invalid JSON: {e}"))],
    };
    let Some(obj) = parsed.as_object() else {
        return vec![(String::new(), "Should be object".into())];
    };
    let mut problems = Vec::new();
    let Some(widgets) = obj.get("widgets") else {
        return vec![(String::new(), "Should have required property 'widgets'".into())];
    };
    let Some(widgets) = widgets.as_array() else {
        return vec![("/widgets".into(), "Should be array".into())];
    };
    for (i, w) in widgets.iter().enumerate() {
        widget(&format!("/widgets/{i}"), w, &mut problems);
    }
    for key in ["start", "end", "periodOverride"] {
        if obj.get(key).is_some_and(|v| !v.is_string()) {
            problems.push((format!("/{key}"), "Should be string".into()));
        }
    }
    problems
}

fn widget(at: &str, w: &Value, problems: &mut Vec<(String, String)>) {
    let Some(w) = w.as_object() else {
        return problems.push((at.into(), "Should be object".into()));
    };
    let kind = match w.get("type") {
        None => return problems.push((at.into(), "Should have required property 'type'".into())),
        Some(Value::String(t)) if WIDGET_TYPES.contains(&t.as_str()) => t.as_str(),
        Some(_) => {
            return problems.push((format!("{at}/type"), "Should be equal to one of the allowed values".into()));
        }
    };
    for (key, lo, hi) in [("x", 0, 23), ("y", 0, i64::MAX), ("width", 1, 24), ("height", 1, 1000)] {
        match w.get(key) {
            None => {}
            Some(v) if v.as_i64().is_some_and(|n| (lo..=hi).contains(&n)) => {}
            Some(v) if v.as_i64().is_some() => {
                problems.push((format!("{at}/{key}"), format!("Should be between {lo} and {hi}")))
            }
            Some(_) => problems.push((format!("{at}/{key}"), "Should be integer".into())),
        }
    }
    let Some(props) = w.get("properties") else {
        return problems.push((at.into(), "Should have required property 'properties'".into()));
    };
    let Some(props) = props.as_object() else {
        return problems.push((format!("{at}/properties"), "Should be object".into()));
    };
    let at = format!("{at}/properties");
    let require_string = |key: &str, problems: &mut Vec<(String, String)>| match props.get(key) {
        None => problems.push((at.clone(), format!("Should have required property '{key}'"))),
        Some(v) if !v.is_string() => problems.push((format!("{at}/{key}"), "Should be string".into())),
        _ => {}
    };
    match kind {
        "text" => require_string("markdown", problems),
        "log" => require_string("query", problems),
        "alarm" => match props.get("alarms") {
            None => problems.push((at.clone(), "Should have required property 'alarms'".into())),
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
            Some(_) => problems.push((format!("{at}/alarms"), "Should be array of strings".into())),
        },
        "metric" => metric_properties(&at, props, problems),
        _ => {}
    }
}

fn metric_properties(at: &str, props: &serde_json::Map<String, Value>, problems: &mut Vec<(String, String)>) {
    let has_alarm_annotation = props.get("annotations").and_then(|a| a.get("alarms")).is_some();
    match props.get("metrics") {
        None if !has_alarm_annotation && props.get("query").is_none() => {
            problems.push((at.into(), "Should have required property 'metrics'".into()))
        }
        None => {}
        Some(Value::Array(rows)) => {
            for (i, row) in rows.iter().enumerate() {
                match row {
                    Value::Array(items) if items.iter().all(|x| x.is_string() || x.is_object()) => {}
                    Value::Array(_) => problems.push((
                        format!("{at}/metrics/{i}"),
                        "Should contain strings and at most one options object".into(),
                    )),
                    _ => problems.push((format!("{at}/metrics/{i}"), "Should be array".into())),
                }
            }
        }
        Some(_) => problems.push((format!("{at}/metrics"), "Should be array".into())),
    }
    if props.get("view").is_some_and(|v| !v.as_str().is_some_and(|s| VIEWS.contains(&s))) {
        problems.push((format!("{at}/view"), "Should be equal to one of the allowed values".into()));
    }
    if props.get("period").is_some_and(|p| p.as_i64().is_none_or(|n| n < 1)) {
        problems.push((format!("{at}/period"), "Should be integer >= 1".into()));
    }
    if props.get("region").is_some_and(|r| !r.is_string()) {
        problems.push((format!("{at}/region"), "Should be string".into()));
    }
}
