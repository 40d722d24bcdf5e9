//! Domain separation tags: every hashed or signed message kind has its own prefix, so bytes
//! signed or hashed as one kind can never be taken for another.
//!
//! Signed and hashed bytes are `tag ‖ 0x00 ‖ canonical CBOR`. The tags are ASCII and none
//! contains a NUL byte, so the separator makes the prefix unambiguous.

/// A domain separation tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain(pub &'static str);

impl Domain {
    /// Signature over an event body ([`crate::EventBody`]).
    pub const EVENT_SIGNATURE: Domain = Domain("tradeledger/v1/event");
    /// Hash of a block header: the block hash.
    pub const BLOCK_HEADER: Domain = Domain("tradeledger/v1/block-header");
    /// Signature over [`crate::VoteData`].
    pub const VOTE: Domain = Domain("tradeledger/v1/vote");
    /// Signature over [`crate::TimeoutData`].
    pub const TIMEOUT: Domain = Domain("tradeledger/v1/timeout");
    /// Signature by a leader over a proposal (the block hash and round).
    pub const PROPOSAL: Domain = Domain("tradeledger/v1/proposal");
    /// Hash of the canonical genesis.
    pub const GENESIS: Domain = Domain("tradeledger/v1/genesis");
    /// Hash of a batch of events disseminated between mempools.
    pub const BATCH: Domain = Domain("tradeledger/v1/batch");
    /// Hash of one execution result (a leaf of the results root).
    pub const RESULT: Domain = Domain("tradeledger/v1/result");
    /// Hash of one key-value entry of the state (a leaf of the state root).
    pub const STATE_ENTRY: Domain = Domain("tradeledger/v1/state-entry");
    /// Hash of one internal node of the state tree (its non-empty children).
    pub const STATE_NODE: Domain = Domain("tradeledger/v1/state-node");

    /// `tag ‖ 0x00 ‖ body`: the bytes that are signed or hashed.
    pub fn prefix(self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() + 1 + body.len());
        out.extend_from_slice(self.0.as_bytes());
        out.push(0);
        out.extend_from_slice(body);
        out
    }

    /// SHA-256 of `tag ‖ 0x00 ‖ body`.
    pub fn hash(self, body: &[u8]) -> crate::Hash32 {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.0.as_bytes());
        h.update([0u8]);
        h.update(body);
        crate::Hash32(h.finalize().into())
    }
}

/// Plain SHA-256 (no domain): used for event ids, which are defined as the hash of the
/// canonical signed-event bytes, and inside the Merkle tree, which has its own RFC 6962 prefixes.
pub fn sha256(bytes: &[u8]) -> crate::Hash32 {
    use sha2::{Digest, Sha256};
    crate::Hash32(Sha256::digest(bytes).into())
}
