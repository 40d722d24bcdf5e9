//! Catch-up: a validator stopped while the others commit (the bench stops it before filling
//! the chain), restarted once it is far behind.

use super::Net;
use super::metrics::Scrape;
use crate::{binary, process};
use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What the catch-up measured.
#[derive(Debug, Clone, Serialize)]
pub struct Sync {
    /// The validator stopped.
    pub node: String,
    /// Blocks it was behind when restarted (its committed-blocks counter once caught up).
    pub blocks_behind: u64,
    /// Events in those blocks (its committed-events counter once caught up).
    pub events: u64,
    /// From restart (process start included) to reaching the others' height, seconds.
    pub seconds: f64,
    /// Blocks caught up per second.
    pub blocks_per_s: f64,
    /// Events caught up per second.
    pub events_per_s: f64,
}

/// A validator stopped for the catch-up measurement.
#[derive(Debug, Clone)]
pub struct Stopped {
    index: usize,
    height: u64,
}

/// Kills the last validator (the others go on committing without it).
pub async fn stop(net: &Net) -> Result<Stopped> {
    let index = net.network.nodes.len() - 1;
    let node = &net.network.nodes[index];
    let height = net.clients[index].status().await?.height;
    process::signal(&net.dir, node, Signal::SIGKILL)?;
    eprintln!("  stopped {} at height {height}", node.name);
    Ok(Stopped { index, height })
}

/// Keeps the others committing at `rate` until the stopped validator is at least `behind`
/// blocks back (or `max` passes), restarts it and times its catch-up to their height.
pub async fn catch_up(
    net: &mut Net,
    stopped: Stopped,
    behind: u64,
    rate: u64,
    max: Duration,
) -> Result<Sync> {
    let Stopped { index, height: h0 } = stopped;
    let others: Vec<_> = (0..net.clients.len())
        .filter(|i| *i != index)
        .map(|i| net.clients[i].clone())
        .collect();
    let t = Instant::now();
    while net.min_height(&others).await < h0 + behind && t.elapsed() < max {
        // Five seconds of load at a time, in the same shape as the windows.
        super::window::measure(net, rate, 5).await?;
    }
    let target = net.max_height(&others).await;
    time_restart(net, index, h0, target).await
}

/// Restarts the stopped validator `index` (committed up to about `h0`) and times it until it
/// reaches `target`.
async fn time_restart(net: &Net, index: usize, h0: u64, target: u64) -> Result<Sync> {
    let node = net.network.nodes[index].clone();
    let victim = net.clients[index].clone();
    eprintln!(
        "  restarting {} about {} blocks behind",
        node.name,
        target.saturating_sub(h0)
    );
    let started = Instant::now();
    process::start(&net.dir, &node, &binary::node_binary()?)
        .with_context(|| format!("restarting {}", node.name))?;
    let deadline = started + CATCH_UP_MAX;
    let mut shown = Instant::now();
    loop {
        let height = victim.status().await.map(|s| s.height).ok();
        if height.is_some_and(|h| h >= target) {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{} did not catch up to {target} within {} minutes",
                node.name,
                CATCH_UP_MAX.as_secs() / 60
            );
        }
        if shown.elapsed() >= PROGRESS_EVERY {
            shown = Instant::now();
            eprintln!(
                "  {}: height {} of {target} after {:.0} s",
                node.name,
                height.map_or("?".to_owned(), |h| h.to_string()),
                started.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Both counters start with the process, so they count exactly what it caught up (and
    // nothing that its status before the stop may have missed).
    let scrape = Scrape::of(&victim).await;
    let events = scrape.sum("tradeledger_events_committed_total") as u64;
    let blocks = scrape.sum("tradeledger_blocks_committed_total") as u64;
    Ok(Sync {
        node: node.name,
        blocks_behind: blocks,
        events,
        seconds,
        blocks_per_s: blocks as f64 / seconds.max(1e-9),
        events_per_s: events as f64 / seconds.max(1e-9),
    })
}

/// Longest catch-up waited for.
const CATCH_UP_MAX: Duration = Duration::from_secs(3_600);
/// How often a long wait prints where it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Puts the last validator `behind` blocks back without keeping it down, restarts it and times
/// its catch-up.
///
/// A validator kept down stalls every round it leads until the round times out (one in four
/// with four validators), so the others would take hours to build 100 000 blocks without it.
/// Instead it is stopped once to copy its store, restarted, and left to vote while the chain
/// grows; then it is stopped again and its store replaced by the copy. It restarts exactly as a
/// validator that was down since the copy would: its store ends `behind` blocks back. Its
/// safety data is older than the votes it cast since, which is harmless here because every
/// round it restarts into is newer than all of them.
pub async fn far_behind(net: &mut Net, behind: u64, rate: u64) -> Result<Sync> {
    let index = net.network.nodes.len() - 1;
    let node = net.network.nodes[index].clone();
    let data = net.dir.join(&node.home).join(DATA);
    // Only the store is put back, so only the store is copied.
    let copy = net.dir.join(format!("{}-data-behind", node.name));
    let h0 = net.clients[index].status().await?.height;
    process::stop(&net.dir, &node, STOP_GRACE)?;
    if copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    let (from, to) = (data.clone(), copy.clone());
    tokio::task::spawn_blocking(move || copy_dir(&from, &to)).await??;
    eprintln!("  copied {}'s store at height {h0}", node.name);
    process::start(&net.dir, &node, &binary::node_binary()?)?;
    let t = Instant::now();
    let mut shown = Instant::now();
    loop {
        let low = net.min_height(&net.clients).await;
        if low >= h0 + behind {
            break;
        }
        if shown.elapsed() >= PROGRESS_EVERY {
            shown = Instant::now();
            let per_s = low.saturating_sub(h0) as f64 / t.elapsed().as_secs_f64();
            eprintln!(
                "  chain at {low}: {} of {behind} blocks, {per_s:.0} blocks/s",
                low.saturating_sub(h0)
            );
        }
        // Five seconds of load at a time, in the same shape as the windows.
        super::window::measure(net, rate, 5).await?;
    }
    process::stop(&net.dir, &node, STOP_GRACE)?;
    let target = net.max_height(&net.clients).await;
    std::fs::remove_dir_all(&data)?;
    std::fs::rename(&copy, &data).with_context(|| format!("restoring {}", data.display()))?;
    time_restart(net, index, h0, target).await
}

/// A node's store, under its home.
const DATA: &str = "data";
/// How long a stopped node may take to exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Copies a directory tree (files and directories only: a node's store holds nothing else).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
