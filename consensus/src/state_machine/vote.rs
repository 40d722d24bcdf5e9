//! Votes, sent to every validator and aggregated into QCs by each.
//!
//! Sending votes to the next leader only (as Jolteon does) lets one crashed validator cost two
//! rounds per slot it leads: the round before it (whose votes it never aggregates, so that
//! block is never certified) and its own. With votes everywhere, every validator forms the
//! QC, enters the next round at once, and a timeout certificate after a dead leader's round
//! carries that QC to the next leader: a crashed leader costs its own round only. The price
//! is n − 1 vote messages and signature checks per validator per round instead of one.

use tradeledger_types::Vote;

use super::{Consensus, Out};
use crate::drops::DropReason;
use crate::limits::ROUND_WINDOW;
use crate::votes::Added;

impl Consensus {
    /// A vote from a peer (`local == false`) or from this validator's own safety rules.
    pub(super) fn on_vote(&mut self, vote: Vote, local: bool, out: &mut Out) {
        let d = &vote.data;
        if d.chain_id != self.cfg.chain_id {
            return self.drops.count(DropReason::WrongChain);
        }
        let Some(index) = self.validators().index_of(&vote.voter) else {
            return self.drops.count(DropReason::UnknownValidator);
        };
        if d.round.saturating_add(1) < self.round {
            return self.drops.count(DropReason::StaleRound);
        }
        if d.round > self.round.saturating_add(ROUND_WINDOW) {
            return self.drops.count(DropReason::FutureRound);
        }
        if d.round.checked_add(1).is_none() {
            return self.drops.count(DropReason::FutureRound);
        }
        if let Some(prev) = self.votes.voted(d.round, index)
            && prev == d
        {
            return self.drops.count(DropReason::Duplicate);
        }
        if !local && self.votes.certified(d) {
            // This round's QC on the same data has formed: the vote would change nothing, so
            // its signature is not worth checking (with votes to every validator, the last of
            // each round's votes arrives after the quorum: a third of the vote checks). Not a
            // drop: nothing is wrong with it. A late vote for other data is still checked and
            // counted, as it may be an equivocation.
            return;
        }
        if !local && vote.verify().is_err() {
            return self.drops.count(DropReason::BadSignature);
        }
        match self.votes.add(&self.cfg.validators, index, vote) {
            Added::Duplicate => self.drops.count(DropReason::Duplicate),
            Added::Equivocation => self.drops.count(DropReason::Equivocation),
            Added::Counted(None) => {}
            Added::Counted(Some(qc)) => {
                self.remember_qc(&qc);
                self.process_qc(&qc, None, out);
            }
        }
    }
}
