//! The consensus core's [`Consensus::handle`] driven by a fuzzed script.
//!
//! The core under test is validator 0 of the four-validator fixture chain; the fuzzer holds the
//! keys of the other three, which are a quorum by themselves. The fuzz bytes are read with
//! [`arbitrary`] as a script of [`Step`]s: peers propose, vote, form certificates, time out,
//! sync and replay, all **correctly signed** by the peers' keys on blocks the harness knows, and
//! the node's clock, timers, mempool and validator answer the core's requests, in any order.
//! One step kind ([`Step::Raw`]) delivers arbitrary bytes that decode as a consensus message.
//!
//! Why a script and not raw canonical messages: almost no random bytes decode to a message, and
//! of those none carries valid signatures, so raw messages stop at the core's first checks.
//! Signed, well-formed messages from a Byzantine quorum reach voting, certificate formation,
//! round changes, sync and commits; the [`Observer`](invariants::Observer) checks every effect.

mod invariants;
mod script;

use std::collections::BTreeMap;

use arbitrary::Unstructured;
use tradeledger_consensus::{
    Consensus, ConsensusMessage, Effect, Input, Proposal, Recovery, SyncRequest, SyncResponse,
    TimeoutMessage,
};
use tradeledger_types::{
    Block, BlockHeader, Hash32, PublicKey, QuorumCertificate, SecretKey, Timeout,
    TimeoutCertificate, TimeoutData, Vote, VoteData, events_root,
};

use crate::fixture::{CHAIN_ID, GENESIS_TIME_MS, fixture, genesis_hash, validators};
pub use invariants::Observer;
pub use script::Step;

/// Most steps of one script.
pub const STEPS_MAX: usize = 256;
/// Most blocks the harness remembers (oldest forgotten first).
const BLOCKS_MAX: usize = 64;
/// Most of the core's own messages remembered for replay.
const OWN_MAX: usize = 32;

/// Runs the script in `data` against a fresh core; panics if an invariant breaks.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut h = Harness::start();
    for _ in 0..STEPS_MAX {
        if u.is_empty() {
            break;
        }
        let Ok(step) = u.arbitrary::<Step>() else {
            break;
        };
        h.step(step);
    }
}

struct Harness {
    core: Consensus,
    observer: Observer,
    now_ms: u64,
    /// Blocks the peers know: theirs, and the core's proposals and sync answers.
    blocks: Vec<Block>,
    /// Certificates the peers hold, by block (the genesis QC included).
    qcs: BTreeMap<Hash32, QuorumCertificate>,
    /// The core's own consensus messages.
    own: Vec<ConsensusMessage>,
    /// The core's open payload request (round, parent).
    payload: Option<(u64, Hash32)>,
    /// Blocks the core asked the node to validate.
    validating: Vec<Hash32>,
}

impl Harness {
    fn start() -> Self {
        let f = fixture();
        let core = Consensus::new(f.config.clone(), f.keys[0].clone(), Recovery::fresh())
            .expect("the core's key is in the fixture set");
        let observer = Observer::new(&core);
        let mut qcs = BTreeMap::new();
        qcs.insert(genesis_hash(), f.config.genesis_qc());
        let mut h = Harness {
            core,
            observer,
            now_ms: GENESIS_TIME_MS,
            blocks: Vec::new(),
            qcs,
            own: Vec::new(),
            payload: None,
            validating: Vec::new(),
        };
        h.input(Input::Start {
            now_ms: GENESIS_TIME_MS,
        });
        h
    }

    fn step(&mut self, step: Step) {
        match step {
            Step::Tick { ms } => {
                self.now_ms = self.now_ms.saturating_add(u64::from(ms));
                self.input(Input::Tick {
                    now_ms: self.now_ms,
                });
            }
            Step::TimerExpires { back } => {
                let round = self.core.round().saturating_sub(u64::from(back % 3));
                self.input(Input::Timeout { round });
            }
            Step::Propose {
                parent,
                skip,
                with_tc,
                ahead_ms,
                signer,
            } => self.propose(parent, skip, with_tc, ahead_ms, signer),
            Step::Vote { voter, block } => {
                if let Some(b) = pick(&self.blocks, block) {
                    let vote = vote(&b.clone(), peer_key(voter));
                    self.deliver(voter, ConsensusMessage::Vote(vote));
                }
            }
            Step::Certify { block } => {
                if let Some(b) = pick(&self.blocks, block) {
                    let qc = certify(b);
                    self.qcs.entry(qc.data.block_hash).or_insert(qc);
                }
            }
            Step::Timeout {
                sender,
                offset,
                high_qc,
                with_tc,
            } => {
                let round = self
                    .core
                    .round()
                    .saturating_sub(1)
                    .saturating_add(u64::from(offset % 4));
                let qc = self.pick_qc(high_qc);
                let last_tc = (with_tc && round > 0).then(|| timeout_cert(round - 1, &qc));
                let data = TimeoutData {
                    chain_id: CHAIN_ID.into(),
                    round,
                    high_qc_round: qc.data.round,
                };
                let timeout = Timeout::sign(data, qc, peer_key(sender));
                let msg = TimeoutMessage { timeout, last_tc };
                self.deliver(sender, ConsensusMessage::Timeout(Box::new(msg)));
            }
            Step::SyncRequest {
                sender,
                block,
                committed_height,
            } => {
                let target = pick(&self.blocks, block).map_or(genesis_hash(), Block::hash);
                let request = SyncRequest {
                    committed_height: u64::from(committed_height),
                    target,
                };
                self.deliver(sender, ConsensusMessage::SyncRequest(request));
            }
            Step::SyncResponse {
                sender,
                block,
                len,
                with_qc,
            } => {
                if let Some(last) = pick(&self.blocks, block) {
                    let blocks = self.chain_to(last.clone(), usize::from(len % 8) + 1);
                    let qc = blocks
                        .last()
                        .and_then(|b| self.qcs.get(&b.hash()))
                        .filter(|_| with_qc)
                        .cloned();
                    let response = SyncResponse { blocks, qc };
                    self.deliver(sender, ConsensusMessage::SyncResponse(Box::new(response)));
                }
            }
            Step::Payload { stale } => {
                if let Some((round, parent_hash)) = self.payload {
                    let round = if stale {
                        round.saturating_add(1)
                    } else {
                        round
                    };
                    self.input(Input::Payload {
                        round,
                        parent_hash,
                        events: Vec::new(),
                        state_root: Hash32::ZERO,
                        results_root: Hash32::ZERO,
                    });
                }
            }
            Step::Validated { which, valid } => {
                let hash = match pick(&self.validating, which) {
                    Some(h) => *h,
                    None => pick(&self.blocks, which).map_or(genesis_hash(), Block::hash),
                };
                self.validating.retain(|h| *h != hash);
                self.input(Input::BlockValidated { hash, valid });
            }
            Step::Replay { sender, which } => {
                if let Some(msg) = pick(&self.own, which) {
                    let msg = msg.clone();
                    self.deliver(sender, msg);
                }
            }
            Step::Raw { sender, bytes } => {
                if let Ok(msg) = ConsensusMessage::decode(&bytes) {
                    self.deliver(sender, msg);
                }
            }
        }
    }

    fn propose(&mut self, parent: u8, skip: u8, with_tc: bool, ahead_ms: u16, signer: u8) {
        let qc = self.pick_qc(parent);
        let Some(round) = qc
            .data
            .round
            .checked_add(1)
            .and_then(|r| r.checked_add(u64::from(skip % 4)))
        else {
            return;
        };
        let Some(height) = qc.data.height.checked_add(1) else {
            return;
        };
        let timeout_cert =
            (with_tc && round > qc.data.round + 1).then(|| timeout_cert(round - 1, &qc));
        let leader = self.core.leader(round);
        let key = peer_keys()
            .find(|k| k.public() == leader)
            .unwrap_or_else(|| peer_key(signer));
        let parent_time = self.time_of(&qc.data.block_hash);
        let header = BlockHeader {
            chain_id: CHAIN_ID.into(),
            height,
            round,
            parent_hash: qc.data.block_hash,
            proposer: key.public(),
            block_time_ms: parent_time
                .max(self.now_ms)
                .saturating_add(u64::from(ahead_ms)),
            events_root: events_root(&[]),
            event_count: 0,
            state_root: Hash32::ZERO,
            results_root: Hash32::ZERO,
        };
        let block = Block {
            header,
            justify: qc,
            timeout_cert,
            events: Vec::new(),
        };
        self.remember(block.clone());
        let proposal = Proposal::sign(block, key);
        let from = key.public();
        self.message(from, ConsensusMessage::Proposal(Box::new(proposal)));
    }

    /// A message from peer `sender` (1 to 3).
    fn deliver(&mut self, sender: u8, msg: ConsensusMessage) {
        let from = peer_key(sender).public();
        self.message(from, msg);
    }

    fn message(&mut self, from: PublicKey, msg: ConsensusMessage) {
        self.input(Input::Message { from, msg });
    }

    /// Feeds one input, checks the effects, and learns what the peers would learn from them.
    fn input(&mut self, input: Input) {
        let effects = self.core.handle(input);
        self.observer.after(&self.core, &effects);
        for effect in effects {
            self.learn(effect);
        }
    }

    fn learn(&mut self, effect: Effect) {
        match effect {
            Effect::Send { msg, .. } | Effect::Broadcast(msg) => {
                match &msg {
                    ConsensusMessage::Proposal(p) => {
                        self.certified(p.block.justify.clone());
                        self.remember(p.block.clone());
                    }
                    ConsensusMessage::SyncResponse(r) => {
                        r.blocks.iter().cloned().for_each(|b| self.remember(b));
                        if let Some(qc) = &r.qc {
                            self.certified(qc.clone());
                        }
                    }
                    ConsensusMessage::Vote(_)
                    | ConsensusMessage::Timeout(_)
                    | ConsensusMessage::SyncRequest(_) => {}
                }
                if self.own.len() >= OWN_MAX {
                    self.own.remove(0);
                }
                self.own.push(msg);
            }
            Effect::RequestPayload {
                round, parent_hash, ..
            } => self.payload = Some((round, parent_hash)),
            Effect::ValidateBlock { block, .. } => {
                self.validating.push(block.hash());
                self.remember(*block);
            }
            Effect::Commit(c) => {
                self.certified(c.certificate.clone());
            }
            Effect::PersistSafety(_)
            | Effect::PersistBlocks(_)
            | Effect::SetTimer { .. }
            | Effect::RequestSync { .. } => {}
        }
    }

    fn remember(&mut self, block: Block) {
        let hash = block.hash();
        if self.blocks.iter().any(|b| b.hash() == hash) {
            return;
        }
        if self.blocks.len() >= BLOCKS_MAX {
            self.blocks.remove(0);
        }
        self.blocks.push(block);
    }

    fn certified(&mut self, qc: QuorumCertificate) {
        self.qcs.entry(qc.data.block_hash).or_insert(qc);
    }

    fn pick_qc(&self, index: u8) -> QuorumCertificate {
        let n = self.qcs.len();
        self.qcs
            .values()
            .nth(usize::from(index) % n.max(1))
            .cloned()
            .unwrap_or_else(|| fixture().config.genesis_qc())
    }

    fn time_of(&self, hash: &Hash32) -> u64 {
        self.blocks
            .iter()
            .find(|b| b.hash() == *hash)
            .map_or(GENESIS_TIME_MS, |b| b.header.block_time_ms)
    }

    /// `last` and up to `len − 1` of its known ancestors, lowest height first.
    fn chain_to(&self, last: Block, len: usize) -> Vec<Block> {
        let mut chain = vec![last];
        while chain.len() < len {
            let parent = chain[chain.len() - 1].header.parent_hash;
            match self.blocks.iter().find(|b| b.hash() == parent) {
                Some(b) => chain.push(b.clone()),
                None => break,
            }
        }
        chain.reverse();
        chain
    }
}

fn pick<T>(items: &[T], index: u8) -> Option<&T> {
    if items.is_empty() {
        None
    } else {
        items.get(usize::from(index) % items.len())
    }
}

fn peer_keys() -> impl Iterator<Item = &'static SecretKey> {
    fixture().keys[1..].iter()
}

/// Peer `i` (1 to 3; the core is 0 and is never impersonated).
fn peer_key(i: u8) -> &'static SecretKey {
    let keys = &fixture().keys;
    &keys[1 + usize::from(i) % (keys.len() - 1)]
}

fn vote(block: &Block, key: &SecretKey) -> Vote {
    let data = VoteData {
        chain_id: CHAIN_ID.into(),
        block_hash: block.hash(),
        height: block.header.height,
        round: block.header.round,
    };
    Vote::sign(data, key)
}

/// A QC on `block` from the three peers.
fn certify(block: &Block) -> QuorumCertificate {
    let votes: Vec<Vote> = peer_keys().map(|k| vote(block, k)).collect();
    QuorumCertificate::from_votes(validators(), &votes)
}

/// A TC for `round` from the three peers, each reporting `high_qc`.
fn timeout_cert(round: u64, high_qc: &QuorumCertificate) -> TimeoutCertificate {
    let timeouts: Vec<Timeout> = peer_keys()
        .map(|k| {
            let data = TimeoutData {
                chain_id: CHAIN_ID.into(),
                round,
                high_qc_round: high_qc.data.round,
            };
            Timeout::sign(data, high_qc.clone(), k)
        })
        .collect();
    TimeoutCertificate::from_timeouts(validators(), &timeouts)
}
