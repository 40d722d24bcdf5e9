//! What the core asks the node to do. The node carries effects out in the order given.

use crate::config::CertifiedBlock;
use crate::message::{ConsensusMessage, SyncRequest};
use crate::safety_rules::SafetyData;
use tradeledger_types::{Block, EventId, Hash32, PublicKey, QuorumCertificate, TimeMs};

/// One effect returned by [`crate::Consensus::handle`].
///
/// Ordering contract: effects are executed in list order, and a [`Effect::PersistSafety`] must
/// be durable (synced) before any later effect of the list runs; the core always places it
/// before the vote or timeout that depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send a message to one validator.
    Send {
        /// The recipient's consensus key.
        to: PublicKey,
        /// The message.
        msg: ConsensusMessage,
    },
    /// Send a message to every other validator.
    Broadcast(ConsensusMessage),
    /// Durably store the safety data, replacing the previous copy, before going on.
    PersistSafety(Box<SafetyData>),
    /// Store these uncommitted blocks durably no later than the [`Effect::PersistSafety`]
    /// that follows (the same synced write is best), and hand them back in
    /// [`crate::Recovery::uncommitted`] after a restart. They are the blocks the safety data
    /// points at (the block voted for, the blocks of its QCs) with their uncommitted
    /// ancestors: after every validator restarts, a QC in some validator's safety data still
    /// names a block that some validator can serve. Each block is listed once; the node may
    /// drop a stored block once a block at its height or above commits.
    PersistBlocks(Vec<Block>),
    /// Blocks became final: store them (with their certificates) and execute them in order.
    Commit(Commit),
    /// Arm a timer; when it expires, feed [`crate::Input::Timeout`] with the same round.
    /// Earlier timers may be left running: the core ignores expiries of past rounds.
    SetTimer {
        /// The round the timer belongs to.
        round: u64,
        /// Delay from now, in ms.
        duration_ms: u64,
    },
    /// This validator leads `round`: answer with [`crate::Input::Payload`] (events from the
    /// mempool and the lagged roots: state after executing up to `height − 1`, which is the
    /// parent, and the parent's results root).
    RequestPayload {
        /// The round to propose in.
        round: u64,
        /// Height of the block to build.
        height: u64,
        /// The parent it extends.
        parent_hash: Hash32,
        /// The parent's block time (the new block's time is at least this).
        parent_time_ms: TimeMs,
    },
    /// Check a proposed block's events (signatures, sequence numbers, limits) and its lagged
    /// roots, then answer with [`crate::Input::BlockValidated`]. The core has already checked
    /// the header, the certificates, the proposer and the block time, and that the events match
    /// the header's root and count.
    ValidateBlock {
        /// The block.
        block: Box<Block>,
        /// Its events' ids, in block order (computed for the header check; handed on so the
        /// node does not compute them again).
        ids: Vec<EventId>,
    },
    /// Blocks are missing: send `ConsensusMessage::SyncRequest(request)` to `from` (the answer
    /// arrives as a message).
    RequestSync {
        /// The validator to ask.
        from: PublicKey,
        /// What to ask for.
        request: SyncRequest,
    },
}

/// Newly final blocks, in increasing height, continuing the previous commit without gaps.
/// Block `i` is certified by `blocks[i + 1].justify`; the last block by `certificate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The blocks, lowest height first.
    pub blocks: Vec<Block>,
    /// The QC on the last block.
    pub certificate: QuorumCertificate,
}

impl Commit {
    /// Each block paired with the QC that certifies it, ready to store.
    pub fn certified_blocks(&self) -> Vec<CertifiedBlock> {
        let mut out = Vec::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            let qc = match self.blocks.get(i + 1) {
                Some(next) => next.justify.clone(),
                None => self.certificate.clone(),
            };
            out.push(CertifiedBlock {
                block: block.clone(),
                qc,
            });
        }
        out
    }

    /// Height of the last block.
    pub fn tip_height(&self) -> u64 {
        self.certificate.data.height
    }
}
