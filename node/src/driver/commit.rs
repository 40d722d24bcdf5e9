//! Committing final blocks: execute, write atomically, then tell everyone.

use super::Driver;
use crate::execution::Halt;
use crate::feed::items_of;
use crate::status;
use crate::storage::{BlockCommit, BlockResultRecord};
use std::sync::atomic::Ordering;
use tradeledger_consensus::{CertifiedBlock, Input};
use tradeledger_types::{Block, QuorumCertificate};

impl Driver {
    /// Executes a final block on top of the committed tip and writes it with its certificate,
    /// events, indexes, state changes and results in one synced batch.
    pub(super) fn commit_block(&mut self, block: Block, qc: QuorumCertificate) -> Result<(), Halt> {
        let height = block.header.height;
        let hash = block.hash();
        let (tip_height, tip_hash) = self.executor.tip();
        if height <= tip_height {
            // Already committed (by catch-up sync): it must be the very same block.
            return match self.store.height_of(&hash)? {
                Some(h) if h == height => Ok(()),
                _ => Err(Halt::NotExtendingTip {
                    height,
                    tip: tip_hash,
                }),
            };
        }
        let started = std::time::Instant::now();
        let executed = self.executor.execute_final(&block)?;
        self.metrics.block_execute.observe_since(started);
        let result = BlockResultRecord {
            state_root: executed.results.state_root,
            results_root: executed.results.results_root,
        };
        let outcomes = executed.results.outcomes;
        let mut commit = BlockCommit {
            block,
            certificate: qc,
            outcomes,
            state_writes: executed.writes.into_iter().collect(),
            result,
        };
        let started = std::time::Instant::now();
        self.store.commit_block(&mut commit)?;
        self.metrics.block_write.observe_since(started);
        self.executor.committed(height, hash);
        let committed: Vec<_> = commit
            .block
            .events
            .iter()
            .zip(&commit.outcomes)
            .map(|(e, o)| {
                if let Some(code) = o.reject_code() {
                    self.metrics.events_refused_in_block.inc(code.as_str());
                }
                // Applied events, and events rejected after their envelope checks, use up
                // their sequence number (contracts' `consumes_sequence`).
                let seq = if o.consumes_sequence() { e.body.seq } else { 0 };
                (o.event_id, e.body.signer, seq)
            })
            .collect();
        self.mempool.on_commit(height, &committed);
        let now = crate::time::now_ms();
        self.metrics.height.store(height, Ordering::Relaxed);
        self.metrics
            .blocks_committed
            .fetch_add(1, Ordering::Relaxed);
        self.metrics
            .events_committed
            .fetch_add(commit.block.events.len() as u64, Ordering::Relaxed);
        self.metrics
            .commit_latency
            .observe_ms(now.saturating_sub(commit.block.header.block_time_ms));
        status::update(&self.status, |s| {
            s.height = height;
            s.tip_hash = Some(hash);
        });
        for (event, outcome) in commit.block.events.iter().zip(&commit.outcomes) {
            for item in items_of(height, hash, event, outcome) {
                if self.feed.send(item).is_err() {
                    // No subscriber: the feed is for live listeners only; the chain keeps everything.
                    break;
                }
            }
        }
        tracing::info!(
            height,
            %hash,
            events = commit.block.events.len(),
            state_root = %result.state_root,
            "committed"
        );
        Ok(())
    }

    /// Applies committed blocks fetched by catch-up sync: each must extend the tip and carry a
    /// valid QC on itself. Then restarts the core from storage (keeping its safety data).
    pub(super) fn apply_synced(&mut self, blocks: Vec<CertifiedBlock>) -> Result<(), Halt> {
        let mut applied = 0usize;
        for cb in blocks {
            let (tip_height, tip_hash) = self.executor.tip();
            let h = &cb.block.header;
            if h.height <= tip_height {
                continue;
            }
            let hash = cb.block.hash();
            let ok = h.height == tip_height + 1
                && h.parent_hash == tip_hash
                && h.chain_id == self.cfg.chain_id
                && cb.qc.data.block_hash == hash
                && cb.qc.data.height == h.height
                && cb.qc.data.round == h.round
                && cb.block.events_match_header()
                && cb
                    .qc
                    .verify(&self.cfg.chain_id, &self.cfg.validators)
                    .is_ok();
            if !ok {
                tracing::warn!(
                    height = h.height,
                    "synced block does not verify; ignoring the rest"
                );
                self.metrics.consensus_dropped.inc("bad_synced_block");
                break;
            }
            self.commit_block(cb.block, cb.qc)?;
            applied += 1;
        }
        if applied > 0 {
            let safety = self.core.safety_data().clone();
            self.core = super::resume_core(
                &self.cfg,
                &self.key,
                &self.store,
                &mut self.executor,
                Some(safety),
            )?;
            self.timers = Default::default();
            self.push(Input::Start {
                now_ms: crate::time::now_ms(),
            });
            tracing::info!(
                applied,
                height = self.executor.tip().0,
                "caught up by sync; consensus restarted"
            );
        }
        Ok(())
    }
}
