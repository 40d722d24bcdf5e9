//! What the driver publishes about consensus for the API (`/v1/status`).

use serde::Serialize;
use std::sync::{Arc, RwLock};
use tradeledger_types::Hash32;

/// Whether the node is keeping up with its peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Starting: not yet in touch with peers.
    #[default]
    Starting,
    /// Committing with the others.
    Synced,
    /// Fetching committed blocks it lacks.
    CatchingUp,
}

/// A snapshot of the node's consensus state.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ConsensusStatus {
    /// Height of the last committed block.
    pub height: u64,
    /// Hash of the last committed block (the genesis hash at height 0).
    pub tip_hash: Option<Hash32>,
    /// Current round.
    pub round: u64,
    /// Highest committed height a peer reported.
    pub peer_max_height: u64,
    /// Sync state.
    pub sync: SyncState,
}

/// The shared status cell.
pub type SharedStatus = Arc<RwLock<ConsensusStatus>>;

/// Reads the status (never blocks for long: writers hold the lock briefly).
pub fn snapshot(s: &SharedStatus) -> ConsensusStatus {
    s.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// Updates the status.
pub fn update(s: &SharedStatus, f: impl FnOnce(&mut ConsensusStatus)) {
    f(&mut s.write().unwrap_or_else(std::sync::PoisonError::into_inner));
}
