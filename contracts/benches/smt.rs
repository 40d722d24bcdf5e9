//! The state tree's update of one block on a large in-memory state: what `audit verify`'s
//! execution thread spends most of its time on (docs/performance.md, "What is left").
//!
//! The state holds 2 400 000 entries, about what a 1M-event chain holds (2.4 state values per
//! event). Each iteration applies one block's changes: 4 800 key hashes (a 2 000-event block),
//! half of them existing entries given new values, half new entries.
//!
//! Run: `cargo bench -p tradeledger-contracts --bench smt`

#![allow(missing_docs)] // criterion_group! and criterion_main! generate undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Instant;
use tradeledger_contracts::{MemStore, smt};
use tradeledger_types::Hash32;
use tradeledger_types::domain::sha256;

const ENTRIES: u64 = 2_400_000;
const CHANGES: u64 = 4_800;

fn key_hash(i: u64) -> Hash32 {
    sha256(&i.to_be_bytes())
}

fn value_hash(i: u64, version: u64) -> Hash32 {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&i.to_be_bytes());
    b[8..].copy_from_slice(&version.to_be_bytes());
    sha256(&b)
}

fn sorted(mut changes: Vec<(Hash32, Option<Hash32>)>) -> Vec<(Hash32, Option<Hash32>)> {
    changes.sort_unstable_by_key(|c| c.0);
    changes
}

fn filled() -> MemStore {
    let mut store = MemStore::new();
    let chunk = 100_000;
    for start in (0..ENTRIES).step_by(chunk as usize) {
        let changes = sorted(
            (start..start + chunk)
                .map(|i| (key_hash(i), Some(value_hash(i, 0))))
                .collect(),
        );
        smt::update_batch(&mut store, &changes).expect("memory store");
    }
    store
}

/// Existing entries spread over the state (a prime stride), and as many new ones.
fn block_changes(round: u64) -> Vec<(Hash32, Option<Hash32>)> {
    sorted(
        (0..CHANGES / 2)
            .flat_map(|j| {
                let old = (round * 7_919 + j * 499) % ENTRIES;
                let new = ENTRIES + round * CHANGES + j;
                [
                    (key_hash(old), Some(value_hash(old, round))),
                    (key_hash(new), Some(value_hash(new, 0))),
                ]
            })
            .collect(),
    )
}

fn block_update(c: &mut Criterion) {
    let mut group = c.benchmark_group("smt");
    group.throughput(Throughput::Elements(CHANGES));
    group.sample_size(20);
    let mut store = filled();
    let mut round = 0u64;
    // One store across iterations (cloning 2.4M entries per iteration would dwarf the update);
    // it grows by 2 400 entries per iteration, 0.1 % of it. The changes are made before the
    // clock starts.
    group.bench_function("update_batch/4800_of_2.4M", |b| {
        b.iter_custom(|iters| {
            let blocks: Vec<_> = (0..iters)
                .map(|_| {
                    round += 1;
                    block_changes(round)
                })
                .collect();
            let start = Instant::now();
            for changes in &blocks {
                smt::update_batch(&mut store, changes).expect("memory store");
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, block_update);
criterion_main!(benches);
