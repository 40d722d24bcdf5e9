//! Table-driven tests of the voting and timeout rules. Each step runs against the state left by
//! the steps before it, as a validator would live through them.

use super::*;
use tradeledger_types::{BlockHeader, Bytes, Hash32, VoteData, events_root};

const CHAIN: &str = "chain";

fn qc(round: u64) -> QuorumCertificate {
    QuorumCertificate {
        data: VoteData {
            chain_id: CHAIN.into(),
            block_hash: Hash32([round as u8; 32]),
            height: round,
            round,
        },
        signers: Bytes::default(),
        signatures: vec![],
    }
}

fn tc(round: u64, high_qc_rounds: &[u64]) -> TimeoutCertificate {
    TimeoutCertificate {
        chain_id: CHAIN.into(),
        round,
        signers: Bytes::default(),
        high_qc_rounds: high_qc_rounds.to_vec(),
        signatures: vec![],
    }
}

/// A block at `round` extending the QC of `qc_round`; `salt` tells apart blocks of one round.
fn block(round: u64, qc_round: u64, timeout_cert: Option<TimeoutCertificate>, salt: u64) -> Block {
    let justify = qc(qc_round);
    Block {
        header: BlockHeader {
            chain_id: CHAIN.into(),
            height: justify.data.height + 1,
            round,
            parent_hash: justify.data.block_hash,
            proposer: SecretKey::from_seed([2; 32]).public(),
            block_time_ms: salt,
            events_root: events_root(&[]),
            event_count: 0,
            state_root: Hash32::ZERO,
            results_root: Hash32::ZERO,
        },
        justify,
        timeout_cert,
        events: vec![],
    }
}

#[allow(clippy::large_enum_variant)]
enum Act {
    Vote(Block),
    Timeout {
        round: u64,
        qc_round: u64,
        tc: Option<TimeoutCertificate>,
    },
}

#[derive(Debug, PartialEq)]
enum Exp {
    /// Signed, with new safety data to persist.
    Signed,
    /// The stored message again, nothing to persist.
    Resent,
    /// Refused, by the rule whose name the error starts with.
    Refused(&'static str),
}

struct Step {
    desc: &'static str,
    act: Act,
    expected: Exp,
}

fn run(steps: Vec<Step>) {
    let mut rules = SafetyRules::new(
        SecretKey::from_seed([1; 32]),
        CHAIN.into(),
        SafetyData::default(),
    );
    for s in steps {
        let got = match s.act {
            Act::Vote(b) => rules.vote(&b).map(|v| v.persist.is_some()),
            Act::Timeout {
                round,
                qc_round,
                tc,
            } => rules
                .timeout(round, &qc(qc_round), tc.as_ref())
                .map(|t| t.persist.is_some()),
        };
        let got = match got {
            Ok(true) => Exp::Signed,
            Ok(false) => Exp::Resent,
            Err(e) => {
                let text = e.to_string();
                let rule = [
                    "vote rule 1",
                    "vote rule 2",
                    "vote rule 3",
                    "vote rule 4",
                    "timeout rule 1",
                    "timeout rule 2",
                    "timeout rule 3",
                ]
                .into_iter()
                .find(|r| text.starts_with(r))
                .unwrap_or("other");
                Exp::Refused(rule)
            }
        };
        assert_eq!(got, s.expected, "{}", s.desc);
    }
}

#[test]
fn vote_rules() {
    use Act::*;
    run(vec![
        Step {
            desc: "rule 3: round 1 extends the genesis QC (round 0)",
            act: Vote(block(1, 0, None, 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "rule 1: the same block again returns the stored vote",
            act: Vote(block(1, 0, None, 0)),
            expected: Exp::Resent,
        },
        Step {
            desc: "rule 1: another block in round 1 is refused",
            act: Vote(block(1, 0, None, 1)),
            expected: Exp::Refused("vote rule 1"),
        },
        Step {
            desc: "rule 3: round 2 on QC 1",
            act: Vote(block(2, 1, None, 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "rule 2: an older round is refused",
            act: Vote(block(1, 0, None, 7)),
            expected: Exp::Refused("vote rule 2"),
        },
        Step {
            desc: "rule 3: round 4 on QC 2 without a TC skips round 3",
            act: Vote(block(4, 2, None, 0)),
            expected: Exp::Refused("vote rule 3"),
        },
        Step {
            desc: "rule 3: TC of round 3 whose highest QC is 2 allows round 4 on QC 2",
            act: Vote(block(4, 2, Some(tc(3, &[1, 2, 2])), 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "rule 3: TC whose highest QC (6) is above the block's QC (5) is refused",
            act: Vote(block(8, 5, Some(tc(7, &[6, 5, 4])), 0)),
            expected: Exp::Refused("vote rule 3"),
        },
        Step {
            desc: "rule 3: a TC for an earlier round does not justify the block",
            act: Vote(block(9, 5, Some(tc(6, &[5])), 0)),
            expected: Exp::Refused("vote rule 3"),
        },
        Step {
            desc: "rule 3: TC round 9, QC 6 at least its highest (6)",
            act: Vote(block(10, 6, Some(tc(9, &[6, 3])), 0)),
            expected: Exp::Signed,
        },
    ]);
}

#[test]
fn vote_rule_4_justify_must_certify_the_parent() {
    let mut b = block(1, 0, None, 0);
    b.header.parent_hash = Hash32([0xEE; 32]);
    run(vec![Step {
        desc: "rule 4: parent hash differs from the QC's block",
        act: Act::Vote(b),
        expected: Exp::Refused("vote rule 4"),
    }]);
    let mut b = block(1, 0, None, 0);
    b.header.height += 1;
    run(vec![Step {
        desc: "rule 4: height is not the QC's + 1",
        act: Act::Vote(b),
        expected: Exp::Refused("vote rule 4"),
    }]);
}

#[test]
fn timeout_rules() {
    use Act::*;
    run(vec![
        Step {
            desc: "timeout rule 2: round 1 entered by the genesis QC",
            act: Timeout {
                round: 1,
                qc_round: 0,
                tc: None,
            },
            expected: Exp::Signed,
        },
        Step {
            desc: "timeout rule 1: the same round re-sends the stored timeout",
            act: Timeout {
                round: 1,
                qc_round: 0,
                tc: None,
            },
            expected: Exp::Resent,
        },
        Step {
            desc: "rule 2: a timeout ends voting in its round",
            act: Vote(block(1, 0, None, 0)),
            expected: Exp::Refused("vote rule 2"),
        },
        Step {
            desc: "timeout rule 2: round 2 entered by TC 1",
            act: Timeout {
                round: 2,
                qc_round: 0,
                tc: Some(tc(1, &[0])),
            },
            expected: Exp::Signed,
        },
        Step {
            desc: "timeout rule 2: round 5 is entered by neither QC 0 nor TC 2",
            act: Timeout {
                round: 5,
                qc_round: 0,
                tc: Some(tc(2, &[0])),
            },
            expected: Exp::Refused("timeout rule 2"),
        },
        Step {
            desc: "vote rule 3: round 3 on QC 0 via TC 2 whose highest QC is 0",
            act: Vote(block(3, 0, Some(tc(2, &[0])), 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "vote round 4 on QC 3: lock becomes 3",
            act: Vote(block(4, 3, None, 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "timeout rule 1: round 3 is before the last vote (4)",
            act: Timeout {
                round: 3,
                qc_round: 2,
                tc: None,
            },
            expected: Exp::Refused("timeout rule 1"),
        },
        Step {
            desc: "timeout rule 3: high QC 2 below the lock 3",
            act: Timeout {
                round: 5,
                qc_round: 2,
                tc: Some(tc(4, &[2])),
            },
            expected: Exp::Refused("timeout rule 3"),
        },
        Step {
            desc: "timeout rule 3: high QC 4 at or above the lock",
            act: Timeout {
                round: 5,
                qc_round: 4,
                tc: None,
            },
            expected: Exp::Signed,
        },
        Step {
            desc: "a timeout after voting in the same round is allowed",
            act: Vote(block(6, 5, None, 0)),
            expected: Exp::Signed,
        },
        Step {
            desc: "timeout rule 1: round 6 equals the last vote round",
            act: Timeout {
                round: 6,
                qc_round: 5,
                tc: None,
            },
            expected: Exp::Signed,
        },
    ]);
}

#[test]
fn persisted_data_restores_the_rules_after_a_restart() {
    let key = SecretKey::from_seed([1; 32]);
    let mut rules = SafetyRules::new(key.clone(), CHAIN.into(), SafetyData::default());
    let first = rules
        .vote(&block(1, 0, None, 0))
        .expect("vote rule 3 allows round 1");
    let persisted = first.persist.expect("a new vote changes the safety data");
    let bytes = persisted.to_bytes();
    // Restart from the persisted bytes: the other block of round 1 is still refused, the same
    // block gets the very same vote back.
    let mut restarted = SafetyRules::new(
        key,
        CHAIN.into(),
        SafetyData::decode(&bytes).expect("round trip"),
    );
    assert!(matches!(
        restarted.vote(&block(1, 0, None, 9)),
        Err(SafetyError::AlreadyVotedInRound { round: 1 })
    ));
    let again = restarted
        .vote(&block(1, 0, None, 0))
        .expect("rule 1 re-sends");
    assert_eq!(again.message, first.message);
    assert!(again.persist.is_none());
}

#[test]
fn wrong_chain_is_refused_and_round_overflow_is_an_error() {
    let mut rules = SafetyRules::new(
        SecretKey::from_seed([1; 32]),
        "other".into(),
        SafetyData::default(),
    );
    assert!(matches!(
        rules.vote(&block(1, 0, None, 0)),
        Err(SafetyError::WrongChain { .. })
    ));
    assert!(matches!(
        safe_to_extend(5, u64::MAX, None),
        Err(SafetyError::RoundOverflow)
    ));
}

#[test]
fn the_broken_variant_votes_twice() {
    let mut rules = SafetyRules::new(
        SecretKey::from_seed([1; 32]),
        CHAIN.into(),
        SafetyData::default(),
    );
    rules.break_rule(BrokenRule::VoteTwice);
    assert!(rules.vote(&block(1, 0, None, 0)).is_ok());
    assert!(
        rules.vote(&block(1, 0, None, 1)).is_ok(),
        "the broken rule must allow a second vote"
    );
}
