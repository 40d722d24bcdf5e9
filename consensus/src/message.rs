//! The consensus wire messages and their canonical encoding.

use serde::{Deserialize, Serialize};
use tradeledger_types::codec::{self, DecodeError, MESSAGE_BYTES_MAX};
use tradeledger_types::crypto::{self, SignatureError};
use tradeledger_types::{
    Block, Domain, Hash32, QuorumCertificate, SecretKey, Signature, Timeout, TimeoutCertificate,
    Vote, wire_struct,
};

wire_struct! {
    /// What a leader signs when it proposes: the block hash and the round.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProposalData {
        /// The proposed block.
        pub block_hash: Hash32,
        /// Its round.
        pub round: u64,
    }
}

wire_struct! {
    /// A leader's proposal: the block and the leader's signature over [`ProposalData`] with
    /// domain `tradeledger/v1/proposal`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Proposal {
        /// The block; `header.proposer` is the signer.
        pub block: Block,
        /// Signature by `block.header.proposer`.
        pub signature: Signature,
    }
}

impl Proposal {
    /// Signs `block` as its proposer (the caller makes sure `key` is `block.header.proposer`).
    pub fn sign(block: Block, key: &SecretKey) -> Proposal {
        let data = ProposalData {
            block_hash: block.hash(),
            round: block.header.round,
        };
        let signature = key.sign(Domain::PROPOSAL, &codec::to_canonical(&data));
        Proposal { block, signature }
    }

    /// Verifies the signature against `block.header.proposer` (not that it is the leader).
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        let data = ProposalData {
            block_hash: self.block.hash(),
            round: self.block.header.round,
        };
        crypto::verify(
            &self.block.header.proposer,
            Domain::PROPOSAL,
            &codec::to_canonical(&data),
            &self.signature,
        )
    }
}

wire_struct! {
    /// A timeout, with the sender's highest timeout certificate so a receiver in an older round
    /// can catch up to the sender's round.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TimeoutMessage {
        /// The signed timeout (carries the sender's high QC).
        pub timeout: Timeout,
        /// The highest TC the sender holds, if any.
        pub last_tc: Option<TimeoutCertificate>,
    }
}

wire_struct! {
    /// "Send me the certified blocks from above `committed_height` up to `target`."
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SyncRequest {
        /// The requester's committed height.
        pub committed_height: u64,
        /// The block wanted (typically the parent of a proposal it could not place).
        pub target: Hash32,
    }
}

wire_struct! {
    /// Up to [`crate::limits::SYNC_BLOCKS_MAX`] consecutive blocks: block `i` is certified by
    /// `blocks[i + 1].justify`, the last by `qc` when the responder holds a QC for it. Without
    /// one, the requester keeps the last block only if it already holds its QC (the QC that made
    /// it ask, typically the `justify` of a proposal whose parent it lacked).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SyncResponse {
        /// Blocks in increasing height, each the parent of the next.
        pub blocks: Vec<Block>,
        /// The QC on the last block, if the responder holds one.
        pub qc: Option<QuorumCertificate>,
    }
}

/// Every message validators exchange for consensus. Encoded canonically as a one-entry map
/// `{kind: content}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsensusMessage {
    /// A leader's block for its round (to all validators).
    Proposal(Box<Proposal>),
    /// A vote (to every validator).
    Vote(Vote),
    /// A timeout (to all validators).
    Timeout(Box<TimeoutMessage>),
    /// A request for missing certified blocks (to one validator).
    SyncRequest(SyncRequest),
    /// The answer to a [`SyncRequest`].
    SyncResponse(Box<SyncResponse>),
}

impl ConsensusMessage {
    /// Canonical CBOR bytes.
    pub fn encode(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// Decodes canonical bytes of at most [`MESSAGE_BYTES_MAX`]; anything else is an error,
    /// never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::from_canonical(bytes, MESSAGE_BYTES_MAX, "consensus message")
    }

    /// The message kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ConsensusMessage::Proposal(_) => "proposal",
            ConsensusMessage::Vote(_) => "vote",
            ConsensusMessage::Timeout(_) => "timeout",
            ConsensusMessage::SyncRequest(_) => "sync_request",
            ConsensusMessage::SyncResponse(_) => "sync_response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_types::{BlockHeader, PublicKey, TimeoutData, VoteData};

    fn block(key: &SecretKey) -> Block {
        Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height: 1,
                round: 1,
                parent_hash: Hash32([9; 32]),
                proposer: key.public(),
                block_time_ms: 5,
                events_root: tradeledger_types::events_root(&[]),
                event_count: 0,
                state_root: Hash32::ZERO,
                results_root: Hash32::ZERO,
            },
            justify: QuorumCertificate::genesis("c", Hash32([9; 32])),
            timeout_cert: None,
            events: vec![],
        }
    }

    fn samples() -> Vec<ConsensusMessage> {
        let key = SecretKey::from_seed([3; 32]);
        let b = block(&key);
        let vote = Vote::sign(
            VoteData {
                chain_id: "c".into(),
                block_hash: b.hash(),
                height: 1,
                round: 1,
            },
            &key,
        );
        let timeout = Timeout::sign(
            TimeoutData {
                chain_id: "c".into(),
                round: 2,
                high_qc_round: 0,
            },
            b.justify.clone(),
            &key,
        );
        vec![
            ConsensusMessage::Proposal(Box::new(Proposal::sign(b.clone(), &key))),
            ConsensusMessage::Vote(vote),
            ConsensusMessage::Timeout(Box::new(TimeoutMessage {
                timeout,
                last_tc: None,
            })),
            ConsensusMessage::SyncRequest(SyncRequest {
                committed_height: 4,
                target: Hash32([1; 32]),
            }),
            ConsensusMessage::SyncResponse(Box::new(SyncResponse {
                blocks: vec![b.clone()],
                qc: Some(b.justify),
            })),
        ]
    }

    #[test]
    fn every_message_kind_round_trips_canonically() {
        for m in samples() {
            let bytes = m.encode();
            assert_eq!(
                ConsensusMessage::decode(&bytes).ok().as_ref(),
                Some(&m),
                "{}",
                m.kind()
            );
        }
    }

    #[test]
    fn proposal_signature_binds_block_and_signer() {
        let key = SecretKey::from_seed([3; 32]);
        let p = Proposal::sign(block(&key), &key);
        p.verify_signature().expect("valid");
        let mut other = p.clone();
        other.block.header.block_time_ms += 1;
        assert!(other.verify_signature().is_err());
        let mut forged = p;
        forged.block.header.proposer = PublicKey(SecretKey::from_seed([4; 32]).public().0);
        assert!(forged.verify_signature().is_err());
    }

    #[test]
    fn oversize_trailing_and_garbage_inputs_are_errors() {
        let bytes = samples()[1].encode();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            ConsensusMessage::decode(&trailing),
            Err(DecodeError::TrailingBytes { .. })
        ));
        assert!(ConsensusMessage::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(ConsensusMessage::decode(&[0xff, 0x00, 0x13]).is_err());
        let huge = vec![0u8; MESSAGE_BYTES_MAX + 1];
        assert!(matches!(
            ConsensusMessage::decode(&huge),
            Err(DecodeError::Oversize { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = ConsensusMessage::decode(&bytes);
        }

        #[test]
        fn mutated_messages_decode_to_themselves_or_fail(index in 0usize..5, pos in 0usize..4096, byte in proptest::num::u8::ANY) {
            let m = &samples()[index];
            let mut bytes = m.encode();
            let pos = pos % bytes.len();
            bytes[pos] = byte;
            if let Ok(decoded) = ConsensusMessage::decode(&bytes) {
                // Whatever decodes re-encodes to exactly the input (canonical form is unique).
                proptest::prop_assert_eq!(decoded.encode(), bytes);
            }
        }
    }
}
