//! The tradeledger validator node: everything that does I/O around the pure consensus core and
//! the contracts.
//!
//! The node is a set of tasks joined by bounded channels:
//! - [`network`]: one task owns the libp2p `Swarm` (TCP + Noise + Yamux, request-response) and
//!   takes commands from a [`network::NetworkHandle`];
//! - [`driver`]: one task owns the consensus state machine, feeds it inputs (peer messages,
//!   timers, answers) and executes its effects in order (persist before send);
//! - [`execution`]: runs committed blocks through `contracts` and checks state roots;
//! - [`storage`]: RocksDB, called only from blocking threads;
//! - [`mempool`]: admission (decode, batch signature checks, dedupe, caps) and proposal batches;
//! - [`api`]: the HTTP API (axum), Prometheus metrics and the OpenAPI document.

pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
pub mod driver;
pub mod execution;
pub mod feed;
pub mod gossip;
pub mod keys;
pub mod mempool;
pub mod metrics;
pub mod network;
pub mod node;
pub mod query;
pub mod status;
pub mod storage;
pub mod sync;
pub mod time;
