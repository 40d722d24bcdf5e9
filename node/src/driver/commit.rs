//! Committing final blocks: execute, write atomically, then tell everyone.

use super::Driver;
use crate::execution::Halt;
use crate::feed::items_of;
use crate::status;
use crate::storage::{BlockCommit, BlockResultRecord};
use libp2p::PeerId;
use std::sync::atomic::Ordering;
use tradeledger_consensus::limits::SYNC_BLOCKS_MAX;
use tradeledger_consensus::{CertifiedBlock, ConsensusMessage, Input, SyncResponse};
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

    /// Hands committed blocks fetched by catch-up to the core as sync answers from the peer that
    /// served them, [`SYNC_BLOCKS_MAX`] at a time. The core verifies them like any sync answer
    /// and commits them by the 2-chain rule; the commits come back as `Effect::Commit`.
    ///
    /// Committing them here, as this did before, took one peer's word that a certified block
    /// was committed (a certified block can still be abandoned, and a faulty peer could serve
    /// one), and rebuilt the core from storage after every batch: a validator chasing the tip
    /// under load decoded its last 256 blocks again each second and never caught up.
    pub(super) fn hand_synced(&mut self, from: PeerId, blocks: Vec<CertifiedBlock>) {
        let Some(key) = self.key_of.get(&from).copied() else {
            self.metrics
                .consensus_dropped
                .inc("peer_not_in_validator_set");
            return;
        };
        let tip = self.core.committed_height();
        let fresh: Vec<CertifiedBlock> = blocks
            .into_iter()
            .filter(|cb| cb.block.header.height > tip)
            .collect();
        let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else {
            return;
        };
        tracing::info!(
            from = first.block.header.height,
            to = last.block.header.height,
            peer = %key,
            "catch-up: handing blocks to consensus"
        );
        let mut rest = fresh.into_iter().peekable();
        while rest.peek().is_some() {
            let chunk: Vec<CertifiedBlock> = rest.by_ref().take(SYNC_BLOCKS_MAX).collect();
            let qc = chunk.last().map(|cb| cb.qc.clone());
            let blocks = chunk.into_iter().map(|cb| cb.block).collect();
            self.push(Input::Message {
                from: key,
                msg: ConsensusMessage::SyncResponse(Box::new(SyncResponse { blocks, qc })),
            });
        }
    }
}
