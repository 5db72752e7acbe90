//! Dashboards as data: the model, the planner, and `dashboard`/`health` against the local cloud.

#[path = "../support/mod.rs"]
mod support;

mod e2e;
mod model;
mod plan;
mod templates;
