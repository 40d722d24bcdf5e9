//! Why the core dropped a message, counted per reason.

use std::collections::BTreeMap;

/// Why an input was dropped before it touched state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The sending peer is not a validator.
    UnknownPeer,
    /// Signed by a key outside the validator set.
    UnknownValidator,
    /// For another chain.
    WrongChain,
    /// A signature does not verify.
    BadSignature,
    /// A quorum certificate does not verify (bitmap, power or signatures).
    BadQuorumCertificate,
    /// A timeout certificate does not verify.
    BadTimeoutCertificate,
    /// The proposer is not the leader of the block's round.
    NotLeader,
    /// For a round already left.
    StaleRound,
    /// For a round too far ahead, or a proposal whose round its certificates do not justify.
    FutureRound,
    /// Header fields disagree with each other or with the certificates.
    MalformedBlock,
    /// Block time earlier than the parent's.
    BlockTimeBeforeParent,
    /// Block time further ahead of this validator's clock than the allowed drift.
    BlockTimeTooFarAhead,
    /// More events or bytes than the block limits.
    BlockTooLarge,
    /// Events do not match `events_root` / `event_count`.
    EventsMismatch,
    /// The block conflicts with the committed chain.
    ConflictsWithCommitted,
    /// Already seen.
    Duplicate,
    /// A second, different vote or timeout from one signer in one round, or more proposals in
    /// one round than are kept.
    Equivocation,
    /// The node said the block's events or roots are invalid.
    InvalidBlock,
    /// A timeout whose high QC does not match its signed high-QC round.
    MalformedTimeout,
    /// A sync response that is empty, too long, not a chain or not connected to ours.
    BadSyncResponse,
    /// A bounded buffer (pending proposals, validations) is full.
    BufferFull,
}

/// Counters of dropped inputs by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounters {
    counts: BTreeMap<DropReason, u64>,
}

impl DropCounters {
    /// Counts one drop.
    pub fn count(&mut self, reason: DropReason) {
        let c = self.counts.entry(reason).or_insert(0);
        *c = c.saturating_add(1);
    }

    /// Drops for one reason.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.counts.get(&reason).copied().unwrap_or(0)
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.counts.values().fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Non-zero counters in reason order.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        self.counts.iter().map(|(r, c)| (*r, *c))
    }
}
