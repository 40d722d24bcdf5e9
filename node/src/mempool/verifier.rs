//! Signature checks in batches, on blocking threads.
//!
//! Single submissions from many clients are gathered by one task into batches (up to
//! [`VERIFY_BATCH_MAX`]), so under load each signature costs about half of a lone check.

use std::sync::{LazyLock, Mutex};
use tokio::sync::{mpsc, oneshot};
use tradeledger_types::crypto::{BatchItem, KeyCache, verify_batch_cached};
use tradeledger_types::{SignatureError, SignedEvent};

/// Most signatures checked in one batch.
pub const VERIFY_BATCH_MAX: usize = 512;
/// Capacity of the verifier's queue.
pub const VERIFY_QUEUE: usize = 4096;

/// Signer keys kept decompressed between batches. Devices sign every event they send, so the
/// same few thousand keys recur in every batch; decompressing them took about a fifth of
/// batch verification (criterion `batch_verify_256_devices`, BENCHMARKS.md). 65 536 keys take
/// about 16 MB.
pub const KEY_CACHE_KEYS: usize = 65_536;

/// The process's decompressed keys, shared by admission, proposal checks and the auditor.
static KEYS: LazyLock<Mutex<KeyCache>> =
    LazyLock::new(|| Mutex::new(KeyCache::new(KEY_CACHE_KEYS)));

/// One signature to check and where to send the answer.
#[derive(Debug)]
pub struct VerifyJob {
    /// The event.
    pub event: SignedEvent,
    /// The answer.
    pub reply: oneshot::Sender<Result<(), SignatureError>>,
}

/// Verifies many events' signatures (blocking; call from a blocking thread).
pub fn verify_events(events: &[SignedEvent]) -> Vec<Result<(), SignatureError>> {
    let messages: Vec<Vec<u8>> = events.iter().map(|e| e.body.signing_bytes()).collect();
    let items: Vec<BatchItem<'_>> = events
        .iter()
        .zip(&messages)
        .map(|(e, m)| e.batch_item(m))
        .collect();
    verify_batch_cached(&items, &KEYS)
}

/// Verifies events on a blocking thread.
pub async fn verify_events_blocking(
    events: Vec<SignedEvent>,
) -> Option<(Vec<SignedEvent>, Vec<Result<(), SignatureError>>)> {
    tokio::task::spawn_blocking(move || {
        let r = verify_events(&events);
        (events, r)
    })
    .await
    .ok()
}

/// Spawns the batching verifier; it runs until every sender is dropped.
pub fn spawn() -> mpsc::Sender<VerifyJob> {
    let (tx, mut rx) = mpsc::channel::<VerifyJob>(VERIFY_QUEUE);
    tokio::spawn(async move {
        let mut jobs = Vec::with_capacity(VERIFY_BATCH_MAX);
        while rx.recv_many(&mut jobs, VERIFY_BATCH_MAX).await > 0 {
            let (events, replies): (Vec<SignedEvent>, Vec<_>) =
                jobs.drain(..).map(|j| (j.event, j.reply)).unzip();
            let Some((_, results)) = verify_events_blocking(events).await else {
                // The blocking pool is shutting down; dropping the replies tells the callers.
                return;
            };
            for (reply, result) in replies.into_iter().zip(results) {
                if reply.send(result).is_err() {
                    // The caller gave up (client disconnected) and no longer needs the answer.
                    tracing::debug!("signature check answered after its caller left");
                }
            }
        }
    });
    tx
}
