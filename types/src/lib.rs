//! tradeledger's shared data model.
//!
//! Everything that is hashed or signed on the ledger is defined here, with its one canonical
//! encoding: events and their signed envelope, blocks, votes and certificates, genesis, rule
//! sets, Merkle proofs. The crate does no I/O and holds no clock or randomness; callers supply
//! key seeds and times.
//!
//! ```
//! use tradeledger_types::*;
//!
//! let key = SecretKey::from_seed([7; 32]);
//! let body = EventBody {
//!     chain_id: "tradeledger-demo".into(),
//!     signer: key.public(),
//!     seq: 1,
//!     payload: Payload::Clearance(ClearanceDecision {
//!         shipment_id: "SHP-1".into(),
//!         decision: Decision::Release,
//!         reason: String::new(),
//!     }),
//! };
//! let event = body.sign(&key);
//! let bytes = event.to_bytes();
//! let (decoded, id) = SignedEvent::decode(&bytes).unwrap();
//! assert_eq!(decoded, event);
//! assert_eq!(id, event.id());
//! decoded.verify().unwrap();
//! ```

pub mod block;
pub mod bytes;
pub mod certificate;
pub mod codec;
pub mod countries;
pub mod crypto;
pub mod domain;
pub mod event;
pub mod genesis;
pub mod gs1;
pub mod ids;
pub mod merkle;
pub mod payload;
pub mod proof;
pub mod rules;
#[cfg(feature = "openapi")]
mod schema;
pub mod validate;
pub mod validator;
mod wire;

pub use block::{Block, BlockHeader, CertifiedBlock, events_root};
pub use bytes::{Bytes, Hash32, HexError, PublicKey, Signature};
pub use certificate::{
    CertificateError, QuorumCertificate, Timeout, TimeoutCertificate, TimeoutData, Vote, VoteData,
};
pub use codec::DecodeError;
pub use crypto::{SecretKey, SignatureError};
pub use domain::Domain;
pub use event::{EventBody, EventId, SignedEvent};
pub use genesis::{ConsensusParams, Genesis, GenesisError, Organisation};
pub use ids::{Country, Currency, Epc, HsCode, Locode, OrgId, Role, ShipmentId, TimeMs};
pub use merkle::InclusionProof;
pub use payload::*;
pub use proof::{EventProof, ProofError};
pub use rules::{
    CommodityRule, CustomRule, LanePolicy, ProductRule, ReferenceValue, RuleChange, RuleSet,
    RuleSetUpdate, Severity, TariffShift,
};
pub use validate::FieldError;
pub use validator::{ValidatorInfo, ValidatorSet, ValidatorSetError};
