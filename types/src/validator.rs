//! Validator sets and quorum arithmetic by voting power.

use crate::{OrgId, PublicKey, wire_struct};

wire_struct! {
    /// A validator as listed in genesis.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ValidatorInfo {
        /// Human name (`customs-mx`).
        pub name: String,
        /// The organisation operating it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub org: OrgId,
        /// ed25519 key that signs proposals, votes and timeouts.
        pub consensus_key: PublicKey,
        /// libp2p peer id of the node (base58), so peers can be authenticated on the network.
        pub peer_id: String,
        /// Voting power (> 0).
        pub voting_power: u64,
    }
}

/// The validators in force, in a fixed order (their index is their bit in certificates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<ValidatorInfo>,
    total_power: u64,
}

/// Why a validator list cannot form a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// No validators.
    #[error("the validator set is empty")]
    Empty,
    /// A validator has zero voting power.
    #[error("validator {index} has zero voting power")]
    ZeroPower {
        /// Its index.
        index: usize,
    },
    /// Total power overflows.
    #[error("total voting power overflows u64")]
    Overflow,
    /// A consensus key appears twice.
    #[error("validator {index} repeats consensus key {key}")]
    DuplicateKey {
        /// Index of the second occurrence.
        index: usize,
        /// The key.
        key: PublicKey,
    },
    /// More validators than certificates can address.
    #[error("{count} validators; at most {max} are supported")]
    TooMany {
        /// Number given.
        count: usize,
        /// Limit.
        max: usize,
    },
}

/// Most validators a set may hold (the signer bitmap's size bound).
pub const VALIDATORS_MAX: usize = 1024;

impl ValidatorSet {
    /// Builds a set, checking powers and keys.
    pub fn new(validators: Vec<ValidatorInfo>) -> Result<Self, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        if validators.len() > VALIDATORS_MAX {
            return Err(ValidatorSetError::TooMany {
                count: validators.len(),
                max: VALIDATORS_MAX,
            });
        }
        let mut total: u64 = 0;
        for (index, v) in validators.iter().enumerate() {
            if v.voting_power == 0 {
                return Err(ValidatorSetError::ZeroPower { index });
            }
            if validators[..index]
                .iter()
                .any(|o| o.consensus_key == v.consensus_key)
            {
                return Err(ValidatorSetError::DuplicateKey {
                    index,
                    key: v.consensus_key,
                });
            }
            total = total
                .checked_add(v.voting_power)
                .ok_or(ValidatorSetError::Overflow)?;
        }
        Ok(ValidatorSet {
            validators,
            total_power: total,
        })
    }

    /// The validators, in index order.
    pub fn validators(&self) -> &[ValidatorInfo] {
        &self.validators
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Never true: a set has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Sum of voting power.
    pub fn total_power(&self) -> u64 {
        self.total_power
    }

    /// Smallest power that is more than two thirds of the total: `⌊2·total/3⌋ + 1`.
    /// With n = 3f+1 equal validators this is 2f+1. Any two quorums share more than a third of
    /// the power, so they share at least one honest validator while at most f are Byzantine.
    pub fn quorum_power(&self) -> u64 {
        let q = (u128::from(self.total_power) * 2 / 3 + 1) as u64;
        assert!(q <= self.total_power, "quorum exceeds total power");
        q
    }

    /// Largest Byzantine power the set tolerates: `⌊(total − 1)/3⌋` (f for n = 3f+1).
    pub fn max_faulty_power(&self) -> u64 {
        (self.total_power - 1) / 3
    }

    /// Smallest power that contains at least one honest validator: f + 1.
    pub fn validity_power(&self) -> u64 {
        self.max_faulty_power() + 1
    }

    /// Index of the validator with this consensus key.
    pub fn index_of(&self, key: &PublicKey) -> Option<usize> {
        self.validators.iter().position(|v| v.consensus_key == *key)
    }

    /// The validator at `index`.
    pub fn get(&self, index: usize) -> Option<&ValidatorInfo> {
        self.validators.get(index)
    }
}
