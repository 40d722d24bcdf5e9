//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Device bridge and EPC/EPCIS tools for tradeledger.
#[derive(Debug, Parser)]
#[command(name = "tradeledger-bridge", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode or encode 96-bit EPCs.
    #[command(subcommand)]
    Epc(EpcCommand),
    /// EPCIS 2.0 documents.
    #[command(subcommand)]
    Epcis(EpcisCommand),
    /// Bridge MQTT messages and/or JSON lines on stdin to signed events at a node.
    Run(RunArgs),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable lines.
    Text,
    /// One JSON object.
    Json,
}

/// `epc` subcommands.
#[derive(Debug, Subcommand)]
pub enum EpcCommand {
    /// EPC-96 hex → pure-identity URI and tag URI.
    Decode {
        /// 24 hex digits, as an RFID reader reports them.
        hex: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Tag URI (or pure-identity URI with --filter) → EPC-96 hex.
    Encode {
        /// `urn:epc:tag:sgtin-96:3.0614141.812345.6789` or `urn:epc:id:...`.
        uri: String,
        /// Filter value (0-7), required for a pure-identity URI.
        #[arg(long)]
        filter: Option<u8>,
    },
}

/// Where signed events go: a node, through a spool.
#[derive(Debug, Clone, Args)]
pub struct NodeArgs {
    /// The node's API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub node: Option<String>,
    /// Device key file: 64 hex characters (an ed25519 seed), the node's key-file format.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The chain id (as in the genesis); asked from the node when omitted.
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Spool directory: the durable outbox and the key's sequence file.
    #[arg(long)]
    pub spool: Option<PathBuf>,
    /// Longest wait between delivery attempts while the node is unreachable, milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub max_backoff_ms: u64,
}

/// `epcis` subcommands.
#[derive(Debug, Subcommand)]
pub enum EpcisCommand {
    /// Import an EPCIS 2.0 JSON(-LD) document: map, sign and submit its events.
    Import {
        /// The document.
        file: PathBuf,
        /// The shipment every event belongs to.
        #[arg(long, default_value = "UNASSIGNED")]
        shipment: String,
        /// Print the mapped tradeledger payloads as JSON; sign and submit nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to submit (not needed with --dry-run).
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// `run` arguments.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Where to submit.
    #[command(flatten)]
    pub node: NodeArgs,
    /// MQTT broker, HOST:PORT.
    #[arg(long)]
    pub mqtt: Option<String>,
    /// MQTT topic filter to subscribe to (repeatable; `+` and `#` wildcards allowed).
    #[arg(long = "topic")]
    pub topics: Vec<String>,
    /// MQTT client id.
    #[arg(long, default_value = "tradeledger-bridge")]
    pub client_id: String,
    /// Read JSON lines on stdin (the bridge stops at end of input once all is delivered).
    #[arg(long)]
    pub stdin: bool,
    /// Emit a sensor report every N readings of a device.
    #[arg(long, default_value_t = 60)]
    pub readings_per_report: usize,
    /// ... or when a reading comes this many seconds (reading time) after the batch's first.
    #[arg(long, default_value_t = 900)]
    pub window_secs: u64,
    /// At the end of stdin or on a signal, how long to keep trying to deliver, seconds.
    #[arg(long, default_value_t = 30)]
    pub drain_secs: u64,
}
