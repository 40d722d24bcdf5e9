//! Events executed per second on a realistic mix.
//!
//! Each shipment contributes 14 events: a declaration, a certificate of origin, four custody
//! events (pickup, departure, border portal read with both pallets, receipt), six reefer sensor
//! reports of 24 readings each (one every 10 minutes, with a short excursion in one of them), a
//! phytosanitary inspection and a clearance. Shipments are interleaved in blocks of about 1 000
//! events, as they would arrive from many carriers at once. Two custom rules are in force.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-contracts cargo bench -p tradeledger-contracts --bench execute`

#![allow(missing_docs)] // criterion_group! and criterion_main! generate undocumented items

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, HOUR_MS, T0_MS};
use tradeledger_contracts::{BlockContext, MemStore, execute, init_genesis};
use tradeledger_types::*;

const SHIPMENTS: u64 = 700;
const EVENTS_PER_SHIPMENT: u64 = 14;
const BLOCK_EVENTS: usize = 1_000;

fn genesis(custom_rules: bool) -> Genesis {
    let mut g = testkit::genesis();
    if !custom_rules {
        return g;
    }
    g.rule_set.custom_rules = vec![
        CustomRule {
            id: "custom.high-value-produce".into(),
            expression: r#"total_value > 8_000_000 && "08" in chapters"#.into(),
            severity: Severity::Warning,
        },
        CustomRule {
            id: "custom.long-excursion".into(),
            expression: "excursion_minutes > 240 && custody_count >= 2".into(),
            severity: Severity::Critical,
        },
    ];
    g
}

#[derive(Clone, Copy)]
enum Who {
    Exporter,
    Carrier,
    Quarantine,
    Customs,
}

fn shipment_events(n: u64) -> Vec<(Who, Payload)> {
    let id = format!("SHP-2026-{n:06}");
    let d = testkit::declaration(&id);
    let t = T0_MS + DAY_MS;
    let both = vec![testkit::pallet(1), testkit::pallet(2)];
    let mut out = vec![
        (Who::Exporter, Payload::ShipmentDeclaration(d.clone())),
        (
            Who::Exporter,
            Payload::CertificateOfOrigin(testkit::certificate(&d, &format!("COO-{n:06}"))),
        ),
        (
            Who::Carrier,
            Payload::Custody(testkit::custody(&id, "shipping", "MXUPN", t, both.clone())),
        ),
        (
            Who::Carrier,
            Payload::Custody(testkit::custody(
                &id,
                "departing",
                "MXUPN",
                t + HOUR_MS,
                vec![],
            )),
        ),
    ];
    for r in 0..6u64 {
        let start = t + HOUR_MS + r * 4 * HOUR_MS;
        let readings = (0..24u64)
            .map(|i| {
                testkit::temp(
                    start + i * 600_000,
                    if r == 3 && (4..10).contains(&i) {
                        14_500
                    } else {
                        7_000
                    },
                )
            })
            .collect();
        out.push((
            Who::Carrier,
            Payload::SensorReport(testkit::sensor_report(&id, readings)),
        ));
    }
    out.push((
        Who::Carrier,
        Payload::Custody(testkit::custody(
            &id,
            "arriving",
            "USLRD",
            t + 30 * HOUR_MS,
            both,
        )),
    ));
    out.push((
        Who::Carrier,
        Payload::Custody(testkit::custody(
            &id,
            "receiving",
            "USLRD",
            t + 31 * HOUR_MS,
            vec![],
        )),
    ));
    out.push((
        Who::Quarantine,
        Payload::Inspection(InspectionResult {
            shipment_id: id.clone(),
            kind: InspectionKind::Phytosanitary,
            outcome: InspectionOutcome::Pass,
            findings: vec![],
            treatment: None,
            inspected_ms: t + 32 * HOUR_MS,
        }),
    ));
    out.push((
        Who::Customs,
        Payload::Clearance(ClearanceDecision {
            shipment_id: id,
            decision: Decision::Release,
            reason: String::new(),
        }),
    ));
    assert_eq!(out.len() as u64, EVENTS_PER_SHIPMENT);
    out
}

/// Blocks of interleaved shipments: shipment k's stage j goes in wave `k / 50 + j`, so a block
/// holds events of many shipments at different stages, each shipment's in order. Events are
/// signed in that final order so every signer's sequence numbers run 1, 2, 3, ...
fn blocks() -> Vec<Vec<SignedEvent>> {
    let mut actors = [
        Actor::new(testkit::EXPORTER),
        Actor::new(testkit::CARRIER),
        Actor::new(testkit::QUARANTINE),
        Actor::new(testkit::CUSTOMS),
    ];
    let mut order: Vec<(u64, u64, usize, Who, Payload)> = Vec::new();
    for k in 0..SHIPMENTS {
        for (j, (who, p)) in shipment_events(k).into_iter().enumerate() {
            order.push((k / 50 + j as u64, k, j, who, p));
        }
    }
    order.sort_by_key(|(wave, k, j, _, _)| (*wave, *k, *j));
    let signed: Vec<SignedEvent> = order
        .into_iter()
        .map(|(_, _, _, who, p)| actors[who as usize].sign(p))
        .collect();
    signed
        .chunks(BLOCK_EVENTS)
        .map(<[SignedEvent]>::to_vec)
        .collect()
}

fn run(store: &mut MemStore, blocks: &[Vec<SignedEvent>]) {
    for (i, events) in blocks.iter().enumerate() {
        let h = i as u64 + 1;
        let ctx = BlockContext {
            height: h,
            block_time_ms: T0_MS + 10 * DAY_MS + h * 1_000,
        };
        let r = execute(store, &ctx, events).expect("memory store");
        assert!(
            r.outcomes.iter().all(|o| o.is_applied()),
            "every benchmark event is valid"
        );
    }
}

fn bench(c: &mut Criterion) {
    let blocks = blocks();
    let total: u64 = blocks.iter().map(|b| b.len() as u64).sum();
    let mut group = c.benchmark_group("execute");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total));
    for (name, custom) in [
        ("realistic_mix_9800_events/2_custom_rules", true),
        ("realistic_mix_9800_events/no_custom_rules", false),
    ] {
        let mut base = MemStore::new();
        init_genesis(&mut base, &genesis(custom)).expect("valid genesis");
        group.bench_function(name, |b| {
            b.iter_batched(
                || base.clone(),
                |mut store| {
                    run(&mut store, &blocks);
                    store
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// The state tree alone: one block's worth of changes (3 000 keys set to new values) applied as a
/// batch to trees of 10 000 to 1 000 000 entries, to show the O(log n) cost per change.
fn state_tree(c: &mut Criterion) {
    use tradeledger_contracts::smt::{root, update_batch};
    use tradeledger_types::domain::sha256;
    const CHANGES: u64 = 3_000;
    let mut group = c.benchmark_group("state_tree");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CHANGES));
    for entries in [10_000u64, 100_000, 1_000_000] {
        let key = |i: u64| sha256(&i.to_be_bytes());
        let mut all: Vec<(Hash32, Option<Hash32>)> = (0..entries)
            .map(|i| (key(i), Some(key(i + entries))))
            .collect();
        all.sort_unstable_by_key(|c| c.0);
        let mut store = MemStore::new();
        update_batch(&mut store, &all).expect("memory store");
        drop(all);
        let mut round = 0u64;
        group.bench_function(format!("update_3000_of_{entries}"), |b| {
            b.iter(|| {
                round += 1;
                let stride = entries / CHANGES;
                let mut changes: Vec<(Hash32, Option<Hash32>)> = (0..CHANGES)
                    .map(|j| {
                        (
                            key(j * stride + round % stride),
                            Some(sha256(&round.to_be_bytes())),
                        )
                    })
                    .collect();
                changes.sort_unstable_by_key(|c| c.0);
                update_batch(&mut store, &changes).expect("memory store");
                root(&store).expect("memory store")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench, state_tree);
criterion_main!(benches);
