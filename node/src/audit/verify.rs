//! Verifying a chain from genesis, block by block, trusting nothing but the genesis file.
//!
//! For each block at height h the verifier checks, in order: the height follows; the header is
//! for this chain; the parent hash is the previous block's hash (the genesis hash at h = 1);
//! `justify` certifies the parent; the events match the header's Merkle root and count; every
//! event signature verifies; the certificate names this block and carries signatures of a
//! quorum of the validator set in force; the header's lagged state and results roots equal the
//! ones the verifier computed by re-executing blocks up to h−1 with `contracts`. Then it
//! executes block h itself.

use tradeledger_consensus::CertifiedBlock;
use tradeledger_contracts::{
    MemStore, Store as _, execute_block_with_ids, init_genesis, results_root,
};
use tradeledger_types::{EventId, Genesis, Hash32, QuorumCertificate, ValidatorSet};

/// What is wrong with a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// The block is not at the next height (missing, repeated or reordered blocks).
    #[error("expected height {expected}, got {found}")]
    Height {
        /// Height expected.
        expected: u64,
        /// Height found.
        found: u64,
    },
    /// The header names another chain.
    #[error("header is for chain {0:?}")]
    Chain(String),
    /// The parent hash is not the previous block's hash.
    #[error("parent hash {found} is not the previous block's hash {expected}")]
    ParentHash {
        /// The previous block's hash.
        expected: Hash32,
        /// The header's parent hash.
        found: Hash32,
    },
    /// `justify` does not certify the parent.
    #[error("justify certificate does not certify the parent: {0}")]
    Justify(String),
    /// The events do not match the header's events root or count.
    #[error("events do not match the header's events root / event count")]
    EventsRoot,
    /// An event's signature fails.
    #[error("event {index} ({id}) has a bad signature")]
    EventSignature {
        /// Index in the block.
        index: usize,
        /// Event id.
        id: Hash32,
    },
    /// The certificate names another block.
    #[error(
        "certificate is for block {certified} (height {height}, round {round}), not this block {hash}"
    )]
    CertifiesOther {
        /// Hash certified.
        certified: Hash32,
        /// Height certified.
        height: u64,
        /// Round certified.
        round: u64,
        /// This block's hash.
        hash: Hash32,
    },
    /// The certificate fails (quorum, bitmap, signatures).
    #[error("certificate: {0}")]
    Certificate(String),
    /// The header's state root differs from re-execution.
    #[error(
        "state root {header} in the header, {computed} by re-executing up to height {executed}"
    )]
    StateRoot {
        /// Root in the header.
        header: Hash32,
        /// Root computed.
        computed: Hash32,
        /// Height executed.
        executed: u64,
    },
    /// The header's results root differs from re-execution.
    #[error("results root {header} in the header, {computed} by re-executing height {executed}")]
    ResultsRoot {
        /// Root in the header.
        header: Hash32,
        /// Root computed.
        computed: Hash32,
        /// Height executed.
        executed: u64,
    },
    /// Re-execution itself failed.
    #[error("re-execution failed: {0}")]
    Execution(String),
}

/// The first bad block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("height {height}: {reason}")]
pub struct Failure {
    /// Its height.
    pub height: u64,
    /// What is wrong.
    pub reason: Reason,
}

/// Where the verification stands after the last verified block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    /// Last verified height (0 before any block).
    pub height: u64,
    /// Its hash (the genesis hash at height 0).
    pub hash: Hash32,
    /// State root after executing it.
    pub state_root: Hash32,
    /// Results root of executing it.
    pub results_root: Hash32,
}

/// A chain verifier holding re-executed state in memory.
pub struct ChainVerifier {
    chain_id: String,
    validators: ValidatorSet,
    store: MemStore,
    tip: Tip,
    events_checked: u64,
}

impl ChainVerifier {
    /// A verifier at genesis.
    pub fn new(genesis: &Genesis) -> Result<ChainVerifier, Failure> {
        let fail = |reason| Failure { height: 0, reason };
        let validators = genesis
            .validator_set()
            .map_err(|e| fail(Reason::Execution(e.to_string())))?;
        let mut store = MemStore::new();
        let state_root = init_genesis(&mut store, genesis)
            .map_err(|e| fail(Reason::Execution(e.to_string())))?;
        let tip = Tip {
            height: 0,
            hash: genesis.hash(),
            state_root,
            results_root: results_root(&[]),
        };
        Ok(ChainVerifier {
            chain_id: genesis.chain_id.clone(),
            validators,
            store,
            tip,
            events_checked: 0,
        })
    }

    /// Resumes from a checkpoint (state entries and tip saved after a verified block).
    pub fn resume(
        genesis: &Genesis,
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        tip: Tip,
        events_checked: u64,
    ) -> Result<ChainVerifier, Failure> {
        let mut v = ChainVerifier::new(genesis)?;
        let mut store = MemStore::new();
        for (k, val) in &entries {
            store.put(k, val).map_err(|e| Failure {
                height: tip.height,
                reason: Reason::Execution(e.to_string()),
            })?;
        }
        v.store = store;
        v.tip = tip;
        v.events_checked = events_checked;
        Ok(v)
    }

    /// The last verified block.
    pub fn tip(&self) -> &Tip {
        &self.tip
    }

    /// Events whose signatures and inclusion were checked so far.
    pub fn events_checked(&self) -> u64 {
        self.events_checked
    }

    /// The re-executed state (for checkpoints and shipment reports).
    pub fn store(&self) -> &MemStore {
        &self.store
    }

    /// Checks the certificate of a block: names it and holds a quorum of the validator set.
    pub fn check_certificate(
        &self,
        block_hash: Hash32,
        height: u64,
        round: u64,
        qc: &QuorumCertificate,
    ) -> Result<(), Reason> {
        let d = &qc.data;
        if d.block_hash != block_hash || d.height != height || d.round != round {
            return Err(Reason::CertifiesOther {
                certified: d.block_hash,
                height: d.height,
                round: d.round,
                hash: block_hash,
            });
        }
        qc.verify(&self.chain_id, &self.validators)
            .map_err(|e| Reason::Certificate(e.to_string()))
    }

    /// Verifies the next block and executes it.
    pub fn verify(&mut self, cb: &CertifiedBlock) -> Result<(), Failure> {
        self.verify_signed(cb, &precheck(&cb.block))
    }

    /// [`Self::verify`] with the block's event ids computed and its event signatures checked
    /// by [`precheck`] (on another thread, while earlier blocks execute). The checks run in the
    /// same order, so the first failure reported is the same.
    pub fn verify_signed(&mut self, cb: &CertifiedBlock, pre: &Prechecked) -> Result<(), Failure> {
        let h = cb.block.header.height;
        let fail = |reason| Failure { height: h, reason };
        let header = &cb.block.header;
        let expected = self.tip.height + 1;
        if h != expected {
            return Err(Failure {
                height: expected,
                reason: Reason::Height { expected, found: h },
            });
        }
        if header.chain_id != self.chain_id {
            return Err(fail(Reason::Chain(header.chain_id.clone())));
        }
        if header.parent_hash != self.tip.hash {
            return Err(fail(Reason::ParentHash {
                expected: self.tip.hash,
                found: header.parent_hash,
            }));
        }
        let j = &cb.block.justify;
        if h == 1 {
            if !j.is_genesis() || j.data.block_hash != self.tip.hash {
                return Err(fail(Reason::Justify(
                    "height 1 must carry the genesis certificate".into(),
                )));
            }
        } else {
            let d = &j.data;
            if d.block_hash != self.tip.hash || d.height != self.tip.height {
                return Err(fail(Reason::Justify(format!(
                    "it names block {} at height {}",
                    d.block_hash, d.height
                ))));
            }
            j.verify(&self.chain_id, &self.validators)
                .map_err(|e| fail(Reason::Justify(e.to_string())))?;
        }
        if !cb.block.ids_match_header(&pre.ids) {
            return Err(fail(Reason::EventsRoot));
        }
        if let Err(index) = pre.signatures {
            return Err(fail(Reason::EventSignature {
                index,
                id: cb.block.events[index].id(),
            }));
        }
        let hash = cb.block.hash();
        self.check_certificate(hash, h, header.round, &cb.qc)
            .map_err(fail)?;
        if header.state_root != self.tip.state_root {
            return Err(fail(Reason::StateRoot {
                header: header.state_root,
                computed: self.tip.state_root,
                executed: h - 1,
            }));
        }
        if header.results_root != self.tip.results_root {
            return Err(fail(Reason::ResultsRoot {
                header: header.results_root,
                computed: self.tip.results_root,
                executed: h - 1,
            }));
        }
        let results = execute_block_with_ids(&mut self.store, &cb.block, &pre.ids)
            .map_err(|e| fail(Reason::Execution(e.to_string())))?;
        self.events_checked += cb.block.events.len() as u64;
        self.tip = Tip {
            height: h,
            hash,
            state_root: results.state_root,
            results_root: results.results_root,
        };
        Ok(())
    }
}

/// What can be checked of a block before the blocks below it are executed: its event ids (for
/// the events root and execution) and its event signatures.
#[derive(Debug, Clone)]
pub struct Prechecked {
    /// The events' ids, in block order.
    pub ids: Vec<EventId>,
    /// `Err(index)` of the first event whose signature does not verify.
    pub signatures: Result<(), usize>,
}

/// Computes `block`'s event ids and checks every event signature in one batch. Pure, so the
/// fetch thread runs it for blocks ahead of the one being executed.
pub fn precheck(block: &tradeledger_types::Block) -> Prechecked {
    let signatures = match crate::mempool::verifier::verify_events(&block.events)
        .iter()
        .position(Result::is_err)
    {
        Some(index) => Err(index),
        None => Ok(()),
    };
    Prechecked {
        ids: block.event_ids(),
        signatures,
    }
}
