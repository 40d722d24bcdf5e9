//! What a validator needs to run consensus: the chain, the validators, the parameters, and what
//! it persisted before a restart.

use crate::safety_rules::SafetyData;
use tradeledger_types::{
    Block, ConsensusParams, Genesis, Hash32, PublicKey, QuorumCertificate, TimeMs, ValidatorSet,
    ValidatorSetError,
};

/// The fixed parameters of one chain, as genesis states them.
#[derive(Debug, Clone)]
pub struct ConsensusConfig {
    /// The chain id, bound into every vote and timeout.
    pub chain_id: String,
    /// The validators in force.
    pub validators: ValidatorSet,
    /// Timeouts, block limits and clock drift bound.
    pub params: ConsensusParams,
    /// Hash of genesis: the parent of block 1 and the block of the genesis QC.
    pub genesis_hash: Hash32,
    /// Block time of height 0.
    pub genesis_time_ms: TimeMs,
}

impl ConsensusConfig {
    /// The configuration a genesis describes.
    pub fn from_genesis(genesis: &Genesis) -> Result<Self, ValidatorSetError> {
        Ok(ConsensusConfig {
            chain_id: genesis.chain_id.clone(),
            validators: genesis.validator_set()?,
            params: genesis.consensus.clone(),
            genesis_hash: genesis.hash(),
            genesis_time_ms: genesis.genesis_time_ms,
        })
    }

    /// The genesis QC of this chain.
    pub fn genesis_qc(&self) -> QuorumCertificate {
        QuorumCertificate::genesis(&self.chain_id, self.genesis_hash)
    }
}

/// A block with the QC that certifies it (defined in `tradeledger-types`, shared with the node,
/// the auditor and the testnet).
pub use tradeledger_types::CertifiedBlock;

/// What a validator hands the core when it (re)starts: everything else is rebuilt from peers.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// The last persisted [`SafetyData`] (default on first start).
    pub safety: SafetyData,
    /// The most recent committed blocks with their certificates, in increasing height with no
    /// gaps; the last is the committed tip. Empty means the tip is genesis. Up to
    /// [`crate::limits::COMMITTED_WINDOW_BLOCKS`] are kept to serve syncing peers.
    pub committed: Vec<CertifiedBlock>,
    /// Uncommitted blocks the node stored for [`crate::Effect::PersistBlocks`], in any order
    /// (blocks at or below the committed tip, or not chaining to it, are ignored).
    pub uncommitted: Vec<Block>,
}

impl Recovery {
    /// The state of a validator that has never run.
    pub fn fresh() -> Self {
        Recovery::default()
    }
}

/// Why the core cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    /// The signing key is not a member of the validator set.
    #[error("consensus key {key} is not in the validator set")]
    NotAValidator {
        /// The key.
        key: PublicKey,
    },
    /// The recovered committed blocks do not form a chain.
    #[error("recovered committed block at height {height} does not extend the one before it")]
    RecoveryNotAChain {
        /// Height of the offending block.
        height: u64,
    },
    /// A recovered block's certificate does not name it.
    #[error("recovered certificate at height {height} does not certify its block")]
    RecoveryCertificateMismatch {
        /// Height of the offending block.
        height: u64,
    },
    /// The recovered blocks belong to another chain.
    #[error("recovered block at height {height} is for chain {found:?}")]
    RecoveryWrongChain {
        /// Height of the offending block.
        height: u64,
        /// Its chain id.
        found: String,
    },
}
