//! The verification bound: ed25519 batch verification of ~300-byte signed events over every
//! core, the way a node verifies them (batches of 256, signer keys decompressed once and kept
//! across batches). Every validator verifies every event once, so validators sharing this
//! machine can commit at most (signatures/s) ÷ validators events/s.

use anyhow::{Result, bail};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tradeledger_types::SignedEvent;
use tradeledger_types::crypto::{BatchItem, KeyCache, verify_batch_cached};

/// Signatures per batch, as the node's verifier batches them.
const BATCH: usize = 256;

/// Verifies `events` in batches on every core, over and over for `duration`; returns the
/// signatures verified per second over all threads. Fails if any signature does not verify.
pub fn signatures_per_s(events: &[SignedEvent], duration: Duration) -> Result<(f64, usize)> {
    if events.len() < BATCH {
        bail!("the bound needs at least {BATCH} events");
    }
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let messages: Vec<Vec<u8>> = events.iter().map(|e| e.body.signing_bytes()).collect();
    // Warm, as a node's cache is for the devices it hears from every second.
    let keys = Mutex::new(KeyCache::new(2 * events.len()));
    {
        let mut keys = keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for e in events {
            if let Ok(vk) = tradeledger_types::crypto::verifying_key(&e.body.signer) {
                keys.insert(e.body.signer, vk);
            }
        }
    }
    let verified = AtomicU64::new(0);
    let bad = AtomicU64::new(0);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (messages, verified, bad, keys) = (&messages, &verified, &bad, &keys);
            s.spawn(move || {
                let batches = events.len() / BATCH;
                let mut b = t;
                while t0.elapsed() < duration {
                    let at = (b % batches) * BATCH;
                    let items: Vec<BatchItem<'_>> = (at..at + BATCH)
                        .map(|i| events[i].batch_item(&messages[i]))
                        .collect();
                    let failed = verify_batch_cached(&items, keys)
                        .iter()
                        .filter(|r| r.is_err())
                        .count();
                    bad.fetch_add(failed as u64, Ordering::Relaxed);
                    verified.fetch_add(BATCH as u64, Ordering::Relaxed);
                    b += threads;
                }
            });
        }
    });
    if bad.load(Ordering::Relaxed) > 0 {
        bail!("{} signatures did not verify", bad.load(Ordering::Relaxed));
    }
    let per_s = verified.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
    Ok((per_s, threads))
}
