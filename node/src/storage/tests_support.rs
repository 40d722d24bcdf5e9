//! Test fixtures shared by the node's unit tests.

use tradeledger_types::*;

/// A signed clearance event for shipment `SHP-1` on `test-chain` by the key of `[seed; 32]`.
pub(crate) fn sample_event(seed: u8, seq: u64) -> SignedEvent {
    let key = SecretKey::from_seed([seed; 32]);
    EventBody {
        chain_id: "test-chain".into(),
        signer: key.public(),
        seq,
        payload: Payload::Clearance(ClearanceDecision {
            shipment_id: "SHP-1".into(),
            decision: Decision::Release,
            reason: String::new(),
        }),
    }
    .sign(&key)
}
