//! Byzantine behaviours: what a Byzantine instance does around its real core (changing what it
//! sends or accepts), and the simulator code that carries them out.

use tradeledger_types::{Block, QuorumCertificate, Vote, VoteData};

use super::world::{World, app_root};
use crate::input::Input;
use crate::message::{ConsensusMessage, Proposal};

/// How a Byzantine validator misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behaviour {
    /// As leader, sends two different proposals for its round (to different halves of the
    /// validators, or both to everyone), and builds on votes for either.
    Equivocate,
    /// Votes for every proposal it sees, not only the first of a round.
    DoubleVote,
    /// Proposes blocks with a wrong state root and accepts every block as valid.
    InvalidBlocks,
    /// Never sends its votes.
    WithholdVotes,
    /// Runs two instances with one key, on opposite sides of every partition.
    Twins,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: [Behaviour; 5] = [
        Behaviour::Equivocate,
        Behaviour::DoubleVote,
        Behaviour::InvalidBlocks,
        Behaviour::WithholdVotes,
        Behaviour::Twins,
    ];
}

impl World<'_> {
    /// Byzantine reactions to an input before the core sees it.
    pub(super) fn byzantine_input(&mut self, node: usize, input: &Input) {
        let Input::Message { msg, .. } = input else {
            return;
        };
        match (self.nodes[node].behaviour, msg) {
            (Some(Behaviour::Equivocate), ConsensusMessage::Vote(v)) => self.collect_vote(node, v),
            (Some(Behaviour::DoubleVote), ConsensusMessage::Proposal(p)) => {
                self.vote_anyway(node, &p.block)
            }
            _ => {}
        }
    }

    /// The equivocator keeps votes for the blocks it crafted so it can build on them.
    fn collect_vote(&mut self, node: usize, v: &Vote) {
        let set = &self.ccfg.validators;
        if set.index_of(&v.voter).is_none() || v.verify().is_err() {
            return;
        }
        let n = &mut self.nodes[node];
        if !n.crafted.contains_key(&v.data.block_hash) {
            return;
        }
        let votes = n.byz_votes.entry(v.data.clone()).or_default();
        if votes.iter().any(|o| o.voter == v.voter) {
            return;
        }
        votes.push(v.clone());
        let power: u64 = votes
            .iter()
            .filter_map(|o| set.index_of(&o.voter))
            .filter_map(|i| set.get(i))
            .map(|i| i.voting_power)
            .sum();
        if power < set.quorum_power() || n.byz_qcs.contains_key(&v.data.block_hash) {
            return;
        }
        let qc = QuorumCertificate::from_votes(set, votes);
        n.byz_qcs.insert(v.data.block_hash, qc.clone());
        // Leading the next round too: extend the crafted block at once, next to whatever the
        // core proposes.
        let me = n.key.public();
        let leads_next = n
            .core
            .as_ref()
            .is_some_and(|c| c.leader(qc.data.round + 1) == me);
        if let (true, Some(parent)) = (leads_next, n.crafted.get(&qc.data.block_hash).cloned()) {
            let mut child = parent.clone();
            child.header.height += 1;
            child.header.round += 1;
            child.header.block_time_ms += 1;
            child.timeout_cert = None;
            let proposal = self.craft_child(node, child, &parent, qc);
            self.report.faults.equivocations += 1;
            let msg = ConsensusMessage::Proposal(Box::new(proposal));
            self.observe(&msg);
            for j in 0..self.nodes.len() {
                if j != node {
                    self.transmit(node, j, msg.clone());
                }
            }
        }
    }

    /// Signs `block` re-parented onto the crafted `parent` with its QC, and remembers it.
    fn craft_child(
        &mut self,
        node: usize,
        mut block: Block,
        parent: &Block,
        qc: QuorumCertificate,
    ) -> Proposal {
        let parent_hash = parent.hash();
        block.header.parent_hash = parent_hash;
        block.header.height = parent.header.height + 1;
        block.header.state_root = app_root(&parent_hash);
        block.header.block_time_ms = block.header.block_time_ms.max(parent.header.block_time_ms);
        block.justify = qc;
        let proposal = Proposal::sign(block.clone(), &self.nodes[node].key);
        self.nodes[node].crafted.insert(block.hash(), block);
        proposal
    }

    /// The double voter signs a vote for every proposal it sees, whatever it voted before.
    fn vote_anyway(&mut self, node: usize, block: &Block) {
        let hash = block.hash();
        let Some(core) = &self.nodes[node].core else {
            return;
        };
        let (round, next) = (core.round(), core.leader(block.header.round + 1));
        if block.header.round < round || !self.nodes[node].voted.insert(hash) {
            return;
        }
        let data = VoteData {
            chain_id: self.ccfg.chain_id.clone(),
            block_hash: hash,
            height: block.header.height,
            round: block.header.round,
        };
        let vote = Vote::sign(data, &self.nodes[node].key);
        self.report.faults.double_votes += 1;
        let msg = ConsensusMessage::Vote(vote);
        self.observe(&msg);
        self.send_to_key(node, next, msg);
    }

    /// Sends the core's proposal and a conflicting one for the same round: to different halves,
    /// or both to everyone.
    pub(super) fn equivocate(&mut self, node: usize, p: Proposal) {
        let alt = self.craft_alternative(node, &p.block);
        self.report.faults.equivocations += 1;
        let (a, b) = (
            ConsensusMessage::Proposal(Box::new(p)),
            ConsensusMessage::Proposal(Box::new(alt)),
        );
        self.observe(&a);
        self.observe(&b);
        let split = self.rng.chance(500);
        for j in 0..self.nodes.len() {
            if j == node {
                continue;
            }
            if split {
                let m = if self.rng.chance(500) {
                    a.clone()
                } else {
                    b.clone()
                };
                self.transmit(node, j, m);
            } else {
                self.transmit(node, j, a.clone());
                self.transmit(node, j, b.clone());
            }
        }
    }

    fn craft_alternative(&mut self, node: usize, original: &Block) -> Proposal {
        let n = &self.nodes[node];
        let qc_round = original.justify.data.round;
        let fork = n
            .byz_qcs
            .iter()
            .find(|(h, qc)| qc.data.round == qc_round && **h != original.justify.data.block_hash)
            .and_then(|(h, qc)| n.crafted.get(h).map(|parent| (parent.clone(), qc.clone())));
        match fork {
            Some((parent, qc)) => self.craft_child(node, original.clone(), &parent, qc),
            None => {
                let mut block = original.clone();
                block.header.block_time_ms += 1;
                let proposal = Proposal::sign(block.clone(), &self.nodes[node].key);
                self.nodes[node].crafted.insert(block.hash(), block);
                proposal
            }
        }
    }
}
