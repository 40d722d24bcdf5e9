//! Block sync between nodes, outside consensus: serving committed blocks with their QCs, and
//! catching up when this node is far behind (after downtime) before consensus can help.

use crate::driver::DriverInput;
use crate::metrics::Metrics;
use crate::network::{Command, Inbound, NetworkHandle, Request, Response, SyncedBlock};
use crate::status::{self, SharedStatus, SyncState};
use crate::storage::Store;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tradeledger_consensus::CertifiedBlock;
use tradeledger_types::{Block, Bytes, QuorumCertificate, codec};

/// Most bytes of blocks in one sync response.
pub const SYNC_RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Lag (in blocks) above which the node fetches blocks itself instead of waiting for consensus.
pub const CATCHUP_LAG_MIN: u64 = 3;
/// How often peers are polled for their height.
pub const POLL_INTERVAL: Duration = Duration::from_millis(1000);

/// Answers sync and status requests until `inbound` closes.
pub async fn run_server(
    mut inbound: mpsc::Receiver<Inbound>,
    store: Store,
    net: NetworkHandle,
    blocks_max: u32,
) {
    while let Some(msg) = inbound.recv().await {
        let Inbound::Serve {
            request,
            channel,
            from,
        } = msg
        else {
            continue;
        };
        let response = match request {
            Request::Status => match store.blocking(|s| s.committed_height()).await {
                Ok(height) => Response::Status { height },
                Err(e) => {
                    tracing::error!(error = %e, "storage failed serving status");
                    Response::Refused("storage".into())
                }
            },
            Request::SyncBlocks { from: first, limit } => {
                let limit = limit.min(blocks_max);
                match store.blocking(move |s| read_blocks(s, first, limit)).await {
                    Ok(blocks) => Response::Blocks(blocks),
                    Err(e) => {
                        tracing::error!(error = %e, "storage failed serving sync");
                        Response::Refused("storage".into())
                    }
                }
            }
            _ => Response::Refused("unexpected".into()),
        };
        tracing::trace!(peer = %from, "served sync request");
        if net
            .command(Command::Respond { channel, response })
            .await
            .is_err()
        {
            break;
        }
    }
}

fn read_blocks(s: &Store, first: u64, limit: u32) -> crate::storage::StoreResult<Vec<SyncedBlock>> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    let top = s.committed_height()?;
    for h in first.max(1)..=top.min(first.saturating_add(u64::from(limit)).saturating_sub(1)) {
        let (Some(block), Some(cert)) = (s.block_bytes(h)?, s.certificate(h)?) else {
            break;
        };
        bytes += block.len();
        if bytes > SYNC_RESPONSE_BYTES_MAX && !out.is_empty() {
            break;
        }
        out.push(SyncedBlock {
            block: Bytes(block),
            certificate: Bytes(codec::to_canonical(&cert)),
        });
    }
    Ok(out)
}

/// Polls validators for their height and, when far behind, fetches committed blocks and hands
/// them to the driver, which passes them to consensus as sync answers (verified there, and
/// committed by the 2-chain rule).
pub async fn run_catchup(
    net: NetworkHandle,
    store: Store,
    driver: std::sync::mpsc::SyncSender<DriverInput>,
    metrics: Arc<Metrics>,
    status: SharedStatus,
    blocks_max: u32,
) {
    let mut tick = tokio::time::interval(POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut handed = Handed::default();
    loop {
        tick.tick().await;
        let Ok(ours) = store.blocking(|s| s.committed_height()).await else {
            continue;
        };
        if handed.must_wait(ours, blocks_max) {
            // The driver still holds blocks handed to it: asking again now would queue the
            // same blocks again (a node 348 blocks behind grew to 18 GB this way and was
            // killed for memory).
            tokio::time::sleep(DRIVER_WAIT).await;
            tick.reset_immediately();
            continue;
        }
        let Ok(peers) = net.peers().await else { break };
        let mut best: Option<(libp2p::PeerId, u64)> = None;
        for p in peers.connected.iter().filter(|p| p.validator) {
            let Ok(peer) = p.peer_id.parse::<libp2p::PeerId>() else {
                continue;
            };
            if let Ok(Response::Status { height }) = net.ask(peer, Request::Status).await
                && best.is_none_or(|(_, h)| height > h)
            {
                best = Some((peer, height));
            }
        }
        let Some((peer, theirs)) = best else { continue };
        let lag = theirs.saturating_sub(ours);
        metrics.sync_lag_blocks.store(lag, Ordering::Relaxed);
        let state = if lag >= CATCHUP_LAG_MIN {
            SyncState::CatchingUp
        } else {
            SyncState::Synced
        };
        status::update(&status, |s| {
            s.peer_max_height = theirs;
            s.sync = state;
        });
        if lag < CATCHUP_LAG_MIN {
            continue;
        }
        let from = handed.next_from(ours);
        if from > theirs {
            continue;
        }
        tracing::info!(ours, theirs, from, %peer, "behind peers; fetching blocks");
        match net
            .ask(
                peer,
                Request::SyncBlocks {
                    from,
                    limit: blocks_max,
                },
            )
            .await
        {
            Ok(Response::Blocks(blocks)) => {
                let decoded: Vec<CertifiedBlock> = blocks.iter().map_while(decode_synced).collect();
                let last = decoded.last().map(|cb| cb.block.header.height);
                if let Some(last) = last {
                    if driver
                        .try_send(DriverInput::Synced {
                            from: peer,
                            blocks: decoded,
                        })
                        .is_ok()
                    {
                        handed.handed(last);
                        // Blocks beyond this answer (it is capped by count and bytes): ask again
                        // at once. Otherwise wait for the next tick: a node a few blocks behind
                        // under load (consensus commits them anyway) used to ask every few
                        // milliseconds.
                        if last < theirs {
                            tick.reset_immediately();
                        }
                    } else {
                        tracing::debug!("driver busy; catch-up retries next tick");
                    }
                }
            }
            Ok(other) => tracing::debug!(?other, "unexpected sync answer"),
            Err(e) => tracing::debug!(error = %e, "sync request failed"),
        }
    }
}

/// How long catch-up waits before looking again whether the driver applied what it holds.
const DRIVER_WAIT: Duration = Duration::from_millis(50);
/// Blocks handed to the driver that do not commit within this time are asked for again (the
/// driver refused them: a bad certificate from a faulty peer).
const HANDED_STALE_AFTER: Duration = Duration::from_secs(20);

/// What catch-up has handed to the driver and not yet seen committed.
#[derive(Debug, Default)]
struct Handed {
    /// The highest height handed (0: none outstanding).
    up_to: u64,
    /// When the committed height last moved, or blocks were last handed.
    progress: Option<(u64, std::time::Instant)>,
}

impl Handed {
    fn handed(&mut self, last: u64) {
        self.up_to = self.up_to.max(last);
        self.progress = Some((
            self.progress.map_or(0, |(h, _)| h),
            std::time::Instant::now(),
        ));
    }

    /// Notes the committed height `ours`; true while the driver holds more than one request's
    /// worth of blocks beyond it (the batch it applies and at most one after it).
    fn must_wait(&mut self, ours: u64, blocks_max: u32) -> bool {
        if self.up_to <= ours {
            self.up_to = 0;
            self.progress = None;
            return false;
        }
        let now = std::time::Instant::now();
        match self.progress {
            Some((h, _)) if h != ours => self.progress = Some((ours, now)),
            Some((_, at)) if now.duration_since(at) >= HANDED_STALE_AFTER => {
                // Nothing committed for a long while: ask again from the committed height.
                self.up_to = 0;
                self.progress = None;
                return false;
            }
            None => self.progress = Some((ours, now)),
            Some(_) => {}
        }
        self.up_to - ours > u64::from(blocks_max)
    }

    /// The first height to ask for: after what the driver already holds.
    fn next_from(&self, ours: u64) -> u64 {
        ours.max(self.up_to) + 1
    }
}

fn decode_synced(b: &SyncedBlock) -> Option<CertifiedBlock> {
    let block = Block::decode(&b.block.0).ok()?;
    let qc: QuorumCertificate =
        codec::from_canonical(&b.certificate.0, codec::MESSAGE_BYTES_MAX, "certificate").ok()?;
    Some(CertifiedBlock { block, qc })
}

#[cfg(test)]
mod tests {
    use super::Handed;

    #[test]
    fn catch_up_keeps_at_most_one_request_ahead_of_the_driver() {
        let mut h = Handed::default();
        assert!(!h.must_wait(100, 64));
        assert_eq!(h.next_from(100), 101);
        h.handed(164);
        // The driver applies 101..=164: a second request may follow, from 165.
        assert!(!h.must_wait(100, 64));
        assert_eq!(h.next_from(100), 165);
        h.handed(228);
        // Two requests' worth held: wait until the first is applied.
        assert!(h.must_wait(100, 64));
        assert!(h.must_wait(150, 64));
        assert!(!h.must_wait(164, 64));
        assert_eq!(h.next_from(164), 229);
        // All applied: nothing outstanding.
        assert!(!h.must_wait(228, 64));
        assert_eq!(h.next_from(228), 229);
    }
}
