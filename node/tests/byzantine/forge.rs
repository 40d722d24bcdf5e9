//! Forged certificates and broken signatures: what the Byzantine validator signs (or cannot
//! sign) to pass off as someone else's agreement.

use tradeledger_types::certificate::bitmap_of;
use tradeledger_types::{
    Hash32, QuorumCertificate, Signature, TimeoutCertificate, ValidatorSet, Vote, VoteData,
};

/// A signature that verifies under no key: `sig` with one bit flipped.
pub fn corrupt(sig: &Signature) -> Signature {
    let mut s = *sig;
    s.0[0] ^= 0x01;
    s
}

/// A hash that names no block: derived from a label and a counter.
pub fn bogus_hash(label: u8, n: u64) -> Hash32 {
    let mut h = [label; 32];
    h[..8].copy_from_slice(&n.to_be_bytes());
    Hash32(h)
}

/// A QC with every validator marked and signatures that verify under none of them.
pub fn qc_with_bogus_signatures(set: &ValidatorSet, data: VoteData) -> QuorumCertificate {
    QuorumCertificate {
        data,
        signers: bitmap_of(0..set.len(), set.len()),
        signatures: vec![Signature([7; 64]); set.len()],
    }
}

/// A QC carrying only the given (valid) votes: below quorum when there are fewer than 2f + 1.
pub fn qc_too_few(set: &ValidatorSet, votes: &[Vote]) -> QuorumCertificate {
    QuorumCertificate::from_votes(set, votes)
}

/// A real QC's signatures over other data: for a block that does not exist.
pub fn qc_for_missing_block(real: &QuorumCertificate, missing: Hash32) -> QuorumCertificate {
    let mut qc = real.clone();
    qc.data.block_hash = missing;
    qc
}

/// A TC for `round` claiming every validator timed out, with signatures that verify under
/// none of them.
pub fn tc_with_bogus_signatures(
    set: &ValidatorSet,
    chain_id: &str,
    round: u64,
    high_qc_round: u64,
) -> TimeoutCertificate {
    TimeoutCertificate {
        chain_id: chain_id.to_owned(),
        round,
        signers: bitmap_of(0..set.len(), set.len()),
        high_qc_rounds: vec![high_qc_round; set.len()],
        signatures: vec![Signature([9; 64]); set.len()],
    }
}
