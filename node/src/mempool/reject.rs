//! Why an event was not admitted.

use tradeledger_types::{DecodeError, EventId, FieldError};

/// A rejection at admission, with a stable machine code ([`Reject::code`]) for the API and
/// metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// The bytes are not one canonical signed event (or exceed the size limit).
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// The JSON body is not a signed event.
    #[error("body is not a signed event: {0}")]
    Json(String),
    /// Signed for another chain.
    #[error("event is for chain {found:?}, this chain is {expected:?}")]
    WrongChain {
        /// This chain.
        expected: String,
        /// The event's chain.
        found: String,
    },
    /// A payload field is invalid.
    #[error("invalid payload: {0}")]
    InvalidPayload(FieldError),
    /// The signature does not verify.
    #[error("signature does not verify: {0}")]
    BadSignature(tradeledger_types::SignatureError),
    /// Already pending.
    #[error("event {0} is already pending")]
    Duplicate(EventId),
    /// Already committed.
    #[error("event {0} is already committed")]
    AlreadyCommitted(EventId),
    /// The signer's sequence number is already used by a committed event.
    #[error("sequence {seq} is not above the signer's last committed sequence {committed}")]
    StaleSequence {
        /// Last committed sequence of the signer.
        committed: u64,
        /// The event's sequence.
        seq: u64,
    },
    /// Another pending event of the same signer has this sequence number.
    #[error("another pending event of this signer has sequence {seq}")]
    SequenceTaken {
        /// The sequence.
        seq: u64,
    },
    /// The sequence number is too far ahead of the signer's last committed one.
    #[error(
        "sequence {seq} is more than {window} ahead of the signer's last committed sequence {committed}"
    )]
    SequenceTooFar {
        /// Last committed sequence.
        committed: u64,
        /// The event's sequence.
        seq: u64,
        /// Allowed window.
        window: u64,
    },
    /// The mempool is at its count or byte cap.
    #[error("mempool is full ({events} events, {bytes} bytes); retry later")]
    Full {
        /// Events held.
        events: usize,
        /// Bytes held.
        bytes: usize,
    },
    /// Admitted, then dropped: the event waited longer than the node's bound
    /// (`mempool_gap_wait_s`) for an earlier sequence number of its signer that was never
    /// committed or pending here. It used up nothing: submit the missing number, then this
    /// event again.
    #[error(
        "waited {} s for sequence {missing_seq} of signer {signer} (its last committed sequence is {committed_seq}) and was dropped: submit sequence {missing_seq}, then this event again",
        waited_ms / 1_000
    )]
    GapExpired {
        /// The signer.
        signer: tradeledger_types::PublicKey,
        /// The sequence number the event waited for.
        missing_seq: u64,
        /// The signer's last committed sequence number.
        committed_seq: u64,
        /// How long the event waited, ms.
        waited_ms: u64,
    },
    /// The node is shutting down or a storage call failed.
    #[error("node unavailable: {0}")]
    Unavailable(String),
    /// The signing key is retired at the next height: a revoked device (`device_revoked`) or a
    /// rotated-out organisation key (`key_revoked`); the code and detail are execution's.
    #[error("{}", .0.detail)]
    KeyRetired(tradeledger_contracts::Rejection),
}

impl Reject {
    /// Stable snake_case code, used as the API's `error` and the metrics label.
    pub fn code(&self) -> &'static str {
        match self {
            Reject::Decode(DecodeError::Oversize { .. }) => "too_large",
            Reject::Decode(DecodeError::NonCanonical { .. }) => "non_canonical",
            Reject::Decode(_) => "malformed",
            Reject::Json(_) => "malformed",
            Reject::WrongChain { .. } => "wrong_chain",
            Reject::InvalidPayload(_) => "invalid_payload",
            Reject::BadSignature(_) => "bad_signature",
            Reject::Duplicate(_) => "duplicate",
            Reject::AlreadyCommitted(_) => "already_committed",
            Reject::StaleSequence { .. } => "stale_sequence",
            Reject::SequenceTaken { .. } => "sequence_taken",
            Reject::SequenceTooFar { .. } => "sequence_too_far",
            Reject::Full { .. } => "mempool_full",
            Reject::GapExpired { .. } => "sequence_gap",
            Reject::Unavailable(_) => "unavailable",
            Reject::KeyRetired(r) => r.code.as_str(),
        }
    }
}
