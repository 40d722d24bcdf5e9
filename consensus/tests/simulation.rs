//! The fast simulation suite for CI: hundreds of seeds across n = 4 with f = 1 Byzantine and
//! n = 7 with f = 2, every fault kind, each seed checked for safety and for liveness after the
//! network heals. The long soak is `cargo run -p tradeledger-consensus --release --example sim`.

use tradeledger_consensus::sim::{self, Behaviour, FaultCounts, SimConfig, SimReport};

fn sweep(
    seeds: std::ops::Range<u64>,
    validators: usize,
    byzantine: usize,
    behaviours: &[Behaviour],
) -> (u64, FaultCounts) {
    let mut blocks = 0;
    let mut faults = FaultCounts::default();
    let failed: Vec<SimReport> = seeds
        .map(|seed| {
            let mut cfg = SimConfig::new(seed, validators, byzantine);
            cfg.behaviours = behaviours.to_vec();
            let r = sim::run(&cfg);
            blocks += r.blocks_committed;
            faults.add(&r.faults);
            r
        })
        .filter(|r| !r.ok())
        .collect();
    for r in &failed {
        eprintln!(
            "seed {} ({validators} validators, {:?}): {:?} {:?}",
            r.seed, r.behaviours, r.violations, r.liveness_failure
        );
    }
    assert!(
        failed.is_empty(),
        "{} seeds failed; replay with --example sim -- --seed-start SEED --seeds 1",
        failed.len()
    );
    (blocks, faults)
}

#[test]
fn four_validators_one_byzantine_every_behaviour() {
    let (blocks, faults) = sweep(0..150, 4, 1, &Behaviour::ALL);
    assert!(blocks > 150 * 5, "only {blocks} blocks committed");
    assert!(
        faults.partitions > 0 && faults.crashes > 0 && faults.dropped > 0 && faults.duplicated > 0
    );
}

#[test]
fn seven_validators_two_byzantine_every_behaviour() {
    let (blocks, faults) = sweep(0..80, 7, 2, &Behaviour::ALL);
    assert!(blocks > 80 * 5, "only {blocks} blocks committed");
    assert!(faults.partitions > 0 && faults.crashes > 0);
}

#[test]
fn the_whole_network_restarting_at_once() {
    // Seeds 228 and 347 stalled for good when uncommitted blocks were not persisted with the
    // safety data; 1244 when the TC a timeout was signed after was not.
    let (_, faults) = sweep(200..400, 4, 1, &Behaviour::ALL);
    assert!(faults.full_restarts > 20, "{faults:?}");
    sweep(1_244..1_245, 4, 1, &Behaviour::ALL);
    let (_, f7) = sweep(200..260, 7, 2, &Behaviour::ALL);
    assert!(f7.full_restarts > 0);
}

#[test]
fn equivocating_leaders() {
    let (_, f4) = sweep(1_000..1_030, 4, 1, &[Behaviour::Equivocate]);
    let (_, f7) = sweep(1_000..1_015, 7, 2, &[Behaviour::Equivocate]);
    assert!(f4.equivocations > 0 && f7.equivocations > 0);
}

#[test]
fn double_voters() {
    let (_, f4) = sweep(2_000..2_030, 4, 1, &[Behaviour::DoubleVote]);
    let (_, f7) = sweep(2_000..2_015, 7, 2, &[Behaviour::DoubleVote]);
    assert!(f4.double_votes > 0 && f7.double_votes > 0);
}

#[test]
fn validators_voting_for_invalid_blocks() {
    let (_, f4) = sweep(3_000..3_030, 4, 1, &[Behaviour::InvalidBlocks]);
    let (_, f7) = sweep(3_000..3_015, 7, 2, &[Behaviour::InvalidBlocks]);
    assert!(f4.invalid_proposals > 0 && f7.invalid_votes > 0);
}

#[test]
fn validators_withholding_votes() {
    let (_, f4) = sweep(4_000..4_030, 4, 1, &[Behaviour::WithholdVotes]);
    let (_, f7) = sweep(4_000..4_015, 7, 2, &[Behaviour::WithholdVotes]);
    assert!(f4.withheld_votes > 0 && f7.withheld_votes > 0);
}

#[test]
fn twins_in_opposite_partitions() {
    let (_, f4) = sweep(5_000..5_030, 4, 1, &[Behaviour::Twins]);
    let (_, f7) = sweep(5_000..5_015, 7, 2, &[Behaviour::Twins]);
    assert_eq!(f4.twins, 30);
    assert!(f7.twins >= 15);
}

#[test]
fn a_healthy_network_commits_a_block_about_every_round() {
    let r = sim::run(&SimConfig::healthy(9, 4, 10_000));
    assert!(r.ok(), "{:?} {:?}", r.violations, r.liveness_failure);
    // With every leader honest and delays of at most 40 ms, each round certifies a block and
    // the 2-chain rule commits all but the last two.
    assert!(
        r.blocks_committed + 3 >= r.rounds,
        "{} blocks in {} rounds",
        r.blocks_committed,
        r.rounds
    );
    assert!(r.blocks_committed > 50);
}
