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
use checkpoint::{CheckpointView, StateDir};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::{Duration, Instant};
use tradeledger_consensus::CertifiedBlock;
use tradeledger_sdk::client::BlockingClient;
use tradeledger_types::{EventId, EventProof, Genesis, codec};
use verify::ChainVerifier;

/// Blocks fetched per request.
const PAGE_BLOCKS: u64 = 100;
/// Blocks fetched and prechecked ahead of the one being executed (besides the page being
/// checked).
const BLOCKS_AHEAD: usize = PAGE_BLOCKS as usize;
/// How often the re-executed state is saved (a full copy of it): an interrupted run resumes
/// from the last save. Saving after every page made verification quadratic in the state size.
/// A save of a 745 000-event chain's state is about 345 MB.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// One fetched block with its [`verify::precheck`] (event ids and signatures) and its
/// canonical bytes (for the local log, once it verifies).
struct Fetched {
    block: CertifiedBlock,
    prechecked: verify::Prechecked,
    encoded: Vec<u8>,
    /// The last block of its page: the reader appends the page to the log after it.
    last_of_page: bool,
}

/// Fetches pages of blocks `from..=top` in order on a thread of its own, prechecks each block
/// there (event ids and signatures) and hands the blocks on one at a time, up to
/// [`BLOCKS_AHEAD`] ahead of the reader: downloading, decoding, hashing and signature checks
/// overlap re-execution, which is the other core's work. Blocks go one at a time, not a page
/// at a time, because a page of large blocks is tens of thousands of events: handing on whole
/// pages left the re-executing thread idle while the first page was checked and the fetch
/// thread idle while the last one executed (a third of a 400 000-event run, in six pages).
/// The thread stops when the reader drops the receiver, after an error, or at `top`.
fn fetch_pages(
    client: BlockingClient,
    from: u64,
    top: u64,
) -> std::sync::mpsc::Receiver<Result<Fetched>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(BLOCKS_AHEAD);
    // Named, so profiles and `top -H` tell it from the re-executing thread.
    let spawned = std::thread::Builder::new()
        .name("audit-fetch".into())
        .spawn(move || {
            let mut from = from;
            while from <= top {
                let blocks = match fetch_page(&client, from, top) {
                    Ok(blocks) => blocks,
                    Err(e) => {
                        if let Err(unsent) = tx.send(Err(e)) {
                            // The reader stopped first (it failed on an earlier block and
                            // reports that); this error would otherwise go unseen.
                            if let Err(e) = unsent.0 {
                                eprintln!("audit: fetching stopped after the reader: {e:#}");
                            }
                        }
                        return;
                    }
                };
                from += blocks.len() as u64;
                let last = blocks.len() - 1;
                for (i, block) in blocks.into_iter().enumerate() {
                    let fetched = Fetched {
                        prechecked: verify::precheck(&block.block),
                        encoded: codec::to_canonical(&block),
                        block,
                        last_of_page: i == last,
                    };
                    if tx.send(Ok(fetched)).is_err() {
                        return;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        // The reader sees the channel closed at once and reports that the fetch stopped.
        eprintln!("audit: cannot start the fetch thread: {e}");
    }
    rx
}

/// One page of blocks from `from`, decoded; never empty.
fn fetch_page(client: &BlockingClient, from: u64, top: u64) -> Result<Vec<CertifiedBlock>> {
    let bytes = client.get_bytes(&format!(
        "/v1/blocks?from={from}&limit={PAGE_BLOCKS}&format=cbor"
    ))?;
    let blocks: Vec<CertifiedBlock> =
        codec::from_canonical(&bytes, codec::MESSAGE_BYTES_MAX, "block page")
            .with_context(|| format!("page of blocks from height {from}"))?;
    if blocks.is_empty() {
        bail!("height {from}: the node reports height {top} but served no block at {from}");
    }
    Ok(blocks)
}

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
    let fetched = fetch_pages(client, resumed_from + 1, top);
    let mut saved = Instant::now();
    // Verified blocks not yet in the log: appended (and synced) once per page.
    let mut verified: Vec<Vec<u8>> = Vec::new();
    for item in fetched.iter() {
        let Fetched {
            block,
            prechecked,
            encoded,
            last_of_page,
        } = item?;
        verifier
            .verify_signed(&block, &prechecked)
            .map_err(|f| anyhow::anyhow!("verification FAILED at {f}"))?;
        bar.inc(1);
        verified.push(encoded);
        if !last_of_page {
            continue;
        }
        log_bytes = dir.append_blocks(log_bytes, &verified)?;
        verified.clear();
        let done = verifier.tip().height >= top;
        if done || saved.elapsed() >= CHECKPOINT_EVERY {
            dir.save(&CheckpointView {
                tip: verifier.tip(),
                genesis_hash,
                events_checked: verifier.events_checked(),
                log_bytes,
                state: verifier.store(),
            })?;
            saved = Instant::now();
        }
    }
    if verifier.tip().height < top {
        bail!(
            "the block fetcher stopped after height {} (the node reports {top})",
            verifier.tip().height
        );
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
