//! Event dissemination between validators' mempools: locally admitted events are gathered into
//! batches and sent directly to every validator; received batches are deduplicated by digest
//! and admitted like local submissions (but not forwarded again).

use crate::mempool::{EventBatch, Mempool, Source};
use crate::metrics::{Metrics, P2pDrop};
use crate::network::{Command, Inbound, NetworkHandle, Request};
use futures::FutureExt as _;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tradeledger_types::{Bytes, Hash32, SignedEvent, codec};

/// Most events in one batch.
pub const BATCH_EVENTS_MAX: usize = 512;
/// Longest a local event waits for company before its batch leaves. Every millisecond here is
/// added to commit latency at low load; under load the queue fills batches by itself (the
/// batcher takes everything waiting at once), so a short linger loses little batching. Shorter
/// than this, single-event submissions make hundreds of tiny batches per second per peer.
pub const BATCH_DELAY: Duration = Duration::from_millis(5);
/// A batch holding at least this many events when the queue runs dry leaves without lingering:
/// the linger is for single-event submissions, and a client batch (`POST /v1/events/batch`)
/// arrives whole, so waiting for company would only add [`BATCH_DELAY`] to its latency.
pub const BATCH_FULL_ENOUGH: usize = 64;
/// Capacity of the queue of local events waiting to be batched.
pub const OUTGOING_QUEUE: usize = 16_384;
/// Most received batches admitted together.
const INGEST_BATCHES_MAX: usize = 64;
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
            // Everything already queued, at once; then wait for more until the deadline.
            let room = BATCH_EVENTS_MAX - buf.len();
            match events.recv_many(&mut buf, room).now_or_never() {
                Some(0) => break, // closed
                Some(_) => continue,
                None if buf.len() >= BATCH_FULL_ENOUGH => break,
                None => {}
            }
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
    let mut msgs = Vec::with_capacity(INGEST_BATCHES_MAX);
    // Everything queued is admitted together: at low load peers send many small batches, and
    // one admission (one storage call, one signature batch) per batch would make this loop,
    // not the CPU, the limit.
    while inbound.recv_many(&mut msgs, INGEST_BATCHES_MAX).await > 0 {
        let mut events = Vec::new();
        let mut senders = Vec::new();
        for msg in msgs.drain(..) {
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
            match EventBatch::decode_sized(&bytes, codec::MESSAGE_BYTES_MAX) {
                Ok(decoded) => {
                    senders.extend(std::iter::repeat_n(from, decoded.len()));
                    events.extend(decoded);
                }
                Err(e) => {
                    tracing::warn!(peer = %from, error = %e, "undecodable event batch");
                    metrics.p2p_dropped.inc(P2pDrop::UndecodableBatch.label());
                }
            }
        }
        if events.is_empty() {
            continue;
        }
        let ids: Vec<_> = events.iter().map(|(_, id, _)| *id).collect();
        let answers = mempool.admit_batch(events, Source::Peer).await;
        for ((id, from), r) in ids.iter().zip(&senders).zip(answers) {
            if let Err(e) = r {
                tracing::debug!(peer = %from, event = %id, reason = %e, "batch event not admitted");
            }
        }
    }
}
