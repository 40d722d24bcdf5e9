//! tradeledger's deterministic state transition: permissions, certificate-of-origin checks, IPR
//! checks, risk flags and lanes, and governed rule sets.
//!
//! The crate does no I/O and reads no clock: the node passes the block height and time. It keeps
//! its state in any [`Store`] (RocksDB in the node, [`MemStore`] in tests and the auditor) and
//! commits to it with a sparse Merkle tree ([`state_root`]), updated in O(log n) per changed key.
//!
//! ```
//! use tradeledger_contracts::{BlockContext, MemStore, execute, init_genesis, state_root};
//! # fn genesis() -> tradeledger_types::Genesis { tradeledger_contracts::testkit::genesis() }
//! let mut store = MemStore::new();
//! let root0 = init_genesis(&mut store, &genesis()).unwrap();
//! let results = execute(&mut store, &BlockContext { height: 1, block_time_ms: 1_767_225_600_000 }, &[]).unwrap();
//! assert!(results.outcomes.is_empty());
//! assert_eq!(results.state_root, root0); // an empty block changes nothing
//! assert_eq!(state_root(&store).unwrap(), root0);
//! ```
//!
//! Rules, flags and reason codes are described for analysts in `docs/contracts.md`.

mod coherence;
mod context;
mod correction;
pub mod custom;
mod devices;
mod error;
mod execute;
mod genesis;
pub mod governance;
pub mod ipr;
pub(crate) mod keys;
pub mod lane;
pub mod origin;
mod outcome;
mod party_keys;
mod permissions;
mod query;
pub mod records;
pub mod risk;
mod shipment;
pub mod smt;
mod state;
mod store;
pub mod testkit;
pub mod treatment;

pub use context::BlockContext;
pub use error::{ExecError, StoreError};
pub use execute::{BlockResults, execute, execute_block, execute_block_with_ids, execute_with_ids};
pub use genesis::init_genesis;
pub use outcome::{
    CustomRuleFailure, CustomRuleFault, Derived, EventOutcome, FLAG_EVIDENCE_MAX, Flag, IprOutcome,
    IprVerdict, Lane, LaneChange, OriginCheck, OriginVerdict, RejectCode, Rejection, Status,
    TreatmentFault, TreatmentVerdict, results_root,
};
pub use query::{
    ShipmentStatus, chain_id, event, key_retirement, latest_rule_set, licence, organisation,
    recordation, rule_set_at, shipment, shipment_status, signer, signer_refusal, state_root,
    timeline,
};
pub use records::{EventRecord, KeyRetirement, ShipmentRecord, SignerRecord, TimelineEntry};
pub use store::{BufferedStore, Changes, Entries, MemStore, Store};
