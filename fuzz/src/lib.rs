//! Fuzz targets for every decoder of bytes that reach tradeledger from outside, and for the
//! consensus core.
//!
//! Each target is a plain `pub fn run(data: &[u8])` in its own module. It returns quietly on
//! input that is rejected, and panics only when a property fails: a decoder panicked, what
//! decoded does not re-encode to the same bytes or value, or the consensus core broke one of
//! its safety invariants. Two drivers call the same functions:
//!
//! * `cargo +nightly fuzz run <target>` (feature `libfuzzer`): the one-line binaries in
//!   `fuzz_targets/`, for long coverage-guided runs (see `fuzz/README.md`);
//! * `cargo test -p tradeledger-fuzz` (stable, in CI): `tests/bounded.rs` replays the committed
//!   corpus of every target and runs a fixed number of random and mutated inputs.

pub mod consensus_handle;
pub mod consensus_message;
pub mod epc;
pub mod epcis_document;
pub mod event_batch;
mod event_checks;
mod fixture;
pub mod genesis_toml;
pub mod network_frame;
pub mod node_config;
pub mod signed_event_cbor;
pub mod signed_event_json;

/// A fuzz target: any bytes in, a panic only when a property is broken.
pub type Target = fn(&[u8]);

/// Every target by name: the name of its `fuzz_targets/` binary and of its `corpus/` folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("consensus_message", consensus_message::run),
    ("network_frame", network_frame::run),
    ("event_batch", event_batch::run),
    ("signed_event_cbor", signed_event_cbor::run),
    ("signed_event_json", signed_event_json::run),
    ("epcis_document", epcis_document::run),
    ("epc", epc::run),
    ("genesis_toml", genesis_toml::run),
    ("node_config", node_config::run),
    ("consensus_handle", consensus_handle::run),
];
