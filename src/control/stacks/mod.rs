//! The SDK side of the console's stack commands (deploy, stacks, status, events, update, delete), shared
//! by the CLI and the UI: `model.rs` reads the SDK's CloudFormation types into view values, `deploy.rs`
//! checks and sends a deployment, `follow.rs` follows a stack's events to the operation's end,
//! `change.rs` updates through a change set, `inspect.rs` reads stacks and deletes them, and `retry.rs`
//! holds the backoff, the timeouts and the credential diagnosis every call goes through.

pub mod change;
pub mod deploy;
pub mod follow;
pub mod inspect;
pub mod model;
pub mod retry;

pub use follow::{EventFollower, Outcome, follow};
pub use model::{StackEvent, StackOutput, StackResource, StackSummary};
pub use retry::{CallError, client};
