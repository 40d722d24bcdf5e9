//! Leader election: one leader per round, chosen deterministically with probability
//! proportional to voting power.

use tradeledger_types::{PublicKey, ValidatorSet, domain::sha256};

/// The leader schedule of a validator set: a pure function of chain id and round.
#[derive(Debug, Clone)]
pub struct LeaderSchedule {
    seed: Vec<u8>,
    /// `(cumulative power after this validator, key)`, in validator index order.
    cumulative: Vec<(u64, PublicKey)>,
    total_power: u64,
}

impl LeaderSchedule {
    /// The schedule for `validators` on `chain_id`.
    pub fn new(chain_id: &str, validators: &ValidatorSet) -> Self {
        let mut seed = b"tradeledger/v1/leader\0".to_vec();
        seed.extend_from_slice(chain_id.as_bytes());
        seed.push(0);
        let mut acc: u64 = 0;
        let cumulative = validators
            .validators()
            .iter()
            .map(|v| {
                // The set's constructor checked the total does not overflow.
                acc = acc.saturating_add(v.voting_power);
                (acc, v.consensus_key)
            })
            .collect();
        LeaderSchedule {
            seed,
            cumulative,
            total_power: validators.total_power(),
        }
    }

    /// The leader of `round`: `SHA-256("tradeledger/v1/leader" ‖ 0 ‖ chain_id ‖ 0 ‖ round_be)`
    /// read as a 64-bit fraction of the total power, so each validator leads a share of rounds
    /// equal to its share of power.
    pub fn leader(&self, round: u64) -> PublicKey {
        let mut bytes = self.seed.clone();
        bytes.extend_from_slice(&round.to_be_bytes());
        let digest = sha256(&bytes);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.0[..8]);
        let x = u64::from_be_bytes(first);
        // ⌊x · total / 2^64⌋ < total: a point in [0, total).
        let point = ((u128::from(x) * u128::from(self.total_power)) >> 64) as u64;
        for (cum, key) in &self.cumulative {
            if point < *cum {
                return *key;
            }
        }
        // Unreachable: point < total == the last cumulative value.
        self.cumulative[self.cumulative.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_types::{SecretKey, ValidatorInfo};

    fn set(powers: &[u64]) -> ValidatorSet {
        let vs = powers
            .iter()
            .enumerate()
            .map(|(i, &p)| ValidatorInfo {
                name: format!("v{i}"),
                org: "org".into(),
                consensus_key: SecretKey::from_seed([i as u8 + 1; 32]).public(),
                peer_id: format!("peer{i}"),
                voting_power: p,
            })
            .collect();
        ValidatorSet::new(vs).expect("valid set")
    }

    #[test]
    fn leader_is_deterministic_and_a_member() {
        let s = set(&[1, 1, 1, 1]);
        let a = LeaderSchedule::new("chain", &s);
        let b = LeaderSchedule::new("chain", &s);
        for r in 0..200 {
            assert_eq!(a.leader(r), b.leader(r));
            assert!(s.index_of(&a.leader(r)).is_some());
        }
    }

    #[test]
    fn leadership_share_follows_voting_power() {
        // Power 6:1:1:1:1 — the heavy validator should lead about 60% of rounds.
        let s = set(&[6, 1, 1, 1, 1]);
        let sched = LeaderSchedule::new("chain", &s);
        let heavy = s.validators()[0].consensus_key;
        let count = (0..10_000).filter(|&r| sched.leader(r) == heavy).count();
        assert!(
            (5_500..6_500).contains(&count),
            "heavy validator led {count} of 10000 rounds"
        );
        for v in &s.validators()[1..] {
            let c = (0..10_000)
                .filter(|&r| sched.leader(r) == v.consensus_key)
                .count();
            assert!(
                (700..1_300).contains(&c),
                "light validator led {c} of 10000 rounds"
            );
        }
    }

    #[test]
    fn chain_id_changes_the_schedule() {
        let s = set(&[1, 1, 1, 1, 1, 1, 1]);
        let a = LeaderSchedule::new("chain-a", &s);
        let b = LeaderSchedule::new("chain-b", &s);
        assert!((0..50).any(|r| a.leader(r) != b.leader(r)));
    }
}
