//! A typed reading of a CloudWatch dashboard body (the JSON `PutDashboard` takes and `GetDashboard`
//! returns), as AWS documents it in "Dashboard Body Structure and Syntax". Fields the model does
//! not know are kept in `extra` maps, so a body never fails to load because AWS added a property.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::axis::{Axis, YAxes};
use super::metric_rows::{MetricRow, parse_rows};

/// The dashboard grid is 24 columns wide; a widget's default size is 6 × 6.
pub const GRID_COLUMNS: u32 = 24;
const DEFAULT_SIZE: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the dashboard body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("widget {index} ({kind}): {message}")]
    Widget { index: usize, kind: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub widgets: Vec<Widget>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub period_override: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Widget {
    /// Position on the grid; `None` means "the next free place", as CloudWatch places it.
    pub x: Option<u32>,
    pub y: Option<u32>,
    pub width: u32,
    pub height: u32,
    pub kind: WidgetKind,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WidgetKind {
    Metric(Box<MetricWidget>),
    Text(TextWidget),
    Alarm(AlarmWidget),
    Log(LogWidget),
    /// `explorer`, `custom` and any type added later: kept as written.
    Other {
        type_name: String,
        properties: Value,
    },
}

impl WidgetKind {
    pub fn type_name(&self) -> &str {
        match self {
            WidgetKind::Metric(_) => "metric",
            WidgetKind::Text(_) => "text",
            WidgetKind::Alarm(_) => "alarm",
            WidgetKind::Log(_) => "log",
            WidgetKind::Other { type_name, .. } => type_name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum View {
    #[default]
    TimeSeries,
    SingleValue,
    Gauge,
    Bar,
    Pie,
    Table,
    #[serde(other)]
    Unknown,
}

/// A horizontal line (or, written as a pair, a band) at a value on one y axis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HorizontalAnnotation {
    pub value: f64,
    pub label: Option<String>,
    pub color: Option<String>,
    /// `above`, `below` or `none`.
    pub fill: Option<String>,
    pub visible: Option<bool>,
    pub y_axis: Option<Axis>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A vertical line (or band) at an ISO 8601 time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalAnnotation {
    pub value: String,
    pub label: Option<String>,
    pub color: Option<String>,
    /// `before`, `after` or `none`.
    pub fill: Option<String>,
    pub visible: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One annotation: a line, or a band between two of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Annotation<T> {
    Line(T),
    Band(Vec<T>),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Annotations {
    #[serde(default)]
    pub horizontal: Vec<Annotation<HorizontalAnnotation>>,
    #[serde(default)]
    pub vertical: Vec<Annotation<VerticalAnnotation>>,
    /// An alarm widget drawn as a graph: one alarm ARN whose metric and threshold the widget shows.
    #[serde(default)]
    pub alarms: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The properties of a `metric` widget other than its `metrics` array.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSettings {
    #[serde(default)]
    pub view: View,
    pub stacked: Option<bool>,
    pub live_data: Option<bool>,
    pub stat: Option<String>,
    pub period: Option<i64>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub title: Option<String>,
    pub y_axis: Option<YAxes>,
    pub annotations: Option<Annotations>,
    pub set_period_to_time_range: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricWidget {
    /// The `metrics` rows with the `"."`/`"..."` shorthands expanded.
    pub metrics: Vec<MetricRow>,
    #[serde(flatten)]
    pub settings: MetricSettings,
}

impl MetricWidget {
    /// The widget's period (300 s when unset, as CloudWatch defaults it).
    pub fn period(&self) -> i64 {
        self.settings.period.unwrap_or(300)
    }

    /// The widget's statistic (`Average` when unset).
    pub fn stat(&self) -> &str {
        self.settings.stat.as_deref().unwrap_or("Average")
    }

    /// The alarm a graph-of-an-alarm widget shows (`annotations.alarms`).
    pub fn alarm_arns(&self) -> &[String] {
        self.settings.annotations.as_ref().map_or(&[], |a| &a.alarms)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextWidget {
    #[serde(default)]
    pub markdown: String,
    /// `solid` or `transparent`.
    pub background: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmWidget {
    #[serde(default)]
    pub alarms: Vec<String>,
    pub title: Option<String>,
    pub sort_by: Option<String>,
    pub states: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogWidget {
    #[serde(default)]
    pub query: String,
    pub region: Option<String>,
    pub title: Option<String>,
    pub view: Option<String>,
    pub stacked: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LogWidget {
    /// The log groups the query reads: its `SOURCE '…'` clauses, in order.
    pub fn log_groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.query.as_str();
        while let Some(at) = rest.find("SOURCE ") {
            rest = rest[at + "SOURCE ".len()..].trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else { continue };
            let Some(close) = rest[1..].find(quote) else { break };
            out.push(rest[1..1 + close].to_string());
            rest = &rest[close + 2..];
        }
        out
    }
}

impl Widget {
    pub fn title(&self) -> Option<&str> {
        match &self.kind {
            WidgetKind::Metric(m) => m.settings.title.as_deref(),
            WidgetKind::Alarm(a) => a.title.as_deref(),
            WidgetKind::Log(l) => l.title.as_deref(),
            WidgetKind::Text(_) | WidgetKind::Other { .. } => None,
        }
    }
}

#[derive(Deserialize)]
struct RawDashboard {
    #[serde(default)]
    widgets: Vec<RawWidget>,
    start: Option<String>,
    end: Option<String>,
    #[serde(rename = "periodOverride")]
    period_override: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawWidget {
    #[serde(rename = "type")]
    kind: String,
    x: Option<u32>,
    y: Option<u32>,
    width: Option<u32>,
    height: Option<u32>,
    #[serde(default)]
    properties: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Dashboard {
    /// Reads a dashboard body. Fails only on what cannot be read at all (not JSON, a widget
    /// property of the wrong type, a malformed `metrics` row), naming the widget.
    pub fn parse(body: &str) -> Result<Dashboard, ModelError> {
        let raw: RawDashboard = serde_json::from_str(body)?;
        let widgets = raw.widgets.into_iter().enumerate().map(|(i, w)| widget(i, w)).collect::<Result<Vec<_>, _>>()?;
        Ok(Dashboard {
            widgets,
            start: raw.start,
            end: raw.end,
            period_override: raw.period_override,
            extra: raw.extra,
        })
    }

    /// The metric widgets with their index in `widgets`.
    pub fn metric_widgets(&self) -> impl Iterator<Item = (usize, &MetricWidget)> {
        self.widgets.iter().enumerate().filter_map(|(i, w)| match &w.kind {
            WidgetKind::Metric(m) => Some((i, m.as_ref())),
            _ => None,
        })
    }

    /// Every alarm ARN the dashboard shows, in order of first appearance, without repeats.
    pub fn alarm_arns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in &self.widgets {
            let arns = match &w.kind {
                WidgetKind::Metric(m) => m.alarm_arns(),
                WidgetKind::Alarm(a) => &a.alarms,
                _ => &[],
            };
            for arn in arns {
                if !out.contains(arn) {
                    out.push(arn.clone());
                }
            }
        }
        out
    }
}

fn widget(index: usize, raw: RawWidget) -> Result<Widget, ModelError> {
    let fail = |message: String| ModelError::Widget { index, kind: raw.kind.clone(), message };
    let props = if raw.properties.is_null() { Value::Object(Map::new()) } else { raw.properties.clone() };
    let kind = match raw.kind.as_str() {
        "metric" => WidgetKind::Metric(Box::new(metric_widget(props).map_err(fail)?)),
        "text" => WidgetKind::Text(serde_json::from_value(props).map_err(|e| fail(e.to_string()))?),
        "alarm" => WidgetKind::Alarm(serde_json::from_value(props).map_err(|e| fail(e.to_string()))?),
        "log" => WidgetKind::Log(serde_json::from_value(props).map_err(|e| fail(e.to_string()))?),
        other => WidgetKind::Other { type_name: other.to_string(), properties: props },
    };
    Ok(Widget {
        x: raw.x,
        y: raw.y,
        width: raw.width.unwrap_or(DEFAULT_SIZE),
        height: raw.height.unwrap_or(DEFAULT_SIZE),
        kind,
        extra: raw.extra,
    })
}

fn metric_widget(mut props: Value) -> Result<MetricWidget, String> {
    let rows = props.as_object_mut().and_then(|o| o.remove("metrics")).unwrap_or(Value::Array(Vec::new()));
    let metrics = parse_rows(&rows)?;
    let settings: MetricSettings = serde_json::from_value(props).map_err(|e| e.to_string())?;
    Ok(MetricWidget { metrics, settings })
}
