//! Following commits: poll committed block pages and note when (and at which height) each
//! event was first seen committed. When the node being polled stops answering (killed,
//! restarting), the follower moves on to the next node.

use anyhow::{Result, bail};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tradeledger_sdk::client::Client;
use tradeledger_types::{CertifiedBlock, EventId, codec};

/// Blocks asked for in one page: full blocks (up to 4 MiB each) must fit a page's cap.
pub const PAGE_BLOCKS: u64 = 8;
/// Cap on a decoded page.
pub const PAGE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// How long every node may fail to answer before the follower gives up.
const ALL_DOWN_MAX: Duration = Duration::from_secs(60);

/// When and where an event was first seen committed.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// When the page holding it arrived.
    pub at: Instant,
    /// The height of the block holding it.
    pub height: u64,
}

/// Events seen committed so far, shared between the follower and its readers.
#[derive(Debug, Clone, Default)]
pub struct Commits(Arc<Mutex<HashMap<EventId, Seen>>>);

impl Commits {
    /// Locks the map (short critical sections only).
    pub fn lock(&self) -> MutexGuard<'_, HashMap<EventId, Seen>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running follower; [`Follower::stop`] ends it after it has read the chain's current tip.
#[derive(Debug)]
pub struct Follower {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<u64>>,
}

impl Follower {
    /// Starts following from height `from` over `nodes` (tried in turn), recording into
    /// `commits`.
    pub fn start(nodes: Vec<Client>, from: u64, commits: Commits) -> Follower {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(follow(nodes, from, commits, stop.clone()));
        Follower { stop, task }
    }

    /// Stops once the tip is read; returns the next height it would have read.
    pub async fn stop(self) -> Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await?
    }
}

async fn follow(
    nodes: Vec<Client>,
    mut next: u64,
    commits: Commits,
    stop: Arc<AtomicBool>,
) -> Result<u64> {
    if nodes.is_empty() {
        bail!("no node to follow");
    }
    let mut at = 0usize;
    let mut failing_since: Option<Instant> = None;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let client = &nodes[at % nodes.len()];
        let path = format!("/v1/blocks?from={next}&limit={PAGE_BLOCKS}&format=cbor");
        let page: Vec<CertifiedBlock> = match client.get_bytes(&path).await {
            Ok(bytes) => {
                failing_since = None;
                codec::from_canonical(&bytes, PAGE_BYTES_MAX, "block page")?
            }
            Err(e) => {
                // Killed, restarting or overloaded: try the next node.
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > ALL_DOWN_MAX {
                    bail!("no node answered block pages for {ALL_DOWN_MAX:?}: {e}");
                }
                at += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let now = Instant::now();
        if page.is_empty() {
            if stopping {
                return Ok(next);
            }
            // A node still catching up answers empty pages: ask the next one next time.
            at += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let mut map = commits.lock();
        for cb in &page {
            let height = cb.block.header.height;
            for e in &cb.block.events {
                map.entry(e.id()).or_insert(Seen { at: now, height });
            }
            next = height + 1;
        }
    }
}
