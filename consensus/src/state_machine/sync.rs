//! Block sync: serving certified blocks to a peer that lacks them, and applying a response.

use tradeledger_types::{Block, PublicKey};

use super::{Consensus, Out};
use crate::block_tree::Parent;
use crate::drops::DropReason;
use crate::effect::Effect;
use crate::limits::SYNC_BLOCKS_MAX;
use crate::message::{ConsensusMessage, SyncRequest, SyncResponse};

impl Consensus {
    /// Answers with up to [`SYNC_BLOCKS_MAX`] certified blocks above the requester's tip.
    pub(super) fn on_sync_request(&mut self, from: PublicKey, req: SyncRequest, out: &mut Out) {
        let Some((blocks, qc)) = self.tree.chain_for_sync(
            req.target,
            req.committed_height,
            &self.high_qc,
            SYNC_BLOCKS_MAX,
        ) else {
            return;
        };
        out.push(Effect::Send {
            to: from,
            msg: ConsensusMessage::SyncResponse(Box::new(SyncResponse { blocks, qc })),
        });
    }

    /// Applies a response: every block must chain to the next and to a block held here, and
    /// every certificate must verify. Certified blocks are not sent to the node for validation:
    /// a QC holds votes of more than two thirds of the power, so at least one honest validator
    /// validated each of them before voting.
    pub(super) fn on_sync_response(&mut self, from: PublicKey, resp: SyncResponse, out: &mut Out) {
        if resp.blocks.is_empty() || resp.blocks.len() > SYNC_BLOCKS_MAX {
            return self.drops.count(DropReason::BadSyncResponse);
        }
        if let Err(reason) = self.check_sync_chain(&resp) {
            return self.drops.count(reason);
        }
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
                None => return,
            },
        };
        let Some(first) = fresh.first() else { return };
        if !matches!(
            self.tree
                .parent(&first.header.parent_hash, first.justify.data.height),
            Parent::Known(_)
        ) {
            return self.drops.count(DropReason::BadSyncResponse);
        }
        let mut qcs = Vec::with_capacity(fresh.len() + 1);
        for b in &fresh {
            match self.check_qc(&b.justify) {
                Ok(qc) => qcs.push(qc),
                Err(reason) => return self.drops.count(reason),
            }
        }
        match self.check_qc(&last_qc) {
            Ok(qc) => qcs.push(qc),
            Err(reason) => return self.drops.count(reason),
        }
        for b in fresh {
            if !self.tree.insert(b.clone()) {
                return self.drops.count(DropReason::BadSyncResponse);
            }
        }
        for qc in &qcs {
            self.tree.certify(qc);
        }
        for qc in &qcs {
            self.process_qc(qc, Some(from), out);
        }
        self.after_insert(out);
        // Still missing parents: ask the same peer for the next stretch.
        let wanted: Vec<_> = self
            .pending
            .values()
            .map(|p| p.block.header.parent_hash)
            .collect();
        if let Some(target) = wanted.into_iter().find(|h| self.tree.meta(h).is_none()) {
            self.sync_requested.remove(&(self.round, target));
            self.request_sync(from, target, out);
        }
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
