//! What the harness checks after every input, from the core's effects and accessors alone:
//! the voting and timeout rules, persist-before-send, one proposal per round, and a committed
//! chain that only grows, block by certified block.

use std::collections::BTreeMap;
use tradeledger_consensus::{Commit, Consensus, ConsensusMessage, Effect, SafetyData};
use tradeledger_types::{Hash32, PublicKey, Timeout, Vote};

use crate::fixture::{CHAIN_ID, validators};

/// The core's history as seen from outside.
#[derive(Debug)]
pub struct Observer {
    me: PublicKey,
    round: u64,
    tip: (Hash32, u64),
    persisted: SafetyData,
    votes: BTreeMap<u64, Vote>,
    timeouts: BTreeMap<u64, Timeout>,
    proposals: BTreeMap<u64, Hash32>,
}

impl Observer {
    /// An observer of a fresh core.
    pub fn new(core: &Consensus) -> Self {
        Observer {
            me: core.public_key(),
            round: core.round(),
            tip: (core.committed_hash(), core.committed_height()),
            persisted: core.safety_data().clone(),
            votes: BTreeMap::new(),
            timeouts: BTreeMap::new(),
            proposals: BTreeMap::new(),
        }
    }

    /// Checks the effects of one input, in order, then the core's state after it.
    pub fn after(&mut self, core: &Consensus, effects: &[Effect]) {
        for (i, effect) in effects.iter().enumerate() {
            match effect {
                Effect::PersistBlocks(blocks) => {
                    // Written with the safety record right after it, lowest height first.
                    assert!(
                        matches!(effects.get(i + 1), Some(Effect::PersistSafety(_))),
                        "PersistBlocks not followed by PersistSafety"
                    );
                    assert!(!blocks.is_empty(), "empty PersistBlocks");
                    assert!(
                        blocks
                            .windows(2)
                            .all(|w| w[0].header.height <= w[1].header.height),
                        "PersistBlocks out of height order"
                    );
                }
                Effect::PersistSafety(data) => self.persist(data),
                Effect::Send { msg, .. } | Effect::Broadcast(msg) => self.sent(core, msg),
                Effect::Commit(commit) => self.commit(commit),
                Effect::ValidateBlock { block, ids } => assert_eq!(
                    ids,
                    &block.event_ids(),
                    "the ids handed to validation are the block's own"
                ),
                Effect::SetTimer { .. }
                | Effect::RequestPayload { .. }
                | Effect::RequestSync { .. } => {}
            }
        }
        assert!(core.round() >= self.round, "round went back");
        self.round = core.round();
        assert_eq!(
            (core.committed_hash(), core.committed_height()),
            self.tip,
            "committed tip differs from the commits emitted"
        );
        assert_eq!(
            core.safety_data(),
            &self.persisted,
            "safety data changed without a PersistSafety"
        );
    }

    /// Safety data only moves forward.
    fn persist(&mut self, data: &SafetyData) {
        let old = &self.persisted;
        assert!(
            data.last_voted_round >= old.last_voted_round,
            "last_voted_round went back"
        );
        assert!(
            data.locked_round >= old.locked_round,
            "locked_round went back"
        );
        assert!(
            data.highest_timeout_round >= old.highest_timeout_round,
            "highest_timeout_round went back"
        );
        self.persisted = data.clone();
    }

    fn sent(&mut self, core: &Consensus, msg: &ConsensusMessage) {
        match msg {
            ConsensusMessage::Vote(v) => self.vote(v),
            ConsensusMessage::Timeout(t) => self.timeout(&t.timeout),
            ConsensusMessage::Proposal(p) => {
                let h = &p.block.header;
                assert_eq!(h.proposer, self.me, "proposal signed for another proposer");
                assert_eq!(
                    core.leader(h.round),
                    self.me,
                    "proposed in a round it does not lead"
                );
                let hash = p.block.hash();
                let first = *self.proposals.entry(h.round).or_insert(hash);
                assert_eq!(first, hash, "two proposals in round {}", h.round);
                assert!(p.verify_signature().is_ok(), "own proposal does not verify");
            }
            ConsensusMessage::SyncRequest(_) | ConsensusMessage::SyncResponse(_) => {}
        }
    }

    fn vote(&mut self, v: &Vote) {
        let round = v.data.round;
        if let Some(prev) = self.votes.get(&round) {
            // Voting rule 1: the same round gets the same vote, re-sent.
            assert_eq!(prev, v, "voted for two blocks in round {round}");
            return;
        }
        assert_eq!(v.voter, self.me, "vote signed as someone else");
        assert_eq!(v.data.chain_id, CHAIN_ID, "vote for another chain");
        // Voting rule 2: a new vote is in a round after every earlier vote and timeout.
        let last = self.last_signed_round();
        assert!(
            round > last,
            "vote in round {round} after signing round {last}"
        );
        // Persist before send: the vote is in the safety data already persisted.
        assert_eq!(
            self.persisted.last_vote.as_ref(),
            Some(v),
            "vote sent before persisted"
        );
        assert!(v.verify().is_ok(), "own vote does not verify");
        self.votes.insert(round, v.clone());
    }

    fn timeout(&mut self, t: &Timeout) {
        let round = t.data.round;
        if let Some(prev) = self.timeouts.get(&round) {
            assert_eq!(prev, t, "two different timeouts for round {round}");
            return;
        }
        assert_eq!(t.signer, self.me, "timeout signed as someone else");
        // Timeout rule 1: never behind the last vote; a new timeout round is a new round.
        let last_vote = self.votes.keys().next_back().copied().unwrap_or(0);
        assert!(
            round >= last_vote,
            "timeout for round {round} after voting in {last_vote}"
        );
        let last_timeout = self.timeouts.keys().next_back().copied().unwrap_or(0);
        assert!(
            round > last_timeout,
            "timeout for round {round} after timing out in {last_timeout}"
        );
        // Timeout rule 3: the reported QC is at least the lock.
        assert!(
            t.high_qc.data.round >= self.persisted.locked_round,
            "timeout reports a QC below the lock"
        );
        assert_eq!(
            self.persisted.last_timeout.as_ref(),
            Some(t),
            "timeout sent before persisted"
        );
        assert!(t.verify_signature().is_ok(), "own timeout does not verify");
        self.timeouts.insert(round, t.clone());
    }

    fn last_signed_round(&self) -> u64 {
        let v = self.votes.keys().next_back().copied().unwrap_or(0);
        let t = self.timeouts.keys().next_back().copied().unwrap_or(0);
        v.max(t)
    }

    /// A commit continues the committed chain one height at a time, each block certified.
    fn commit(&mut self, commit: &Commit) {
        assert!(!commit.blocks.is_empty(), "empty commit");
        for cb in commit.certified_blocks() {
            let h = &cb.block.header;
            let hash = cb.block.hash();
            assert_eq!(h.parent_hash, self.tip.0, "commit does not extend the tip");
            assert_eq!(
                Some(h.height),
                self.tip.1.checked_add(1),
                "commit skips a height"
            );
            assert_eq!(
                cb.qc.data.block_hash, hash,
                "commit certificate names another block"
            );
            assert_eq!(cb.qc.data.height, h.height, "commit certificate height");
            assert!(
                cb.qc.verify(CHAIN_ID, validators()).is_ok(),
                "commit certificate does not verify"
            );
            self.tip = (hash, h.height);
        }
        assert_eq!(commit.tip_height(), self.tip.1, "commit tip height");
    }
}
