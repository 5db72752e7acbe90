//! What the data plane works with: the state it serves from, the services AWS integrations call in
//! process, and the throttles' buckets.

use std::sync::Arc;

use super::state::State;
use super::throttle::Buckets;
use crate::cloud::resource_provider::ServiceApi;

/// The services an AWS integration may call, by the name its URI uses (`kinesis`).
pub type ServiceLookup = Box<dyn Fn(&str) -> Option<ServiceApi> + Send + Sync>;

pub struct Plane {
    pub state: Arc<State>,
    pub services: ServiceLookup,
    pub throttles: Buckets,
}
