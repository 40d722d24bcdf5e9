//! A deterministic simulator that runs many validators' real [`Consensus`](crate::Consensus)
//! cores in one thread, with real ed25519 signatures, over a seeded network.
//!
//! A run has two phases. In the **fault phase** the network delays, drops, duplicates and
//! reorders messages, splits into partitions and heals, and honest validators crash and restart
//! keeping only what they persisted. Byzantine validators misbehave throughout: an equivocating
//! leader, a double voter, a validator that proposes and votes for invalid blocks, one that
//! withholds its votes, and Twins (two instances sharing one key, put on opposite sides of every
//! partition). In the **liveness phase** the network is healthy (Byzantine validators keep
//! misbehaving) and every honest validator must commit new blocks within a bounded number of
//! rounds.
//!
//! Checkers run on every effect: honest validators never commit different blocks at one height
//! (so committed chains are prefixes of each other), every commit continues the validator's
//! chain and is backed by valid certificates, no vote or timeout leaves before the safety data
//! it depends on is persisted, and a global observer flags conflicting 2-chain commit
//! certificates as soon as the votes for them exist. Any failing seed replays exactly:
//! `cargo run -p tradeledger-consensus --release --example sim -- --seed-start S --seeds 1`.

mod byzantine;
mod checker;
mod queue;
mod rng;
mod world;

pub use byzantine::Behaviour;
pub use checker::Violation;
pub use rng::SimRng;

use tradeledger_types::ConsensusParams;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The seed: the whole run is a function of it and this config.
    pub seed: u64,
    /// Validators (equal voting power).
    pub validators: usize,
    /// Byzantine validators, at most ⌊(validators − 1)/3⌋.
    pub byzantine: usize,
    /// Behaviours the Byzantine validators draw from (each draws one).
    pub behaviours: Vec<Behaviour>,
    /// Length of the fault phase (simulated ms).
    pub fault_phase_ms: u64,
    /// New commits each honest validator must make after the network heals.
    pub liveness_commits: u64,
    /// Rounds each honest validator may take to make them.
    pub liveness_rounds_max: u64,
    /// Simulated time allowed for the liveness phase.
    pub liveness_phase_ms_max: u64,
    /// Message delay is uniform in `1..=delay_ms_max`.
    pub delay_ms_max: u64,
    /// Upper bound of the per-run message loss rate in the fault phase, per mille.
    pub drop_per_mille_max: u32,
    /// Message duplication rate in the fault phase, per mille.
    pub duplicate_per_mille: u32,
    /// Whether the fault phase partitions the network.
    pub partitions: bool,
    /// Whether the fault phase crashes and restarts honest validators.
    pub crashes: bool,
    /// Whether the fault phase may stop every honest validator at once (in a third of the
    /// runs), each restarting from what it persisted.
    pub full_restarts: bool,
    /// Consensus parameters of the simulated chain.
    pub params: ConsensusParams,
    /// Test-only: honest validators run with a broken safety rule.
    #[cfg(test)]
    pub(crate) broken: Option<crate::safety_rules::BrokenRule>,
    /// Test-only: switch off the global observer, to show the per-validator checkers bite too.
    #[cfg(test)]
    pub(crate) ghost: bool,
}

impl SimConfig {
    /// The default fault-heavy configuration for `validators` with `byzantine` of them
    /// Byzantine.
    pub fn new(seed: u64, validators: usize, byzantine: usize) -> Self {
        SimConfig {
            seed,
            validators,
            byzantine,
            behaviours: Behaviour::ALL.to_vec(),
            fault_phase_ms: 4_000,
            liveness_commits: 3,
            liveness_rounds_max: 60,
            liveness_phase_ms_max: 600_000,
            delay_ms_max: 40,
            drop_per_mille_max: 150,
            duplicate_per_mille: 30,
            partitions: true,
            crashes: true,
            full_restarts: true,
            params: ConsensusParams {
                round_timeout_base_ms: 400,
                round_timeout_max_ms: 4_000,
                round_timeout_growth_pct: 150,
                block_events_max: 100,
                block_bytes_max: 1 << 20,
                block_time_drift_max_ms: 1_000,
            },
            #[cfg(test)]
            broken: None,
            #[cfg(test)]
            ghost: true,
        }
    }

    /// A healthy network with no Byzantine validators and no faults (for benchmarks).
    pub fn healthy(seed: u64, validators: usize, duration_ms: u64) -> Self {
        SimConfig {
            byzantine: 0,
            fault_phase_ms: duration_ms,
            liveness_commits: 0,
            drop_per_mille_max: 0,
            duplicate_per_mille: 0,
            partitions: false,
            crashes: false,
            full_restarts: false,
            ..SimConfig::new(seed, validators, 0)
        }
    }
}

/// Faults injected in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Network partitions.
    pub partitions: u64,
    /// Crash-restarts of honest validators.
    pub crashes: u64,
    /// Times every honest validator stopped at once (each also counts in `crashes`).
    pub full_restarts: u64,
    /// Messages lost.
    pub dropped: u64,
    /// Messages duplicated.
    pub duplicated: u64,
    /// Second proposals sent by equivocating leaders.
    pub equivocations: u64,
    /// Extra votes sent by double voters.
    pub double_votes: u64,
    /// Invalid blocks proposed.
    pub invalid_proposals: u64,
    /// Invalid blocks a Byzantine validator accepted (and so voted for).
    pub invalid_votes: u64,
    /// Votes withheld.
    pub withheld_votes: u64,
    /// Twin instances running.
    pub twins: u64,
}

impl FaultCounts {
    /// Sum of all faults.
    pub fn total(&self) -> u64 {
        self.partitions
            + self.crashes
            + self.dropped
            + self.duplicated
            + self.equivocations
            + self.double_votes
            + self.invalid_proposals
            + self.invalid_votes
            + self.withheld_votes
            + self.twins
    }

    /// Adds another run's counts.
    pub fn add(&mut self, o: &FaultCounts) {
        self.partitions += o.partitions;
        self.crashes += o.crashes;
        self.full_restarts += o.full_restarts;
        self.dropped += o.dropped;
        self.duplicated += o.duplicated;
        self.equivocations += o.equivocations;
        self.double_votes += o.double_votes;
        self.invalid_proposals += o.invalid_proposals;
        self.invalid_votes += o.invalid_votes;
        self.withheld_votes += o.withheld_votes;
        self.twins += o.twins;
    }
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct SimReport {
    /// The seed that replays it.
    pub seed: u64,
    /// Byzantine behaviours in play.
    pub behaviours: Vec<Behaviour>,
    /// Highest height committed by an honest validator.
    pub blocks_committed: u64,
    /// Highest round reached by an honest validator.
    pub rounds: u64,
    /// Messages delivered to (and processed by) a running core.
    pub messages_delivered: u64,
    /// Inputs of any kind processed by cores.
    pub inputs_processed: u64,
    /// Faults injected.
    pub faults: FaultCounts,
    /// Safety violations found (empty in a correct run).
    pub violations: Vec<Violation>,
    /// Why liveness failed, if it did.
    pub liveness_failure: Option<String>,
    /// Simulated time at the end.
    pub sim_time_ms: u64,
}

impl SimReport {
    /// True when no safety violation and no liveness failure was found.
    pub fn ok(&self) -> bool {
        self.violations.is_empty() && self.liveness_failure.is_none()
    }
}

/// Runs one simulation.
pub fn run(config: &SimConfig) -> SimReport {
    world::World::new(config).run()
}

#[cfg(test)]
mod tests;
