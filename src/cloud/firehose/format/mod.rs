//! What a delivered object looks like, as pure code: its compression, its key (prefix expressions
//! and Firehose's object name) and the records inside it (KPL de-aggregation).

pub mod compression;
pub mod object_key;
pub mod prefix;
pub mod timestamp;
