//! The operator command line: `keys`, `init`, `run` (and room for `query` and `audit`).

use crate::config::ConfigArgs;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// `tradeledger`: a validator node of a permissioned ledger for cross-border cargo.
#[derive(Debug, Parser)]
#[command(name = "tradeledger", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. `query` and `audit` (read-only auditor tools) are added by their own issue.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate or inspect node keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Prepare a node home directory: copy genesis and key, write config.toml.
    Init(InitArgs),
    /// Run the validator node.
    Run(RunArgs),
    /// Read the chain from a node: shipments, events, blocks, status.
    Query(crate::audit::cli::QueryArgs),
    /// Verify the chain, prove events, check saved proofs, export dossiers (trusts only genesis).
    #[command(subcommand)]
    Audit(crate::audit::cli::AuditCommand),
}

/// `tradeledger keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new ed25519 key (seed in hex) to a file with mode 0600.
    Generate {
        /// File to create; refuses to overwrite an existing file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key (consensus key) and the libp2p peer id of a key file.
    Show {
        /// The key file.
        file: PathBuf,
    },
}

/// `tradeledger init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Genesis file (TOML) to copy into the home directory.
    #[arg(long)]
    pub genesis: PathBuf,
    /// Node key file (from `keys generate`) to copy into the home directory.
    #[arg(long)]
    pub key: PathBuf,
    /// Home directory to create (config.toml, genesis.toml, node.key, data/).
    #[arg(long, env = "TRADELEDGER_HOME")]
    pub home: PathBuf,
    /// Overwrite an existing config.toml.
    #[arg(long)]
    pub force: bool,
    /// Values written to config.toml (defaults where not given).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// `tradeledger run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Home directory written by `init`.
    #[arg(long, env = "TRADELEDGER_HOME")]
    pub home: PathBuf,
    /// Overrides of config.toml values.
    #[command(flatten)]
    pub config: ConfigArgs,
}
