//! Checking a proposed block's events and lagged roots before the core votes for it.

use super::Driver;
use crate::execution::Halt;
use crate::mempool::verifier::verify_events;
use std::collections::HashSet;
use tradeledger_types::{Block, EventId};

impl Driver {
    /// True when every event is for this chain, appears once, is not already committed and
    /// carries a valid signature (checked in one batch, skipping those verified before), and
    /// the header's roots equal ours for its parent. `ids` are the events' ids, which the
    /// consensus core computed from this copy and checked against the header. Remembers the
    /// block (valid or not: a quorum may still certify it, and its descendants then need it)
    /// and marks its events in flight.
    pub(super) fn validate_block(&mut self, block: Block, ids: Vec<EventId>) -> Result<bool, Halt> {
        let verdict = self.check_block(&block, &ids);
        self.executor.remember_with_ids(block, ids);
        verdict
    }

    fn check_block(&mut self, block: &Block, ids: &[EventId]) -> Result<bool, Halt> {
        let hash = block.hash();
        let height = block.header.height;
        // The core refuses a proposal whose events do not match its header before asking.
        debug_assert!(block.ids_match_header(ids), "ids checked by the core");
        let mut unique = HashSet::with_capacity(ids.len());
        for (e, id) in block.events.iter().zip(ids) {
            if e.body.chain_id != self.cfg.chain_id || !unique.insert(*id) {
                tracing::warn!(%hash, height, event = %id, "proposal carries a foreign or repeated event");
                return Ok(false);
            }
            if self.store.has_event(id)? {
                tracing::warn!(%hash, height, event = %id, "proposal carries an already committed event");
                return Ok(false);
            }
        }
        if self
            .executor
            .ancestors_hold_any(&block.header.parent_hash, &unique)
        {
            tracing::warn!(%hash, height, "proposal repeats an event of an uncommitted ancestor");
            return Ok(false);
        }
        let unverified: Vec<_> = {
            let pool = self.mempool.lock();
            block
                .events
                .iter()
                .zip(ids)
                .filter(|(_, id)| !pool.is_verified(id))
                .map(|(e, id)| (e.clone(), *id))
                .collect()
        };
        if !unverified.is_empty() {
            let events: Vec<_> = unverified.iter().map(|(e, _)| e.clone()).collect();
            let results = verify_events(&events);
            if let Some(((_, id), _)) = unverified.iter().zip(&results).find(|(_, r)| r.is_err()) {
                tracing::warn!(%hash, height, event = %id, "proposal carries an event with a bad signature");
                return Ok(false);
            }
            let mut pool = self.mempool.lock();
            for (_, id) in unverified {
                pool.remember_verified(id);
            }
        }
        match self.executor.check_header_roots(block)? {
            Some(Ok(())) => {}
            Some(Err(mismatch)) => {
                // A proposal with wrong roots is refused; only a *committed* one halts the node.
                tracing::warn!(%hash, height, %mismatch, "proposal's lagged roots differ from ours");
                return Ok(false);
            }
            None => {
                tracing::warn!(%hash, height, "cannot check the proposal's roots: an ancestor is unknown");
                return Ok(false);
            }
        }
        self.mempool
            .lock()
            .mark_inflight(ids.to_vec(), height, crate::time::now_ms());
        Ok(true)
    }
}
