//! What the producer sends: each workload is an endless (or, for a replay, finite) iterator of user
//! records, seeded so a run can be repeated exactly.

pub mod ticker;
