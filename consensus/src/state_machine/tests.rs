//! Unit tests of the state machine: each drives one core with hand-made messages signed by
//! real keys, and checks the effects and the drop counters.

use super::sync::fit_sync_answer;
use super::*;
use crate::message::{SyncRequest, SyncResponse, TimeoutMessage};
use tradeledger_types::{
    BlockHeader, ConsensusParams, Timeout, TimeoutData, ValidatorInfo, Vote, VoteData, codec,
    events_root,
};

const CHAIN: &str = "test-chain";
const GENESIS_TIME: u64 = 1_000_000;

struct Net {
    keys: Vec<SecretKey>,
    cfg: ConsensusConfig,
}

fn net() -> Net {
    let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect();
    let infos = keys
        .iter()
        .enumerate()
        .map(|(i, k)| ValidatorInfo {
            name: format!("v{i}"),
            org: "org".into(),
            consensus_key: k.public(),
            peer_id: format!("p{i}"),
            voting_power: 1,
        })
        .collect();
    let cfg = ConsensusConfig {
        chain_id: CHAIN.into(),
        validators: ValidatorSet::new(infos).expect("valid set"),
        params: ConsensusParams::default(),
        genesis_hash: Hash32([7; 32]),
        genesis_time_ms: GENESIS_TIME,
    };
    Net { keys, cfg }
}

impl Net {
    fn key(&self, pk: PublicKey) -> &SecretKey {
        self.keys
            .iter()
            .find(|k| k.public() == pk)
            .expect("a validator key")
    }

    fn leader(&self, round: u64) -> PublicKey {
        LeaderSchedule::new(CHAIN, &self.cfg.validators).leader(round)
    }

    /// A validator that does not lead `round` nor `round + 1`.
    fn follower(&self, round: u64) -> usize {
        (0..4)
            .find(|&i| {
                let pk = self.keys[i].public();
                pk != self.leader(round) && pk != self.leader(round + 1)
            })
            .expect("four validators")
    }

    fn core(&self, i: usize) -> Consensus {
        let mut c = Consensus::new(self.cfg.clone(), self.keys[i].clone(), Recovery::fresh())
            .expect("a validator");
        c.handle(Input::Start {
            now_ms: GENESIS_TIME + 10,
        });
        c
    }

    fn genesis_qc(&self) -> QuorumCertificate {
        self.cfg.genesis_qc()
    }

    /// A block at `round` on the block `justify` certifies, proposed by the round's leader.
    fn block(
        &self,
        round: u64,
        justify: &QuorumCertificate,
        tc: Option<TimeoutCertificate>,
        time: u64,
    ) -> Block {
        Block {
            header: BlockHeader {
                chain_id: CHAIN.into(),
                height: justify.data.height + 1,
                round,
                parent_hash: justify.data.block_hash,
                proposer: self.leader(round),
                block_time_ms: time,
                events_root: events_root(&[]),
                event_count: 0,
                state_root: Hash32::ZERO,
                results_root: Hash32::ZERO,
            },
            justify: justify.clone(),
            timeout_cert: tc,
            events: vec![],
        }
    }

    fn propose(&self, block: Block) -> ConsensusMessage {
        let key = self.key(block.header.proposer).clone();
        ConsensusMessage::Proposal(Box::new(Proposal::sign(block, &key)))
    }

    fn vote(&self, i: usize, block: &Block) -> Vote {
        let h = &block.header;
        Vote::sign(
            VoteData {
                chain_id: CHAIN.into(),
                block_hash: block.hash(),
                height: h.height,
                round: h.round,
            },
            &self.keys[i],
        )
    }

    fn qc(&self, block: &Block) -> QuorumCertificate {
        let votes: Vec<Vote> = (0..3).map(|i| self.vote(i, block)).collect();
        QuorumCertificate::from_votes(&self.cfg.validators, &votes)
    }

    fn timeout(&self, i: usize, round: u64, high_qc: &QuorumCertificate) -> ConsensusMessage {
        let t = Timeout::sign(
            TimeoutData {
                chain_id: CHAIN.into(),
                round,
                high_qc_round: high_qc.data.round,
            },
            high_qc.clone(),
            &self.keys[i],
        );
        ConsensusMessage::Timeout(Box::new(TimeoutMessage {
            timeout: t,
            last_tc: None,
        }))
    }

    fn from(&self, i: usize) -> PublicKey {
        self.keys[i].public()
    }
}

fn msg(from: PublicKey, msg: ConsensusMessage) -> Input {
    Input::Message { from, msg }
}

fn position(effects: &[Effect], f: impl Fn(&Effect) -> bool) -> Option<usize> {
    effects.iter().position(f)
}

fn is_vote_send(e: &Effect) -> bool {
    matches!(
        e,
        Effect::Send {
            msg: ConsensusMessage::Vote(_),
            ..
        }
    )
}

#[test]
fn start_arms_the_timer_and_the_leader_asks_for_a_payload() {
    let n = net();
    for i in 0..4 {
        let mut c = Consensus::new(n.cfg.clone(), n.keys[i].clone(), Recovery::fresh())
            .expect("a validator");
        let effects = c.handle(Input::Start {
            now_ms: GENESIS_TIME,
        });
        assert_eq!(
            effects[0],
            Effect::SetTimer {
                round: 1,
                duration_ms: 1_000
            }
        );
        let asks = effects.iter().any(|e| matches!(e, Effect::RequestPayload { round: 1, height: 1, parent_hash, .. } if *parent_hash == n.cfg.genesis_hash));
        assert_eq!(asks, n.leader(1) == n.from(i), "validator {i}");
    }
}

#[test]
fn the_leader_proposes_then_persists_before_its_vote_leaves() {
    let n = net();
    let i = (0..4).find(|&i| n.from(i) == n.leader(1) && n.leader(2) != n.from(i));
    let Some(i) = i else { return }; // this schedule: the same leader twice; covered by the simulator
    let mut c = n.core(i);
    let effects = c.handle(Input::Payload {
        round: 1,
        parent_hash: n.cfg.genesis_hash,
        events: vec![],
        state_root: Hash32([1; 32]),
        results_root: Hash32([2; 32]),
    });
    let proposal = position(&effects, |e| {
        matches!(e, Effect::Broadcast(ConsensusMessage::Proposal(_)))
    })
    .expect("proposes");
    let persist = position(&effects, |e| matches!(e, Effect::PersistSafety(_))).expect("persists");
    let vote = position(&effects, is_vote_send).expect("votes");
    assert!(proposal < persist && persist < vote, "{effects:?}");
    let Effect::Broadcast(ConsensusMessage::Proposal(p)) = &effects[proposal] else {
        unreachable!()
    };
    assert_eq!(p.block.header.state_root, Hash32([1; 32]));
    assert!(p.block.header.block_time_ms >= GENESIS_TIME);
    // A second payload for the same round is ignored.
    assert!(
        c.handle(Input::Payload {
            round: 1,
            parent_hash: n.cfg.genesis_hash,
            events: vec![],
            state_root: Hash32::ZERO,
            results_root: Hash32::ZERO
        })
        .is_empty()
    );
}

#[test]
fn a_follower_votes_only_after_the_node_validates() {
    let n = net();
    let i = n.follower(1);
    let mut c = n.core(i);
    let b = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    let effects = c.handle(msg(n.leader(1), n.propose(b.clone())));
    assert_eq!(
        effects,
        vec![Effect::ValidateBlock {
            block: Box::new(b.clone()),
            ids: b.event_ids(),
        }]
    );
    let effects = c.handle(Input::BlockValidated {
        hash: b.hash(),
        valid: true,
    });
    let persist = position(&effects, |e| matches!(e, Effect::PersistSafety(_))).expect("persists");
    let vote = position(&effects, is_vote_send).expect("votes");
    assert!(persist < vote);
    // To every other validator (each aggregates QCs), so a crashed next leader loses nothing.
    let mut to: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                to,
                msg: ConsensusMessage::Vote(_),
            } => Some(*to),
            _ => None,
        })
        .collect();
    to.sort();
    let mut others: Vec<_> = (0..4).filter(|k| *k != i).map(|k| n.from(k)).collect();
    others.sort();
    assert_eq!(to, others);
    // The proposal again (the vote may have been lost): the same vote, nothing to persist.
    let again = c.handle(msg(n.leader(1), n.propose(b)));
    assert!(
        again.iter().any(is_vote_send)
            && !again.iter().any(|e| matches!(e, Effect::PersistSafety(_)))
    );
    // The proposal, and our own vote counted again.
    assert_eq!(c.drops().get(DropReason::Duplicate), 2);
}

#[test]
fn an_invalid_block_gets_no_vote() {
    let n = net();
    let mut c = n.core(n.follower(1));
    let b = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    c.handle(msg(n.leader(1), n.propose(b.clone())));
    assert!(
        c.handle(Input::BlockValidated {
            hash: b.hash(),
            valid: false
        })
        .is_empty()
    );
    assert_eq!(c.drops().get(DropReason::InvalidBlock), 1);
}

#[test]
fn invalid_messages_are_dropped_by_reason_before_touching_state() {
    let n = net();
    let i = n.follower(1);
    let good = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    let outsider = SecretKey::from_seed([99; 32]);
    type Case<'a> = (&'static str, Box<dyn Fn() -> Input + 'a>, DropReason);
    let cases: Vec<Case> = vec![
        (
            "message from a peer outside the set",
            Box::new(|| msg(outsider.public(), n.propose(good.clone()))),
            DropReason::UnknownPeer,
        ),
        (
            "proposal for another chain",
            Box::new(|| {
                let mut b = good.clone();
                b.header.chain_id = "other".into();
                msg(n.from(0), n.propose(b))
            }),
            DropReason::WrongChain,
        ),
        (
            "proposal by a validator that does not lead the round",
            Box::new(|| {
                let mut b = good.clone();
                b.header.proposer = (0..4)
                    .map(|j| n.from(j))
                    .find(|k| *k != n.leader(1))
                    .expect("another");
                msg(n.from(0), n.propose(b))
            }),
            DropReason::NotLeader,
        ),
        (
            "proposal with a signature over another block",
            Box::new(|| {
                let ConsensusMessage::Proposal(mut p) = n.propose(good.clone()) else {
                    unreachable!()
                };
                p.block.header.block_time_ms += 1;
                msg(n.from(0), ConsensusMessage::Proposal(p))
            }),
            DropReason::BadSignature,
        ),
        (
            "QC with a forged signature",
            Box::new(|| {
                let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
                let mut qc = n.qc(&b1);
                qc.signatures[0] = qc.signatures[1];
                msg(
                    n.from(0),
                    n.propose(n.block(2, &qc, None, GENESIS_TIME + 6)),
                )
            }),
            DropReason::BadQuorumCertificate,
        ),
        (
            "QC below quorum",
            Box::new(|| {
                let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
                let qc = QuorumCertificate::from_votes(
                    &n.cfg.validators,
                    &[n.vote(0, &b1), n.vote(1, &b1)],
                );
                msg(
                    n.from(0),
                    n.propose(n.block(2, &qc, None, GENESIS_TIME + 6)),
                )
            }),
            DropReason::BadQuorumCertificate,
        ),
        (
            "block time beyond the allowed drift",
            Box::new(|| {
                msg(
                    n.from(0),
                    n.propose(n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 10 + 2_001)),
                )
            }),
            DropReason::BlockTimeTooFarAhead,
        ),
        (
            "block time before the parent's",
            Box::new(|| {
                msg(
                    n.from(0),
                    n.propose(n.block(1, &n.genesis_qc(), None, GENESIS_TIME - 1)),
                )
            }),
            DropReason::BlockTimeBeforeParent,
        ),
        (
            "event count that does not match the events",
            Box::new(|| {
                let mut b = good.clone();
                b.header.event_count = 1;
                msg(n.from(0), n.propose(b))
            }),
            DropReason::EventsMismatch,
        ),
        (
            "header whose QC is not its parent's",
            Box::new(|| {
                let mut b = good.clone();
                b.header.parent_hash = Hash32([5; 32]);
                msg(n.from(0), n.propose(b))
            }),
            DropReason::MalformedBlock,
        ),
        (
            "proposal for a round its certificates do not reach",
            Box::new(|| {
                msg(
                    n.from(0),
                    n.propose(n.block(5, &n.genesis_qc(), None, GENESIS_TIME + 5)),
                )
            }),
            DropReason::FutureRound,
        ),
        (
            "timeout whose QC round differs from the signed one",
            Box::new(|| {
                let ConsensusMessage::Timeout(mut t) = n.timeout(0, 1, &n.genesis_qc()) else {
                    unreachable!()
                };
                t.timeout.data.high_qc_round = 1;
                msg(n.from(0), ConsensusMessage::Timeout(t))
            }),
            DropReason::MalformedTimeout,
        ),
        (
            "timeout with a bad signature",
            Box::new(|| {
                let ConsensusMessage::Timeout(mut t) = n.timeout(0, 1, &n.genesis_qc()) else {
                    unreachable!()
                };
                t.timeout.signer = n.from(1);
                msg(n.from(0), ConsensusMessage::Timeout(t))
            }),
            DropReason::BadSignature,
        ),
        (
            "sync response that does not chain",
            Box::new(|| {
                let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
                let b3 = n.block(3, &n.qc(&b1), None, GENESIS_TIME + 5);
                msg(
                    n.from(0),
                    ConsensusMessage::SyncResponse(Box::new(SyncResponse {
                        blocks: vec![b3],
                        qc: Some(n.qc(&b1)),
                    })),
                )
            }),
            DropReason::BadSyncResponse,
        ),
    ];
    for (desc, input, reason) in cases {
        // Every case goes to the same follower.
        let mut c = n.core(i);
        let before = (c.round(), c.high_qc().clone(), c.safety_data().clone());
        let effects = c.handle(input());
        assert_eq!(c.drops().get(reason), 1, "{desc}: {:?}", c.drops());
        assert!(
            effects.iter().all(|e| !matches!(
                e,
                Effect::PersistSafety(_) | Effect::Send { .. } | Effect::Broadcast(_)
            )),
            "{desc}"
        );
        assert_eq!(
            before,
            (c.round(), c.high_qc().clone(), c.safety_data().clone()),
            "{desc}: state changed"
        );
    }
}

#[test]
fn the_two_chain_rule_commits_the_parent_of_a_consecutive_certified_child() {
    let n = net();
    let i = n.follower(3);
    let mut c = n.core(i);
    let t = GENESIS_TIME + 5;
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let b2 = n.block(2, &n.qc(&b1), None, t);
    let b3 = n.block(3, &n.qc(&b2), None, t);
    for b in [&b1, &b2] {
        let fx = c.handle(msg(n.leader(b.header.round), n.propose(b.clone())));
        assert!(!fx.iter().any(|e| matches!(e, Effect::Commit(_))));
        c.handle(Input::BlockValidated {
            hash: b.hash(),
            valid: true,
        });
    }
    // b3 carries QC(b2); b2.round == b1.round + 1, so b1 is final, certified by b2.justify.
    let fx = c.handle(msg(n.leader(3), n.propose(b3.clone())));
    let commit = fx
        .iter()
        .find_map(|e| {
            if let Effect::Commit(c) = e {
                Some(c.clone())
            } else {
                None
            }
        })
        .expect("commits b1");
    assert_eq!(commit.blocks, vec![b1.clone()]);
    assert_eq!(commit.certificate, b2.justify);
    assert_eq!(commit.certified_blocks()[0].qc, n.qc(&b1));
    assert_eq!(
        (c.committed_height(), c.committed_hash(), c.round()),
        (1, b1.hash(), 3)
    );
}

#[test]
fn a_gap_in_rounds_does_not_commit() {
    let n = net();
    let mut c = n.core(n.follower(4));
    let t = GENESIS_TIME + 5;
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let tc2 = tc_for(&n, 2, &n.qc(&b1));
    let b3 = n.block(3, &n.qc(&b1), Some(tc2), t);
    let b4 = n.block(4, &n.qc(&b3), None, t);
    for b in [&b1, &b3] {
        c.handle(msg(n.leader(b.header.round), n.propose(b.clone())));
        c.handle(Input::BlockValidated {
            hash: b.hash(),
            valid: true,
        });
    }
    // QC(b3) certifies b3 whose parent b1 is two rounds earlier: nothing is final.
    let fx = c.handle(msg(n.leader(4), n.propose(b4)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Commit(_))));
    assert_eq!(c.round(), 4);
}

fn tc_for(n: &Net, round: u64, high_qc: &QuorumCertificate) -> TimeoutCertificate {
    let timeouts: Vec<Timeout> = (0..3)
        .map(|i| {
            Timeout::sign(
                TimeoutData {
                    chain_id: CHAIN.into(),
                    round,
                    high_qc_round: high_qc.data.round,
                },
                high_qc.clone(),
                &n.keys[i],
            )
        })
        .collect();
    TimeoutCertificate::from_timeouts(&n.cfg.validators, &timeouts)
}

#[test]
fn timeouts_persist_first_form_a_tc_and_grow_the_next_timer() {
    let n = net();
    let i = n.follower(1);
    let mut c = n.core(i);
    assert!(
        c.handle(Input::Timeout { round: 7 }).is_empty(),
        "a timer of another round is ignored"
    );
    let fx = c.handle(Input::Timeout { round: 1 });
    let persist = position(&fx, |e| matches!(e, Effect::PersistSafety(_))).expect("persists");
    let bcast = position(&fx, |e| {
        matches!(e, Effect::Broadcast(ConsensusMessage::Timeout(_)))
    })
    .expect("broadcasts");
    assert!(persist < bcast);
    assert!(
        fx.contains(&Effect::SetTimer {
            round: 1,
            duration_ms: 1_000
        }),
        "re-armed"
    );
    // The timer again: the same timeout is re-sent without persisting.
    let again = c.handle(Input::Timeout { round: 1 });
    assert!(!again.iter().any(|e| matches!(e, Effect::PersistSafety(_))));
    // Two more validators time out: with ours that is quorum, a TC, round 2, timer ×1.5.
    let others: Vec<usize> = (0..4).filter(|&j| j != i).take(2).collect();
    c.handle(msg(
        n.from(others[0]),
        n.timeout(others[0], 1, &n.genesis_qc()),
    ));
    let fx = c.handle(msg(
        n.from(others[1]),
        n.timeout(others[1], 1, &n.genesis_qc()),
    ));
    assert_eq!(c.round(), 2);
    assert!(
        fx.contains(&Effect::SetTimer {
            round: 2,
            duration_ms: 1_500
        }),
        "{fx:?}"
    );
}

#[test]
fn f_plus_one_timeouts_make_a_validator_join_before_its_timer() {
    let n = net();
    let i = n.follower(1);
    let mut c = n.core(i);
    let others: Vec<usize> = (0..4).filter(|&j| j != i).take(2).collect();
    let fx = c.handle(msg(
        n.from(others[0]),
        n.timeout(others[0], 1, &n.genesis_qc()),
    ));
    assert!(
        fx.is_empty(),
        "one timeout (power 1 < f + 1 = 2) is not enough"
    );
    let fx = c.handle(msg(
        n.from(others[1]),
        n.timeout(others[1], 1, &n.genesis_qc()),
    ));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Broadcast(ConsensusMessage::Timeout(_)))),
        "{fx:?}"
    );
    assert_eq!(c.round(), 2, "its own timeout completed the TC");
}

#[test]
fn votes_form_a_qc_at_the_next_leader_which_then_proposes() {
    let n = net();
    let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    let leader2 = (0..4)
        .find(|&j| n.from(j) == n.leader(2))
        .expect("a leader");
    let mut c = n.core(leader2);
    c.handle(msg(n.leader(1), n.propose(b1.clone())));
    c.handle(Input::BlockValidated {
        hash: b1.hash(),
        valid: true,
    });
    let voters: Vec<usize> = (0..4).filter(|&j| j != leader2).collect();
    let mut asked = false;
    for &j in &voters {
        let fx = c.handle(msg(n.from(j), ConsensusMessage::Vote(n.vote(j, &b1))));
        asked |= fx.iter().any(|e| {
            matches!(
                e,
                Effect::RequestPayload {
                    round: 2,
                    height: 2,
                    ..
                }
            )
        });
    }
    assert!(
        asked,
        "a QC on b1 makes the round-2 leader ask for a payload"
    );
    assert_eq!(c.high_qc().data.block_hash, b1.hash());
    // A second, different vote from a voter who already voted is equivocation.
    let mut other = b1.clone();
    other.header.block_time_ms += 1;
    c.handle(msg(
        n.from(voters[0]),
        ConsensusMessage::Vote(n.vote(voters[0], &other)),
    ));
    assert_eq!(
        c.drops().get(DropReason::StaleRound) + c.drops().get(DropReason::Equivocation),
        1
    );
}

#[test]
fn a_vote_after_its_qc_formed_is_not_checked_but_a_different_late_vote_is() {
    let n = net();
    let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    let i = n.follower(1);
    let mut c = n.core(i);
    c.handle(msg(n.leader(1), n.propose(b1.clone())));
    c.handle(Input::BlockValidated {
        hash: b1.hash(),
        valid: true,
    });
    let others: Vec<usize> = (0..4).filter(|&j| j != i).collect();
    // Its own vote and two others form the QC.
    for &j in &others[..2] {
        c.handle(msg(n.from(j), ConsensusMessage::Vote(n.vote(j, &b1))));
    }
    assert_eq!(c.high_qc().data.block_hash, b1.hash(), "the QC formed");
    let last = others[2];
    // The last voter's vote for the certified block, with a broken signature: not checked.
    let mut late = n.vote(last, &b1);
    late.signature.0[0] ^= 1;
    c.handle(msg(n.from(last), ConsensusMessage::Vote(late)));
    assert_eq!(c.drops().total(), 0, "{:?}", c.drops());
    // A late vote for another block is checked: its broken signature is a counted drop.
    let mut other = b1.clone();
    other.header.block_time_ms += 1;
    let mut forged = n.vote(last, &other);
    forged.signature.0[0] ^= 1;
    c.handle(msg(n.from(last), ConsensusMessage::Vote(forged)));
    assert_eq!(
        c.drops().get(DropReason::BadSignature),
        1,
        "{:?}",
        c.drops()
    );
}

#[test]
fn a_restarted_validator_never_votes_twice_in_a_round() {
    let n = net();
    let i = n.follower(1);
    let mut c = n.core(i);
    let b = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    c.handle(msg(n.leader(1), n.propose(b.clone())));
    let fx = c.handle(Input::BlockValidated {
        hash: b.hash(),
        valid: true,
    });
    let Some(Effect::PersistSafety(saved)) = fx
        .iter()
        .find(|e| matches!(e, Effect::PersistSafety(_)))
        .cloned()
    else {
        panic!("persists")
    };
    let first_vote = fx.iter().find(|e| is_vote_send(e)).cloned().expect("votes");
    // Crash, restart with only the persisted data: an equivocating leader's other block for
    // round 1 gets no vote; the original block gets the identical vote back.
    let recovery = Recovery {
        safety: *saved,
        ..Recovery::fresh()
    };
    let mut r = Consensus::new(n.cfg.clone(), n.keys[i].clone(), recovery).expect("restarts");
    r.handle(Input::Start {
        now_ms: GENESIS_TIME + 20,
    });
    let mut other = b.clone();
    other.header.block_time_ms += 1;
    r.handle(msg(n.leader(1), n.propose(other.clone())));
    let fx = r.handle(Input::BlockValidated {
        hash: other.hash(),
        valid: true,
    });
    assert!(!fx.iter().any(is_vote_send), "{fx:?}");
    assert_eq!(r.safety_refusals(), 1);
    r.handle(msg(n.leader(1), n.propose(b.clone())));
    let fx = r.handle(Input::BlockValidated {
        hash: b.hash(),
        valid: true,
    });
    assert_eq!(fx.iter().find(|e| is_vote_send(e)), Some(&first_vote));
}

/// A follower of round 2 receives b2 (on QC(b1)) without b1, gets b1 by sync from the round's
/// leader, validates b2 and votes: returns b1, b2, the follower and the effects of its vote.
fn vote_for_b2_with_b1_synced(n: &Net, t: u64) -> (Block, Block, usize, Vec<Effect>) {
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let b2 = n.block(2, &n.qc(&b1), None, t);
    let i = n.follower(2);
    let mut c = n.core(i);
    c.handle(msg(n.leader(2), n.propose(b2.clone())));
    let resp = SyncResponse {
        blocks: vec![b1.clone()],
        qc: Some(n.qc(&b1)),
    };
    c.handle(msg(
        n.leader(2),
        ConsensusMessage::SyncResponse(Box::new(resp)),
    ));
    let fx = c.handle(Input::BlockValidated {
        hash: b2.hash(),
        valid: true,
    });
    (b1, b2, i, fx)
}

#[test]
fn a_validator_restarted_after_voting_can_time_out_in_its_round() {
    // Regression (simulator seed 7013): validators voted in round 2 on QC(1), then crashed, and
    // every copy of QC(1) was lost. Restarted at round 1 they could neither vote (rule 2) nor
    // time out (timeout rule 1: round 1 < last voted round 2): the chain stalled. The safety
    // data now keeps the QC of the last vote, so they restart in round 2 and time out there.
    let n = net();
    let t = GENESIS_TIME + 5;
    let (b1, _, i, fx) = vote_for_b2_with_b1_synced(&n, t);
    let Some(Effect::PersistSafety(saved)) = fx
        .iter()
        .find(|e| matches!(e, Effect::PersistSafety(_)))
        .cloned()
    else {
        panic!("votes for b2: {fx:?}")
    };
    assert_eq!(saved.last_vote_qc.as_ref(), Some(&n.qc(&b1)));
    let recovery = Recovery {
        safety: *saved,
        ..Recovery::fresh()
    };
    let mut r = Consensus::new(n.cfg.clone(), n.keys[i].clone(), recovery).expect("restarts");
    assert_eq!((r.round(), r.high_qc().data.round), (2, 1));
    r.handle(Input::Start { now_ms: t });
    let fx = r.handle(Input::Timeout { round: 2 });
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Broadcast(ConsensusMessage::Timeout(_)))),
        "{fx:?}"
    );
    assert_eq!(r.safety_refusals(), 0);
}

#[test]
fn a_vote_persists_its_blocks_and_a_restarted_validator_serves_them() {
    // Regression (testnet, then simulator seeds 228 and 347): every validator restarted at
    // once; one held QC(b1) in its safety data, so its timeouts (and the TC) carried it, but
    // no validator had stored b1 (only committed blocks were stored): no leader could extend
    // the TC's high QC and the chain stalled for good.
    let n = net();
    let t = GENESIS_TIME + 5;
    let (b1, b2, i, fx) = vote_for_b2_with_b1_synced(&n, t);
    let blocks = position(&fx, |e| matches!(e, Effect::PersistBlocks(_))).expect("blocks");
    let persist = position(&fx, |e| matches!(e, Effect::PersistSafety(_))).expect("persists");
    let vote = position(&fx, is_vote_send).expect("votes");
    assert!(blocks < persist && persist < vote, "{fx:?}");
    let Effect::PersistBlocks(stored) = fx[blocks].clone() else {
        unreachable!()
    };
    // The block voted for and its uncommitted ancestor, lowest first.
    assert_eq!(stored, vec![b1.clone(), b2.clone()]);
    let Effect::PersistSafety(saved) = fx[persist].clone() else {
        unreachable!()
    };
    // Restart with what was persisted (in any order).
    let recovery = Recovery {
        safety: *saved,
        committed: Vec::new(),
        uncommitted: vec![b2.clone(), b1.clone()],
    };
    let mut r = Consensus::new(n.cfg.clone(), n.keys[i].clone(), recovery).expect("restarts");
    r.handle(Input::Start { now_ms: t });
    let asker = (0..4).find(|&j| j != i).expect("another validator");
    let fx = r.handle(msg(
        n.from(asker),
        ConsensusMessage::SyncRequest(SyncRequest {
            committed_height: 0,
            target: b1.hash(),
        }),
    ));
    let served = fx.iter().find_map(|e| match e {
        Effect::Send {
            msg: ConsensusMessage::SyncResponse(resp),
            ..
        } => Some(resp.blocks.clone()),
        _ => None,
    });
    assert_eq!(served, Some(vec![b1.clone()]), "{fx:?}");
    // A vote for a child of b2 stores only the new block.
    let b3 = n.block(3, &n.qc(&b2), None, t);
    r.handle(msg(n.leader(3), n.propose(b3.clone())));
    let fx = r.handle(Input::BlockValidated {
        hash: b3.hash(),
        valid: true,
    });
    assert!(fx.contains(&Effect::PersistBlocks(vec![b3])), "{fx:?}");
}

/// The sync requests among `effects`: (peer asked, block asked for).
fn sync_requests(effects: &[Effect]) -> Vec<(PublicKey, Hash32)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::RequestSync { from, request } => Some((*from, request.target)),
            _ => None,
        })
        .collect()
}

/// `peer` holds blocks proposed and validated in order (so it certifies each one's parent).
fn feed_blocks(n: &Net, peer: &mut Consensus, blocks: &[&Block]) {
    for b in blocks {
        peer.handle(msg(n.leader(b.header.round), n.propose((*b).clone())));
        peer.handle(Input::BlockValidated {
            hash: b.hash(),
            valid: true,
        });
    }
}

#[test]
fn a_missing_block_is_asked_of_one_signer_at_a_time() {
    // After a restart the sender of a timeout may hold a QC (in its safety data) without its
    // block; a validator that signed the QC stored the block.
    let n = net();
    let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
    let qc1 = n.qc(&b1); // signed by validators 0, 1 and 2
    let b2 = n.block(2, &qc1, None, GENESIS_TIME + 6);
    let qc2 = n.qc(&b2);
    let me = 3;
    let mut c = n.core(me);
    let fx = c.handle(msg(n.from(2), n.timeout(2, 2, &qc1)));
    assert_eq!(sync_requests(&fx), vec![(n.from(0), b1.hash())], "{fx:?}");
    // A newer QC while that request is in flight: nothing more leaves (its answer comes first,
    // and what is still missing is asked for then).
    let fx = c.handle(msg(n.from(1), n.timeout(1, 3, &qc2)));
    assert_eq!(sync_requests(&fx), vec![], "{fx:?}");
    // No answer within the base round timeout: the next signer is asked.
    c.handle(Input::Tick {
        now_ms: GENESIS_TIME + 10 + n.cfg.params.round_timeout_base_ms,
    });
    let fx = c.handle(msg(n.from(0), n.timeout(0, 3, &qc2)));
    assert_eq!(sync_requests(&fx), vec![(n.from(1), b2.hash())], "{fx:?}");
}

#[test]
fn after_an_answer_what_is_still_missing_is_asked_of_the_same_peer() {
    // A validator behind under load: new QCs arrive while its request is answered.
    let n = net();
    let t = GENESIS_TIME + 5;
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let b2 = n.block(2, &n.qc(&b1), None, t);
    let b3 = n.block(3, &n.qc(&b2), None, t);
    let b4 = n.block(4, &n.qc(&b3), None, t);
    let (me, holder) = (3, 0);
    let mut peer = n.core(holder);
    feed_blocks(&n, &mut peer, &[&b1, &b2, &b3, &b4]);
    let mut lagging = n.core(me);
    let fx = lagging.handle(msg(n.from(2), n.timeout(2, 3, &n.qc(&b2))));
    let first = fx
        .iter()
        .find_map(|e| match e {
            Effect::RequestSync { from, request } => Some((*from, request.clone())),
            _ => None,
        })
        .expect("asks for b2");
    assert_eq!((first.0, first.1.target), (n.from(holder), b2.hash()));
    let fx = lagging.handle(msg(n.from(1), n.timeout(1, 4, &n.qc(&b3))));
    assert_eq!(sync_requests(&fx), vec![], "in flight: {fx:?}");
    let answer = peer.handle(msg(n.from(me), ConsensusMessage::SyncRequest(first.1)));
    let Some(Effect::Send { msg: response, .. }) = answer.into_iter().next() else {
        panic!("the peer answers")
    };
    let fx = lagging.handle(msg(n.from(holder), response));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Commit(c) if c.blocks == vec![b1.clone()])),
        "b2's QC in round 2 commits b1: {fx:?}"
    );
    assert_eq!(
        sync_requests(&fx),
        vec![(n.from(holder), b3.hash())],
        "the high QC's block, at once and of the peer that answered: {fx:?}"
    );
}

#[test]
fn a_sync_answer_over_the_byte_cap_is_cut_and_certified_by_the_next_justify() {
    let n = net();
    let t = GENESIS_TIME + 5;
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let b2 = n.block(2, &n.qc(&b1), None, t);
    let b3 = n.block(3, &n.qc(&b2), None, t);
    let mut blocks = vec![b1.clone(), b2.clone(), b3.clone()];
    let mut qc = Some(n.qc(&b3));
    let two = codec::encoded_len(&b1) + codec::encoded_len(&b2);
    fit_sync_answer(&mut blocks, &mut qc, two);
    assert_eq!(blocks, vec![b1.clone(), b2.clone()]);
    assert_eq!(qc, Some(b3.justify.clone()));
    // Within the cap: unchanged.
    fit_sync_answer(&mut blocks, &mut qc, two);
    assert_eq!(blocks.len(), 2);
    // At least one block, however large.
    fit_sync_answer(&mut blocks, &mut qc, 1);
    assert_eq!((blocks, qc), (vec![b1.clone()], Some(b2.justify.clone())));
    // The cut answer is one a requester applies.
    let mut lagging = n.core(3);
    let fx = lagging.handle(msg(
        n.from(0),
        ConsensusMessage::SyncResponse(Box::new(SyncResponse {
            blocks: vec![b1.clone(), b2.clone()],
            qc: Some(b3.justify.clone()),
        })),
    ));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Commit(c) if c.blocks == vec![b1.clone()])),
        "{fx:?}"
    );
    assert_eq!(lagging.drops().iter().map(|(_, c)| c).sum::<u64>(), 0);
    // b2 is certified, but only a certified child in the next round would commit it.
    assert_eq!(lagging.committed_height(), 1);
}

#[test]
fn a_timeout_persists_the_tc_it_follows() {
    // Regression (simulator seed 1244): validators timed out in round 2 after TC(1), the whole
    // network restarted and TC(1) was lost. Those in round 2 no longer signed round 1
    // timeouts and those still in round 1 could not form TC(1): nobody moved again.
    let n = net();
    let i = n.follower(1);
    let mut c = n.core(i);
    let others: Vec<usize> = (0..4).filter(|&j| j != i).take(3).collect();
    for &j in &others {
        c.handle(msg(n.from(j), n.timeout(j, 1, &n.genesis_qc())));
    }
    assert_eq!(c.round(), 2);
    let fx = c.handle(Input::Timeout { round: 2 });
    let Some(Effect::PersistSafety(saved)) = fx
        .iter()
        .find(|e| matches!(e, Effect::PersistSafety(_)))
        .cloned()
    else {
        panic!("times out: {fx:?}")
    };
    assert_eq!(saved.last_timeout_tc.as_ref().map(|tc| tc.round), Some(1));
    let recovery = Recovery {
        safety: *saved,
        ..Recovery::fresh()
    };
    let mut r = Consensus::new(n.cfg.clone(), n.keys[i].clone(), recovery).expect("restarts");
    assert_eq!(r.round(), 2);
    r.handle(Input::Start {
        now_ms: GENESIS_TIME + 20,
    });
    // Its timeout again, with the TC that lets peers still in round 1 join round 2.
    let fx = r.handle(Input::Timeout { round: 2 });
    let sent_tc = fx.iter().find_map(|e| match e {
        Effect::Broadcast(ConsensusMessage::Timeout(t)) => Some(t.last_tc.clone()),
        _ => None,
    });
    assert_eq!(sent_tc.flatten().map(|tc| tc.round), Some(1), "{fx:?}");
}

#[test]
fn a_missing_parent_is_synced_then_the_proposal_is_validated() {
    let n = net();
    let t = GENESIS_TIME + 5;
    let b1 = n.block(1, &n.genesis_qc(), None, t);
    let b2 = n.block(2, &n.qc(&b1), None, t);
    let b3 = n.block(3, &n.qc(&b2), None, t);
    let i = n.follower(3);
    let mut lagging = n.core(i);
    let fx = lagging.handle(msg(n.leader(3), n.propose(b3.clone())));
    let request = fx
        .iter()
        .find_map(|e| {
            if let Effect::RequestSync { from, request } = e {
                Some((*from, request.clone()))
            } else {
                None
            }
        })
        .expect("asks for the missing parent");
    assert_eq!(request.0, n.leader(3));
    assert_eq!(
        request.1,
        SyncRequest {
            committed_height: 0,
            target: b2.hash()
        }
    );
    // A peer holding b1, b2 answers.
    let mut peer = n.core((i + 1) % 4);
    for b in [&b1, &b2] {
        peer.handle(msg(n.leader(b.header.round), n.propose(b.clone())));
        peer.handle(Input::BlockValidated {
            hash: b.hash(),
            valid: true,
        });
    }
    let answer = peer.handle(msg(n.from(i), ConsensusMessage::SyncRequest(request.1)));
    let Some(Effect::Send { msg: response, .. }) = answer
        .into_iter()
        .find(|e| matches!(e, Effect::Send { .. }))
    else {
        panic!("the peer answers")
    };
    let fx = lagging.handle(msg(n.from((i + 1) % 4), response));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Commit(c) if c.blocks == vec![b1.clone()])),
        "{fx:?}"
    );
    assert!(
        fx.contains(&Effect::ValidateBlock {
            ids: b3.event_ids(),
            block: Box::new(b3),
        }),
        "the waiting proposal goes on"
    );
}

#[test]
fn recovery_rejects_a_broken_chain() {
    let n = net();
    let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME);
    let b2 = n.block(2, &n.qc(&b1), None, GENESIS_TIME);
    let good = vec![
        CertifiedBlock {
            block: b1.clone(),
            qc: n.qc(&b1),
        },
        CertifiedBlock {
            block: b2.clone(),
            qc: n.qc(&b2),
        },
    ];
    let c = Consensus::new(
        n.cfg.clone(),
        n.keys[0].clone(),
        Recovery {
            committed: good,
            ..Recovery::fresh()
        },
    )
    .expect("a chain");
    assert_eq!((c.committed_height(), c.round()), (2, 3));
    let gap = vec![
        CertifiedBlock {
            block: b2.clone(),
            qc: n.qc(&b2),
        },
        CertifiedBlock {
            block: b1.clone(),
            qc: n.qc(&b1),
        },
    ];
    assert!(matches!(
        Consensus::new(
            n.cfg.clone(),
            n.keys[0].clone(),
            Recovery {
                committed: gap,
                ..Recovery::fresh()
            }
        ),
        Err(ConsensusError::RecoveryNotAChain { .. })
    ));
    let mismatch = vec![CertifiedBlock {
        block: b1.clone(),
        qc: n.qc(&b2),
    }];
    assert!(matches!(
        Consensus::new(
            n.cfg.clone(),
            n.keys[0].clone(),
            Recovery {
                committed: mismatch,
                ..Recovery::fresh()
            }
        ),
        Err(ConsensusError::RecoveryCertificateMismatch { .. })
    ));
    let outsider = SecretKey::from_seed([42; 32]);
    assert!(matches!(
        Consensus::new(n.cfg.clone(), outsider, Recovery::fresh()),
        Err(ConsensusError::NotAValidator { .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Nothing a peer sends can panic the core: valid messages with bytes flipped, decoded when
    /// they still decode, and fed in.
    #[test]
    fn mutated_messages_never_panic_the_core(flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..6), which in 0usize..5) {
        let n = net();
        let b1 = n.block(1, &n.genesis_qc(), None, GENESIS_TIME + 5);
        let b2 = n.block(2, &n.qc(&b1), None, GENESIS_TIME + 5);
        let samples = [
            n.propose(b2.clone()),
            ConsensusMessage::Vote(n.vote(0, &b1)),
            n.timeout(1, 2, &n.qc(&b1)),
            ConsensusMessage::SyncRequest(SyncRequest { committed_height: 0, target: b1.hash() }),
            ConsensusMessage::SyncResponse(Box::new(SyncResponse { blocks: vec![b1.clone(), b2.clone()], qc: Some(n.qc(&b2)) })),
        ];
        let mut bytes = samples[which].encode();
        for (pos, byte) in flips {
            let len = bytes.len();
            bytes[pos % len] = byte;
        }
        for i in 0..4 {
            let mut c = n.core(i);
            if let Ok(m) = ConsensusMessage::decode(&bytes) {
                for from in 0..4 {
                    c.handle(msg(n.from(from), m.clone()));
                }
            }
            c.handle(Input::BlockValidated { hash: b2.hash(), valid: true });
            c.handle(Input::Timeout { round: c.round() });
        }
    }
}
