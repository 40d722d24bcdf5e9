//! The consensus driver: a dedicated OS thread that owns the consensus state machine and the
//! executor, feeds the core its inputs and carries out its effects **in order**.
//!
//! RocksDB and signature checks run on this thread, never on the async runtime. The ordering
//! contract of the core is kept by construction: effects run one after the other, and
//! `PersistSafety` returns only after a synced write, so a vote that follows it in the list
//! leaves only after its safety data is on disk. A storage failure or a state root mismatch
//! halts the node (log, then exit with status 2): it never goes on with a state that may
//! differ from its peers'.

mod commit;
mod effects;
mod timers;
mod validate;

use crate::execution::{Executor, Halt};
use crate::feed::FeedItem;
use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::network::NetworkHandle;
use crate::status::{self, SharedStatus};
use crate::storage::Store;
use libp2p::PeerId;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use timers::Timers;
use tokio::sync::broadcast;
use tradeledger_consensus::{
    CertifiedBlock, Consensus, ConsensusConfig, ConsensusMessage, Input, Recovery, SafetyData,
};
use tradeledger_types::{Hash32, PublicKey, SecretKey};

/// Capacity of the driver's input queue.
pub const INPUT_QUEUE: usize = 4096;
/// Committed blocks handed to the core on (re)start, to serve peers that sync.
pub const RECOVERY_BLOCKS: u64 = 256;
/// Longest wait for an input before the driver looks at its timers and the shutdown flag.
const IDLE_WAKE: Duration = Duration::from_millis(50);
/// How often the driver looks at the mempool while a proposal waits for events.
const DEFERRED_WAKE: Duration = Duration::from_millis(2);
/// In-flight marks on mempool events older than this are dropped (a fallback; commits release
/// the marks of abandoned blocks first).
const INFLIGHT_MAX_AGE_MS: u64 = 10_000;
/// Exit status of a halted node.
pub const HALT_EXIT_CODE: i32 = 2;

/// What other tasks send the driver.
#[derive(Debug)]
pub enum DriverInput {
    /// A consensus message from a validator's peer id.
    Consensus {
        /// The sender.
        from: PeerId,
        /// The message bytes.
        bytes: Vec<u8>,
    },
    /// Committed blocks fetched by catch-up sync (not yet verified), in increasing height.
    Synced {
        /// The peer that served them.
        from: PeerId,
        /// The blocks, each with the QC on it.
        blocks: Vec<CertifiedBlock>,
    },
}

/// Everything the driver needs.
pub struct DriverParts {
    /// Consensus configuration (from genesis).
    pub cfg: ConsensusConfig,
    /// This validator's key.
    pub key: SecretKey,
    /// Storage.
    pub store: Store,
    /// Executor (opened, genesis state written).
    pub executor: Executor,
    /// Mempool.
    pub mempool: Arc<Mempool>,
    /// Network.
    pub net: NetworkHandle,
    /// Validators' consensus keys and peer ids.
    pub validator_peers: Vec<(PublicKey, PeerId)>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Status published for the API.
    pub status: SharedStatus,
    /// Feed of committed events and flags.
    pub feed: broadcast::Sender<FeedItem>,
    /// Inputs.
    pub inputs: Receiver<DriverInput>,
    /// Set when the node shuts down.
    pub shutdown: Arc<AtomicBool>,
}

/// The driver's state.
pub struct Driver {
    core: Consensus,
    cfg: ConsensusConfig,
    store: Store,
    executor: Executor,
    mempool: Arc<Mempool>,
    net: NetworkHandle,
    peer_of: HashMap<PublicKey, PeerId>,
    key_of: HashMap<PeerId, PublicKey>,
    metrics: Arc<Metrics>,
    status: SharedStatus,
    feed: broadcast::Sender<FeedItem>,
    timers: Timers,
    queue: VecDeque<Input>,
    /// A proposal held back while the network is idle (see [`effects`]).
    deferred: Option<effects::Deferred>,
    /// The block just validated (and voted for, if the safety rules allowed): executed
    /// speculatively once the vote has left, see [`Driver::execute_ahead`].
    execute_next: Option<Hash32>,
    /// Blocks of [`tradeledger_consensus::Effect::PersistBlocks`], written with the next
    /// safety record.
    blocks_to_persist: Vec<tradeledger_types::Block>,
}

/// Logs the reason and exits the process with [`HALT_EXIT_CODE`].
pub fn halt(reason: &Halt) -> ! {
    tracing::error!(%reason, "HALT: this node stops rather than diverge from its peers");
    eprintln!("tradeledger: HALT: {reason}");
    std::process::exit(HALT_EXIT_CODE)
}

/// What the core needs to resume: safety data, the last committed blocks and the uncommitted
/// blocks stored with the safety data. Blocking.
fn recovery(store: &Store) -> Result<Recovery, Halt> {
    let safety = match store.safety()? {
        None => SafetyData::default(),
        Some(bytes) => SafetyData::decode(&bytes).map_err(|e| {
            Halt::Storage(crate::storage::StorageError::Corrupt {
                what: "safety data",
                cf: "safety",
                detail: e.to_string(),
            })
        })?,
    };
    let height = store.committed_height()?;
    let mut committed = Vec::new();
    for h in height.saturating_sub(RECOVERY_BLOCKS - 1).max(1)..=height {
        let missing = |what| crate::storage::StorageError::Corrupt {
            what,
            cf: "blocks",
            detail: format!("height {h}"),
        };
        let block = store.block(h)?.ok_or_else(|| missing("committed block"))?;
        let qc = store
            .certificate(h)?
            .ok_or_else(|| missing("certificate"))?;
        committed.push(CertifiedBlock { block, qc });
    }
    let uncommitted = store.uncommitted_blocks_above(height)?;
    Ok(Recovery {
        safety,
        committed,
        uncommitted,
    })
}

/// A core resumed from what storage holds, its uncommitted blocks also handed to the executor,
/// which runs them speculatively when consensus builds on them. Blocking.
fn resume_core(
    cfg: &ConsensusConfig,
    key: &SecretKey,
    store: &Store,
    executor: &mut Executor,
) -> Result<Consensus, Halt> {
    let recovery = recovery(store)?;
    for block in &recovery.uncommitted {
        executor.remember(block.clone());
    }
    Consensus::new(cfg.clone(), key.clone(), recovery).map_err(|e| {
        Halt::Storage(crate::storage::StorageError::Task(format!(
            "consensus cannot start: {e}"
        )))
    })
}

impl Driver {
    /// Builds the core from what storage holds. Blocking.
    pub fn new(
        mut parts: DriverParts,
    ) -> Result<(Driver, Receiver<DriverInput>, Arc<AtomicBool>), Halt> {
        let core = resume_core(&parts.cfg, &parts.key, &parts.store, &mut parts.executor)?;
        let driver = Driver {
            core,
            cfg: parts.cfg,
            store: parts.store,
            executor: parts.executor,
            mempool: parts.mempool,
            net: parts.net,
            peer_of: parts.validator_peers.iter().copied().collect(),
            key_of: parts
                .validator_peers
                .iter()
                .map(|(k, p)| (*p, *k))
                .collect(),
            metrics: parts.metrics,
            status: parts.status,
            feed: parts.feed,
            timers: Timers::default(),
            queue: VecDeque::new(),
            deferred: None,
            execute_next: None,
            blocks_to_persist: Vec::new(),
        };
        Ok((driver, parts.inputs, parts.shutdown))
    }

    /// Runs until shutdown is flagged or every input sender is gone. Halts the process on a
    /// storage failure or a root mismatch.
    pub fn run(mut self, inputs: Receiver<DriverInput>, shutdown: Arc<AtomicBool>) {
        let (height, hash) = self.executor.tip();
        status::update(&self.status, |s| {
            s.height = height;
            s.tip_hash = Some(hash);
        });
        self.metrics.height.store(height, Ordering::Relaxed);
        self.push(Input::Start {
            now_ms: crate::time::now_ms(),
        });
        self.drain();
        loop {
            if shutdown.load(Ordering::Relaxed) {
                break;
            }
            // While a proposal waits for events, look at the mempool often.
            let wake = if self.deferred.is_some() {
                DEFERRED_WAKE
            } else {
                IDLE_WAKE
            };
            let wait = self.timers.until_next().map_or(wake, |d| d.min(wake));
            match inputs.recv_timeout(wait) {
                Ok(input) => self.on_input(input),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            for round in self.timers.expired() {
                // Every round arms a timer and none is cancelled: only the current round's
                // expiring is a timeout (the core ignores the others).
                if round == self.core.round() {
                    tracing::debug!(round, "round timed out");
                    self.metrics.round_timeouts.fetch_add(1, Ordering::Relaxed);
                }
                self.push(Input::Timeout { round });
            }
            if let Err(reason) = self.release_deferred(true) {
                halt(&reason);
            }
            self.drain();
            if let Err(reason) = self.execute_ahead() {
                halt(&reason);
            }
            self.mempool
                .lock()
                .expire_inflight(crate::time::now_ms(), INFLIGHT_MAX_AGE_MS);
            self.publish();
        }
        tracing::info!("consensus driver stopped");
    }

    fn push(&mut self, input: Input) {
        self.queue.push_back(input);
    }

    /// Feeds queued inputs (and the answers they cause) to the core.
    fn drain(&mut self) {
        while let Some(input) = self.queue.pop_front() {
            self.core.handle(Input::Tick {
                now_ms: crate::time::now_ms(),
            });
            let effects = self.core.handle(input);
            for effect in effects {
                if let Err(halt_reason) = self.execute(effect) {
                    halt(&halt_reason);
                }
            }
        }
    }

    /// Executes the block validated last, now that its vote has left: the next leader needs
    /// its roots for the next proposal, and every validator for checking that proposal. Done
    /// here, the execution overlaps the votes' round trip instead of following it (a round's
    /// critical path loses one block execution at the leader and one at each validator).
    fn execute_ahead(&mut self) -> Result<(), Halt> {
        let Some(hash) = self.execute_next.take() else {
            return Ok(());
        };
        let started = Instant::now();
        self.executor.execute_speculative(&hash)?;
        tracing::debug!(%hash, ms = started.elapsed().as_millis() as u64, "executed ahead");
        Ok(())
    }

    fn on_input(&mut self, input: DriverInput) {
        match input {
            DriverInput::Consensus { from, bytes } => {
                let Some(key) = self.key_of.get(&from).copied() else {
                    self.metrics
                        .consensus_dropped
                        .inc("peer_not_in_validator_set");
                    return;
                };
                match ConsensusMessage::decode(&bytes) {
                    Ok(msg) => {
                        tracing::debug!(kind = msg.kind(), from = %key, bytes = bytes.len(), round = self.core.round(), "consensus message in");
                        self.observe_message(&msg);
                        self.push(Input::Message { from: key, msg });
                    }
                    Err(e) => {
                        tracing::debug!(peer = %from, error = %e, "undecodable consensus message");
                        self.metrics.consensus_dropped.inc("malformed");
                    }
                }
            }
            DriverInput::Synced { from, blocks } => self.hand_synced(from, blocks),
        }
    }

    /// Remembers blocks carried by messages, so they can be executed speculatively.
    fn observe_message(&mut self, msg: &ConsensusMessage) {
        match msg {
            ConsensusMessage::Proposal(p) => self.executor.remember(p.block.clone()),
            ConsensusMessage::SyncResponse(r) => {
                for b in &r.blocks {
                    self.executor.remember(b.clone());
                }
            }
            _ => {}
        }
    }

    fn publish(&self) {
        let round = self.core.round();
        self.metrics.round.store(round, Ordering::Relaxed);
        for (reason, count) in self.core.drops().iter() {
            self.metrics
                .consensus_dropped
                .set(&snake_case(&format!("{reason:?}")), count);
        }
        status::update(&self.status, |s| s.round = round);
    }
}

/// `BadSignature` → `bad_signature`, for metric labels.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn drop_reasons_become_snake_case_labels() {
        assert_eq!(super::snake_case("BadSignature"), "bad_signature");
        assert_eq!(super::snake_case("StaleRound"), "stale_round");
    }
}
