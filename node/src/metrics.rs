//! Prometheus metrics, rendered by hand in the text exposition format (a handful of gauges,
//! counters and histograms do not justify a metrics dependency).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the histograms' buckets, milliseconds (fine at the low end: the latency
/// target is tens of milliseconds and a synced write takes a few).
const LATENCY_BUCKETS_MS: [u64; 17] = [
    1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1_000, 2_000, 3_000, 5_000, 10_000, 30_000,
];

/// A counter family with one label.
#[derive(Debug, Default)]
pub struct LabelledCounter {
    values: Mutex<BTreeMap<String, u64>>,
}

impl LabelledCounter {
    /// Adds one for `label`.
    pub fn inc(&self, label: &str) {
        let mut v = self
            .values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *v.entry(label.to_owned()).or_insert(0) += 1;
    }

    /// Sets the count for `label` (for counters kept elsewhere, like the core's drops).
    pub fn set(&self, label: &str, value: u64) {
        let mut v = self
            .values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        v.insert(label.to_owned(), value);
    }

    /// The count for `label`.
    pub fn get(&self, label: &str) -> u64 {
        self.values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(label)
            .copied()
            .unwrap_or(0)
    }

    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A histogram with fixed millisecond buckets, exported in seconds.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
    count: AtomicU64,
    sum_ms: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe_ms(&self, ms: u64) {
        for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            if ms <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Records how long something took since `start`, rounded up to a whole millisecond.
    pub fn observe_since(&self, start: std::time::Instant) {
        let us = start.elapsed().as_micros();
        self.observe_ms(u64::try_from(us.div_ceil(1_000)).unwrap_or(u64::MAX));
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{}\"}} {}",
                seconds(*bound),
                get(&self.buckets[i])
            );
        }
        let count = get(&self.count);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", seconds(get(&self.sum_ms)));
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// Why peer traffic was dropped below consensus: the labels of [`Metrics::p2p_dropped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P2pDrop {
    /// A frame announced more bytes than the protocol's cap.
    OversizeFrame,
    /// A frame's bytes are not one canonical request or response.
    UndecodableFrame,
    /// An event batch's bytes are not a canonical list of signed events.
    UndecodableBatch,
    /// An event batch with a digest already received (a replay).
    DuplicateBatch,
    /// An event batch from a peer outside the validator set.
    BatchNotValidator,
    /// An event batch refused because the ingester's queue is full.
    BatchQueueFull,
}

impl P2pDrop {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            P2pDrop::OversizeFrame => "oversize_frame",
            P2pDrop::UndecodableFrame => "undecodable_frame",
            P2pDrop::UndecodableBatch => "undecodable_batch",
            P2pDrop::DuplicateBatch => "duplicate_batch",
            P2pDrop::BatchNotValidator => "batch_not_validator",
            P2pDrop::BatchQueueFull => "batch_queue_full",
        }
    }
}

/// Every metric the node exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Height of the last committed block.
    pub height: AtomicU64,
    /// Current consensus round.
    pub round: AtomicU64,
    /// Events in the mempool.
    pub mempool_events: AtomicU64,
    /// Bytes in the mempool.
    pub mempool_bytes: AtomicU64,
    /// Events in the mempool waiting behind a sequence gap of their signer.
    pub mempool_parked: AtomicU64,
    /// Connected peers.
    pub peers: AtomicU64,
    /// Blocks a peer claims beyond our height (0 when in sync).
    pub sync_lag_blocks: AtomicU64,
    /// Blocks committed since start.
    pub blocks_committed: AtomicU64,
    /// Round timers that expired since start (rounds that ended without progress in time).
    pub round_timeouts: AtomicU64,
    /// Events committed since start.
    pub events_committed: AtomicU64,
    /// Events accepted into the mempool since start.
    pub events_accepted: AtomicU64,
    /// Events rejected at admission, by reason.
    pub events_rejected: LabelledCounter,
    /// Committed events the contracts refused, by rejection code (`sequence_gap`, ...).
    pub events_refused_in_block: LabelledCounter,
    /// Pending events dropped from a full mempool to admit events that can be proposed now
    /// (see `mempool::Pool`: only events waiting behind a sequence gap are evicted).
    pub mempool_evicted: AtomicU64,
    /// Consensus messages dropped, by reason.
    pub consensus_dropped: LabelledCounter,
    /// Peer traffic dropped before it reached consensus or the mempool (frames that are too
    /// large or do not decode, event batches that do not decode or were already received), by
    /// reason; see [`P2pDrop`].
    pub p2p_dropped: LabelledCounter,
    /// State reads during execution by whether the state cache answered them (`hit`) or
    /// RocksDB did (`miss`); kept by the store and copied in when `/metrics` is read.
    pub state_cache_lookups: LabelledCounter,
    /// Bytes the state cache holds, by class (`nodes`, `values`); a gauge, copied in when
    /// `/metrics` is read.
    pub state_cache_bytes: LabelledCounter,
    /// Time from a block's block time to its local commit.
    pub commit_latency: Histogram,
    /// Executing a final block (contracts, state tree, roots).
    pub block_execute: Histogram,
    /// Writing a committed block (one synced RocksDB write batch).
    pub block_write: Histogram,
    /// Writing the consensus safety record (synced) before a vote or timeout leaves.
    pub safety_write: Histogram,
}

impl Metrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let g = |out: &mut String, name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        g(
            &mut out,
            "tradeledger_height",
            "Height of the last committed block.",
            "gauge",
            get(&self.height),
        );
        g(
            &mut out,
            "tradeledger_round",
            "Current consensus round.",
            "gauge",
            get(&self.round),
        );
        g(
            &mut out,
            "tradeledger_mempool_events",
            "Events pending in the mempool.",
            "gauge",
            get(&self.mempool_events),
        );
        g(
            &mut out,
            "tradeledger_mempool_bytes",
            "Bytes of events pending in the mempool.",
            "gauge",
            get(&self.mempool_bytes),
        );
        g(
            &mut out,
            "tradeledger_mempool_parked_events",
            "Events pending in the mempool behind a sequence gap of their signer (not proposable yet).",
            "gauge",
            get(&self.mempool_parked),
        );
        g(
            &mut out,
            "tradeledger_peers",
            "Connected libp2p peers.",
            "gauge",
            get(&self.peers),
        );
        g(
            &mut out,
            "tradeledger_sync_lag_blocks",
            "Blocks known to exist beyond our committed height.",
            "gauge",
            get(&self.sync_lag_blocks),
        );
        g(
            &mut out,
            "tradeledger_round_timeouts_total",
            "Round timers that expired since start.",
            "counter",
            get(&self.round_timeouts),
        );
        g(
            &mut out,
            "tradeledger_blocks_committed_total",
            "Blocks committed since start.",
            "counter",
            get(&self.blocks_committed),
        );
        g(
            &mut out,
            "tradeledger_events_committed_total",
            "Events committed since start.",
            "counter",
            get(&self.events_committed),
        );
        g(
            &mut out,
            "tradeledger_events_accepted_total",
            "Events admitted to the mempool since start.",
            "counter",
            get(&self.events_accepted),
        );
        labelled(
            &mut out,
            "tradeledger_events_rejected_total",
            "Events rejected at admission, by reason.",
            "reason",
            &self.events_rejected,
        );
        g(
            &mut out,
            "tradeledger_mempool_evicted_total",
            "Pending events waiting behind a sequence gap, dropped from a full mempool for events that can be proposed now.",
            "counter",
            get(&self.mempool_evicted),
        );
        labelled(
            &mut out,
            "tradeledger_events_refused_in_block_total",
            "Committed events the contracts refused, by rejection code.",
            "reason",
            &self.events_refused_in_block,
        );
        labelled(
            &mut out,
            "tradeledger_consensus_messages_dropped_total",
            "Consensus messages dropped, by reason.",
            "reason",
            &self.consensus_dropped,
        );
        labelled(
            &mut out,
            "tradeledger_p2p_messages_dropped_total",
            "Peer frames and event batches dropped before consensus or the mempool, by reason.",
            "reason",
            &self.p2p_dropped,
        );
        labelled(
            &mut out,
            "tradeledger_state_cache_lookups_total",
            "State reads during execution, by whether the state cache answered them.",
            "result",
            &self.state_cache_lookups,
        );
        labelled_gauge(
            &mut out,
            "tradeledger_state_cache_bytes",
            "Bytes of state-tree nodes and state values held in the state cache.",
            "class",
            &self.state_cache_bytes,
        );
        self.commit_latency.render(
            &mut out,
            "tradeledger_commit_latency_seconds",
            "Time from a block's block time to its local commit.",
        );
        self.block_execute.render(
            &mut out,
            "tradeledger_block_execute_seconds",
            "Executing a final block: contracts, state tree and roots.",
        );
        self.block_write.render(
            &mut out,
            "tradeledger_block_write_seconds",
            "Writing a committed block in one synced batch.",
        );
        self.safety_write.render(
            &mut out,
            "tradeledger_safety_write_seconds",
            "Writing the consensus safety record (synced) before a vote or timeout leaves.",
        );
        out
    }
}

fn labelled(out: &mut String, name: &str, help: &str, key: &str, c: &LabelledCounter) {
    labelled_typed(out, name, help, key, c, "counter");
}

fn labelled_gauge(out: &mut String, name: &str, help: &str, key: &str, c: &LabelledCounter) {
    labelled_typed(out, name, help, key, c, "gauge");
}

fn labelled_typed(
    out: &mut String,
    name: &str,
    help: &str,
    key: &str,
    c: &LabelledCounter,
    kind: &str,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (label, v) in c.snapshot() {
        let _ = writeln!(
            out,
            "{name}{{{key}=\"{}\"}} {v}",
            label.replace(['"', '\\', '\n'], "_")
        );
    }
}

/// Milliseconds as a decimal number of seconds, without floats.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.height.store(7, Ordering::Relaxed);
        m.events_rejected.inc("bad_signature");
        m.commit_latency.observe_ms(120);
        m.p2p_dropped.inc(P2pDrop::OversizeFrame.label());
        let text = m.render();
        assert!(
            text.contains("tradeledger_p2p_messages_dropped_total{reason=\"oversize_frame\"} 1\n")
        );
        assert!(text.contains("tradeledger_height 7\n"));
        assert!(text.contains("tradeledger_events_rejected_total{reason=\"bad_signature\"} 1\n"));
        assert!(text.contains("tradeledger_commit_latency_seconds_bucket{le=\"0.200\"} 1\n"));
        assert!(text.contains("tradeledger_commit_latency_seconds_bucket{le=\"0.100\"} 0\n"));
        assert!(text.contains("tradeledger_commit_latency_seconds_sum 0.120\n"));
        // A write of 2.3 ms counts as 3 ms: inside the 5 ms bucket, outside the 2 ms one.
        m.safety_write.observe_ms(3);
        let text = m.render();
        assert!(text.contains("tradeledger_safety_write_seconds_bucket{le=\"0.002\"} 0\n"));
        assert!(text.contains("tradeledger_safety_write_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("tradeledger_safety_write_seconds_count 1\n"));
        assert!(text.contains("tradeledger_block_write_seconds_count 0\n"));
    }

    #[test]
    fn durations_round_up_to_whole_milliseconds() {
        let h = Histogram::default();
        h.observe_since(std::time::Instant::now());
        assert_eq!(h.count.load(Ordering::Relaxed), 1);
        // Even an instant observation lands in the first (1 ms) bucket.
        assert_eq!(h.buckets[0].load(Ordering::Relaxed), 1);
    }
}
