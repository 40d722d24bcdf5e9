//! Batches of events shared between validators' mempools, content-addressed by digest.

use tradeledger_types::{DecodeError, Domain, EventId, Hash32, SignedEvent, codec};

/// A batch of signed events as sent between mempools: canonical CBOR of the event list.
#[derive(Debug, Clone)]
pub struct EventBatch {
    /// Canonical bytes.
    pub bytes: Vec<u8>,
    /// `SHA-256("tradeledger/v1/batch" ‖ 0x00 ‖ bytes)`.
    pub digest: Hash32,
}

impl EventBatch {
    /// Encodes events into a batch.
    pub fn encode(events: &[SignedEvent]) -> EventBatch {
        let bytes = codec::to_canonical(events);
        EventBatch {
            digest: Domain::BATCH.hash(&bytes),
            bytes,
        }
    }

    /// The digest of received bytes.
    pub fn digest_of(bytes: &[u8]) -> Hash32 {
        Domain::BATCH.hash(bytes)
    }

    /// Decodes received bytes (canonical, at most `max` bytes) into events with their ids.
    pub fn decode(bytes: &[u8], max: usize) -> Result<Vec<(SignedEvent, EventId)>, DecodeError> {
        let events: Vec<SignedEvent> = codec::from_canonical(bytes, max, "event batch")?;
        Ok(events
            .into_iter()
            .map(|e| {
                let id = e.id();
                (e, id)
            })
            .collect())
    }

    /// Like [`EventBatch::decode`], with each event's canonical size; each event is encoded
    /// once, for both its id and its size.
    pub fn decode_sized(
        bytes: &[u8],
        max: usize,
    ) -> Result<Vec<(SignedEvent, EventId, usize)>, DecodeError> {
        let events: Vec<SignedEvent> = codec::from_canonical(bytes, max, "event batch")?;
        Ok(events.into_iter().map(sized).collect())
    }
}

/// An event with its id and canonical size, from one encoding (the form batch admission takes).
pub fn sized(event: SignedEvent) -> (SignedEvent, EventId, usize) {
    let canonical = event.to_bytes();
    let id = tradeledger_types::domain::sha256(&canonical);
    (event, id, canonical.len())
}
