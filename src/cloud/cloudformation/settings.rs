//! The local CloudFormation's settings: extra resource providers (tests define types such as a
//! resource that takes N ms of cloud time) and the local limits on what clients can keep.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct CloudFormationSettings {
    /// Providers added to the registry's table (looked up first), for test-only resource types: each a
    /// [`ProviderFactory`](super::runner::ProviderFactory). Type-erased, so the settings (held by the
    /// context) name nothing that itself needs the context.
    pub extra_providers: Vec<Arc<dyn Any + Send + Sync>>,
    /// Stacks a region may hold (AWS's default quota is 2,000).
    pub max_stacks: usize,
    /// Events kept per stack; the oldest go first (AWS keeps a stack's events for 90 days).
    pub max_events_per_stack: usize,
}

impl Default for CloudFormationSettings {
    fn default() -> Self {
        CloudFormationSettings { extra_providers: Vec::new(), max_stacks: 2_000, max_events_per_stack: 10_000 }
    }
}

impl fmt::Debug for CloudFormationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudFormationSettings")
            .field("extra_providers", &self.extra_providers.len())
            .field("max_stacks", &self.max_stacks)
            .field("max_events_per_stack", &self.max_events_per_stack)
            .finish()
    }
}
