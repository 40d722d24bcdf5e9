//! Carrying out the core's effects.

use super::Driver;
use crate::execution::Halt;
use crate::network::{Command, Request};
use tradeledger_consensus::{ConsensusMessage, Effect, Input};
use tradeledger_types::{Bytes, Hash32};

impl Driver {
    /// Carries out one effect. Storage failures and root mismatches are returned as [`Halt`].
    pub(super) fn execute(&mut self, effect: Effect) -> Result<(), Halt> {
        match effect {
            Effect::PersistSafety(data) => {
                // Synced before returning: the vote or timeout that follows may now leave.
                self.store.put_safety(&data.to_bytes())?;
            }
            Effect::Send { to, msg } => {
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
            Effect::ValidateBlock(block) => {
                let hash = block.hash();
                let valid = self.validate_block(*block)?;
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
            self.mempool.lock().mark_inflight(
                p.block.event_ids(),
                p.block.header.height,
                crate::time::now_ms(),
            );
            self.executor.remember(p.block.clone());
        }
    }

    fn net_command(&self, c: Command) {
        // Blocking send from this OS thread: back-pressure if the swarm task is slow.
        if self.net.blocking_command(c).is_err() {
            tracing::debug!("network stopped; message not sent");
        }
    }

    /// Builds the payload of our proposal: events from the mempool and the parent's roots.
    fn answer_payload(&mut self, round: u64, height: u64, parent_hash: Hash32) -> Result<(), Halt> {
        let Some(roots) = self.executor.roots_after(&parent_hash)? else {
            tracing::warn!(round, height, %parent_hash, "cannot propose: parent block unknown to the executor");
            return Ok(());
        };
        let params = &self.cfg.params;
        let events = self.mempool.select(
            params.block_events_max as usize,
            params.block_bytes_max as usize,
        );
        tracing::debug!(round, height, events = events.len(), "proposing");
        self.push(Input::Payload {
            round,
            parent_hash,
            events,
            state_root: roots.state_root,
            results_root: roots.results_root,
        });
        Ok(())
    }
}
