//! `POST /v1/events` with `application/cbor`: [`SignedEvent::decode`] on the request body.

use tradeledger_types::SignedEvent;

/// Whatever decodes is canonical (re-encodes to exactly `data`), has the id of its bytes, and
/// passes [`check_event`](crate::event_checks::check_event).
pub fn run(data: &[u8]) {
    let Ok((event, id)) = SignedEvent::decode(data) else {
        return;
    };
    assert_eq!(event.to_bytes(), data, "decode→encode is not the identity");
    assert_eq!(id, event.id(), "id is not the hash of the canonical bytes");
    crate::event_checks::check_event(&event);
}
