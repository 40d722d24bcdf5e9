//! Network partitions on four real `tradeledger` processes, cut with the admin peer filter
//! (the mechanism behind `tradeledger-testnet fault partition|heal`, here per link so the
//! network can also be split 2/2):
//! 1. one validator isolated: the other three keep committing; healed, it catches up;
//! 2. the current round's leader isolated (found from `/v1/status` round and the leader
//!    schedule): the round fails, the other three commit again within a bounded number of
//!    rounds;
//! 3. a 2/2 split: no side has a quorum, so no node commits and none diverges; healed,
//!    commits resume within a bounded number of rounds.
//!
//! Rounds are counted on the nodes' own round counters (`/v1/status`); wall-clock waits only
//! bound how long the test waits, they are not what it asserts.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;
use support::{Cluster, http, wait_for};
use tradeledger_consensus::LeaderSchedule;
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::Payload;

const WAIT: Duration = Duration::from_secs(60);
/// The most rounds commits may take to resume after a fault or a heal. A commit needs three
/// consecutive rounds led by connected validators (a block, its child, and the leader that
/// certifies the child); with one of four validators cut off, a run of 3 in 30 rounds is
/// missing with probability far below 1e-6 under the schedule's uniform leader choice.
const RESUME_ROUNDS_MAX: u64 = 30;
/// Time a split is held while checking that nothing commits: several base round timeouts.
const SPLIT_HOLD: Duration = Duration::from_secs(4);

/// Cuts (`blocked`) or restores the link between nodes `a` and `b`, at both ends.
fn link(c: &Cluster, a: usize, b: usize, blocked: bool) {
    let path = if blocked {
        "/admin/peers/block"
    } else {
        "/admin/peers/unblock"
    };
    for (at, peer) in [(a, b), (b, a)] {
        let body = serde_json::json!({ "peers": [c.nodes[peer].peer_id] });
        let r = http::post_json(c.nodes[at].api, path, &body).expect("admin API answers");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
}

/// Cuts or restores every link between the two groups.
fn split(c: &Cluster, left: &[usize], right: &[usize], blocked: bool) {
    for &a in left {
        for &b in right {
            link(c, a, b, blocked);
        }
    }
}

/// (height, round) of node `i`, if it answers.
fn status(c: &Cluster, i: usize) -> Option<(u64, u64)> {
    let s = http::get(c.nodes[i].api, "/v1/status")?.json();
    Some((s["height"].as_u64()?, s["round"].as_u64()?))
}

fn max_round(c: &Cluster, nodes: &[usize]) -> u64 {
    nodes
        .iter()
        .filter_map(|&i| status(c, i).map(|(_, r)| r))
        .max()
        .expect("a node answers")
}

fn height(c: &Cluster, i: usize) -> u64 {
    status(c, i).expect("node answers").0
}

/// Waits until one of `nodes` commits above `above`; returns the rounds elapsed on the
/// nodes' counters (the highest round any node then reports, minus `from_round`).
fn rounds_to_commit(c: &Cluster, nodes: &[usize], above: u64, from_round: u64) -> u64 {
    wait_for(
        &format!("a commit above {above} on {nodes:?}"),
        WAIT,
        || {
            let s: Vec<Option<(u64, u64)>> = (0..c.nodes.len()).map(|i| status(c, i)).collect();
            nodes
                .iter()
                .any(|&i| s[i].is_some_and(|(h, _)| h > above))
                .then(|| s.iter().flatten().map(|(_, r)| *r).max().unwrap_or(0))
        },
    )
    .saturating_sub(from_round)
}

/// Submits a declaration to node `at` and waits until nodes `on` commit it.
fn commit_event(c: &Cluster, exporter: &mut Actor, name: &str, at: usize, on: &[usize]) {
    let e = exporter.sign(Payload::ShipmentDeclaration(testkit::declaration(name)));
    let id = c.submit(at, &e);
    for &i in on {
        c.wait_committed(i, &id, WAIT);
    }
}

/// Every node's blocks agree at every height two of them hold.
fn assert_no_divergence(c: &Cluster) {
    let heights: Vec<u64> = (0..c.nodes.len()).map(|i| height(c, i)).collect();
    let top = heights.iter().copied().max().unwrap_or(0);
    for h in 1..=top {
        let copies: BTreeSet<Vec<u8>> = (0..c.nodes.len())
            .filter(|&i| heights[i] >= h)
            .filter_map(|i| c.block_cbor(i, h))
            .collect();
        assert!(
            copies.len() <= 1,
            "nodes hold different blocks at height {h}"
        );
    }
}

#[test]
fn partitions_stop_no_honest_majority_and_heal_within_bounded_rounds() {
    let mut c = Cluster::init(4);
    c.start_all();
    for i in 0..4 {
        c.wait_height(i, 2, WAIT);
    }
    let all = [0, 1, 2, 3];
    let mut exporter = Actor::new(testkit::EXPORTER);
    let mut figures = Vec::new();

    // 1. One validator isolated: the other three keep committing.
    let lone = 3;
    let rest = [0, 1, 2];
    split(&c, &[lone], &rest, true);
    let (h, r) = (height(&c, 0), max_round(&c, &rest));
    let rounds = rounds_to_commit(&c, &rest, h, r);
    figures.push((
        "one validator isolated: first commit of the other three",
        rounds,
    ));
    commit_event(&c, &mut exporter, "PART-1", 0, &rest);
    let (stale, r) = (height(&c, lone), max_round(&c, &all));
    split(&c, &[lone], &rest, false);
    let rounds = rounds_to_commit(&c, &[lone], stale, r);
    figures.push(("isolated validator healed: its first commit (sync)", rounds));
    c.wait_height(lone, height(&c, 0), WAIT);
    assert_no_divergence(&c);

    // 2. The current leader isolated.
    let set = c.genesis.validator_set().expect("validator set");
    let schedule = LeaderSchedule::new(&c.genesis.chain_id, &set);
    let round = status(&c, 0).expect("node 0 answers").1;
    let leader_key = schedule.leader(round);
    let leader = set.index_of(&leader_key).expect("leader is a validator");
    let others: Vec<usize> = all.iter().copied().filter(|&i| i != leader).collect();
    split(&c, &[leader], &others, true);
    let (h, r) = (height(&c, others[0]), max_round(&c, &others));
    let rounds = rounds_to_commit(&c, &others, h, r);
    figures.push(("leader of the current round isolated: first commit", rounds));
    commit_event(&c, &mut exporter, "PART-2", others[0], &others);
    split(&c, &[leader], &others, false);
    let target = height(&c, others[0]);
    c.wait_height(leader, target, WAIT);
    assert_no_divergence(&c);

    // 3. Split 2/2: no quorum on either side.
    let (left, right) = ([0, 1], [2, 3]);
    split(&c, &left, &right, true);
    // Blocks certified before the cut may still commit; after that nothing can.
    std::thread::sleep(SPLIT_HOLD);
    let frozen: Vec<u64> = all.iter().map(|&i| height(&c, i)).collect();
    let round_frozen = max_round(&c, &all);
    let e = exporter.sign(Payload::ShipmentDeclaration(testkit::declaration("PART-3")));
    let stuck = c.submit(0, &e);
    std::thread::sleep(SPLIT_HOLD);
    let later: Vec<u64> = all.iter().map(|&i| height(&c, i)).collect();
    assert_eq!(frozen, later, "a node committed without a quorum");
    // Without a quorum of timeouts no TC forms either: the rounds stand still.
    figures.push((
        "2/2 split held: rounds advanced (no TC without a quorum)",
        max_round(&c, &all).saturating_sub(round_frozen),
    ));
    assert_no_divergence(&c);
    let (h, r) = (
        frozen.iter().copied().max().unwrap_or(0),
        max_round(&c, &all),
    );
    split(&c, &left, &right, false);
    let rounds = rounds_to_commit(&c, &all, h, r);
    figures.push(("2/2 split healed: first commit", rounds));
    for i in all {
        c.wait_committed(i, &stuck, WAIT);
    }
    commit_event(&c, &mut exporter, "PART-4", 2, &all);
    assert_no_divergence(&c);

    println!("rounds to resume (on the nodes' round counters):");
    for (what, rounds) in &figures {
        println!("  {what:<58} {rounds}");
    }
    for (what, rounds) in &figures {
        assert!(
            *rounds <= RESUME_ROUNDS_MAX,
            "{what}: {rounds} rounds (bound {RESUME_ROUNDS_MAX})"
        );
    }
    for i in all {
        c.stop(i);
    }
}
