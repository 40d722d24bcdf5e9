//! [`ConsensusMessage::decode`] on a `Request::Consensus` body from a validator.

use crate::fixture::{CHAIN_ID, validators};
use tradeledger_consensus::ConsensusMessage;

/// Whatever decodes re-encodes to exactly `data`; checking its signatures and certificates
/// against the fixture validator set answers (never panics).
pub fn run(data: &[u8]) {
    let Ok(msg) = ConsensusMessage::decode(data) else {
        return;
    };
    assert_eq!(msg.encode(), data, "decode→encode is not the identity");
    inspect(&msg);
}

/// Runs every check a receiving core would run on `msg`'s parts; the answers do not matter,
/// only that each returns.
pub fn inspect(msg: &ConsensusMessage) {
    let set = validators();
    match msg {
        ConsensusMessage::Proposal(p) => {
            let _ = p.verify_signature();
            let _ = p.block.events_match_header();
            let _ = p.block.justify.verify(CHAIN_ID, set);
            if let Some(tc) = &p.block.timeout_cert {
                let _ = tc.verify(CHAIN_ID, set);
            }
        }
        ConsensusMessage::Vote(v) => {
            let _ = v.verify();
        }
        ConsensusMessage::Timeout(t) => {
            let _ = t.timeout.verify_signature();
            let _ = t.timeout.high_qc.verify(CHAIN_ID, set);
            if let Some(tc) = &t.last_tc {
                let _ = tc.verify(CHAIN_ID, set);
                let _ = tc.max_high_qc_round();
            }
        }
        ConsensusMessage::SyncRequest(_) => {}
        ConsensusMessage::SyncResponse(r) => {
            for b in &r.blocks {
                let _ = b.events_match_header();
                let _ = b.justify.verify(CHAIN_ID, set);
            }
            if let Some(qc) = &r.qc {
                let _ = qc.verify(CHAIN_ID, set);
            }
        }
    }
}
