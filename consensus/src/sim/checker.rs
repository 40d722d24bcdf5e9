//! Safety checkers: agreement between honest validators, certificate chains behind every
//! commit, persist-before-send, and a global observer that flags conflicting commit
//! certificates the moment the votes for them exist anywhere in the network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use tradeledger_types::{
    Hash32, QuorumCertificate, ValidatorSet, Vote, VoteData, codec, domain::sha256,
};

use crate::effect::Commit;

/// A safety property broken in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Two honest validators committed different blocks at one height.
    ConflictingCommits {
        /// The height.
        height: u64,
        /// One block.
        first: Hash32,
        /// The other.
        second: Hash32,
    },
    /// A commit does not continue the validator's committed chain or is not backed by valid
    /// certificates.
    BadCommitChain {
        /// The simulated instance.
        node: usize,
        /// Height of the offending block.
        height: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// A vote or timeout was sent before the safety data it depends on was persisted.
    SentBeforePersist {
        /// The simulated instance.
        node: usize,
        /// The round of the message.
        round: u64,
    },
    /// Votes exist for two conflicting 2-chains: two different blocks at one height each have a
    /// certified child in the next round.
    ConflictingCommitCertificates {
        /// The height.
        height: u64,
        /// One block.
        first: Hash32,
        /// The other.
        second: Hash32,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::ConflictingCommits {
                height,
                first,
                second,
            } => {
                write!(
                    f,
                    "honest validators committed {first} and {second} at height {height}"
                )
            }
            Violation::BadCommitChain {
                node,
                height,
                problem,
            } => {
                write!(f, "instance {node} committed height {height}: {problem}")
            }
            Violation::SentBeforePersist { node, round } => {
                write!(
                    f,
                    "instance {node} sent a round-{round} vote or timeout before persisting it"
                )
            }
            Violation::ConflictingCommitCertificates {
                height,
                first,
                second,
            } => {
                write!(
                    f,
                    "conflicting commit certificates at height {height}: {first} and {second}"
                )
            }
        }
    }
}

/// Cross-validator agreement: the first block committed at each height.
#[derive(Debug, Default)]
pub(crate) struct Agreement {
    by_height: BTreeMap<u64, Hash32>,
}

impl Agreement {
    pub fn record(&mut self, height: u64, hash: Hash32) -> Option<Violation> {
        match self.by_height.get(&height) {
            Some(first) if *first != hash => Some(Violation::ConflictingCommits {
                height,
                first: *first,
                second: hash,
            }),
            Some(_) => None,
            None => {
                self.by_height.insert(height, hash);
                None
            }
        }
    }

    pub fn highest(&self) -> u64 {
        self.by_height.keys().next_back().copied().unwrap_or(0)
    }
}

/// Verifies QCs once per distinct certificate.
#[derive(Debug, Default)]
pub(crate) struct QcCache {
    verified: BTreeSet<Hash32>,
}

impl QcCache {
    fn verify(&mut self, qc: &QuorumCertificate, chain_id: &str, set: &ValidatorSet) -> bool {
        let key = sha256(&codec::to_canonical(qc));
        if self.verified.contains(&key) {
            return true;
        }
        let ok = qc.verify(chain_id, set).is_ok();
        if ok {
            self.verified.insert(key);
        }
        ok
    }
}

/// Checks that `commit` continues the chain whose tip is `(tip_hash, tip_height)` and that every
/// block is certified by a valid QC; returns the new tip.
pub(crate) fn check_commit(
    node: usize,
    tip: (Hash32, u64),
    commit: &Commit,
    chain_id: &str,
    set: &ValidatorSet,
    cache: &mut QcCache,
) -> Result<(Hash32, u64), Violation> {
    let bad = |height, problem| Violation::BadCommitChain {
        node,
        height,
        problem,
    };
    let (mut prev_hash, mut prev_height) = tip;
    if commit.blocks.is_empty() {
        return Err(bad(prev_height, "empty commit"));
    }
    for cb in commit.certified_blocks() {
        let h = &cb.block.header;
        if h.parent_hash != prev_hash || h.height != prev_height + 1 {
            return Err(bad(h.height, "does not extend the previous commit"));
        }
        let hash = cb.block.hash();
        let d = &cb.qc.data;
        if d.block_hash != hash || d.height != h.height || d.round != h.round {
            return Err(bad(h.height, "certificate names another block"));
        }
        if !cache.verify(&cb.qc, chain_id, set) {
            return Err(bad(h.height, "certificate does not verify"));
        }
        if !cb.block.justify.is_genesis() && !cache.verify(&cb.block.justify, chain_id, set) {
            return Err(bad(h.height, "justify does not verify"));
        }
        prev_hash = hash;
        prev_height = h.height;
    }
    Ok((prev_hash, prev_height))
}

#[derive(Debug, Clone, Copy)]
struct GhostBlock {
    parent: Hash32,
    round: u64,
    height: u64,
}

/// Sees every proposal and vote any instance emits and keeps the blocks that have a 2-chain
/// commit certificate available to anyone who collects the votes.
#[derive(Debug, Default)]
pub(crate) struct Ghost {
    blocks: BTreeMap<Hash32, GhostBlock>,
    votes: BTreeMap<VoteData, (u64, BTreeSet<usize>)>,
    certified: BTreeSet<Hash32>,
    committable: BTreeMap<u64, Hash32>,
}

impl Ghost {
    pub fn observe_block(&mut self, block: &tradeledger_types::Block) -> Option<Violation> {
        let hash = block.hash();
        let h = &block.header;
        self.blocks.entry(hash).or_insert(GhostBlock {
            parent: h.parent_hash,
            round: h.round,
            height: h.height,
        });
        // Its child may already be certified.
        let children: Vec<Hash32> = self
            .certified
            .iter()
            .filter(|c| self.blocks.get(*c).is_some_and(|b| b.parent == hash))
            .copied()
            .collect();
        children.into_iter().find_map(|c| self.check_committable(c))
    }

    /// `voter` is the index of the key the vote is from; the simulator only calls this with
    /// votes an instance really signed.
    pub fn observe_vote(
        &mut self,
        set: &ValidatorSet,
        voter: usize,
        vote: &Vote,
    ) -> Option<Violation> {
        let power = set.get(voter).map_or(0, |v| v.voting_power);
        let entry = self
            .votes
            .entry(vote.data.clone())
            .or_insert((0, BTreeSet::new()));
        if !entry.1.insert(voter) {
            return None;
        }
        entry.0 += power;
        if entry.0 < set.quorum_power() || !self.certified.insert(vote.data.block_hash) {
            return None;
        }
        self.check_committable(vote.data.block_hash)
    }

    fn check_committable(&mut self, certified: Hash32) -> Option<Violation> {
        let child = *self.blocks.get(&certified)?;
        let parent = *self.blocks.get(&child.parent)?;
        if parent.round + 1 != child.round {
            return None;
        }
        match self.committable.get(&parent.height) {
            Some(first) if *first != child.parent => {
                Some(Violation::ConflictingCommitCertificates {
                    height: parent.height,
                    first: *first,
                    second: child.parent,
                })
            }
            Some(_) => None,
            None => {
                self.committable.insert(parent.height, child.parent);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_types::{Block, BlockHeader, SecretKey, ValidatorInfo, events_root};

    fn set(keys: &[SecretKey]) -> ValidatorSet {
        let infos = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("v{i}"),
                org: "o".into(),
                consensus_key: k.public(),
                peer_id: format!("p{i}"),
                voting_power: 1,
            })
            .collect();
        ValidatorSet::new(infos).expect("valid")
    }

    fn block(parent: Hash32, height: u64, round: u64, justify: QuorumCertificate) -> Block {
        Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height,
                round,
                parent_hash: parent,
                proposer: SecretKey::from_seed([1; 32]).public(),
                block_time_ms: 0,
                events_root: events_root(&[]),
                event_count: 0,
                state_root: Hash32::ZERO,
                results_root: Hash32::ZERO,
            },
            justify,
            timeout_cert: None,
            events: vec![],
        }
    }

    fn qc(keys: &[SecretKey], set: &ValidatorSet, b: &Block) -> QuorumCertificate {
        let data = VoteData {
            chain_id: "c".into(),
            block_hash: b.hash(),
            height: b.header.height,
            round: b.header.round,
        };
        let votes: Vec<Vote> = keys
            .iter()
            .take(3)
            .map(|k| Vote::sign(data.clone(), k))
            .collect();
        QuorumCertificate::from_votes(set, &votes)
    }

    #[test]
    fn agreement_flags_a_second_block_at_a_height() {
        let mut a = Agreement::default();
        assert_eq!(a.record(1, Hash32([1; 32])), None);
        assert_eq!(a.record(1, Hash32([1; 32])), None);
        assert!(matches!(
            a.record(1, Hash32([2; 32])),
            Some(Violation::ConflictingCommits { height: 1, .. })
        ));
    }

    #[test]
    fn commit_chain_checks_links_and_certificates() {
        let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect();
        let set = set(&keys);
        let genesis = Hash32([9; 32]);
        let b1 = block(genesis, 1, 1, QuorumCertificate::genesis("c", genesis));
        let good = Commit {
            blocks: vec![b1.clone()],
            certificate: qc(&keys, &set, &b1),
        };
        let mut cache = QcCache::default();
        assert_eq!(
            check_commit(0, (genesis, 0), &good, "c", &set, &mut cache),
            Ok((b1.hash(), 1))
        );
        // Not continuing the tip.
        assert!(check_commit(0, (Hash32([8; 32]), 0), &good, "c", &set, &mut cache).is_err());
        // A certificate with a forged signature.
        let mut forged = good.clone();
        forged.certificate.signatures[0] = forged.certificate.signatures[1];
        assert!(
            check_commit(0, (genesis, 0), &forged, "c", &set, &mut QcCache::default()).is_err()
        );
        // A certificate for another block.
        let b1x = block(genesis, 1, 2, QuorumCertificate::genesis("c", genesis));
        let wrong = Commit {
            blocks: vec![b1.clone()],
            certificate: qc(&keys, &set, &b1x),
        };
        assert!(check_commit(0, (genesis, 0), &wrong, "c", &set, &mut cache).is_err());
    }

    #[test]
    fn ghost_flags_conflicting_two_chains() {
        let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect();
        let set = set(&keys);
        let genesis = Hash32([9; 32]);
        let g = QuorumCertificate::genesis("c", genesis);
        let a = block(genesis, 1, 1, g.clone());
        let a_child = block(a.hash(), 2, 2, qc(&keys, &set, &a));
        let x = block(genesis, 1, 3, g);
        let x_child = block(x.hash(), 2, 4, qc(&keys, &set, &x));
        let mut ghost = Ghost::default();
        for b in [&a, &a_child, &x, &x_child] {
            assert_eq!(ghost.observe_block(b), None);
        }
        let vote = |k: &SecretKey, b: &Block| {
            Vote::sign(
                VoteData {
                    chain_id: "c".into(),
                    block_hash: b.hash(),
                    height: b.header.height,
                    round: b.header.round,
                },
                k,
            )
        };
        let mut found = None;
        for b in [&a_child, &x_child] {
            for (i, k) in keys.iter().enumerate().take(3) {
                found = found.or(ghost.observe_vote(&set, i, &vote(k, b)));
            }
        }
        assert!(
            matches!(
                found,
                Some(Violation::ConflictingCommitCertificates { height: 1, .. })
            ),
            "{found:?}"
        );
    }
}
