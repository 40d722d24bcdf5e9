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
/// them to the driver (which verifies their QCs before executing them).
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
    loop {
        tick.tick().await;
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
        let Ok(ours) = store.blocking(|s| s.committed_height()).await else {
            continue;
        };
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
        tracing::info!(ours, theirs, %peer, "behind peers; fetching blocks");
        match net
            .ask(
                peer,
                Request::SyncBlocks {
                    from: ours + 1,
                    limit: blocks_max,
                },
            )
            .await
        {
            Ok(Response::Blocks(blocks)) => {
                let decoded: Vec<CertifiedBlock> = blocks.iter().map_while(decode_synced).collect();
                if !decoded.is_empty() && driver.try_send(DriverInput::Synced(decoded)).is_err() {
                    tracing::debug!("driver busy; catch-up retries next tick");
                }
            }
            Ok(other) => tracing::debug!(?other, "unexpected sync answer"),
            Err(e) => tracing::debug!(error = %e, "sync request failed"),
        }
        tick.reset_immediately();
    }
}

fn decode_synced(b: &SyncedBlock) -> Option<CertifiedBlock> {
    let block = Block::decode(&b.block.0).ok()?;
    let qc: QuorumCertificate =
        codec::from_canonical(&b.certificate.0, codec::MESSAGE_BYTES_MAX, "certificate").ok()?;
    Some(CertifiedBlock { block, qc })
}
