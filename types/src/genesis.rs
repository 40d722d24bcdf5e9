//! Genesis: the one file an auditor trusts. Human-editable TOML, hashed canonically.

use crate::validate::{self as v, FieldError};
use crate::{
    Country, Domain, Hash32, OrgId, PublicKey, Role, RuleSet, TimeMs, ValidatorInfo, ValidatorSet,
    codec, wire_struct,
};

wire_struct! {
    /// An organisation and the keys that sign for it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    pub struct Organisation {
        /// Id (`mx-avocado-exports`).
        pub id: OrgId,
        /// Legal name.
        pub name: String,
        /// Country (ISO 3166-1 alpha-2).
        pub country: Country,
        /// Roles held.
        pub roles: Vec<Role>,
        /// Signing keys of the organisation (devices are registered on chain instead).
        pub keys: Vec<PublicKey>,
    }
}

wire_struct! {
    /// Consensus parameters. Durations in milliseconds.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    pub struct ConsensusParams {
        /// Round timeout after a successful round.
        pub round_timeout_base_ms: u64,
        /// Cap on the round timeout after consecutive failed rounds.
        pub round_timeout_max_ms: u64,
        /// Growth of the timeout per consecutive failed round, percent (150 = ×1.5).
        pub round_timeout_growth_pct: u32,
        /// Most events in one block.
        pub block_events_max: u32,
        /// Most bytes of events in one block.
        pub block_bytes_max: u32,
        /// How far a proposal's block time may be ahead of a validator's clock.
        pub block_time_drift_max_ms: u64,
    }
}

impl Default for ConsensusParams {
    fn default() -> Self {
        ConsensusParams {
            round_timeout_base_ms: 1_000,
            round_timeout_max_ms: 10_000,
            round_timeout_growth_pct: 150,
            block_events_max: 10_000,
            block_bytes_max: 4 * 1024 * 1024,
            block_time_drift_max_ms: 2_000,
        }
    }
}

wire_struct! {
    /// The genesis of a chain.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    pub struct Genesis {
        /// Chain id, bound into every event, vote and timeout (`tradeledger-mx-us-1`).
        pub chain_id: String,
        /// Genesis time: the block time of height 0.
        pub genesis_time_ms: TimeMs,
        /// Organisations.
        pub organisations: Vec<Organisation>,
        /// Validators.
        pub validators: Vec<ValidatorInfo>,
        /// Rule set in force from height 1.
        pub rule_set: RuleSet,
        /// Consensus parameters.
        pub consensus: ConsensusParams,
    }
}

/// Why a genesis file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// Not valid TOML or not the genesis shape.
    #[error("genesis is not valid TOML of the expected shape: {0}")]
    Parse(String),
    /// A field is wrong.
    #[error("genesis field {0}")]
    Field(#[from] FieldError),
    /// The validators do not form a valid set.
    #[error("genesis validators: {0}")]
    Validators(#[from] crate::ValidatorSetError),
}

impl Genesis {
    /// Parses and validates a TOML genesis.
    pub fn from_toml(text: &str) -> Result<Genesis, GenesisError> {
        let g: Genesis = toml::from_str(text).map_err(|e| GenesisError::Parse(e.to_string()))?;
        g.validate()?;
        Ok(g)
    }

    /// The genesis as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("genesis is always representable as TOML")
    }

    /// Checks every field: ids, unique organisations and keys, validators, rule set, parameters.
    pub fn validate(&self) -> Result<(), GenesisError> {
        v::id("chain_id", &self.chain_id)?;
        if self.organisations.is_empty() {
            return Err(FieldError::new("organisations", "must not be empty").into());
        }
        for (i, o) in self.organisations.iter().enumerate() {
            let f = |n: &str| format!("organisations[{i}].{n}");
            v::org_id(&f("id"), &o.id)?;
            if self.organisations[..i].iter().any(|p| p.id == o.id) {
                return Err(FieldError::new(f("id"), format!("{:?} is used twice", o.id)).into());
            }
            v::required_text(&f("name"), &o.name)?;
            v::country(&f("country"), &o.country)?;
            if o.roles.is_empty() {
                return Err(FieldError::new(f("roles"), "must name at least one role").into());
            }
            for (j, k) in o.keys.iter().enumerate() {
                if crate::crypto::verifying_key(k).is_err() {
                    return Err(FieldError::new(
                        f(&format!("keys[{j}]")),
                        "is not a valid ed25519 public key",
                    )
                    .into());
                }
                let dup = self.organisations[..i].iter().any(|p| p.keys.contains(k))
                    || o.keys[..j].contains(k);
                if dup {
                    return Err(FieldError::new(
                        f(&format!("keys[{j}]")),
                        "belongs to another organisation or repeats",
                    )
                    .into());
                }
            }
        }
        for (i, val) in self.validators.iter().enumerate() {
            let f = |n: &str| format!("validators[{i}].{n}");
            v::required_text(&f("name"), &val.name)?;
            if !self.organisations.iter().any(|o| o.id == val.org) {
                return Err(FieldError::new(
                    f("org"),
                    format!("{:?} is not an organisation in genesis", val.org),
                )
                .into());
            }
            if crate::crypto::verifying_key(&val.consensus_key).is_err() {
                return Err(FieldError::new(
                    f("consensus_key"),
                    "is not a valid ed25519 public key",
                )
                .into());
            }
            v::id(&f("peer_id"), &val.peer_id)?;
        }
        ValidatorSet::new(self.validators.clone())?;
        self.rule_set
            .validate()
            .map_err(|e| FieldError::new(format!("rule_set.{}", e.field), e.problem))?;
        let c = &self.consensus;
        if c.round_timeout_base_ms == 0 || c.round_timeout_max_ms < c.round_timeout_base_ms {
            return Err(FieldError::new(
                "consensus.round_timeout_max_ms",
                "must be at least round_timeout_base_ms > 0",
            )
            .into());
        }
        if c.round_timeout_growth_pct < 100 {
            return Err(FieldError::new(
                "consensus.round_timeout_growth_pct",
                "must be at least 100",
            )
            .into());
        }
        if c.block_events_max == 0 || c.block_bytes_max == 0 {
            return Err(FieldError::new(
                "consensus.block_events_max",
                "block limits must be positive",
            )
            .into());
        }
        Ok(())
    }

    /// The validator set at height 1.
    pub fn validator_set(&self) -> Result<ValidatorSet, crate::ValidatorSetError> {
        ValidatorSet::new(self.validators.clone())
    }

    /// Canonical hash: `SHA-256("tradeledger/v1/genesis" ‖ 0x00 ‖ canonical(genesis))`. It is
    /// the parent hash of block 1, so every block commits to the genesis it grew from.
    pub fn hash(&self) -> Hash32 {
        Domain::GENESIS.hash(&codec::to_canonical(self))
    }

    /// The organisation holding `key`, if any.
    pub fn organisation_of(&self, key: &PublicKey) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.keys.contains(key))
    }
}
