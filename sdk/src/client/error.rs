//! Client errors.

use std::time::Duration;
use tradeledger_types::{EventId, PublicKey};

/// Why a call to a node failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The URL called.
        url: String,
        /// The transport's message.
        reason: String,
    },
    /// The node refused the request (4xx) with a reason.
    #[error("{url} refused the request ({status} {code}): {message}")]
    Rejected {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The node's error code (`bad_signature`, `sequence_gap`, ...).
        code: String,
        /// The node's message.
        message: String,
    },
    /// The node failed (5xx) or is overloaded (429, 503): worth retrying.
    #[error("{url} is unavailable ({status}): {message}")]
    Unavailable {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The body, if any.
        message: String,
    },
    /// 404.
    #[error("{url}: not found")]
    NotFound {
        /// The URL called.
        url: String,
    },
    /// The answer was not what the API promises.
    #[error("{url}: unexpected answer: {reason}")]
    BadResponse {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A wait for a commit ran out while the event was still waiting at the node for an
    /// earlier sequence number of its signer: that number was never committed or pending
    /// there (never sent, or refused at submission: a refusal uses up no number). Submit it.
    #[error(
        "event {id} still waits, after {after:?}, for sequence {missing_seq} of signer {signer} (last committed: {committed_seq}): submit sequence {missing_seq}"
    )]
    WaitingForSequence {
        /// The event.
        id: EventId,
        /// Its signer.
        signer: PublicKey,
        /// The sequence number it waits for.
        missing_seq: u64,
        /// The signer's last committed sequence number.
        committed_seq: u64,
        /// How long the client waited.
        after: Duration,
    },
    /// The node dropped the event (`sequence_gap`): it waited longer than the node's bound
    /// for an earlier sequence number of its signer. It used up no number: submit the missing
    /// one, then this event again.
    #[error(
        "event {id} was dropped after waiting {waited_ms} ms for sequence {missing_seq} of signer {signer} (last committed: {committed_seq}): submit sequence {missing_seq}, then this event again"
    )]
    SequenceGap {
        /// The event.
        id: EventId,
        /// Its signer.
        signer: PublicKey,
        /// The sequence number it waited for.
        missing_seq: u64,
        /// The signer's last committed sequence number.
        committed_seq: u64,
        /// How long it waited at the node, ms.
        waited_ms: u64,
    },
    /// A wait ran out.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
    },
}

impl ClientError {
    /// True for failures that may pass by themselves (transport, 5xx, 429): retry with backoff.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClientError::Transport { .. } | ClientError::Unavailable { .. }
        )
    }
}
