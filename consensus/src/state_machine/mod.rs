//! The consensus state machine: [`Consensus::handle`] takes one [`Input`] and returns the
//! [`Effect`]s to carry out, in order. No I/O, clock or randomness.
//!
//! One file per input kind: `proposal.rs` (proposals, payloads, validation answers, voting),
//! `vote.rs` (aggregation into QCs), `timeout.rs` (timers, timeouts, TCs), `sync.rs`
//! (serving and applying block sync). This file holds the state, certificate processing, round
//! changes and the commit rule.

mod proposal;
mod sync;
mod timeout;
mod vote;

use std::collections::{BTreeMap, BTreeSet};

use tradeledger_types::{
    Block, Hash32, PublicKey, QuorumCertificate, SecretKey, TimeMs, TimeoutCertificate,
    ValidatorSet,
};

use crate::block_tree::{BlockMeta, BlockTree};
use crate::config::{CertifiedBlock, ConsensusConfig, ConsensusError, Recovery};
use crate::drops::{DropCounters, DropReason};
use crate::effect::{Commit, Effect};
use crate::input::Input;
use crate::leader::LeaderSchedule;
use crate::limits::{COMMITTED_WINDOW_BLOCKS, CONSECUTIVE_FAILURES_MAX, VERIFIED_QC_CACHE_MAX};
use crate::message::{ConsensusMessage, Proposal};
use crate::pacemaker::round_timeout_ms;
use crate::safety_rules::{SafetyData, SafetyRules};
use crate::timeouts::TimeoutAggregator;
use crate::votes::VoteAggregator;

type Out = Vec<Effect>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PayloadRequest {
    round: u64,
    parent_hash: Hash32,
}

/// One validator's consensus state machine.
#[derive(Debug)]
pub struct Consensus {
    cfg: ConsensusConfig,
    leaders: LeaderSchedule,
    safety: SafetyRules,
    me: PublicKey,
    tree: BlockTree,
    /// The current round.
    round: u64,
    /// The highest verified QC (its block may still be missing; see `maybe_propose`).
    high_qc: QuorumCertificate,
    /// The highest verified TC.
    last_tc: Option<TimeoutCertificate>,
    /// Rounds in a row that ended in a TC (drives the timeout growth).
    consecutive_failures: u32,
    votes: VoteAggregator,
    timeouts: TimeoutAggregator,
    now_ms: TimeMs,
    payload_request: Option<PayloadRequest>,
    /// The last round this validator proposed in.
    proposed_round: u64,
    /// Proposals awaiting the node's validation answer.
    validating: BTreeMap<Hash32, Block>,
    /// Distinct proposal hashes seen per round.
    proposals_seen: BTreeMap<u64, Vec<Hash32>>,
    /// Proposals waiting for their parent.
    pending: BTreeMap<Hash32, Proposal>,
    /// The one sync request awaiting its answer (see `request_sync_from`).
    sync_in_flight: Option<sync::SyncInFlight>,
    /// Verified QCs by (round, block), so a QC seen again is not re-verified.
    verified_qcs: BTreeMap<(u64, Hash32), QuorumCertificate>,
    /// Uncommitted blocks handed to the node in [`Effect::PersistBlocks`] (ancestor-closed:
    /// a block's uncommitted parent is always in it too).
    persisted_blocks: BTreeSet<Hash32>,
    drops: DropCounters,
    safety_refusals: u64,
}

impl Consensus {
    /// A core for the validator holding `key`, resuming from what the node persisted.
    /// Feed [`Input::Start`] next.
    pub fn new(
        cfg: ConsensusConfig,
        key: SecretKey,
        recovery: Recovery,
    ) -> Result<Self, ConsensusError> {
        let me = key.public();
        if cfg.validators.index_of(&me).is_none() {
            return Err(ConsensusError::NotAValidator { key: me });
        }
        let genesis = BlockMeta {
            hash: cfg.genesis_hash,
            parent_hash: Hash32::ZERO,
            height: 0,
            round: 0,
            time_ms: cfg.genesis_time_ms,
        };
        let mut tree = BlockTree::new(genesis, cfg.genesis_qc(), COMMITTED_WINDOW_BLOCKS);
        for (i, cb) in recovery.committed.into_iter().enumerate() {
            check_recovered(&cfg, &cb)?;
            let tip = tree.tip();
            let h = &cb.block.header;
            let extends = if i == 0 {
                h.height >= 1
            } else {
                h.parent_hash == tip.hash && Some(h.height) == tip.height.checked_add(1)
            };
            if !extends || (i == 0 && h.height == 1 && h.parent_hash != cfg.genesis_hash) {
                return Err(ConsensusError::RecoveryNotAChain { height: h.height });
            }
            tree.push_committed(cb);
        }
        let mut high_qc = tree.tip_qc().clone();
        // Blocks stored for `PersistBlocks`: each one's parent first, so each chains to the
        // committed tip or is dropped. Their justifies were verified before they were stored.
        let mut uncommitted = recovery.uncommitted;
        uncommitted.sort_by_key(|b| b.header.height);
        let mut persisted_blocks = BTreeSet::new();
        for block in uncommitted {
            check_recovered_chain(&cfg, &block)?;
            let hash = block.hash();
            if block.header.height > tree.tip().height && tree.insert(block) {
                persisted_blocks.insert(hash);
            }
        }
        let justifies: Vec<QuorumCertificate> = persisted_blocks
            .iter()
            .filter_map(|h| tree.get(h))
            .map(|b| b.justify.clone())
            .collect();
        for qc in &justifies {
            tree.certify(qc);
            if qc.data.round > high_qc.data.round {
                high_qc = qc.clone();
            }
        }
        // The QCs this validator signed on top of are verified by construction: it checked
        // them before voting or timing out.
        let signed_on = [
            recovery.safety.last_timeout.as_ref().map(|t| &t.high_qc),
            recovery.safety.last_vote_qc.as_ref(),
        ];
        for qc in signed_on.into_iter().flatten() {
            tree.certify(qc);
            if qc.data.round > high_qc.data.round && qc.data.chain_id == cfg.chain_id {
                high_qc = qc.clone();
            }
        }
        let last_tc = [
            &recovery.safety.last_vote_tc,
            &recovery.safety.last_timeout_tc,
        ]
        .into_iter()
        .flatten()
        .filter(|tc| tc.chain_id == cfg.chain_id)
        .max_by_key(|tc| tc.round)
        .cloned();
        let round = high_qc
            .data
            .round
            .saturating_add(1)
            .max(last_tc.as_ref().map_or(0, |tc| tc.round.saturating_add(1)))
            .max(recovery.safety.highest_timeout_round);
        let leaders = LeaderSchedule::new(&cfg.chain_id, &cfg.validators);
        let safety = SafetyRules::new(key, cfg.chain_id.clone(), recovery.safety);
        Ok(Consensus {
            now_ms: cfg.genesis_time_ms,
            cfg,
            leaders,
            safety,
            me,
            tree,
            round,
            high_qc,
            last_tc,
            consecutive_failures: 0,
            votes: VoteAggregator::default(),
            timeouts: TimeoutAggregator::default(),
            payload_request: None,
            proposed_round: 0,
            validating: BTreeMap::new(),
            proposals_seen: BTreeMap::new(),
            pending: BTreeMap::new(),
            sync_in_flight: None,
            verified_qcs: BTreeMap::new(),
            persisted_blocks,
            drops: DropCounters::default(),
            safety_refusals: 0,
        })
    }

    /// Processes one input and returns the effects to carry out, in order (see [`Effect`]).
    /// Never panics on anything a peer sends.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut out = Vec::new();
        match input {
            Input::Start { now_ms } => {
                self.observe_time(now_ms);
                self.arm_timer(&mut out);
                self.maybe_propose(&mut out);
            }
            Input::Tick { now_ms } => self.observe_time(now_ms),
            Input::Message { from, msg } => self.on_message(from, msg, &mut out),
            Input::Timeout { round } => self.on_timer(round, &mut out),
            Input::Payload {
                round,
                parent_hash,
                events,
                state_root,
                results_root,
            } => self.on_payload(
                round,
                parent_hash,
                events,
                state_root,
                results_root,
                &mut out,
            ),
            Input::BlockValidated { hash, valid } => self.on_block_validated(hash, valid, &mut out),
        }
        out
    }

    /// The current round.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The highest QC known.
    pub fn high_qc(&self) -> &QuorumCertificate {
        &self.high_qc
    }

    /// Height of the committed tip.
    pub fn committed_height(&self) -> u64 {
        self.tree.tip().height
    }

    /// Hash of the committed tip (the genesis hash before the first commit).
    pub fn committed_hash(&self) -> Hash32 {
        self.tree.tip().hash
    }

    /// The safety data as it stands (the last `PersistSafety` effect carried the same).
    pub fn safety_data(&self) -> &SafetyData {
        self.safety.data()
    }

    /// Dropped inputs by reason.
    pub fn drops(&self) -> &DropCounters {
        &self.drops
    }

    /// Times the safety rules refused to sign (expected under faults; never a peer's doing alone).
    pub fn safety_refusals(&self) -> u64 {
        self.safety_refusals
    }

    /// This validator's consensus key.
    pub fn public_key(&self) -> PublicKey {
        self.me
    }

    /// The leader of `round`.
    pub fn leader(&self, round: u64) -> PublicKey {
        self.leaders.leader(round)
    }

    /// Uncommitted blocks held.
    pub fn uncommitted_blocks(&self) -> usize {
        self.tree.uncommitted_len()
    }

    #[cfg(test)]
    pub(crate) fn break_safety_rule(&mut self, rule: crate::safety_rules::BrokenRule) {
        self.safety.break_rule(rule);
    }

    fn validators(&self) -> &ValidatorSet {
        &self.cfg.validators
    }

    fn observe_time(&mut self, now_ms: TimeMs) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    fn on_message(&mut self, from: PublicKey, msg: ConsensusMessage, out: &mut Out) {
        if self.validators().index_of(&from).is_none() {
            self.drops.count(DropReason::UnknownPeer);
            return;
        }
        match msg {
            ConsensusMessage::Proposal(p) => self.on_proposal(*p, out),
            ConsensusMessage::Vote(v) => self.on_vote(v, false, out),
            ConsensusMessage::Timeout(t) => self.on_timeout_message(*t, out),
            ConsensusMessage::SyncRequest(r) => self.on_sync_request(from, r, out),
            ConsensusMessage::SyncResponse(r) => self.on_sync_response(from, *r, out),
        }
    }

    fn arm_timer(&self, out: &mut Out) {
        out.push(Effect::SetTimer {
            round: self.round,
            duration_ms: round_timeout_ms(&self.cfg.params, self.consecutive_failures),
        });
    }

    /// Checks a QC (genesis by equality, others by signatures, each once) and returns the
    /// verified copy to keep.
    fn check_qc(&mut self, qc: &QuorumCertificate) -> Result<QuorumCertificate, DropReason> {
        if qc.data.round == 0 {
            let genesis = self.cfg.genesis_qc();
            return if *qc == genesis {
                Ok(genesis)
            } else {
                Err(DropReason::BadQuorumCertificate)
            };
        }
        let key = (qc.data.round, qc.data.block_hash);
        // Only the very same certificate skips verification. One with the same data but other
        // signers or signatures is checked again: its bytes are what gets stored (a block's
        // justify becomes its parent's certificate on disk), and the block hash does not cover
        // them. Matching on the data alone let a Byzantine proposer's copy of a block, with
        // garbage signatures in its justify, be stored as a certificate (byzantine test: "block
        // 8 differs on node 2").
        if self.verified_qcs.get(&key) == Some(qc) {
            return Ok(qc.clone());
        }
        if qc.data.chain_id != self.cfg.chain_id {
            return Err(DropReason::WrongChain);
        }
        qc.verify(&self.cfg.chain_id, &self.cfg.validators)
            .map_err(|_| DropReason::BadQuorumCertificate)?;
        self.remember_qc(qc);
        Ok(qc.clone())
    }

    fn remember_qc(&mut self, qc: &QuorumCertificate) {
        self.verified_qcs
            .insert((qc.data.round, qc.data.block_hash), qc.clone());
        while self.verified_qcs.len() > VERIFIED_QC_CACHE_MAX {
            self.verified_qcs.pop_first();
        }
    }

    fn check_tc(&self, tc: &TimeoutCertificate) -> Result<(), DropReason> {
        if let Some(last) = &self.last_tc
            && last == tc
        {
            return Ok(());
        }
        tc.verify(&self.cfg.chain_id, &self.cfg.validators)
            .map_err(|_| DropReason::BadTimeoutCertificate)
    }

    /// A verified QC: record it, commit what it finalises, and enter the next round. `holder`
    /// is a peer known to hold the QC's block (the proposer that built on it, the peer that sent
    /// it); a missing block is asked of it first, then of the QC's signers in turn.
    fn process_qc(&mut self, qc: &QuorumCertificate, holder: Option<PublicKey>, out: &mut Out) {
        let hash = qc.data.block_hash;
        self.tree.certify(qc);
        if qc.data.round > self.high_qc.data.round {
            self.high_qc = qc.clone();
        }
        if !self.has_block(&hash, qc.data.height) && qc.data.height > self.committed_height() {
            // A signer of the QC voted for the block, and so stored it. (The sender of a
            // timeout may lack it: it can hold the QC from votes alone, or from its safety data
            // after a restart.)
            let mut peers: Vec<PublicKey> = holder.into_iter().collect();
            peers.extend(self.signers(qc).into_iter().filter(|s| Some(*s) != holder));
            self.request_sync_from(&peers, hash, qc.data.height, out);
        }
        self.try_commit(&hash, out);
        if let Some(next) = qc.data.round.checked_add(1) {
            self.advance_round(next, false, out);
        }
    }

    /// The QC's signers other than this validator, in validator-set order.
    fn signers(&self, qc: &QuorumCertificate) -> Vec<PublicKey> {
        let Ok(indices) = qc.signer_indices(self.validators()) else {
            return Vec::new();
        };
        indices
            .into_iter()
            .filter_map(|i| self.validators().get(i))
            .map(|v| v.consensus_key)
            .filter(|k| *k != self.me)
            .collect()
    }

    /// A verified TC: enter the round after it.
    fn process_tc(&mut self, tc: &TimeoutCertificate, out: &mut Out) {
        if self.last_tc.as_ref().is_none_or(|t| t.round < tc.round) {
            self.last_tc = Some(tc.clone());
        }
        if let Some(next) = tc.round.checked_add(1) {
            self.advance_round(next, true, out);
        }
    }

    fn advance_round(&mut self, new_round: u64, via_tc: bool, out: &mut Out) {
        if new_round <= self.round {
            return;
        }
        self.consecutive_failures = if via_tc {
            self.consecutive_failures
                .saturating_add(1)
                .min(CONSECUTIVE_FAILURES_MAX)
        } else {
            0
        };
        self.round = new_round;
        let keep_from = new_round.saturating_sub(1);
        self.votes.prune_below(keep_from);
        self.timeouts.prune_below(keep_from);
        self.proposals_seen = self.proposals_seen.split_off(&keep_from);
        self.pending
            .retain(|_, p| p.block.header.round >= new_round);
        // An answer that never came must not hold a validation slot forever.
        self.validating.retain(|_, b| b.header.round >= keep_from);
        self.arm_timer(out);
        self.maybe_propose(out);
    }

    /// The 2-chain commit rule: a QC on block B' whose parent B has `B'.round == B.round + 1`
    /// commits B and its ancestors.
    fn try_commit(&mut self, certified: &Hash32, out: &mut Out) {
        let Some(child) = self.tree.get(certified) else {
            return;
        };
        let parent_hash = child.header.parent_hash;
        let child_round = child.header.round;
        let qc_on_parent = child.justify.clone();
        let Some(parent) = self.tree.meta(&parent_hash) else {
            return;
        };
        if parent.hash == self.tree.tip().hash || parent.round.checked_add(1) != Some(child_round) {
            return;
        }
        if let Some(blocks) = self.tree.commit(parent_hash, qc_on_parent.clone()) {
            let tree = &self.tree;
            self.persisted_blocks.retain(|h| tree.contains(h));
            let tip = self.tree.tip();
            self.validating.retain(|_, b| b.header.height > tip.height);
            self.pending.retain(|_, p| {
                p.block.header.height > tip.height.saturating_add(1)
                    || p.block.header.parent_hash == tip.hash
            });
            out.push(Effect::Commit(Commit {
                blocks,
                certificate: qc_on_parent,
            }));
        }
    }

    /// Persists `data` (the ordering contract of [`Effect::PersistSafety`] applies), preceded by
    /// the uncommitted blocks it points at that the node has not stored yet, with their
    /// uncommitted ancestors. Without them, a full restart of the network can leave a QC in
    /// some validator's safety data (and so in its timeouts, and in the TC) on a block no
    /// validator holds: no leader could then extend the TC's high QC (found by the testnet).
    fn persist_safety(&mut self, data: SafetyData, out: &mut Out) {
        let targets = [
            data.last_vote.as_ref().map(|v| v.data.block_hash),
            data.last_vote_qc.as_ref().map(|qc| qc.data.block_hash),
            data.last_timeout
                .as_ref()
                .map(|t| t.high_qc.data.block_hash),
        ];
        let mut blocks = Vec::new();
        for target in targets.into_iter().flatten() {
            let mut cursor = target;
            // The set is ancestor-closed, so the walk stops at the first stored block.
            while let Some(block) = self.tree.get(&cursor) {
                if !self.persisted_blocks.insert(cursor) {
                    break;
                }
                blocks.push(block.clone());
                cursor = block.header.parent_hash;
            }
        }
        if !blocks.is_empty() {
            blocks.sort_by_key(|b| b.header.height);
            out.push(Effect::PersistBlocks(blocks));
        }
        out.push(Effect::PersistSafety(Box::new(data)));
    }

    /// Called when a block enters the tree: retry proposals that waited for it and a proposal
    /// that waited for the high QC's block.
    fn after_insert(&mut self, out: &mut Out) {
        let ready: Vec<Hash32> = self
            .pending
            .iter()
            .filter(|(_, p)| self.tree.meta(&p.block.header.parent_hash).is_some())
            .map(|(h, _)| *h)
            .collect();
        for h in ready {
            if let Some(p) = self.pending.remove(&h) {
                self.on_proposal(p, out);
            }
        }
        self.maybe_propose(out);
    }
}

fn check_recovered(cfg: &ConsensusConfig, cb: &CertifiedBlock) -> Result<(), ConsensusError> {
    check_recovered_chain(cfg, &cb.block)?;
    let h = &cb.block.header;
    let d = &cb.qc.data;
    if d.block_hash != cb.block.hash() || d.height != h.height || d.round != h.round {
        return Err(ConsensusError::RecoveryCertificateMismatch { height: h.height });
    }
    Ok(())
}

/// A recovered block must belong to this chain.
fn check_recovered_chain(cfg: &ConsensusConfig, block: &Block) -> Result<(), ConsensusError> {
    let h = &block.header;
    if h.chain_id != cfg.chain_id {
        return Err(ConsensusError::RecoveryWrongChain {
            height: h.height,
            found: h.chain_id.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
