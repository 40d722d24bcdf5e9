//! Properties every decoded signed event must have, whichever way it arrived (API CBOR, API
//! JSON, a peer's batch).

use tradeledger_node::mempool::verifier::verify_events;
use tradeledger_types::{SignedEvent, codec::EVENT_BYTES_MAX};

/// Checks one decoded event:
/// * its JSON form (the API's) parses back to the same event;
/// * when its canonical bytes are within the API limit, they decode back to it with id
///   `event.id()`;
/// * the node's batch signature check agrees with the single check (validators must not
///   disagree on which events are signed);
/// * payload validation answers (never panics).
pub fn check_event(event: &SignedEvent) {
    let json = serde_json::to_string(event).expect("a signed event is representable as JSON");
    let back: SignedEvent =
        serde_json::from_str(&json).expect("the JSON of a signed event parses back");
    assert_eq!(&back, event, "JSON round trip changed the event");
    let bytes = event.to_bytes();
    if bytes.len() <= EVENT_BYTES_MAX {
        let (decoded, id) =
            SignedEvent::decode(&bytes).expect("canonical bytes of an event decode");
        assert_eq!(&decoded, event, "CBOR round trip changed the event");
        assert_eq!(id, event.id(), "decode id differs from SignedEvent::id");
    }
    let batch = verify_events(std::slice::from_ref(event));
    assert_eq!(batch.len(), 1, "one result per event");
    assert_eq!(
        batch[0].is_ok(),
        event.verify().is_ok(),
        "batch and single signature checks disagree"
    );
    let _ = event.body.payload.validate();
}
