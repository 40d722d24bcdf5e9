//! Timeout aggregation: one timeout per validator per round, a TC at quorum power.

use std::collections::BTreeMap;

use tradeledger_types::{Timeout, TimeoutCertificate, ValidatorSet};

#[derive(Debug, Default, Clone)]
struct RoundTimeouts {
    by_signer: BTreeMap<usize, Timeout>,
    power: u64,
    formed: bool,
}

/// What adding a timeout did.
pub(crate) enum Added {
    /// Already had this signer's timeout for the round.
    Duplicate,
    /// Counted; the power now timed out in the round, and a TC if it just reached quorum.
    Counted {
        power: u64,
        tc: Option<TimeoutCertificate>,
    },
}

#[derive(Debug, Default, Clone)]
pub(crate) struct TimeoutAggregator {
    rounds: BTreeMap<u64, RoundTimeouts>,
}

impl TimeoutAggregator {
    pub fn has(&self, round: u64, index: usize) -> bool {
        self.rounds
            .get(&round)
            .is_some_and(|r| r.by_signer.contains_key(&index))
    }

    /// Adds a checked timeout.
    pub fn add(&mut self, set: &ValidatorSet, index: usize, timeout: Timeout) -> Added {
        let round = self.rounds.entry(timeout.data.round).or_default();
        if round.by_signer.contains_key(&index) {
            return Added::Duplicate;
        }
        round.power = round
            .power
            .saturating_add(set.get(index).map_or(0, |v| v.voting_power));
        round.by_signer.insert(index, timeout);
        if !round.formed && round.power >= set.quorum_power() {
            round.formed = true;
            let all: Vec<Timeout> = round.by_signer.values().cloned().collect();
            return Added::Counted {
                power: round.power,
                tc: Some(TimeoutCertificate::from_timeouts(set, &all)),
            };
        }
        Added::Counted {
            power: round.power,
            tc: None,
        }
    }

    pub fn prune_below(&mut self, round: u64) {
        self.rounds = self.rounds.split_off(&round);
    }
}
