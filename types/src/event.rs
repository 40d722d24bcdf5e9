//! The signed event envelope and event ids.

use crate::codec::{self, DecodeError, EVENT_BYTES_MAX};
use crate::crypto::{self, SecretKey, SignatureError};
use crate::{Domain, Hash32, Payload, PublicKey, Signature, wire_struct};

/// An event's id: SHA-256 of its canonical signed bytes ([`SignedEvent`] encoded).
pub type EventId = Hash32;

wire_struct! {
    /// What the signer signs: the chain, who, which sequence number, and the payload.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct EventBody {
        /// The chain the event is for (genesis `chain_id`); an event signed for another chain is
        /// rejected.
        pub chain_id: String,
        /// The signer's public key (an organisation key or a registered device key).
        pub signer: PublicKey,
        /// Per-signer sequence number: 1 for the signer's first event, then one more than the
        /// last number used up; replays and gaps are rejected. **A number is used up exactly
        /// when an event carrying it is committed in a block and passes the envelope checks**:
        /// it is applied, or rejected by a later check (payload, role, references, rules). An
        /// event rejected in a block by an envelope check (`wrong_chain`, `unknown_signer`,
        /// `device_kind_not_allowed`, `device_revoked`, `key_revoked`, `replayed_sequence`,
        /// `sequence_gap`) uses up nothing, and so does an event the node refuses at submission
        /// (any 4xx or 5xx answer but 409, or a batch item answered `rejected` or
        /// `unavailable`): the signer's next event takes the same number, unless the refusal
        /// is `stale_sequence` or `sequence_taken` (another event holds it). A 409 (batch:
        /// `known`) means this very event is already pending or committed. An event whose
        /// earlier numbers are neither committed nor pending waits at the node
        /// (`GET /v1/events/{id}` answers `pending` with `waiting`, naming the missing number)
        /// and is dropped as `sequence_gap` after the node's `mempool_gap_wait_s`.
        pub seq: u64,
        /// The content.
        pub payload: Payload,
    }
}

wire_struct! {
    /// A body with the signer's ed25519 signature over
    /// `"tradeledger/v1/event" ‖ 0x00 ‖ canonical(body)`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct SignedEvent {
        /// The signed body.
        pub body: EventBody,
        /// Signature by `body.signer`.
        pub signature: Signature,
    }
}

impl EventBody {
    /// The exact bytes the signer signs (domain-prefixed canonical CBOR).
    pub fn signing_bytes(&self) -> Vec<u8> {
        Domain::EVENT_SIGNATURE.prefix(&codec::to_canonical(self))
    }

    /// Signs the body. The key must be the body's signer.
    ///
    /// # Panics
    /// If `key` is not the key named in `signer` (a caller bug: the event would never verify).
    pub fn sign(self, key: &SecretKey) -> SignedEvent {
        assert_eq!(
            key.public(),
            self.signer,
            "signing key does not match body.signer"
        );
        let signature = key.sign(Domain::EVENT_SIGNATURE, &codec::to_canonical(&self));
        SignedEvent {
            body: self,
            signature,
        }
    }
}

impl SignedEvent {
    /// Canonical bytes of the signed event.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// The event id (SHA-256 of [`Self::to_bytes`]).
    pub fn id(&self) -> EventId {
        crate::domain::sha256(&self.to_bytes())
    }

    /// Decodes canonical bytes (at most [`EVENT_BYTES_MAX`]) and returns the event with its id.
    /// Does not verify the signature: see [`Self::verify`] and [`crypto::verify_batch`].
    pub fn decode(bytes: &[u8]) -> Result<(SignedEvent, EventId), DecodeError> {
        let ev: SignedEvent = codec::from_canonical(bytes, EVENT_BYTES_MAX, "signed event")?;
        // The canonical check guarantees `bytes` is the encoding of `ev`, so hash them directly.
        Ok((ev, crate::domain::sha256(bytes)))
    }

    /// This event as an item of a signature batch; `signing_bytes` must be
    /// [`EventBody::signing_bytes`] of its body (kept by the caller, which owns the batch).
    pub fn batch_item<'a>(&'a self, signing_bytes: &'a [u8]) -> crypto::BatchItem<'a> {
        crypto::BatchItem {
            key: &self.body.signer,
            message: signing_bytes,
            signature: &self.signature,
        }
    }

    /// Verifies the signature.
    pub fn verify(&self) -> Result<(), SignatureError> {
        crypto::verify(
            &self.body.signer,
            Domain::EVENT_SIGNATURE,
            &codec::to_canonical(&self.body),
            &self.signature,
        )
    }
}
