//! Initialising the state from a genesis.

use crate::error::ExecError;
use crate::keys;
use crate::records::{RuleSetEntry, SignerRecord};
use crate::smt;
use crate::state::{read_record, write_record};
use crate::store::Store;
use tradeledger_types::{Genesis, Hash32};

/// Writes the genesis state (chain id, organisations, their keys with sequence 0, the rule set in
/// force from height 1) into an empty store and returns the state root: the `state_root` that
/// block 1's successor commits to when block 1 is empty of effects, and the auditor's start.
pub fn init_genesis<S: Store>(store: &mut S, genesis: &Genesis) -> Result<Hash32, ExecError> {
    genesis.validate()?;
    if read_record::<S, String>(store, &keys::chain_id())?.is_some() {
        return Err(ExecError::AlreadyInitialised);
    }
    write_record(store, &keys::chain_id(), &genesis.chain_id)?;
    for o in &genesis.organisations {
        write_record(store, &keys::org(&o.id), o)?;
        for k in &o.keys {
            write_record(
                store,
                &keys::signer(k),
                &SignerRecord {
                    org: o.id.clone(),
                    device: None,
                    last_seq: 0,
                },
            )?;
        }
    }
    let entry = RuleSetEntry {
        rule_set: genesis.rule_set.clone(),
        effective_height: 1,
        made_by: None,
    };
    write_record(
        store,
        &keys::rules_version(genesis.rule_set.version),
        &entry,
    )?;
    write_record(store, &keys::rules_latest(), &genesis.rule_set.version)?;
    smt::root(store)
}
