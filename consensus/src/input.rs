//! What the node feeds the core.

use crate::message::ConsensusMessage;
use tradeledger_types::{Hash32, PublicKey, SignedEvent, TimeMs};

/// One input to [`crate::Consensus::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// First input after construction: arms the round timer and, if this validator leads the
    /// first round, asks for a payload.
    Start {
        /// The node's clock (Unix ms).
        now_ms: TimeMs,
    },
    /// The node's clock moved. Send it before inputs that depend on time (the node may send one
    /// before every input). Time never goes backwards inside the core.
    Tick {
        /// The node's clock (Unix ms).
        now_ms: TimeMs,
    },
    /// A message from an authenticated peer (`from` is the peer's consensus key as the network
    /// layer established it).
    Message {
        /// The sending validator.
        from: PublicKey,
        /// The decoded message.
        msg: ConsensusMessage,
    },
    /// The timer armed by [`crate::Effect::SetTimer`] for `round` expired.
    Timeout {
        /// The round of the timer.
        round: u64,
    },
    /// The answer to [`crate::Effect::RequestPayload`].
    Payload {
        /// The round asked about.
        round: u64,
        /// The parent asked about.
        parent_hash: Hash32,
        /// Events for the block (verified by the mempool), within `block_events_max` and
        /// `block_bytes_max` (the core drops events beyond the count limit; validators reject a
        /// block over the byte limit).
        events: Vec<SignedEvent>,
        /// State root after executing up to the parent (height − 1).
        state_root: Hash32,
        /// Results root of the parent (height − 1).
        results_root: Hash32,
    },
    /// The answer to [`crate::Effect::ValidateBlock`].
    BlockValidated {
        /// The block's hash.
        hash: Hash32,
        /// Whether events, signatures and roots check out.
        valid: bool,
    },
}
