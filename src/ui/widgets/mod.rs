//! Drawing blocks for dashboards: a time-series chart (braille, or blocks for `--ascii`), a big
//! number with a sparkline, a gauge, an alarm list, markdown text and a log table. Each draws from
//! data prepared beforehand (downsampled points, formatted labels), so a frame costs the same
//! whatever the length of the series behind it.

pub mod alarm_list;
pub mod chart;
pub mod downsample;
pub mod log_table;
pub mod markdown;
pub mod number;
