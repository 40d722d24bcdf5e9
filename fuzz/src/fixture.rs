//! The fixed four-validator chain the targets check certificates against and run the
//! consensus core on. Keys are derived from fixed seeds, so every run and corpus entry replays.

use std::sync::OnceLock;
use tradeledger_consensus::ConsensusConfig;
use tradeledger_types::{
    ConsensusParams, Hash32, SecretKey, ValidatorInfo, ValidatorSet, domain::sha256,
};

/// Chain id of the fixture chain.
pub const CHAIN_ID: &str = "tradeledger-fuzz";
/// Number of validators (one core under test, three scripted peers: a quorum of their own).
pub const VALIDATORS: usize = 4;
/// Block time of height 0.
pub const GENESIS_TIME_MS: u64 = 1_780_000_000_000;

/// The fixture chain: keys (index 0 is the core under test) and consensus configuration.
pub struct Fixture {
    /// Validator keys, in validator-set order.
    pub keys: Vec<SecretKey>,
    /// The configuration every core of the fixture chain runs with.
    pub config: ConsensusConfig,
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys: Vec<SecretKey> = (1..=VALIDATORS as u8)
            .map(|i| SecretKey::from_seed([i; 32]))
            .collect();
        let infos = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("v{i}"),
                org: "fuzz".into(),
                consensus_key: k.public(),
                peer_id: format!("peer-{i}"),
                voting_power: 1,
            })
            .collect();
        let validators = ValidatorSet::new(infos).expect("the fixture validator set is valid");
        let config = ConsensusConfig {
            chain_id: CHAIN_ID.into(),
            validators,
            params: ConsensusParams::default(),
            genesis_hash: sha256(CHAIN_ID.as_bytes()),
            genesis_time_ms: GENESIS_TIME_MS,
        };
        Fixture { keys, config }
    })
}

/// The fixture's validator set.
pub fn validators() -> &'static ValidatorSet {
    &fixture().config.validators
}

/// The fixture's genesis hash.
pub fn genesis_hash() -> Hash32 {
    fixture().config.genesis_hash
}
