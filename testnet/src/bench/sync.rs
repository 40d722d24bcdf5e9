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
    /// Blocks it was behind when restarted.
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
    let node = net.network.nodes[index].clone();
    let victim = net.clients[index].clone();
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
    eprintln!(
        "  restarting {} {} blocks behind",
        node.name,
        target.saturating_sub(h0)
    );
    let started = Instant::now();
    process::start(&net.dir, &node, &binary::node_binary()?)
        .with_context(|| format!("restarting {}", node.name))?;
    let deadline = started + Duration::from_secs(1_800);
    loop {
        if let Ok(s) = victim.status().await
            && s.height >= target
        {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{} did not catch up to {target} within 30 minutes",
                node.name
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let events = Scrape::of(&victim)
        .await
        .sum("tradeledger_events_committed_total") as u64;
    let blocks = target.saturating_sub(h0);
    Ok(Sync {
        node: node.name,
        blocks_behind: blocks,
        events,
        seconds,
        blocks_per_s: blocks as f64 / seconds.max(1e-9),
        events_per_s: events as f64 / seconds.max(1e-9),
    })
}
