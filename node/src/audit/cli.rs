//! The `audit` and `query` subcommands' arguments and dispatch.

use super::report::{self, Format};
use super::{check_proof, fetch_proof, load_genesis, verify_chain};
use crate::query;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tradeledger_sdk::client::BlockingClient;
use tradeledger_types::{EventId, EventProof};

/// `tradeledger audit ...`: verify the chain trusting only the genesis file.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Download and verify every block from genesis (or the last checkpoint): parent hashes,
    /// certificates against the validator set, events' Merkle roots and signatures, and state
    /// roots by re-execution. Exits non-zero naming the first bad height and why.
    Verify {
        /// A node's API URL.
        #[arg(long, env = "TRADELEDGER_NODE")]
        node: String,
        /// The genesis file, the only thing trusted.
        #[arg(long)]
        genesis: PathBuf,
        /// Where the verified copy and the checkpoint are kept (resumes from it).
        #[arg(long, default_value = "./tradeledger-audit")]
        state_dir: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Fetch and verify an event's inclusion proof: event → Merkle root → header → QC.
    Prove {
        /// The event id (64 hex characters).
        event_id: String,
        /// A node's API URL.
        #[arg(long, env = "TRADELEDGER_NODE")]
        node: String,
        /// The genesis file.
        #[arg(long)]
        genesis: PathBuf,
        /// Save the proof (canonical CBOR) for `check-proof`.
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Verify a saved proof with no node at all.
    CheckProof {
        /// The proof file.
        proof: PathBuf,
        /// The genesis file.
        #[arg(long)]
        genesis: PathBuf,
    },
    /// A shipment dossier: timeline, signers, flags, verdicts, lanes, proof status per event.
    Report {
        /// The shipment id.
        shipment: String,
        /// A node's API URL.
        #[arg(long, env = "TRADELEDGER_NODE")]
        node: String,
        /// The genesis file.
        #[arg(long)]
        genesis: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

/// `tradeledger query ...`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// What to read.
    #[command(subcommand)]
    pub what: query::What,
    /// A node's API URL.
    #[arg(
        long,
        global = true,
        env = "TRADELEDGER_NODE",
        default_value = "http://127.0.0.1:8080"
    )]
    pub node: String,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = query::Output::Table)]
    pub output: query::Output,
}

/// Runs a query.
pub fn run_query(args: &QueryArgs) -> Result<()> {
    print!("{}", query::run(&args.node, &args.what, args.output)?);
    Ok(())
}

/// Runs an audit command.
pub fn run_audit(cmd: &AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify {
            node,
            genesis,
            state_dir,
            quiet,
        } => {
            let g = load_genesis(genesis)?;
            let s = verify_chain(node, &g, state_dir, !quiet)?;
            println!(
                "verified heights 1..={} of {} against genesis {} ({} blocks this run, resumed from {}; {} events checked)",
                s.height,
                g.chain_id,
                g.hash(),
                s.blocks_this_run,
                s.resumed_from,
                s.events_checked
            );
            Ok(())
        }
        AuditCommand::Prove {
            event_id,
            node,
            genesis,
            save,
        } => {
            let g = load_genesis(genesis)?;
            let id: EventId = event_id
                .parse()
                .with_context(|| format!("event id {event_id:?}"))?;
            let client = BlockingClient::new(node)?;
            let proof = fetch_proof(&client, &id)?;
            if proof.event.id() != id {
                bail!("the node served event {} for {id}", proof.event.id());
            }
            check_proof(&proof, &g).context("proof does not verify")?;
            println!(
                "event {id} is in block {} at height {}, certified by a quorum of the genesis validators",
                proof.header.hash(),
                proof.header.height
            );
            if let Some(path) = save {
                std::fs::write(path, proof.to_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("proof saved to {}", path.display());
            }
            Ok(())
        }
        AuditCommand::CheckProof { proof, genesis } => {
            let g = load_genesis(genesis)?;
            let bytes =
                std::fs::read(proof).with_context(|| format!("reading {}", proof.display()))?;
            let p = EventProof::decode(&bytes)
                .with_context(|| format!("{} is not a proof", proof.display()))?;
            check_proof(&p, &g).context("proof does not verify")?;
            println!(
                "proof verified: event {} at height {} of {}",
                p.event.id(),
                p.header.height,
                g.chain_id
            );
            Ok(())
        }
        AuditCommand::Report {
            shipment,
            node,
            genesis,
            format,
        } => {
            let g = load_genesis(genesis)?;
            let client = BlockingClient::new(node)?;
            let d = report::build(&client, &g, shipment)?;
            print!("{}", report::render(&d, *format)?);
            Ok(())
        }
    }
}
