//! tradeledger's BFT consensus: a 2-chain HotStuff (Jolteon / DiemBFT v4 style) state machine
//! with no I/O, and a deterministic simulator that drives it.
//!
//! The node owns the network, storage, clock and execution. It feeds [`Input`]s to
//! [`Consensus::handle`] and carries out the returned [`Effect`]s **in order**:
//!
//! ```text
//! let mut consensus = Consensus::new(config, key, Recovery::fresh())?;
//! for effect in consensus.handle(Input::Start { now_ms }) { node.execute(effect) }
//! loop { let input = node.next_input(); for effect in consensus.handle(input) { node.execute(effect) } }
//! ```
//!
//! The ordering contract: a [`Effect::PersistSafety`] must be durable before any later effect
//! of the same list is carried out (it always precedes the vote or timeout that depends on it).
//!
//! * [`safety_rules`]: the only code that signs votes and timeouts, with the numbered voting
//!   rules and the persisted [`SafetyData`].
//! * [`message`]: the wire messages ([`ConsensusMessage`]) and their canonical encoding.
//! * [`sim`]: the seeded simulator (network faults, crash-restart, Byzantine validators,
//!   Twins) and its safety and liveness checkers.
//!
//! docs/consensus.md explains the protocol and why it is safe.

pub mod config;
pub mod drops;
pub mod effect;
pub mod input;
pub mod leader;
pub mod limits;
pub mod message;
pub mod pacemaker;
pub mod safety_rules;
pub mod sim;

mod block_tree;
mod state_machine;
mod timeouts;
mod votes;

pub use config::{CertifiedBlock, ConsensusConfig, ConsensusError, Recovery};
pub use drops::{DropCounters, DropReason};
pub use effect::{Commit, Effect};
pub use input::Input;
pub use leader::LeaderSchedule;
pub use message::{
    ConsensusMessage, Proposal, ProposalData, SyncRequest, SyncResponse, TimeoutMessage,
};
pub use safety_rules::{SafetyData, SafetyError, SafetyRules, Signed};
pub use state_machine::Consensus;
