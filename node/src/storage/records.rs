//! What the node stores beside blocks: where each committed event is and its outcome, and the
//! roots after each block. Node-internal JSON (never hashed or signed).

use serde::{Deserialize, Serialize};
use tradeledger_contracts::EventOutcome;
use tradeledger_types::Hash32;

/// A committed event's place and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Block hash.
    pub block_hash: Hash32,
    /// Execution outcome (as committed by the block's results root).
    pub outcome: EventOutcome,
}

/// The roots after executing one block (what the header at height + 1 must carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockResultRecord {
    /// State root after the block.
    pub state_root: Hash32,
    /// Results root of the block.
    pub results_root: Hash32,
}
