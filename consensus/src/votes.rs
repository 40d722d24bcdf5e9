//! Vote aggregation (by every validator): one vote per validator per round, a QC as soon
//! as one block's votes reach quorum power.

use std::collections::BTreeMap;

use tradeledger_types::{QuorumCertificate, ValidatorSet, Vote, VoteData};

#[derive(Debug, Default, Clone)]
struct RoundVotes {
    /// The data each validator (by index) voted for.
    by_voter: BTreeMap<usize, VoteData>,
    /// Votes and their power per voted data.
    tallies: BTreeMap<VoteData, (u64, Vec<Vote>)>,
    /// What the round's QC certifies, once formed.
    formed: Option<VoteData>,
}

/// What adding a vote did.
pub(crate) enum Added {
    /// Same voter, same data as before.
    Duplicate,
    /// Same voter, different data: the first one stands.
    Equivocation,
    /// Counted; `Some` when it completed a QC.
    Counted(Option<QuorumCertificate>),
}

#[derive(Debug, Default, Clone)]
pub(crate) struct VoteAggregator {
    rounds: BTreeMap<u64, RoundVotes>,
}

impl VoteAggregator {
    /// Whether `index` already voted in `round`, and for what.
    pub fn voted(&self, round: u64, index: usize) -> Option<&VoteData> {
        self.rounds.get(&round).and_then(|r| r.by_voter.get(&index))
    }

    /// Whether a QC on exactly `data` has formed here: a further vote for it changes nothing.
    pub fn certified(&self, data: &VoteData) -> bool {
        self.rounds
            .get(&data.round)
            .is_some_and(|r| r.formed.as_ref() == Some(data))
    }

    /// Adds a vote already checked (signature, membership, round window).
    pub fn add(&mut self, set: &ValidatorSet, index: usize, vote: Vote) -> Added {
        let round = self.rounds.entry(vote.data.round).or_default();
        if let Some(prev) = round.by_voter.get(&index) {
            return if *prev == vote.data {
                Added::Duplicate
            } else {
                Added::Equivocation
            };
        }
        let power = set.get(index).map_or(0, |v| v.voting_power);
        let data = vote.data.clone();
        round.by_voter.insert(index, data.clone());
        let tally = round.tallies.entry(data.clone()).or_insert((0, Vec::new()));
        tally.0 = tally.0.saturating_add(power);
        tally.1.push(vote);
        if round.formed.is_none() && tally.0 >= set.quorum_power() {
            round.formed = Some(data);
            return Added::Counted(Some(QuorumCertificate::from_votes(set, &tally.1)));
        }
        Added::Counted(None)
    }

    /// Forgets rounds below `round`.
    pub fn prune_below(&mut self, round: u64) {
        self.rounds = self.rounds.split_off(&round);
    }
}
