//! After faults: do all validators hold the same chain, and is every event a client saw
//! committed still committed, at the same height, on every one of them?

use crate::follow::{PAGE_BLOCKS, PAGE_BYTES_MAX};
use crate::network::Network;
use anyhow::{Result, bail};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tradeledger_sdk::client::Client;
use tradeledger_types::{CertifiedBlock, EventId, Hash32, codec};

/// Concurrent event look-ups per node.
const LOOKUPS_PER_NODE: usize = 32;

/// The comparison of the validators' chains.
#[derive(Debug, Clone, Serialize)]
pub struct Consistency {
    /// Every block from 1 to this height was compared on every validator.
    pub compared_height: u64,
    /// Each validator's committed height when the comparison started.
    pub final_heights: BTreeMap<String, u64>,
    /// Same block hash at every compared height on every validator.
    pub chains_identical: bool,
    /// Same state root in every compared header on every validator.
    pub state_roots_equal: bool,
    /// Hash of the block at the compared height (on the first validator).
    pub last_block_hash: String,
    /// State root in that block's header (the state after the height before it).
    pub state_root: String,
    /// The first difference found, if any.
    pub divergence: Option<String>,
    /// Event look-ups made (`GET /v1/events/{id}`), over all validators.
    pub event_lookups: u64,
    /// Events seen committed whose outcome is not `applied` (rejected by the contracts, for
    /// example as a sequence gap), on the first validator.
    pub events_not_applied: u64,
}

/// One validator's chain, reduced to what is compared.
struct Chain {
    hashes: Vec<Hash32>,
    state_roots: Vec<Hash32>,
    events: Vec<HashSet<EventId>>,
}

/// Waits (up to `settle`) until every validator answers and has reached the highest height
/// any of them reported, then compares blocks 1..=that height and looks up every event of
/// `seen` (id → height where it was first seen committed) on every validator. Returns the
/// comparison and the number of events in `seen` not committed at their height somewhere.
pub async fn check(
    network: &Network,
    clients: &[Client],
    seen: &BTreeMap<EventId, u64>,
    settle: Duration,
) -> Result<(Consistency, u64)> {
    let deadline = Instant::now() + settle;
    let target = loop {
        let heights = heights(clients).await;
        if let Some(max) = heights.iter().flatten().max().copied()
            && heights.iter().all(Option::is_some)
        {
            break max;
        }
        if Instant::now() > deadline {
            bail!("some validators do not answer after {settle:?}: heights {heights:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let final_heights = loop {
        let heights = heights(clients).await;
        let all_there = heights.iter().all(|h| h.is_some_and(|h| h >= target));
        if all_there || Instant::now() > deadline {
            break heights;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let compared_height = final_heights
        .iter()
        .flatten()
        .copied()
        .min()
        .unwrap_or(0)
        .min(target);

    let mut chains = Vec::with_capacity(clients.len());
    for c in clients {
        chains.push(fetch_chain(c, compared_height).await?);
    }
    let mut divergence = None;
    let mut chains_identical = true;
    let mut state_roots_equal = true;
    let first = &chains[0];
    for (i, chain) in chains.iter().enumerate().skip(1) {
        for h in 0..compared_height as usize {
            if chain.hashes[h] != first.hashes[h] {
                chains_identical = false;
                divergence.get_or_insert_with(|| {
                    format!(
                        "block {} differs: {} has {}, {} has {}",
                        h + 1,
                        network.nodes[0].name,
                        first.hashes[h],
                        network.nodes[i].name,
                        chain.hashes[h]
                    )
                });
            }
            if chain.state_roots[h] != first.state_roots[h] {
                state_roots_equal = false;
            }
        }
    }

    // Every event seen committed: in the block at its height, and reported committed there by
    // every validator.
    let mut missing: BTreeSet<EventId> = seen
        .iter()
        .filter(|(id, h)| {
            usize::try_from(**h)
                .ok()
                .and_then(|h| h.checked_sub(1))
                .and_then(|h| first.events.get(h))
                .is_none_or(|set| !set.contains(id))
        })
        .map(|(id, _)| *id)
        .collect();
    let seen_list: Arc<Vec<(EventId, u64)>> =
        Arc::new(seen.iter().map(|(i, h)| (*i, *h)).collect());
    let mut set = tokio::task::JoinSet::new();
    for (i, c) in clients.iter().enumerate() {
        for k in 0..LOOKUPS_PER_NODE {
            let (c, list) = (c.clone(), seen_list.clone());
            set.spawn(async move { (i, lookup(&c, &list, k, LOOKUPS_PER_NODE).await) });
        }
    }
    let mut events_not_applied = 0;
    while let Some(r) = set.join_next().await {
        let (i, found) = r?;
        let found = found?;
        missing.extend(found.missing);
        if i == 0 {
            events_not_applied += found.not_applied;
        }
    }
    let last = compared_height.saturating_sub(1) as usize;
    let consistency = Consistency {
        compared_height,
        final_heights: network
            .nodes
            .iter()
            .zip(&final_heights)
            .map(|(n, h)| (n.name.clone(), h.unwrap_or(0)))
            .collect(),
        chains_identical,
        state_roots_equal,
        last_block_hash: first
            .hashes
            .get(last)
            .map(ToString::to_string)
            .unwrap_or_default(),
        state_root: first
            .state_roots
            .get(last)
            .map(ToString::to_string)
            .unwrap_or_default(),
        divergence,
        event_lookups: (seen.len() * clients.len()) as u64,
        events_not_applied,
    };
    Ok((consistency, missing.len() as u64))
}

/// Waits until every node answers with at least `height`; returns their heights.
pub async fn wait_all_at(clients: &[Client], height: u64, max: Duration) -> Result<Vec<u64>> {
    let deadline = Instant::now() + max;
    loop {
        let hs = heights(clients).await;
        if hs.iter().all(|h| h.is_some_and(|h| h >= height)) {
            return Ok(hs.into_iter().flatten().collect());
        }
        if Instant::now() > deadline {
            bail!("nodes did not all reach height {height} within {max:?}: {hs:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn heights(clients: &[Client]) -> Vec<Option<u64>> {
    let mut out = Vec::with_capacity(clients.len());
    for c in clients {
        out.push(c.status().await.ok().map(|s| s.height));
    }
    out
}

async fn fetch_chain(client: &Client, height: u64) -> Result<Chain> {
    let mut chain = Chain {
        hashes: Vec::new(),
        state_roots: Vec::new(),
        events: Vec::new(),
    };
    let mut next = 1;
    while next <= height {
        let path = format!("/v1/blocks?from={next}&limit={PAGE_BLOCKS}&format=cbor");
        let bytes = client.get_bytes(&path).await?;
        let page: Vec<CertifiedBlock> =
            codec::from_canonical(&bytes, PAGE_BYTES_MAX, "block page")?;
        if page.is_empty() {
            bail!("{} has no block {next}", client.base_url());
        }
        for cb in page
            .into_iter()
            .take_while(|cb| cb.block.header.height <= height)
        {
            if cb.block.header.height != next {
                bail!(
                    "{} served block {} for height {next}",
                    client.base_url(),
                    cb.block.header.height
                );
            }
            chain.hashes.push(cb.block.hash());
            chain.state_roots.push(cb.block.header.state_root);
            chain
                .events
                .push(cb.block.events.iter().map(|e| e.id()).collect());
            next += 1;
        }
    }
    Ok(chain)
}

/// What one look-up worker found.
struct Found {
    missing: Vec<EventId>,
    not_applied: u64,
}

/// Looks up events `k, k + step, ...` of `list`: those not committed at their height, and the
/// count of those committed with an outcome other than `applied`.
async fn lookup(client: &Client, list: &[(EventId, u64)], k: usize, step: usize) -> Result<Found> {
    let mut found = Found {
        missing: Vec::new(),
        not_applied: 0,
    };
    for (id, height) in list.iter().skip(k).step_by(step) {
        let mut tries = 0;
        let status = loop {
            match client.event(id).await {
                Ok(s) => break Some(s),
                Err(e) if e.is_transient() && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => break None,
            }
        };
        match status {
            Some(s) if s.status == "committed" && s.height == Some(*height) => {
                if s.details.get("outcome").and_then(|o| o.as_str()) != Some("applied") {
                    found.not_applied += 1;
                }
            }
            _ => found.missing.push(*id),
        }
    }
    Ok(found)
}
