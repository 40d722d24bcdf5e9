//! Block sync: asking for missing blocks, serving certified blocks to a peer that lacks them,
//! and applying a response.

use tradeledger_types::{Block, Hash32, PublicKey, QuorumCertificate, TimeMs, codec};

use super::{Consensus, Out};
use crate::block_tree::Parent;
use crate::drops::DropReason;
use crate::effect::Effect;
use crate::limits::{SYNC_BLOCKS_MAX, SYNC_RESPONSE_BYTES_MAX};
use crate::message::{ConsensusMessage, SyncRequest, SyncResponse};

/// The sync request awaiting its answer. While it is in flight no other request leaves: its
/// answer carries every certified block up to its target, and whatever is still missing after
/// that answer is asked for then. (A validator a dozen blocks behind under load used to ask two
/// peers at each round's new QC, and every answer repeated each block above its committed
/// height: about 40 % of its driver thread went to decoding blocks it already had.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SyncInFlight {
    peer: PublicKey,
    target: Hash32,
    /// The target's height, to tell whether it has arrived by other means.
    height: u64,
    sent_ms: TimeMs,
}

impl Consensus {
    pub(super) fn request_sync(
        &mut self,
        from: PublicKey,
        target: Hash32,
        height: u64,
        out: &mut Out,
    ) {
        self.request_sync_from(&[from], target, height, out);
    }

    /// Asks one of `peers` (never this validator) for `target` at `height`, unless a request
    /// is in flight, younger than the base round timeout, and for a block still missing. A
    /// retry goes to the peer after the one asked last time, so one that never answers (down,
    /// faulty, or without the block) is not asked forever.
    pub(super) fn request_sync_from(
        &mut self,
        peers: &[PublicKey],
        target: Hash32,
        height: u64,
        out: &mut Out,
    ) {
        let peers: Vec<PublicKey> = peers.iter().copied().filter(|p| *p != self.me).collect();
        let Some(&first) = peers.first() else { return };
        let retry_after_ms = self.cfg.params.round_timeout_base_ms.max(1);
        let asked_last = match self.sync_in_flight {
            Some(f) if self.has_block(&f.target, f.height) => None,
            Some(f) if self.now_ms < f.sent_ms.saturating_add(retry_after_ms) => return,
            Some(f) => Some(f.peer),
            None => None,
        };
        let peer = asked_last
            .and_then(|p| peers.iter().position(|q| *q == p))
            .map_or(first, |i| peers[(i + 1) % peers.len()]);
        self.sync_in_flight = Some(SyncInFlight {
            peer,
            target,
            height,
            sent_ms: self.now_ms,
        });
        out.push(Effect::RequestSync {
            from: peer,
            request: SyncRequest {
                committed_height: self.committed_height(),
                target,
            },
        });
    }

    /// True when the block is in the tree or committed here.
    pub(super) fn has_block(&self, hash: &Hash32, height: u64) -> bool {
        self.tree.meta(hash).is_some()
            || height <= self.committed_height() && self.tree.is_committed(hash, height)
    }

    /// Answers with up to [`SYNC_BLOCKS_MAX`] certified blocks above the requester's tip, at
    /// most [`SYNC_RESPONSE_BYTES_MAX`] of them (at least one).
    pub(super) fn on_sync_request(&mut self, from: PublicKey, req: SyncRequest, out: &mut Out) {
        let Some((mut blocks, mut qc)) = self.tree.chain_for_sync(
            req.target,
            req.committed_height,
            &self.high_qc,
            SYNC_BLOCKS_MAX,
        ) else {
            return;
        };
        fit_sync_answer(&mut blocks, &mut qc, SYNC_RESPONSE_BYTES_MAX);
        out.push(Effect::Send {
            to: from,
            msg: ConsensusMessage::SyncResponse(Box::new(SyncResponse { blocks, qc })),
        });
    }

    /// Applies a response: every block must chain to the next and to a block held here, and
    /// every certificate must verify. Certified blocks are not sent to the node for validation:
    /// a QC holds votes of more than two thirds of the power, so at least one honest validator
    /// validated each of them before voting. Blocks commit by the 2-chain rule only, as their
    /// certificates prove it: a certified block alone may still be abandoned.
    pub(super) fn on_sync_response(&mut self, from: PublicKey, resp: SyncResponse, out: &mut Out) {
        if let Err(reason) = self.apply_sync_response(from, resp, out) {
            return self.drops.count(reason);
        }
        if self.sync_in_flight.is_some_and(|f| f.peer == from) {
            self.sync_in_flight = None;
        }
        self.chase_missing(from, out);
    }

    /// After an answer, asks the same peer for what is still missing: the parent of a waiting
    /// proposal, or else the block of the high QC (new QCs came while the answer travelled).
    fn chase_missing(&mut self, from: PublicKey, out: &mut Out) {
        let parent = self
            .pending
            .values()
            .map(|p| (p.block.header.parent_hash, p.block.justify.data.height))
            .find(|(h, height)| !self.has_block(h, *height));
        let high = &self.high_qc.data;
        let wanted = parent.or_else(|| {
            (high.height > self.committed_height()
                && !self.has_block(&high.block_hash, high.height))
            .then_some((high.block_hash, high.height))
        });
        if let Some((target, height)) = wanted {
            self.request_sync(from, target, height, out);
        }
    }

    fn apply_sync_response(
        &mut self,
        from: PublicKey,
        resp: SyncResponse,
        out: &mut Out,
    ) -> Result<(), DropReason> {
        if resp.blocks.is_empty() || resp.blocks.len() > SYNC_BLOCKS_MAX {
            return Err(DropReason::BadSyncResponse);
        }
        self.check_sync_chain(&resp)?;
        let tip_height = self.committed_height();
        let mut fresh: Vec<&Block> = resp
            .blocks
            .iter()
            .filter(|b| b.header.height > tip_height)
            .collect();
        // The QC on the last block: sent along, or already held here; else drop that block.
        let last_qc = match (&resp.qc, fresh.last()) {
            (Some(qc), _) => Some(qc.clone()),
            (None, Some(last)) => self
                .verified_qcs
                .get(&(last.header.round, last.hash()))
                .cloned(),
            (None, None) => None,
        };
        let last_qc = match last_qc {
            Some(qc) => qc,
            // The last block's own justify certifies the one before it.
            None => match fresh.pop() {
                Some(dropped) => dropped.justify.clone(),
                None => return Ok(()),
            },
        };
        let Some(first) = fresh.first() else {
            return Ok(());
        };
        if !matches!(
            self.tree
                .parent(&first.header.parent_hash, first.justify.data.height),
            Parent::Known(_)
        ) {
            return Err(DropReason::BadSyncResponse);
        }
        let mut qcs = Vec::with_capacity(fresh.len() + 1);
        for b in &fresh {
            qcs.push(self.check_qc(&b.justify)?);
        }
        qcs.push(self.check_qc(&last_qc)?);
        for b in fresh {
            if !self.tree.insert(b.clone()) {
                return Err(DropReason::BadSyncResponse);
            }
        }
        for qc in &qcs {
            self.tree.certify(qc);
        }
        for qc in &qcs {
            self.process_qc(qc, Some(from), out);
        }
        self.after_insert(out);
        Ok(())
    }

    /// Stateless checks: chain id, parent links, heights, events, and that each certificate
    /// names the block it certifies.
    fn check_sync_chain(&self, resp: &SyncResponse) -> Result<(), DropReason> {
        for (i, b) in resp.blocks.iter().enumerate() {
            let h = &b.header;
            if h.chain_id != self.cfg.chain_id {
                return Err(DropReason::WrongChain);
            }
            let q = &b.justify.data;
            if q.block_hash != h.parent_hash
                || q.height.checked_add(1) != Some(h.height)
                || q.round >= h.round
            {
                return Err(DropReason::BadSyncResponse);
            }
            if !b.events_match_header() {
                return Err(DropReason::EventsMismatch);
            }
            let cert = match (resp.blocks.get(i + 1), &resp.qc) {
                (Some(next), _) => &next.justify.data,
                (None, Some(qc)) => &qc.data,
                (None, None) => continue,
            };
            if cert.block_hash != b.hash() || cert.height != h.height || cert.round != h.round {
                return Err(DropReason::BadSyncResponse);
            }
        }
        Ok(())
    }
}

/// Cuts a sync answer to its longest prefix within `max_bytes` of blocks (at least one block).
/// The network's frames are capped: 64 blocks of 2 000 events (about 38 MB) did not fit. Any
/// prefix of the chain is an answer: its last block is certified by the next one's justify.
pub(super) fn fit_sync_answer(
    blocks: &mut Vec<Block>,
    qc: &mut Option<QuorumCertificate>,
    max_bytes: usize,
) {
    let mut bytes = 0usize;
    let cut = blocks.iter().position(|b| {
        bytes = bytes.saturating_add(codec::encoded_len(b));
        bytes > max_bytes
    });
    if let Some(cut) = cut.map(|c| c.max(1)).filter(|&c| c < blocks.len()) {
        *qc = Some(blocks[cut].justify.clone());
        blocks.truncate(cut);
    }
}
