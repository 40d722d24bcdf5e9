//! Event dissemination between validators' mempools: locally admitted events are gathered into
//! batches and sent directly to every validator; received batches are deduplicated by digest
//! and admitted like local submissions (but not forwarded again).

use crate::mempool::{EventBatch, Mempool, Source};
use crate::metrics::{Metrics, P2pDrop};
use crate::network::{Command, Inbound, NetworkHandle, Request};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tradeledger_types::{Bytes, Hash32, SignedEvent, codec};

/// Most events in one batch.
pub const BATCH_EVENTS_MAX: usize = 512;
/// Longest a local event waits before its batch leaves.
pub const BATCH_DELAY: Duration = Duration::from_millis(20);
/// Capacity of the queue of local events waiting to be batched.
pub const OUTGOING_QUEUE: usize = 16_384;
/// Batch digests remembered to drop duplicates.
const SEEN_DIGESTS_MAX: usize = 16_384;

/// Gathers local events into batches and broadcasts them until `events` closes.
pub async fn run_batcher(mut events: mpsc::Receiver<SignedEvent>, net: NetworkHandle) {
    let mut buf = Vec::with_capacity(BATCH_EVENTS_MAX);
    loop {
        let Some(first) = events.recv().await else {
            break;
        };
        buf.push(first);
        let deadline = tokio::time::Instant::now() + BATCH_DELAY;
        while buf.len() < BATCH_EVENTS_MAX {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(e)) => buf.push(e),
                Ok(None) | Err(_) => break,
            }
        }
        let batch = EventBatch::encode(&buf);
        tracing::debug!(events = buf.len(), digest = %batch.digest, "sharing batch");
        buf.clear();
        if net
            .command(Command::Broadcast {
                request: Request::Batch(Bytes(batch.bytes)),
            })
            .await
            .is_err()
        {
            break;
        }
    }
}

/// Admits batches received from validators until `inbound` closes. Batches already received
/// (replays) and batches that do not decode are counted in [`Metrics::p2p_dropped`]; events
/// that fail admission are counted by the mempool by reason.
pub async fn run_ingester(
    mut inbound: mpsc::Receiver<Inbound>,
    mempool: Arc<Mempool>,
    metrics: Arc<Metrics>,
) {
    let mut seen: HashSet<Hash32> = HashSet::new();
    let mut order: VecDeque<Hash32> = VecDeque::new();
    while let Some(msg) = inbound.recv().await {
        let Inbound::Batch { from, bytes } = msg else {
            continue;
        };
        let digest = EventBatch::digest_of(&bytes);
        if !seen.insert(digest) {
            metrics.p2p_dropped.inc(P2pDrop::DuplicateBatch.label());
            continue;
        }
        order.push_back(digest);
        if order.len() > SEEN_DIGESTS_MAX
            && let Some(old) = order.pop_front()
        {
            seen.remove(&old);
        }
        let events = match EventBatch::decode(&bytes, codec::MESSAGE_BYTES_MAX) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(peer = %from, error = %e, "undecodable event batch");
                metrics.p2p_dropped.inc(P2pDrop::UndecodableBatch.label());
                continue;
            }
        };
        let admits = events.into_iter().map(|(event, id)| {
            let size = event.to_bytes().len();
            let mempool = &mempool;
            async move { (id, mempool.admit(event, id, size, Source::Peer).await) }
        });
        // Concurrent admissions share signature batches in the verifier.
        for (id, r) in futures::future::join_all(admits).await {
            if let Err(e) = r {
                tracing::debug!(peer = %from, event = %id, reason = %e, "batch event not admitted");
            }
        }
    }
}
