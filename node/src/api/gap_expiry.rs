//! The task that ends the wait of events parked behind a sequence gap: every tick it drops
//! those that waited longer than `mempool_gap_wait_s` ([`crate::mempool::Mempool::expire_gaps`])
//! and remembers each as rejected with `sequence_gap`, so `GET /v1/events/{id}` tells the
//! client which number of which signer never came, instead of answering `pending` for ever.

use super::State;
use std::time::Duration;

/// Longest time between two expiry passes: an event is dropped at most this long after its
/// bound.
const TICK_MAX: Duration = Duration::from_secs(1);
/// Shortest time between two expiry passes.
const TICK_MIN: Duration = Duration::from_millis(250);

/// Runs until the node stops (`st.stopping`).
pub async fn run_gap_expiry(st: State) {
    let tick = Duration::from_millis(st.mempool.gap_wait_ms() / 4).clamp(TICK_MIN, TICK_MAX);
    loop {
        tokio::time::sleep(tick).await;
        if *st.stopping.borrow() {
            return;
        }
        let expired = st.mempool.expire_gaps(crate::time::now_ms());
        if expired.is_empty() {
            continue;
        }
        for e in &expired {
            tracing::info!(
                event = %e.id,
                signer = %e.waiting.signer,
                seq = e.waiting.seq,
                waits_for_seq = e.waiting.waits_for_seq(),
                waited_ms = e.waited_ms,
                "dropped an event waiting behind a sequence gap"
            );
        }
        let mut rejections = st
            .rejections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for e in expired {
            rejections.add_expired(e);
        }
    }
}
