//! The checkers must bite: honest validators with a broken safety rule are caught.

use super::*;
use crate::safety_rules::BrokenRule;

/// The first seed in `seeds` whose run reports a safety violation.
fn first_violation(
    seeds: std::ops::Range<u64>,
    validators: usize,
    byzantine: usize,
    behaviour: Behaviour,
) -> Option<SimReport> {
    seeds
        .map(|seed| {
            let mut cfg = SimConfig::new(seed, validators, byzantine);
            cfg.behaviours = vec![behaviour];
            cfg.broken = Some(BrokenRule::VoteTwice);
            run(&cfg)
        })
        .find(|r| !r.violations.is_empty())
        .inspect(|r| eprintln!("seed {} with {behaviour:?}: {}", r.seed, r.violations[0]))
}

#[test]
fn voting_twice_in_a_round_is_caught_with_an_equivocating_leader() {
    // The first seed that shows it is 367 (a search of 0..3000 after the sync change of
    // session 10 found 367, 550, 574, …); the range starts near it to keep CI fast.
    let report = first_violation(340..440, 4, 1, Behaviour::Equivocate)
        .expect("the checkers must catch double voting");
    // The same seed with correct safety rules is clean: the violation is the broken rule's.
    let mut cfg = SimConfig::new(report.seed, 4, 1);
    cfg.behaviours = vec![Behaviour::Equivocate];
    assert!(
        run(&cfg).violations.is_empty(),
        "seed {} fails even with correct rules",
        report.seed
    );
}

#[test]
fn voting_twice_in_a_round_is_caught_with_twins() {
    first_violation(0..50, 4, 1, Behaviour::Twins).expect("the checkers must catch double voting");
}

#[test]
fn a_run_replays_exactly_from_its_seed() {
    let cfg = SimConfig::new(7, 4, 1);
    let (a, b) = (run(&cfg), run(&cfg));
    assert_eq!(
        (
            a.blocks_committed,
            a.rounds,
            a.messages_delivered,
            a.inputs_processed,
            a.faults,
            a.sim_time_ms
        ),
        (
            b.blocks_committed,
            b.rounds,
            b.messages_delivered,
            b.inputs_processed,
            b.faults,
            b.sim_time_ms
        )
    );
}

#[test]
fn voting_twice_leads_honest_validators_to_commit_conflicting_blocks() {
    // Without the global observer, the per-validator agreement checker must see the fork. Most
    // broken runs only produce conflicting commit certificates (caught above); the first seed
    // in which honest validators go on to commit different blocks is 214 (then 265, 372; since
    // sync asks one peer at a time), so the search starts near it to keep CI fast (all of
    // 0..1000 takes about a minute).
    let found = (200..300).find_map(|seed| {
        let mut cfg = SimConfig::new(seed, 4, 1);
        cfg.behaviours = vec![Behaviour::Twins, Behaviour::Equivocate];
        cfg.broken = Some(BrokenRule::VoteTwice);
        cfg.ghost = false;
        let r = run(&cfg);
        r.violations
            .into_iter()
            .map(|v| (seed, v))
            .find(|(_, v)| matches!(v, Violation::ConflictingCommits { .. }))
    });
    eprintln!("first honest fork: {found:?}");
    assert!(
        found.is_some(),
        "no honest fork found with a broken safety rule"
    );
}
