//! A self-contained proof that an event is on the chain: event → Merkle path → header → QC.

use crate::codec::{self, DecodeError, MESSAGE_BYTES_MAX};
use crate::{
    BlockHeader, CertificateError, InclusionProof, QuorumCertificate, SignatureError, SignedEvent,
    ValidatorSet, wire_struct,
};

wire_struct! {
    /// Everything needed to check, with nothing but the genesis validator set, that `event` is
    /// in the block with `header` and that more than two thirds of the voting power certified
    /// that block.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    pub struct EventProof {
        /// The event.
        pub event: SignedEvent,
        /// Its Merkle path to `header.events_root`.
        pub inclusion: InclusionProof,
        /// The header of the block holding it.
        pub header: BlockHeader,
        /// A quorum certificate on that header's hash.
        pub certificate: QuorumCertificate,
    }
}

/// Why an event proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The event's own signature is bad.
    #[error("event signature: {0}")]
    EventSignature(#[from] SignatureError),
    /// The proof's leaf count differs from the header's event count.
    #[error("proof covers {proof} leaves but the header holds {header} events")]
    LeafCount {
        /// Leaves according to the proof.
        proof: u64,
        /// Events according to the header.
        header: u32,
    },
    /// The Merkle path does not lead from the event id to the header's events root.
    #[error("Merkle path does not lead from the event to the header's events root")]
    Inclusion,
    /// The header is for another chain.
    #[error("header is for chain {found:?}, expected {expected:?}")]
    WrongChain {
        /// Chain in the header.
        found: String,
        /// Chain expected.
        expected: String,
    },
    /// The certificate is for another block (hash, height or round differ).
    #[error("certificate is for block {certified} but the header hashes to {header}")]
    CertifiesOtherBlock {
        /// Hash the QC certifies.
        certified: crate::Hash32,
        /// Hash of the header.
        header: crate::Hash32,
    },
    /// The certificate itself fails.
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
}

impl EventProof {
    /// Checks the whole chain of evidence against the validator set in force at the block.
    pub fn verify(&self, chain_id: &str, validators: &ValidatorSet) -> Result<(), ProofError> {
        self.event.verify()?;
        if self.header.chain_id != chain_id {
            return Err(ProofError::WrongChain {
                found: self.header.chain_id.clone(),
                expected: chain_id.to_owned(),
            });
        }
        if self.inclusion.leaf_count != u64::from(self.header.event_count) {
            return Err(ProofError::LeafCount {
                proof: self.inclusion.leaf_count,
                header: self.header.event_count,
            });
        }
        if !self
            .inclusion
            .verify(self.event.id().as_bytes(), &self.header.events_root)
        {
            return Err(ProofError::Inclusion);
        }
        let hash = self.header.hash();
        let d = &self.certificate.data;
        if d.block_hash != hash || d.height != self.header.height || d.round != self.header.round {
            return Err(ProofError::CertifiesOtherBlock {
                certified: d.block_hash,
                header: hash,
            });
        }
        self.certificate.verify(chain_id, validators)?;
        Ok(())
    }

    /// Canonical bytes (the `proof.cbor` file format).
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// Decodes canonical bytes.
    pub fn decode(bytes: &[u8]) -> Result<EventProof, DecodeError> {
        codec::from_canonical(bytes, MESSAGE_BYTES_MAX, "event proof")
    }
}
