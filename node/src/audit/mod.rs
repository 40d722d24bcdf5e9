//! The auditor's commands: `tradeledger audit verify | prove | check-proof | report`.
//!
//! Each trusts nothing but the genesis file: blocks, certificates and proofs fetched from a node
//! are checked against the genesis validator set, and state roots against re-execution.

pub mod checkpoint;
pub mod cli;
#[doc(hidden)]
pub mod fixture;
pub mod report;
pub mod verify;

#[cfg(test)]
mod tests;

use anyhow::{Context, Result, bail};
use checkpoint::{Checkpoint, Entry, StateDir};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use tradeledger_consensus::CertifiedBlock;
use tradeledger_contracts::Store as _;
use tradeledger_sdk::client::BlockingClient;
use tradeledger_types::{Bytes, EventId, EventProof, Genesis, codec};
use verify::ChainVerifier;

/// Blocks fetched per request.
const PAGE_BLOCKS: u64 = 100;

/// Reads and validates a genesis file.
pub fn load_genesis(path: &Path) -> Result<Genesis> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading genesis {}", path.display()))?;
    Genesis::from_toml(&text).with_context(|| format!("genesis {}", path.display()))
}

/// Summary of a verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    /// Height verified up to.
    pub height: u64,
    /// Blocks verified in this run.
    pub blocks_this_run: u64,
    /// Events checked in all.
    pub events_checked: u64,
    /// Height the run resumed from.
    pub resumed_from: u64,
}

/// `audit verify`: downloads and verifies every block from the last checkpoint to the node's
/// committed tip. Fails naming the first bad height and the reason.
pub fn verify_chain(
    node: &str,
    genesis: &Genesis,
    state_dir: &Path,
    progress: bool,
) -> Result<VerifySummary> {
    let client = BlockingClient::new(node)?;
    let dir = StateDir::open(state_dir)?;
    let genesis_hash = genesis.hash();
    let (mut verifier, mut log_bytes) = match dir.load(genesis_hash)? {
        Some(cp) => {
            let entries = cp
                .entries
                .iter()
                .map(|e| (e.key.0.clone(), e.value.0.clone()))
                .collect();
            (
                ChainVerifier::resume(genesis, entries, cp.tip(), cp.events_checked)?,
                cp.log_bytes,
            )
        }
        None => (ChainVerifier::new(genesis)?, 0),
    };
    let resumed_from = verifier.tip().height;
    let top = client
        .status()
        .context("asking the node for its height")?
        .height;
    let bar = if progress {
        ProgressBar::new(top.saturating_sub(resumed_from))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} verifying [{bar:40}] {pos}/{len} blocks {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    while verifier.tip().height < top {
        let from = verifier.tip().height + 1;
        let bytes = client.get_bytes(&format!(
            "/v1/blocks?from={from}&limit={PAGE_BLOCKS}&format=cbor"
        ))?;
        let page: Vec<CertifiedBlock> =
            codec::from_canonical(&bytes, codec::MESSAGE_BYTES_MAX, "block page")
                .with_context(|| format!("page of blocks from height {from}"))?;
        if page.is_empty() {
            bail!("height {from}: the node reports height {top} but served no block at {from}");
        }
        let mut verified = Vec::with_capacity(page.len());
        for cb in &page {
            verifier
                .verify(cb)
                .map_err(|f| anyhow::anyhow!("verification FAILED at {f}"))?;
            verified.push(codec::to_canonical(cb));
            bar.inc(1);
        }
        log_bytes = dir.append_blocks(log_bytes, &verified)?;
        dir.save(&checkpoint(&verifier, genesis_hash, log_bytes)?)?;
    }
    bar.finish_and_clear();
    let tip = verifier.tip().clone();
    Ok(VerifySummary {
        height: tip.height,
        blocks_this_run: tip.height - resumed_from,
        events_checked: verifier.events_checked(),
        resumed_from,
    })
}

fn checkpoint(
    v: &ChainVerifier,
    genesis_hash: tradeledger_types::Hash32,
    log_bytes: u64,
) -> Result<Checkpoint> {
    let tip = v.tip();
    let entries = v
        .store()
        .scan_prefix(&[], None, usize::MAX)
        .map_err(|e| anyhow::anyhow!("reading re-executed state: {e}"))?
        .into_iter()
        .map(|(k, val)| Entry {
            key: Bytes(k),
            value: Bytes(val),
        })
        .collect();
    Ok(Checkpoint {
        genesis_hash,
        height: tip.height,
        hash: tip.hash,
        state_root: tip.state_root,
        results_root: tip.results_root,
        events_checked: v.events_checked(),
        log_bytes,
        entries,
    })
}

/// Fetches an event's canonical [`EventProof`] from a node (`?format=cbor`). Nothing in it is
/// trusted until [`check_proof`] passes.
pub fn fetch_proof(client: &BlockingClient, id: &EventId) -> Result<EventProof> {
    let bytes = client.get_bytes(&format!("/v1/proofs/events/{id}?format=cbor"))?;
    EventProof::decode(&bytes)
        .with_context(|| format!("the node's proof of {id} is not a canonical event proof"))
}

/// Verifies a proof against the genesis validator set.
pub fn check_proof(proof: &EventProof, genesis: &Genesis) -> Result<()> {
    let set = genesis.validator_set()?;
    proof.verify(&genesis.chain_id, &set)?;
    if proof.event.body.chain_id != genesis.chain_id {
        bail!(
            "the event is for chain {:?}, not {:?}",
            proof.event.body.chain_id,
            genesis.chain_id
        );
    }
    Ok(())
}
