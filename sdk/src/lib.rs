//! tradeledger SDK (placeholder docs, replaced below).

pub mod builders;
pub mod client;
pub mod epc;
pub mod epcis;
pub mod recorder;
pub mod signer;
pub mod spool;
