//! `POST /v1/events` with `application/json`: `serde_json::from_slice::<SignedEvent>` on the
//! request body, as the API handler does before re-encoding canonically.

use tradeledger_types::SignedEvent;

/// Whatever parses re-serialises to JSON that parses to the same event, and its canonical
/// bytes decode back to it (see [`check_event`](crate::event_checks::check_event)).
pub fn run(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<SignedEvent>(data) else {
        return;
    };
    crate::event_checks::check_event(&event);
}
