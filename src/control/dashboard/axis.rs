//! A chart's y axes as a dashboard's JSON writes them (`"yAxis": "right"` on a row or an
//! annotation, `"yAxis": {"left": {…}}` on a widget). Both the widget model and the metrics
//! array name them, so they sit below both.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which y axis a row or an annotation is drawn against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Axis {
    #[default]
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AxisProps {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub label: Option<String>,
    pub show_units: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct YAxes {
    pub left: Option<AxisProps>,
    pub right: Option<AxisProps>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
