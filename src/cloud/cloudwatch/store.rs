//! Stand-in for the metric store until it lands: holds nothing.

#[derive(Default)]
pub struct MetricStore;
