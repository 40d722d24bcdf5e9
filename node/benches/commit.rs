//! The node's hot path after consensus: executing a final block against RocksDB and writing it
//! (block, certificate, events, indexes, state changes, results) in one synced batch.
//!
//! Each iteration appends one block of `BLOCK_EVENTS` reefer sensor reports (about 300 bytes
//! each, signed by the carrier, spread over 200 declared shipments) to a growing chain, so
//! the state tree and the indexes grow as they do in a running node. Signing and block building
//! happen outside the measurement.
//!
//! `execute` and `commit_write_cpu` are the CPU time of the benchmarking thread (`/proc/thread-self/schedstat`), which other processes on a
//! shared machine do not distort; `commit_write` is the wall time of the same synced write,
//! which mostly waits for the disk.
//!
//! Run: `cargo bench -p tradeledger-node --bench commit --profile dev` (the profile the node
//! runs in: RocksDB is not rebuilt).

#![allow(missing_docs)] // criterion_group! and criterion_main! generate undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};
use tradeledger_contracts::testkit::{self, Actor, HOUR_MS, T0_MS};
use tradeledger_node::execution::Executor;
use tradeledger_node::storage::{BlockCommit, BlockResultRecord, Store};
use tradeledger_types::*;

const BLOCK_EVENTS: usize = 500;
const SHIPMENTS: usize = 200;

struct Chain {
    _dir: tempfile::TempDir,
    store: Store,
    executor: Executor,
    carrier: Actor,
    chain_id: String,
    time_ms: u64,
    proposer: PublicKey,
    /// State writes of the last block executed: tree nodes, values, and its events.
    last_writes: (usize, usize, usize),
}

impl Chain {
    fn new() -> Chain {
        let dir = tempfile::tempdir().expect("temp dir");
        let genesis = testkit::genesis();
        let store = Store::open(dir.path(), genesis.hash()).expect("open store");
        let executor = Executor::open(store.clone(), &genesis).expect("executor");
        let mut chain = Chain {
            _dir: dir,
            store,
            executor,
            carrier: Actor::new(testkit::CARRIER),
            chain_id: genesis.chain_id.clone(),
            time_ms: T0_MS,
            proposer: SecretKey::from_seed([7; 32]).public(),
            last_writes: (0, 0, 0),
        };
        let mut exporter = Actor::new(testkit::EXPORTER);
        let declarations = (0..SHIPMENTS)
            .map(|i| {
                exporter.sign(Payload::ShipmentDeclaration(testkit::declaration(
                    &format!("BENCH-{i}"),
                )))
            })
            .collect();
        let block = chain.block(declarations);
        chain.commit(block, true);
        chain
    }

    fn readings(&mut self) -> Vec<SignedEvent> {
        (0..BLOCK_EVENTS)
            .map(|i| {
                self.time_ms += 60_000;
                let shipment = format!("BENCH-{}", i % SHIPMENTS);
                let series = testkit::series(self.time_ms, HOUR_MS / 12, 4, 4_000);
                self.carrier
                    .sign(Payload::SensorReport(testkit::sensor_report(
                        &shipment, series,
                    )))
            })
            .collect()
    }

    fn block(&mut self, events: Vec<SignedEvent>) -> Block {
        let (height, parent_hash) = self.executor.tip();
        let roots = self
            .executor
            .roots_after(&parent_hash)
            .expect("roots")
            .expect("the tip's roots are stored");
        let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
        self.time_ms += 1_000;
        Block {
            header: BlockHeader {
                chain_id: self.chain_id.clone(),
                height: height + 1,
                round: height + 1,
                parent_hash,
                proposer: self.proposer,
                block_time_ms: self.time_ms,
                events_root: events_root(&ids),
                event_count: u32::try_from(events.len()).expect("small block"),
                state_root: roots.state_root,
                results_root: roots.results_root,
            },
            justify: QuorumCertificate::genesis(&self.chain_id, parent_hash),
            timeout_cert: None,
            events,
        }
    }

    /// Executes and writes `block`; returns the CPU time of execution, and the wall time and
    /// CPU time of the write.
    fn commit(&mut self, block: Block, check_envelopes: bool) -> (Duration, Duration, Duration) {
        let c0 = thread_cpu();
        let executed = self.executor.execute_final(&block).expect("execute");
        let exec = thread_cpu() - c0;
        let tree = executed
            .writes
            .iter()
            .filter(|(k, _)| k.first() == Some(&b't'))
            .count();
        self.last_writes = (tree, executed.writes.len() - tree, block.events.len());
        let t1 = Instant::now();
        let (height, hash) = (block.header.height, block.hash());
        let certificate = QuorumCertificate::genesis(&self.chain_id, hash);
        let mut commit = BlockCommit {
            block,
            certificate,
            outcomes: executed.results.outcomes,
            state_writes: executed.writes.into_iter().collect(),
            result: BlockResultRecord {
                state_root: executed.results.state_root,
                results_root: executed.results.results_root,
            },
        };
        assert!(
            !check_envelopes || commit.outcomes.iter().all(|o| o.consumes_sequence()),
            "every benchmark event passes its envelope checks"
        );
        let c1 = thread_cpu();
        self.store.commit_block(&mut commit).expect("commit");
        let write_cpu = thread_cpu() - c1;
        self.executor.committed(height, hash);
        (exec, t1.elapsed(), write_cpu)
    }
}

/// CPU time of the calling thread so far (nanoseconds on the CPU, from the scheduler's own
/// accounting in `/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("Linux with /proc/thread-self/schedstat");
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse::<u64>().ok())
        .expect("schedstat starts with the thread's CPU time in ns");
    Duration::from_nanos(ns)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("block_500_sensor_reports");
    g.throughput(Throughput::Elements(BLOCK_EVENTS as u64));
    g.sample_size(20);
    let mut chain = Chain::new();
    g.bench_function("execute", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let events = chain.readings();
                let block = chain.block(events);
                total += chain.commit(block, true).0;
            }
            total
        });
    });
    g.bench_function("commit_write", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let events = chain.readings();
                let block = chain.block(events);
                total += chain.commit(block, true).1;
            }
            total
        });
    });
    g.bench_function("commit_write_cpu", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let events = chain.readings();
                let block = chain.block(events);
                total += chain.commit(block, true).2;
            }
            total
        });
    });
    g.finish();
    let (tree, values, events) = chain.last_writes;
    let height = chain.executor.tip().0;
    eprintln!(
        "state writes of the last block (height {height}, {events} events): {tree} tree nodes, {values} values"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
