//! Genesis files: [`Genesis::from_toml`] (parse and validate), as `tradeledger init` and node
//! start-up read them.

use tradeledger_consensus::{ConsensusConfig, LeaderSchedule};
use tradeledger_types::Genesis;

/// Whatever parses and validates prints ([`Genesis::to_toml`]) to TOML that parses to the same
/// genesis with the same hash, and yields a consensus configuration and leader schedule.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(genesis) = Genesis::from_toml(text) else {
        return;
    };
    let printed = genesis.to_toml();
    let back = Genesis::from_toml(&printed).expect("a printed valid genesis parses and validates");
    assert_eq!(back, genesis, "TOML round trip changed the genesis");
    assert_eq!(
        back.hash(),
        genesis.hash(),
        "TOML round trip changed the hash"
    );
    let config =
        ConsensusConfig::from_genesis(&genesis).expect("a validated genesis has a validator set");
    let leaders = LeaderSchedule::new(&config.chain_id, &config.validators);
    for round in 0..4 {
        let leader = leaders.leader(round);
        assert!(
            config.validators.index_of(&leader).is_some(),
            "leader of round {round} is not a validator"
        );
    }
    for v in config.validators.validators() {
        let _ = genesis.organisation_of(&v.consensus_key);
    }
}
