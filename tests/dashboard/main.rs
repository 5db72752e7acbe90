//! Dashboards as data: the model, the planner, and `dashboard`/`health` against the local cloud.

mod model;
mod plan;
mod templates;
