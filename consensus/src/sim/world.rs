//! The simulated world: instances, the network, the fault schedule and the checkers.

use std::collections::{BTreeMap, BTreeSet};

use tradeledger_types::{
    Block, Hash32, QuorumCertificate, SecretKey, ValidatorInfo, ValidatorSet, Vote, VoteData,
    domain::sha256,
};

use super::byzantine::Behaviour;
use super::checker::{Agreement, Ghost, QcCache, Violation, check_commit};
use super::queue::{Event, Queue};
use super::rng::SimRng;
use super::{FaultCounts, SimConfig, SimReport};
use crate::config::{CertifiedBlock, ConsensusConfig, Recovery};
use crate::effect::Effect;
use crate::input::Input;
use crate::limits::COMMITTED_WINDOW_BLOCKS;
use crate::message::ConsensusMessage;
use crate::safety_rules::SafetyData;
use crate::state_machine::Consensus;

/// Safety valve: a run that needs more events than this is reported as a liveness failure.
const EVENTS_MAX: u64 = 20_000_000;
/// Simulated clock at genesis.
const GENESIS_TIME_MS: u64 = 1_700_000_000_000;
/// Delay of the node's own answers (payload, validation).
const LOCAL_DELAY_MS: u64 = 1;

/// The state root the simulated application computes after executing up to `parent`.
pub(super) fn app_root(parent: &Hash32) -> Hash32 {
    let mut b = b"tradeledger-sim/state\0".to_vec();
    b.extend_from_slice(&parent.0);
    sha256(&b)
}

const BAD_ROOT: Hash32 = Hash32([0xBA; 32]);

pub(super) struct Node {
    pub(super) key: SecretKey,
    pub(super) behaviour: Option<Behaviour>,
    pub(super) core: Option<Consensus>,
    pub(super) generation: u64,
    pub(super) persisted: SafetyData,
    pub(super) stored: Vec<CertifiedBlock>,
    /// Blocks stored for `Effect::PersistBlocks`, dropped once their height commits.
    pub(super) uncommitted: BTreeMap<Hash32, Block>,
    pub(super) tip: (Hash32, u64),
    pub(super) skew_ms: u64,
    pub(super) heal_round: u64,
    pub(super) heal_height: u64,
    pub(super) live: bool,
    pub(super) crafted: BTreeMap<Hash32, Block>,
    pub(super) byz_votes: BTreeMap<VoteData, Vec<Vote>>,
    pub(super) byz_qcs: BTreeMap<Hash32, QuorumCertificate>,
    pub(super) voted: BTreeSet<Hash32>,
}

impl Node {
    fn honest(&self) -> bool {
        self.behaviour.is_none()
    }
}

pub(crate) struct World<'a> {
    pub(super) cfg: &'a SimConfig,
    pub(super) ccfg: ConsensusConfig,
    pub(super) rng: SimRng,
    pub(super) queue: Queue,
    pub(super) now_ms: u64,
    pub(super) nodes: Vec<Node>,
    pub(super) groups: Option<Vec<u8>>,
    pub(super) drop_per_mille: u32,
    pub(super) healed_at: Option<u64>,
    pub(super) agreement: Agreement,
    pub(super) ghost: Ghost,
    pub(super) qc_cache: QcCache,
    pub(super) events: u64,
    pub(super) report: SimReport,
}

impl<'a> World<'a> {
    pub fn new(cfg: &'a SimConfig) -> Self {
        let mut rng = SimRng::new(cfg.seed);
        let keys: Vec<SecretKey> = (0..cfg.validators)
            .map(|i| {
                let mut seed = b"tradeledger-sim/key\0".to_vec();
                seed.extend_from_slice(&(i as u64).to_be_bytes());
                SecretKey::from_seed(sha256(&seed).0)
            })
            .collect();
        let infos = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("v{i}"),
                org: "sim".into(),
                consensus_key: k.public(),
                peer_id: format!("peer-{i}"),
                voting_power: 1,
            })
            .collect();
        let validators = ValidatorSet::new(infos).expect("simulated validator set is valid");
        let chain_id = format!("sim-{}", cfg.seed);
        let ccfg = ConsensusConfig {
            genesis_hash: sha256(chain_id.as_bytes()),
            chain_id,
            validators,
            params: cfg.params.clone(),
            genesis_time_ms: GENESIS_TIME_MS,
        };
        // Pick the Byzantine validators and their behaviours.
        let mut byz: BTreeMap<usize, Behaviour> = BTreeMap::new();
        let f = cfg.byzantine.min(cfg.validators.saturating_sub(1) / 3);
        while byz.len() < f && !cfg.behaviours.is_empty() {
            let v = rng.index(cfg.validators);
            let b = cfg.behaviours[rng.index(cfg.behaviours.len())];
            byz.entry(v).or_insert(b);
        }
        let mut nodes = Vec::new();
        let mut faults = FaultCounts::default();
        for (i, key) in keys.iter().enumerate() {
            let behaviour = byz.get(&i).copied();
            let copies = if behaviour == Some(Behaviour::Twins) {
                2
            } else {
                1
            };
            faults.twins += copies - 1;
            for _ in 0..copies {
                nodes.push(Node {
                    key: key.clone(),
                    behaviour,
                    core: None,
                    generation: 0,
                    persisted: SafetyData::default(),
                    stored: Vec::new(),
                    uncommitted: BTreeMap::new(),
                    tip: (ccfg.genesis_hash, 0),
                    skew_ms: rng.below(cfg.params.block_time_drift_max_ms / 4 + 1),
                    heal_round: 0,
                    heal_height: 0,
                    live: false,
                    crafted: BTreeMap::new(),
                    byz_votes: BTreeMap::new(),
                    byz_qcs: BTreeMap::new(),
                    voted: BTreeSet::new(),
                });
            }
        }
        let report = SimReport {
            seed: cfg.seed,
            behaviours: byz.values().copied().collect(),
            blocks_committed: 0,
            rounds: 0,
            messages_delivered: 0,
            inputs_processed: 0,
            faults,
            violations: Vec::new(),
            liveness_failure: None,
            sim_time_ms: 0,
        };
        let drop_per_mille = rng.range(0, u64::from(cfg.drop_per_mille_max)) as u32;
        World {
            cfg,
            ccfg,
            rng,
            queue: Queue::default(),
            now_ms: 0,
            nodes,
            groups: None,
            drop_per_mille,
            healed_at: None,
            agreement: Agreement::default(),
            ghost: Ghost::default(),
            qc_cache: QcCache::default(),
            events: 0,
            report,
        }
    }

    pub fn run(mut self) -> SimReport {
        self.schedule_faults();
        for i in 0..self.nodes.len() {
            self.start(i);
        }
        while let Some((at, event)) = self.queue.pop() {
            self.now_ms = at;
            self.events += 1;
            if self.events > EVENTS_MAX {
                self.report.liveness_failure =
                    Some(format!("event budget of {EVENTS_MAX} exhausted"));
                break;
            }
            self.dispatch(event);
            if !self.report.violations.is_empty() || self.report.liveness_failure.is_some() {
                break;
            }
            if self.healed_at.is_some() && self.liveness_done() {
                break;
            }
        }
        self.finish()
    }

    fn finish(mut self) -> SimReport {
        self.report.blocks_committed = self.agreement.highest();
        self.report.rounds = self
            .nodes
            .iter()
            .filter(|n| n.honest())
            .filter_map(|n| n.core.as_ref())
            .map(|c| c.round())
            .max()
            .unwrap_or(0);
        self.report.sim_time_ms = self.now_ms;
        self.report
    }

    fn schedule_faults(&mut self) {
        let phase = self.cfg.fault_phase_ms;
        if self.cfg.partitions && phase > 0 {
            for _ in 0..self.rng.range(1, 3) {
                let start = self.rng.below(phase);
                let end = (start + self.rng.range(200, 2_000)).min(phase);
                let mut groups: Vec<u8> = (0..self.nodes.len())
                    .map(|_| self.rng.below(2) as u8)
                    .collect();
                // Twins go to opposite sides.
                for i in 1..self.nodes.len() {
                    if self.nodes[i].key.public() == self.nodes[i - 1].key.public() {
                        groups[i] = 1 - groups[i - 1];
                    }
                }
                self.queue.push(start, Event::Partition { groups });
                self.queue.push(end, Event::Unpartition);
            }
        }
        if self.cfg.crashes && phase > 0 {
            let honest: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].honest())
                .collect();
            for _ in 0..self.rng.range(0, 2) {
                let node = honest[self.rng.index(honest.len())];
                let at = self.rng.below(phase);
                self.queue.push(at, Event::Crash { node });
                self.queue
                    .push(at + self.rng.range(100, 1_500), Event::Restart { node });
            }
        }
        if self.cfg.full_restarts && phase > 0 && self.rng.below(3) == 0 {
            // Every honest validator stops at once (a coordinated upgrade, a power cut) and
            // comes back on its own: only what each persisted survives.
            let at = self.rng.below(phase);
            self.queue.push(at, Event::FullRestart);
            for node in 0..self.nodes.len() {
                if self.nodes[node].honest() {
                    self.queue.push(at, Event::Crash { node });
                    self.queue
                        .push(at + self.rng.range(100, 1_500), Event::Restart { node });
                }
            }
        }
        self.queue.push(phase, Event::Heal);
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Deliver {
                to,
                from_node,
                from,
                msg,
            } => {
                let cut = self.groups.as_ref().is_some_and(|g| g[from_node] != g[to]);
                if cut {
                    self.report.faults.dropped += 1;
                    return;
                }
                if self.nodes[to].core.is_some() {
                    self.report.messages_delivered += 1;
                    self.step(to, Input::Message { from, msg });
                }
            }
            Event::Local {
                node,
                generation,
                input,
            } => {
                if self.nodes[node].generation == generation {
                    self.step(node, input);
                }
            }
            Event::Crash { node } => {
                if self.healed_at.is_none() && self.nodes[node].core.is_some() {
                    self.nodes[node].core = None;
                    self.nodes[node].generation += 1;
                    self.report.faults.crashes += 1;
                }
            }
            Event::Restart { node } => self.restart(node),
            Event::FullRestart => {
                if self.healed_at.is_none() {
                    self.report.faults.full_restarts += 1;
                }
            }
            Event::Partition { groups } => {
                if self.healed_at.is_none() {
                    self.groups = Some(groups);
                    self.report.faults.partitions += 1;
                }
            }
            Event::Unpartition => self.groups = None,
            Event::Heal => self.heal(),
        }
    }

    fn new_core(&self, node: usize) -> Consensus {
        let n = &self.nodes[node];
        let from = n.stored.len().saturating_sub(COMMITTED_WINDOW_BLOCKS);
        let recovery = Recovery {
            safety: n.persisted.clone(),
            committed: n.stored[from..].to_vec(),
            uncommitted: n.uncommitted.values().cloned().collect(),
        };
        #[allow(unused_mut)]
        let mut core = Consensus::new(self.ccfg.clone(), n.key.clone(), recovery)
            .expect("recovery from the node's own storage");
        #[cfg(test)]
        if let (Some(rule), true) = (self.cfg.broken, n.honest()) {
            core.break_safety_rule(rule);
        }
        core
    }

    fn start(&mut self, node: usize) {
        let core = self.new_core(node);
        self.nodes[node].core = Some(core);
        let now = self.now_ms + GENESIS_TIME_MS + self.nodes[node].skew_ms;
        self.step(node, Input::Start { now_ms: now });
    }

    fn restart(&mut self, node: usize) {
        if self.nodes[node].core.is_none() {
            self.start(node);
        }
    }

    fn heal(&mut self) {
        self.groups = None;
        self.healed_at = Some(self.now_ms);
        for i in 0..self.nodes.len() {
            self.restart(i);
        }
        for n in &mut self.nodes {
            if let Some(core) = &n.core {
                n.heal_round = core.round();
                n.heal_height = n.tip.1;
            }
        }
    }

    fn liveness_done(&mut self) -> bool {
        let Some(healed_at) = self.healed_at else {
            return false;
        };
        let mut all = true;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if !n.honest() || n.live {
                continue;
            }
            let Some(core) = &n.core else { continue };
            if n.tip.1 >= n.heal_height + self.cfg.liveness_commits {
                n.live = true;
                continue;
            }
            all = false;
            let rounds = core.round().saturating_sub(n.heal_round);
            if rounds > self.cfg.liveness_rounds_max {
                self.report.liveness_failure = Some(format!(
                    "instance {i} made {} of {} commits in {rounds} rounds after the network healed",
                    n.tip.1 - n.heal_height,
                    self.cfg.liveness_commits
                ));
                return true;
            }
            if self.now_ms > healed_at + self.cfg.liveness_phase_ms_max {
                self.report.liveness_failure = Some(format!(
                    "instance {i} made {} of {} commits in {} ms after the network healed",
                    n.tip.1 - n.heal_height,
                    self.cfg.liveness_commits,
                    self.now_ms - healed_at
                ));
                return true;
            }
        }
        all
    }

    /// Feeds one input to an instance (with its clock) and carries out the effects.
    fn step(&mut self, node: usize, input: Input) {
        let now = self.now_ms + GENESIS_TIME_MS + self.nodes[node].skew_ms;
        self.byzantine_input(node, &input);
        let Some(core) = self.nodes[node].core.as_mut() else {
            return;
        };
        core.handle(Input::Tick { now_ms: now });
        let effects = core.handle(input);
        self.report.inputs_processed += 1;
        for e in effects {
            self.apply(node, e);
        }
    }

    fn local(&mut self, node: usize, delay_ms: u64, input: Input) {
        let generation = self.nodes[node].generation;
        self.queue.push(
            self.now_ms + delay_ms,
            Event::Local {
                node,
                generation,
                input,
            },
        );
    }

    fn apply(&mut self, node: usize, effect: Effect) {
        let behaviour = self.nodes[node].behaviour;
        match effect {
            Effect::PersistSafety(data) => {
                if data.last_vote != self.nodes[node].persisted.last_vote
                    && let Some(v) = &data.last_vote
                {
                    self.observe_vote(v);
                }
                self.nodes[node].persisted = *data;
            }
            Effect::PersistBlocks(blocks) => {
                for b in blocks {
                    self.nodes[node].uncommitted.insert(b.hash(), b);
                }
            }
            Effect::Send { to, msg } => {
                self.check_persisted(node, &msg);
                if behaviour == Some(Behaviour::WithholdVotes)
                    && matches!(msg, ConsensusMessage::Vote(_))
                {
                    self.report.faults.withheld_votes += 1;
                    return;
                }
                self.observe(&msg);
                self.send_to_key(node, to, msg);
            }
            Effect::Broadcast(msg) => {
                self.check_persisted(node, &msg);
                if let (Some(Behaviour::Equivocate), ConsensusMessage::Proposal(p)) =
                    (behaviour, &msg)
                {
                    let p = (**p).clone();
                    return self.equivocate(node, p);
                }
                self.observe(&msg);
                for j in 0..self.nodes.len() {
                    if j != node {
                        self.transmit(node, j, msg.clone());
                    }
                }
            }
            Effect::Commit(commit) => {
                if self.nodes[node].honest() {
                    let tip = self.nodes[node].tip;
                    let checked = check_commit(
                        node,
                        tip,
                        &commit,
                        &self.ccfg.chain_id,
                        &self.ccfg.validators,
                        &mut self.qc_cache,
                    );
                    match checked {
                        Ok(t) => self.nodes[node].tip = t,
                        Err(v) => self.report.violations.push(v),
                    }
                    for b in &commit.blocks {
                        if let Some(v) = self.agreement.record(b.header.height, b.hash()) {
                            self.report.violations.push(v);
                        }
                    }
                } else {
                    self.nodes[node].tip = (
                        commit.blocks.last().map_or(Hash32::ZERO, Block::hash),
                        commit.tip_height(),
                    );
                }
                let top = commit.tip_height();
                self.nodes[node]
                    .uncommitted
                    .retain(|_, b| b.header.height > top);
                let stored = &mut self.nodes[node].stored;
                stored.extend(commit.certified_blocks());
                if stored.len() > 2 * COMMITTED_WINDOW_BLOCKS {
                    stored.drain(..COMMITTED_WINDOW_BLOCKS);
                }
            }
            Effect::SetTimer { round, duration_ms } => {
                self.local(node, duration_ms, Input::Timeout { round })
            }
            Effect::RequestPayload {
                round, parent_hash, ..
            } => {
                let state_root = if behaviour == Some(Behaviour::InvalidBlocks) {
                    // Its own core votes for it without asking: a vote for an invalid block.
                    self.report.faults.invalid_proposals += 1;
                    self.report.faults.invalid_votes += 1;
                    BAD_ROOT
                } else {
                    app_root(&parent_hash)
                };
                let input = Input::Payload {
                    round,
                    parent_hash,
                    events: Vec::new(),
                    state_root,
                    results_root: Hash32::ZERO,
                };
                self.local(node, LOCAL_DELAY_MS, input);
            }
            Effect::ValidateBlock { block, .. } => {
                let mut valid = block.header.state_root == app_root(&block.header.parent_hash);
                if behaviour == Some(Behaviour::InvalidBlocks) && !valid {
                    self.report.faults.invalid_votes += 1;
                    valid = true;
                }
                self.local(
                    node,
                    LOCAL_DELAY_MS,
                    Input::BlockValidated {
                        hash: block.hash(),
                        valid,
                    },
                );
            }
            Effect::RequestSync { from, request } => {
                self.send_to_key(node, from, ConsensusMessage::SyncRequest(request));
            }
        }
    }

    /// Persist-before-send: a vote or timeout leaving an honest instance must already be covered
    /// by its persisted safety data.
    fn check_persisted(&mut self, node: usize, msg: &ConsensusMessage) {
        if !self.nodes[node].honest() {
            return;
        }
        let p = &self.nodes[node].persisted;
        let round_ok = match msg {
            ConsensusMessage::Vote(v) => Some(
                p.last_voted_round >= v.data.round
                    && p.last_vote
                        .as_ref()
                        .is_some_and(|l| l.data.round >= v.data.round),
            )
            .map(|ok| (ok, v.data.round)),
            ConsensusMessage::Timeout(t) => Some((
                p.highest_timeout_round >= t.timeout.data.round,
                t.timeout.data.round,
            )),
            _ => None,
        };
        if let Some((false, round)) = round_ok {
            self.report
                .violations
                .push(Violation::SentBeforePersist { node, round });
        }
    }

    pub(super) fn observe(&mut self, msg: &ConsensusMessage) {
        #[cfg(test)]
        if !self.cfg.ghost {
            return;
        }
        match msg {
            ConsensusMessage::Proposal(p) => {
                if let Some(v) = self.ghost.observe_block(&p.block) {
                    self.report.violations.push(v);
                }
            }
            ConsensusMessage::Vote(v) => self.observe_vote(v),
            _ => {}
        }
    }

    fn observe_vote(&mut self, vote: &Vote) {
        #[cfg(test)]
        if !self.cfg.ghost {
            return;
        }
        if let Some(index) = self.ccfg.validators.index_of(&vote.voter)
            && let Some(v) = self.ghost.observe_vote(&self.ccfg.validators, index, vote)
        {
            self.report.violations.push(v);
        }
    }

    pub(super) fn send_to_key(
        &mut self,
        from_node: usize,
        to: tradeledger_types::PublicKey,
        msg: ConsensusMessage,
    ) {
        for j in 0..self.nodes.len() {
            if j != from_node && self.nodes[j].key.public() == to {
                self.transmit(from_node, j, msg.clone());
            }
        }
    }

    pub(super) fn transmit(&mut self, from_node: usize, to: usize, msg: ConsensusMessage) {
        let faulty = self.healed_at.is_none();
        if faulty && self.rng.chance(self.drop_per_mille) {
            self.report.faults.dropped += 1;
            return;
        }
        let from = self.nodes[from_node].key.public();
        let delay = self.rng.range(1, self.cfg.delay_ms_max);
        if faulty && self.rng.chance(self.cfg.duplicate_per_mille) {
            self.report.faults.duplicated += 1;
            let again = self.rng.range(1, self.cfg.delay_ms_max);
            self.queue.push(
                self.now_ms + again,
                Event::Deliver {
                    to,
                    from_node,
                    from,
                    msg: msg.clone(),
                },
            );
        }
        self.queue.push(
            self.now_ms + delay,
            Event::Deliver {
                to,
                from_node,
                from,
                msg,
            },
        );
    }
}
