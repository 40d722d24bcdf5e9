//! Carrying out the core's effects.

use super::Driver;
use crate::execution::Halt;
use crate::network::{Command, Request};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tradeledger_consensus::{ConsensusMessage, Effect, Input};
use tradeledger_types::{Bytes, Hash32, PublicKey, SignedEvent};

impl Driver {
    /// Carries out one effect. Storage failures and root mismatches are returned as [`Halt`].
    pub(super) fn execute(&mut self, effect: Effect) -> Result<(), Halt> {
        match effect {
            Effect::PersistBlocks(blocks) => {
                // Written with the safety record that follows, in the same synced batch.
                self.blocks_to_persist.extend(blocks);
            }
            Effect::PersistSafety(data) => {
                // Synced before returning: the vote or timeout that follows may now leave.
                let started = Instant::now();
                let blocks = std::mem::take(&mut self.blocks_to_persist);
                self.store.put_safety(&data.to_bytes(), &blocks)?;
                self.metrics.safety_write.observe_since(started);
            }
            Effect::Send { to, msg } => {
                tracing::debug!(kind = msg.kind(), %to, round = self.core.round(), "consensus message out");
                let Some(peer) = self.peer_of.get(&to).copied() else {
                    tracing::warn!(%to, "no peer id for validator");
                    return Ok(());
                };
                self.observe_outgoing(&msg);
                self.net_command(Command::Send {
                    peer,
                    request: Request::Consensus(Bytes(msg.encode())),
                });
            }
            Effect::Broadcast(msg) => {
                tracing::debug!(
                    kind = msg.kind(),
                    round = self.core.round(),
                    "consensus broadcast"
                );
                self.observe_outgoing(&msg);
                self.net_command(Command::Broadcast {
                    request: Request::Consensus(Bytes(msg.encode())),
                });
            }
            Effect::SetTimer { round, duration_ms } => self.timers.set(round, duration_ms),
            Effect::RequestPayload {
                round,
                height,
                parent_hash,
                parent_time_ms: _,
            } => {
                self.answer_payload(round, height, parent_hash)?;
            }
            Effect::ValidateBlock { block, ids } => {
                let hash = block.hash();
                let valid = self.validate_block(*block, ids)?;
                if valid {
                    self.execute_next = Some(hash);
                }
                self.push(Input::BlockValidated { hash, valid });
            }
            Effect::RequestSync { from, request } => {
                if let Some(peer) = self.peer_of.get(&from).copied() {
                    let msg = ConsensusMessage::SyncRequest(request);
                    self.net_command(Command::Send {
                        peer,
                        request: Request::Consensus(Bytes(msg.encode())),
                    });
                }
            }
            Effect::Commit(commit) => {
                for cb in commit.certified_blocks() {
                    self.commit_block(cb.block, cb.qc)?;
                }
            }
        }
        Ok(())
    }

    /// Our own proposals are remembered (to execute them later) and their events marked in flight.
    fn observe_outgoing(&mut self, msg: &ConsensusMessage) {
        if let ConsensusMessage::Proposal(p) = msg {
            self.executor.remember(p.block.clone());
            let ids = match self.executor.seen_ids(&p.block.hash()) {
                Some(ids) => ids.to_vec(),
                None => p.block.event_ids(),
            };
            self.mempool
                .lock()
                .mark_inflight(ids, p.block.header.height, crate::time::now_ms());
        }
    }

    fn net_command(&self, c: Command) {
        // Blocking send from this OS thread: back-pressure if the swarm task is slow.
        if self.net.blocking_command(c).is_err() {
            tracing::debug!("network stopped; message not sent");
        }
    }

    /// Builds the payload of our proposal: events from the mempool and the parent's roots.
    ///
    /// When the mempool is empty and neither the parent nor the grandparent carries events,
    /// there is nothing to commit and nothing to carry: the proposal waits (at most a third of
    /// the base round timeout, so no round times out) for the first event to arrive. An idle
    /// chain then grows by a few empty blocks per second instead of as fast as consensus runs,
    /// while a block with events is still followed at once by the two blocks that commit it.
    fn answer_payload(&mut self, round: u64, height: u64, parent_hash: Hash32) -> Result<(), Halt> {
        self.deferred = Some(Deferred {
            round,
            height,
            parent_hash,
            until: Instant::now() + self.idle_delay(),
        });
        let nothing_to_finish = !self.carries_events(&parent_hash, 2);
        self.release_deferred(nothing_to_finish)
    }

    /// Answers the deferred proposal if events arrived, its wait is over, or `wait` is false.
    pub(super) fn release_deferred(&mut self, wait: bool) -> Result<(), Halt> {
        let Some(d) = self.deferred else {
            return Ok(());
        };
        if self.core.round() != d.round {
            // The round ended (timeout) while the proposal waited: its payload is stale.
            self.deferred = None;
            return Ok(());
        }
        let params = &self.cfg.params;
        let mut events = self.mempool.select(
            params.block_events_max as usize,
            params.block_bytes_max as usize,
        );
        // In-flight marks expire; the chain being extended is the authority on what it carries.
        let held = self.executor.uncommitted_ancestor_events(&d.parent_hash);
        if !held.is_empty() {
            events.retain(|e| !held.contains(&e.id()));
        }
        self.keep_sequences_contiguous(&d.parent_hash, &mut events);
        if wait && events.is_empty() && Instant::now() < d.until {
            return Ok(());
        }
        self.deferred = None;
        let Some(roots) = self.executor.roots_after(&d.parent_hash)? else {
            tracing::warn!(d.round, d.height, %d.parent_hash, "cannot propose: parent block unknown to the executor");
            return Ok(());
        };
        tracing::debug!(d.round, d.height, events = events.len(), "proposing");
        self.push(Input::Payload {
            round: d.round,
            parent_hash: d.parent_hash,
            events,
            state_root: roots.state_root,
            results_root: roots.results_root,
        });
        Ok(())
    }

    /// Drops every event whose predecessor (same signer, sequence − 1) is neither committed,
    /// nor carried by the chain being extended, nor earlier in this proposal, and every later
    /// event of that signer. The mempool's selection skips events marked in flight, and a mark
    /// may come from a proposal of another fork (abandoned after a timeout): without this, the
    /// block would carry sequence k + 1 without k, the contracts would reject it as a gap
    /// (`sequence_gap`, which does not use up the number) and the signer's later events, which
    /// all follow k + 1, could never commit. Found by `tradeledger-testnet chaos`.
    fn keep_sequences_contiguous(&self, parent: &Hash32, events: &mut Vec<SignedEvent>) {
        // The highest sequence per signer on the uncommitted part of the chain being extended.
        let mut carried: HashMap<PublicKey, u64> = HashMap::new();
        let (tip_height, tip_hash) = self.executor.tip();
        let mut cursor = *parent;
        while cursor != tip_hash {
            let Some(block) = self.executor.seen(&cursor) else {
                break;
            };
            if block.header.height <= tip_height {
                break;
            }
            for e in &block.events {
                let s = carried.entry(e.body.signer).or_insert(0);
                *s = (*s).max(e.body.seq);
            }
            cursor = block.header.parent_hash;
        }
        let pool = self.mempool.lock();
        retain_contiguous(events, |signer| {
            pool.known_committed_seq(signer)
                .unwrap_or(0)
                .max(carried.get(signer).copied().unwrap_or(0))
        });
    }

    /// True when `hash` or one of its `depth - 1` nearest ancestors known to the executor
    /// carries events.
    fn carries_events(&self, hash: &Hash32, depth: usize) -> bool {
        let mut cursor = *hash;
        for _ in 0..depth {
            let Some(block) = self.executor.seen(&cursor) else {
                return false;
            };
            if !block.events.is_empty() {
                return true;
            }
            cursor = block.header.parent_hash;
        }
        false
    }

    fn idle_delay(&self) -> Duration {
        Duration::from_millis(
            (self.cfg.params.round_timeout_base_ms / 3).min(IDLE_PROPOSAL_DELAY_MS_MAX),
        )
    }
}

/// Longest wait of an empty proposal on an idle chain.
const IDLE_PROPOSAL_DELAY_MS_MAX: u64 = 500;

/// A proposal waiting for events.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deferred {
    round: u64,
    height: u64,
    parent_hash: Hash32,
    until: Instant,
}

/// Keeps, per signer, only the events that continue its sequence without a gap from
/// `last(signer)` (the last sequence committed or carried by the chain being extended), in the
/// order given; an event after a gap and every later event of its signer are dropped.
fn retain_contiguous(events: &mut Vec<SignedEvent>, last: impl Fn(&PublicKey) -> u64) {
    let mut next: HashMap<PublicKey, u64> = HashMap::new();
    events.retain(|e| {
        let n = next
            .entry(e.body.signer)
            .or_insert_with(|| last(&e.body.signer) + 1);
        if e.body.seq == *n {
            *n += 1;
            true
        } else {
            false
        }
    });
}

#[cfg(test)]
mod tests {
    use super::retain_contiguous;
    use crate::storage::tests_support::sample_event;

    #[test]
    fn a_gap_drops_the_signers_later_events_only() {
        // Signer 1 last committed 4; its 5 is in flight in another fork, so the selection
        // offers 6 and 7: neither may go. Signer 2 continues from 0 without a gap.
        let mut events = vec![
            sample_event(1, 6),
            sample_event(2, 1),
            sample_event(1, 7),
            sample_event(2, 2),
        ];
        let one = sample_event(1, 1).body.signer;
        retain_contiguous(&mut events, |s| if *s == one { 4 } else { 0 });
        let kept: Vec<(u8, u64)> = events
            .iter()
            .map(|e| (u8::from(e.body.signer != one) + 1, e.body.seq))
            .collect();
        assert_eq!(kept, vec![(2, 1), (2, 2)]);
    }

    #[test]
    fn events_following_the_carried_chain_are_kept() {
        // The chain being extended carries signer 1 up to 5: 6 and 7 follow it.
        let mut events = vec![sample_event(1, 6), sample_event(1, 7)];
        retain_contiguous(&mut events, |_| 5);
        assert_eq!(events.len(), 2);
    }
}
