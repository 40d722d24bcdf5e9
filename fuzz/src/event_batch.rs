//! Gossip: [`EventBatch::decode`] on a `Request::Batch` body from a validator.

use tradeledger_node::mempool::EventBatch;
use tradeledger_types::{SignedEvent, codec::MESSAGE_BYTES_MAX};

/// Whatever decodes re-encodes to exactly `data` with the same digest, each id is its event's
/// id, and each event passes [`check_event`](crate::event_checks::check_event).
pub fn run(data: &[u8]) {
    let Ok(decoded) = EventBatch::decode(data, MESSAGE_BYTES_MAX) else {
        return;
    };
    let events: Vec<SignedEvent> = decoded.iter().map(|(e, _)| e.clone()).collect();
    let again = EventBatch::encode(&events);
    assert_eq!(again.bytes, data, "decode→encode is not the identity");
    assert_eq!(again.digest, EventBatch::digest_of(data), "digest differs");
    for (event, id) in &decoded {
        assert_eq!(*id, event.id(), "batch id differs from SignedEvent::id");
        crate::event_checks::check_event(event);
    }
}
