//! The mempool: admission of signed events and their selection for proposals.
//!
//! Admission decodes (canonical, size-limited, by the caller), checks the chain id and the
//! payload's fields, dedupes by event id and per-signer sequence, verifies the signature in a
//! batch with other submissions, and enforces count and byte caps. Every rejection has a
//! reason ([`Reject`]) with a stable code.
//!
//! An event behind a sequence gap waits at most `gap_wait_ms` ([`Mempool::expire_gaps`],
//! called by the API's expiry task, which remembers each drop as a `sequence_gap` rejection).
//! The clock is read here, at the edge; the [`Pool`] takes the time as an argument.

mod admit_batch;
pub mod batch;
pub mod pool;
mod reject;
pub mod verifier;

pub use batch::EventBatch;
pub use pool::{GapExpired, Pool, Waiting};
pub use reject::Reject;

use crate::metrics::Metrics;
use crate::storage::Store;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};
use tradeledger_types::{EventId, PublicKey, SignedEvent};
use verifier::VerifyJob;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A client of this node's API: shared with the other validators after admission.
    Local,
    /// Another validator's batch: not forwarded again.
    Peer,
}

/// The shared mempool handle.
#[derive(Debug)]
pub struct Mempool {
    pool: Mutex<Pool>,
    store: Store,
    chain_id: String,
    metrics: Arc<Metrics>,
    verifier: mpsc::Sender<VerifyJob>,
    outgoing: mpsc::Sender<SignedEvent>,
    gap_wait_ms: u64,
}

/// What bounds the mempool: its caps, and how long an event may wait behind a sequence gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most events held.
    pub events_max: usize,
    /// Most bytes of events held.
    pub bytes_max: usize,
    /// Longest an event may wait behind a sequence gap before it is dropped, ms.
    pub gap_wait_ms: u64,
}

impl Mempool {
    /// A mempool over `store`; locally admitted events are sent to `outgoing` (the batcher).
    /// Spawns the verifier task (call within a tokio runtime).
    pub fn new(
        store: Store,
        chain_id: String,
        limits: Limits,
        metrics: Arc<Metrics>,
        outgoing: mpsc::Sender<SignedEvent>,
    ) -> Mempool {
        Mempool {
            pool: Mutex::new(Pool::new(limits.events_max, limits.bytes_max)),
            store,
            chain_id,
            metrics,
            verifier: verifier::spawn(),
            outgoing,
            gap_wait_ms: limits.gap_wait_ms,
        }
    }

    /// Longest an event may wait behind a sequence gap, ms.
    pub fn gap_wait_ms(&self) -> u64 {
        self.gap_wait_ms
    }

    /// Drops the events that have waited behind a sequence gap longer than the bound at
    /// `now_ms`, counting each as rejected (`sequence_gap`); the caller reports them.
    pub fn expire_gaps(&self, now_ms: u64) -> Vec<GapExpired> {
        let expired = {
            let mut pool = self.lock();
            let expired = pool.expire_parked(now_ms, self.gap_wait_ms);
            self.update_gauges(&pool);
            expired
        };
        for _ in &expired {
            self.metrics.events_rejected.inc("sequence_gap");
        }
        expired
    }

    /// Locks the pool (short critical sections only).
    pub fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True when `id` is pending.
    pub fn contains(&self, id: &EventId) -> bool {
        self.lock().contains(id)
    }

    fn update_gauges(&self, pool: &Pool) {
        self.metrics
            .mempool_events
            .store(pool.len() as u64, Ordering::Relaxed);
        self.metrics
            .mempool_bytes
            .store(pool.bytes() as u64, Ordering::Relaxed);
        self.metrics
            .mempool_parked
            .store(pool.parked() as u64, Ordering::Relaxed);
        self.metrics
            .mempool_evicted
            .store(pool.evicted(), Ordering::Relaxed);
    }

    /// Admits one decoded event of `size` canonical bytes. Counts rejections by reason.
    pub async fn admit(
        &self,
        event: SignedEvent,
        id: EventId,
        size: usize,
        source: Source,
    ) -> Result<(), Reject> {
        let r = self.admit_inner(event, id, size, source).await;
        match &r {
            Ok(()) => {
                self.metrics.events_accepted.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => self.metrics.events_rejected.inc(e.code()),
        }
        r
    }

    async fn admit_inner(
        &self,
        event: SignedEvent,
        id: EventId,
        size: usize,
        source: Source,
    ) -> Result<(), Reject> {
        if event.body.chain_id != self.chain_id {
            return Err(Reject::WrongChain {
                expected: self.chain_id.clone(),
                found: event.body.chain_id.clone(),
            });
        }
        event
            .body
            .payload
            .validate()
            .map_err(Reject::InvalidPayload)?;
        let signer = event.body.signer;
        let known = self.lock().known_committed_seq(&signer);
        if known.is_none() || source == Source::Local {
            let (committed_seq, committed, retired) = self
                .store
                .blocking(move |s| {
                    let retired = retired_at_next_height(s, &signer)?;
                    Ok((s.signer_last_seq(&signer)?, s.has_event(&id)?, retired))
                })
                .await
                .map_err(|e| Reject::Unavailable(e.to_string()))?;
            if committed {
                return Err(Reject::AlreadyCommitted(id));
            }
            if let Some(r) = retired {
                return Err(Reject::KeyRetired(r));
            }
            self.lock().learn_committed_seq(signer, committed_seq);
        }
        let verified = {
            let pool = self.lock();
            pool.precheck(&event, &id, size)?;
            pool.is_verified(&id)
        };
        if !verified {
            let (reply, answer) = oneshot::channel();
            self.verifier
                .send(VerifyJob {
                    event: event.clone(),
                    reply,
                })
                .await
                .map_err(|_| Reject::Unavailable("signature verifier stopped".into()))?;
            answer
                .await
                .map_err(|_| Reject::Unavailable("signature verifier stopped".into()))?
                .map_err(Reject::BadSignature)?;
        }
        {
            let mut pool = self.lock();
            pool.insert(event.clone(), id, size, crate::time::now_ms())?;
            self.update_gauges(&pool);
        }
        if source == Source::Local && self.outgoing.try_send(event).is_err() {
            tracing::warn!(%id, "gossip queue full: event stays local until this node proposes it");
        }
        Ok(())
    }

    /// Events for a proposal within the block's caps.
    pub fn select(&self, events_max: usize, bytes_max: usize) -> Vec<SignedEvent> {
        self.lock().select(events_max, bytes_max)
    }

    /// Records the commit of the block at `height` with `events` (see [`Pool::on_commit`]).
    pub fn on_commit(&self, height: u64, events: &[(EventId, PublicKey, u64)]) {
        let now_ms = crate::time::now_ms();
        let mut pool = self.lock();
        pool.on_commit(height, events, now_ms);
        self.update_gauges(&pool);
    }
}

/// Execution's refusal of `signer` at the next height (committed + 1, the earliest an event
/// admitted now can land at) when its key is retired: a revoked device or a rotated-out
/// organisation key. Such a key can never sign again, so the event is refused at once.
fn retired_at_next_height(
    s: &Store,
    signer: &PublicKey,
) -> crate::storage::StoreResult<Option<tradeledger_contracts::Rejection>> {
    let view = crate::execution::OverlayState::new(s, Vec::new());
    let next = s.committed_height()?.saturating_add(1);
    tradeledger_contracts::signer_refusal(&view, signer, next)
        .map_err(|e| crate::storage::StorageError::Task(e.to_string()))
}
