//! What the node stores beside blocks: where each committed event is, its outcome, and the
//! roots after each block. Node-internal JSON (never hashed or signed).

use serde::{Deserialize, Serialize};
use tradeledger_types::{Hash32, Severity};

/// A flag raised by the contracts while executing an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagRecord {
    /// Machine-readable code (`cold_chain_excursion`, ...).
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Explanation for humans.
    pub message: String,
    /// The shipment flagged, if any.
    pub shipment_id: Option<String>,
}

/// The outcome of executing one committed event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// True when the event changed state; false when the contracts rejected it.
    pub applied: bool,
    /// Why it was rejected (machine code), if it was.
    pub reject_code: Option<String>,
    /// Why it was rejected (message), if it was.
    pub reject_reason: Option<String>,
    /// Flags raised.
    pub flags: Vec<FlagRecord>,
    /// The lane of the event's shipment after it, if it has one.
    pub lane: Option<String>,
}

/// A committed event's place and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Block hash.
    pub block_hash: Hash32,
    /// Execution outcome.
    pub outcome: OutcomeRecord,
}

/// The roots after executing one block (what the header at height + 1 must carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockResultRecord {
    /// State root after the block.
    pub state_root: Hash32,
    /// Results root of the block.
    pub results_root: Hash32,
}
