//! Proposals: building one when leading, checking one from a peer, asking the node to validate
//! it, and voting for it.

use tradeledger_types::{Block, BlockHeader, EventId, Hash32, SignedEvent, events_root};

use super::{Consensus, Out, PayloadRequest};
use crate::block_tree::Parent;
use crate::drops::DropReason;
use crate::effect::Effect;
use crate::limits::{PENDING_PROPOSALS_MAX, PROPOSALS_PER_ROUND_MAX, VALIDATING_MAX};
use crate::message::{ConsensusMessage, Proposal};
use crate::safety_rules::safe_to_extend;

impl Consensus {
    /// If this validator leads the current round and has not proposed, ask the node for a
    /// payload on top of the high QC's block (once that block is held).
    pub(super) fn maybe_propose(&mut self, out: &mut Out) {
        if self.leaders.leader(self.round) != self.me || self.proposed_round >= self.round {
            return;
        }
        if self
            .payload_request
            .is_some_and(|r| r.round == self.round && r.parent_hash == self.high_qc.data.block_hash)
        {
            return;
        }
        // A proposal must satisfy vote rule 3 or no honest validator will vote for it.
        let tc = self
            .last_tc
            .as_ref()
            .filter(|tc| tc.round.checked_add(1) == Some(self.round));
        if !safe_to_extend(self.round, self.high_qc.data.round, tc).unwrap_or(false) {
            return;
        }
        let parent_hash = self.high_qc.data.block_hash;
        let Some(parent) = self.tree.meta(&parent_hash) else {
            return;
        };
        let Some(height) = parent.height.checked_add(1) else {
            return;
        };
        self.payload_request = Some(PayloadRequest {
            round: self.round,
            parent_hash,
        });
        out.push(Effect::RequestPayload {
            round: self.round,
            height,
            parent_hash,
            parent_time_ms: parent.time_ms,
        });
    }

    /// The node's payload: build, sign and broadcast the block, then vote for it.
    pub(super) fn on_payload(
        &mut self,
        round: u64,
        parent_hash: Hash32,
        mut events: Vec<SignedEvent>,
        state_root: Hash32,
        results_root: Hash32,
        out: &mut Out,
    ) {
        let expected = PayloadRequest { round, parent_hash };
        if self.payload_request != Some(expected)
            || round != self.round
            || self.proposed_round >= round
        {
            return; // an answer to a question no longer asked
        }
        self.payload_request = None;
        if self.high_qc.data.block_hash != parent_hash {
            self.maybe_propose(out);
            return;
        }
        let Some(parent) = self.tree.meta(&parent_hash) else {
            return;
        };
        let Some(height) = parent.height.checked_add(1) else {
            return;
        };
        events.truncate(usize::try_from(self.cfg.params.block_events_max).unwrap_or(usize::MAX));
        let ids: Vec<_> = events.iter().map(SignedEvent::id).collect();
        let header = BlockHeader {
            chain_id: self.cfg.chain_id.clone(),
            height,
            round,
            parent_hash,
            proposer: self.me,
            block_time_ms: self.now_ms.max(parent.time_ms),
            events_root: events_root(&ids),
            event_count: u32::try_from(events.len()).unwrap_or(u32::MAX),
            state_root,
            results_root,
        };
        let timeout_cert = if self.high_qc.data.round.checked_add(1) == Some(round) {
            None
        } else {
            self.last_tc
                .clone()
                .filter(|tc| tc.round.checked_add(1) == Some(round))
        };
        let block = Block {
            header,
            justify: self.high_qc.clone(),
            timeout_cert,
            events,
        };
        let proposal = self.safety.sign_proposal(block.clone());
        self.proposed_round = round;
        self.proposals_seen
            .entry(round)
            .or_default()
            .push(block.hash());
        out.push(Effect::Broadcast(ConsensusMessage::Proposal(Box::new(
            proposal,
        ))));
        if self.tree.insert(block.clone()) {
            self.try_vote(&block, out);
        }
    }

    /// A proposal from the network: validate everything before touching state.
    pub(super) fn on_proposal(&mut self, p: Proposal, out: &mut Out) {
        let b = &p.block;
        let h = &b.header;
        if h.chain_id != self.cfg.chain_id {
            return self.drops.count(DropReason::WrongChain);
        }
        if self.validators().index_of(&h.proposer).is_none() {
            return self.drops.count(DropReason::UnknownValidator);
        }
        if self.leaders.leader(h.round) != h.proposer {
            return self.drops.count(DropReason::NotLeader);
        }
        if h.round < self.round {
            return self.drops.count(DropReason::StaleRound);
        }
        let hash = b.hash();
        if self.tree.contains(&hash)
            || self.validating.contains_key(&hash)
            || self.pending.contains_key(&hash)
        {
            self.resend_vote(&hash, out);
            return self.drops.count(DropReason::Duplicate);
        }
        if self
            .proposals_seen
            .get(&h.round)
            .is_some_and(|seen| seen.len() >= PROPOSALS_PER_ROUND_MAX && !seen.contains(&hash))
        {
            // Checked before any signature: a leader cannot make us verify without end.
            return self.drops.count(DropReason::Equivocation);
        }
        if p.verify_signature().is_err() {
            return self.drops.count(DropReason::BadSignature);
        }
        let ids = match self.check_shape(b) {
            Ok(ids) => ids,
            Err(reason) => return self.drops.count(reason),
        };
        let justify = match self.check_qc(&b.justify) {
            Ok(qc) => qc,
            Err(reason) => return self.drops.count(reason),
        };
        if let Some(tc) = &b.timeout_cert
            && let Err(reason) = self.check_tc(tc)
        {
            return self.drops.count(reason);
        }
        // Certificates are valid: they may move this validator forward.
        self.process_qc(&justify, Some(p.block.header.proposer), out);
        if let Some(tc) = p.block.timeout_cert.clone() {
            self.process_tc(&tc, out);
        }
        let (b, h) = (&p.block, &p.block.header);
        if h.round != self.round {
            // Behind us now, or ahead of what its certificates justify.
            let reason = if h.round < self.round {
                DropReason::StaleRound
            } else {
                DropReason::FutureRound
            };
            return self.drops.count(reason);
        }
        let seen = self.proposals_seen.entry(h.round).or_default();
        if !seen.contains(&hash) {
            // (A proposal retried after its parent arrived is already counted.)
            if seen.len() >= PROPOSALS_PER_ROUND_MAX {
                return self.drops.count(DropReason::Equivocation);
            }
            seen.push(hash);
        }
        match self.tree.parent(&h.parent_hash, justify.data.height) {
            Parent::Known(parent) => {
                if parent.round != justify.data.round || parent.height != justify.data.height {
                    return self.drops.count(DropReason::MalformedBlock);
                }
                if h.block_time_ms < parent.time_ms {
                    return self.drops.count(DropReason::BlockTimeBeforeParent);
                }
                if h.block_time_ms
                    > self
                        .now_ms
                        .saturating_add(self.cfg.params.block_time_drift_max_ms)
                {
                    return self.drops.count(DropReason::BlockTimeTooFarAhead);
                }
                if self.validating.len() >= VALIDATING_MAX {
                    return self.drops.count(DropReason::BufferFull);
                }
                self.validating.insert(hash, b.clone());
                out.push(Effect::ValidateBlock {
                    block: Box::new(p.block),
                    ids,
                });
            }
            Parent::Committed => self.drops.count(DropReason::ConflictsWithCommitted),
            Parent::Unknown => {
                if self.pending.len() >= PENDING_PROPOSALS_MAX {
                    return self.drops.count(DropReason::BufferFull);
                }
                let (proposer, parent_hash) = (h.proposer, h.parent_hash);
                let parent_height = h.height.saturating_sub(1);
                self.pending.insert(hash, p);
                self.request_sync(proposer, parent_hash, parent_height, out);
            }
        }
    }

    /// Header checks that need no state: the QC names the parent, the TC (if any) is for the
    /// previous round, the events match the header and fit the limits. Returns the events' ids
    /// (the node's validation takes them rather than encoding every event again).
    fn check_shape(&self, b: &Block) -> Result<Vec<EventId>, DropReason> {
        let h = &b.header;
        let q = &b.justify.data;
        if q.block_hash != h.parent_hash
            || q.height.checked_add(1) != Some(h.height)
            || q.round >= h.round
        {
            return Err(DropReason::MalformedBlock);
        }
        if let Some(tc) = &b.timeout_cert
            && tc.round.checked_add(1) != Some(h.round)
        {
            return Err(DropReason::MalformedBlock);
        }
        let events_max = usize::try_from(self.cfg.params.block_events_max).unwrap_or(usize::MAX);
        if b.events.len() > events_max {
            return Err(DropReason::BlockTooLarge);
        }
        let bytes_max = usize::try_from(self.cfg.params.block_bytes_max).unwrap_or(usize::MAX);
        let (ids, size) = b.event_ids_and_size();
        if !b.events.is_empty() && size > bytes_max {
            return Err(DropReason::BlockTooLarge);
        }
        if !b.ids_match_header(&ids) {
            return Err(DropReason::EventsMismatch);
        }
        Ok(ids)
    }

    /// The node's verdict on a block it was asked to validate.
    pub(super) fn on_block_validated(&mut self, hash: Hash32, valid: bool, out: &mut Out) {
        let Some(block) = self.validating.remove(&hash) else {
            return;
        };
        if !valid {
            return self.drops.count(DropReason::InvalidBlock);
        }
        if !self.tree.insert(block.clone()) {
            return; // its parent was pruned by a commit meanwhile
        }
        if let Some(qc) = self.verified_qcs.get(&(block.header.round, hash)).cloned() {
            // Its QC arrived first (votes or a later proposal): it may finalise its parent.
            self.tree.certify(&qc);
            self.try_commit(&hash, out);
        }
        if block.header.round == self.round {
            self.try_vote(&block, out);
        }
        self.after_insert(out);
    }

    /// Asks the safety rules for a vote and sends it to every validator, persisting first.
    pub(super) fn try_vote(&mut self, block: &Block, out: &mut Out) {
        match self.safety.vote(block) {
            Ok(signed) => {
                if let Some(data) = signed.persist {
                    self.persist_safety(data, out);
                }
                self.send_vote(signed.message, out);
            }
            Err(_) => self.safety_refusals = self.safety_refusals.saturating_add(1),
        }
    }

    /// Sends a vote to every other validator and counts it here (see `vote.rs` for why).
    fn send_vote(&mut self, vote: tradeledger_types::Vote, out: &mut Out) {
        let others: Vec<_> = self
            .validators()
            .validators()
            .iter()
            .map(|v| v.consensus_key)
            .filter(|k| *k != self.me)
            .collect();
        for to in others {
            out.push(Effect::Send {
                to,
                msg: ConsensusMessage::Vote(vote.clone()),
            });
        }
        self.on_vote(vote, true, out);
    }

    /// A proposal seen again (the first vote may have been lost): re-send the stored vote.
    fn resend_vote(&mut self, hash: &Hash32, out: &mut Out) {
        if let Some(v) = self.safety.data().last_vote.clone()
            && v.data.block_hash == *hash
            && v.data.round == self.round
        {
            self.send_vote(v, out);
        }
    }
}
