//! The Byzantine validator: holds validator 3's key, listens where the genesis and the honest
//! nodes' configs say validator 3 is, takes part in consensus where that helps it attack
//! (its real votes, its rounds as leader), and misbehaves in every way the node must survive.
//!
//! What it does, and the counter each misdeed should move on the honest nodes:
//! - on every honest proposal, to the next leader: a vote with a broken signature
//!   (`bad_signature`), a vote for another chain (`wrong_chain`), its real vote, then a
//!   second, conflicting vote for the same round (`equivocation`);
//! - when it leads a round (it aggregates the honest votes it receives into a real QC):
//!   proposals whose QC has too few signatures, bogus signatures, or names a block that does
//!   not exist (`bad_quorum_certificate`), one with a broken signature (`bad_signature`), then
//!   three different valid proposals for the round, to different validators and then to all
//!   (`equivocation` at the third), and votes for two of them (`equivocation` at the next
//!   leader);
//! - on a timer: timeouts carrying a forged QC (`bad_quorum_certificate`) or a forged TC
//!   (`bad_timeout_certificate`) or a broken signature (`bad_signature`); proposals for rounds
//!   it does not lead (`not_leader`); bytes that are not a consensus message (`malformed`);
//!   replays of honest consensus messages from old rounds (`stale_round`) and of the latest
//!   proposal (`duplicate`); frames that do not decode (`undecodable_frame`) or announce more
//!   than the frame cap (`oversize_frame`); event batches that do not decode
//!   (`undecodable_batch`), a replay of an honest batch (`duplicate_batch`), and floods of
//!   events with broken signatures (`bad_signature`), for another chain (`wrong_chain`) and
//!   replays of honest events (`duplicate` / `already_committed` / `stale_sequence`).

use super::forge;
use super::wire::{ack_frame, consensus_frame, frame, request_frame};
use libp2p::PeerId;
use std::collections::{BTreeMap, BTreeSet};
use tradeledger_consensus::{
    ConsensusConfig, ConsensusMessage, LeaderSchedule, Proposal, TimeoutMessage,
};
use tradeledger_contracts::testkit;
use tradeledger_node::execution::Executor;
use tradeledger_node::mempool::EventBatch;
use tradeledger_node::network::Request;
use tradeledger_node::network::protocol::FRAME_BYTES_MAX;
use tradeledger_types::{
    Block, BlockHeader, Bytes, EventBody, Hash32, Payload, PublicKey, QuorumCertificate, SecretKey,
    SignedEvent, Timeout, TimeoutData, Vote, VoteData, events_root,
};

/// Honest consensus messages kept for replay.
const REPLAY_KEEP: usize = 24;
/// Events with broken signatures per flood batch.
const FLOOD_EVENTS: usize = 128;

/// What the attacker did, by misdeed.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Counts by misdeed name.
    pub did: BTreeMap<&'static str, u64>,
}

impl Report {
    fn add(&mut self, what: &'static str, n: u64) {
        *self.did.entry(what).or_insert(0) += n;
    }
}

/// One frame to send to one peer.
pub type Out = Vec<(PeerId, Vec<u8>)>;

/// Fetches the committed block at a height from an honest node (for blocks proposed before
/// the attacker was connected, which it needs to execute the chain).
pub type FetchBlock = Box<dyn Fn(u64) -> Option<Block> + Send>;

/// The attacker's state.
pub struct Attacker {
    cfg: ConsensusConfig,
    leaders: LeaderSchedule,
    key: SecretKey,
    me: PublicKey,
    /// Honest validators' keys and peer ids.
    honest: Vec<(PublicKey, PeerId)>,
    /// Executes the blocks it sees, so its own proposals carry the right roots.
    executor: Executor,
    fetch: FetchBlock,
    /// The highest round seen in any message.
    round: u64,
    high_qc: QuorumCertificate,
    /// Votes received as next leader, by (round, block).
    votes: BTreeMap<(u64, Hash32), Vec<Vote>>,
    proposed: BTreeSet<u64>,
    latest_proposal: Option<ConsensusMessage>,
    replay: Vec<ConsensusMessage>,
    honest_batch: Option<Vec<u8>>,
    honest_events: Vec<SignedEvent>,
    counter: u64,
    /// What it did.
    pub report: Report,
}

fn now_ms() -> u64 {
    tradeledger_node::time::now_ms()
}

impl Attacker {
    /// An attacker holding `key` (a validator of `cfg`), with `executor` over its own store.
    pub fn new(
        cfg: ConsensusConfig,
        key: SecretKey,
        honest: Vec<(PublicKey, PeerId)>,
        executor: Executor,
        fetch: FetchBlock,
    ) -> Attacker {
        let leaders = LeaderSchedule::new(&cfg.chain_id, &cfg.validators);
        let high_qc = cfg.genesis_qc();
        Attacker {
            me: key.public(),
            cfg,
            leaders,
            key,
            honest,
            executor,
            fetch,
            round: 0,
            high_qc,
            votes: BTreeMap::new(),
            proposed: BTreeSet::new(),
            latest_proposal: None,
            replay: Vec::new(),
            honest_batch: None,
            honest_events: Vec::new(),
            counter: 0,
            report: Report::default(),
        }
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn peer_of(&self, key: &PublicKey) -> Option<PeerId> {
        self.honest.iter().find(|(k, _)| k == key).map(|(_, p)| *p)
    }

    fn to_all(&self, out: &mut Out, bytes: &[u8]) {
        for (_, p) in &self.honest {
            out.push((*p, bytes.to_vec()));
        }
    }

    fn note_qc(&mut self, qc: &QuorumCertificate) {
        if qc.data.round > self.high_qc.data.round {
            self.high_qc = qc.clone();
        }
    }

    /// An inbound request from an honest node (raw frame body); returns the response frame
    /// and what to send.
    pub fn on_request(&mut self, from: PeerId, body: &[u8]) -> (Vec<u8>, Out) {
        let mut out = Vec::new();
        match tradeledger_types::codec::from_canonical::<Request>(body, FRAME_BYTES_MAX, "frame") {
            Ok(Request::Consensus(bytes)) => {
                if let Ok(msg) = ConsensusMessage::decode(&bytes.0) {
                    self.on_message(from, msg, &mut out);
                }
            }
            Ok(Request::Batch(bytes)) => {
                if let Ok(events) = EventBatch::decode(&bytes.0, FRAME_BYTES_MAX) {
                    self.honest_events
                        .extend(events.into_iter().map(|(e, _)| e).take(64));
                }
                self.honest_batch.get_or_insert(bytes.0);
            }
            _ => {}
        }
        (ack_frame(), out)
    }

    fn on_message(&mut self, _from: PeerId, msg: ConsensusMessage, out: &mut Out) {
        if self.replay.len() < REPLAY_KEEP && !matches!(msg, ConsensusMessage::SyncRequest(_)) {
            self.replay.push(msg.clone());
        }
        match msg {
            ConsensusMessage::Proposal(p) => {
                self.round = self.round.max(p.block.header.round);
                self.note_qc(&p.block.justify.clone());
                self.executor.remember(p.block.clone());
                self.latest_proposal = Some(ConsensusMessage::Proposal(p.clone()));
                self.vote_games(&p.block, out);
            }
            ConsensusMessage::Vote(v) => self.on_vote(v, out),
            ConsensusMessage::Timeout(t) => {
                self.round = self.round.max(t.timeout.data.round);
                self.note_qc(&t.timeout.high_qc.clone());
            }
            ConsensusMessage::SyncRequest(_) | ConsensusMessage::SyncResponse(_) => {}
        }
    }

    /// To the next leader: a vote with a broken signature, one for another chain, the real
    /// vote, and a conflicting one.
    fn vote_games(&mut self, block: &Block, out: &mut Out) {
        let h = &block.header;
        let Some(next) = self.peer_of(&self.leaders.leader(h.round + 1)) else {
            return; // we lead the next round ourselves
        };
        let n = self.next();
        let data = |hash| VoteData {
            chain_id: self.cfg.chain_id.clone(),
            block_hash: hash,
            height: h.height,
            round: h.round,
        };
        let mut broken = Vote::sign(data(forge::bogus_hash(1, n)), &self.key);
        broken.signature = forge::corrupt(&broken.signature);
        let mut foreign = data(block.hash());
        foreign.chain_id = "another-chain".into();
        let foreign = Vote::sign(foreign, &self.key);
        let real = Vote::sign(data(block.hash()), &self.key);
        let conflicting = Vote::sign(data(forge::bogus_hash(2, n)), &self.key);
        for v in [broken, foreign, real, conflicting] {
            out.push((next, consensus_frame(&ConsensusMessage::Vote(v))));
        }
        self.report.add("votes_with_broken_signature", 1);
        self.report.add("votes_for_another_chain", 1);
        self.report.add("conflicting_votes", 1);
    }

    /// A vote sent to us as the next leader: aggregate, and at quorum lead our round.
    fn on_vote(&mut self, v: Vote, out: &mut Out) {
        let set = &self.cfg.validators;
        let round = v.data.round;
        if self.leaders.leader(round + 1) != self.me
            || v.data.chain_id != self.cfg.chain_id
            || set.index_of(&v.voter).is_none()
            || v.verify().is_err()
        {
            return;
        }
        let votes = self.votes.entry((round, v.data.block_hash)).or_default();
        if votes.iter().any(|o| o.voter == v.voter) {
            return;
        }
        votes.push(v);
        let power: u64 = votes
            .iter()
            .filter_map(|o| set.index_of(&o.voter).and_then(|i| set.get(i)))
            .map(|i| i.voting_power)
            .sum();
        if power < set.quorum_power() || self.proposed.contains(&(round + 1)) {
            return;
        }
        let votes = votes.clone();
        let qc = QuorumCertificate::from_votes(set, &votes);
        self.note_qc(&qc);
        self.proposed.insert(round + 1);
        self.lead(&qc, &votes, out);
    }

    /// Remembers the committed ancestors of `hash` it missed, fetched from an honest node.
    fn fill_gaps(&mut self, hash: Hash32, height: u64) {
        let (mut cursor, mut h) = (hash, height);
        while h > 0 && cursor != self.executor.genesis_hash() {
            let block = match self.executor.seen(&cursor) {
                Some(b) => b.clone(),
                None => match (self.fetch)(h).filter(|b| b.hash() == cursor) {
                    Some(b) => {
                        self.executor.remember(b.clone());
                        b
                    }
                    None => return,
                },
            };
            cursor = block.header.parent_hash;
            h -= 1;
        }
    }

    /// A block for `round` on `parent`, justified by `justify`.
    fn block(&mut self, round: u64, justify: QuorumCertificate, time_ms: u64) -> Block {
        let parent = justify.data.block_hash;
        let mut roots = self.executor.roots_after(&parent).ok().flatten();
        if roots.is_none() {
            self.fill_gaps(parent, justify.data.height);
            roots = self.executor.roots_after(&parent).ok().flatten();
        }
        let parent_time = self
            .executor
            .seen(&parent)
            .map_or(0, |b| b.header.block_time_ms);
        Block {
            header: BlockHeader {
                chain_id: self.cfg.chain_id.clone(),
                height: justify.data.height + 1,
                round,
                parent_hash: parent,
                proposer: self.me,
                block_time_ms: time_ms.max(parent_time),
                events_root: events_root(&[]),
                event_count: 0,
                state_root: roots.as_ref().map_or(Hash32::ZERO, |r| r.state_root),
                results_root: roots.as_ref().map_or(Hash32::ZERO, |r| r.results_root),
            },
            justify,
            timeout_cert: None,
            events: Vec::new(),
        }
    }

    fn proposal_frame(&self, block: Block) -> Vec<u8> {
        consensus_frame(&ConsensusMessage::Proposal(Box::new(Proposal::sign(
            block, &self.key,
        ))))
    }

    /// Our round as leader, justified by a real QC: forged certificates, a broken signature,
    /// then three different valid proposals.
    fn lead(&mut self, qc: &QuorumCertificate, votes: &[Vote], out: &mut Out) {
        let round = qc.data.round + 1;
        let set = self.cfg.validators.clone();
        let t = now_ms();
        let n = self.next();
        // Forged QCs: each names the parent the header names, so only the QC check catches it.
        let too_few = forge::qc_too_few(&set, &votes[..1]);
        let bogus = forge::qc_with_bogus_signatures(&set, qc.data.clone());
        let missing = forge::qc_for_missing_block(qc, forge::bogus_hash(3, n));
        for justify in [too_few, bogus, missing] {
            let mut b = self.block(round, qc.clone(), t);
            b.header.parent_hash = justify.data.block_hash;
            b.justify = justify;
            let f = self.proposal_frame(b);
            self.to_all(out, &f);
        }
        self.report.add("proposals_with_forged_qc", 3);
        let mut broken = Proposal::sign(self.block(round, qc.clone(), t), &self.key);
        broken.signature = forge::corrupt(&broken.signature);
        let f = consensus_frame(&ConsensusMessage::Proposal(Box::new(broken)));
        self.to_all(out, &f);
        self.report.add("proposals_with_broken_signature", 1);
        // Equivocation: A to two validators, B to the third, then C and the other one to all.
        let blocks: Vec<Block> = (0..3)
            .map(|i| self.block(round, qc.clone(), t + i))
            .collect();
        let frames: Vec<Vec<u8>> = blocks
            .iter()
            .map(|b| self.proposal_frame(b.clone()))
            .collect();
        let peers: Vec<PeerId> = self.honest.iter().map(|(_, p)| *p).collect();
        for (i, p) in peers.iter().enumerate() {
            let first = usize::from(i + 1 == peers.len());
            out.push((*p, frames[first].clone()));
        }
        for (i, p) in peers.iter().enumerate() {
            let other = usize::from(i + 1 != peers.len());
            out.push((*p, frames[2].clone()));
            out.push((*p, frames[other].clone()));
        }
        self.report.add("rounds_led_with_equivocation", 1);
        // And votes for two of its own blocks.
        if let Some(next) = self.peer_of(&self.leaders.leader(round + 1)) {
            for b in &blocks[..2] {
                let v = Vote::sign(
                    VoteData {
                        chain_id: self.cfg.chain_id.clone(),
                        block_hash: b.hash(),
                        height: b.header.height,
                        round,
                    },
                    &self.key,
                );
                out.push((next, consensus_frame(&ConsensusMessage::Vote(v))));
            }
            self.report.add("conflicting_votes", 1);
        }
    }

    /// The timer's misdeeds, when at least one honest message has been seen.
    pub fn on_tick(&mut self) -> Out {
        let mut out = Vec::new();
        if self.round == 0 {
            return out;
        }
        let n = self.next();
        let cur = self.round;
        let set = self.cfg.validators.clone();
        let chain = self.cfg.chain_id.clone();
        let hq = self.high_qc.clone();

        // A timeout whose high QC is forged (every validator "signed" a block that does not exist).
        let forged = forge::qc_with_bogus_signatures(
            &set,
            VoteData {
                chain_id: chain.clone(),
                block_hash: forge::bogus_hash(4, n),
                height: hq.data.height + 1,
                round: cur + 1,
            },
        );
        let t = Timeout::sign(
            TimeoutData {
                chain_id: chain.clone(),
                round: cur + 2,
                high_qc_round: cur + 1,
            },
            forged,
            &self.key,
        );
        self.send_timeout(t, None, &mut out);
        self.report.add("timeouts_with_forged_qc", 1);

        // A timeout carrying a forged TC.
        let tc = forge::tc_with_bogus_signatures(&set, &chain, cur + 2, hq.data.round);
        let t = Timeout::sign(
            TimeoutData {
                chain_id: chain.clone(),
                round: cur + 3,
                high_qc_round: hq.data.round,
            },
            hq.clone(),
            &self.key,
        );
        self.send_timeout(t, Some(tc), &mut out);
        self.report.add("timeouts_with_forged_tc", 1);

        // A timeout with a broken signature.
        let mut t = Timeout::sign(
            TimeoutData {
                chain_id: chain.clone(),
                round: cur + 1,
                high_qc_round: hq.data.round,
            },
            hq.clone(),
            &self.key,
        );
        t.signature = forge::corrupt(&t.signature);
        self.send_timeout(t, None, &mut out);
        self.report.add("timeouts_with_broken_signature", 1);

        // A proposal for a round it does not lead.
        if let Some(r) = (cur..cur + 20).find(|r| self.leaders.leader(*r) != self.me) {
            let b = self.block(r, hq.clone(), now_ms());
            let f = self.proposal_frame(b);
            self.to_all(&mut out, &f);
            self.report.add("proposals_out_of_turn", 1);
        }

        // Bytes that are not a consensus message.
        let junk = request_frame(&Request::Consensus(Bytes(vec![0xff, 0x00, 0x13, n as u8])));
        self.to_all(&mut out, &junk);
        self.report.add("undecodable_consensus_messages", 1);

        // Replays: old honest messages, and the latest proposal again.
        let replays: Vec<Vec<u8>> = self
            .replay
            .iter()
            .take(4)
            .chain(self.latest_proposal.iter())
            .map(consensus_frame)
            .collect();
        for f in &replays {
            self.to_all(&mut out, f);
        }
        self.report
            .add("replayed_consensus_messages", replays.len() as u64);

        // Frames the node's codec must refuse.
        self.to_all(&mut out, &frame(&[0xff, 0xfe, 0xfd, n as u8]));
        self.report.add("undecodable_frames", 1);
        let mut oversize = u32::try_from(FRAME_BYTES_MAX + 1)
            .expect("cap fits a u32")
            .to_be_bytes()
            .to_vec();
        oversize.extend_from_slice(&[0u8; 64]);
        self.to_all(&mut out, &oversize);
        self.report.add("oversize_frames", 1);

        // Gossip: junk batches, a replayed honest batch, and floods of invalid events.
        let junk = request_frame(&Request::Batch(Bytes(vec![0x9f, 0x01, n as u8])));
        self.to_all(&mut out, &junk);
        self.report.add("undecodable_batches", 1);
        if let Some(b) = &self.honest_batch {
            let f = request_frame(&Request::Batch(Bytes(b.clone())));
            self.to_all(&mut out, &f);
            self.report.add("replayed_batches", 1);
        }
        let flood = self.invalid_events(n);
        let count = flood.len() as u64;
        let f = request_frame(&Request::Batch(Bytes(EventBatch::encode(&flood).bytes)));
        self.to_all(&mut out, &f);
        self.report.add("invalid_events_flooded", count);
        out
    }

    fn send_timeout(
        &self,
        timeout: Timeout,
        last_tc: Option<tradeledger_types::TimeoutCertificate>,
        out: &mut Out,
    ) {
        let msg = ConsensusMessage::Timeout(Box::new(TimeoutMessage { timeout, last_tc }));
        self.to_all(out, &consensus_frame(&msg));
    }

    /// Events with broken signatures from fresh signers, a few signed for another chain, and
    /// replays of honest events.
    fn invalid_events(&self, n: u64) -> Vec<SignedEvent> {
        let mut out = Vec::with_capacity(FLOOD_EVENTS + 8);
        for i in 0..FLOOD_EVENTS as u64 {
            let mut seed = [0x5a; 32];
            seed[..8].copy_from_slice(&n.to_be_bytes());
            seed[8..16].copy_from_slice(&i.to_be_bytes());
            let key = SecretKey::from_seed(seed);
            let chain_id = if i % 16 == 0 {
                "another-chain".to_owned()
            } else {
                self.cfg.chain_id.clone()
            };
            let mut e = EventBody {
                chain_id,
                signer: key.public(),
                seq: 1,
                payload: Payload::ShipmentDeclaration(testkit::declaration(&format!(
                    "JUNK-{n}-{i}"
                ))),
            }
            .sign(&key);
            if i % 16 != 0 {
                e.signature = forge::corrupt(&e.signature);
            }
            out.push(e);
        }
        out.extend(self.honest_events.iter().take(8).cloned());
        out
    }
}
