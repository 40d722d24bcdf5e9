//! Blocks: a header that commits to the events, and the certificate of the parent.

use crate::codec::{self, BLOCK_BYTES_MAX, DecodeError};
use crate::{
    Domain, EventId, Hash32, PublicKey, QuorumCertificate, SignedEvent, TimeMs, TimeoutCertificate,
    merkle, wire_struct,
};

wire_struct! {
    /// A block header. Its hash (domain `tradeledger/v1/block-header`) is the block hash.
    ///
    /// `state_root` and `results_root` lag one block: the header at height h carries the state
    /// after executing blocks 1..=h−1 and the results of block h−1 (as CometBFT's app hash), so a
    /// leader can propose before executing and execution overlaps consensus. A node that computes
    /// a different root for h−1 halts at h.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct BlockHeader {
        /// The chain.
        pub chain_id: String,
        /// Height, 1 for the first block after genesis.
        pub height: u64,
        /// Consensus round in which it was proposed.
        pub round: u64,
        /// Hash of the parent block (the genesis hash for height 1).
        pub parent_hash: Hash32,
        /// The leader that proposed it (consensus key).
        pub proposer: PublicKey,
        /// Block time: the proposer's clock, not before the parent's, bounded by validators.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub block_time_ms: TimeMs,
        /// Merkle root over the ids of `events`, in order.
        pub events_root: Hash32,
        /// Number of events.
        pub event_count: u32,
        /// State root after executing up to height − 1.
        pub state_root: Hash32,
        /// Merkle root over the results of executing height − 1.
        pub results_root: Hash32,
    }
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> Hash32 {
        Domain::BLOCK_HEADER.hash(&codec::to_canonical(self))
    }
}

wire_struct! {
    /// A block: header, the certificate that justifies extending the parent, the timeout
    /// certificate when the previous round failed, and the events.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Block {
        /// The header.
        pub header: BlockHeader,
        /// QC on the parent (`justify`); the genesis QC for height 1.
        pub justify: QuorumCertificate,
        /// TC for round − 1, when the block follows a failed round.
        pub timeout_cert: Option<TimeoutCertificate>,
        /// The events, in execution order.
        pub events: Vec<SignedEvent>,
    }
}

/// Merkle root over event ids.
pub fn events_root(ids: &[EventId]) -> Hash32 {
    merkle::root(ids)
}

impl Block {
    /// The block hash (of the header).
    pub fn hash(&self) -> Hash32 {
        self.header.hash()
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// [`Self::to_bytes`] for a caller that already holds each event's canonical bytes
    /// ([`SignedEvent::to_bytes`], in block order): the block's encoding is its header,
    /// certificates and the events' encodings one after the other, so the events need not be
    /// encoded again. A node's commit stores both the block and each event.
    ///
    /// # Panics
    /// If `event_bytes` and the events differ in number; in builds with debug assertions, also
    /// if any of them is not its event's encoding.
    pub fn to_bytes_with_events<B: AsRef<[u8]>>(&self, event_bytes: &[B]) -> Vec<u8> {
        assert_eq!(
            event_bytes.len(),
            self.events.len(),
            "one encoding per event"
        );
        debug_assert!(
            self.events
                .iter()
                .zip(event_bytes)
                .all(|(e, b)| e.to_bytes() == b.as_ref()),
            "each encoding is its event's"
        );
        let header = codec::to_canonical(&self.header);
        let justify = codec::to_canonical(&self.justify);
        let tc = codec::to_canonical(&self.timeout_cert);
        let events_len: usize = event_bytes.iter().map(|b| b.as_ref().len()).sum();
        let mut out =
            Vec::with_capacity(1 + header.len() + justify.len() + tc.len() + 9 + events_len);
        // A block is a 4-item array: header, justify, timeout_cert, events.
        out.push(0x84);
        out.extend_from_slice(&header);
        out.extend_from_slice(&justify);
        out.extend_from_slice(&tc);
        push_cbor_array_head(&mut out, self.events.len());
        for b in event_bytes {
            out.extend_from_slice(b.as_ref());
        }
        out
    }

    /// Decodes canonical bytes (at most [`BLOCK_BYTES_MAX`]).
    pub fn decode(bytes: &[u8]) -> Result<Block, DecodeError> {
        codec::from_canonical(bytes, BLOCK_BYTES_MAX, "block")
    }

    /// The ids of the events, in order.
    pub fn event_ids(&self) -> Vec<EventId> {
        self.events.iter().map(SignedEvent::id).collect()
    }

    /// [`Self::event_ids`] and the length of the events' canonical encoding (the array
    /// `codec::to_canonical(&self.events)`, which block size limits count), from one encoding of
    /// each event: a proposal's checks need both, and encoding every event twice was a
    /// measurable share of a validator's CPU.
    pub fn event_ids_and_size(&self) -> (Vec<EventId>, usize) {
        let mut size = cbor_array_head_len(self.events.len());
        let ids = self
            .events
            .iter()
            .map(|e| {
                let bytes = e.to_bytes();
                size += bytes.len();
                crate::domain::sha256(&bytes)
            })
            .collect();
        (ids, size)
    }

    /// True when the header's `events_root` and `event_count` match the events.
    pub fn events_match_header(&self) -> bool {
        self.ids_match_header(&self.event_ids())
    }

    /// [`Self::events_match_header`] for a caller that already holds [`Self::event_ids`]:
    /// true when `ids` are as many as the header counts and their root is its `events_root`.
    pub fn ids_match_header(&self, ids: &[EventId]) -> bool {
        u32::try_from(ids.len()).ok() == Some(self.header.event_count)
            && ids.len() == self.events.len()
            && events_root(ids) == self.header.events_root
    }
}

/// Bytes of the head of a CBOR array of `n` items (RFC 8949 §3: the shortest form, which the
/// canonical encoding requires).
fn cbor_array_head_len(n: usize) -> usize {
    let mut head = Vec::with_capacity(9);
    push_cbor_array_head(&mut head, n);
    head.len()
}

/// Appends the head of a CBOR array (major type 4) of `n` items, in its shortest form.
fn push_cbor_array_head(out: &mut Vec<u8>, n: usize) {
    const ARRAY: u8 = 4 << 5;
    let n = n as u64;
    if n < 24 {
        out.push(ARRAY | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend_from_slice(&[ARRAY | 24, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(ARRAY | 25);
        out.extend_from_slice(&n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        out.push(ARRAY | 26);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(ARRAY | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

wire_struct! {
    /// A block with the QC that certifies it: what a node stores for every committed block,
    /// serves to syncing peers and auditors (`GET /v1/blocks?format=cbor`), and an auditor
    /// verifies against the genesis.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CertifiedBlock {
        /// The block.
        pub block: Block,
        /// A QC whose data names this block (hash, height, round).
        pub qc: QuorumCertificate,
    }
}
